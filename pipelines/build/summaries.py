"""Small summary tables every dashboard page reads, written once by the build.

The filter bar runs on every page of every session: it needs every value it offers (teams,
services, severities, recurring patterns) and the corpus's date range per year. Computing those
from the incident tables on each new database costs a scan per question; the build already has
the answers at hand, so it writes them here and pipelines/read/overview.py reads a few rows.
They are derived data: `write_summaries` rebuilds them from the other tables, and must run after
the analysis (patterns come from it) and before the database is published.
"""

from __future__ import annotations

import duckdb

# Every value the filter bar offers: kind (team|service|severity|theme), value, label.
FILTER_VALUES_SQL = """
INSERT INTO summary_filter_values
SELECT 'team' AS kind, team AS value, team AS label FROM incidents WHERE team IS NOT NULL GROUP BY team
UNION ALL
SELECT 'service', service, service FROM incident_services GROUP BY service
UNION ALL
SELECT 'severity', severity, severity FROM incidents WHERE severity IS NOT NULL GROUP BY severity
UNION ALL
SELECT 'theme', CAST(t.theme_id AS VARCHAR), fm.name || ': ' || t.label
FROM themes t JOIN failure_modes fm USING (mode) WHERE t.theme_id >= 0
"""

# Incidents per calendar year with the first and last date; year NULL counts the undated ones.
YEARS_SQL = """
INSERT INTO summary_years
SELECT year(incident_date), count(*), min(incident_date), max(incident_date) FROM incidents GROUP BY ALL
"""


def write_summaries(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)write the summary tables from the incident, service and pattern tables."""
    con.execute("DELETE FROM summary_filter_values")
    con.execute("DELETE FROM summary_years")
    con.execute(FILTER_VALUES_SQL)
    con.execute(YEARS_SQL)
