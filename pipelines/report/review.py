"""The quarterly reliability review: one quarter's figures beside the previous quarter's.

Quarters are decided by `incidents.incident_date` (the front-matter date, else the start
time's date). Durations are minutes from `started_at`; a negative duration is a data error in
the source and is left out rather than dragging the median. Restricted incidents count in every
figure, but their titles never leave this module unless the viewer may see them: they become
"restricted incident", and a theme seen only in restricted incidents becomes "restricted theme".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from pipelines.read import MIN_COMPARE
from pipelines.read import review as queries
from pipelines.read.access import ANONYMOUS, RESTRICTED_LABEL, Viewer
from pipelines.model import SEVERITIES
from pipelines.quarters import Quarter, Span, default_quarter as last_complete_or_latest

RESTRICTED_TITLE = RESTRICTED_LABEL
RESTRICTED_THEME = "restricted theme"
UNKNOWN_SEVERITY = "unknown"
TOP_THEMES = 8
NOTABLE_LONGEST = 3  # longest-to-resolve incidents that are not SEV1s
NOTABLE_SEV1 = 10
# Below this many durations a median and p90 say little; the report says so instead of comparing.
SMALL_SAMPLE = 5

@dataclass(frozen=True)
class DurationStats:
    n: int
    median: float | None  # minutes
    p90: float | None  # minutes, linear interpolation between order statistics
    values: tuple[float, ...] = ()  # minutes, for distribution charts

    @property
    def small_sample(self) -> bool:
        return self.n < SMALL_SAMPLE


@dataclass(frozen=True)
class QuarterFigures:
    quarter: Quarter
    incidents: int
    by_severity: dict[str, int]  # SEVERITIES plus "unknown", always all keys
    restricted: int
    time_to_detect: DurationStats
    time_to_resolve: DurationStats


@dataclass(frozen=True)
class ThemeCount:
    theme_id: int
    label: str
    incidents: int
    previous_incidents: int
    first_seen: date | None
    is_new: bool


@dataclass(frozen=True)
class RepeatGroup:
    mode: str
    label: str  # the failure mode's name
    service: str
    repeats: int  # repeat incidents dated in the quarter
    min_days_between: int


@dataclass(frozen=True)
class ActionHealth:
    created: int
    done: int
    wont_fix: int
    overdue: int
    no_owner: int
    no_due_date: int
    incidents_without_items: int
    tracked: int = 0  # items matched to a tracker record
    closed_known: int = 0  # done items whose close time the tracker gives
    close_p50_days: float | None = None
    close_p90_days: float | None = None

    @property
    def completion_pct(self) -> float | None:
        """Done as a share of all items created (won't-fix counts as not done)."""
        return None if self.created == 0 else 100.0 * self.done / self.created


@dataclass(frozen=True)
class NotableIncident:
    incident_id: str | None  # None when restricted and hidden from the viewer
    title: str
    severity: str | None
    incident_date: date | None
    service: str | None  # every service of the incident, comma-separated
    resolve_minutes: float | None
    reason: str  # "SEV1" or "longest to resolve"


@dataclass(frozen=True)
class QuarterlyReview:
    quarter: Quarter
    as_of: date
    current: QuarterFigures
    previous: QuarterFigures
    top_themes: list[ThemeCount]
    new_themes: list[ThemeCount]
    repeats: list[RepeatGroup]  # one row per failure mode + service; an incident can be in several
    repeat_count: int  # distinct incidents of the quarter that repeat an earlier one
    previous_repeats: int
    actions: ActionHealth
    previous_actions: ActionHealth
    notable: list[NotableIncident]
    undated_incidents: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def comparable(self) -> bool:
        """Whether a change against the previous quarter means anything (is_comparable)."""
        return is_comparable(self.quarter, self.current.incidents, self.previous.incidents, self.as_of)

    def why_not_compared(self) -> str | None:
        """Why the review shows no changes, in one sentence; None when it does."""
        partial = not self.quarter.is_over(self.as_of)
        return why_not_compared(self.quarter, self.current.incidents, self.previous.incidents, partial=partial)


def is_comparable(period: Quarter | Span, this_incidents: int, last_incidents: int, today: date) -> bool:
    """The one rule for showing a change against the period before, on the overview and in the
    review: the period is over on `today` and each of the two holds at least MIN_COMPARE
    incidents (a change from 1 incident to 3 is noise)."""
    return period.is_over(today) and min(this_incidents, last_incidents) >= MIN_COMPARE


def why_not_compared(period: Quarter | Span, this_incidents: int, last_incidents: int, *, partial: bool) -> str | None:
    """Why no change is shown (is_comparable), in one sentence; None when it is. `partial`: the
    period has not ended yet."""
    if partial:
        return (f"{period} runs until {(period.end - timedelta(days=1)).isoformat()}, so its figures are partial "
                f"and are not compared with {period.previous()}.")
    if min(this_incidents, last_incidents) < MIN_COMPARE:
        return (f"Too few incidents to compare ({this_incidents} and {last_incidents}; a comparison needs at least "
                f"{MIN_COMPARE} in each {'quarter' if isinstance(period, Quarter) else 'period'}).")
    return None


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear-interpolation percentile (numpy's default); None for no values."""
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), pct))


