"""GitHub issues as `gh issue list --state all --json number,title,state,stateReason,closedAt,createdAt,assignees,labels,url` writes them.

CLOSED with stateReason NOT_PLANNED is wont_fix, other CLOSED is done; an OPEN issue takes its
status from a label the status map knows (`status/in-progress`, `in progress`, `blocked`), else
open. The key is `#NUMBER`, as postmortems cite it (a GitHub issue URL in a postmortem is read
as `#NUMBER` too); the URL is kept to tell repositories apart.
"""

from __future__ import annotations

from typing import Any

from pipelines.parsing.trackers.record import TrackerError, TrackerRecord
from pipelines.parsing.trackers.status import TrackerWords, normalise, status_of, tracker_words
from pipelines.parsing.trackers.times import parse_time


def is_github(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and "number" in i and "state" in i for i in items)


def _names(values: Any, *fields: str) -> list[str]:
    out = []
    for v in values or []:
        if isinstance(v, dict):
            out.append(next((str(v[f]) for f in fields if v.get(f)), ""))
        elif v:
            out.append(str(v))
    return [o for o in out if o]


def read_github(items: list[dict[str, Any]], path: str, words: TrackerWords | None = None) -> list[TrackerRecord]:
    w = words or tracker_words()
    out = []
    for n, item in enumerate(items, start=1):
        try:
            number = int(item["number"])
        except (TypeError, ValueError, KeyError):
            raise TrackerError(f"{path}: issue {n}: 'number' is not an issue number: {item.get('number')!r}") from None
        state, reason = str(item.get("state") or "").upper(), str(item.get("stateReason") or "").upper()
        labels = _names(item.get("labels"), "name")
        if state == "CLOSED":
            status = "wont_fix" if normalise(reason) in ("not planned",) or status_of(reason, w) == "wont_fix" else "done"
            for label in labels:  # a `wontfix` label on an issue closed as completed still means not done
                if status_of(label, w) == "wont_fix":
                    status = "wont_fix"
        elif state == "OPEN":
            found = [s for s in (status_of(lb, w) for lb in labels) if s in ("in_progress", "wont_fix")]
            status = found[0] if found else "open"
        else:
            raise TrackerError(f"{path}: issue {n} (#{number}): state {item.get('state')!r} is neither OPEN nor CLOSED")
        try:
            created, closed = parse_time(item.get("createdAt")), parse_time(item.get("closedAt"))
        except ValueError as e:
            raise TrackerError(f"{path}: issue {n} (#{number}): {e}") from None
        url = item.get("url") or None
        priority = next((lb.split("/", 1)[1] if "/" in lb else lb.split(":", 1)[1]
                         for lb in labels if normalise(lb).startswith(("priority/", "priority:", "prio/", "prio:"))), None)
        out.append(TrackerRecord(
            source_path=path, row=n, system="github", key=f"#{number}", title=str(item.get("title") or "").strip(),
            status=status, status_raw=f"{state} / {reason}" if reason else state,
            url=url, priority=priority.strip() if priority else None,
            assignee=", ".join(_names(item.get("assignees"), "login", "name")) or None,
            created_at=created, closed_at=closed if status in ("done", "wont_fix") else None,
            aliases=[url] if url else [],
        ))
    return out
