"""Failure modes and the recurring patterns inside them: sizes, quarters, examples, incidents.

One definition of size for every reader (the Themes page, Overview, `hindsight themes`):
a mode's incidents are the distinct incidents in scope of which it is one of the modes
(read/repeats.MODE_MEMBERS); a pattern's are its members in scope; a mode's Unclustered bucket
holds its incidents that are in none of its patterns. Restricted incidents count everywhere,
but their sentences (evidence, examples) reach only viewers who may read them.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from pipelines.read.access import ANONYMOUS, Viewer
from pipelines.read.repeats import MODE_MEMBERS, RECURRED_AFTER_FIX_CTES_GIVEN_MEMBERS
from pipelines.read.scope import NO_FILTERS, Filters, scoped

UNCLUSTERED = -1

# Members of each mode in scope, and the pattern of that mode each is in (-1: none).
_MEMBERS = f"""
, im AS ({MODE_MEMBERS})
, members AS (
    SELECT sc.incident_id, im.mode, coalesce(p.theme_id, {UNCLUSTERED}) AS theme_id, sc.quarter, sc.incident_date, sc.visible
    FROM scope sc JOIN im USING (incident_id)
    LEFT JOIN (SELECT it.incident_id, t.mode, it.theme_id FROM incident_themes it JOIN themes t USING (theme_id)
               WHERE it.theme_id <> {UNCLUSTERED}) p ON p.incident_id = sc.incident_id AND p.mode = im.mode
)
"""


def failure_mode_summary(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Per failure mode with incidents in scope: mode, name, class, class_name, description,
    incidents, by_hand, by_model (incidents whose modes came from hand labels / the classifier),
    quarters_active, first_seen, last_seen, services (most affected first), patterns,
    unclustered (incidents in none of its patterns), repeats, recurred_after_fix.
    Most incidents first."""
    return scoped(
        con,
        _MEMBERS
        + f"""
        , src AS (
            SELECT incident_id, mode, source FROM incident_failure_modes WHERE weight > 0
        ), per_mode AS (
            SELECT m.mode, count(DISTINCT m.incident_id) AS incidents,
                   count(DISTINCT m.incident_id) FILTER (WHERE s.source = 'hand') AS by_hand,
                   count(DISTINCT m.incident_id) FILTER (WHERE s.source = 'model') AS by_model,
                   count(DISTINCT m.quarter) AS quarters_active,
                   min(m.incident_date) AS first_seen, max(m.incident_date) AS last_seen,
                   count(DISTINCT m.theme_id) FILTER (WHERE m.theme_id <> {UNCLUSTERED}) AS patterns,
                   count(DISTINCT m.incident_id) FILTER (WHERE m.theme_id = {UNCLUSTERED}) AS unclustered
            FROM members m LEFT JOIN src s USING (incident_id, mode) GROUP BY m.mode
        ), svc AS (
            SELECT mode, list(service ORDER BY n DESC, service) AS services
            FROM (SELECT m.mode, s.service, count(DISTINCT m.incident_id) AS n
                  FROM members m JOIN incident_services s USING (incident_id) GROUP BY ALL)
            GROUP BY mode
        ), rep AS (
            SELECT r.mode, count(DISTINCT r.incident_id) AS repeats
            FROM repeat_incidents r JOIN scope sc USING (incident_id) GROUP BY r.mode
        ), {RECURRED_AFTER_FIX_CTES_GIVEN_MEMBERS}
        , raf AS (
            SELECT l.mode, count(DISTINCT l.incident_id) AS recurred_after_fix
            FROM later l JOIN scope sc USING (incident_id) GROUP BY l.mode
        )
        SELECT fm.mode, fm.name, fm.class, fm.class_name, fm.description, p.incidents, p.by_hand, p.by_model,
               p.quarters_active, p.first_seen, p.last_seen, coalesce(svc.services, []) AS services,
               p.patterns, p.unclustered, coalesce(rep.repeats, 0) AS repeats,
               coalesce(raf.recurred_after_fix, 0) AS recurred_after_fix
        FROM per_mode p JOIN failure_modes fm USING (mode)
        LEFT JOIN svc USING (mode) LEFT JOIN rep USING (mode) LEFT JOIN raf USING (mode)
        ORDER BY p.incidents DESC, fm.name
        """,
        filters,
        ANONYMOUS,
        mode=None,
    )


