"""Every SELECT the dashboard and the report run, one named function per output.

Rules: values reach DuckDB only as bound parameters (`$name`), never through string
formatting; the SQL text of every query is a constant. Most queries start from the `scope`
CTE, which applies the global filter bar and computes `visible` for the viewer. Restricted
incidents count in aggregates, but any column carrying their content (title, text, factors,
action items, owners, even the id, which may be derived from a descriptive file name) is
replaced by "restricted incident" / NULL unless the viewer may read them.

Quarters are labelled like "2026Q3" and decided by `incidents.incident_date`.
Durations are hours from `started_at`; negative durations are source errors and left out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import duckdb
import pandas as pd

from pipelines.read.access import ANONYMOUS, RESTRICTED_LABEL, Viewer
from pipelines.analysis.repeats import MIN_WEIGHT as RECURRENCE_MIN_WEIGHT, RECURRED_AFTER_FIX_CTES

# A postmortem at or above this completeness score (0-100, from the linter) counts as complete.
COMPLETE_AT = 80
# Below this many durations in a quarter a median/p90 comparison is noise; pages say so.
MIN_SAMPLE = 5
CLOSED_STATUSES = ("done", "wont_fix")


@dataclass(frozen=True)
class Filters:
    """The global filter bar. Empty tuples mean "all"."""

    start: date | None = None
    end: date | None = None
    teams: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    themes: tuple[int, ...] = ()


NO_FILTERS = Filters()


def _scope_params(filters: Filters, viewer: Viewer) -> dict[str, object]:
    return {
        "start": filters.start,
        "end": filters.end,
        "teams": list(filters.teams),
        "services": list(filters.services),
        "severities": list(filters.severities),
        "themes": [int(t) for t in filters.themes],
        "principals": list(viewer.principals),
        "restricted_label": RESTRICTED_LABEL,
    }


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None) -> pd.DataFrame:
    return con.execute(sql, params or {}).df()


def _scoped(con: duckdb.DuckDBPyConnection, sql: str, filters: Filters, viewer: Viewer, **extra: object) -> pd.DataFrame:
    return _run(con, _SCOPE + sql, {**_scope_params(filters, viewer), **extra})


# `scope`: the filtered incidents plus `quarter` and the viewer's `visible` flag.
# `$restricted_label` is referenced here so every scoped query can use it without DuckDB
# complaining about an unused parameter.
_SCOPE = """
WITH scope AS (
    SELECT i.*,
           strftime(i.incident_date, '%Y') || 'Q' || quarter(i.incident_date) AS quarter,
           coalesce(i.severity, 'unknown') AS sev,
           (NOT i.restricted OR list_has_any(
                list_transform(coalesce(i.allowed_groups, []::VARCHAR[]), lambda g: lower(trim(g))),
                $principals::VARCHAR[])) AS visible,
           $restricted_label::VARCHAR AS hidden_label
    FROM incidents i
    WHERE ($start::DATE IS NULL OR i.incident_date >= $start::DATE)
      AND ($end::DATE IS NULL OR i.incident_date <= $end::DATE)
      AND (len($teams::VARCHAR[]) = 0 OR list_contains($teams::VARCHAR[], i.team))
      AND (len($severities::VARCHAR[]) = 0 OR list_contains($severities::VARCHAR[], i.severity))
      AND (len($services::VARCHAR[]) = 0 OR i.incident_id IN (
            SELECT incident_id FROM incident_services WHERE list_contains($services::VARCHAR[], service)))
      AND (len($themes::INTEGER[]) = 0 OR i.incident_id IN (
            SELECT incident_id FROM incident_themes WHERE list_contains($themes::INTEGER[], theme_id)))
)
"""


def _quarter_label(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


# --------------------------------------------------------------------------- filter bar


def filter_options(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every value the filter bar offers: columns kind (team|service|severity|theme), value, label."""
    return _run(
        con,
        """
        SELECT 'team' AS kind, team AS value, team AS label FROM incidents WHERE team IS NOT NULL GROUP BY team
        UNION ALL
        SELECT 'service', service, service FROM incident_services GROUP BY service
        UNION ALL
        SELECT 'severity', severity, severity FROM incidents WHERE severity IS NOT NULL GROUP BY severity
        UNION ALL
        SELECT 'theme', CAST(theme_id AS VARCHAR), label FROM themes WHERE theme_id >= 0
        ORDER BY kind, label
        """,
    )


