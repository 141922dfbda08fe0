"""Themes: sizes, quarters, services, fishbone categories, and the incidents and factors of one theme."""

from __future__ import annotations


import duckdb
import pandas as pd

from pipelines.read.access import ANONYMOUS, Viewer
from pipelines.read.scope import NO_FILTERS, Filters, scoped

def themes_summary(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, viewer: Viewer = ANONYMOUS) -> pd.DataFrame:
    """theme_id, label, top_terms, factors, incidents, representative (a factor sentence the viewer may read).

    The stored representative sentence is shown only if it also occurs in an incident the viewer
    may read; otherwise the alphabetically first readable factor stands in (NULL if none).
    """
    return scoped(
        con,
        """
        , tf AS (
            SELECT cf.theme_id, cf.incident_id, cf.text, sc.visible
            FROM contributing_factors cf JOIN scope sc USING (incident_id) WHERE cf.theme_id >= 0
        ), per_theme AS (
            SELECT tf.theme_id, count(*) AS factors, count(DISTINCT tf.incident_id) AS incidents,
                   bool_or(tf.visible AND tf.text = t.representative_text) AS rep_visible,
                   min(tf.text) FILTER (WHERE tf.visible) AS first_visible
            FROM tf JOIN themes t USING (theme_id) GROUP BY tf.theme_id
        )
        SELECT t.theme_id, t.label, t.top_terms, p.factors, p.incidents,
               CASE WHEN p.rep_visible THEN t.representative_text ELSE p.first_visible END AS representative
        FROM per_theme p JOIN themes t USING (theme_id)
        ORDER BY incidents DESC, factors DESC, t.label
        """,
        filters,
        viewer,
    )


def theme_quarters(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """theme_id, theme, quarter, incidents (for the theme x quarter heatmap)."""
    return scoped(
        con,
        """
        SELECT t.theme_id, t.label AS theme, sc.quarter, count(DISTINCT sc.incident_id) AS incidents
        FROM scope sc JOIN incident_themes it USING (incident_id) JOIN themes t USING (theme_id)
        WHERE sc.quarter IS NOT NULL AND t.theme_id >= 0
        GROUP BY ALL ORDER BY sc.quarter, theme
        """,
        filters,
        ANONYMOUS,
    )


def theme_services(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """theme_id, theme, service, incidents."""
    return scoped(
        con,
        """
        SELECT t.theme_id, t.label AS theme, s.service, count(DISTINCT sc.incident_id) AS incidents
        FROM scope sc JOIN incident_themes it USING (incident_id) JOIN themes t USING (theme_id)
        JOIN incident_services s ON s.incident_id = sc.incident_id
        WHERE t.theme_id >= 0
        GROUP BY ALL ORDER BY incidents DESC, theme, s.service
        """,
        filters,
        ANONYMOUS,
    )


def factor_categories(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """category (fishbone; '(uncategorised)' when missing), factors, incidents."""
    return scoped(
        con,
        """
        SELECT coalesce(cf.category, '(uncategorised)') AS category,
               count(*) AS factors, count(DISTINCT cf.incident_id) AS incidents
        FROM scope sc JOIN contributing_factors cf USING (incident_id)
        GROUP BY ALL ORDER BY factors DESC, category
        """,
        filters,
        ANONYMOUS,
    )


def theme_incidents(
    con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, viewer: Viewer = ANONYMOUS, *, theme_id: int, limit: int = 500
) -> pd.DataFrame:
    """incident_id (NULL when hidden), incident_date, title, severity, team, services, weight: the `limit` latest."""
    return scoped(
        con,
        """
        SELECT CASE WHEN sc.visible THEN sc.incident_id END AS incident_id, sc.incident_date,
               CASE WHEN sc.visible THEN coalesce(sc.title, sc.incident_id) ELSE sc.hidden_label END AS title,
               sc.sev AS severity, sc.team,
               (SELECT string_agg(service, ', ' ORDER BY service) FROM incident_services s
                 WHERE s.incident_id = sc.incident_id) AS services,
               it.weight
        FROM scope sc JOIN incident_themes it USING (incident_id)
        WHERE it.theme_id = $theme_id
        ORDER BY sc.incident_date DESC NULLS LAST, sc.incident_id
        LIMIT $limit
        """,
        filters,
        viewer,
        theme_id=int(theme_id),
        limit=int(limit),
    )


def theme_factors(
    con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, viewer: Viewer = ANONYMOUS, *, theme_id: int, limit: int = 500
) -> pd.DataFrame:
    """incident_id, incident_date, factor, category, source_section: the `limit` latest, only from
    incidents the viewer may read."""
    return scoped(
        con,
        """
        SELECT sc.incident_id, sc.incident_date, cf.text AS factor, cf.category, cf.source_section
        FROM scope sc JOIN contributing_factors cf USING (incident_id)
        WHERE cf.theme_id = $theme_id AND sc.visible
        ORDER BY sc.incident_date DESC NULLS LAST, sc.incident_id, cf.seq
        LIMIT $limit
        """,
        filters,
        viewer,
        theme_id=int(theme_id),
        limit=int(limit),
    )
