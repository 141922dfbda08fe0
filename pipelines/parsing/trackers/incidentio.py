"""incident.io-style follow-ups (JSON): `id, incident_id, title, status, assignee, priority,
external_issue_reference{issue_name, issue_permalink}, created_at, completed_at`.

A follow-up exported to Jira or GitHub carries that issue's key in `issue_name`; postmortems cite
that key, so it is the record's key (the follow-up id and the permalink are aliases). Without an
external issue the follow-up id is the key. The export may be a bare array or an object holding it
under `follow_ups` (the API's shape).
"""

from __future__ import annotations

from typing import Any

from pipelines.parsing.trackers.record import TrackerError, TrackerRecord
from pipelines.parsing.trackers.status import TrackerWords, status_of, tracker_words
from pipelines.parsing.trackers.times import parse_time


def is_incidentio(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and "incident_id" in i and "title" in i and "status" in i for i in items)


def _text(value: Any, *fields: str) -> str | None:
    if isinstance(value, dict):
        value = next((value[f] for f in fields if value.get(f)), None)
    return str(value).strip() if value else None


def read_incidentio(items: list[dict[str, Any]], path: str, words: TrackerWords | None = None) -> list[TrackerRecord]:
    w = words or tracker_words()
    out = []
    for n, item in enumerate(items, start=1):
        fid = _text(item.get("id"))
        status_raw = _text(item.get("status")) or ""
        status = status_of(status_raw, w)
        if status is None:
            raise TrackerError(
                f"{path}: follow-up {n} ({fid}): unknown status {status_raw!r}; add it to a status map "
                "($HINDSIGHT_TRACKER_STATUS, see docs/tracker.md)"
            )
        ext = item.get("external_issue_reference") or {}
        issue_name = _text(ext.get("issue_name")) if isinstance(ext, dict) else None
        permalink = _text(ext.get("issue_permalink")) if isinstance(ext, dict) else None
        try:
            created, completed = parse_time(item.get("created_at")), parse_time(item.get("completed_at"))
        except ValueError as e:
            raise TrackerError(f"{path}: follow-up {n} ({fid}): {e}") from None
        if not (issue_name or fid):
            raise TrackerError(f"{path}: follow-up {n}: neither an id nor an external issue; re-export the follow-ups")
        out.append(TrackerRecord(
            source_path=path, row=n, system="incident_io", key=issue_name or fid, title=_text(item.get("title")) or "",
            status=status, status_raw=status_raw, url=permalink,
            priority=_text(item.get("priority"), "name", "label"),
            assignee=_text(item.get("assignee"), "name", "email"),
            created_at=created, closed_at=completed if status in ("done", "wont_fix") else None,
            aliases=[a for a in (fid, permalink) if a and a != (issue_name or fid)],
            incident_ref=_text(item.get("incident_id")),
        ))
    return out
