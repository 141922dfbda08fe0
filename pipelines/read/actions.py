"""Action items: completion, overdue and unassigned items, incidents without any, totals."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from pipelines.read.access import ANONYMOUS, Viewer
from pipelines.read.scope import NO_FILTERS, Filters, scoped

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
    return scoped(con, _COMPLETION_SQL[by], filters, ANONYMOUS)


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
    return scoped(
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
    return scoped(
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
    return scoped(
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
    """One row: items, done, open, overdue, no_owner, no_due, no_owner_or_due (open items missing either,
    each counted once), incidents, incidents_without_items."""
    return scoped(
        con,
        """
        SELECT count(a.incident_id) AS items,
               count(*) FILTER (WHERE a.status = 'done') AS done,
               count(*) FILTER (WHERE a.status IN ('open', 'in_progress')) AS open,
               count(*) FILTER (WHERE a.status IN ('open', 'in_progress') AND a.due_date < $today::DATE) AS overdue,
               count(*) FILTER (WHERE a.status IN ('open', 'in_progress') AND (a.owner IS NULL OR trim(a.owner) = ''))
                   AS no_owner,
               count(*) FILTER (WHERE a.status IN ('open', 'in_progress') AND a.due_date IS NULL) AS no_due,
               count(*) FILTER (WHERE a.status IN ('open', 'in_progress')
                                  AND (a.owner IS NULL OR trim(a.owner) = '' OR a.due_date IS NULL)) AS no_owner_or_due,
               (SELECT count(*) FROM scope) AS incidents,
               (SELECT count(*) FROM scope s2 WHERE NOT EXISTS (
                    SELECT 1 FROM action_items x WHERE x.incident_id = s2.incident_id)) AS incidents_without_items
        FROM scope sc JOIN action_items a USING (incident_id)
        """,
        filters,
        ANONYMOUS,
        today=today,
    )
