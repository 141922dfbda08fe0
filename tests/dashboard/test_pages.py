"""Every dashboard page under AppTest against the hand-written fixture DB: key figures equal the known answers.

The fixture's answers are listed in tests/dashboard/conftest.py; HINDSIGHT_TODAY pins "today"
to the fixture's TODAY so overdue counts do not depend on the calendar.
"""

from __future__ import annotations

import json

from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import SECRET_FACTOR, SECRET_OWNER, SECRET_TITLE, TODAY

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app(fixture_db, monkeypatch):
    monkeypatch.setenv("HINDSIGHT_DB", str(fixture_db))
    monkeypatch.setenv("HINDSIGHT_TODAY", TODAY.isoformat())

    def open_page(page: str = "overview", *, query: dict | None = None, user: dict | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        at.query_params.update(query or {})
        if user is not None:
            at.user = user
        at.run()
        if page != "overview":
            at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_page


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def page_text(at: AppTest) -> str:
    """Everything a viewer could read: text elements, tables, widget labels and options."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error", "text"):
        parts += [str(e.value) for e in getattr(at, kind)]
    for df in at.dataframe:
        parts.append(df.value.astype(str).to_string())
    for sb in at.selectbox:
        parts += [str(o) for o in sb.options]
    for ms in at.multiselect:
        parts += [str(o) for o in ms.options]
    return "\n".join(parts)


def assert_no_secrets(at: AppTest) -> None:
    text = page_text(at)
    for secret in (SECRET_TITLE, SECRET_OWNER, SECRET_FACTOR, "signing keys", "Secret vault"):
        assert secret not in text, secret


def test_overview_figures(app):
    """TODAY is 2026-09-30, so 2026Q3 is still in progress: the last complete quarter is 2026Q2. It
    holds 2 incidents, fewer than MIN_COMPARE, so the KPIs describe the four quarters 2025Q3-2026Q2."""
    at = app("overview")
    m = metrics(at)
    assert m["Incidents, 4 quarters"] == "3"  # INC-1, INC-2, INC-6
    assert m["Postmortems complete"] == "67%"  # INC-1 (90) and INC-6 (100) of 3
    assert m["Action items done"] == "75%"  # 2 of INC-1's and INC-2's 3 items, and INC-6's one
    assert m["Overdue action items"] == "2"  # INC-1's and INC-4's open items
    assert m["Median time to resolve"] == "4.0 h"  # 4 h, 2 h and 10 h
    assert any("n = 3 incidents" in c.value for c in at.caption)
    assert any("four quarters 2025Q3–2026Q2" in c.value and "2026Q2" in c.value for c in at.caption)
    # 3 and 0 incidents: too few to compare, so no delta and no green arrow
    assert any("Too few incidents to compare (3 and 0" in c.value for c in at.caption)
    assert all(x.delta in (None, "") for x in at.metric)
    assert_no_secrets(at)


def test_a_quarter_in_progress_is_never_compared(app):
    """Only the search team's 2026Q3 incidents are in view: the quarter is partial, so no delta at all."""
    at = app("overview", query={"team": "search"})
    assert metrics(at)["Incidents in 2026Q3"] == "2"
    assert any("runs until 2026-09-30" in c.value and "partial" in c.value for c in at.caption)
    assert all(x.delta in (None, "") for x in at.metric)


def test_filters_from_the_url_apply_and_hostile_values_are_ignored(app):
    at = app("overview", query={"team": ["search", "'; DROP TABLE incidents; --"], "sev": "SEV9", "from": "2026-13-45", "theme": "abc"})
    assert at.multiselect(key="hs_teams").value == ["search"]
    assert at.multiselect(key="hs_severities").value == []
    assert metrics(at)["Incidents in 2026Q3"] == "2"  # INC-3 and INC-5
    assert at.query_params.get("team") == "search"  # the URL keeps only the valid part
    assert "sev" not in at.query_params


def test_changing_a_filter_updates_the_url(app):
    at = app("overview")
    at.multiselect(key="hs_severities").select("SEV1").run()
    assert at.query_params.get("sev") == "SEV1"
    assert metrics(at)["Incidents in 2026Q2"] == "1"  # INC-1 (INC-4, restricted, is counted in 2026Q3)


def test_a_filter_that_selects_nothing_shows_a_friendly_message(app):
    at = app("overview", query={"team": "infra", "sev": "SEV1"})
    for page in ("overview", "trends", "themes", "repeats", "action_items"):
        if page != "overview":
            at.switch_page(f"pages/{page}.py").run()
        assert any("No " in i.value and "match the current filters" in i.value for i in at.info), page
        assert not at.exception and not at.dataframe, page


def test_trends_switch_dimension_and_small_sample_note(app):
    at = app("trends")
    assert not at.warning  # no list of every small quarter: they are drawn faint, and one caption says so
    assert any("too few to compare" in c.value for c in at.caption)
    at.segmented_control(key="trend_dimension").set_value("service").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table.loc["2026Q3", "Time to resolve: median"] == "3.5 h"
    assert table.loc["2026Q3", "Time to resolve: n"] == "2"
    assert_no_secrets(at)


def test_themes_page_leads_with_failure_modes_then_patterns(app):
    at = app("themes")
    assert at.title[0].value == "Failure modes and recurring patterns"
    assert any("5 of 6 incidents have a failure mode; 1 matched none" in c.value for c in at.caption)
    modes = at.dataframe[0].value.set_index("name")
    # Distinct incidents, the restricted INC-4 counted: INC-1, INC-2, INC-4 / INC-3, INC-5 / INC-2.
    assert modes["incidents"].to_dict() == {"Resource or quota exhaustion": 3, "Traffic overload": 2, "Code change shipped a bug": 1}
    assert modes.loc["Resource or quota exhaustion", ["patterns", "repeats", "recurred_after_fix", "quarters_active"]].tolist() == [1, 2, 1, 2]
    assert len(at.get("vega_lite_chart")) == 1  # the mode x quarter trend
    # The first mode is chosen: its evidence (only what an anonymous viewer may read), its pattern, its incidents.
    quotes = [md.value for md in at.markdown if md.value.startswith("> ")]
    assert quotes == ["> Connection leak exhausted the pool", "> Connection pool too small for peak traffic"]
    patterns = at.dataframe[1].value
    assert patterns[["label", "incidents", "first"]].values.tolist() == [["connection pool exhaustion", 3, "Connection pool too small for peak traffic"]]
    assert any(s.value == "3 incidents" for s in at.subheader)
    drill = at.dataframe[2].value
    assert sorted(drill["title"]) == ["Checkout API connection pool exhausted", "Checkout API pool exhausted again", "restricted incident"]
    assert_no_secrets(at)
    # A mode whose only incident is in no pattern shows its Unclustered bucket.
    at.selectbox(key="mode_pick").set_value("code_deploy").run()
    patterns = at.dataframe[1].value
    assert patterns[["label", "incidents", "first"]].values.tolist() == [["Unclustered", 1, "The deploy that morning leaked connections"]]
    assert any(s.value == "1 incidents" for s in at.subheader)


def test_themes_page_and_cli_agree_on_sizes(app, fixture_db, capsys):
    from pipelines import cli

    at = app("themes")
    page = at.dataframe[0].value.set_index("name")["incidents"].to_dict()
    assert cli.main(["themes", "--db", str(fixture_db), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {m["name"]: m["incidents"] for m in out["failure_modes"]} == page
    assert SECRET_FACTOR not in json.dumps(out)


def test_themes_page_shows_restricted_evidence_to_its_group(app):
    at = app("themes", user={"is_logged_in": True, "email": "sam@example.com", "groups": ["security"]})
    assert any(SECRET_FACTOR in md.value for md in at.markdown)


def test_repeats_page(app):
    at = app("repeats")
    groups = at.dataframe[0].value
    assert groups[["name", "service", "repeats", "incidents", "pattern"]].values.tolist() == [
        ["Resource or quota exhaustion", "api", 2, 3, "connection pool exhaustion"]]
    after_fix = at.dataframe[1].value  # INC-4 came back after INC-2's only item (due 2026-06-01) was done
    assert after_fix[["name", "recurrences", "services"]].values.tolist() == [["Resource or quota exhaustion", 1, "api"]]
    assert any("after every action item of an earlier incident of the mode on that service was done" in c.value for c in at.caption)
    chain = at.dataframe[2].value
    assert chain["title"].tolist() == ["Checkout API connection pool exhausted", "Checkout API pool exhausted again", "restricted incident"]
    assert at.selectbox[-1].options == ["Resource or quota exhaustion · api (2 repeats)"]
    assert_no_secrets(at)


def test_action_items_page(app):
    at = app("action_items")
    m = metrics(at)
    assert m["Action items"] == "6"
    assert m["Done"] == "50%"
    assert m["Overdue"] == "2"
    assert m["Open, no owner or due"] == "1"
    assert m["Incidents without items"] == "1"
    overdue = at.dataframe[0].value
    assert overdue["owner"].tolist()[0] == "bob"
    assert "restricted incident" in overdue["item"].tolist()
    assert_no_secrets(at)


def test_incident_page_renders_safely(app):
    at = app("incident", query={"incident": "INC-1"})
    assert at.title[0].value == "Checkout API connection pool exhausted"
    m = metrics(at)
    assert m["Time to detect"] == "30 min" and m["Time to resolve"] == "4.0 h" and m["Time to mitigate"] == "–"
    assert m["Completeness"] == "90/100"
    assert any("started 2026-04-10 10:00 UTC" in c.value for c in at.caption)
    body = "\n".join(md.value for md in at.markdown)
    assert "<img" not in body and "javascript:" not in body and "click (link removed)" in body
    assert "\\$5" in body
    items = at.dataframe[0].value
    assert items["status"].tolist() == ["done", "open"]
    related = at.dataframe[1].value  # INC-4 (restricted) is dropped from the neighbours, not listed
    assert related["title"].tolist() == ["Checkout API pool exhausted again", "Database failover took too long"]
    assert related["shared_modes"].tolist()[0] == "Resource or quota exhaustion"
    # Its failure mode with the sentence that made it one.
    assert any(md.value.startswith("**Resource or quota exhaustion** (100%, rules) · pattern: *connection pool exhaustion*") for md in at.markdown)
    assert "> Connection pool too small for peak traffic" in body
    assert_no_secrets(at)


def test_incident_page_names_its_write_ups_and_what_was_inferred(app):
    captions = [c.value for c in app("incident", query={"incident": "INC-1"}).caption]
    assert any("Written up 2 times: `postmortems/INC-1.md`, `exports/tool.jsonl:3`" in c for c in captions)
    assert any("Not stated in the write-up: detection from the timeline; resolution from the timeline" in c for c in captions)
    captions = [c.value for c in app("incident", query={"incident": "INC-2"}).caption]
    assert any("services from the prose; impact start from the timeline; team from the service catalog" in c for c in captions)
    assert not any("Written up" in c for c in captions)


def test_incident_page_hostile_title_is_text(app):
    at = app("incident", query={"incident": "INC-3"})
    assert "<script" not in at.title[0].value and "&lt;script>" in at.title[0].value


def test_restricted_incident_hidden_from_anonymous_and_shown_to_its_group(app):
    at = app("incident", query={"incident": "INC-4"})
    assert at.title[0].value == "Restricted incident"
    assert_no_secrets(at)
    at = app("incident", query={"incident": "INC-4"}, user={"is_logged_in": True, "email": "sam@example.com", "groups": ["security"]})
    assert at.title[0].value == SECRET_TITLE
    # a signed-in user outside the group still sees nothing
    at = app("incident", query={"incident": "INC-4"}, user={"is_logged_in": True, "email": "eve@example.com", "groups": ["sre"]})
    assert at.title[0].value == "Restricted incident"


def test_placeholder_email_without_sign_in_is_anonymous(app):
    at = app("incident", query={"incident": "INC-4"}, user={"email": "sam@example.com", "groups": ["security"]})
    assert at.title[0].value == "Restricted incident"


@pytest.mark.parametrize("incident", ["'; DROP TABLE incidents; --", "x" * 5000])
def test_unknown_or_hostile_incident_ids(app, incident):
    at = app("incident", query={"incident": incident})
    assert at.title[0].value == "Incident"
    assert "INC-4" not in at.selectbox[0].options


def test_data_quality_page(app):
    at = app("data_quality")
    assert any("2 source files" in w.value for w in at.warning)
    errors = at.dataframe[0].value
    assert errors["source_path"].tolist() == ["broken/bad.md", "exports/a.jsonl:4"]
    assert [h.value for h in at.header][:3] == ["Files that did not load", "Where the figures come from", "Possible duplicates"]
    assert any("**3 of 5** times to resolve in view (60%) rest on an inferred" in m.value for m in at.markdown)
    assert any(c.value.startswith("2 pairs of incidents share a service, overlapping impact windows") for c in at.caption)
    pairs = at.dataframe[1].value
    assert pairs["title"].tolist() == ["Checkout API connection pool exhausted", "Search index lag <script>alert(1)</script>"]
    assert pairs["other_title"].tolist() == ["restricted incident", "Search autocomplete slow"]
    assert pd.isna(pairs["other_link"].tolist()[0])  # no link to a restricted incident
    missing = at.dataframe[2].value
    assert "restricted incident" in missing["title"].tolist()
    assert_no_secrets(at)


def test_data_quality_page_follows_the_filters(app):
    at = app("data_quality", query={"team": "search"})
    assert any("**0 of 1** times to resolve" in m.value for m in at.markdown)
    assert at.dataframe[1].value["title"].tolist() == ["Search index lag <script>alert(1)</script>"]


def test_related_page_without_index_says_so(app):
    at = app("related")
    assert any("no related-incident index" in i.value for i in at.info)


def test_missing_database_shows_how_to_build(monkeypatch, tmp_path):
    monkeypatch.setenv("HINDSIGHT_DB", str(tmp_path / "nope.duckdb"))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "No Hindsight database yet"
    assert any("hindsight build" in i.value for i in at.info)


def test_a_published_rebuild_is_picked_up_without_restart(app, fixture_db, tmp_path, monkeypatch):
    import shutil

    import duckdb

    from pipelines.build.summaries import write_summaries

    db = tmp_path / "live.duckdb"
    shutil.copy(fixture_db, db)
    monkeypatch.setenv("HINDSIGHT_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert metrics(at)["Incidents, 4 quarters"] == "3"
    staged = tmp_path / "staged.duckdb"
    shutil.copy(fixture_db, staged)
    with duckdb.connect(str(staged)) as con:
        con.execute("UPDATE incidents SET incident_date = DATE '2026-06-02' WHERE incident_id = 'INC-3'")
        write_summaries(con)  # as the build does before publishing
    staged.replace(db)  # atomic rename, as the build publishes
    at.run()
    assert metrics(at)["Incidents, 4 quarters"] == "4"


def test_related_search_on_a_built_database(built_db, monkeypatch):
    monkeypatch.setenv("HINDSIGHT_DB", str(built_db))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/related.py").run()
    at.text_area(key="related_text").input("database connection pool exhausted after deploy").run()
    assert not at.exception
    results = at.dataframe[0].value
    assert 1 <= len(results) <= 10
    # the reason for each match in the first columns, themes as chips (a list each), at most three
    assert list(results.columns[:4]) == ["rank", "title", "shared_modes", "shared_terms"]
    assert all(isinstance(t, (list, tuple)) or hasattr(t, "tolist") for t in results["shared_modes"])
    assert max(len(t) for t in results["shared_modes"]) <= 3
    assert results["rank"].tolist() == list(range(1, len(results) + 1))
    assert results["score"].is_monotonic_decreasing
    assert results["link"].str.startswith("incident?incident=").all()
    for hostile in ("'; DROP TABLE incidents; --", "%_%", "<script>alert(1)</script>", "x" * 5000):
        at.text_area(key="related_text").input(hostile).run()
        assert not at.exception, hostile
    # an incident page's "Find similar incidents" link preselects that incident
    from urllib.parse import unquote

    first = unquote(results["link"].iloc[0].split("incident=", 1)[1])
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["incident"] = first
    at.switch_page("pages/related.py").run()
    assert at.selectbox(key="related_pick").value == first
    similar = at.dataframe[0].value
    assert len(similar) >= 1 and f"incident?incident={first}" not in similar["link"].tolist()


def test_every_page_copes_with_an_empty_database(tmp_path, monkeypatch):
    import duckdb

    from pipelines.build.schema import create_schema

    db = tmp_path / "empty.duckdb"
    with duckdb.connect(str(db)) as con:
        create_schema(con)
    monkeypatch.setenv("HINDSIGHT_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=30).run()
    for page in ("overview", "trends", "themes", "repeats", "action_items", "data_quality", "related", "incident"):
        if page != "overview":
            at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.title, page
        assert at.info or at.success or at.warning, f"{page}: no message on an empty database"


@pytest.mark.parametrize("kind", ["not DuckDB", "another DuckDB", "old schema"])
def test_a_database_hindsight_cannot_read_is_explained_without_a_traceback(tmp_path, monkeypatch, kind):
    import duckdb

    from pipelines.build.schema import create_schema

    db = tmp_path / "h.duckdb"
    if kind == "not DuckDB":
        db.write_text("id,title\n1,not a database\n" * 20)
    elif kind == "another DuckDB":
        with duckdb.connect(str(db)) as con:
            con.execute("CREATE TABLE precious AS SELECT 42 AS answer")
    else:
        with duckdb.connect(str(db)) as con:
            create_schema(con)
            con.execute("UPDATE build_info SET value = '0' WHERE key = 'schema_version'")
    monkeypatch.setenv("HINDSIGHT_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "This is not a database Hindsight can read"
    message = at.error[0].value
    assert str(db) in message and "hindsight build" in message
    expected = {"not DuckDB": "not a DuckDB database file", "another DuckDB": "not a Hindsight database",
                "old schema": "another version of Hindsight"}[kind]
    assert expected in message
