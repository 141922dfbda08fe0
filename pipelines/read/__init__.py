"""The read layer: every query a reader (dashboard, report, CLI) runs on a published database.

One module per subject; `scope.py` holds what they share (the filter bar, the visibility rule,
the `scope` CTE). `QUERIES` maps each page-facing query's name to its function, so the
dashboard can run and cache them by name without reaching into the modules.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from pipelines.read import actions, followups, incidents, overview, quality, repeats, review, themes, trends
from pipelines.read.access import ANONYMOUS, RESTRICTED_LABEL, Viewer
from pipelines.read.connection import DatabaseProblem, open_database, open_read_only
from pipelines.read.scope import CLOSED_STATUSES, COMPLETE_AT, MIN_COMPARE, MIN_SAMPLE, NO_FILTERS, Filters

# The read API by name, so callers write `read.incidents_per_month(con, filters)`.
from pipelines.read.overview import (  # noqa: F401
    date_bounds,
    filter_options,
    incidents_outside,
    incidents_per_month,
    overview_kpis,
    reference_period,
    reference_quarter,
    top_failure_modes,
    top_services,
)
from pipelines.read.trends import (  # noqa: F401
    duration_summary,
    durations,
    incidents_by_dimension,
    DIMENSIONS,
    MAX_GROUPS,
)
from pipelines.read.themes import (  # noqa: F401
    failure_mode_classes,
    failure_mode_coverage,
    failure_mode_examples,
    failure_mode_quarters,
    failure_mode_summary,
    mode_incidents,
    mode_patterns,
)
from pipelines.read.repeats import (  # noqa: F401
    find_repeats,
    recurred_after_fix,
    recurrence_rows,
    repeat_chain,
    repeat_groups,
    DEFAULT_WINDOW_DAYS,
    MODE_MEMBERS,
    RECURRED_AFTER_FIX_CTES,
    RECURRED_AFTER_FIX_SQL,
    REPEATS_SQL,
)
from pipelines.read.actions import (  # noqa: F401
    action_completion,
    action_item_totals,
    incidents_without_actions,
    overdue_items,
    unassigned_items,
    COMPLETION_GROUPS,
)
from pipelines.read.followups import (  # noqa: F401
    fuzzy_matches,
    open_item_ageing,
    status_disagreements,
    time_to_close,
    tracker_totals,
    unreferenced_records,
    AGE_BUCKETS,
    CLOSE_GROUPS,
    DOC_DONE_TRACKER_OPEN,
    TRACKER_DONE_DOC_OPEN,
)
from pipelines.read.followups import followups as followup_items  # noqa: F401
from pipelines.read.incidents import (  # noqa: F401
    incident_action_items,
    incident_cards,
    incident_choices,
    incident_detail,
    incident_factors,
    incident_failure_modes,
    incident_lint,
    incident_related,
    incident_sections,
    incident_timeline,
)
from pipelines.read.quality import (  # noqa: F401
    completeness_scores,
    duration_provenance,
    field_provenance,
    ingest_errors,
    lint_rule_counts,
    missing_parts,
    possible_duplicates,
    SOURCED_FIELD_LABELS,
)
from pipelines.read.review import (  # noqa: F401
    review_action_health,
    review_incidents,
    review_owner_names,
    review_quarters,
    review_repeat_count,
    review_repeats,
    review_theme_counts,
    review_undated_count,
)


_PAGE_MODULES = (overview, trends, themes, repeats, actions, followups, incidents, quality, review)


def _queries() -> dict[str, Callable]:
    found: dict[str, Callable] = {}
    for module in _PAGE_MODULES:
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                continue
            if name in found:
                raise RuntimeError(f"two read queries named {name!r}: {found[name].__module__} and {module.__name__}")
            found[name] = fn
    return found


QUERIES: dict[str, Callable] = _queries()

__all__ = [
    "ANONYMOUS", "CLOSED_STATUSES", "COMPLETE_AT", "MIN_COMPARE", "MIN_SAMPLE", "NO_FILTERS", "QUERIES", "RESTRICTED_LABEL",
    "DatabaseProblem", "Filters", "Viewer", "open_database", "open_read_only",
]