def duration_stats(values: Sequence[float | None]) -> DurationStats:
    clean = sorted(float(v) for v in values if v is not None and not _isnan(v) and v >= 0)
    return DurationStats(n=len(clean), median=percentile(clean, 50), p90=percentile(clean, 90), values=tuple(clean))


def _isnan(v: object) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _figures(quarter: Quarter, incidents: pd.DataFrame) -> QuarterFigures:
    by_severity = {s: 0 for s in (*SEVERITIES, UNKNOWN_SEVERITY)}
    for sev in incidents["severity"]:
        key = sev if isinstance(sev, str) and sev in by_severity else UNKNOWN_SEVERITY
        by_severity[key] += 1
    return QuarterFigures(
        quarter=quarter,
        incidents=len(incidents),
        by_severity=by_severity,
        restricted=int(incidents["restricted"].sum()) if len(incidents) else 0,
        time_to_detect=duration_stats(incidents["detect_minutes"].tolist()),
        time_to_resolve=duration_stats(incidents["resolve_minutes"].tolist()),
    )


def _health(df: pd.DataFrame) -> ActionHealth:
    row = df.iloc[0]
    return ActionHealth(**{
        name: (None if _isnan(row[name]) else round(float(row[name]), 1)) if name.endswith("_days") else int(row[name])
        for name in ActionHealth.__dataclass_fields__ if name in row.index
    })


def _theme_counts(df: pd.DataFrame, quarter: Quarter) -> list[ThemeCount]:
    out = []
    for row in df.itertuples(index=False):
        first_seen = None if pd.isna(row.first_seen) else pd.Timestamp(row.first_seen).date()
        out.append(
            ThemeCount(
                theme_id=int(row.theme_id),
                label=str(row.label) if bool(row.visible) else RESTRICTED_THEME,
                incidents=int(row.incidents),
                previous_incidents=int(row.previous_incidents),
                first_seen=first_seen,
                is_new=first_seen is not None and quarter.start <= first_seen < quarter.end,
            )
        )
    return out


def _notable(incidents: pd.DataFrame, viewer: Viewer) -> list[NotableIncident]:
    def make(row, reason: str) -> NotableIncident:
        visible = viewer.can_see(bool(row.restricted), list(row.allowed_groups))
        title = row.title if isinstance(row.title, str) and row.title.strip() else str(row.incident_id)
        resolve = row.resolve_minutes
        return NotableIncident(
            incident_id=str(row.incident_id) if visible else None,
            title=title if visible else RESTRICTED_TITLE,
            severity=row.severity if isinstance(row.severity, str) else None,
            incident_date=None if pd.isna(row.incident_date) else pd.Timestamp(row.incident_date).date(),
            service=(row.service if isinstance(row.service, str) else None) if visible else None,
            resolve_minutes=None if pd.isna(resolve) or resolve < 0 else float(resolve),
            reason=reason,
        )

    sev1 = incidents[incidents["severity"] == "SEV1"]
    if len(sev1) > NOTABLE_SEV1:  # a one-page review: the SEV1s that lasted longest, in date order
        sev1 = sev1.sort_values(["resolve_minutes", "incident_id"], ascending=[False, True], na_position="last")
        sev1 = sev1.head(NOTABLE_SEV1).sort_values(["incident_date", "incident_id"])
    out = [make(row, "SEV1") for row in sev1.itertuples(index=False)]
    seen = set(incidents.loc[incidents["severity"] == "SEV1", "incident_id"])
    valid = incidents[incidents["resolve_minutes"].notna() & (incidents["resolve_minutes"] >= 0)]
    longest = valid[~valid["incident_id"].isin(seen)].sort_values(["resolve_minutes", "incident_id"], ascending=[False, True])
    out += [make(row, "longest to resolve") for row in longest.head(NOTABLE_LONGEST).itertuples(index=False)]
    return out


