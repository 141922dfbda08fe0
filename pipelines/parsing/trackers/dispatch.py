"""Dispatch's task CSV: `Incident Name, Status, Owner, Assignees, Description, Due By, Created At,
Resolved At`. Tasks carry no ticket key, so postmortems match them by title (the Description)."""

from __future__ import annotations

from pipelines.parsing.trackers.record import TrackerError, TrackerRecord
from pipelines.parsing.trackers.status import TrackerWords, normalise, status_of, tracker_words
from pipelines.parsing.trackers.times import parse_time

REQUIRED = ("incident name", "status", "description")


def is_dispatch_header(header: list[str]) -> bool:
    names = {normalise(h) for h in header}
    return all(r in names for r in REQUIRED) and ("resolved at" in names or "due by" in names)


def read_dispatch(rows: list[list[str]], path: str, words: TrackerWords | None = None) -> list[TrackerRecord]:
    w = words or tracker_words()
    header, body = rows[0], rows[1:]
    cols = {normalise(h): i for i, h in reversed(list(enumerate(header)))}  # first column of a name wins

    def get(row: list[str], name: str) -> str:
        i = cols.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    out = []
    for n, row in enumerate(body, start=1):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header):
            raise TrackerError(f"{path}: row {n}: {len(row)} values for {len(header)} columns; re-export the CSV")
        status_raw = get(row, "status")
        status = status_of(status_raw, w)
        if status is None:
            raise TrackerError(
                f"{path}: row {n}: unknown task status {status_raw!r}; add it to a status map "
                "($HINDSIGHT_TRACKER_STATUS, see docs/tracker.md)"
            )
        try:
            created, resolved, due = (parse_time(get(row, c)) for c in ("created at", "resolved at", "due by"))
        except ValueError as e:
            raise TrackerError(f"{path}: row {n}: {e}") from None
        title = get(row, "description")
        if not title:
            raise TrackerError(f"{path}: row {n}: the task has no Description")
        out.append(TrackerRecord(
            source_path=path, row=n, system="dispatch", key=None, title=title, status=status, status_raw=status_raw,
            assignee=get(row, "assignees") or get(row, "owner") or None,
            created_at=created, closed_at=resolved if status in ("done", "wont_fix") else None, due_date=due,
            incident_ref=get(row, "incident name") or None,
        ))
    return out
