"""Repeats and whether fixes stuck, on failure modes: the one definition, used by the build
(repeat_incidents), the dashboard, the report and `hindsight themes`.

Definitions:

- An incident's time is `started_at`, else its `incident_date` at midnight; incidents with
  neither are left out of time-based figures.
- An incident is of a failure mode when the mode is one of its modes (incident_failure_modes
  weight > 0: its top mode and any mode scoring at least half as much, or its hand labels).
- Repeat: incident B repeats A when A is the most recent earlier incident with one of B's
  failure modes on one of B's services, and A happened at most `window_days` (default
  DEFAULT_WINDOW_DAYS, two years) before B. One row per (B, mode, service), so a chain A <- B <- C is two links and the table
  grows with the incidents, not with the pairs in a window; `theme_id` names the recurring
  pattern of that mode both are in, when they share one. Incidents of one mode on one service at
  the same time (same start, or same date without a start) are one incident written up twice, as
  public collections often hold it: only the first by id takes part, so it is never its own repeat.
- Recurred after fix: incident B of mode M on service S recurred after a fix when an earlier
  incident A of mode M on service S had action items and *all* of them are `done` (not
  `wont_fix`: declining a fix is not a fix; the status is the effective one, the tracker's when
  the item is matched to a tracker record), and B started after A's fix time. A's fix time is the
  latest time its items were done: each item's `closed_at` from the tracker when known, else (the
  documented fallback, for items no tracker export covers) its due date, "by the time the fix was
  due, it was done"; A's own time when that is later, or when no item has either.
"""

from __future__ import annotations


import duckdb
import pandas as pd

from pipelines.read.access import ANONYMOUS, Viewer
from pipelines.read.scope import NO_FILTERS, Filters, scoped

# Two years. People who write "this happened before" in a postmortem look back further than a
# few months: on the dev set's hand-marked repeats (same mode, same service, no window) a 180-day
# window found 0 of 9, 365 days 5, 730 days 8 (the ninth shares no mode), the same as no window
# at all (bench/themes.py --only quality). Older history than that is a different system.
DEFAULT_WINDOW_DAYS = 730
DEFAULT_WINDOW_TEXT = "two years"  # DEFAULT_WINDOW_DAYS as the pages and the report say it

_INCIDENT_TIME = """
    inc AS (
        SELECT incident_id, incident_date, COALESCE(started_at, CAST(incident_date AS TIMESTAMP)) AS happened_at
        FROM incidents
        WHERE COALESCE(started_at, CAST(incident_date AS TIMESTAMP)) IS NOT NULL
    )"""

# The incidents of each failure mode (see the module docstring): the one membership rule.
MODE_MEMBERS = "SELECT DISTINCT incident_id, mode FROM incident_failure_modes WHERE weight > 0"

REPEATS_SQL = f"""
WITH {_INCIDENT_TIME},
    im AS ({MODE_MEMBERS}),
    pat AS (
        SELECT it.incident_id, t.mode, it.theme_id
        FROM incident_themes it JOIN themes t USING (theme_id) WHERE it.theme_id <> -1
    ),
    keyed AS (
        SELECT im.incident_id, im.mode, s.service, inc.happened_at, pat.theme_id
        FROM im
        JOIN (SELECT DISTINCT incident_id, service FROM incident_services) s USING (incident_id)
        JOIN inc USING (incident_id)
        LEFT JOIN pat ON pat.incident_id = im.incident_id AND pat.mode = im.mode
    ),
    -- Same mode, same service, same time: one incident written up twice (module docstring).
    distinct_times AS (
        SELECT * FROM keyed
        QUALIFY row_number() OVER (PARTITION BY mode, service, happened_at ORDER BY incident_id, theme_id) = 1
    ),
    -- The previous incident of the same mode on the same service: a window function, so the cost
    -- grows with the number of incidents, not with the pairs inside the window.
    ordered AS (
        SELECT *,
               lag(incident_id) OVER w AS earlier_incident_id,
               lag(happened_at) OVER w AS earlier_at,
               lag(theme_id) OVER w AS earlier_theme_id
        FROM distinct_times
        WINDOW w AS (PARTITION BY mode, service ORDER BY happened_at, incident_id)
    )
SELECT incident_id,
       earlier_incident_id,
       mode,
       service,
       CAST(date_diff('day', earlier_at, happened_at) AS INTEGER) AS days_between,
       CASE WHEN earlier_theme_id = theme_id THEN theme_id END AS theme_id
FROM ordered
WHERE earlier_incident_id IS NOT NULL
  AND earlier_at >= happened_at - to_days(CAST($window_days AS INTEGER))
ORDER BY incident_id, days_between, earlier_incident_id, mode, service
"""