def build_review(
    con: duckdb.DuckDBPyConnection,
    quarter: Quarter,
    *,
    as_of: date | None = None,
    viewer: Viewer = ANONYMOUS,
) -> QuarterlyReview:
    """Compute the review of `quarter` against the quarter before it.

    `as_of` decides which open action items are overdue (default: today). `viewer` decides
    which restricted titles and theme labels may appear.
    """
    as_of = as_of or date.today()
    prev_q = quarter.previous()
    both = queries.review_incidents(con, start=prev_q.start, end=quarter.end)
    in_current = pd.to_datetime(both["incident_date"]) >= pd.Timestamp(quarter.start)
    cur_inc, prev_inc = both[in_current], both[~in_current]
    themes = _theme_counts(
        queries.review_theme_counts(con, start=quarter.start, end=quarter.end, previous_start=prev_q.start, viewer=viewer),
        quarter,
    )
    repeat_counts = queries.review_repeat_count(con, start=quarter.start, end=quarter.end, previous_start=prev_q.start).iloc[0]
    repeats_df = queries.review_repeats(con, start=quarter.start, end=quarter.end)
    repeats = [
        RepeatGroup(
            mode=str(r.mode),
            label=str(r.label),
            service=str(r.service),
            repeats=int(r.repeats),
            min_days_between=int(r.min_days_between),
        )
        for r in repeats_df.itertuples(index=False)
    ]
    current = _figures(quarter, cur_inc)
    previous = _figures(prev_q, prev_inc)
    notes = []
    for name, stats in (("time to resolve", current.time_to_resolve), ("time to detect", current.time_to_detect)):
        if stats.small_sample:
            notes.append(f"Only {stats.n} incidents this quarter have a {name}; too few to compare medians across quarters.")
    if quarter.end > as_of:
        notes.append(f"{quarter} is not over yet (as of {as_of.isoformat()}); figures are partial.")
    return QuarterlyReview(
        quarter=quarter,
        as_of=as_of,
        current=current,
        previous=previous,
        top_themes=themes[:TOP_THEMES],
        new_themes=[t for t in themes if t.is_new],
        repeats=repeats,
        repeat_count=int(repeat_counts["repeats"]),
        previous_repeats=int(repeat_counts["previous_repeats"]),
        actions=_health(queries.review_action_health(con, start=quarter.start, end=quarter.end, as_of=as_of)),
        previous_actions=_health(queries.review_action_health(con, start=prev_q.start, end=prev_q.end, as_of=as_of)),
        notable=_notable(cur_inc, viewer),
        undated_incidents=int(queries.review_undated_count(con)["undated"].iloc[0]),
        notes=notes,
    )


def available_quarters(con: duckdb.DuckDBPyConnection) -> list[Quarter]:
    df = queries.review_quarters(con)
    return [Quarter(int(r.year), int(r.quarter)) for r in df.itertuples(index=False)]


def pick_default(quarters: Sequence[Quarter], today: date | None = None) -> Quarter | None:
    """The last complete quarter with data; the latest quarter with data when none is complete yet."""
    return last_complete_or_latest(quarters, today or date.today())


def default_quarter(con: duckdb.DuckDBPyConnection, today: date | None = None) -> Quarter | None:
    return pick_default(available_quarters(con), today)


def owner_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return queries.review_owner_names(con)["owner"].tolist()
