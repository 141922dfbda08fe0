"""Numeric dates such as `03/04/2025`: which number is the month, decided from the document.

`01/07/2025` is 1 July to a British author and January 7 to an American one. Instead of
assuming one convention, `slash_order` looks for evidence in the same document, strongest first:

1. the document says so ("dates are US style (MM/DD)", "DD/MM", "UK style");
2. another numeric date in it has a part above 12 (`03/13/2025` is month first, `13/03/2025`
   day first);
3. a date the document states unambiguously elsewhere (the file name's `2025-07-01-...`, an ISO
   date at the top, a dotted `04.03.2025`, which is always day first) matches one reading and not
   the other; a year-less `3/4` is compared by month and day.

When nothing decides, the dates are read month first (as before) and each undecided date gets a
`ParseNote` (rule `timeline/ambiguous-date`) that the linter reports, so nobody is misled
silently. The decision is held in a context variable while one document is parsed
(`reading_order`), because dates are read deep inside metadata, timeline and action-item code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from pipelines.model import ParseNote

DMY, MDY = "dmy", "mdy"
AMBIGUOUS_DATE_RULE = "timeline/ambiguous-date"

_ORDER: ContextVar[str | None] = ContextVar("slash_date_order", default=None)

_FULL = re.compile(r"(?<![\d/.])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\d/])")
# A year-less 3/4 counts only where a timeline writes a day: at the start of an event line.
_LEADING = re.compile(r"^[ \t]*(?:[-*+][ \t]+|\|[ \t]*)?(?:\*\*)?(\d{1,2})/(\d{1,2})(?![\d/])(?=[ \t,*|])", re.M)
_DOTTED = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?![\d.])")
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_SAYS_MDY = re.compile(r"(?i)\b(?:us|u\.s\.|american)[- ]style\b|\bmm/dd\b|\bmonth[- ]first\b")
_SAYS_DMY = re.compile(r"(?i)\b(?:uk|british|european|eu|international)[- ]style\b|\bdd/mm\b|\bday[- ]first\b")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def reading_order() -> str | None:
    """The order numeric dates are read in for the document being parsed (DMY, MDY or None)."""
    return _ORDER.get()


@contextmanager
def dates_read_as(order: str | None) -> Iterator[None]:
    token = _ORDER.set(order)
    try:
        yield
    finally:
        _ORDER.reset(token)


def month_day(a: int, b: int) -> tuple[int, int]:
    """(month, day) of a numeric `a/b` date under the current reading order."""
    if a > 12:
        return b, a
    if b > 12:
        return a, b
    return (b, a) if _ORDER.get() == DMY else (a, b)


def _year(y: str) -> int:
    return int(y) + 2000 if len(y) == 2 else int(y)


def _day(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def slash_order(text: str, anchors: list[date]) -> tuple[str | None, list[ParseNote]]:
    """(DMY, MDY or None, a note per undecided date) for a document (see module doc). `anchors`
    are dates stated without ambiguity elsewhere (the file name's)."""

    def line_of(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    found = [(m.start(), m.group(0), int(m.group(1)), int(m.group(2)), _year(m.group(3))) for m in _FULL.finditer(text)]
    found += [
        (m.start(), f"{m.group(1)}/{m.group(2)}", int(m.group(1)), int(m.group(2)), None) for m in _LEADING.finditer(text)
    ]
    ambiguous: list[tuple[int, str, int, int, int | None]] = []  # (line, raw, a, b, year)
    votes = {DMY: 0, MDY: 0}
    for pos, raw, a, b, y in found:
        if a > 31 or b > 31 or (a > 12 and b > 12):
            continue
        if a > 12:
            votes[DMY] += 1
        elif b > 12:
            votes[MDY] += 1
        elif a != b:
            ambiguous.append((line_of(pos), raw, a, b, y))
    if not ambiguous:
        return None, []
    said = {MDY: len(_SAYS_MDY.findall(text)), DMY: len(_SAYS_DMY.findall(text))}
    for levels in (said, votes):
        if levels[DMY] != levels[MDY]:
            return (DMY if levels[DMY] > levels[MDY] else MDY), []
    head = "\n".join(text.split("\n", 12)[:12])
    anchor_set = set(anchors)
    for m in _ISO.finditer(head):  # ISO dates in the heading block
        d = _day(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d is not None:
            anchor_set.add(d)
    for m in _DOTTED.finditer(text):  # 04.03.2025 is written day first wherever it is used
        d = _day(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if d is not None:
            anchor_set.add(d)
    days = {(d.month, d.day) for d in anchor_set}
    anchored = {DMY: 0, MDY: 0}
    for _, _, a, b, y in ambiguous:
        # A year-less 3/4 is compared by month and day.
        as_dmy = _day(y, b, a) if y else ((b, a) if b <= 12 else None)
        as_mdy = _day(y, a, b) if y else ((a, b) if a <= 12 else None)
        pool = anchor_set if y else days
        if as_dmy in pool and as_mdy not in pool:
            anchored[DMY] += 1
        elif as_mdy in pool and as_dmy not in pool:
            anchored[MDY] += 1
    if anchored[DMY] != anchored[MDY]:
        return (DMY if anchored[DMY] > anchored[MDY] else MDY), []
    notes = []
    seen = set()
    for n, raw, a, b, _ in sorted(ambiguous):
        if raw in seen:
            continue
        seen.add(raw)
        notes.append(
            ParseNote(
                AMBIGUOUS_DATE_RULE,
                f"'{raw}' could be {b} {_MONTHS[a - 1]} or {a} {_MONTHS[b - 1]}, and nothing in the document says "
                "which part is the day; it was read month first. Write dates as YYYY-MM-DD (or say "
                "'dates are DD/MM') so times and durations are right",
                n,
            )
        )
    return None, notes