def find_repeats(con: duckdb.DuckDBPyConnection, window_days: int = DEFAULT_WINDOW_DAYS) -> pd.DataFrame:
    """Repeat pairs (see module docstring), columns as in the repeat_incidents table."""
    return con.execute(REPEATS_SQL, {"window_days": int(window_days)}).df()


# The one definition of "recurred after fix" (module docstring), as CTEs without the WITH so
# queries can put them after their filtered `scope`. `later` has one row per (incident, mode)
# with the most recent fixed incident of that mode on one of its services before it (`service`).
# Parameter: $mode (NULL for every mode).
_FIX_CTES = """
    fixed AS (
        SELECT ai.incident_id,
               GREATEST(inc.happened_at, COALESCE(max(COALESCE(ai.closed_at, CAST(ai.due_date AS TIMESTAMP))), inc.happened_at)) AS fixed_at
        FROM action_items ai JOIN inc USING (incident_id)
        GROUP BY ai.incident_id, inc.happened_at
        HAVING bool_and(ai.status = 'done')
    ),
    mode_service AS (
        SELECT im.incident_id, im.mode, s.service
        FROM im JOIN (SELECT DISTINCT incident_id, service FROM incident_services) s USING (incident_id)
    ),
    fixed_key AS (SELECT ms.mode, ms.service, fixed.incident_id, fixed.fixed_at FROM mode_service ms JOIN fixed USING (incident_id)),
    -- ASOF finds the latest fix before each incident without pairing every incident with every
    -- earlier fix of its mode and service; f2 breaks ties between fixes of the same time by
    -- incident id. An incident's own fix is never before it.
    later_by_service AS (
        SELECT ms.incident_id, ms.mode, ms.service, inc.happened_at, min(f2.incident_id) AS fixed_incident_id, f.fixed_at
        FROM mode_service ms
        JOIN inc USING (incident_id)
        ASOF JOIN fixed_key f ON f.mode = ms.mode AND f.service = ms.service AND inc.happened_at > f.fixed_at
        JOIN fixed_key f2 ON f2.mode = f.mode AND f2.service = f.service AND f2.fixed_at = f.fixed_at
        WHERE $mode::VARCHAR IS NULL OR ms.mode = $mode::VARCHAR
        GROUP BY ms.incident_id, ms.mode, ms.service, inc.happened_at, f.fixed_at
    ),
    later AS (
        SELECT incident_id, mode, service, happened_at, fixed_incident_id, fixed_at FROM later_by_service
        QUALIFY row_number() OVER (PARTITION BY incident_id, mode ORDER BY fixed_at DESC, fixed_incident_id, service) = 1
    )"""
RECURRED_AFTER_FIX_CTES = f"""{_INCIDENT_TIME},
    im AS ({MODE_MEMBERS}),{_FIX_CTES}"""
# The same, for a query that already has `im` (MODE_MEMBERS) among its CTEs.
RECURRED_AFTER_FIX_CTES_GIVEN_MEMBERS = f"""{_INCIDENT_TIME},{_FIX_CTES}"""

RECURRED_AFTER_FIX_SQL = f"""
WITH {RECURRED_AFTER_FIX_CTES}
SELECT incident_id, mode, service, happened_at, fixed_incident_id, fixed_at FROM later
ORDER BY mode, happened_at, incident_id
"""


