"""The caches shared across sessions never hand one viewer's restricted rows to another, and a
published rebuild is read on the next rerun.

Query results and chart specifications are cached process-wide (st.cache_data), so two people
opening the same page with the same filters share one computation. That is only safe when every
result that depends on who is looking is keyed by the viewer. These tests warm the caches as a
viewer who may read the restricted INC-4 (group "security", tests/dashboard/conftest.py), then
render the same pages with the same filters, without clearing anything, as viewers who may not:
none of INC-4's secrets may appear. The reverse order proves the allowed viewer still gets them
(the key separates viewers; it is not that restricted rows are never cached).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import SECRET_FACTOR, SECRET_OWNER, SECRET_TITLE, TODAY

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
SECRETS = (SECRET_TITLE, SECRET_OWNER, SECRET_FACTOR)
ALLOWED = {"is_logged_in": True, "email": "alice@example.com"}  # in "security" through the access file
OTHERS = [
    pytest.param(None, id="anonymous"),
    pytest.param({"is_logged_in": True, "email": "mallory@example.com"}, id="signed in, other groups"),
    pytest.param({"is_logged_in": True, "email": "bob@example.com", "groups": ["payments"]}, id="signed in, a group claim"),
]
# Every page that shows incident rows, with the query that brings INC-4 into view.
PAGES = [
    ("incident", {"incident": "INC-4"}),
    ("action_items", {}),
    ("data_quality", {}),
    ("repeats", {}),
    ("themes", {}),
    ("review", {"quarter": "2026Q3"}),
    ("overview", {}),
    ("trends", {}),
]


@pytest.fixture(autouse=True)
def _env(fixture_db, tmp_path, monkeypatch):
    access = tmp_path / "access.toml"
    access.write_text('[groups]\nsecurity = ["alice@example.com"]\n', encoding="utf-8")
    monkeypatch.setenv("HINDSIGHT_DB", str(fixture_db))
    monkeypatch.setenv("HINDSIGHT_ACCESS", str(access))
    monkeypatch.setenv("HINDSIGHT_TODAY", TODAY.isoformat())
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _render(page: str, query: dict[str, str], user: dict | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    if user is not None:
        at.user = user
    if page != "overview":
        at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _everything(at: AppTest) -> str:
    """All text the page sent: every element's protobuf, chart specs and tables included."""
    return "\n".join(str(node.proto) for node in at.main if hasattr(node, "proto")) + "\n" + "\n".join(
        df.value.to_string() for df in at.dataframe
    ) + "\n" + "\n".join(str(e) for e in at.get("vega_lite_chart")) + "\n" + "\n".join(
        str(o) for sb in at.selectbox for o in sb.options
    )


def _shown(at: AppTest) -> set[str]:
    text = _everything(at)
    return {s for s in SECRETS if s in text}


@pytest.mark.parametrize("other", OTHERS)
def test_a_warm_cache_never_shows_restricted_rows_to_another_viewer(other):
    seen_by_allowed: set[str] = set()
    for page, query in PAGES:
        seen_by_allowed |= _shown(_render(page, query, ALLOWED))  # warms every cache as the allowed viewer
    assert SECRET_TITLE in seen_by_allowed  # the allowed viewer did get restricted rows into the caches
    for page, query in PAGES:
        assert _shown(_render(page, query, other)) == set(), page


def test_the_allowed_viewer_still_sees_them_after_others_warmed_the_cache():
    for page, query in PAGES:
        _render(page, query, None)
    at = _render("incident", {"incident": "INC-4"}, ALLOWED)
    assert at.title[0].value == SECRET_TITLE
    assert SECRET_OWNER in _everything(_render("action_items", {}, ALLOWED))


def test_same_groups_share_results_other_groups_do_not():
    """Two signed-in people with the same principals hit one cache entry (the point of caching);
    different principals never do (the viewer is part of the key)."""
    from dashboard import data
    from pipelines.read.access import Viewer

    calls: list[str] = []
    original = data.read.QUERIES["overdue_items"]

    def counting(con, **kw):
        calls.append(kw["viewer"].principals)
        return original(con, **kw)

    data.read.QUERIES["overdue_items"] = counting
    try:
        st.cache_data.clear()
        for viewer in (Viewer(groups=("security",)), Viewer(groups=("Security ",)), Viewer(), Viewer(groups=("payments",))):
            _render_load(data, viewer)
    finally:
        data.read.QUERIES["overdue_items"] = original
    assert calls == [("security",), (), ("payments",)]


def _render_load(data, viewer) -> None:
    script = AppTest.from_function(_load_script, args=(viewer,), default_timeout=30)
    script.run()
    assert not script.exception, [e.value for e in script.exception]


def _load_script(viewer) -> None:
    from datetime import date

    from dashboard import data
    from pipelines.read import NO_FILTERS

    data.load("overdue_items", filters=NO_FILTERS, viewer=viewer, today=date(2026, 9, 30))


def test_a_rebuild_is_read_on_the_next_rerun_with_warm_caches(fixture_db, tmp_path, monkeypatch):
    db = tmp_path / "live.duckdb"
    shutil.copy(fixture_db, db)
    monkeypatch.setenv("HINDSIGHT_DB", str(db))
    at = _render("action_items", {}, None)
    at.run()  # everything cached now
    assert "Rotate the search index nightly" not in _everything(at)
    staged = tmp_path / "staged.duckdb"
    shutil.copy(db, staged)
    with duckdb.connect(str(staged)) as con:
        con.execute("INSERT INTO action_items (incident_id, seq, text, owner, due_date, status, priority, kind) "
                    "VALUES ('INC-5', 0, 'Rotate the search index nightly', 'dave', DATE '2026-09-01', 'open', 'P2', 'prevent')")
    staged.replace(db)  # atomic rename, as the build publishes
    at.run()
    assert not at.exception
    assert "Rotate the search index nightly" in _everything(at)
