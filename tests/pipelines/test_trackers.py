"""Tracker exports (issue 13): each reader on our own fixtures (tests/fixtures/tracker), recognition
by content, the status map, bad files, and the build's matching (by key, #N, URL, title), one
record per ticket cited twice, unreferenced records, the effective status and closed_at."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.build.run import UsageError, build
from pipelines.parsing.trackers import (
    TrackerError,
    load_tracker_words,
    read_tracker_bytes,
    read_tracker_file,
    status_of,
)
from pipelines.parsing.trackers.status import DEFAULT_STATUS_PATH
from pipelines.parsing.trackers.times import parse_time
from pipelines.model import ACTION_STATUSES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tracker"
POSTMORTEMS = FIXTURES / "postmortems"
JIRA, GITHUB = FIXTURES / "jira.csv", FIXTURES / "github_issues.json"
INCIDENTIO, DISPATCH = FIXTURES / "incidentio_followups.json", FIXTURES / "dispatch_tasks.csv"


def by_key(records):
    return {r.key: r for r in records}


# ------------------------------------------------------------------ readers


def test_jira_is_read_by_position_keeping_every_repeated_labels_column():
    records = by_key(read_tracker_file(JIRA))
    assert len(records) == 6
    # Three `Labels` columns: the third value ('fulfilment') is not lost to a dict reader.
    assert records["OPS-101"].incident_ref == "inc-7001"
    assert records["OPS-101"].title == "Pin broker client library versions in all consumers"
    assert records["OPS-101"].priority == "High" and records["OPS-101"].assignee == "Nadia Haddad"


def test_jira_dates_and_iso_dates_become_naive_utc():
    records = by_key(read_tracker_file(JIRA))
    assert records["OPS-101"].created_at == datetime(2025, 3, 10, 15, 4)
    assert records["OPS-101"].closed_at == datetime(2025, 3, 20, 9, 10)
    # ISO with +02:00 -> UTC
    assert records["SHOP-7"].created_at == datetime(2025, 4, 3, 7, 0)
    assert records["SHOP-7"].closed_at == datetime(2025, 4, 20, 8, 0)
    assert parse_time("02/Jan/25 3:04 PM") == datetime(2025, 1, 2, 15, 4)
    assert parse_time("02/JAN/2025 12:04 AM") == datetime(2025, 1, 2, 0, 4)
    assert parse_time("2025-01-02T15:04:05.123Z") == datetime(2025, 1, 2, 15, 4, 5)
    assert parse_time("") is None


def test_jira_statuses_and_resolutions():
    records = by_key(read_tracker_file(JIRA))
    assert records["OPS-101"].status == "done"
    assert records["SHOP-7"].status == "wont_fix"  # Closed / Won't Do
    assert records["WH-55"].status == "wont_fix"  # Resolved / Duplicate
    assert records["WH-56"].status == "done"
    assert records["WH-90"].status == "open" and records["WH-90"].closed_at is None
    # A custom workflow name the bundled map does not know, no resolution, no Resolved date: open.
    assert records["OPS-102"].status == "open"
    assert records["OPS-102"].status_raw == "Awaiting Deploy"


def test_a_teams_status_map_adds_custom_workflow_names():
    words = load_tracker_words(FIXTURES / "tracker_status_extra.toml")
    assert by_key(read_tracker_file(JIRA, words))["OPS-102"].status == "in_progress"
    assert status_of("Awaiting deploy", words) == "in_progress"


def test_github_states_reasons_and_labels():
    records = by_key(read_tracker_file(GITHUB))
    assert records["#12"].status == "done" and records["#12"].closed_at == datetime(2025, 4, 25, 16, 20)
    assert records["#13"].status == "in_progress" and records["#13"].closed_at is None  # status/in-progress label
    assert records["#14"].status == "wont_fix"  # NOT_PLANNED
    assert records["#15"].status == "open"
    assert records["#12"].url == "https://github.com/acme/ops/issues/12"
    assert records["#12"].assignee == "nadia-h"


def test_incidentio_follow_ups_take_their_external_issue_key():
    records = read_tracker_file(INCIDENTIO)
    assert [r.key for r in records] == ["WH-55", "01HFU2", "01HFU3"]
    assert [r.status for r in records] == ["done", "open", "wont_fix"]
    assert records[0].aliases == ["01HFU1", "https://acme.atlassian.net/browse/WH-55"] == [*records[0].aliases[:1], records[0].url]
    assert records[1].created_at == datetime(2025, 6, 21, 6, 40)  # +02:00 -> UTC
    assert records[0].assignee == "Lena Vogel" and records[0].priority == "Medium"


def test_dispatch_tasks_have_no_key_and_match_by_title():
    records = read_tracker_file(DISPATCH)
    assert [(r.key, r.status) for r in records] == [(None, "done"), (None, "in_progress")]
    assert records[0].title == "Add a spare print server at every warehouse site"
    assert records[0].closed_at == datetime(2025, 7, 20, 17, 30) and records[1].closed_at is None
    assert records[0].record_id.startswith("dispatch:")


@pytest.mark.parametrize("path", [JIRA, GITHUB, INCIDENTIO, DISPATCH])
def test_formats_are_recognised_by_content_not_by_name(path: Path):
    named_wrong = read_tracker_bytes(path.read_bytes(), "export.txt")
    assert [r.key for r in named_wrong] == [r.key for r in read_tracker_file(path)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"Summary,Issue key,Issue id,Issue Type,Status,Created\nX,OPS-1,1,Task,Done,31/Foo/25 3:04 PM\n", "row 1: column 'Created'"),
        (b"a,b,c\n1,2,3\n", "not a tracker export"),
        (b'[{"number": 1, "state": "MERGED", "title": "x"}]', "issue 1 (#1): state 'MERGED'"),
        (b'[{"id": "a", "incident_id": "i", "title": "t", "status": "frobbed"}]', "follow-up 1 (a): unknown status 'frobbed'"),
        (b'{"not": "a list"}', "not a list of issues"),
        (b"[1, 2]", "item 1: not a JSON object"),
        (b"[{\"x\": 1", "line 1: not valid JSON"),
        (b"", "the file is empty"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_unreadable_files_name_the_file_and_the_row(data: bytes, expected: str):
    with pytest.raises(TrackerError) as e:
        read_tracker_bytes(data, "exports/tracker.csv")
    assert str(e.value).startswith("exports/tracker.csv: ") and expected in str(e.value)


def test_bad_jira_fixture_names_its_row():
    with pytest.raises(TrackerError, match=r"bad_jira\.csv: row 2: column 'Created'"):
        read_tracker_file(FIXTURES / "bad_jira.csv")


def test_the_status_map_is_valid_and_covers_the_usual_names():
    words = load_tracker_words()
    assert set(words.status.values()) | set(words.resolution.values()) <= set(ACTION_STATUSES)
    for name, status in {"Done": "done", "Closed": "closed", "In Progress": "in_progress", "To Do": "open",
                         "Backlog": "open", "Won't Do": "wont_fix", "not_planned": "wont_fix"}.items():
        assert status_of(name, words) == (status if status in ACTION_STATUSES else "done"), name
    assert words.resolution["duplicate"] == "wont_fix" and words.resolution["won't fix"] == "wont_fix"
    assert 0 < words.fuzzy_threshold <= 1
    assert DEFAULT_STATUS_PATH.name == "tracker_status.toml"


def test_a_bad_status_map_is_refused(tmp_path: Path):
    bad = tmp_path / "map.toml"
    bad.write_text('[status]\nfinished = ["shipped"]\n')
    with pytest.raises(ValueError, match="keys are open, in_progress, done, wont_fix"):
        load_tracker_words(bad)


# ------------------------------------------------------------------ the build


@pytest.fixture(scope="module")
def synced(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("tracker") / "t.duckdb"
    build([POSTMORTEMS], db, trackers=[JIRA, GITHUB], analysis=False, jobs=1)
    return db


def items(db: Path) -> dict[str, dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("""
            SELECT a.incident_id, a.text, a.ticket, a.doc_status, a.tracker_status, a.status, a.closed_at, a."match",
                   a.tracker_record, a.created_at
            FROM action_items a ORDER BY a.incident_id, a.seq
        """).fetchall()
    finally:
        con.close()
    cols = ("incident_id", "text", "ticket", "doc_status", "tracker_status", "status", "closed_at", "match", "record", "created_at")
    return Items({f"{r[0]}:{r[1]}": dict(zip(cols, r)) for r in rows})


class Items(dict):
    """Items by 'INCIDENT:text'; looked up by 'INCIDENT:start of the text'."""

    def __getitem__(self, prefix: str) -> dict:
        found = [v for k, v in self.items() if k.startswith(prefix)]
        assert len(found) == 1, (prefix, list(self))
        return found[0]


def records(db: Path) -> dict[str, dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        df = con.execute('SELECT * FROM tracker_records ORDER BY record_id').df()
    finally:
        con.close()
    return {r["record_id"]: r for r in df.to_dict(orient="records")}


def test_items_match_by_jira_key_and_take_the_trackers_status(synced: Path):
    got = items(synced)
    pin = got["INC-7001:Pin the broker client libr"]
    assert (pin["match"], pin["record"], pin["doc_status"], pin["status"]) == ("key", "jira:OPS-101", "done", "done")
    assert pin["closed_at"] == datetime(2025, 3, 20, 9, 10) and pin["created_at"] == datetime(2025, 3, 10, 15, 4)
    sale = got["INC-7002:Move the sale banner flag"]
    assert (sale["doc_status"], sale["tracker_status"], sale["status"]) == ("open", "wont_fix", "wont_fix")
    assert sale["closed_at"] == datetime(2025, 4, 20, 8, 0)


def test_github_number_and_url_match_the_issue(synced: Path):
    got = items(synced)
    runbook = got["INC-7001:Write a rollback runbook "]
    assert (runbook["ticket"], runbook["match"], runbook["doc_status"], runbook["status"]) == ("#12", "key", "in_progress", "done")
    autoscale = got["INC-7002:Autoscale consumers on la"]
    assert (autoscale["ticket"], autoscale["record"], autoscale["status"], autoscale["closed_at"]) == ("#13", "github:#13", "in_progress", None)


def test_one_ticket_in_two_postmortems_is_one_record(synced: Path):
    got, recs = items(synced), records(synced)
    cited = [i for i in got.values() if i["record"] == "jira:OPS-102"]
    assert {i["incident_id"] for i in cited} == {"INC-7001", "INC-7002"}
    assert recs["jira:OPS-102"]["items"] == 2 and recs["jira:OPS-102"]["referenced"]
    assert sum(1 for r in recs.values() if r["key"] == "OPS-102") == 1


def test_items_without_a_ticket_match_by_similar_title_as_fuzzy(synced: Path):
    got = items(synced)
    load = got["INC-7001:Load test consumers again"]
    assert (load["match"], load["record"], load["status"]) == ("fuzzy", "github:#14", "wont_fix")
    spare = got["INC-7003:Add a spare print server "]
    assert (spare["match"], spare["record"], spare["status"]) == ("fuzzy", "jira:WH-56", "done")
    lonely = got["INC-7001:Document the queue partit"]
    assert (lonely["match"], lonely["tracker_status"], lonely["status"]) == (None, None, "open")


def test_records_no_postmortem_cites_are_listed_as_unreferenced(synced: Path):
    recs = records(synced)
    assert len(recs) == 10
    assert sorted(r["key"] for r in recs.values() if not r["referenced"]) == ["#15", "WH-90"]
    assert recs["jira:WH-90"]["source_path"] == str(JIRA) and recs["jira:WH-90"]["row"] == 6


def test_same_key_in_jira_and_incidentio_prefers_jira_and_references_both(tmp_path: Path):
    db = tmp_path / "t.duckdb"
    result = build([POSTMORTEMS], db, trackers=[INCIDENTIO, JIRA, DISPATCH], analysis=False, jobs=1)
    got, recs = items(db), records(db)
    assert got["INC-7003:Track the print server ce"]["record"] == "jira:WH-55"
    assert recs["incident_io:WH-55"]["referenced"] and recs["incident_io:WH-55"]["items"] == 0
    assert result.tracker["records"] == len(recs) == 11
    assert result.trackers == [str(INCIDENTIO), str(JIRA), str(DISPATCH)]


def test_a_bad_tracker_file_publishes_nothing(tmp_path: Path):
    db = tmp_path / "t.duckdb"
    build([POSTMORTEMS], db, analysis=False, jobs=1)
    before = db.read_bytes()
    with pytest.raises(UsageError, match=r"bad_jira\.csv: row 2: column 'Created'.*nothing was published"):
        build([POSTMORTEMS], db, trackers=[JIRA, FIXTURES / "bad_jira.csv"], analysis=False, jobs=1)
    assert db.read_bytes() == before
    with pytest.raises(UsageError, match="cannot read the tracker file"):
        build([POSTMORTEMS], db, trackers=[tmp_path / "missing.csv"], analysis=False, jobs=1)


def test_a_changed_tracker_file_is_seen_by_the_next_build(tmp_path: Path):
    tracker = tmp_path / "issues.json"
    shutil.copy(GITHUB, tracker)
    db = tmp_path / "t.duckdb"
    build([POSTMORTEMS], db, trackers=[tracker], analysis=False, jobs=1)
    same = build([POSTMORTEMS], db, trackers=[tracker], analysis=False, jobs=1)
    assert same.files_parsed == 0 and same.tracker["records"] == 4  # republished as it was
    issues = json.loads(tracker.read_text())
    issues[1].update(state="CLOSED", stateReason="COMPLETED", closedAt="2025-05-01T10:00:00Z")
    tracker.write_text(json.dumps(issues))
    build([POSTMORTEMS], db, trackers=[tracker], analysis=False, jobs=1)
    got = items(db)["INC-7002:Autoscale consumers on la"]
    assert (got["status"], got["closed_at"]) == ("done", datetime(2025, 5, 1, 10, 0))
    # Dropping the tracker: back to what the documents say, even for reused rows.
    build([POSTMORTEMS], db, analysis=False, jobs=1)
    got = items(db)["INC-7002:Autoscale consumers on la"]
    assert (got["status"], got["tracker_status"], got["match"], got["closed_at"]) == ("open", None, None, None)


def test_cli_reads_hindsight_tracker_from_the_environment(tmp_path: Path, monkeypatch, capsys):
    from pipelines import cli

    monkeypatch.setenv("HINDSIGHT_TRACKER", f"{JIRA}{__import__('os').pathsep}{GITHUB}")
    db = tmp_path / "t.duckdb"
    assert cli.main(["build", str(POSTMORTEMS), "--db", str(db), "--no-analysis", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["tracker"] == {"records": 10, "matched_key": 7, "matched_fuzzy": 2, "unreferenced": 2}
    assert cli.main(["build", str(POSTMORTEMS), "--db", str(db), "--no-analysis", "--tracker", str(GITHUB)]) == 0
    out = capsys.readouterr().out
    assert "Tracker: 4 records" in out and "not referenced by any postmortem" in out


# ------------------------------------------------------------------ the generator


def test_generated_corpus_comes_with_matching_tracker_exports(tmp_path: Path):
    from pipelines.synthetic.generate import generate

    generate(tmp_path, 40, 5)
    tracker = tmp_path / "tracker"
    header = (tracker / "jira.csv").read_text().splitlines()[0].split(",")
    assert header.count("Labels") == 2
    truth = [json.loads(line) for line in (tracker / "truth_tracker.jsonl").read_text().splitlines()]
    assert truth and {t["tracker_status"] for t in truth} <= set(ACTION_STATUSES)
    db = tmp_path / "g.duckdb"
    result = build([tmp_path / "postmortems"], db, trackers=[tracker / "jira.csv", tracker / "github_issues.json"],
                   analysis=False, jobs=1)
    assert result.tracker["matched_key"] > 0 and result.tracker["unreferenced"] >= 1
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = dict(con.execute("""SELECT r."key", a.status FROM action_items a JOIN tracker_records r
                                   ON r.record_id = a.tracker_record WHERE a."match" = 'key'""").fetchall())
    finally:
        con.close()
    want = {t["ticket"]: t["tracker_status"] for t in truth}
    assert got and all(want[k] == v for k, v in got.items())


def test_an_edited_team_status_map_is_seen_by_the_next_build(tmp_path: Path, monkeypatch):
    extra = tmp_path / "map.toml"
    extra.write_text("[status]\nopen = []\n")
    monkeypatch.setenv("HINDSIGHT_TRACKER_STATUS", str(extra))
    db = tmp_path / "t.duckdb"
    build([POSTMORTEMS], db, trackers=[JIRA], analysis=False, jobs=1)
    assert items(db)["INC-7001:Page on consumer lag"]["status"] == "open"
    extra.write_text('[status]\nin_progress = ["awaiting deploy"]\n')
    build([POSTMORTEMS], db, trackers=[JIRA], analysis=False, jobs=1)
    assert items(db)["INC-7001:Page on consumer lag"]["status"] == "in_progress"
    extra.write_text('[status]\nnearly = ["x"]\n')
    with pytest.raises(UsageError, match="HINDSIGHT_TRACKER_STATUS"):
        build([POSTMORTEMS], db, trackers=[JIRA], analysis=False, jobs=1)
