"""The parse-accuracy scorer (bench/parse_accuracy.py) on tiny hand-made truth and parsed records.

Every expected share below was counted by hand from the records in this file, so a scorer bug
(a wrong normalisation, a miss not counted, a field scored where it does not apply) shows up
as a wrong fraction. No build and no ../shared: the database case is a hand-made DuckDB file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))  # bench/ holds scripts, not a package

import parse_accuracy as pa  # noqa: E402
import truth_schema  # noqa: E402
from hindsight_db import csv_record_lines, source_key  # noqa: E402

ALL_FIELDS = {
    "title", "date", "severity", "services", "team", "team_effective", "started_at", "detected_at", "resolved_at",
    "timeline_events", "sections_present", "action_items", "owner", "due", "status", "ticket", "blameful",
}
OWNERS = {"queue": "data", "api": "core"}  # a catalog: service -> owning group

TRUTH = [
    {
        "file": "a.md", "title": "Disk  full on api", "date": "2024-01-02", "severity": "SEV2",
        "services": ["api", "db"], "team": "core", "started_at": "2024-01-02T10:00:00Z",
        "detected_at": None, "resolved_at": "2024-01-02T11:00:00Z", "timeline_events": 3,
        "sections_present": ["summary", "timeline", "action_items"],
        "action_items": [
            {"text_start": "Add disk alerts on every", "owner": "ann", "due": "2024-02-01", "status": "open", "ticket": "OPS-1"},
            {"text_start": "Rotate logs daily", "owner": None, "due": None, "status": "done", "ticket": None},
        ],
        "blameful": False,
    },
    {
        "file": "exports/x.csv:1", "title": "Queue backlog", "date": "2024-03-04", "severity": None,
        "services": ["queue"], "team": None, "started_at": None, "detected_at": None, "resolved_at": None,
        "timeline_events": 0, "sections_present": ["summary"], "action_items": [], "blameful": True,
    },
    {
        "file": "c.md", "title": "Lost", "date": "2024-05-06", "severity": "SEV1", "services": ["web"],
        "team": "edge", "started_at": "2024-05-06T01:00:00Z", "detected_at": "2024-05-06T01:10:00Z",
        "resolved_at": "2024-05-06T02:00:00Z", "timeline_events": 4, "sections_present": ["summary"],
        "action_items": [{"text_start": "Fix it", "owner": "x", "due": None, "status": "open", "ticket": None}],
        "blameful": False,
    },
]

PARSED = {
    "a.md": {
        "title": "Disk full on api", "date": "2024-01-02", "severity": "SEV2", "services": ["DB", "api"],
        "team": "Core", "team_effective": "core", "started_at": "2024-01-02T10:00Z", "detected_at": "2024-01-02T10:05Z",
        "resolved_at": "2024-01-02T11:00Z", "timeline_events": 3,
        "sections_present": ["summary", "detection", "timeline", "action_items"],  # detection is not scored
        "action_items": [
            {"text": "- [ ] **Add disk alerts** on every host", "owner": "@ann", "due": "2024-02-01", "status": "open", "ticket": "OPS-1"},
            {"text": "Rotate logs daily", "owner": "bob", "due": None, "status": "open", "ticket": None},
        ],
        "blameful": False,
    },
    "exports/x.csv:1": {
        "title": "Queue backlog", "date": None, "severity": None, "services": [], "team": None,
        "team_effective": "data", "started_at": None, "detected_at": None, "resolved_at": None, "timeline_events": 0,
        "sections_present": ["summary"], "action_items": [], "blameful": False,
    },
    "c.md": None,  # not loaded
}

# Counted by hand: which of a.md, x.csv:1, c.md is right (c.md, not loaded, is wrong everywhere).
EXPECTED = {
    "title": (2, 3),            # whitespace collapsed: a ok; x ok
    "date": (1, 3),             # x has no date
    "severity": (2, 3),         # x: null == null
    "services": (1, 3),         # a: case-insensitive set; x: [] != [queue]
    "team": (2, 3),             # a: Core == core; x: null == null
    "team_effective": (2, 3),   # a: core; x: no team named, the catalog owner of queue is data
    "started_at": (2, 3),
    "detected_at": (1, 3),      # a: truth null, parsed a time
    "resolved_at": (2, 3),
    "times": (5, 9),
    "timeline_events": (2, 3),
    "sections_present": (2, 3),
    "section keys": (16, 24),   # 8 keys each; c all wrong
    "action_items": (2, 3),     # a 2 == 2, x 0 == 0
    "item found": (2, 3),       # a's two found, c's one not
    "owner": (1, 3),            # a1 '@ann' ok, a2 bob vs null, c unmatched
    "due": (2, 3),
    "status": (1, 3),           # a2 open vs done
    "ticket": (2, 3),
    "blameful": (1, 3),         # x should be blameful
}


def test_hand_counted_shares() -> None:
    scores = pa.score(TRUTH, PARSED, ALL_FIELDS, {"c.md": "parse error"}, OWNERS)
    got = {name: (s.correct, s.n) for name, s in scores.items()}
    assert got == EXPECTED
    assert scores["team"].share == pytest.approx(2 / 3)
    lost = [m for m in scores["title"].misses if m["file"] == "c.md"]
    assert lost == [{"file": "c.md", "expected": "Lost", "got": "not loaded: parse error"}]
    assert scores["owner"].misses[0] == {
        "file": "a.md [Rotate logs daily]", "expected": None, "got": "bob",
    }


def test_a_field_the_database_lacks_is_not_available_not_wrong() -> None:
    scores = pa.score(TRUTH, PARSED, ALL_FIELDS - {"ticket"})
    assert not scores["ticket"].available and scores["ticket"].share is None
    table = pa.summary(scores, with_misses=False)
    assert table["ticket"]["note"] == "not available"
    assert table["owner"]["share"] == round(1 / 3, 4)


def test_a_field_the_truth_lacks_is_not_scored() -> None:
    truth = [{k: v for k, v in TRUTH[0].items() if k != "timeline_events"}]
    scores = pa.score(truth, PARSED, ALL_FIELDS)
    assert scores["timeline_events"].n == 0
    assert pa.summary(scores, with_misses=False)["timeline events"]["note"] == "n/a"
    assert (scores["title"].correct, scores["title"].n) == (1, 1)


def test_items_match_in_order_and_each_parsed_item_once() -> None:
    truth = [{"text_start": "Add alert"}, {"text_start": "Add alert"}, {"text_start": "Fix the thing"}]
    parsed = [
        {"text": "* Add alert for disk"},
        {"text": "1. [x] Fix [the](https://x) thing now"},
        {"text": "Add  alert for memory"},
    ]
    assert pa.match_items(truth, parsed) == [0, 2, 1]
    assert pa.match_items([{"text_start": "Drop the cache"}], parsed) == [None]
    assert pa.plain("- [x] __Move__ [`TC-1`](https://t/1) to   done") == "move `tc-1` to done"


def test_generator_truth_becomes_devset_records() -> None:
    g = {
        "incident_id": "INC-1", "source_path": "exports/legacy.csv:7", "template": "prose", "format": "csv",
        "title": "T", "services": ["a"], "team": "t", "severity": "SEV3",
        "started_at": None, "detected_at": "2024-01-01T00:05:00", "resolved_at": None,
        "true_started_at": "2023-12-31T23:50:00", "true_resolved_at": "2024-01-01T01:00:00",
        "action_items": [{"text": "Write the runbook for the failover of the primary", "owner": None,
                          "due_date": "2024-02-01", "status": "done", "priority": None, "kind": None,
                          "ticket": "OPS-9", "vague": False}],
        "blameful": False, "sections": ["summary", "root_cause", "resolution"],
    }
    assert truth_schema.detect_schema(g) == "generator"
    d = truth_schema.from_generator(g)
    assert d["source_key"] == "exports/legacy.csv:7"
    assert d["date"] == "2023-12-31" and d["started_at"] is None and d["detected_at"] == "2024-01-01T00:05:00Z"
    assert d["sections_present"] == ["root_cause"]  # resolution is no dev-set key; prose has no summary heading
    assert d["action_items"] == [{"text_start": "Write the runbook for the fail", "owner": None,
                                  "due": "2024-02-01", "status": "done", "ticket": "OPS-9"}]
    assert "timeline_events" not in d
    with pytest.raises(ValueError, match="unknown truth schema"):
        truth_schema.detect_schema({"id": 1})


def test_csv_rows_map_to_the_line_the_build_records(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "x.csv").write_text('id,body\n1,"two\nlines"\n\n2,plain\n3,x\n', encoding="utf-8")
    # Row 2 starts on line 5, but the build (checked by hand, `hindsight build` today) names the
    # blank line before it, line 4: the scorer must use the build's numbering to find the row.
    assert csv_record_lines(tmp_path / "exports" / "x.csv") == [2, 4, 6]
    assert source_key("exports/x.csv:2", tmp_path) == "exports/x.csv:4"
    assert source_key("exports/x.csv:9", tmp_path) == "exports/x.csv:row9?"
    assert source_key("exports/a.jsonl:3", tmp_path) == "exports/a.jsonl:3"
    assert source_key("2024-01-01-x.md", tmp_path) == "2024-01-01-x.md"


def _tiny_db(path: Path) -> None:
    """The tables the scorer reads, by hand: two write-ups merged into one incident, no ticket column."""
    con = duckdb.connect(str(path))
    con.execute("""
        CREATE TABLE incidents (incident_id VARCHAR, title VARCHAR, source_path VARCHAR, incident_date DATE,
            severity VARCHAR, team VARCHAR, started_at TIMESTAMP, detected_at TIMESTAMP, resolved_at TIMESTAMP);
        CREATE TABLE incident_services (incident_id VARCHAR, service VARCHAR);
        CREATE TABLE sections (incident_id VARCHAR, seq INTEGER, kind VARCHAR, heading VARCHAR);
        CREATE TABLE timeline_events (incident_id VARCHAR, seq INTEGER);
        CREATE TABLE action_items (incident_id VARCHAR, seq INTEGER, text VARCHAR, owner VARCHAR,
            due_date DATE, status VARCHAR);
        CREATE TABLE lint_findings (incident_id VARCHAR, rule VARCHAR, severity VARCHAR);
        CREATE TABLE ingest_errors (source_path VARCHAR, reason VARCHAR);
        CREATE TABLE incident_sources (incident_id VARCHAR, source_path VARCHAR, record INTEGER);
        INSERT INTO incidents VALUES
            ('I1', 'Disk full', 'a.md', '2024-01-02', 'SEV2', 'core',
             '2024-01-02 10:00:00', NULL, '2024-01-02 11:00:30');
        INSERT INTO incident_services VALUES ('I1', 'api');
        INSERT INTO sections VALUES ('I1', 0, 'summary', ''), ('I1', 1, 'timeline', 'Timeline'),
            ('I1', 2, 'other', 'Notes');
        INSERT INTO timeline_events VALUES ('I1', 0), ('I1', 1);
        INSERT INTO action_items VALUES ('I1', 0, 'Add alerts', 'ann', '2024-02-01', 'open');
        INSERT INTO lint_findings VALUES ('I1', 'blameless/judgement', 'info'), ('I1', 'blameless/human-error', 'warning');
        INSERT INTO ingest_errors VALUES ('b.md', 'not UTF-8');
        INSERT INTO incident_sources VALUES ('I1', 'a.md', NULL), ('I1', 'exports/x.jsonl', 4);
    """)
    con.close()


def test_database_reading_and_merged_sources(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    _tiny_db(db)
    truth = [{"file": "a.md", "title": "Disk full"}, {"file": "exports/x.jsonl:4", "title": "Disk full"},
             {"file": "b.md", "title": "B"}]
    parsed, available, why, n = pa.parsed_by_truth_file(truth, tmp_path, db)
    assert n == 1 and "ticket" not in available and "blameful" in available
    a = parsed["a.md"]
    assert parsed["exports/x.jsonl:4"] is a  # both write-ups score the merged incident
    assert parsed["b.md"] is None and why["b.md"] == "not UTF-8"
    assert a["sections_present"] == ["timeline", "other"]  # the unheaded summary is no section
    assert a["resolved_at"] == "2024-01-02T11:00Z" and a["detected_at"] is None
    assert a["timeline_events"] == 2 and a["blameful"] is True  # a warning counts, info does not
    assert a["action_items"] == [{"text": "Add alerts", "owner": "ann", "due": "2024-02-01", "status": "open"}]
    scores = pa.score(truth, parsed, available, why)
    assert (scores["title"].correct, scores["title"].n) == (2, 3)


def test_a_team_attributed_by_the_catalog_is_not_a_stated_team() -> None:
    # The document names no team; the truth says so by `team_from_catalog` (its team is the owner).
    truth = [dict(TRUTH[0], team="core", team_from_catalog=True)]
    parsed = {"a.md": dict(PARSED["a.md"], team=None, team_effective="core")}
    scores = pa.score(truth, parsed, ALL_FIELDS, owners=OWNERS)
    assert (scores["team"].correct, scores["team_effective"].correct) == (1, 1)
    # The build claims a stated team where the document names none: a miss for `team` only.
    parsed = {"a.md": dict(PARSED["a.md"], team="core", team_effective="core")}
    scores = pa.score(truth, parsed, ALL_FIELDS, owners=OWNERS)
    assert (scores["team"].correct, scores["team_effective"].correct) == (0, 1)
    assert pa.expected_teams({"team": None, "services": ["api"]}, OWNERS) == (None, "core")
    assert pa.expected_teams({"team": None, "services": ["api"]}, {}) == (None, None)


def test_catalog_owners_reads_group_owners_only(tmp_path: Path) -> None:
    cat = tmp_path / "catalog-info.yaml"
    cat.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: api}\nspec: {owner: 'group:default/core'}\n"
        "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: web}\nspec: {owner: 'user:ann'}\n"
        "---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: core}\n",
        encoding="utf-8",
    )
    assert pa.catalog_owners([cat]) == {"api": "core"}


def test_each_write_up_of_a_merged_incident_is_scored_on_its_own_rows(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    _tiny_db(db)
    con = duckdb.connect(str(db))
    # What the build writes: which rows each write-up contributed, and its own title.
    con.execute("""
        DROP TABLE incident_sources;
        CREATE TABLE incident_sources (incident_id VARCHAR, source_path VARCHAR, title VARCHAR,
            section_seqs INTEGER[], event_seqs INTEGER[], item_seqs INTEGER[]);
        INSERT INTO incident_sources VALUES ('I1', 'a.md', 'Disk full', [0, 1, 2], [0, 1], [0]),
            ('I1', 'exports/x.jsonl:4', 'Disk full on api-1', [1], [], [0]);
        CREATE TABLE field_sources (incident_id VARCHAR, field VARCHAR, source VARCHAR, line INTEGER);
        INSERT INTO field_sources VALUES ('I1', 'team', 'catalog', NULL);
    """)
    con.close()
    truth = [{"file": "a.md"}, {"file": "exports/x.jsonl:4"}]
    parsed, available, _, n = pa.parsed_by_truth_file(truth, tmp_path, db)
    a, x = parsed["a.md"], parsed["exports/x.jsonl:4"]
    assert n == 1 and "team_effective" in available
    assert (a["title"], x["title"]) == ("Disk full", "Disk full on api-1")
    assert (a["sections_present"], x["sections_present"]) == (["timeline", "other"], ["timeline"])
    assert (a["timeline_events"], x["timeline_events"]) == (2, 0)
    assert a["action_items"] == x["action_items"] == [{"text": "Add alerts", "owner": "ann", "due": "2024-02-01", "status": "open"}]
    # the incident's own fields are the merged ones, for both; the catalog's team is not stated
    assert a["severity"] == x["severity"] == "SEV2"
    assert (a["team"], a["team_effective"]) == (None, "core")
