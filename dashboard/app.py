"""Hindsight dashboard entry point: page config, the database check, the filter bar, the router.

Run with `hindsight dashboard` (or `streamlit run dashboard/app.py` with HINDSIGHT_DB set).
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the project root.
_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

import streamlit as st  # noqa: E402

from dashboard import auth, data, filters  # noqa: E402

st.set_page_config(page_title="Hindsight", page_icon=":material/history:", layout="wide")

_HERE = Path(__file__).resolve().parent / "pages"


def _page(file: str, title: str, icon: str, url_path: str, default: bool = False) -> st.Page:
    return st.Page(str(_HERE / file), title=title, icon=icon, url_path=url_path, default=default)


sections = {
    "Overview": [_page("overview.py", "Overview", ":material/dashboard:", "overview", default=True)],
    "Learning": [
        _page("trends.py", "Trends", ":material/trending_up:", "trends"),
        _page("themes.py", "Themes", ":material/category:", "themes"),
        _page("repeats.py", "Repeats", ":material/replay:", "repeats"),
    ],
    "Follow-up": [
        _page("action_items.py", "Action items", ":material/task_alt:", "action_items"),
        _page("data_quality.py", "Data quality", ":material/rule:", "data_quality"),
    ],
    "Explore": [
        _page("related.py", "Related incidents", ":material/search:", "related"),
        _page("incident.py", "Incident", ":material/description:", "incident"),
    ],
}
if (_HERE / "review.py").is_file():  # written by the review feature; the app works without it
    sections["Review"] = [_page("review.py", "Quarterly review", ":material/summarize:", "review")]

page = st.navigation(sections)
data.require_db()
auth.account_box()
filters.filter_bar()
page.run()
data.prewarm_search()
