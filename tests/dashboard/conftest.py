"""A tiny hand-written database whose answers we know, shared by every dashboard test.

Six incidents, 2025Q4..2026Q3 (latest incident 2026-09-01, so "this quarter" is 2026Q3):

  id      date        sev   team      services     ttd   ttr   compl  modes (pattern)              action items
  INC-1   2026-04-10  SEV1  payments  api, db      30m   4h    90     exhaustion (1)               done(alice) + open due 2026-05-01 (bob)
  INC-2   2026-05-20  SEV2  payments  api          10m   2h    60     exhaustion 0.6 (1), code 0.4 done(alice)
  INC-3   2026-07-05  SEV3  search    search       5m    1h    85     overload (2)                 open, no owner, no due
  INC-4   2026-08-15  SEV1  payments  api          1h    6h    70     exhaustion (1), by hand      open due 2026-08-01 (mallory)  RESTRICTED (security)
  INC-5   2026-09-01  SEV4  search    search       -     -     30     overload (2)                 none
  INC-6   2025-12-01  SEV2  infra     db           2h    10h   100    none (failover mentioned)    done(carol)

Failure modes: resource_exhaustion "Resource or quota exhaustion" (Capacity): INC-1, INC-2, INC-4, all
in pattern 1 "connection pool exhaustion"; overload "Traffic overload" (Capacity): INC-3, INC-5, pattern 2
"search indexing load"; code_deploy "Code change shipped a bug" (Change): INC-2 only, in no pattern (its
Unclustered bucket). INC-6 mentions replication_failover (weight 0: not one of its modes) and has none.
Repeats: INC-2 after INC-1 (resource_exhaustion, api, 40 days); INC-4 after INC-2 (resource_exhaustion, api,
87 days). Recurred after fix: INC-4 (INC-2's only item done, due 2026-06-01).

Where the values came from (field_sources; S = stated, I = inferred, - = no value):

  id      severity      started      detected     resolved     services     team
  INC-1   S front_m.    S front_m.   I timeline   I timeline   S metadata   S front_m.
  INC-2   S label       I timeline   I timeline   S record     I text       I catalog
  INC-3   S title       S front_m.   S front_m.   S front_m.   S front_m.   I corpus
  INC-4   S front_m.    S record     S record     S record     S record     S record
  INC-5   S front_m.    -            -            -            I text       I catalog
  INC-6   S front_m.    I timeline   I timeline   I timeline   S metadata   S front_m.

So of 6: severity 6 stated; start 3/2/1 (stated/inferred/missing); detection 2/3/1; resolution
3/2/1; services 4/2/0; team 3/3/0. Times to resolve: 5 (all but INC-5), 3 of them on an
inferred start or resolution (INC-1, INC-2, INC-6).
Possible duplicates: INC-1 ~ INC-4 (api, restricted INC-4), INC-3 ~ INC-5 (search).
INC-1 was written up twice: postmortems/INC-1.md and exports/tool.jsonl:3 (incident_sources).
With TODAY = 2026-09-30: overdue = INC-1's open item (152 days) and INC-4's (60 days).
INC-4's title, factors and action item mention "Vault breach" / "mallory": they must never show
for an anonymous viewer.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.build.schema import create_schema
from pipelines.build.summaries import write_summaries

TODAY = date(2026, 9, 30)
SECRET_TITLE = "Vault breach exposed signing keys"
SECRET_OWNER = "mallory"
SECRET_FACTOR = "Vault token leaked in a debug log"

INCIDENTS = [
    # id, title, date, started, detected, resolved, sev, team, restricted, allowed, completeness
    ("INC-1", "Checkout API connection pool exhausted", "2026-04-10", "2026-04-10 10:00", "2026-04-10 10:30", "2026-04-10 14:00", "SEV1", "payments", False, None, 90),
    ("INC-2", "Checkout API pool exhausted again", "2026-05-20", "2026-05-20 08:00", "2026-05-20 08:10", "2026-05-20 10:00", "SEV2", "payments", False, None, 60),
    ("INC-3", "Search index lag <script>alert(1)</script>", "2026-07-05", "2026-07-05 12:00", "2026-07-05 12:05", "2026-07-05 13:00", "SEV3", "search", False, None, 85),
    ("INC-4", SECRET_TITLE, "2026-08-15", "2026-08-15 00:00", "2026-08-15 01:00", "2026-08-15 06:00", "SEV1", "payments", True, ["security"], 70),
    ("INC-5", "Search autocomplete slow", "2026-09-01", None, None, None, "SEV4", "search", False, None, 30),
    ("INC-6", "Database failover took too long", "2025-12-01", "2025-12-01 00:00", "2025-12-01 02:00", "2025-12-01 10:00", "SEV2", "infra", False, None, 100),
]
SERVICES = [("INC-1", "api"), ("INC-1", "db"), ("INC-2", "api"), ("INC-3", "search"), ("INC-4", "api"), ("INC-5", "search"), ("INC-6", "db")]
ACTION_ITEMS = [
    # incident, seq, text, owner, due, status, priority, kind
    ("INC-1", 0, "Raise pool size", "alice", "2026-04-20", "done", "P1", "mitigate"),
    ("INC-1", 1, "Alert on pool saturation", "bob", "2026-05-01", "open", "P2", "detect"),
    ("INC-2", 0, "Add connection leak test", "alice", "2026-06-01", "done", "P1", "prevent"),
    ("INC-3", 0, "Document reindex runbook", None, None, "open", "P3", "process"),
    ("INC-4", 0, "Rotate signing keys held by mallory", SECRET_OWNER, "2026-08-01", "open", "P1", "prevent"),
    ("INC-6", 0, "Tune failover timeout", "carol", "2026-01-15", "done", "P2", "mitigate"),
]
FACTORS = [
    # incident, seq, text, section, pattern (theme_id), category (failure-mode class)
    ("INC-1", 0, "Connection pool too small for peak traffic", "root_cause", 1, "capacity"),
    ("INC-2", 0, "Connection leak exhausted the pool", "root_cause", 1, "capacity"),
    ("INC-2", 1, "The deploy that morning leaked connections", "root_cause", -1, "change"),
    ("INC-3", 0, "Index rebuild ran during peak hours", "root_cause", 2, "capacity"),
    ("INC-4", 0, SECRET_FACTOR, "root_cause", 1, "capacity"),
    ("INC-5", 0, "Cache warmup skipped under peak load", "root_cause", 2, "capacity"),
    ("INC-6", 0, "Failover timeout set to default", "root_cause", -1, "data"),
]
FAILURE_MODES = [
    ("resource_exhaustion", "capacity", "Capacity", "Resource or quota exhaustion", "A finite resource ran out."),
    ("overload", "capacity", "Capacity", "Traffic overload", "Demand exceeded capacity."),
    ("code_deploy", "change", "Change", "Code change shipped a bug", "A release introduced the defect."),
    ("replication_failover", "data", "Data", "Database replication or failover", "Replicas lagged or failover went wrong."),
]
INCIDENT_FAILURE_MODES = [
    # incident, mode, score, weight, source, evidence, phrases
    ("INC-1", "resource_exhaustion", 2.0, 1.0, "rules", ["Connection pool too small for peak traffic"], ["connection pool"]),
    ("INC-2", "resource_exhaustion", 3.0, 0.6, "rules", ["Connection leak exhausted the pool"], ["exhaust"]),
    ("INC-2", "code_deploy", 2.0, 0.4, "rules", ["The deploy that morning leaked connections"], ["deploy"]),
    ("INC-3", "overload", 2.0, 1.0, "rules", ["Index rebuild ran during peak hours"], ["peak"]),
    ("INC-4", "resource_exhaustion", 1.0, 1.0, "hand", [SECRET_FACTOR], ["leak"]),
    ("INC-5", "overload", 1.0, 1.0, "rules", ["Cache warmup skipped under peak load"], ["peak"]),
    ("INC-6", "replication_failover", 0.5, 0.0, "rules", ["Failover timeout set to default"], ["failover"]),
]
THEMES = [
    (1, "resource_exhaustion", "connection pool exhaustion", ["pool", "connection", "leak"], "Connection pool too small for peak traffic",
     ["Connection pool too small for peak traffic", "Connection leak exhausted the pool"], 3),
    (2, "overload", "search indexing load", ["index", "search", "peak"], "Index rebuild ran during peak hours",
     ["Index rebuild ran during peak hours"], 2),
    (-1, None, "Unclustered", [], None, [], 2),
]
INCIDENT_THEMES = [("INC-1", 1, 1.0), ("INC-2", 1, 0.6), ("INC-2", -1, 0.4), ("INC-3", 2, 1.0), ("INC-4", 1, 1.0), ("INC-5", 2, 1.0), ("INC-6", -1, 1.0)]
REPEATS = [("INC-2", "INC-1", "resource_exhaustion", "api", 40, 1), ("INC-4", "INC-2", "resource_exhaustion", "api", 87, 1)]
RELATED = [("INC-1", "INC-2", 1, 0.9), ("INC-1", "INC-4", 2, 0.8), ("INC-1", "INC-6", 3, 0.2), ("INC-3", "INC-5", 1, 0.5)]
SECTIONS = [
    ("INC-1", 0, "summary", "Summary", "The **checkout** API ran out of connections. <img src=x onerror='window.__pwned=1'> [click](javascript:window.__pwned=1) costs $5 and $6", 5),
    ("INC-1", 1, "timeline", "Timeline", "- 10:00 deploy\n- 10:30 alert", 8),
    ("INC-1", 2, "root_cause", "Root cause", "Pool too small.", 12),
    ("INC-1", 3, "impact", "Impact", "Checkout failed for 4 hours.", 14),
    ("INC-1", 4, "action_items", "Action items", "See table.", 16),
    ("INC-2", 0, "summary", "Summary", "Pool again.", 5),
    ("INC-4", 0, "summary", "Summary", "Secret vault summary.", 5),
    ("INC-6", 0, "summary", "Summary", "Failover slow.", 5),
]
TIMELINE = [
    ("INC-1", 0, "2026-04-10 10:00", "10:00", "Deploy of checkout 4.2 started"),
    ("INC-1", 1, "2026-04-10 10:30", "10:30", "Pager alert: error rate above 5%"),
    ("INC-1", 2, "2026-04-10 14:00", "14:00", "Pool size raised, errors stop"),
    ("INC-1", 3, None, "later", "Postmortem scheduled"),
]
LINT = [
    ("INC-1", "missing-section", "warning", 1, "No lessons learned section"),
    ("INC-2", "missing-section", "warning", 1, "No timeline section"),
    ("INC-2", "human-error", "error", 7, "Root cause names human error"),
    ("INC-5", "missing-section", "warning", 1, "No timeline section"),
]
_FS = ("severity", "started_at", "detected_at", "resolved_at", "services", "team")
FIELD_SOURCES = [
    (iid, field, source, line)
    for iid, sources in {
        "INC-1": ("front_matter", "front_matter", "timeline", "timeline", "metadata", "front_matter"),
        "INC-2": ("label", "timeline", "timeline", "record", "text", "catalog"),
        "INC-3": ("title", "front_matter", "front_matter", "front_matter", "front_matter", "corpus"),
        "INC-4": ("front_matter", "record", "record", "record", "record", "record"),
        "INC-5": ("front_matter", None, None, None, "text", "catalog"),
        "INC-6": ("front_matter", "timeline", "timeline", "timeline", "metadata", "front_matter"),
    }.items()
    for field, source, line in zip(_FS, sources, range(2, 8))
    if source
]
INCIDENT_SOURCES = [
    ("INC-1", "postmortems/INC-1.md", "markdown", 0, INCIDENTS[0][1], [0, 1, 2, 3, 4], [0, 1, 2, 3], [0, 1]),
    ("INC-1", "exports/tool.jsonl:3", "jsonl", 1, "Checkout pool exhausted", [], [], [1]),
]
POSSIBLE_DUPLICATES = [("INC-1", "INC-4", ["api"], 0.0, 0.62), ("INC-3", "INC-5", ["search"], 12.5, 0.41)]
INGEST_ERRORS = [("broken/bad.md", "front matter is not valid YAML (line 3)"), ("exports/a.jsonl:4", "not a JSON object")]


def build_fixture_db(path: Path) -> Path:
    con = duckdb.connect(str(path))
    try:
        create_schema(con)
        for (iid, title, d, s, det, res, sev, team, restricted, allowed, compl) in INCIDENTS:
            con.execute(
                "INSERT INTO incidents (incident_id, title, source_path, source_format, incident_date, started_at,"
                " detected_at, resolved_at, severity, severity_raw, team, restricted, allowed_groups, completeness)"
                " VALUES (?, ?, ?, 'markdown', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [iid, title, f"postmortems/{iid}.md", d, s, det, res, sev, sev, team, restricted, allowed, compl],
            )
        con.executemany("INSERT INTO incident_services VALUES (?, ?)", SERVICES)
        con.executemany(
            "INSERT INTO action_items (incident_id, seq, text, owner, due_date, status, priority, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ACTION_ITEMS,
        )
        con.executemany("INSERT INTO contributing_factors VALUES (?, ?, ?, ?, ?, ?)", FACTORS)
        con.executemany("INSERT INTO failure_modes VALUES (?, ?, ?, ?, ?)", FAILURE_MODES)
        con.executemany("INSERT INTO incident_failure_modes VALUES (?, ?, ?, ?, ?, ?, ?)", INCIDENT_FAILURE_MODES)
        con.executemany("INSERT INTO themes VALUES (?, ?, ?, ?, ?, ?, ?)", THEMES)
        con.executemany("INSERT INTO incident_themes VALUES (?, ?, ?)", INCIDENT_THEMES)
        con.executemany("INSERT INTO repeat_incidents VALUES (?, ?, ?, ?, ?, ?)", REPEATS)
        con.executemany("INSERT INTO related_incidents VALUES (?, ?, ?, ?)", RELATED)
        con.executemany("INSERT INTO sections VALUES (?, ?, ?, ?, ?, ?)", SECTIONS)
        con.executemany("INSERT INTO timeline_events VALUES (?, ?, ?, ?, ?)", TIMELINE)
        con.executemany("INSERT INTO lint_findings VALUES (?, ?, ?, ?, ?)", LINT)
        con.executemany("INSERT INTO ingest_errors VALUES (?, ?)", INGEST_ERRORS)
        con.executemany("INSERT INTO field_sources VALUES (?, ?, ?, ?)", FIELD_SOURCES)
        con.executemany("INSERT INTO possible_duplicates VALUES (?, ?, ?, ?, ?)", POSSIBLE_DUPLICATES)
        con.executemany(
            "INSERT INTO incident_sources (incident_id, source_path, source_format, rank, title, section_seqs, event_seqs, item_seqs)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            INCIDENT_SOURCES,
        )
        con.execute("INSERT INTO build_info VALUES ('build_id', 'fixture')")
        write_summaries(con)  # as the build does, after the analysis tables are filled
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_db(tmp_path_factory.mktemp("dash") / "fixture.duckdb")


@pytest.fixture
def con(fixture_db: Path):
    c = duckdb.connect(str(fixture_db), read_only=True)
    yield c.cursor()
    c.close()


# The same database after a build with tracker exports (docs/tracker.md). With TODAY = 2026-09-30:
#   INC-1 #0 Raise pool size           doc done, Jira PAY-1 done, created 04-10 12:00, closed 04-18 12:00 (8 d)
#   INC-1 #1 Alert on pool saturation  doc open, Jira PAY-2 done, created 04-11, closed 05-11 (30 d)   tracker says done
#   INC-2 #0 Add connection leak test  doc done, Jira PAY-3 open, created 05-21                          postmortem says done
#   INC-3 #0 Document reindex runbook  doc open, GitHub #7 done by title (fuzzy), created 07-06, closed 07-20 (14 d)
#   INC-4 #0 (restricted)              doc open, Jira SEC-9 in progress, created 08-16
#   INC-6 #0 Tune failover timeout     doc done, Jira INF-4 done, created 2025-12-02, closed 2026-01-10 (39 d)
#   GitHub #8 "Upgrade the search cluster" is cited by no postmortem.
# Time to close per quarter: 2025Q4 n=1 39 d; 2026Q2 n=2 p50 19 d, p90 27.8 d; 2026Q3 n=1 14 d.
# Open items' age: INC-2's 132 days (90-180), INC-4's 45 days (30-90), both payments.
# Recurred after fix: INC-1's items are all done by 05-11 (tracker), so INC-2 (05-20) and INC-4 recur after
# INC-1's fix; INC-2's item is open in the tracker, so nothing recurs after INC-2's fix any more.
TRACKER_RECORDS = [
    # record_id, source, row, system, key, url, title, status, raw, priority, assignee, created, closed, referenced, items
    ("jira:PAY-1", "jira.csv", 1, "jira", "PAY-1", None, "Raise the pool size", "done", "Done / Done", "High", "alice", "2026-04-10 12:00", "2026-04-18 12:00", True, 1),
    ("jira:PAY-2", "jira.csv", 2, "jira", "PAY-2", None, "Alert on pool saturation", "done", "Done / Done", "High", "bob", "2026-04-11 00:00", "2026-05-11 00:00", True, 1),
    ("jira:PAY-3", "jira.csv", 3, "jira", "PAY-3", None, "Connection leak test", "open", "To Do", "Highest", "alice", "2026-05-21 00:00", None, True, 1),
    ("jira:SEC-9", "jira.csv", 4, "jira", "SEC-9", None, "Rotate the signing keys", "in_progress", "In Progress", "Highest", SECRET_OWNER, "2026-08-16 00:00", None, True, 1),
    ("jira:INF-4", "jira.csv", 5, "jira", "INF-4", None, "Tune the failover timeout", "done", "Closed / Fixed", "Medium", "carol", "2025-12-02 00:00", "2026-01-10 00:00", True, 1),
    ("github:#7", "issues.json", 1, "github", "#7", "https://github.com/acme/search/issues/7", "Write the reindex runbook", "done", "CLOSED / COMPLETED", None, None, "2026-07-06 00:00", "2026-07-20 00:00", True, 1),
    ("github:#8", "issues.json", 2, "github", "#8", "https://github.com/acme/search/issues/8", "Upgrade the search cluster", "open", "OPEN", None, None, "2026-09-01 00:00", None, False, 0),
]
ITEM_TRACKING = [
    # incident, seq, ticket, record, match
    ("INC-1", 0, "PAY-1", "jira:PAY-1", "key"),
    ("INC-1", 1, "PAY-2", "jira:PAY-2", "key"),
    ("INC-2", 0, "PAY-3", "jira:PAY-3", "key"),
    ("INC-3", 0, None, "github:#7", "fuzzy"),
    ("INC-4", 0, "SEC-9", "jira:SEC-9", "key"),
    ("INC-6", 0, "INF-4", "jira:INF-4", "key"),
]


def add_tracker(path: Path) -> Path:
    """The tracker sync's result on the fixture database, written as the build writes it."""
    con = duckdb.connect(str(path))
    try:
        con.executemany(
            "INSERT INTO tracker_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)", TRACKER_RECORDS
        )
        con.execute("UPDATE action_items SET doc_status = status")
        for iid, seq, ticket, record, how in ITEM_TRACKING:
            con.execute(
                """UPDATE action_items a SET ticket = $ticket, tracker_record = r.record_id, tracker_status = r.status,
                          status = r.status, created_at = r.created_at, closed_at = r.closed_at, "match" = $how
                   FROM tracker_records r WHERE r.record_id = $record AND a.incident_id = $iid AND a.seq = $seq""",
                {"ticket": ticket, "record": record, "how": how, "iid": iid, "seq": seq},
            )
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def tracked_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return add_tracker(build_fixture_db(tmp_path_factory.mktemp("dash_tracked") / "tracked.duckdb"))


@pytest.fixture
def tracked_con(tracked_db: Path):
    c = duckdb.connect(str(tracked_db), read_only=True)
    yield c.cursor()
    c.close()
