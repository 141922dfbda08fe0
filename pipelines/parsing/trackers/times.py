"""Tracker dates to naive UTC datetimes: Jira's `02/Jan/25 3:04 PM` (and its 24-hour and
four-digit-year variants), ISO 8601 with or without an offset, and `2025-01-02 15:04`.

A time with no offset is taken as UTC: Jira writes exports in the exporting user's zone without
saying which, so export as a UTC user (docs/tracker.md)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

_JIRA_FORMATS = ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%d/%b/%y %H:%M", "%d/%b/%Y %H:%M", "%d/%b/%y", "%d/%b/%Y")
_JIRA_SHAPE = re.compile(r"^\d{1,2}/[A-Za-z]{3}/\d{2,4}\b")


def parse_time(value: str | None) -> datetime | None:
    """A tracker time as naive UTC, None for an empty value; ValueError when it is not a time."""
    if value is None:
        return None
    v = str(value).strip()
    if not v:
        return None
    if _JIRA_SHAPE.match(v):
        # English month abbreviations whatever the machine's locale: strptime's %b is locale-bound.
        for fmt in _JIRA_FORMATS:
            try:
                return datetime.strptime(_english_month(v), fmt)
            except ValueError:
                continue
        raise ValueError(f"not a Jira date: {v!r}")
    iso = v.replace("Z", "+00:00").replace("z", "+00:00")
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(f"not a date and time: {v!r} (expected ISO 8601 or Jira's 02/Jan/25 3:04 PM)") from None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt.replace(microsecond=0)


_MONTHS = {m.lower(): i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}


def _english_month(v: str) -> str:
    """Normalise the month's case ('JAN', 'jan' -> 'Jan'), which strptime accepts in the C locale."""
    day, month, rest = v.split("/", 2)
    if month.lower() not in _MONTHS:
        raise ValueError(f"unknown month {month!r}")
    return f"{day}/{month[:1].upper()}{month[1:].lower()}/{rest}"
