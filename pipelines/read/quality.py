"""Data quality: ingest errors, missing parts, completeness and lint findings."""

from __future__ import annotations


import duckdb
import pandas as pd

from pipelines.read.access import ANONYMOUS, Viewer
from pipelines.read.scope import NO_FILTERS, Filters, run, scoped

def ingest_errors(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """source_path, reason."""
    return run(con, "SELECT source_path, reason FROM ingest_errors ORDER BY source_path")


def missing_parts(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, viewer: Viewer = ANONYMOUS) -> pd.DataFrame:
    """Incidents missing a key part (summary, timeline, impact, root cause, action items) or time:
    incident_id (NULL when hidden), title, source_path (hidden too), incident_date, completeness,
    missing (comma-separated); most gaps first."""
    return scoped(
        con,
        """
        , parts AS (
            -- a part counts when written as a section or parsed into structure (JSON/CSV exports)
            SELECT DISTINCT incident_id, kind FROM sections
            WHERE kind IN ('summary', 'timeline', 'impact', 'root_cause', 'action_items') AND strlen(body) > 0
            UNION SELECT incident_id, 'summary' FROM incidents WHERE strlen(summary) > 0
            UNION SELECT DISTINCT incident_id, 'timeline' FROM timeline_events
            UNION SELECT DISTINCT incident_id, 'root_cause' FROM contributing_factors
            UNION SELECT DISTINCT incident_id, 'action_items' FROM action_items
        ), have AS (
            SELECT incident_id,
                   bool_or(kind = 'summary') AS summary, bool_or(kind = 'timeline') AS timeline, bool_or(kind = 'impact') AS impact,
                   bool_or(kind = 'root_cause') AS root_cause, bool_or(kind = 'action_items') AS action_items
            FROM parts GROUP BY incident_id
        ), gaps AS (
            SELECT sc.*, concat_ws(', ',
                       CASE WHEN h.summary IS NOT TRUE THEN 'summary' END,
                       CASE WHEN h.timeline IS NOT TRUE THEN 'timeline' END,
                       CASE WHEN h.impact IS NOT TRUE THEN 'impact' END,
                       CASE WHEN h.root_cause IS NOT TRUE THEN 'root cause' END,
                       CASE WHEN h.action_items IS NOT TRUE THEN 'action items' END,
                       CASE WHEN sc.started_at IS NULL THEN 'start time' END,
                       CASE WHEN sc.detected_at IS NULL THEN 'detection time' END,
                       CASE WHEN sc.resolved_at IS NULL THEN 'resolution time' END,
                       CASE WHEN sc.incident_date IS NULL THEN 'date' END,
                       CASE WHEN sc.severity IS NULL THEN 'severity' END) AS missing
            FROM scope sc LEFT JOIN have h USING (incident_id)
        )
        SELECT CASE WHEN visible THEN incident_id END AS incident_id,
               CASE WHEN visible THEN coalesce(title, incident_id) ELSE hidden_label END AS title,
               CASE WHEN visible THEN source_path END AS source_path,
               incident_date, completeness, missing
        FROM gaps WHERE missing <> ''
        ORDER BY length(missing) - length(replace(missing, ',', '')) DESC, completeness NULLS FIRST,
                 incident_date DESC NULLS LAST, gaps.incident_id
        """,
        filters,
        viewer,
    )


def completeness_scores(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """quarter, completeness: one row per scored incident (for the distribution per quarter)."""
    return scoped(
        con,
        "SELECT quarter, completeness FROM scope WHERE completeness IS NOT NULL AND quarter IS NOT NULL ORDER BY quarter",
        filters,
        ANONYMOUS,
    )


def lint_rule_counts(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, limit: int = 10) -> pd.DataFrame:
    """quarter, rule, severity, findings, incidents: the `limit` most common rules overall, per quarter."""
    return scoped(
        con,
        """
        , f AS (SELECT sc.quarter, l.* FROM scope sc JOIN lint_findings l USING (incident_id) WHERE sc.quarter IS NOT NULL),
        top AS (SELECT rule FROM f GROUP BY rule ORDER BY count(*) DESC, rule LIMIT $limit)
        SELECT quarter, rule,
               arg_min(severity, CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END) AS severity, count(*) AS findings, count(DISTINCT incident_id) AS incidents
        FROM f WHERE rule IN (SELECT rule FROM top)
        GROUP BY quarter, rule ORDER BY quarter, findings DESC, rule
        """,
        filters,
        ANONYMOUS,
        limit=limit,
    )
