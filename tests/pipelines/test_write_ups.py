"""One incident, several write-ups (pipelines/build/merge.py), possible duplicates
(pipelines/build/duplicates.py), resolution and provenance (pipelines/build/resolve.py), and
incremental rebuilds of all three, on our own fixtures (tests/fixtures/catalog, id_clash)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.build import schema
from pipelines.build.duplicates import find_possible_duplicates
from pipelines.build.duplicates import load_rules as load_duplicate_rules
from pipelines.build.load import INCIDENT_TABLES, incident_rows, insert_rows
from pipelines.build.merge import MAX_DAYS_APART, Window, WriteUp, link_write_ups, same_incident, staged_id
from pipelines.build.run import build
from pipelines.cli.build import summary_lines
from pipelines.model import ActionItem, FieldSource, Incident, Section, TimelineEvent

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CATALOG = FIXTURES / "catalog" / "catalog-info.yaml"
PAGE = "2024-10-02-inc-912-stale-fares.md"
NARRATIVE = "2024-11-18-berth-planner-double-booking.md"


@pytest.fixture(autouse=True)
def fixed_code_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipelines.build.run.code_version", lambda: "test")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / "catalog" / "corpus", tmp_path / "corpus"))


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def contents(db: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: sorted(repr(r) for r in con.execute(f"SELECT * FROM {t}").fetchall()) for t in schema.TABLES if t != "build_info"}


def test_two_write_ups_with_one_id_are_one_incident(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    result = build([corpus], db, catalogs=[CATALOG], analysis=False, jobs=1)

    assert result.incidents_loaded == 6 and result.files_failed == []  # 7 write-ups, INC-912 counted once
    assert (result.write_ups_merged, result.possible_duplicates, result.catalogs) == (1, 1, [str(CATALOG)])
    assert summary_lines(result)[1:4] == [
        f"Service catalog: {CATALOG}.",
        "Merged 1 write-up into the incident sharing its id (incident_sources).",
        "1 pair of incidents looks like one incident written up twice: see Possible duplicates on the Data quality page.",
    ]
    assert rows(db, "SELECT source_path, source_format, rank, title FROM incident_sources WHERE incident_id = 'INC-912' ORDER BY rank") == [
        (PAGE, "markdown", 0, "INC-912: Fare Engine served yesterday's fares"),
        ("exports/incidents.jsonl:1", "jsonl", 1, "Stale fares after a failed nightly import"),
    ]
    # The page comes first; each field from the best source (front matter over the export's record):
    # the page's detection at 09:25, not the export's 09:24.
    assert rows(db, "SELECT source_path, title, severity, detected_at FROM incidents WHERE incident_id = 'INC-912'") == [
        (PAGE, "INC-912: Fare Engine served yesterday's fares", "SEV2", datetime(2024, 10, 2, 9, 25)),
    ]
    # Prose and follow-ups of both: REV-41 is in both (worded differently, one ticket), so once;
    # its owner stays the page's.
    assert rows(db, "SELECT seq, owner, ticket FROM action_items WHERE incident_id = 'INC-912' ORDER BY seq") == [
        (0, "Ines Morel", "REV-41"), (1, "Tomas Reyes", "REV-42"), (2, None, "REV-43"),
    ]
    assert rows(db, "SELECT item_seqs FROM incident_sources WHERE incident_id = 'INC-912' ORDER BY rank") == [([0, 1],), ([0, 2],)]
    kinds = [k for (k,) in rows(db, "SELECT kind FROM sections WHERE incident_id = 'INC-912' ORDER BY seq")]
    assert kinds.count("summary") == 2 and "root_cause" in kinds  # the export's root cause is kept
    assert rows(db, "SELECT count(*) FROM timeline_events WHERE incident_id = 'INC-912'") == [(3,)]
    # every table keyed by incident holds only real ids: no staged write-up is left behind
    for table in INCIDENT_TABLES:
        assert rows(db, f"SELECT count(*) FROM {table} WHERE incident_id LIKE '%' || chr(31) || '%'") == [(0,)], table


def test_services_and_teams_resolve_with_their_sources(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    build([corpus], db, catalogs=[CATALOG], analysis=False, jobs=1)

    def services(iid: str) -> list[str]:
        return sorted(s for (s,) in rows(db, "SELECT service FROM incident_services WHERE incident_id = ?", [iid]))

    def source(iid: str, field: str) -> tuple | None:
        got = rows(db, "SELECT source FROM field_sources WHERE incident_id = ? AND field = ?", [iid, field])
        return got[0][0] if got else None

    narrative = rows(db, "SELECT incident_id FROM incident_sources WHERE source_path = ?", [NARRATIVE])[0][0]
    assert services("INC-912") == ["fare-engine", "ticketing-api"]  # title and alias
    assert services("INC-950") == ["k8s-harbour"]  # "k8s harbour"
    assert rows(db, "SELECT team, team_raw FROM incidents WHERE incident_id IN ('INC-912', 'INC-950') ORDER BY 1") == [
        ("platform-ops", "Platform Operations team"), ("revenue", "Revenue Engineering"),
    ]
    assert (source("INC-912", "team"), source("INC-950", "team")) == ("front_matter", "record")
    # Stated nowhere: services from the prose (Passenger Notifications "were unaffected"), the
    # team from the catalog owner of the first of them.
    assert services(narrative) == ["berth-planner", "ticketing-api"]
    assert (source(narrative, "services"), source(narrative, "team")) == ("text", "catalog")
    assert rows(db, "SELECT team FROM incidents WHERE incident_id = ?", [narrative]) == [("voyages",)]
    assert rows(db, "SELECT line FROM field_sources WHERE incident_id = ? AND field = 'services'", [narrative]) == [(3,)]
    assert source(narrative, "severity") is None  # no value, no row


def test_without_a_catalog_the_corpus_names_are_the_vocabulary(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    build([corpus], db, analysis=False, jobs=1)
    narrative = rows(db, "SELECT incident_id FROM incident_sources WHERE source_path = ?", [NARRATIVE])[0][0]
    # "Ticketing API" is what other write-ups state (the page, the duplicates); the Berth Planner
    # is stated nowhere, so it is no name the corpus knows.
    assert rows(db, "SELECT service FROM incident_services WHERE incident_id = ?", [narrative]) == [("ticketing-api",)]
    # ticketing-api is stated first by two write-ups that both say voyages: the corpus's owner
    assert rows(db, "SELECT i.team, f.source FROM incidents i JOIN field_sources f USING (incident_id) "
                    "WHERE f.field = 'team' AND incident_id = ?", [narrative]) == [("voyages", "corpus")]


def test_two_incidents_reusing_an_id_are_an_error_naming_both_files(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    result = build([FIXTURES / "id_clash" / "corpus"], db, analysis=False, jobs=1)

    assert result.incidents_loaded == 1
    (failure,) = result.files_failed
    assert failure["path"] == "2025-06-11-driver-app-login-loop.md"
    assert "duplicate incident id 'INC-507'" in failure["reason"]
    assert "2024-02-20-search-index-lag.md (2024-02-20)" in failure["reason"]
    assert "2025-06-11-driver-app-login-loop.md (2025-06-11)" in failure["reason"]
    assert rows(db, "SELECT source_path FROM incident_sources") == [("2024-02-20-search-index-lag.md",)]


def test_same_incident_rule() -> None:
    def w(start: str | None, end: str | None = None) -> Window:
        row = {"started_at": start and datetime.fromisoformat(start), "resolved_at": end and datetime.fromisoformat(end)}
        return Window.of(row)

    assert same_incident(w("2024-01-01T10:00", "2024-01-01T12:00"), w("2024-01-01T11:00"))  # overlap
    assert same_incident(w("2024-01-01T10:00"), w(f"2024-01-{1 + MAX_DAYS_APART:02d}T23:00"))  # days apart
    assert not same_incident(w("2024-01-01T10:00"), w(f"2024-01-{2 + MAX_DAYS_APART:02d}T00:00"))
    assert same_incident(w(None), w("2030-01-01T00:00"))  # nothing says they differ
    assert Window.of({"incident_date": datetime(2024, 1, 1).date()}).start == datetime(2024, 1, 1)


def _staged(con: duckdb.DuckDBPyConnection, inc: Incident, staged: str) -> None:
    for table, table_rows in incident_rows(inc, None).rows.items():
        insert_rows(con, table, [(staged, *r[1:]) for r in table_rows])


def test_stated_beats_inferred_and_front_matter_beats_the_record(tmp_path: Path) -> None:
    page = Incident(
        "INC-1", "a.md", title="Page", severity="SEV3", started_at=datetime(2024, 5, 1, 10, 5),
        resolved_at=datetime(2024, 5, 1, 11, 0), services=["api"],
        sections=[Section("summary", "Summary", "Page prose.", 3)],
        timeline=[TimelineEvent(datetime(2024, 5, 1, 10, 5), "10:05", "errors begin", 9)],
        action_items=[ActionItem("Add an alert", ticket="OPS-1"), ActionItem("Write a runbook")],
        field_sources={"severity": FieldSource("front_matter", 4), "started_at": FieldSource("timeline", 9),
                       "resolved_at": FieldSource("timeline", 12), "services": FieldSource("metadata", 6)},
    )
    record = Incident(
        "INC-1", "x.jsonl:3", title="Record", severity="SEV2", started_at=datetime(2024, 5, 1, 10, 0),
        resolved_at=None, services=["api", "db"], team="core", source_format="jsonl",
        timeline=[TimelineEvent(datetime(2024, 5, 1, 10, 5), "10:05", "Errors begin ")],
        action_items=[ActionItem("add an  alert", owner="ann"), ActionItem("Fix pool sizing", ticket="ops-1")],
        field_sources={"started_at": FieldSource("record"), "severity": FieldSource("record"),
                       "services": FieldSource("record"), "team": FieldSource("record")},
    )
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    schema.create_schema(con)
    _staged(con, page, "INC-1")
    _staged(con, record, staged_id("INC-1", "x.jsonl:3"))

    errors, not_reusable = link_write_ups(
        con, {"INC-1": [WriteUp("INC-1", "a.md", "a.md"), WriteUp(staged_id("INC-1", "x.jsonl:3"), "x.jsonl:3", "x.jsonl")]},
        INCIDENT_TABLES,
    )

    assert errors == [] and not_reusable == {"a.md", "x.jsonl"}
    assert con.execute("SELECT title, severity, started_at, resolved_at, team FROM incidents").fetchall() == [
        # severity: front matter beats the record; start: the record (stated) beats the page's
        # timeline (inferred); resolution: only the page has one; team: only the record.
        ("Page", "SEV3", datetime(2024, 5, 1, 10, 0), datetime(2024, 5, 1, 11, 0), "core"),
    ]
    assert con.execute("SELECT field, source FROM parsed_field_sources ORDER BY field").fetchall() == [
        ("resolved_at", "timeline"), ("services", "metadata"), ("severity", "front_matter"),
        ("started_at", "record"), ("team", "record"),
    ]
    assert con.execute("SELECT name FROM stated_services ORDER BY seq").fetchall() == [("api",)]  # metadata over record
    # identical event and item (case and spacing aside), and one ticket: kept once, gaps filled
    assert con.execute("SELECT count(*) FROM timeline_events").fetchone() == (1,)
    assert con.execute("SELECT seq, text, owner, ticket FROM action_items ORDER BY seq").fetchall() == [
        (0, "Add an alert", "ann", "OPS-1"), (1, "Write a runbook", None, None),
    ]
    assert con.execute("SELECT source_path, rank, event_seqs, item_seqs FROM incident_sources ORDER BY rank").fetchall() == [
        ("a.md", 0, [0], [0, 1]), ("x.jsonl:3", 1, [0], [0, 0]),
    ]


def test_look_alike_write_ups_without_a_shared_id_are_listed_not_merged(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    build([corpus], db, catalogs=[CATALOG], analysis=False, jobs=1)
    gh = rows(db, "SELECT incident_id FROM incident_sources WHERE source_path = '2025-01-08-gh-ticketing-timeouts.md'")[0][0]
    # same service, overlapping times, the same words; the certificate incident two weeks later is not listed
    assert rows(db, "SELECT incident_id, other_id, shared_services, hours_apart FROM possible_duplicates") == [
        ("TW-2025-003", gh, ["ticketing-api"], 0.0),
    ]
    assert rows(db, "SELECT similarity > 0.5 FROM possible_duplicates") == [(True,)]
    assert rows(db, "SELECT count(*) FROM incidents WHERE incident_id IN ('TW-2025-003', ?)", [gh]) == [(2,)]


def test_changing_one_write_up_of_a_merged_pair_rebuilds_like_a_fresh_build(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    build([corpus], db, catalogs=[CATALOG], analysis=False, jobs=1)
    export = corpus / "exports" / "incidents.jsonl"
    export.write_text(export.read_text(encoding="utf-8").replace('"severity": "major"', '"severity": "critical"'), encoding="utf-8")
    page = corpus / PAGE
    page.write_text(page.read_text(encoding="utf-8").replace("severity: SEV2\n", ""), encoding="utf-8")

    again = build([corpus], db, catalogs=[CATALOG], analysis=False, jobs=1)

    assert again.files_parsed == 2  # the pair; everything else is reused
    assert rows(db, "SELECT severity FROM incidents WHERE incident_id = 'INC-912'") == [("SEV1",)]  # only the export states it now
    fresh = tmp_path / "fresh.duckdb"
    build([corpus], fresh, catalogs=[CATALOG], analysis=False, jobs=1)
    assert contents(db) == contents(fresh)


def test_a_reused_file_whose_id_a_new_write_up_shares_is_merged(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    build([corpus], db, catalogs=[CATALOG], analysis=False, jobs=1)
    (corpus / "2025-01-07-status-note.md").write_text(
        "---\nid: TW-2025-003\nstarted_at: 2025-01-07T12:00:00Z\n---\n# Status page note\n\nCheckout timeouts.\n",
        encoding="utf-8",
    )

    again = build([corpus], db, catalogs=[CATALOG], analysis=False, jobs=1)

    assert again.files_parsed == 4  # the new note, the file it shares an id with, and the INC-912 pair
    assert rows(db, "SELECT count(*) FROM incident_sources WHERE incident_id = 'TW-2025-003'") == [(2,)]
    fresh = tmp_path / "fresh.duckdb"
    build([corpus], fresh, catalogs=[CATALOG], analysis=False, jobs=1)
    assert contents(db) == contents(fresh)


def test_a_changed_catalog_resolves_again_without_parsing(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    catalog = tmp_path / "catalog-info.yaml"
    shutil.copy(CATALOG, catalog)
    build([corpus], db, catalogs=[catalog], analysis=False, jobs=1)
    narrative = rows(db, "SELECT incident_id FROM incident_sources WHERE source_path = ?", [NARRATIVE])[0][0]
    assert rows(db, "SELECT team FROM incidents WHERE incident_id = ?", [narrative]) == [("voyages",)]

    catalog.write_text(catalog.read_text(encoding="utf-8").replace("owner: group:default/voyages", "owner: group:platform-ops"), encoding="utf-8")
    again = build([corpus], db, catalogs=[catalog], analysis=False, jobs=1)

    assert again.files_parsed == 2  # the INC-912 pair only: a catalog change needs no parsing
    assert rows(db, "SELECT team FROM incidents WHERE incident_id = ?", [narrative]) == [("platform-ops",)]
    fresh = tmp_path / "fresh.duckdb"
    build([corpus], fresh, catalogs=[catalog], analysis=False, jobs=1)
    assert contents(db) == contents(fresh)
    unchanged = build([corpus], db, catalogs=[catalog], analysis=False, jobs=1)
    assert unchanged.files_parsed == 0  # same files, same catalog: the previous database, copied


def test_duplicate_rules_are_data_and_a_date_alone_covers_its_day(tmp_path: Path) -> None:
    rules = load_duplicate_rules()
    assert rules.max_gap_hours == 1.0 and rules.min_similarity == 0.4 and "the" in rules.stop_words
    bad = tmp_path / "duplicates.toml"
    bad.write_text("max_gap_hours = 'soon'\n", encoding="utf-8")
    with pytest.raises(ValueError, match="duplicates.toml: cannot read the duplicate rules"):
        load_duplicate_rules(bad)

    con = duckdb.connect(str(tmp_path / "d.duckdb"))
    schema.create_schema(con)
    text = "Ferry tickets could not be bought: the Ticketing API rejected every card payment"
    for iid, day, start, end in [
        ("A", "2025-03-01", None, None),  # a date only: all of 1 March
        ("B", "2025-03-01", "2025-03-01 17:00", "2025-03-01 18:00"),
        ("C", "2025-03-01", "2025-03-01 19:30", None),  # 1.5 h after B ends: too far from B, within A's day
        ("D", "2025-03-02", "2025-03-02 09:00", None),  # the next morning: too far from A's day
    ]:
        con.execute("INSERT INTO incidents (incident_id, source_path, source_format, incident_date, started_at, resolved_at, title) "
                    "VALUES (?, ?, 'markdown', ?, ?, ?, ?)", [iid, f"{iid}.md", day, start, end, text])
        con.execute("INSERT INTO incident_services VALUES (?, 'ticketing-api')", [iid])
    assert find_possible_duplicates(con) == 2
    assert con.execute("SELECT incident_id, other_id, hours_apart, similarity FROM possible_duplicates ORDER BY ALL").fetchall() == [
        ("A", "B", 0.0, 1.0), ("A", "C", 0.0, 1.0),
    ]


def test_stated_names_that_hold_a_catalog_name_resolve_to_it() -> None:
    from pipelines.build.resolve import Resolver
    from pipelines.parsing.catalog import read_catalog
    from pipelines.parsing.names import load_rules

    catalog = read_catalog(CATALOG.read_text(encoding="utf-8"), "catalog-info.yaml")
    stated = {"a": (["ticketing-api checkout flow", "Fare Engine and the Berth Planner"], "Harbour on-call, Platform Operations")}
    r = Resolver(catalog, stated, load_rules())
    got = r.resolve(*stated["a"], prose=[], sources={})
    assert got.services == ["ticketing-api", "fare-engine", "berth-planner"]
    assert (got.team, got.team_source) == ("platform-ops", ("front_matter", None))
    assert r.services("Seat Maps") == ["Seat Maps"] and r.team("Finance") == "Finance"  # unknown: as written
