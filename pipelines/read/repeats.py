"""Repeats and whether fixes stuck, computed in DuckDB from the theme tables.

Definitions (the dashboard, the report and `hindsight themes` all use these functions; the
dashboard's Repeats page builds on RECURRED_AFTER_FIX_CTES so there is one definition):

- An incident's time is `started_at`, else its `incident_date` at midnight; incidents with
  neither are left out of time-based figures.
- An incident is of a theme when its incident_themes weight for it is at least MIN_WEIGHT
  (0.3): its main theme, plus any theme that makes up a large part of its factors.
- Repeat: incident B repeats an earlier incident A when they share a theme (not the
  Unclustered bucket) and a service, and A happened at most `window_days` (default 180) before
  B. One row per (B, A, theme, service). Same-time pairs are ordered by incident id so a pair is
  never counted both ways.
- Recurred after fix: incident B of theme T recurred after a fix when an earlier incident A of
  theme T had action items and *all* of them are `done` (not `wont_fix`: declining a fix is not
  a fix), and B started after A's fix time. We do not know when an item was completed, only its
  due date, so A's fix time is the latest due date of its items (or A's own time when later,
  or when no item has a due date): "by the time the last fix was due, it was done".
"""

from __future__ import annotations


import duckdb
import pandas as pd

from pipelines.read.access import ANONYMOUS, Viewer
from pipelines.read.scope import NO_FILTERS, Filters, scoped
from pipelines.quarters import label_sql

DEFAULT_WINDOW_DAYS = 180
# An incident is "of" a theme when the theme holds at least this share of it (incident_themes
# weight): its main theme always does; a theme named by one passing factor does not.
MIN_WEIGHT = 0.3

_INCIDENT_TIME = """
    inc AS (
        SELECT incident_id, incident_date, COALESCE(started_at, CAST(incident_date AS TIMESTAMP)) AS happened_at
        FROM incidents
        WHERE COALESCE(started_at, CAST(incident_date AS TIMESTAMP)) IS NOT NULL
    )"""

REPEATS_SQL = f"""
WITH {_INCIDENT_TIME},
    it AS (SELECT DISTINCT incident_id, theme_id FROM incident_themes WHERE theme_id <> -1 AND weight >= $min_weight),
    keyed AS (
        SELECT it.incident_id, it.theme_id, s.service, inc.happened_at
        FROM it
        JOIN (SELECT DISTINCT incident_id, service FROM incident_services) s USING (incident_id)
        JOIN inc USING (incident_id)
    )
SELECT b.incident_id,
       a.incident_id AS earlier_incident_id,
       b.theme_id,
       b.service,
       CAST(date_diff('day', a.happened_at, b.happened_at) AS INTEGER) AS days_between
FROM keyed b
JOIN keyed a
  ON a.theme_id = b.theme_id
 AND a.service = b.service
 AND a.happened_at <= b.happened_at
 AND a.happened_at >= b.happened_at - to_days(CAST($window_days AS INTEGER))
 AND (a.happened_at < b.happened_at OR a.incident_id < b.incident_id)
ORDER BY b.incident_id, days_between, a.incident_id, b.theme_id, b.service
"""


def find_repeats(
    con: duckdb.DuckDBPyConnection, window_days: int = DEFAULT_WINDOW_DAYS, min_weight: float = MIN_WEIGHT
) -> pd.DataFrame:
    """Repeat pairs (see module docstring), columns as in the repeat_incidents table."""
    return con.execute(REPEATS_SQL, {"window_days": int(window_days), "min_weight": float(min_weight)}).df()


# The one definition of "recurred after fix" (module docstring), as CTEs without the WITH so
# pipelines.read can put them after its filtered `scope`. `later` has one row per
# (incident, theme) with the most recent fixed incident before it. Parameters: $min_weight,
# $theme_id (NULL for every theme).
RECURRED_AFTER_FIX_CTES = f"""{_INCIDENT_TIME},
    it AS (SELECT DISTINCT incident_id, theme_id FROM incident_themes WHERE theme_id <> -1 AND weight >= $min_weight),
    fixed AS (
        SELECT ai.incident_id,
               GREATEST(inc.happened_at, COALESCE(CAST(max(ai.due_date) AS TIMESTAMP), inc.happened_at)) AS fixed_at
        FROM action_items ai JOIN inc USING (incident_id)
        GROUP BY ai.incident_id, inc.happened_at
        HAVING bool_and(ai.status = 'done')
    ),
    fixed_theme AS (SELECT it.theme_id, fixed.incident_id, fixed.fixed_at FROM it JOIN fixed USING (incident_id)),
    -- ASOF finds the latest fix before each incident without pairing every incident with every
    -- earlier fix of its theme (2.6 s -> 0.09 s at 10,000 incidents, same rows); f2 breaks ties
    -- between fixes of the same time by incident id. An incident's own fix is never before it.
    later AS (
        SELECT it.incident_id, it.theme_id, inc.happened_at, min(f2.incident_id) AS fixed_incident_id, f.fixed_at
        FROM it
        JOIN inc USING (incident_id)
        ASOF JOIN fixed_theme f ON f.theme_id = it.theme_id AND inc.happened_at > f.fixed_at
        JOIN fixed_theme f2 ON f2.theme_id = f.theme_id AND f2.fixed_at = f.fixed_at
        WHERE $theme_id IS NULL OR it.theme_id = $theme_id
        GROUP BY it.incident_id, it.theme_id, inc.happened_at, f.fixed_at
    )"""

