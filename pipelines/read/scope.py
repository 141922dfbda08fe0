"""What every read query shares: the filter bar, who may see what, and the `scope` CTE.

Rules for the whole read layer: values reach DuckDB only as bound parameters (`$name`), never
through string formatting; the SQL text of every query is a constant. Most queries start
from the `scope` CTE, which applies the global filter bar and computes `visible` for the
viewer. Restricted incidents count in aggregates, but any column carrying their content
(title, text, factors, action items, owners, even the id, which may be derived from a
descriptive file name) is replaced by "restricted incident" / NULL unless the viewer may
read them.

Quarters are labelled like "2026Q3" and decided by `incidents.incident_date`
(pipelines/quarters.py). Durations are hours from `started_at`; negative durations are
source errors and left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from pipelines.quarters import label_sql
from pipelines.read.access import RESTRICTED_LABEL, Viewer

# A postmortem at or above this completeness score (0-100, from the linter) counts as complete.
COMPLETE_AT = 80
# Below this many durations in a quarter a median/p90 comparison is noise; pages say so.
MIN_SAMPLE = 5
# Below this many incidents in either quarter, the overview does not compare the two quarters
# (no deltas): a change from 1 incident to 3 says nothing. It says so instead.
MIN_COMPARE = 5
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


def visible_sql(alias: str) -> str:
    """The one visibility rule, as SQL on incidents aliased `alias`: not restricted, or one of
    its allowed groups is among the viewer's `$principals` (lower-cased, trimmed in Python by
    Viewer.principals; the stored groups are normalised here)."""
    return f"""(NOT {alias}.restricted OR list_has_any(
                list_transform(coalesce({alias}.allowed_groups, []::VARCHAR[]), lambda g: lower(trim(g))),
                $principals::VARCHAR[]))"""


def run(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None) -> pd.DataFrame:
    return con.execute(sql, params or {}).df()


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


def scoped(con: duckdb.DuckDBPyConnection, sql: str, filters: Filters, viewer: Viewer, **extra: object) -> pd.DataFrame:
    """Run `sql` after the `scope` CTE (so it starts with SELECT or with `, more_ctes AS (...)`)."""
    return run(con, SCOPE + sql, {**_scope_params(filters, viewer), **extra})


# `scope`: the filtered incidents plus `quarter` and the viewer's `visible` flag.
# `$restricted_label` is referenced here so every scoped query can use it without DuckDB
# complaining about an unused parameter.
SCOPE = f"""
WITH scope AS (
    SELECT i.*,
           {label_sql("i.incident_date")} AS quarter,
           coalesce(i.severity, 'unknown') AS sev,
           {visible_sql("i")} AS visible,
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