def recurrence_rows(con: duckdb.DuckDBPyConnection, mode: str | None = None) -> pd.DataFrame:
    """Incidents that recurred after the fixes of an earlier incident of the same mode on the same
    service were all done. One row per (incident, mode) with the most recent such fixed incident.
    """
    return con.execute(RECURRED_AFTER_FIX_SQL, {"mode": mode}).df()


def repeat_groups(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """mode, name, service, repeats (incidents that repeat an earlier one), incidents (whole chain),
    first_date, last_date, min_days_between, pattern (the label of the pattern most of the chain's
    links share, when they share one). A repeat counts when the later incident is in scope.
    """
    return scoped(
        con,
        """
        , links AS (
            SELECT r.* FROM repeat_incidents r JOIN scope sc ON sc.incident_id = r.incident_id
        ), members AS (
            SELECT mode, service, incident_id FROM links
            UNION SELECT mode, service, earlier_incident_id FROM links
        ), chain AS (
            SELECT m.mode, m.service, count(*) AS incidents,
                   min(i.incident_date) AS first_date, max(i.incident_date) AS last_date
            FROM members m JOIN incidents i USING (incident_id) GROUP BY m.mode, m.service
        ), reps AS (
            SELECT mode, service, count(DISTINCT incident_id) AS repeats, min(days_between) AS min_days_between,
                   mode(theme_id) AS theme_id
            FROM links GROUP BY mode, service
        )
        SELECT r.mode, coalesce(fm.name, r.mode) AS name, r.service, r.repeats,
               c.incidents, c.first_date, c.last_date, r.min_days_between, t.label AS pattern
        FROM reps r JOIN chain c USING (mode, service)
        LEFT JOIN failure_modes fm ON fm.mode = r.mode
        LEFT JOIN themes t ON t.theme_id = r.theme_id
        ORDER BY r.repeats DESC, name, r.service
        """,
        filters,
        ANONYMOUS,
    )


def repeat_chain(con: duckdb.DuckDBPyConnection, viewer: Viewer = ANONYMOUS, *, mode: str, service: str) -> pd.DataFrame:
    """The incidents of one repeat (mode + service) in date order: incident_id (NULL when hidden),
    incident_date, title, severity, days_since_previous, action_items, action_items_done."""
    return scoped(
        con,
        """
        , members AS (
            SELECT incident_id FROM repeat_incidents WHERE mode = $mode AND service = $service
            UNION SELECT earlier_incident_id FROM repeat_incidents WHERE mode = $mode AND service = $service
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
        mode=str(mode),
        service=str(service),
    )


def recurred_after_fix(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """mode, name, recurrences, services, last_recurrence per failure mode, most recurrences first.

    A recurrence is an incident in the filtered scope that happened after every action item of an
    earlier incident of the same mode was done, with the fix dated by the latest closed_at (else due
    date) of those items: the definition above (RECURRED_AFTER_FIX_CTES), shared, not copied. The earlier, fixed
    incident may lie outside the filters. Aggregates only, so restricted incidents count without
    showing anything of theirs; `services` are the recurring incidents' services.
    """
    return scoped(
        con,
        f"""
        , {RECURRED_AFTER_FIX_CTES}
        SELECT l.mode, coalesce(fm.name, l.mode) AS name, count(DISTINCT l.incident_id) AS recurrences,
               string_agg(DISTINCT s.service, ', ' ORDER BY s.service) AS services,
               max(sc.incident_date) AS last_recurrence
        FROM later l
        JOIN scope sc ON sc.incident_id = l.incident_id
        LEFT JOIN incident_services s ON s.incident_id = l.incident_id
        LEFT JOIN failure_modes fm ON fm.mode = l.mode
        GROUP BY l.mode, fm.name
        ORDER BY recurrences DESC, name
        """,
        filters,
        ANONYMOUS,
        mode=None,
    )
