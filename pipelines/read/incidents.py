"""One incident: the picker, cards, the detail page and its parts, precomputed related incidents."""

from __future__ import annotations


import duckdb
import pandas as pd

from pipelines.model import STATED_SOURCES
from pipelines.read.access import ANONYMOUS, Viewer
from pipelines.read.scope import NO_FILTERS, scoped

def incident_choices(con: duckdb.DuckDBPyConnection, viewer: Viewer = ANONYMOUS) -> pd.DataFrame:
    """incident_id, label ('date · title'): every incident the viewer may read, newest first."""
    return scoped(
        con,
        """
        SELECT incident_id,
               coalesce(strftime(incident_date, '%Y-%m-%d'), 'undated') || ' · ' || coalesce(title, incident_id) AS label
        FROM scope WHERE visible
        ORDER BY incident_date DESC NULLS LAST, incident_id
        """,
        NO_FILTERS,
        viewer,
    )


def incident_cards(con: duckdb.DuckDBPyConnection, viewer: Viewer = ANONYMOUS, *, ids: list[str]) -> pd.DataFrame:
    """position (1-based, in `ids`), visible, incident_id, title, incident_date, severity, team, services,
    failure_modes (names) for the given ids; hidden incidents come back with visible = false and no id or title."""
    return scoped(
        con,
        """
        SELECT list_position($ids::VARCHAR[], incident_id) AS position, visible,
               CASE WHEN visible THEN incident_id END AS incident_id,
               CASE WHEN visible THEN coalesce(title, incident_id) ELSE hidden_label END AS title,
               incident_date, sev AS severity, team,
               (SELECT string_agg(service, ', ' ORDER BY service) FROM incident_services s
                 WHERE s.incident_id = sc.incident_id) AS services,
               (SELECT list(fm.name ORDER BY f.weight DESC, fm.name) FROM incident_failure_modes f JOIN failure_modes fm USING (mode)
                 WHERE f.incident_id = sc.incident_id AND f.weight > 0) AS failure_modes
        FROM scope sc WHERE list_contains($ids::VARCHAR[], incident_id) ORDER BY position
        """,
        NO_FILTERS,
        viewer,
        ids=[str(i) for i in ids],
    )


def incident_detail(con: duckdb.DuckDBPyConnection, viewer: Viewer = ANONYMOUS, *, incident_id: str) -> pd.DataFrame:
    """One row for the incident page (empty if unknown). A hidden incident returns one row with
    visible = false and only its severity and date, so the page can say it exists but is restricted."""
    return scoped(
        con,
        """
        SELECT visible,
               CASE WHEN visible THEN incident_id END AS incident_id,
               CASE WHEN visible THEN coalesce(title, incident_id) ELSE hidden_label END AS title,
               incident_date, sev AS severity,
               CASE WHEN visible THEN severity_raw END AS severity_raw,
               CASE WHEN visible THEN team END AS team,
               CASE WHEN visible THEN status END AS status,
               CASE WHEN visible THEN summary END AS summary,
               CASE WHEN visible THEN url END AS url,
               CASE WHEN visible THEN source_path END AS source_path,
               CASE WHEN visible THEN source_format END AS source_format,
               CASE WHEN visible THEN started_at END AS started_at,
               CASE WHEN visible THEN detected_at END AS detected_at,
               CASE WHEN visible THEN mitigated_at END AS mitigated_at,
               CASE WHEN visible THEN resolved_at END AS resolved_at,
               restricted, completeness,
               CASE WHEN visible THEN (SELECT list(service ORDER BY service) FROM incident_services s
                                        WHERE s.incident_id = sc.incident_id) END AS services,
               CASE WHEN visible THEN (SELECT list(tag ORDER BY tag) FROM incident_tags g
                                        WHERE g.incident_id = sc.incident_id) END AS tags,
               CASE WHEN visible THEN (SELECT list(source_path ORDER BY rank) FROM incident_sources w
                                        WHERE w.incident_id = sc.incident_id) END AS write_ups,
               CASE WHEN visible THEN (SELECT list(field || ':' || source ORDER BY field)
                                        FROM field_sources f WHERE f.incident_id = sc.incident_id
                                        AND NOT list_contains($stated::VARCHAR[], f.source)) END AS inferred
        FROM scope sc WHERE incident_id = $incident_id
        """,
        NO_FILTERS,
        viewer,
        incident_id=str(incident_id),
        stated=list(STATED_SOURCES),
    )


# The per-incident sections below return nothing for an incident the viewer may not read.
_VISIBLE_ONE = " JOIN scope sc ON sc.incident_id = x.incident_id AND sc.visible WHERE x.incident_id = $incident_id "


def _incident_part(con: duckdb.DuckDBPyConnection, sql: str, viewer: Viewer, incident_id: str) -> pd.DataFrame:
    return scoped(con, sql, NO_FILTERS, viewer, incident_id=str(incident_id))


