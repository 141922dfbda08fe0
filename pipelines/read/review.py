"""The quarterly review's figures (pipelines/report/review.py builds the document from them).

Every date window is bound as $start (inclusive) / $end (exclusive); quarters are decided by incident_date."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from pipelines.read.access import ANONYMOUS, Viewer
from pipelines.read.scope import visible_sql

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
    """One row: action items of the incidents dated in [start, end), counted by health as of `as_of`
    (effective statuses), with how many a tracker covers and their time to close in days (p50, p90
    over closed_known done items; pipelines/read/followups.py defines it)."""
    return con.execute(
        """
        SELECT count(a.incident_id) AS created,
               count(*) FILTER (WHERE a.status = 'done') AS done,
               count(*) FILTER (WHERE a.status = 'wont_fix') AS wont_fix,
               count(*) FILTER (WHERE a.status IN ('open', 'in_progress') AND a.due_date < $as_of) AS overdue,
               count(a.incident_id) FILTER (WHERE a.owner IS NULL OR trim(a.owner) = '') AS no_owner,
               count(a.incident_id) FILTER (WHERE a.due_date IS NULL) AS no_due_date,
               count(DISTINCT i.incident_id) FILTER (WHERE a.incident_id IS NULL) AS incidents_without_items,
               count(a."match") AS tracked,
               count(*) FILTER (WHERE a.status = 'done' AND a.closed_at >= coalesce(a.created_at, i.started_at, i.incident_date::TIMESTAMP))
                   AS closed_known,
               quantile_cont(date_diff('minute', coalesce(a.created_at, i.started_at, i.incident_date::TIMESTAMP), a.closed_at) / 1440.0, 0.5)
                   FILTER (WHERE a.status = 'done' AND a.closed_at >= coalesce(a.created_at, i.started_at, i.incident_date::TIMESTAMP)) AS close_p50_days,
               quantile_cont(date_diff('minute', coalesce(a.created_at, i.started_at, i.incident_date::TIMESTAMP), a.closed_at) / 1440.0, 0.9)
                   FILTER (WHERE a.status = 'done' AND a.closed_at >= coalesce(a.created_at, i.started_at, i.incident_date::TIMESTAMP)) AS close_p90_days
        FROM incidents i
        LEFT JOIN action_items a USING (incident_id)
        WHERE i.incident_date >= $start AND i.incident_date < $end
        """,
        {"start": start, "end": end, "as_of": as_of},
    ).df()


def review_theme_counts(
    con: duckdb.DuckDBPyConnection,
    *,
    start: date,
    end: date,
    previous_start: date,
    viewer: Viewer = ANONYMOUS,
) -> pd.DataFrame:
    """Themes (recurring patterns, labelled 'failure mode: pattern') of the incidents dated in [start, end): incidents per theme there and in the quarter
    before ([previous_start, start)), when the theme was first seen at all, and `visible`: whether the
    viewer (groups and email) may see at least one incident of the theme. A theme label is built from
    factor text, so a theme seen only in hidden incidents must not show its label."""
    return con.execute(
        """
        WITH theme_history AS (
            SELECT it.theme_id, min(i.incident_date) AS first_seen, bool_or(""" + visible_sql("i") + """) AS visible
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
        SELECT w.theme_id, coalesce(fm.name || ': ' || t.label, t.label) AS label, w.incidents, w.previous_incidents,
               h.first_seen, h.visible
        FROM in_window w
        JOIN themes t USING (theme_id)
        LEFT JOIN failure_modes fm ON fm.mode = t.mode
        JOIN theme_history h USING (theme_id)
        WHERE w.incidents > 0
        ORDER BY w.incidents DESC, t.label, w.theme_id
        """,
        {"start": start, "end": end, "previous_start": previous_start, "principals": list(viewer.principals)},
    ).df()


def review_repeats(con: duckdb.DuckDBPyConnection, *, start: date, end: date) -> pd.DataFrame:
    """Repeat incidents dated in [start, end), grouped by failure mode and service (counts only, no
    titles): mode, label (the mode's name, from the taxonomy, never from incident text), service,
    repeats, min_days_between."""
    return con.execute(
        """
        SELECT r.mode, coalesce(fm.name, r.mode) AS label, r.service,
               count(DISTINCT r.incident_id) AS repeats,
               min(r.days_between) AS min_days_between
        FROM repeat_incidents r
        JOIN incidents i USING (incident_id)
        LEFT JOIN failure_modes fm ON fm.mode = r.mode
        WHERE i.incident_date >= $start AND i.incident_date < $end
        GROUP BY r.mode, fm.name, r.service
        ORDER BY repeats DESC, label, r.service
        """,
        {"start": start, "end": end},
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
