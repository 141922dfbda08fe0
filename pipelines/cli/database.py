"""Opening the database a command reads: one message and one exit status for every reader.

`hindsight dashboard`, `themes`, `related`, `report` and `followups` all read a built database;
when the --db they were given cannot be read (missing, not DuckDB, not Hindsight's, another
schema version), each says why in one line and exits with BAD_DATABASE, the status the build
gives a corpus path that does not exist: the user named something that is not there.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from pipelines.read.connection import DatabaseProblem, open_database

BAD_DATABASE = 2


def open_for(verb: str, db: Path) -> duckdb.DuckDBPyConnection | None:
    """The database at `db`, opened read-only, or None after printing why it cannot be read."""
    try:
        return open_database(db)
    except DatabaseProblem as e:
        print(f"hindsight {verb}: error: {e}", file=sys.stderr)
        return None
