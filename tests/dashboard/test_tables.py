"""Tables show a dash for a missing value, never Streamlit's grey "None" (a team called None?)."""

from __future__ import annotations

import re
from pathlib import Path

from dashboard.components import MISSING
from tests.dashboard.test_pages import app, clear_caches  # noqa: F401  (fixtures)

PAGES = Path(__file__).resolve().parents[2] / "dashboard" / "pages"


def test_pages_draw_tables_only_through_the_shared_helper():
    direct = [f"{p.name}:{i}" for p in sorted(PAGES.glob("*.py"))
              for i, line in enumerate(p.read_text().splitlines(), 1) if re.search(r"\bst\.(dataframe|table|data_editor)\(", line)]
    assert direct == []


def test_missing_values_show_a_dash(app):  # noqa: F811
    """INC-3's open item has no owner and no due date; INC-5 has no times: every table on the way says "–"."""
    at = app("action_items")
    shown = list(at.dataframe)
    for page in ("repeats", "incident"):
        at.switch_page(f"pages/{page}.py").run()
        shown += list(at.dataframe)
    at.query_params["incident"] = "INC-3"
    at.run()
    shown += list(at.dataframe)
    assert shown and all(df.proto.placeholder == MISSING for df in shown)
    assert any(df.value.isna().any().any() for df in shown)  # there were missing values to show