def failure_mode_coverage(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """One row: incidents in scope, with_mode (at least one failure mode), without_mode."""
    return scoped(
        con,
        f"""
        , im AS ({MODE_MEMBERS})
        SELECT count(*) AS incidents,
               count(*) FILTER (WHERE sc.incident_id IN (SELECT incident_id FROM im)) AS with_mode,
               count(*) FILTER (WHERE sc.incident_id NOT IN (SELECT incident_id FROM im)) AS without_mode
        FROM scope sc
        """,
        filters,
        ANONYMOUS,
    )


def failure_mode_quarters(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """mode, name, quarter, incidents: the trend of each mode per quarter."""
    return scoped(
        con,
        _MEMBERS
        + """
        SELECT m.mode, fm.name, m.quarter, count(DISTINCT m.incident_id) AS incidents
        FROM members m JOIN failure_modes fm USING (mode)
        WHERE m.quarter IS NOT NULL
        GROUP BY ALL ORDER BY m.quarter, fm.name
        """,
        filters,
        ANONYMOUS,
    )


def failure_mode_examples(
    con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, viewer: Viewer = ANONYMOUS, *, mode: str, limit: int = 3
) -> pd.DataFrame:
    """incident_id, incident_date, sentence, phrase: the best evidence sentence of up to `limit`
    incidents of the mode that the viewer may read, strongest first, no sentence twice."""
    return scoped(
        con,
        """
        , best AS (
            SELECT sc.incident_id, sc.incident_date, f.evidence[1] AS sentence, f.phrases[1] AS phrase, f.score
            FROM scope sc JOIN incident_failure_modes f USING (incident_id)
            WHERE f.mode = $mode AND f.weight > 0 AND sc.visible AND len(f.evidence) > 0
            -- one incident per sentence: templates and copied text repeat sentences word for word
            QUALIFY row_number() OVER (PARTITION BY lower(f.evidence[1]) ORDER BY f.score DESC, sc.incident_date DESC NULLS LAST, sc.incident_id) = 1
        )
        SELECT incident_id, incident_date, sentence, phrase FROM best
        ORDER BY score DESC, incident_date DESC NULLS LAST, incident_id
        LIMIT $limit
        """,
        filters,
        viewer,
        mode=str(mode),
        limit=int(limit),
    )


def mode_patterns(
    con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, viewer: Viewer = ANONYMOUS, *, mode: str
) -> pd.DataFrame:
    """theme_id, label, incidents, examples: the patterns of one mode with members in scope, most
    incidents first, then the mode's Unclustered bucket (theme_id -1) when it holds any. Pattern
    examples were chosen at build time from incidents anyone may read; the bucket's are the best
    evidence of up to two of its incidents the viewer may read."""
    return scoped(
        con,
        _MEMBERS
        + f"""
        , counted AS (
            SELECT theme_id, count(DISTINCT incident_id) AS incidents
            FROM members WHERE mode = $mode GROUP BY theme_id
        ), loose AS (
            SELECT f.evidence[1] AS sentence
            FROM members m JOIN incident_failure_modes f USING (incident_id, mode)
            WHERE m.mode = $mode AND m.theme_id = {UNCLUSTERED} AND m.visible AND len(f.evidence) > 0
            ORDER BY f.score DESC, m.incident_date DESC NULLS LAST, m.incident_id
            LIMIT 2
        )
        SELECT c.theme_id,
               CASE WHEN c.theme_id = {UNCLUSTERED} THEN 'Unclustered' ELSE t.label END AS label,
               c.incidents,
               CASE WHEN c.theme_id = {UNCLUSTERED} THEN (SELECT coalesce(list(sentence), []) FROM loose)
                    ELSE coalesce(t.examples, []) END AS examples
        FROM counted c LEFT JOIN themes t ON t.theme_id = c.theme_id AND c.theme_id <> {UNCLUSTERED}
        ORDER BY c.theme_id = {UNCLUSTERED}, c.incidents DESC, label
        """,
        filters,
        viewer,
        mode=str(mode),
    )


def mode_incidents(
    con: duckdb.DuckDBPyConnection,
    filters: Filters = NO_FILTERS,
    viewer: Viewer = ANONYMOUS,
    *,
    mode: str,
    theme_id: int | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """The `limit` latest incidents of a mode (of one of its patterns when `theme_id` is given;
    -1 = its Unclustered bucket): incident_id (NULL when hidden), incident_date, title, severity,
    team, services, pattern, evidence (its best sentence; NULL when hidden)."""
    return scoped(
        con,
        _MEMBERS
        + """
        SELECT CASE WHEN m.visible THEN m.incident_id END AS incident_id, m.incident_date,
               CASE WHEN m.visible THEN coalesce(sc.title, sc.incident_id) ELSE sc.hidden_label END AS title,
               sc.sev AS severity, sc.team,
               (SELECT string_agg(service, ', ' ORDER BY service) FROM incident_services s
                 WHERE s.incident_id = m.incident_id) AS services,
               t.label AS pattern,
               CASE WHEN m.visible THEN f.evidence[1] END AS evidence
        FROM members m JOIN scope sc USING (incident_id)
        LEFT JOIN themes t ON t.theme_id = m.theme_id AND m.theme_id <> -1
        LEFT JOIN incident_failure_modes f ON f.incident_id = m.incident_id AND f.mode = m.mode
        WHERE m.mode = $mode AND ($theme_id::INTEGER IS NULL OR m.theme_id = $theme_id::INTEGER)
        ORDER BY m.incident_date DESC NULLS LAST, m.incident_id
        LIMIT $limit
        """,
        filters,
        viewer,
        mode=str(mode),
        theme_id=None if theme_id is None else int(theme_id),
        limit=int(limit),
    )


def failure_mode_classes(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """class, class_name, incidents (distinct incidents with a mode of the class in scope)."""
    return scoped(
        con,
        _MEMBERS
        + """
        SELECT fm.class, fm.class_name, count(DISTINCT m.incident_id) AS incidents
        FROM members m JOIN failure_modes fm USING (mode)
        GROUP BY ALL ORDER BY incidents DESC, fm.class_name
        """,
        filters,
        ANONYMOUS,
    )


def failure_mode_info(con: duckdb.DuckDBPyConnection) -> dict | None:
    """What the build recorded about its failure modes (build_info 'failure_modes'): incidents by
    source, hand labels, and the classifier's cross-validated agreement with them; None before analysis."""
    row = con.execute("SELECT value FROM build_info WHERE key = 'failure_modes'").fetchone()
    return json.loads(row[0]) if row else None
