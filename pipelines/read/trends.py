"""Trends: incidents per quarter by team / service / failure mode, and time to detect / resolve."""

from __future__ import annotations


import duckdb
import pandas as pd

from pipelines.read.access import ANONYMOUS
from pipelines.read.repeats import MODE_MEMBERS
from pipelines.read.scope import MIN_SAMPLE, NO_FILTERS, Filters, scoped

_BY_DIMENSION = {
    "team": """
        SELECT quarter, coalesce(team, '(no team)') AS "group", count(*) AS incidents
        FROM scope WHERE quarter IS NOT NULL GROUP BY ALL ORDER BY quarter, "group"
    """,
    "service": """
        SELECT sc.quarter, s.service AS "group", count(DISTINCT sc.incident_id) AS incidents
        FROM scope sc JOIN incident_services s USING (incident_id)
        WHERE sc.quarter IS NOT NULL GROUP BY ALL ORDER BY sc.quarter, "group"
    """,
    "failure mode": f"""
        , im AS ({MODE_MEMBERS})
        SELECT sc.quarter, fm.name AS "group", count(DISTINCT sc.incident_id) AS incidents
        FROM scope sc JOIN im USING (incident_id) JOIN failure_modes fm USING (mode)
        WHERE sc.quarter IS NOT NULL GROUP BY ALL ORDER BY sc.quarter, "group"
    """,
}
DIMENSIONS = tuple(_BY_DIMENSION)


def incidents_by_dimension(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, dimension: str = "team") -> pd.DataFrame:
    """quarter, group, incidents; `dimension` is one of DIMENSIONS (an incident with two services counts for both)."""
    if dimension not in _BY_DIMENSION:
        raise ValueError(f"unknown dimension {dimension!r}; expected one of {DIMENSIONS}")
    return scoped(con, _BY_DIMENSION[dimension], filters, ANONYMOUS)


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
