"""Data quality: ingest errors, missing parts, completeness, lint findings, where each field's
value came from (field_sources), and possible duplicates."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.model import STATED_SOURCES
from pipelines.read.access import ANONYMOUS, Viewer
from pipelines.read.scope import NO_FILTERS, Filters, run, scoped, visible_sql

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


# The sourced fields in the order the page shows them, with their labels.
SOURCED_FIELD_LABELS = {
    "severity": "Severity",
    "started_at": "Impact start",
    "detected_at": "Detection",
    "resolved_at": "Resolution",
    "services": "Services",
    "team": "Team",
}


def field_provenance(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """field, label, provenance (stated | inferred | missing), incidents, share (of the incidents
    in scope), sources (the field_sources kinds behind the count, most common first): one row
    per field and provenance, every combination present (0 when none), in SOURCED_FIELD_LABELS
    order."""
    return scoped(
        con,
        """
        , fields AS (
            SELECT unnest($fields::VARCHAR[]) AS field, generate_subscripts($fields::VARCHAR[], 1) AS field_order
        ), kinds AS (
            SELECT * FROM (VALUES ('stated', 1), ('inferred', 2), ('missing', 3)) k(provenance, kind_order)
        ), cells AS (
            SELECT f.field, f.field_order, sc.incident_id, fs.source,
                   CASE WHEN fs.source IS NULL THEN 'missing'
                        WHEN list_contains($stated::VARCHAR[], fs.source) THEN 'stated'
                        ELSE 'inferred' END AS provenance
            FROM scope sc CROSS JOIN fields f
            LEFT JOIN field_sources fs ON fs.incident_id = sc.incident_id AND fs.field = f.field
        ), counted AS (
            SELECT field, provenance, count(*) AS incidents,
                   string_agg(DISTINCT source, ', ' ORDER BY source) AS sources
            FROM cells GROUP BY field, provenance
        ), total AS (SELECT count(*) AS n FROM scope)
        SELECT f.field, list_extract($labels::VARCHAR[], f.field_order) AS label, k.provenance,
               coalesce(c.incidents, 0) AS incidents,
               CASE WHEN total.n > 0 THEN coalesce(c.incidents, 0) / total.n END AS share,
               c.sources
        FROM fields f CROSS JOIN kinds k CROSS JOIN total
        LEFT JOIN counted c ON c.field = f.field AND c.provenance = k.provenance
        ORDER BY f.field_order, k.kind_order
        """,
        filters,
        ANONYMOUS,
        fields=list(SOURCED_FIELD_LABELS),
        labels=list(SOURCED_FIELD_LABELS.values()),
        stated=list(STATED_SOURCES),
    )


def duration_provenance(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """One row: durations (incidents in scope with a start and a resolution, so a time to
    resolve), inferred (those whose start or resolution was inferred, from a timeline, say)."""
    return scoped(
        con,
        """
        , d AS (
            SELECT sc.incident_id, bool_or(NOT list_contains($stated::VARCHAR[], fs.source)) AS inferred
            FROM scope sc JOIN field_sources fs
              ON fs.incident_id = sc.incident_id AND fs.field IN ('started_at', 'resolved_at')
            WHERE sc.started_at IS NOT NULL AND sc.resolved_at IS NOT NULL
            GROUP BY sc.incident_id
        )
        SELECT (SELECT count(*) FROM scope WHERE started_at IS NOT NULL AND resolved_at IS NOT NULL) AS durations,
               count(*) FILTER (WHERE inferred) AS inferred
        FROM d
        """,
        filters,
        ANONYMOUS,
        stated=list(STATED_SOURCES),
    )


# Every incident with the viewer's visibility, for both sides of a pair (the other side may be
# outside the filters).
_DUPLICATES_SQL = f"""
, everyone AS (
    SELECT i.incident_id, i.title, i.incident_date, {visible_sql("i")} AS visible FROM incidents i
)
SELECT CASE WHEN a.visible THEN a.incident_id END AS incident_id,
       CASE WHEN a.visible THEN coalesce(a.title, a.incident_id) ELSE $restricted_label END AS title,
       a.incident_date,
       CASE WHEN b.visible THEN b.incident_id END AS other_id,
       CASE WHEN b.visible THEN coalesce(b.title, b.incident_id) ELSE $restricted_label END AS other_title,
       b.incident_date AS other_date,
       array_to_string(p.shared_services, ', ') AS shared_services, p.hours_apart, p.similarity
FROM possible_duplicates p
JOIN everyone a ON a.incident_id = p.incident_id
JOIN everyone b ON b.incident_id = p.other_id
WHERE p.incident_id IN (SELECT incident_id FROM scope) OR p.other_id IN (SELECT incident_id FROM scope)
ORDER BY p.similarity DESC, a.incident_date, p.incident_id, p.other_id
"""


def possible_duplicates(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, viewer: Viewer = ANONYMOUS) -> pd.DataFrame:
    """Incidents that look like one incident written up twice without a shared id, for a person
    to confirm: incident_id, title, incident_date, other_id, other_title, other_date,
    shared_services (comma-separated), hours_apart, similarity. A pair shows when either incident
    is in scope; a restricted one the viewer may not read shows as "restricted incident" without
    an id. Most similar first."""
    return scoped(con, _DUPLICATES_SQL, filters, viewer)
