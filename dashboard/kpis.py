"""The overview's KPI row: one period against the one before, with deltas only where they mean something.

The period is the last complete quarter, or the four quarters ending with it when that quarter
alone holds too few incidents (pipelines.read.overview.reference_period).

Deltas are left out, and the page says why, when the quarter is still in progress (its counts
are partial, so a drop would read as an improvement that is only the calendar) or when either
quarter has fewer than MIN_COMPARE incidents (a change from 1 to 3 incidents is noise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from dashboard.components import fmt_pct, hours, pct
from pipelines.quarters import Quarter, Span
from pipelines.read import COMPLETE_AT, MIN_COMPARE
from pipelines.report.review import is_comparable, why_not_compared


@dataclass(frozen=True)
class Comparison:
    quarter: Quarter | Span  # the period the KPIs describe
    partial: bool  # the quarter has not ended yet
    comparable: bool  # deltas are shown

    @property
    def previous(self) -> Quarter:
        return self.quarter.previous()


def compare(quarter: Quarter | Span, this_incidents: int, last_incidents: int, today: date) -> Comparison:
    return Comparison(quarter, not quarter.is_over(today), is_comparable(quarter, this_incidents, last_incidents, today))


def why_no_change(c: Comparison, this_incidents: int, last_incidents: int) -> str | None:
    """Why no deltas are shown, in one sentence; None when they are."""
    return why_not_compared(c.quarter, this_incidents, last_incidents, partial=c.partial)


def explain(c: Comparison, this_incidents: int, last_incidents: int) -> str:
    """One caption line: which quarters, and why there are no deltas when there are none."""
    q, prev = c.quarter, c.previous
    if isinstance(q, Span):
        text = (f"KPIs describe the four quarters {q}, against the four before ({prev}): {q.last}, the last "
                f"quarter with incidents in view, has fewer than {MIN_COMPARE} on its own.")
    elif c.partial:
        text = f"KPIs describe {q}, the latest quarter with incidents in view."
    else:
        text = f"KPIs describe {q}, the last complete quarter with incidents in view, against {prev}."
    reason = why_no_change(c, this_incidents, last_incidents)
    return f"{text} {reason}" if reason else text


def points_delta(now: float | None, before: float | None, c: Comparison) -> tuple[str | None, str]:
    """(delta text, delta colour) for a percentage KPI; a change under half a point is "±0 pts", in grey."""
    if not c.comparable or now is None or before is None:
        return None, "normal"
    change = now - before
    if abs(change) < 0.5:
        return "±0 pts", "off"
    return f"{change:+.0f} pts", "normal"


def arrow(color: str) -> str:
    """No arrow beside a grey "±0 pts": an up arrow would read as a change."""
    return "off" if color == "off" else "auto"


def render(c: Comparison, this: pd.Series, last: pd.Series, totals: pd.Series) -> None:
    """The caption and five metrics. `this`/`last`: rows of overview_kpis; `totals`: action_item_totals."""
    st.caption(explain(c, int(this.incidents), int(last.incidents)))
    q = c.quarter
    cols = st.columns(5)
    # a span's label ("2025Q2–2026Q1") would be cut off at this width; the caption above names it
    label = f"Incidents in {q}" if isinstance(q, Quarter) else "Incidents, 4 quarters"
    cols[0].metric(label, int(this.incidents),
                   delta=int(this.incidents - last.incidents) if c.comparable else None, delta_color="inverse",
                   help=f"{int(last.incidents)} in {c.previous}.")
    done_this, done_last = pct(this.complete, this.scored), pct(last.complete, last.scored)
    delta, color = points_delta(done_this, done_last, c)
    cols[1].metric("Postmortems complete", fmt_pct(done_this), delta=delta, delta_color=color, delta_arrow=arrow(color),
                   help=f"Completeness score ≥ {COMPLETE_AT} (from the linter), of {int(this.scored)} scored postmortems.")
    no_items = int(totals["items"]) == 0
    ai_this, ai_last = pct(this.action_items_done, this.action_items), pct(last.action_items_done, last.action_items)
    delta, color = points_delta(ai_this, ai_last, c)
    cols[2].metric("Action items done", fmt_pct(ai_this), delta=delta, delta_color=color, delta_arrow=arrow(color),
                   help="No action items in view: see the Action items page for what the parser looks for." if no_items
                   else f"{int(this.action_items_done)} of {int(this.action_items)} items from {q} incidents.")
    cols[3].metric("Overdue action items", "–" if no_items else int(totals.overdue),
                   help="Open items past their due date today, across all incidents in view.")
    n = int(this.ttr_n)
    cols[4].metric("Median time to resolve", hours(this.ttr_median_hours),
                   help=f"Median from start to resolution over n = {n} incident{'s' * (n != 1)} with both times "
                   f"({c.previous}: {hours(last.ttr_median_hours)}, n = {int(last.ttr_n)}).")
    st.caption(f"Median time to resolve: n = {n} incident{'s' * (n != 1)} of {q} with a start and a resolution time.")