RECURRED_AFTER_FIX_SQL = f"""
WITH {RECURRED_AFTER_FIX_CTES}
SELECT incident_id, theme_id, happened_at, fixed_incident_id, fixed_at FROM later
ORDER BY theme_id, happened_at, incident_id
"""


def recurrence_rows(
    con: duckdb.DuckDBPyConnection, theme_id: int | None = None, min_weight: float = MIN_WEIGHT
) -> pd.DataFrame:
    """Incidents that recurred after an earlier same-theme incident's fixes were all done.

    One row per (incident, theme) with the most recent fixed incident before it.
    """
    return con.execute(RECURRED_AFTER_FIX_SQL, {"theme_id": theme_id, "min_weight": float(min_weight)}).df()


THEME_SUMMARY_SQL = f"""
WITH {_INCIDENT_TIME},
    it AS (SELECT DISTINCT incident_id, theme_id FROM incident_themes WHERE weight >= $min_weight),
    per_incident AS (
        SELECT it.theme_id, it.incident_id, inc.happened_at,
               {label_sql("inc.incident_date")} AS q
        FROM it LEFT JOIN inc USING (incident_id)
    ),
    stats AS (
        SELECT theme_id,
               count(DISTINCT incident_id) AS incidents,
               count(DISTINCT q) AS quarters_active,
               list(DISTINCT q ORDER BY q) FILTER (WHERE q IS NOT NULL) AS quarters,
               CAST(min(happened_at) AS DATE) AS first_seen,
               CAST(max(happened_at) AS DATE) AS last_seen
        FROM per_incident GROUP BY theme_id
    ),
    svc AS (
        SELECT theme_id, list(service ORDER BY n DESC, service) AS services
        FROM (
            SELECT it.theme_id, s.service, count(DISTINCT it.incident_id) AS n
            FROM it JOIN incident_services s USING (incident_id)
            GROUP BY ALL
        ) GROUP BY theme_id
    ),
    cats AS (
        SELECT theme_id, arg_max(category, n) AS main_category
        FROM (SELECT theme_id, category, count(*) AS n FROM contributing_factors
              WHERE theme_id IS NOT NULL GROUP BY ALL)
        GROUP BY theme_id
    ),
    rep AS (SELECT theme_id, count(DISTINCT incident_id) AS repeat_incidents FROM repeat_incidents GROUP BY theme_id),
    raf AS (SELECT theme_id, count(*) AS recurred_after_fix FROM ({RECURRED_AFTER_FIX_SQL.replace("ORDER BY theme_id, happened_at, incident_id", "")}) GROUP BY theme_id)
SELECT t.theme_id, t.label, t.top_terms, t.representative_text, t.size,
       COALESCE(stats.incidents, 0) AS incidents,
       COALESCE(stats.quarters_active, 0) AS quarters_active,
       COALESCE(stats.quarters, []) AS quarters,
       COALESCE(svc.services, []) AS services,
       stats.first_seen, stats.last_seen,
       cats.main_category,
       COALESCE(rep.repeat_incidents, 0) AS repeat_incidents,
       COALESCE(raf.recurred_after_fix, 0) AS recurred_after_fix
FROM themes t
LEFT JOIN stats USING (theme_id)
LEFT JOIN svc USING (theme_id)
LEFT JOIN cats USING (theme_id)
LEFT JOIN rep USING (theme_id)
LEFT JOIN raf USING (theme_id)
ORDER BY t.theme_id = -1, t.size DESC, t.theme_id
"""


def theme_summary(con: duckdb.DuckDBPyConnection, min_weight: float = MIN_WEIGHT) -> pd.DataFrame:
    """Per theme: size, label, incidents, quarters active (count and list), services (most
    affected first), first/last seen, main fishbone category, repeat incidents, recurred after fix."""
    return con.execute(THEME_SUMMARY_SQL, {"theme_id": None, "min_weight": float(min_weight)}).df()


THEME_QUARTERLY_SQL = f"""
WITH {_INCIDENT_TIME}
SELECT it.theme_id,
       {label_sql("inc.incident_date")} AS quarter,
       count(DISTINCT it.incident_id) AS incidents
FROM incident_themes it JOIN inc USING (incident_id)
WHERE it.weight >= $min_weight
GROUP BY ALL
ORDER BY it.theme_id, quarter
"""


def theme_quarterly(con: duckdb.DuckDBPyConnection, min_weight: float = MIN_WEIGHT) -> pd.DataFrame:
    """Incidents of each theme per quarter (quarter like '2026Q3')."""
    return con.execute(THEME_QUARTERLY_SQL, {"min_weight": float(min_weight)}).df()

def repeat_groups(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """theme_id, theme, service, repeats (incidents that repeat an earlier one), incidents (whole chain),
    first_date, last_date, min_days_between. A repeat counts when the later incident is in scope.
    """
    return scoped(
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
    return scoped(
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
    items: the definition above (RECURRED_AFTER_FIX_CTES), shared, not copied. The
    earlier, fixed incident may lie outside the filters. Aggregates only, so restricted incidents
    count without showing anything of theirs; `services` are the recurring incidents' services.
    """
    return scoped(
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
        min_weight=MIN_WEIGHT,
    )
