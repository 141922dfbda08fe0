"""Jira's CSV export ("all fields" or "current fields"), read by column POSITION.

Jira repeats a header once per value of a multi-valued field (`Labels,Labels,Labels`,
`Sprint,Sprint`), so a dict reader would keep one of them and silently drop the rest. The header
row is read as a list; single-valued fields take their first column, labels take all of theirs.

Status: a Resolution that means "not done" (Won't Do, Won't Fix, Duplicate, ... in
tracker_status.toml [resolution]) is wont_fix whatever the status; otherwise the status name
through [status]; an unknown name falls back to the "Status Category" column, then to done when
the issue has a resolution or a Resolved date, else open.
"""

from __future__ import annotations

from pipelines.parsing.trackers.record import TrackerError, TrackerRecord
from pipelines.parsing.trackers.status import TrackerWords, normalise, status_of, tracker_words
from pipelines.parsing.trackers.times import parse_time

REQUIRED = ("summary", "issue key", "status")


def is_jira_header(header: list[str]) -> bool:
    names = {normalise(h) for h in header}
    return all(r in names for r in REQUIRED)


def _columns(header: list[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        out.setdefault(normalise(name), []).append(i)
    return out


def read_jira(rows: list[list[str]], path: str, words: TrackerWords | None = None) -> list[TrackerRecord]:
    """`rows` is the whole CSV, header first."""
    w = words or tracker_words()
    header, body = rows[0], rows[1:]
    cols = _columns(header)

    def first(row: list[str], name: str) -> str:
        idx = cols.get(name)
        if not idx or idx[0] >= len(row):
            return ""
        return row[idx[0]].strip()

    def when(row: list[str], n: int, name: str):
        value = first(row, name)
        try:
            return parse_time(value)
        except ValueError as e:
            raise TrackerError(f"{path}: row {n}: column {name.title()!r}: {e}; fix the value or re-export") from None

    out = []
    for n, row in enumerate(body, start=1):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header):
            raise TrackerError(
                f"{path}: row {n}: {len(row)} values for {len(header)} columns (an unquoted comma?); "
                "re-export the CSV from Jira"
            )
        key, title = first(row, "issue key"), first(row, "summary")
        if not key:
            raise TrackerError(f"{path}: row {n}: no Issue key; every Jira row needs one")
        status_raw, resolution = first(row, "status"), first(row, "resolution")
        resolved = when(row, n, "resolved")
        status = w.resolution.get(normalise(resolution)) if resolution else None
        status = status or status_of(status_raw, w) or w.status_category.get(normalise(first(row, "status category")))
        if status is None:
            status = "done" if resolution or resolved else "open"
        labels = [row[i].strip() for i in cols.get("labels", []) if i < len(row) and row[i].strip()]
        out.append(TrackerRecord(
            source_path=path, row=n, system="jira", key=key.upper(), title=title,
            status=status, status_raw=f"{status_raw} / {resolution}" if resolution else status_raw,
            priority=first(row, "priority") or None, assignee=first(row, "assignee") or None,
            created_at=when(row, n, "created"),
            closed_at=resolved if status in ("done", "wont_fix") else None,
            due_date=when(row, n, "due date"),
            incident_ref=next((lb for lb in labels if lb.lower().startswith("inc")), None),
        ))
    return out
