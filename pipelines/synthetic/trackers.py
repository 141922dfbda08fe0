"""Tracker exports for a generated corpus: what Jira and GitHub say about its action items
months after the postmortems were written (issue 13; docs/tracker.md).

    DIR/tracker/jira.csv              Jira "all fields" CSV, one row per ticket key the postmortems cite,
                                      header with `Labels` repeated, dates like 02/Jan/25 3:04 PM (UTC)
    DIR/tracker/github_issues.json    `gh issue list --json number,title,state,stateReason,closedAt,
                                      createdAt,assignees,labels,url` for some items that cite no ticket
                                      (matched by title: fuzzy), plus issues no postmortem mentions
    DIR/tracker/truth_tracker.jsonl   {file, text_start, ticket, tracker_status, closed_at} per item
                                      with a Jira ticket, in the dev set's schema

The tracker is newer than the documents: an item a postmortem left open is often done by
REFERENCE_DATE, a few "done" items were reopened, some were declined. Half the projects use
To Do / In Progress / Done (resolution Done or Won't Do), the others Open / In Progress / Closed
(Fixed or Won't Fix). A few Jira issues and GitHub issues belong to no postmortem. Everything is
drawn from its own random stream, so adding the tracker never changes the postmortems' bytes.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import datetime, time, timedelta
from pathlib import Path

from pipelines.synthetic.plan import REFERENCE_DATE, TICKET_PREFIX, ActionPlan, IncidentPlan

JIRA_HEADER = ("Summary", "Issue key", "Issue id", "Issue Type", "Status", "Resolution", "Priority", "Assignee",
               "Reporter", "Created", "Updated", "Resolved", "Due date", "Labels", "Labels")
GITHUB_REPO = "https://github.com/example-org/reliability"
# Projects on Jira's simplified workflow; the others use the classic Open / Closed one.
SIMPLE_WORKFLOW = {"SHOP", "IAM", "DATA", "REL"}
PRIORITY = {"p1": "Highest", "p2": "High", "p3": "Medium", "high": "High", "medium": "Medium", "low": "Low"}
UNREFERENCED_TITLES = (
    "Upgrade the CI runners to the new base image",
    "Quarterly access review for production databases",
    "Retire the legacy status page",
    "Move nightly backups to the new storage class",
    "Rename the on-call rotation calendars",
    "Bump the TLS library on the internal proxies",
)
_END = datetime.combine(REFERENCE_DATE, time(9, 0))


def _jira_time(t: datetime | None) -> str:
    """Jira's export format: 02/Jan/25 3:04 PM (12-hour clock, no leading zero on the hour)."""
    if t is None:
        return ""
    hour = t.hour % 12 or 12
    return f"{t:%d/%b/%y} {hour}:{t:%M} {'AM' if t.hour < 12 else 'PM'}"


def _tracker_status(rng: random.Random, doc_status: str, age_days: int) -> str:
    """What the tracker says by REFERENCE_DATE, given what the postmortem said."""
    old = age_days > 120
    weights = {
        "done": {"done": 94, "open": 4, "in_progress": 2},
        "wont_fix": {"wont_fix": 100},
        "in_progress": {"done": 65, "in_progress": 20, "wont_fix": 15} if old else {"done": 30, "in_progress": 70},
        "open": {"done": 50, "open": 25, "in_progress": 10, "wont_fix": 15} if old else {"done": 20, "open": 60, "in_progress": 20},
    }[doc_status]
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _closed_at(rng: random.Random, a: ActionPlan, created: datetime) -> datetime:
    if a.due is not None and rng.random() < 0.7:
        t = datetime.combine(a.due, time(rng.randint(8, 17), rng.choice((0, 15, 30, 45)))) + timedelta(days=rng.randint(-10, 20))
    else:
        t = created + timedelta(days=rng.choice((2, 5, 9, 14, 21, 35, 60, 90, 150)), hours=rng.randint(0, 8))
    return min(max(t, created + timedelta(hours=2)), _END)


def _jira_status(project: str, status: str) -> tuple[str, str]:
    simple = project in SIMPLE_WORKFLOW
    return {
        "done": ("Done", "Done") if simple else ("Closed", "Fixed"),
        "wont_fix": ("Done", "Won't Do") if simple else ("Closed", "Won't Fix"),
        "in_progress": ("In Progress", ""),
        "open": ("To Do", "") if simple else ("Open", ""),
    }[status]


