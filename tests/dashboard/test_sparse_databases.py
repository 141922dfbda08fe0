"""Every page on databases with something missing: no action items, no times, no severities, one incident.

Real corpora are like this (a folder of public write-ups has no action items, no severities and
half its incidents without times). No page may fail, and no page may greet missing data with a
green success message ("every open item has an owner") as if all were well.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pipelines.build.summaries import write_summaries
from tests.dashboard.conftest import TODAY

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGES = ["overview", "trends", "themes", "repeats", "action_items", "data_quality", "related", "incident", "review"]
INCIDENT_TABLES = ["incident_services", "incident_tags", "sections", "timeline_events", "action_items", "contributing_factors",
                   "incident_themes", "lint_findings"]
VARIANTS = {
    "no_action_items": ["DELETE FROM action_items"],
    "no_times": ["UPDATE incidents SET started_at = NULL, detected_at = NULL, mitigated_at = NULL, resolved_at = NULL",
                 "DELETE FROM timeline_events"],
    "no_severities": ["UPDATE incidents SET severity = NULL, severity_raw = NULL"],
    "no_teams": ["UPDATE incidents SET team = NULL"],
    "no_due_dates": ["UPDATE action_items SET due_date = NULL"],
    "one_incident": [f"DELETE FROM {t} WHERE incident_id <> 'INC-1'" for t in INCIDENT_TABLES]
    + ["DELETE FROM repeat_incidents", "DELETE FROM related_incidents", "DELETE FROM incidents WHERE incident_id <> 'INC-1'"],
}


@pytest.fixture(autouse=True)
def clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="module")
def variant_dbs(fixture_db, tmp_path_factory) -> dict[str, Path]:
    """The fixture database with one thing taken away, per variant."""
    out = {}
    for name, statements in VARIANTS.items():
        path = tmp_path_factory.mktemp(name) / "h.duckdb"
        shutil.copy(fixture_db, path)
        with duckdb.connect(str(path)) as con:
            for sql in statements:
                con.execute(sql)
            write_summaries(con)  # the filter bar reads them: derived data follows, as in a build
        out[name] = path
    return out


def _run(db: Path, page: str, monkeypatch) -> AppTest:
    monkeypatch.setenv("HINDSIGHT_DB", str(db))
    monkeypatch.setenv("HINDSIGHT_TODAY", TODAY.isoformat())
    at = AppTest.from_file(APP, default_timeout=30)
    if page == "incident":
        at.query_params["incident"] = "INC-1"
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    return at


@pytest.mark.parametrize("name", sorted(VARIANTS))
@pytest.mark.parametrize("page", PAGES)
def test_every_page_copes(variant_dbs, name, page, monkeypatch):
    at = _run(variant_dbs[name], page, monkeypatch)
    assert not at.exception, (name, page, [e.value for e in at.exception])
    assert not at.error, (name, page, [e.value for e in at.error])
    successes = [s.value for s in at.success]
    if name == "no_action_items":
        assert not any("action item" in s for s in successes), successes


def test_no_action_items_says_so_and_what_the_parser_reads(variant_dbs, monkeypatch):
    db = variant_dbs["no_action_items"]
    at = _run(db, "action_items", monkeypatch)
    text = " ".join(i.value for i in at.info)
    assert "This corpus has no action items" in text and "Action items" in text and "Follow-up" in text
    assert not at.metric and not at.dataframe  # no "0 %" ratio computed from zero items
    at = _run(db, "overview", monkeypatch)
    m = {x.label: x.value for x in at.metric}
    assert m["Action items done"] == "–" and m["Overdue action items"] == "–"


def test_an_incident_without_severity_says_so(variant_dbs, monkeypatch):
    at = _run(variant_dbs["no_severities"], "incident", monkeypatch)
    assert any("severity not stated" in m.value for m in at.markdown)
    assert not any("**unknown**" in m.value for m in at.markdown)


def test_trends_open_on_services_when_no_incident_names_a_team(variant_dbs, monkeypatch):
    at = _run(variant_dbs["no_teams"], "trends", monkeypatch)
    assert at.segmented_control(key="trend_dimension").value == "service"
    at = _run(variant_dbs["no_action_items"], "trends", monkeypatch)
    assert at.segmented_control(key="trend_dimension").value == "team"


def test_no_overdue_item_because_no_item_has_a_due_date_is_not_good_news(variant_dbs, monkeypatch):
    at = _run(variant_dbs["no_due_dates"], "action_items", monkeypatch)
    assert not any("past its due date" in s.value for s in at.success)
    assert any("no due date" in i.value for i in at.info), [i.value for i in at.info]
