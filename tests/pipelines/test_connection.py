"""Opening a database for reading: every wrong file gets a message that names it and says what to do."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import pipelines
from pipelines.build.schema import create_schema
from pipelines.read.connection import DatabaseProblem, open_database


def _hindsight_db(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        create_schema(con)
    return path


def test_a_hindsight_database_opens(tmp_path: Path):
    con = open_database(_hindsight_db(tmp_path / "h.duckdb"))
    assert con.execute("SELECT value FROM build_info WHERE key = 'schema_version'").fetchone() == (pipelines.SCHEMA_VERSION,)
    con.close()


def test_missing_file(tmp_path: Path):
    with pytest.raises(DatabaseProblem, match=r"no database at .*none\.duckdb; build one first: hindsight build"):
        open_database(tmp_path / "none.duckdb")


def test_not_a_duckdb_file(tmp_path: Path):
    notes = tmp_path / "notes.md"
    notes.write_text("# not a database\n" * 10)
    with pytest.raises(DatabaseProblem, match=r"notes\.md is not a DuckDB database file"):
        open_database(notes)


def test_a_duckdb_file_of_something_else(tmp_path: Path):
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE precious AS SELECT 42 AS answer")
    with pytest.raises(DatabaseProblem, match=r"a DuckDB file but not a Hindsight database"):
        open_database(other)


def test_a_database_of_another_schema(tmp_path: Path):
    old = _hindsight_db(tmp_path / "old.duckdb")
    with duckdb.connect(str(old)) as con:
        con.execute("DELETE FROM build_info WHERE key = 'schema_version'")
    with pytest.raises(DatabaseProblem, match=r"built by another version of Hindsight \(schema unknown.*rebuild it"):
        open_database(old)
