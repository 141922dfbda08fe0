"""Calendar quarters: the one definition every layer uses.

An incident belongs to the quarter of its `incident_date` (the date the postmortem states,
else the UTC date of its start). Labels look like "2026Q3" in Python and in SQL alike.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    @property
    def start(self) -> date:
        return date(self.year, 3 * (self.q - 1) + 1, 1)

    @property
    def end(self) -> date:
        """First day after the quarter (exclusive bound)."""
        return self.next().start

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def is_over(self, today: date) -> bool:
        """True once the quarter has ended: on `today` its counts no longer grow."""
        return today >= self.end


@dataclass(frozen=True)
class Span:
    """`size` consecutive quarters ending with `last`, e.g. the four quarters 2025Q2-2026Q1.

    The overview widens its KPI window to a span when the reference quarter alone holds too few
    incidents to say anything (a corpus of public postmortems has two or three a quarter). It
    answers the same questions as a Quarter (start, end, previous, is_over, str) so the KPI code
    does not care which of the two it was given.
    """

    last: Quarter
    size: int = 4

    @property
    def first(self) -> Quarter:
        q = self.last
        for _ in range(self.size - 1):
            q = q.previous()
        return q

    @property
    def start(self) -> date:
        return self.first.start

    @property
    def end(self) -> date:
        return self.last.end

    def previous(self) -> Span:
        return Span(self.first.previous(), self.size)

    def is_over(self, today: date) -> bool:
        return self.last.is_over(today)

    def __str__(self) -> str:
        return f"{self.first}–{self.last}"


TODAY_ENV = "HINDSIGHT_TODAY"


def as_of_today() -> date:
    """The as-of date for "overdue", "in progress" and the default quarter, in the dashboard, the
    report and the follow-up list alike: HINDSIGHT_TODAY (YYYY-MM-DD) when set, for reproducible
    demos, reviews and tests; otherwise the real date (also when the variable is not a date)."""
    raw = os.environ.get(TODAY_ENV, "")
    try:
        return date.fromisoformat(raw) if raw else date.today()
    except ValueError:
        return date.today()


# Any year Python's date handles, less the last (its Q4 has no end): real corpora reach back
# centuries (a 1628 shipwreck is a classic postmortem), so no "plausible" lower bound.
MIN_YEAR, MAX_YEAR = 1, 9998


def default_quarter(quarters: Iterable[Quarter], today: date) -> Quarter | None:
    """The last complete quarter among `quarters` (those with data); the latest one when none is
    complete yet. The dashboard's KPIs, its review page and `hindsight report` all start here."""
    quarters = sorted(set(quarters))
    if not quarters:
        return None
    complete = [q for q in quarters if q.is_over(today)]
    return complete[-1] if complete else quarters[-1]


def parse_quarter(text: str) -> Quarter:
    """'2026Q3' (also '2026-Q3', '2026q3') -> Quarter; ValueError with the expected form otherwise."""
    m = _QUARTER_RE.match(text or "")
    if not m:
        raise ValueError(f"quarter {text!r} is not of the form YYYYQn, e.g. 2026Q3 (n is 1 to 4)")
    year = int(m.group(1))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"quarter {text!r}: year {year} is out of range")
    return Quarter(year, int(m.group(2)))


def label_sql(column: str) -> str:
    """The SQL expression for the quarter label of a DATE column, e.g. label_sql("i.incident_date").

    `column` is always a constant written in the read layer, never a value from a user.
    """
    return f"(strftime({column}, '%Y') || 'Q' || CAST(quarter({column}) AS VARCHAR))"
