"""Follow-through from the tracker (docs/tracker.md): time to close, ageing of open items, where
the postmortem and the tracker disagree, fuzzy matches and unreferenced tracker records, and the
weekly follow-up list (`hindsight followups`).

Statuses are the effective ones (action_items.status: the tracker's when an item is matched).
Time to close is days from the tracker record's creation (else the incident's start, else its
date) to `closed_at`, for done items whose close time the tracker gives; items closed as won't
fix are not "closed" here. Age of an open item counts from the same start to `$today`.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from pipelines.read.access import ANONYMOUS, Viewer
from pipelines.read.scope import NO_FILTERS, Filters, run, scoped

_OPENED = "coalesce(a.created_at, sc.started_at, sc.incident_date::TIMESTAMP)"
_CLOSE_GROUP = {
    "quarter": "sc.quarter",
    "team": "coalesce(sc.team, '(no team)')",
    "priority": "coalesce(r.priority, a.priority, '(none)')",
}
_TIME_TO_CLOSE_SQL = {
    by: f"""
        , closed AS (
            SELECT {expr} AS "group", date_diff('minute', {_OPENED}, a.closed_at) / 1440.0 AS days
            FROM scope sc JOIN action_items a USING (incident_id)
            LEFT JOIN tracker_records r ON r.record_id = a.tracker_record
            WHERE a.status = 'done' AND a.closed_at IS NOT NULL AND a.closed_at >= {_OPENED}
        )
        SELECT "group", count(*) AS n,
               round(quantile_cont(days, 0.5), 1) AS p50_days,
               round(quantile_cont(days, 0.9), 1) AS p90_days
        FROM closed WHERE "group" IS NOT NULL
        GROUP BY "group" ORDER BY "group"
    """
    for by, expr in _CLOSE_GROUP.items()  # constant expressions, no user input
}
CLOSE_GROUPS = tuple(_CLOSE_GROUP)


def time_to_close(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, by: str = "quarter") -> pd.DataFrame:
    """group, n, p50_days, p90_days: days from opening to closing done items, per `by` (CLOSE_GROUPS;
    quarter = the incident's quarter)."""
    if by not in _TIME_TO_CLOSE_SQL:
        raise ValueError(f"unknown grouping {by!r}; expected one of {CLOSE_GROUPS}")
    return scoped(con, _TIME_TO_CLOSE_SQL[by], filters, ANONYMOUS)


AGE_BUCKETS = ("under 30 days", "30-90 days", "90-180 days", "180-365 days", "over a year")


def open_item_ageing(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, *, today: date) -> pd.DataFrame:
    """bucket (AGE_BUCKETS, in order), team, items: open and in-progress items by age on `today`."""
    return scoped(
        con,
        f"""
        , aged AS (
            SELECT coalesce(sc.team, '(no team)') AS team, date_diff('day', {_OPENED}::DATE, $today::DATE) AS age
            FROM scope sc JOIN action_items a USING (incident_id)
            WHERE a.status IN ('open', 'in_progress') AND {_OPENED} IS NOT NULL
        )
        SELECT CASE WHEN age < 30 THEN 'under 30 days' WHEN age < 90 THEN '30-90 days'
                    WHEN age < 180 THEN '90-180 days' WHEN age < 365 THEN '180-365 days'
                    ELSE 'over a year' END AS bucket,
               team, count(*) AS items
        FROM aged GROUP BY ALL ORDER BY min(age), team
        """,
        filters,
        ANONYMOUS,
        today=today,
    )


DOC_DONE_TRACKER_OPEN = "postmortem says done, tracker says open"
TRACKER_DONE_DOC_OPEN = "tracker says done, postmortem says open"


def status_disagreements(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, viewer: Viewer = ANONYMOUS) -> pd.DataFrame:
    """Matched items whose postmortem status and tracker status disagree: incident_id, incident, item,
    ticket, doc_status, tracker_status, closed_at, disagreement (DOC_DONE_TRACKER_OPEN,
    TRACKER_DONE_DOC_OPEN or 'other'); the first two kinds first."""
    return scoped(
        con,
        """
        SELECT CASE WHEN sc.visible THEN sc.incident_id END AS incident_id,
               CASE WHEN sc.visible THEN coalesce(sc.title, sc.incident_id) ELSE sc.hidden_label END AS incident,
               CASE WHEN sc.visible THEN a.text ELSE sc.hidden_label END AS item,
               CASE WHEN sc.visible THEN coalesce(r."key", a.ticket) END AS ticket,
               a.doc_status, a.tracker_status, a.closed_at,
               CASE WHEN a.doc_status = 'done' AND a.tracker_status IN ('open', 'in_progress') THEN $doc_done
                    WHEN a.tracker_status = 'done' AND a.doc_status IN ('open', 'in_progress') THEN $tracker_done
                    ELSE 'other' END AS disagreement
        FROM scope sc JOIN action_items a USING (incident_id)
        LEFT JOIN tracker_records r ON r.record_id = a.tracker_record
        WHERE a.tracker_status IS NOT NULL AND a.doc_status IS DISTINCT FROM a.tracker_status
        ORDER BY disagreement = 'other', disagreement, sc.incident_date DESC NULLS LAST, sc.incident_id, a.seq
        """,
        filters,
        viewer,
        doc_done=DOC_DONE_TRACKER_OPEN,
        tracker_done=TRACKER_DONE_DOC_OPEN,
    )


def tracker_totals(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """One row: records (all tracker records), unreferenced, items (in scope), matched, fuzzy,
    disagree (matched items whose document status differs), closed_known (done items with closed_at)."""
    return scoped(
        con,
        """
        SELECT (SELECT count(*) FROM tracker_records) AS records,
               (SELECT count(*) FROM tracker_records WHERE NOT referenced) AS unreferenced,
               count(a.incident_id) AS items,
               count(a."match") AS matched,
               count(*) FILTER (WHERE a."match" = 'fuzzy') AS fuzzy,
               count(*) FILTER (WHERE a.tracker_status IS NOT NULL AND a.doc_status IS DISTINCT FROM a.tracker_status) AS disagree,
               count(*) FILTER (WHERE a.status = 'done' AND a.closed_at IS NOT NULL) AS closed_known
        FROM scope sc LEFT JOIN action_items a USING (incident_id)
        """,
        filters,
        ANONYMOUS,
    )


def fuzzy_matches(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, viewer: Viewer = ANONYMOUS) -> pd.DataFrame:
    """Items matched to a tracker record by title, for a person to confirm: incident_id, incident,
    item, record (key or file:row), record_title, tracker_status, source_path."""
    return scoped(
        con,
        """
        SELECT CASE WHEN sc.visible THEN sc.incident_id END AS incident_id,
               CASE WHEN sc.visible THEN coalesce(sc.title, sc.incident_id) ELSE sc.hidden_label END AS incident,
               CASE WHEN sc.visible THEN a.text ELSE sc.hidden_label END AS item,
               coalesce(r."key", r.source_path || ':' || r."row") AS record,
               CASE WHEN sc.visible THEN r.title END AS record_title,
               r.status AS tracker_status, r.source_path
        FROM scope sc JOIN action_items a USING (incident_id)
        JOIN tracker_records r ON r.record_id = a.tracker_record
        WHERE a."match" = 'fuzzy'
        ORDER BY sc.incident_date DESC NULLS LAST, sc.incident_id, a.seq
        """,
        filters,
        viewer,
    )


def unreferenced_records(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Tracker records no action item matches ("not referenced by any postmortem"): source_path,
    row, system, key, title, status, created_at, url; newest first. Not tied to an incident, so
    not filtered by the filter bar."""
    return run(
        con,
        """
        SELECT source_path, "row", system, "key", title, status, created_at, url
        FROM tracker_records WHERE NOT referenced
        ORDER BY created_at DESC NULLS LAST, source_path, "row"
        """,
    )


def followups(con: duckdb.DuckDBPyConnection, filters: Filters = NO_FILTERS, viewer: Viewer = ANONYMOUS, *, today: date) -> pd.DataFrame:
    """Open and in-progress items for a weekly follow-up meeting, by team: team, incident_id,
    incident, item, owner, status, due_date, overdue, days_overdue, ticket, age_days. Grouped by
    team, overdue items first (most overdue first), then the oldest: an order of urgency per
    team, never a ranking of people."""
    return scoped(
        con,
        f"""
        SELECT coalesce(sc.team, '(no team)') AS team,
               CASE WHEN sc.visible THEN sc.incident_id END AS incident_id,
               CASE WHEN sc.visible THEN coalesce(sc.title, sc.incident_id) ELSE sc.hidden_label END AS incident,
               CASE WHEN sc.visible THEN a.text ELSE sc.hidden_label END AS item,
               CASE WHEN sc.visible THEN a.owner END AS owner,
               a.status, a.due_date,
               coalesce(a.due_date < $today::DATE, FALSE) AS overdue,
               CASE WHEN a.due_date < $today::DATE THEN date_diff('day', a.due_date, $today::DATE) END AS days_overdue,
               CASE WHEN sc.visible THEN coalesce(r."key", a.ticket) END AS ticket,
               date_diff('day', {_OPENED}::DATE, $today::DATE) AS age_days
        FROM scope sc JOIN action_items a USING (incident_id)
        LEFT JOIN tracker_records r ON r.record_id = a.tracker_record
        WHERE a.status IN ('open', 'in_progress')
        ORDER BY team, overdue DESC, days_overdue DESC NULLS LAST, age_days DESC NULLS LAST, sc.incident_id, a.seq
        """,
        filters,
        viewer,
        today=today,
    )
