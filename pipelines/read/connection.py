"""Opening a published database for reading, and what its build recorded."""

from __future__ import annotations

import glob
from pathlib import Path

import duckdb

import pipelines

ATTACHED_AS = "hindsight"


def sql_path_literal(path: Path) -> str:
    """A path as a quoted SQL string literal, for ATTACH, which takes no bound parameters."""
    return "'" + str(path).replace("'", "''") + "'"


def open_read_only(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection that always sees the file currently published at `db_path`.

    Within one process DuckDB reuses an open database instance for the same path, so a plain
    `duckdb.connect(path)` keeps returning the replaced file while any old connection to it is
    open. ATTACHing from a fresh in-memory database opens the file anew.
    """
    con = duckdb.connect()
    con.execute(f"ATTACH {sql_path_literal(db_path)} AS {ATTACHED_AS} (READ_ONLY)")
    con.execute(f"USE {ATTACHED_AS}")
    return con


class DatabaseProblem(Exception):
    """The file cannot be read as a Hindsight database; the message says why and what to do."""


def _first_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def open_database(db_path: Path) -> duckdb.DuckDBPyConnection:
    """open_read_only, after checking that `db_path` is a Hindsight database this code can read.

    Raises DatabaseProblem naming the file and what to do: missing, not a DuckDB file, a DuckDB
    file of something else, or built by a Hindsight with another schema.
    """
    db_path = Path(db_path)
    rebuild = f"hindsight build CORPUS --db {db_path}"
    if not db_path.is_file():
        raise DatabaseProblem(f"no database at {db_path}; build one first: {rebuild}")
    try:
        with db_path.open("rb") as f:
            header = f.read(12)
    except OSError as e:
        raise DatabaseProblem(f"cannot read {db_path}: {e.strerror or e}") from e
    if header[8:12] != b"DUCK":
        raise DatabaseProblem(f"{db_path} is not a DuckDB database file; point --db at a database made by {rebuild}")
    try:
        con = open_read_only(db_path)
    except duckdb.Error as e:
        raise DatabaseProblem(f"cannot open {db_path} ({_first_line(e)}); rebuild it with {rebuild}") from e
    try:
        info = build_info(con)
    except duckdb.Error as e:
        con.close()
        raise DatabaseProblem(
            f"{db_path} is a DuckDB file but not a Hindsight database (it has no build_info table); "
            f"point --db at a database made by {rebuild}"
        ) from e
    if info.get("schema_version") != pipelines.SCHEMA_VERSION:
        con.close()
        raise DatabaseProblem(
            f"{db_path} was built by another version of Hindsight (schema {info.get('schema_version', 'unknown')}, "
            f"this version reads {pipelines.SCHEMA_VERSION}); rebuild it with {rebuild}"
        )
    return con


def new_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of `con` reading the published database (a cursor starts in the in-memory default
    database, not in the attached one). One per thread: a connection is not shared across threads."""
    cur = con.cursor()
    cur.execute(f"USE {ATTACHED_AS}")
    return cur


def build_info(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The build_info table as a dict (build id, code version, artifacts prefix, ...)."""
    return dict(con.execute("SELECT key, value FROM build_info").fetchall())


def artifacts_prefix(con: duckdb.DuckDBPyConnection, db_path: Path) -> Path | None:
    """Where the build saved its model files, or None when it saved none (--no-analysis).

    The files sit next to the database; when the database was moved (or is read from another
    working directory) the recorded absolute prefix is re-rooted at the database's folder.
    """
    prefix = build_info(con).get("artifacts_prefix")
    if not prefix:
        return None
    recorded = Path(prefix)
    beside = Path(db_path).parent / recorded.name
    return recorded if any(recorded.parent.glob(glob.escape(recorded.name) + ".*")) else beside