def date_bounds(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row: first and last incident date and the incident count (dates may be NULL)."""
    return _run(con, "SELECT min(incident_date) AS first, max(incident_date) AS last, count(*) AS incidents FROM incidents")


# --------------------------------------------------------------------------- overview


def incidents_per_month(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """month (first day), severity, incidents."""
    return _scoped(
        con,
        """
        SELECT date_trunc('month', incident_date)::DATE AS month, sev AS severity, count(*) AS incidents
        FROM scope WHERE incident_date IS NOT NULL
        GROUP BY ALL ORDER BY month, severity
        """,
        filters,
        ANONYMOUS,
    )


def reference_quarter(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> tuple[date, date] | None:
    """(start, end) of "this quarter": the quarter of the filter's end date, else of the latest incident."""
    ref = filters.end
    if ref is None:
        ref = con.execute("SELECT max(incident_date) FROM incidents").fetchone()[0]
    if ref is None:
        return None
    start = date(ref.year, 3 * ((ref.month - 1) // 3) + 1, 1)
    end_month = start.month + 3
    end = date(start.year + (end_month > 12), (end_month - 1) % 12 + 1, 1)
    return start, end


def overview_kpis(
    con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, today: date, complete_at: int = COMPLETE_AT
) -> pd.DataFrame:
    """One row per period ('this', 'last' quarter): incidents, completeness, action items, time to resolve.

    The start date of the filter is ignored so "last quarter" is always available to compare;
    `overdue` is as of `today` across the whole period's incidents.
    """
    ref = reference_quarter(con, filters)
    if ref is None:
        ref = (date(today.year, 1, 1), date(today.year, 4, 1))
    this_start, this_end = ref
    last_start = date(this_start.year - (this_start.month == 1), (this_start.month - 4) % 12 + 1, 1)
    return _scoped(
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


def top_services(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, limit: int = 10) -> pd.DataFrame:
    """service, incidents in "this quarter" (see reference_quarter)."""
    ref = reference_quarter(con, filters) or (date(1, 1, 1), date(1, 1, 1))
    return _scoped(
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


def top_themes(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, limit: int = 10) -> pd.DataFrame:
    """theme_id, theme (label), incidents in "this quarter"; unclustered factors (-1) left out."""
    ref = reference_quarter(con, filters) or (date(1, 1, 1), date(1, 1, 1))
    return _scoped(
        con,
        """
        SELECT t.theme_id, t.label AS theme, count(DISTINCT sc.incident_id) AS incidents
        FROM scope sc JOIN incident_themes it USING (incident_id) JOIN themes t USING (theme_id)
        WHERE sc.incident_date >= $q_start::DATE AND sc.incident_date < $q_end::DATE AND t.theme_id >= 0
        GROUP BY ALL ORDER BY incidents DESC, theme LIMIT $limit
        """,
        replace(filters, start=None),
        ANONYMOUS,
        q_start=ref[0],
        q_end=ref[1],
        limit=limit,
    )


# --------------------------------------------------------------------------- trends

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
    "theme": """
        SELECT sc.quarter, t.label AS "group", count(DISTINCT sc.incident_id) AS incidents
        FROM scope sc JOIN incident_themes it USING (incident_id) JOIN themes t USING (theme_id)
        WHERE sc.quarter IS NOT NULL AND t.theme_id >= 0 GROUP BY ALL ORDER BY sc.quarter, "group"
    """,
}
DIMENSIONS = tuple(_BY_DIMENSION)


def incidents_by_dimension(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, dimension: str = "team") -> pd.DataFrame:
    """quarter, group, incidents; `dimension` is one of DIMENSIONS (an incident with two services counts for both)."""
    if dimension not in _BY_DIMENSION:
        raise ValueError(f"unknown dimension {dimension!r}; expected one of {DIMENSIONS}")
    return _scoped(con, _BY_DIMENSION[dimension], filters, ANONYMOUS)


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
    return _scoped(
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
    return _scoped(
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


# --------------------------------------------------------------------------- themes


def themes_summary(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, viewer: Viewer = ANONYMOUS) -> pd.DataFrame:
    """theme_id, label, top_terms, factors, incidents, representative (a factor sentence the viewer may read).

    The stored representative sentence is shown only if it also occurs in an incident the viewer
    may read; otherwise the alphabetically first readable factor stands in (NULL if none).
    """
    return _scoped(
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
    return _scoped(
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
    return _scoped(
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
    return _scoped(
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
    return _scoped(
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
    return _scoped(
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


# --------------------------------------------------------------------------- repeats


def repeat_groups(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """theme_id, theme, service, repeats (incidents that repeat an earlier one), incidents (whole chain),
    first_date, last_date, min_days_between. A repeat counts when the later incident is in scope.
    """
    return _scoped(
        con,
        """
        , links AS (
            SELECT r.* FROM repeat_incidents r JOIN scope sc ON sc.incident_id = r.incident_id
        ), members AS (
            SELECT theme_id, service, incident_id FROM links
            UNION SELECT theme_id, service, earlier_incident_id FROM links
        ), chain AS (
            SELECT m.theme_id, m.service, count(*) AS incidents,
                   min(i.incident_date) AS first_date, max(i.incident_date) AS last_date
            FROM members m JOIN incidents i USING (incident_id) GROUP BY m.theme_id, m.service
        ), reps AS (
            SELECT theme_id, service, count(DISTINCT incident_id) AS repeats, min(days_between) AS min_days_between
            FROM links GROUP BY theme_id, service
        )
        SELECT r.theme_id, coalesce(t.label, 'theme ' || r.theme_id) AS theme, r.service, r.repeats,
               c.incidents, c.first_date, c.last_date, r.min_days_between
        FROM reps r JOIN chain c USING (theme_id, service) LEFT JOIN themes t ON t.theme_id = r.theme_id
        ORDER BY r.repeats DESC, theme, r.service
        """,
        filters,
        ANONYMOUS,
    )


def repeat_chain(
    con: duckdb.DuckDBPyConnection, viewer: Viewer = ANONYMOUS, *, theme_id: int, service: str
) -> pd.DataFrame:
    """The incidents of one repeat (theme + service) in date order: incident_id (NULL when hidden),
    incident_date, title, severity, days_since_previous, action_items, action_items_done."""
    return _scoped(
        con,
        """
        , members AS (
            SELECT incident_id FROM repeat_incidents WHERE theme_id = $theme_id AND service = $service
            UNION SELECT earlier_incident_id FROM repeat_incidents WHERE theme_id = $theme_id AND service = $service
        ), rows AS (
            SELECT sc.*, (SELECT count(*) FROM action_items a WHERE a.incident_id = sc.incident_id) AS action_items,
                   (SELECT count(*) FROM action_items a WHERE a.incident_id = sc.incident_id AND a.status = 'done')
                       AS action_items_done
            FROM scope sc JOIN members USING (incident_id)
        )
        SELECT CASE WHEN visible THEN incident_id END AS incident_id, incident_date,
               CASE WHEN visible THEN coalesce(title, incident_id) ELSE hidden_label END AS title,
               sev AS severity,
               date_diff('day', lag(incident_date) OVER (ORDER BY incident_date, incident_id), incident_date)
                   AS days_since_previous,
               action_items, action_items_done
        FROM rows ORDER BY incident_date, rows.incident_id
        """,
        NO_FILTERS,
        viewer,
        theme_id=int(theme_id),
        service=str(service),
    )


def recurred_after_fix(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """theme_id, theme, recurrences, services, last_recurrence per theme, most recurrences first.

    A recurrence is an incident in the filtered scope that happened after every action item of an
    earlier incident of the same theme was done, with the fix dated by the latest due date of those
    items: the definition in pipelines.analysis.repeats (RECURRED_AFTER_FIX_CTES), shared, not copied. The
    earlier, fixed incident may lie outside the filters. Aggregates only, so restricted incidents
    count without showing anything of theirs; `services` are the recurring incidents' services.
    """
    return _scoped(
        con,
        f"""
        , {RECURRED_AFTER_FIX_CTES}
        SELECT l.theme_id, coalesce(t.label, 'theme ' || l.theme_id) AS theme, count(DISTINCT l.incident_id) AS recurrences,
               string_agg(DISTINCT s.service, ', ' ORDER BY s.service) AS services,
               max(sc.incident_date) AS last_recurrence
        FROM later l
        JOIN scope sc ON sc.incident_id = l.incident_id
        LEFT JOIN incident_services s ON s.incident_id = l.incident_id
        LEFT JOIN themes t ON t.theme_id = l.theme_id
        WHERE len($themes::INTEGER[]) = 0 OR list_contains($themes::INTEGER[], l.theme_id)
        GROUP BY l.theme_id, t.label
        ORDER BY recurrences DESC, theme
        """,
        filters,
        ANONYMOUS,
        theme_id=None,
        min_weight=RECURRENCE_MIN_WEIGHT,
    )


# --------------------------------------------------------------------------- action items

_COMPLETION_GROUP = {
    "quarter": "sc.quarter",
    "team": "coalesce(sc.team, '(no team)')",
    "priority": "coalesce(a.priority, '(none)')",
    "kind": "coalesce(a.kind, '(none)')",
}
_COMPLETION_SQL = {
    by: f"""
        SELECT {expr} AS "group", count(*) AS items,
               count(*) FILTER (WHERE a.status = 'done') AS done,
               count(*) FILTER (WHERE a.status = 'wont_fix') AS wont_fix,
               count(*) FILTER (WHERE a.status IN ('open', 'in_progress')) AS open,
               round(100.0 * count(*) FILTER (WHERE a.status = 'done') / count(*), 1) AS done_pct
        FROM scope sc JOIN action_items a USING (incident_id)
        WHERE {expr} IS NOT NULL
        GROUP BY ALL ORDER BY "group"
    """
    for by, expr in _COMPLETION_GROUP.items()  # constant expressions, no user input
}
COMPLETION_GROUPS = tuple(_COMPLETION_GROUP)


def action_completion(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, by: str = "quarter") -> pd.DataFrame:
    """group, items, done, wont_fix, open, done_pct; `by` is one of COMPLETION_GROUPS."""
    if by not in _COMPLETION_SQL:
        raise ValueError(f"unknown grouping {by!r}; expected one of {COMPLETION_GROUPS}")
    return _scoped(con, _COMPLETION_SQL[by], filters, ANONYMOUS)


_ITEM_COLUMNS = """
    CASE WHEN sc.visible THEN sc.incident_id END AS incident_id,
    CASE WHEN sc.visible THEN coalesce(sc.title, sc.incident_id) ELSE sc.hidden_label END AS incident,
    CASE WHEN sc.visible THEN a.text ELSE sc.hidden_label END AS item,
    CASE WHEN sc.visible THEN a.owner END AS owner,
    a.due_date, a.status, a.priority, a.kind,
    CASE WHEN sc.visible THEN a.ticket END AS ticket
"""


def overdue_items(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, viewer: Viewer = ANONYMOUS, *, today: date) -> pd.DataFrame:
    """Open items past their due date: incident_id, incident, item, owner, due_date, status, priority,
    kind, ticket, days_overdue; most overdue first."""
    return _scoped(
        con,
        "SELECT " + _ITEM_COLUMNS + """, date_diff('day', a.due_date, $today::DATE) AS days_overdue
        FROM scope sc JOIN action_items a USING (incident_id)
        WHERE a.due_date < $today::DATE AND a.status IN ('open', 'in_progress')
        ORDER BY days_overdue DESC, sc.incident_id, a.seq
        """,
        filters,
        viewer,
        today=today,
    )


def unassigned_items(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, viewer: Viewer = ANONYMOUS) -> pd.DataFrame:
    """Open items with no owner or no due date: the item columns plus `missing` ('owner', 'due date' or both)."""
    return _scoped(
        con,
        "SELECT " + _ITEM_COLUMNS + """,
            concat_ws(' and ', CASE WHEN a.owner IS NULL OR trim(a.owner) = '' THEN 'owner' END,
                      CASE WHEN a.due_date IS NULL THEN 'due date' END) AS missing
        FROM scope sc JOIN action_items a USING (incident_id)
        WHERE a.status IN ('open', 'in_progress') AND (a.owner IS NULL OR trim(a.owner) = '' OR a.due_date IS NULL)
        ORDER BY sc.incident_date DESC NULLS LAST, sc.incident_id, a.seq
        """,
        filters,
        viewer,
    )


def incidents_without_actions(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, viewer: Viewer = ANONYMOUS) -> pd.DataFrame:
    """incident_id (NULL when hidden), incident_date, title, severity, team: incidents with zero action items."""
    return _scoped(
        con,
        """
        SELECT CASE WHEN visible THEN incident_id END AS incident_id, incident_date,
               CASE WHEN visible THEN coalesce(title, incident_id) ELSE hidden_label END AS title,
               sev AS severity, team
        FROM scope sc
        WHERE NOT EXISTS (SELECT 1 FROM action_items a WHERE a.incident_id = sc.incident_id)
        ORDER BY incident_date DESC NULLS LAST, sc.incident_id
        """,
        filters,
        viewer,
    )


def action_item_totals(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, today: date) -> pd.DataFrame:
    """One row: items, done, open, overdue, no_owner, no_due, incidents, incidents_without_items."""
    return _scoped(
        con,
        """
        SELECT count(a.incident_id) AS items,
               count(*) FILTER (WHERE a.status = 'done') AS done,
               count(*) FILTER (WHERE a.status IN ('open', 'in_progress')) AS open,
               count(*) FILTER (WHERE a.status IN ('open', 'in_progress') AND a.due_date < $today::DATE) AS overdue,
               count(*) FILTER (WHERE a.status IN ('open', 'in_progress') AND (a.owner IS NULL OR trim(a.owner) = ''))
                   AS no_owner,
               count(*) FILTER (WHERE a.status IN ('open', 'in_progress') AND a.due_date IS NULL) AS no_due,
               (SELECT count(*) FROM scope) AS incidents,
               (SELECT count(*) FROM scope s2 WHERE NOT EXISTS (
                    SELECT 1 FROM action_items x WHERE x.incident_id = s2.incident_id)) AS incidents_without_items
        FROM scope sc JOIN action_items a USING (incident_id)
        """,
        filters,
        ANONYMOUS,
        today=today,
    )


# --------------------------------------------------------------------------- related / incident


def incident_choices(con: duckdb.DuckDBPyConnection, viewer: Viewer = ANONYMOUS) -> pd.DataFrame:
    """incident_id, label ('date · title'): every incident the viewer may read, newest first."""
    return _scoped(
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
    themes for the given ids; hidden incidents come back with visible = false and no id or title."""
    return _scoped(
        con,
        """
        SELECT list_position($ids::VARCHAR[], incident_id) AS position, visible,
               CASE WHEN visible THEN incident_id END AS incident_id,
               CASE WHEN visible THEN coalesce(title, incident_id) ELSE hidden_label END AS title,
               incident_date, sev AS severity, team,
               (SELECT string_agg(service, ', ' ORDER BY service) FROM incident_services s
                 WHERE s.incident_id = sc.incident_id) AS services,
               (SELECT list(t.label ORDER BY it.weight DESC) FROM incident_themes it JOIN themes t USING (theme_id)
                 WHERE it.incident_id = sc.incident_id AND t.theme_id >= 0) AS themes
        FROM scope sc WHERE list_contains($ids::VARCHAR[], incident_id) ORDER BY position
        """,
        NO_FILTERS,
        viewer,
        ids=[str(i) for i in ids],
    )


def incident_detail(con: duckdb.DuckDBPyConnection, viewer: Viewer = ANONYMOUS, *, incident_id: str) -> pd.DataFrame:
    """One row for the incident page (empty if unknown). A hidden incident returns one row with
    visible = false and only its severity and date, so the page can say it exists but is restricted."""
    return _scoped(
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
                                        WHERE g.incident_id = sc.incident_id) END AS tags
        FROM scope sc WHERE incident_id = $incident_id
        """,
        NO_FILTERS,
        viewer,
        incident_id=str(incident_id),
    )


# The per-incident sections below return nothing for an incident the viewer may not read.
_VISIBLE_ONE = " JOIN scope sc ON sc.incident_id = x.incident_id AND sc.visible WHERE x.incident_id = $incident_id "


def _incident_part(con: duckdb.DuckDBPyConnection, sql: str, viewer: Viewer, incident_id: str) -> pd.DataFrame:
    return _scoped(con, sql, NO_FILTERS, viewer, incident_id=str(incident_id))


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
    """seq, text, source_section, category, theme_id, theme."""
    return _incident_part(
        con,
        "SELECT x.seq, x.text, x.source_section, x.category, x.theme_id, t.label AS theme "
        "FROM contributing_factors x LEFT JOIN themes t ON t.theme_id = x.theme_id AND t.theme_id >= 0"
        + _VISIBLE_ONE
        + "ORDER BY x.seq",
        viewer,
        incident_id,
    )


def incident_theme_weights(con: duckdb.DuckDBPyConnection, viewer: Viewer = ANONYMOUS, *, incident_id: str) -> pd.DataFrame:
    """theme_id, theme, weight (share of the incident's factors)."""
    return _incident_part(
        con,
        "SELECT x.theme_id, t.label AS theme, x.weight FROM incident_themes x JOIN themes t USING (theme_id)"
        + _VISIBLE_ONE
        + "AND x.theme_id >= 0 ORDER BY x.weight DESC, t.label",
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
    services, shared_themes. Nothing when the incident itself is hidden."""
    return _incident_part(
        con,
        """
        , mine AS (SELECT theme_id FROM incident_themes WHERE incident_id = $incident_id AND theme_id >= 0)
        SELECT x.rank, x.score,
               CASE WHEN r.visible THEN r.incident_id END AS related_id,
               CASE WHEN r.visible THEN coalesce(r.title, r.incident_id) ELSE r.hidden_label END AS title,
               r.incident_date, r.sev AS severity,
               (SELECT string_agg(service, ', ' ORDER BY service) FROM incident_services s
                 WHERE s.incident_id = r.incident_id) AS services,
               (SELECT string_agg(t.label, '; ' ORDER BY t.label) FROM incident_themes it JOIN themes t USING (theme_id)
                 WHERE it.incident_id = r.incident_id AND it.theme_id IN (SELECT theme_id FROM mine)) AS shared_themes
        FROM related_incidents x
        JOIN scope r ON r.incident_id = x.related_id
        """
        + _VISIBLE_ONE
        + "ORDER BY x.rank",
        viewer,
        incident_id,
    )


# --------------------------------------------------------------------------- data quality


def ingest_errors(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """source_path, reason."""
    return _run(con, "SELECT source_path, reason FROM ingest_errors ORDER BY source_path")


def missing_parts(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, viewer: Viewer = ANONYMOUS) -> pd.DataFrame:
    """Incidents missing a key part (summary, timeline, impact, root cause, action items) or time:
    incident_id (NULL when hidden), title, source_path (hidden too), incident_date, completeness,
    missing (comma-separated); most gaps first."""
    return _scoped(
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
    return _scoped(
        con,
        "SELECT quarter, completeness FROM scope WHERE completeness IS NOT NULL AND quarter IS NOT NULL ORDER BY quarter",
        filters,
        ANONYMOUS,
    )


def lint_rule_counts(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, limit: int = 10) -> pd.DataFrame:
    """quarter, rule, severity, findings, incidents: the `limit` most common rules overall, per quarter."""
    return _scoped(
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


# =========================================================================== quarterly review
# Queries for pipelines/review.py (owner: Review/Security engineer) go below this line.


# --- Quarterly review ---
# Owned by the review/report work (pipelines/review.py). Every date window is bound as
# $start (inclusive) / $end (exclusive); quarters are decided by incident_date.


def review_incidents(con: duckdb.DuckDBPyConnection, *, start: date, end: date) -> pd.DataFrame:
    """Incidents dated in [start, end) with the figures the review needs; content is filtered later by viewer."""
    return con.execute(
        """
        WITH window_incidents AS (
            SELECT * FROM incidents WHERE incident_date >= $start AND incident_date < $end
        ),
        svc AS (
            SELECT s.incident_id, string_agg(DISTINCT s.service, ', ' ORDER BY s.service) AS service
            FROM incident_services s
            SEMI JOIN window_incidents w ON w.incident_id = s.incident_id
            GROUP BY s.incident_id
        )
        SELECT i.incident_id, i.title, i.incident_date, i.severity, i.restricted,
               coalesce(i.allowed_groups, []::VARCHAR[]) AS allowed_groups, svc.service,
               date_diff('second', i.started_at, i.detected_at) / 60.0 AS detect_minutes,
               date_diff('second', i.started_at, i.resolved_at) / 60.0 AS resolve_minutes
        FROM window_incidents i
        LEFT JOIN svc USING (incident_id)
        ORDER BY i.incident_date, i.incident_id
        """,
        {"start": start, "end": end},
    ).df()


def review_action_health(con: duckdb.DuckDBPyConnection, *, start: date, end: date, as_of: date) -> pd.DataFrame:
    """One row: action items of the incidents dated in [start, end), counted by health as of `as_of`."""
    return con.execute(
        """
        SELECT count(a.incident_id) AS created,
               count(*) FILTER (WHERE a.status = 'done') AS done,
               count(*) FILTER (WHERE a.status = 'wont_fix') AS wont_fix,
               count(*) FILTER (WHERE a.status IN ('open', 'in_progress') AND a.due_date < $as_of) AS overdue,
               count(a.incident_id) FILTER (WHERE a.owner IS NULL OR trim(a.owner) = '') AS no_owner,
               count(a.incident_id) FILTER (WHERE a.due_date IS NULL) AS no_due_date,
               count(DISTINCT i.incident_id) FILTER (WHERE a.incident_id IS NULL) AS incidents_without_items
        FROM incidents i
        LEFT JOIN action_items a USING (incident_id)
        WHERE i.incident_date >= $start AND i.incident_date < $end
        """,
        {"start": start, "end": end, "as_of": as_of},
    ).df()


_VISIBLE_TO_VIEWER = """(NOT i.restricted OR len(list_intersect(
            list_transform(coalesce(i.allowed_groups, []::VARCHAR[]), lambda g: lower(trim(g))),
            list_transform($viewer::VARCHAR[], lambda g: lower(trim(g))))) > 0)"""


def review_theme_counts(
    con: duckdb.DuckDBPyConnection,
    *,
    start: date,
    end: date,
    previous_start: date,
    viewer: list[str] | tuple[str, ...] = (),
) -> pd.DataFrame:
    """Themes of the incidents dated in [start, end): incidents per theme there and in the quarter
    before ([previous_start, start)), when the theme was first seen at all, and `visible`: whether the
    viewer (groups and email) may see at least one incident of the theme. A theme label is built from
    factor text, so a theme seen only in hidden incidents must not show its label."""
    return con.execute(
        """
        WITH theme_history AS (
            SELECT it.theme_id, min(i.incident_date) AS first_seen, bool_or(""" + _VISIBLE_TO_VIEWER + """) AS visible
            FROM incident_themes it
            JOIN incidents i USING (incident_id)
            WHERE it.theme_id <> -1 AND i.incident_date IS NOT NULL
            GROUP BY it.theme_id
        ),
        in_window AS (
            SELECT it.theme_id,
                   count(DISTINCT it.incident_id) FILTER (WHERE i.incident_date >= $start) AS incidents,
                   count(DISTINCT it.incident_id) FILTER (WHERE i.incident_date < $start) AS previous_incidents
            FROM incident_themes it
            JOIN incidents i USING (incident_id)
            WHERE it.theme_id <> -1 AND i.incident_date >= $previous_start AND i.incident_date < $end
            GROUP BY it.theme_id
        )
        SELECT w.theme_id, t.label, w.incidents, w.previous_incidents, h.first_seen, h.visible
        FROM in_window w
        JOIN themes t USING (theme_id)
        JOIN theme_history h USING (theme_id)
        WHERE w.incidents > 0
        ORDER BY w.incidents DESC, t.label, w.theme_id
        """,
        {"start": start, "end": end, "previous_start": previous_start, "viewer": list(viewer)},
    ).df()


def review_repeats(
    con: duckdb.DuckDBPyConnection, *, start: date, end: date, viewer: list[str] | tuple[str, ...] = ()
) -> pd.DataFrame:
    """Repeat incidents dated in [start, end), grouped by theme and service (counts only, no titles);
    `visible` as in review_theme_counts."""
    return con.execute(
        """
        WITH theme_history AS (
            SELECT it.theme_id, bool_or(""" + _VISIBLE_TO_VIEWER + """) AS visible
            FROM incident_themes it JOIN incidents i USING (incident_id)
            GROUP BY it.theme_id
        )
        SELECT r.theme_id, t.label, r.service,
               count(DISTINCT r.incident_id) AS repeats,
               min(r.days_between) AS min_days_between,
               coalesce(h.visible, false) AS visible
        FROM repeat_incidents r
        JOIN incidents i USING (incident_id)
        LEFT JOIN themes t ON t.theme_id = r.theme_id
        LEFT JOIN theme_history h ON h.theme_id = r.theme_id
        WHERE i.incident_date >= $start AND i.incident_date < $end
        GROUP BY r.theme_id, t.label, r.service, h.visible
        ORDER BY repeats DESC, t.label, r.service
        """,
        {"start": start, "end": end, "viewer": list(viewer)},
    ).df()


def review_repeat_count(con: duckdb.DuckDBPyConnection, *, start: date, end: date, previous_start: date) -> pd.DataFrame:
    """One row: distinct incidents that repeat an earlier one, dated in [start, end) (`repeats`) and in
    [previous_start, start) (`previous_repeats`)."""
    return con.execute(
        """
        SELECT count(DISTINCT r.incident_id) FILTER (WHERE i.incident_date >= $start) AS repeats,
               count(DISTINCT r.incident_id) FILTER (WHERE i.incident_date < $start) AS previous_repeats
        FROM repeat_incidents r
        JOIN incidents i USING (incident_id)
        WHERE i.incident_date >= $previous_start AND i.incident_date < $end
        """,
        {"start": start, "end": end, "previous_start": previous_start},
    ).df()


def review_quarters(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Quarters that have dated incidents, oldest first, with how many."""
    return con.execute(
        """
        SELECT year(incident_date) AS year, quarter(incident_date) AS quarter, count(*) AS incidents
        FROM incidents
        WHERE incident_date IS NOT NULL
        GROUP BY ALL
        ORDER BY year, quarter
        """
    ).df()


def review_undated_count(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row: incidents with no date at all; they belong to no quarter, and the review says so."""
    return con.execute("SELECT count(*) AS undated FROM incidents WHERE incident_date IS NULL").df()


def review_owner_names(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every distinct action-item owner, for `report --redact` (never shown, only used to find names to hide)."""
    return con.execute(
        "SELECT DISTINCT trim(owner) AS owner FROM action_items WHERE owner IS NOT NULL AND trim(owner) <> '' ORDER BY 1"
    ).df()
