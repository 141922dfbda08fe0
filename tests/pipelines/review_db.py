"""A tiny hand-built database whose review figures are worked out by hand in test_review.py.

2026Q3 (the reviewed quarter): A1..A5, A3 restricted to the "security" group.
2026Q2 (previous): B1, B2.  2026Q1: C1.  Plus U1 with no date.
Theme (pattern) 1 "retry storms" spans C1, B1, A1, A4; theme 2 "config drift" first appears in A2 (Q3);
theme 3 appears only in the restricted A3; A5 is unclustered (-1). Repeats are by failure mode.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.build.schema import create_schema

SECRET_TITLE = "Secret breach at acme-vault via 10.9.8.7"
SECRET_THEME = "leaked vault credentials"
AS_OF = date(2026, 10, 15)


def _inc(iid, day, sev, service, detect, resolve, *, title=None, restricted=False, groups=None):
    start = datetime.combine(day, datetime.min.time()) + timedelta(hours=9) if day else None
    return {
        "incident_id": iid,
        "title": title or f"{iid} incident",
        "incident_date": day,
        "severity": sev,
        "service": service,
        "started_at": start,
        "detected_at": start + timedelta(minutes=detect) if start and detect is not None else None,
        "resolved_at": start + timedelta(minutes=resolve) if start and resolve is not None else None,
        "restricted": restricted,
        "allowed_groups": groups or [],
    }


INCIDENTS = [
    _inc("A1", date(2026, 7, 5), "SEV1", "api", 10, 120, title="API outage after deploy to web-07.prod.example.com"),
    _inc("A2", date(2026, 8, 10), "SEV2", "db", 20, 60, title="Replica lag paged alice@example.com"),
    _inc("A3", date(2026, 8, 20), "SEV3", "auth", 30, 600, title=SECRET_TITLE, restricted=True, groups=["Security"]),
    _inc("A4", date(2026, 9, 1), "SEV3", "api", 5, 30, title="<script>alert('x')</script> retry storm"),
    _inc("A5", date(2026, 9, 15), None, "web", None, None, title="Slow pages reported by Alice Chen"),
    _inc("B1", date(2026, 4, 10), "SEV2", "api", 40, 240),
    _inc("B2", date(2026, 5, 5), "SEV3", "db", 10, 90),
    _inc("C1", date(2026, 2, 1), "SEV4", "api", None, None),
    _inc("U1", None, "SEV2", "api", None, None),
]

THEMES = [(1, "retry storms"), (2, "config drift"), (3, SECRET_THEME), (-1, "unclustered")]
INCIDENT_THEMES = [("C1", 1), ("B1", 1), ("A1", 1), ("A4", 1), ("A2", 2), ("A3", 3), ("A5", -1)]
# Failure modes (from the taxonomy: names never come from incident text).
MODES = [("retry_storm", "capacity", "Capacity", "Retry storm or cascading failure"), ("config_change", "change", "Change", "Configuration change or misconfiguration")]
# A4 repeats on two modes: it must count once as a repeat incident.
REPEATS = [("A1", "C1", "retry_storm", "api", 154, 1), ("A4", "A1", "retry_storm", "api", 58, 1),
           ("A4", "A2", "config_change", "api", 22, None), ("B1", "C1", "retry_storm", "api", 68, None)]
# (incident, text, owner, due, status)
ACTIONS = [
    ("A1", "Add retry budget", "Alice Chen", date(2026, 8, 1), "done"),
    ("A1", "Canary deploys", "bob", date(2026, 9, 1), "open"),
    ("A1", "Alert on error rate", None, date(2026, 12, 1), "in_progress"),
    ("A2", "Pin config", "Carol", None, "wont_fix"),
    ("A3", "Rotate secrets", "dave@example.com", date(2026, 10, 1), "open"),
    ("B1", "Backoff", "erin", date(2026, 5, 1), "done"),
    ("B1", "Dashboards", "erin", date(2026, 5, 10), "done"),
    ("B2", "Runbook", "frank", date(2026, 6, 30), "open"),
]


def make_review_db(path: Path) -> Path:
    con = duckdb.connect(str(path))
    create_schema(con)
    for i in INCIDENTS:
        con.execute(
            "INSERT INTO incidents (incident_id, title, source_path, source_format, incident_date, started_at, "
            "detected_at, resolved_at, severity, restricted, allowed_groups) VALUES (?, ?, ?, 'markdown', ?, ?, ?, ?, ?, ?, ?)",
            [i["incident_id"], i["title"], f"{i['incident_id']}.md", i["incident_date"], i["started_at"],
             i["detected_at"], i["resolved_at"], i["severity"], i["restricted"], i["allowed_groups"]],
        )
        con.execute("INSERT INTO incident_services VALUES (?, ?)", [i["incident_id"], i["service"]])
    for theme_id, label in THEMES:
        con.execute("INSERT INTO themes (theme_id, label, size) VALUES (?, ?, 1)", [theme_id, label])
    for iid, theme_id in INCIDENT_THEMES:
        con.execute("INSERT INTO incident_themes VALUES (?, ?, 1.0)", [iid, theme_id])
    con.executemany("INSERT INTO failure_modes VALUES (?, ?, ?, ?, 'd')", MODES)
    con.executemany("INSERT INTO repeat_incidents VALUES (?, ?, ?, ?, ?, ?)", REPEATS)
    for seq, (iid, text, owner, due, status) in enumerate(ACTIONS):
        con.execute(
            "INSERT INTO action_items (incident_id, seq, text, owner, due_date, status) VALUES (?, ?, ?, ?, ?, ?)",
            [iid, seq, text, owner, due, status],
        )
    con.close()
    return path