def tracker_exports(rendered: list[tuple[IncidentPlan, str]], seed: int) -> dict[str, bytes]:
    """File name -> bytes for DIR/tracker, from (plan, source path) of every incident in the corpus."""
    rng = random.Random(seed ^ 0x72AC)  # its own stream: the postmortems stay byte-identical
    jira_rows: list[list[str]] = []
    records: dict[str, tuple[str, datetime | None]] = {}  # ticket -> (status, closed_at)
    truth: list[dict] = []
    issues: list[dict] = []
    number = 1200
    for plan, source_path in sorted(rendered, key=lambda pr: (pr[0].started, pr[0].incident_id)):
        age = (REFERENCE_DATE - plan.started.date()).days
        created0 = plan.resolved + timedelta(hours=rng.randint(4, 60))
        for a in plan.actions:
            created = min(created0 + timedelta(minutes=rng.randint(0, 90)), _END)
            if a.ticket:
                if a.ticket not in records:
                    status = _tracker_status(rng, a.status, age)
                    closed = _closed_at(rng, a, created) if status in ("done", "wont_fix") else None
                    records[a.ticket] = (status, closed)
                    project = a.ticket.split("-")[0]
                    name, resolution = _jira_status(project, status)
                    updated = closed or min(created + timedelta(days=rng.randint(0, 40)), _END)
                    jira_rows.append([
                        a.text, a.ticket, str(10000 + len(jira_rows) * 7), "Task", name, resolution,
                        PRIORITY.get(a.priority.lower(), "Medium"), a.owner[1] if a.owner else "",
                        a.owner[1] if a.owner else "", _jira_time(created), _jira_time(updated), _jira_time(closed),
                        _jira_time(datetime.combine(a.due, time(0, 0))) if a.due else "", "postmortem", plan.incident_id.lower(),
                    ])
                status, closed = records[a.ticket]
                truth.append({"file": source_path, "text_start": a.text[:30], "ticket": a.ticket, "tracker_status": status,
                              "closed_at": closed.strftime("%Y-%m-%dT%H:%M:%SZ") if closed else None})
            elif rng.random() < 0.12:
                # Filed in GitHub, but the postmortem never cites the issue: matched by title.
                status = _tracker_status(rng, a.status, age)
                number += rng.randint(1, 9)
                issues.append(_issue(rng, number, a.text.rstrip("."), status, created, _closed_at(rng, a, created), a.owner, plan.team))
    for n, title in enumerate(UNREFERENCED_TITLES):
        created = _END - timedelta(days=20 + 37 * n)
        status = ("done", "open", "in_progress")[n % 3]
        if n % 2:
            number += 3
            issues.append(_issue(rng, number, title, status, created, created + timedelta(days=6), None, "platform"))
        else:
            project = list(TICKET_PREFIX.values())[n % len(TICKET_PREFIX)]
            name, resolution = _jira_status(project, status)
            closed = created + timedelta(days=6) if status == "done" else None
            jira_rows.append([title, f"{project}-{9000 + n}", str(90000 + n), "Task", name, resolution, "Low", "", "",
                              _jira_time(created), _jira_time(closed or created), _jira_time(closed), "", "chore", ""])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(JIRA_HEADER)
    w.writerows(jira_rows)
    return {
        "jira.csv": buf.getvalue().encode(),
        "github_issues.json": (json.dumps(issues, ensure_ascii=False, indent=2) + "\n").encode(),
        "truth_tracker.jsonl": "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in truth).encode(),
    }


def _issue(rng: random.Random, number: int, title: str, status: str, created: datetime, closed: datetime,
           owner: tuple[str, str] | None, team: str) -> dict:
    labels = [{"id": "LA_pm", "name": "postmortem", "description": "Follow-up from a postmortem", "color": "5319e7"},
              {"id": f"LA_{team}", "name": f"team/{team}", "description": "", "color": "0e8a16"}]
    if status == "in_progress":
        labels.append({"id": "LA_wip", "name": "status/in-progress", "description": "", "color": "fbca04"})
    done = status in ("done", "wont_fix")
    return {
        "assignees": [{"id": f"U_{owner[0]}", "login": owner[0], "name": owner[1]}] if owner else [],
        "closedAt": closed.strftime("%Y-%m-%dT%H:%M:%SZ") if done else None,
        "createdAt": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "labels": labels,
        "number": number,
        "state": "CLOSED" if done else "OPEN",
        "stateReason": "NOT_PLANNED" if status == "wont_fix" else "COMPLETED" if done else "",
        "title": title,
        "url": f"{GITHUB_REPO}/issues/{number}",
    }


def write_tracker_exports(out: Path, rendered: list[tuple[IncidentPlan, str]], seed: int) -> None:
    folder = out / "tracker"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in tracker_exports(rendered, seed).items():
        (folder / name).write_bytes(data)


__all__ = ["JIRA_HEADER", "tracker_exports", "write_tracker_exports"]
