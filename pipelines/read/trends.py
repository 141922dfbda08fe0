"""Trends: incidents per quarter by team / service / failure mode, and time to detect / resolve."""

from __future__ import annotations


import duckdb
import pandas as pd

from pipelines.quarters import label_sql
from pipelines.read.access import ANONYMOUS
from pipelines.read.repeats import MODE_MEMBERS
from pipelines.read.scope import MIN_SAMPLE, NO_FILTERS, Filters, scoped

# One row per (incident, quarter start, group) for each way of breaking incidents down. Every
# dated incident is in at least one group ("(no service)" ...), so the axis and the totals are the
# same whichever way the page breaks incidents down.
_MEMBERS = {
    "team": """
        SELECT incident_id, date_trunc('quarter', incident_date)::DATE AS q, coalesce(team, '(no team)') AS g
        FROM scope WHERE incident_date IS NOT NULL
    """,
    "service": """
        SELECT sc.incident_id, date_trunc('quarter', sc.incident_date)::DATE AS q, coalesce(s.service, '(no service)') AS g
        FROM scope sc LEFT JOIN incident_services s USING (incident_id) WHERE sc.incident_date IS NOT NULL
    """,
    "failure mode": f"""
        SELECT DISTINCT sc.incident_id, date_trunc('quarter', sc.incident_date)::DATE AS q,
               coalesce(fm.name, '(no failure mode)') AS g
        FROM scope sc LEFT JOIN ({MODE_MEMBERS}) im USING (incident_id) LEFT JOIN failure_modes fm USING (mode)
        WHERE sc.incident_date IS NOT NULL
    """,
}
DIMENSIONS = tuple(_MEMBERS)
MAX_GROUPS = 8  # lines on one chart; beyond this the smallest groups share one "other" line

# Every count is of distinct incidents: an incident in two of the folded groups is one incident
# of "other", not two. Quarters without incidents are rows of 0, so a line drops to zero
# instead of joining two distant quarters.
_BY_GROUP = f"""
, ranked AS (
    SELECT g, row_number() OVER (ORDER BY count(DISTINCT incident_id) DESC, g) AS r, count(*) OVER () AS n_groups
    FROM members GROUP BY g
), labelled AS (
    SELECT m.incident_id, m.q, CASE WHEN r.n_groups <= $top OR r.r < $top THEN m.g ELSE $other END AS g
    FROM members m JOIN ranked r USING (g)
), counts AS (
    SELECT q, g, count(DISTINCT incident_id) AS incidents FROM labelled GROUP BY ALL
), quarters AS (
    SELECT unnest(generate_series(min(q), max(q), INTERVAL 3 MONTH))::DATE AS q FROM members
)
SELECT {label_sql("quarters.q")} AS quarter, quarters.q AS quarter_start, grp.g AS "group",
       coalesce(counts.incidents, 0) AS incidents
FROM quarters CROSS JOIN (SELECT DISTINCT g FROM labelled) grp
LEFT JOIN counts ON counts.q = quarters.q AND counts.g = grp.g
ORDER BY quarter_start, "group"
"""


def incidents_by_dimension(
    con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, dimension: str = "team", top: int = MAX_GROUPS
) -> pd.DataFrame:
    """quarter, quarter_start, group, incidents: distinct incidents per quarter and group, every
    quarter from the first to the last in view (0 where none). `dimension` is one of DIMENSIONS;
    an incident with two services counts once for each. Beyond `top` groups, all but the
    largest top - 1 are folded into one "(other teams)" group that counts distinct incidents."""
    if dimension not in _MEMBERS:
        raise ValueError(f"unknown dimension {dimension!r}; expected one of {DIMENSIONS}")
    return scoped(
        con, ", members AS (" + _MEMBERS[dimension] + ")" + _BY_GROUP, filters, ANONYMOUS,
        top=max(1, int(top)), other=f"(other {dimension}s)",
    )


_DURATIONS = """
, d AS (
    SELECT incident_id, quarter, 'Time to detect' AS metric, date_diff('second', started_at, detected_at) / 3600.0 AS hours
    FROM scope WHERE quarter IS NOT NULL AND started_at IS NOT NULL AND detected_at >= started_at
    UNION ALL
    SELECT incident_id, quarter, 'Time to resolve', date_diff('second', started_at, resolved_at) / 3600.0
    FROM scope WHERE quarter IS NOT NULL AND started_at IS NOT NULL AND resolved_at >= started_at
)
"""


def durations(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, per_quarter: int | None = None) -> pd.DataFrame:
    """quarter, metric ('Time to detect' | 'Time to resolve'), hours: one row per incident and metric.

    With `per_quarter`, at most that many rows per quarter and metric: a fixed pseudo-random
    sample (by incident id hash), enough to draw the spread; summaries use duration_summary.
    """
    return scoped(
        con,
        _DURATIONS
        + """
        SELECT quarter, metric, hours FROM d
        QUALIFY $per_quarter::INTEGER IS NULL
             OR row_number() OVER (PARTITION BY quarter, metric ORDER BY hash(incident_id), incident_id) <= $per_quarter::INTEGER
        ORDER BY quarter, metric, hours
        """,
        filters,
        ANONYMOUS,
        per_quarter=per_quarter,
    )


def duration_summary(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """quarter, metric, n, p25, median, p75, p90, max (hours), small_sample (n < MIN_SAMPLE)."""
    return scoped(
        con,
        _DURATIONS
        + """
        SELECT quarter, metric, count(*) AS n,
               quantile_cont(hours, 0.25) AS p25, quantile_cont(hours, 0.5) AS median,
               quantile_cont(hours, 0.75) AS p75, quantile_cont(hours, 0.9) AS p90,
               max(hours) AS max, count(*) < $min_sample AS small_sample
        FROM d GROUP BY ALL ORDER BY metric, quarter
        """,
        filters,
        ANONYMOUS,
        min_sample=MIN_SAMPLE,
    )
