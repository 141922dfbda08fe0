"""Overview page and filter bar: options, date bounds, incidents per month, KPIs, top services and failure modes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import duckdb
import pandas as pd

from pipelines.quarters import Quarter, Span, default_quarter
from pipelines.read.access import ANONYMOUS
from pipelines.read.periods import dense_start_year
from pipelines.read.repeats import MODE_MEMBERS
from pipelines.read.scope import CLOSED_STATUSES, COMPLETE_AT, MIN_COMPARE, NO_FILTERS, Filters, run, scoped

def filter_options(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every value the filter bar offers: columns kind (team|service|severity|theme), value, label
    (a theme is a recurring pattern, labelled 'failure mode: pattern'). Read from the summary the
    build writes (pipelines/build/summaries.py): the filter bar runs on every page."""
    return run(con, "SELECT kind, value, label FROM summary_filter_values ORDER BY kind, label")


def date_bounds(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row: first and last incident date, the incident count, how many are dated, and the
    first date of the dense period (pipelines/read/periods.py), where the date filter opens.
    Dates are NULL when no incident is dated. From the build's per-year summary (a few rows)."""
    per_year = run(con, "SELECT year, incidents, first, last FROM summary_years ORDER BY year NULLS LAST")
    dated = per_year[per_year["year"].notna()]
    year = dense_start_year(dict(zip(dated["year"].astype(int), dated["incidents"])))
    dense_first = dated.loc[dated["year"] == year, "first"].iloc[0] if year is not None else None
    return pd.DataFrame({
        "first": [dated["first"].min() if len(dated) else None],
        "last": [dated["last"].max() if len(dated) else None],
        "incidents": [int(per_year["incidents"].sum())],
        "dated": [int(dated["incidents"].sum())],
        "dense_first": [dense_first],
    })


def incidents_outside(con: duckdb.DuckDBPyConnection, *, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """One row: incidents before `start` (count, first and last date), after `end` (the same), and
    undated ones (which no date range holds). Every incident counts, whatever the other filters."""
    return run(
        con,
        """
        SELECT count(*) FILTER (WHERE incident_date < $start::DATE) AS before,
               min(incident_date) FILTER (WHERE incident_date < $start::DATE) AS before_first,
               max(incident_date) FILTER (WHERE incident_date < $start::DATE) AS before_last,
               count(*) FILTER (WHERE incident_date > $end::DATE) AS after,
               min(incident_date) FILTER (WHERE incident_date > $end::DATE) AS after_first,
               max(incident_date) FILTER (WHERE incident_date > $end::DATE) AS after_last,
               count(*) FILTER (WHERE incident_date IS NULL) AS undated
        FROM incidents
        """,
        {"start": start, "end": end},
    )


def incidents_per_month(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """month (first day), severity, incidents."""
    return scoped(
        con,
        """
        SELECT date_trunc('month', incident_date)::DATE AS month, sev AS severity, count(*) AS incidents
        FROM scope WHERE incident_date IS NOT NULL
        GROUP BY ALL ORDER BY month, severity
        """,
        filters,
        ANONYMOUS,
    )


def reference_quarter(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, today: date) -> Quarter | None:
    """The quarter the overview's KPIs describe: the last complete quarter with incidents in view
    (over by `today`, and not cut by the filter's end date); the latest quarter with incidents in
    view when none is complete. None when nothing in view is dated.

    A quarter still in progress is never the default: its counts are partial, so its "drop"
    against the quarter before would read as an improvement that is only the calendar.
    """
    found = scoped(
        con,
        "SELECT DISTINCT year(incident_date) AS year, quarter(incident_date) AS q FROM scope WHERE incident_date IS NOT NULL",
        replace(filters, start=None),
        ANONYMOUS,
    )
    limit = today if filters.end is None else min(today, filters.end + timedelta(days=1))
    return default_quarter((Quarter(int(r.year), int(r.q)) for r in found.itertuples(index=False)), limit)


def reference_period(
    con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, today: date, min_incidents: int = MIN_COMPARE
) -> Quarter | Span | None:
    """The period the overview's KPIs, top services and top failure modes describe: the
    reference quarter, or the four quarters ending with it when that quarter alone holds fewer
    than `min_incidents` incidents in view and the four hold more. A corpus of a few incidents a
    quarter otherwise shows "Incidents: 1" and services at "100 %" of one incident.
    """
    ref = reference_quarter(con, filters, today=today)
    if ref is None:
        return None
    span = Span(ref)
    counts = scoped(
        con,
        """
        SELECT count(*) FILTER (WHERE incident_date >= $q_start::DATE) AS in_quarter, count(*) AS in_span
        FROM scope WHERE incident_date >= $s_start::DATE AND incident_date < $end::DATE
        """,
        replace(filters, start=None),
        ANONYMOUS,
        q_start=ref.start,
        s_start=span.start,
        end=ref.end,
    ).iloc[0]
    in_quarter, in_span = int(counts.in_quarter), int(counts.in_span)
    return span if in_quarter < min_incidents and in_span > in_quarter else ref


def overview_kpis(
    con: duckdb.DuckDBPyConnection,
    filters: Filters = NO_FILTERS,
    *,
    today: date,
    complete_at: int = COMPLETE_AT,
    min_incidents: int = MIN_COMPARE,
) -> pd.DataFrame:
    """One row per period: 'this' (reference_period) and 'last' (the period before): incidents,
    completeness, action items, time to resolve.

    The start date of the filter is ignored so the period before is always available to compare;
    `overdue` is as of `today` across the whole period's incidents.
    """
    ref = reference_period(con, filters, today=today, min_incidents=min_incidents) or Quarter.of(today)
    this_start, this_end, last_start = ref.start, ref.end, ref.previous().start
    return scoped(
        con,
        """
        , periods AS (
            SELECT 'this' AS period, $this_start::DATE AS p_start, $this_end::DATE AS p_end
            UNION ALL SELECT 'last', $last_start::DATE, $this_start::DATE
        ), inc AS (
            SELECT p.period, s.* FROM periods p
            JOIN scope s ON s.incident_date >= p.p_start AND s.incident_date < p.p_end
        ), inc_stats AS (
            SELECT period, count(*) AS incidents, count(completeness) AS scored,
                   count(*) FILTER (WHERE completeness >= $complete_at) AS complete,
                   quantile_cont(date_diff('second', started_at, resolved_at) / 3600.0, 0.5)
                       FILTER (WHERE resolved_at >= started_at) AS ttr_median_hours,
                   count(*) FILTER (WHERE resolved_at >= started_at) AS ttr_n
            FROM inc GROUP BY period
        ), ai_stats AS (
            SELECT inc.period, count(*) AS action_items, count(*) FILTER (WHERE a.status = 'done') AS action_items_done,
                   count(*) FILTER (WHERE a.due_date < $today::DATE AND NOT list_contains($closed::VARCHAR[], a.status)) AS overdue
            FROM inc JOIN action_items a USING (incident_id) GROUP BY inc.period
        )
        SELECT p.period, p.p_start AS period_start,
               coalesce(i.incidents, 0) AS incidents, coalesce(i.scored, 0) AS scored, coalesce(i.complete, 0) AS complete,
               coalesce(a.action_items, 0) AS action_items, coalesce(a.action_items_done, 0) AS action_items_done,
               coalesce(a.overdue, 0) AS overdue, i.ttr_median_hours, coalesce(i.ttr_n, 0) AS ttr_n
        FROM periods p LEFT JOIN inc_stats i USING (period) LEFT JOIN ai_stats a USING (period)
        ORDER BY p.period DESC
        """,
        replace(filters, start=None),
        ANONYMOUS,
        this_start=this_start,
        this_end=this_end,
        last_start=last_start,
        today=today,
        complete_at=complete_at,
        closed=list(CLOSED_STATUSES),
    )


def _period_bounds(con: duckdb.DuckDBPyConnection, filters: Filters, today: date, min_incidents: int) -> tuple[date, date]:
    ref = reference_period(con, filters, today=today, min_incidents=min_incidents)
    return (ref.start, ref.end) if ref is not None else (date(1, 1, 1), date(1, 1, 1))


def top_services(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, today: date, limit: int = 10,
                 min_incidents: int = MIN_COMPARE) -> pd.DataFrame:
    """service, incidents in the reference period (see reference_period)."""
    ref = _period_bounds(con, filters, today, min_incidents)
    return scoped(
        con,
        """
        SELECT s.service, count(DISTINCT sc.incident_id) AS incidents
        FROM scope sc JOIN incident_services s USING (incident_id)
        WHERE sc.incident_date >= $q_start::DATE AND sc.incident_date < $q_end::DATE
        GROUP BY s.service ORDER BY incidents DESC, s.service LIMIT $limit
        """,
        replace(filters, start=None),
        ANONYMOUS,
        q_start=ref[0],
        q_end=ref[1],
        limit=limit,
    )


def top_failure_modes(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, today: date, limit: int = 10,
                      min_incidents: int = MIN_COMPARE) -> pd.DataFrame:
    """mode, name, incidents in the reference period (distinct incidents of which it is one of the modes)."""
    ref = _period_bounds(con, filters, today, min_incidents)
    return scoped(
        con,
        f"""
        , im AS ({MODE_MEMBERS})
        SELECT fm.mode, fm.name, count(DISTINCT sc.incident_id) AS incidents
        FROM scope sc JOIN im USING (incident_id) JOIN failure_modes fm USING (mode)
        WHERE sc.incident_date >= $q_start::DATE AND sc.incident_date < $q_end::DATE
        GROUP BY ALL ORDER BY incidents DESC, fm.name LIMIT $limit
        """,
        replace(filters, start=None),
        ANONYMOUS,
        q_start=ref[0],
        q_end=ref[1],
        limit=limit,
    )