def incident_sections(con: duckdb.DuckDBPyConnection, viewer: Viewer = ANONYMOUS, *, incident_id: str) -> pd.DataFrame:
    """seq, kind, heading, body, line."""
    return _incident_part(con, "SELECT x.seq, x.kind, x.heading, x.body, x.line FROM sections x" + _VISIBLE_ONE + "ORDER BY x.seq", viewer, incident_id)


def incident_timeline(con: duckdb.DuckDBPyConnection, viewer: Viewer = ANONYMOUS, *, incident_id: str) -> pd.DataFrame:
    """seq, at (UTC, NULL when unplaced), raw_time, text."""
    return _incident_part(con, 'SELECT x.seq, x."at", x.raw_time, x.text FROM timeline_events x' + _VISIBLE_ONE + "ORDER BY x.seq", viewer, incident_id)


def incident_action_items(con: duckdb.DuckDBPyConnection, viewer: Viewer = ANONYMOUS, *, incident_id: str) -> pd.DataFrame:
    """seq, text, owner, due_date, status, priority, kind, ticket."""
    return _incident_part(
        con,
        "SELECT x.seq, x.text, x.owner, x.due_date, x.status, x.priority, x.kind, x.ticket FROM action_items x"
        + _VISIBLE_ONE
        + "ORDER BY x.seq",
        viewer,
        incident_id,
    )


def incident_factors(con: duckdb.DuckDBPyConnection, viewer: Viewer = ANONYMOUS, *, incident_id: str) -> pd.DataFrame:
    """seq, text, source_section, category (failure-mode class name), theme_id, theme (pattern label)."""
    return _incident_part(
        con,
        "SELECT x.seq, x.text, x.source_section, c.class_name AS category, x.theme_id, t.label AS theme "
        "FROM contributing_factors x LEFT JOIN themes t ON t.theme_id = x.theme_id AND t.theme_id >= 0 "
        "LEFT JOIN (SELECT DISTINCT class, class_name FROM failure_modes) c ON c.class = x.category"
        + _VISIBLE_ONE
        + "ORDER BY x.seq",
        viewer,
        incident_id,
    )


def incident_failure_modes(con: duckdb.DuckDBPyConnection, viewer: Viewer = ANONYMOUS, *, incident_id: str) -> pd.DataFrame:
    """The incident's failure modes, its own first: mode, name, class_name, weight (0 = mentioned
    only), score, source (hand | rules | model), evidence (sentences), phrases, pattern (the label
    of its pattern in that mode, if any). Nothing when the viewer may not read the incident."""
    return _incident_part(
        con,
        """
        SELECT x.mode, fm.name, fm.class_name, x.weight, x.score, x.source, x.evidence, x.phrases,
               (SELECT t.label FROM incident_themes it JOIN themes t USING (theme_id)
                 WHERE it.incident_id = x.incident_id AND t.mode = x.mode) AS pattern
        FROM incident_failure_modes x JOIN failure_modes fm USING (mode)
        """
        + _VISIBLE_ONE
        + "ORDER BY x.weight DESC, x.score DESC, fm.name",
        viewer,
        incident_id,
    )


def incident_lint(con: duckdb.DuckDBPyConnection, viewer: Viewer = ANONYMOUS, *, incident_id: str) -> pd.DataFrame:
    """severity, rule, line, message; errors first."""
    return _incident_part(
        con,
        "SELECT x.severity, x.rule, x.line, x.message FROM lint_findings x"
        + _VISIBLE_ONE
        + "ORDER BY CASE x.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, x.line NULLS LAST, x.rule",
        viewer,
        incident_id,
    )


def incident_related(con: duckdb.DuckDBPyConnection, viewer: Viewer = ANONYMOUS, *, incident_id: str) -> pd.DataFrame:
    """Precomputed neighbours: rank, score, incident_id (NULL when hidden), title, incident_date, severity,
    services, shared_modes (names of the failure modes both are of). Nothing when the incident itself is hidden."""
    return _incident_part(
        con,
        """
        , mine AS (SELECT mode FROM incident_failure_modes WHERE incident_id = $incident_id AND weight > 0)
        SELECT x.rank, x.score,
               CASE WHEN r.visible THEN r.incident_id END AS related_id,
               CASE WHEN r.visible THEN coalesce(r.title, r.incident_id) ELSE r.hidden_label END AS title,
               r.incident_date, r.sev AS severity,
               (SELECT string_agg(service, ', ' ORDER BY service) FROM incident_services s
                 WHERE s.incident_id = r.incident_id) AS services,
               (SELECT string_agg(fm.name, '; ' ORDER BY fm.name) FROM incident_failure_modes f JOIN failure_modes fm USING (mode)
                 WHERE f.incident_id = r.incident_id AND f.weight > 0 AND f.mode IN (SELECT mode FROM mine)) AS shared_modes
        FROM related_incidents x
        JOIN scope r ON r.incident_id = x.related_id
        """
        + _VISIBLE_ONE
        + "ORDER BY x.rank",
        viewer,
        incident_id,
    )
