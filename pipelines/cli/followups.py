"""`hindsight followups`: the open and overdue action items by team, for a weekly follow-up meeting.

Statuses are the effective ones (the tracker's where the build matched an item to a tracker
issue; docs/tracker.md). Items are listed per team, overdue first, most overdue first, then the
oldest: an order of urgency within a team, never a ranking of people (owners are shown so the
follow-up reaches someone, and nothing is counted per owner). "Today" is HINDSIGHT_TODAY when
set, as on the dashboard's Action items and Quarterly review pages. The command line has no
sign-in, so items of restricted incidents show as "restricted incident".
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import date

import pandas as pd

from pipelines.quarters import as_of_today
from pipelines.read.access import ANONYMOUS
from pipelines.cli.database import BAD_DATABASE, open_for
from pipelines.read.followups import followups
from pipelines.read.scope import Filters

COLUMNS = ("team", "overdue", "days_overdue", "due_date", "status", "owner", "ticket", "item", "incident_id", "age_days")
MAX_TEXT = 70  # table output: longer item texts are shortened with an ellipsis


def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if hasattr(value, "item"):
        return value.item()
    return value


def _rows(df: pd.DataFrame) -> list[dict]:
    return [{c: _plain(r[c]) for c in COLUMNS} for r in df.to_dict(orient="records")]


def _short(text: object, limit: int = MAX_TEXT) -> str:
    s = "" if text is None else " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _markdown(rows: list[dict], today: date) -> str:
    lines = [f"# Follow-ups as of {today.isoformat()}", ""]
    for team in dict.fromkeys(r["team"] for r in rows):
        items = [r for r in rows if r["team"] == team]
        overdue = sum(bool(r["overdue"]) for r in items)
        lines += [f"## {team}: {len(items)} open, {overdue} overdue", "",
                  "| Due | Overdue (days) | Status | Owner | Ticket | Action item | Incident |", "|---|---|---|---|---|---|---|"]
        for r in items:
            cells = [r["due_date"] or "–", str(r["days_overdue"] or ""), r["status"], r["owner"] or "–", r["ticket"] or "–",
                     _short(r["item"], 200), r["incident_id"] or "restricted"]
            lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _table(rows: list[dict], today: date) -> str:
    if not rows:
        return f"No open action items as of {today.isoformat()}."
    out = [f"Open action items as of {today.isoformat()}, by team (overdue first):"]
    for team in dict.fromkeys(r["team"] for r in rows):
        items = [r for r in rows if r["team"] == team]
        overdue = sum(bool(r["overdue"]) for r in items)
        out += ["", f"{team}: {len(items)} open, {overdue} overdue"]
        for r in items:
            due = f"due {r['due_date']}" if r["due_date"] else "no due date"
            late = f" ({r['days_overdue']} days overdue)" if r["overdue"] else ""
            who = f" [{r['owner']}]" if r["owner"] else " [no owner]"
            ticket = f" {r['ticket']}" if r["ticket"] else ""
            out.append(f"  - {_short(r['item'])}{ticket}{who} {r['status']}, {due}{late}")
    return "\n".join(out)


def render(df: pd.DataFrame, fmt: str, today: date) -> str:
    rows = _rows(df)
    if fmt == "json":
        return json.dumps({"as_of": today.isoformat(), "items": rows}, indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue().rstrip("\n")
    if fmt == "markdown":
        return _markdown(rows, today)
    return _table(rows, today)


def run(args: argparse.Namespace) -> int:
    con = open_for("followups", args.db)
    if con is None:
        return BAD_DATABASE
    today = as_of_today()
    try:
        df = followups(con, Filters(teams=tuple(args.team)), ANONYMOUS, today=today)
    finally:
        con.close()
    if args.overdue:
        df = df[df["overdue"]]
    print(render(df, args.format, today))
    return 0
