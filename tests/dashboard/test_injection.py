"""Hostile strings through every query function, the related-incident search and every page's URL.

The query functions run on a *writable* copy of the fixture database, so an injected
`DROP TABLE` would really drop it: the proof is that every table keeps its rows.
"""

from __future__ import annotations

import inspect
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pipelines import read as queries
from pipelines.build import schema
from pipelines.read.access import Viewer
from pipelines.read import Filters

HOSTILE = [
    "'",
    '"',
    "'; DROP TABLE incidents; --",
    "' OR '1'='1",
    "%",
    "_",
    "\\",
    "$start",
    "?",
    "ünïcødé 🔥 \u202eevil\u202c 日本語",
    "a\x00b",
    "x" * 10_000,
]
ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
PAGES = sorted(p.name for p in (ROOT / "dashboard" / "pages").glob("*.py"))
# Parameters that choose between fixed SQL texts: a hostile value must be refused, not run.
CHOICE_PARAMS = {"dimension", "by"}


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in schema.TABLES}


def _query_functions() -> list[tuple[str, object]]:
    """Every query of the read layer: public functions of its subject modules taking a connection first.

    Left out: connection.py (opens files), related.py (runs on a loaded index; its free text is
    covered below), scope.py and the access modules (no queries of their own)."""
    import importlib
    import pkgutil

    import pipelines.read

    found = []
    for info in pkgutil.iter_modules(pipelines.read.__path__):
        if info.name in {"connection", "related", "scope", "access", "access_groups"}:
            continue
        module = importlib.import_module(f"pipelines.read.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            params = list(inspect.signature(fn).parameters)
            if fn.__module__ == module.__name__ and not name.startswith("_") and params[:1] == ["con"]:
                found.append((name, fn))
    assert len(found) > 40, "the read layer's query functions were not found"
    return found


def _kwargs(fn, hostile: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, p in inspect.signature(fn).parameters.items():
        if name == "con":
            continue
        ann = str(p.annotation)
        if name == "filters":
            out[name] = Filters(teams=(hostile, "payments"), services=(hostile,), severities=(hostile,), themes=(1,))
        elif name == "viewer":
            out[name] = (hostile,) if "list" in ann else Viewer(email=hostile, groups=(hostile,))
        elif name == "ids":
            out[name] = [hostile, "INC-1"]
        elif "date" in ann:
            out[name] = date(2026, 9, 30)
        elif ann in ("int", "'int'"):
            out[name] = 1 if name != "limit" else 5
        elif p.default is inspect.Parameter.empty or name in CHOICE_PARAMS or "str" in ann:
            out[name] = hostile
    return out


@pytest.fixture
def writable(fixture_db: Path, tmp_path: Path):
    path = tmp_path / "writable.duckdb"
    shutil.copy(fixture_db, path)
    con = duckdb.connect(str(path))  # read-write on purpose
    yield con
    con.close()


def test_every_query_function_is_covered():
    names = {n for n, _ in _query_functions()}
    assert len(names) >= 30  # the whole read side, not a sample
    assert {"incident_detail", "incident_cards", "repeat_chain", "review_theme_counts"} <= names


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda h: repr(h[:20]))
def test_hostile_parameters_change_nothing(writable, hostile):
    before = _counts(writable)
    for name, fn in _query_functions():
        kwargs = _kwargs(fn, hostile)
        if CHOICE_PARAMS & set(kwargs):
            with pytest.raises((ValueError, KeyError)):
                fn(writable.cursor(), **kwargs)
            continue
        result = fn(writable.cursor(), **kwargs)
        assert result is None or isinstance(result, (pd.DataFrame, tuple)), name
    assert _counts(writable) == before


@pytest.mark.parametrize("hostile", ["' OR '1'='1", "%", "_", "'; DROP TABLE incidents; --"])
def test_hostile_values_match_literally(writable, hostile):
    con = writable.cursor()
    assert queries.incident_detail(con, incident_id=hostile).empty
    assert queries.incident_cards(con, ids=[hostile]).empty
    assert queries.incidents_per_month(con, Filters(teams=(hostile,))).empty
    assert queries.incidents_per_month(con, Filters(services=(hostile,))).empty
    assert queries.repeat_chain(con, mode="resource_exhaustion", service=hostile).empty
    assert queries.mode_patterns(con, mode=hostile).empty


def test_hostile_viewer_unlocks_nothing(writable):
    con = writable.cursor()
    for hostile in HOSTILE:
        detail = queries.incident_detail(con, Viewer(email=hostile, groups=(hostile, "%", "*")), incident_id="INC-4")
        assert not bool(detail["visible"].iloc[0])


# ---- related search ---------------------------------------------------------------------------


@pytest.mark.slow
def test_related_search_takes_any_text(built_db: Path):
    from pipelines.analysis import related
    from pipelines.read.connection import open_read_only
    from pipelines.read.related import load_related_index

    with open_read_only(built_db) as con:
        index = load_related_index(con, built_db)
    assert index is not None, "the built database has no related-incident index"
    for hostile in [*HOSTILE, "", "   ", "[" * 5000]:
        matches = related.search_text(index, hostile, 5)
        assert isinstance(matches, list) and len(matches) <= 5
    with pytest.raises(KeyError):
        related.search_incident(index, "'; DROP TABLE incidents; --", 5)


@pytest.mark.slow
def test_related_page_search_box_with_hostile_text(built_db: Path, monkeypatch):
    monkeypatch.setenv("HINDSIGHT_DB", str(built_db))
    with duckdb.connect(str(built_db), read_only=True) as con:
        before = _counts(con)
    for text in ["'; DROP TABLE incidents; --", "%_%", "ünïcødé 🔥", "y" * 4999]:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=90)
        at.switch_page("pages/related.py")
        at.run()
        at.text_area(key="related_text").input(text).run()
        assert not at.exception, at.exception
        assert not at.error
    st.cache_resource.clear()  # release the read-only handle before reopening
    with duckdb.connect(str(built_db), read_only=True) as con:
        assert _counts(con) == before


# ---- URL query parameters on every page -------------------------------------------------------

URL_SETS = {
    "sql": {"from": "2026-01-01' OR 1=1 --", "to": "'; DROP TABLE incidents; --", "team": ["'", "payments", "%"],
            "service": ["_", "' OR '1'='1"], "sev": ["SEV1'--"], "theme": ["1 OR 1=1", "-1", "99999999999999999999"],
            "incident": "INC-1' OR '1'='1", "quarter": "2026Q3'; --"},
    "long": {"from": "9" * 10_000, "to": "2026-99-99", "team": ["t" * 10_000] * 60, "service": ["ü🔥\u202e"],
             "sev": ["\\"], "theme": ["x" * 10_000], "incident": "i" * 10_000, "quarter": "q" * 10_000},
}


@pytest.fixture
def page_env(fixture_db: Path, monkeypatch):
    monkeypatch.setenv("HINDSIGHT_DB", str(fixture_db))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield fixture_db
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_hostile_url_parameters_on_every_page(page_env: Path, page: str):
    with duckdb.connect(str(page_env), read_only=True) as con:
        before = _counts(con)
    for name, params in URL_SETS.items():
        at = AppTest.from_file(APP, default_timeout=60)
        for key, value in params.items():
            at.query_params[key] = value
        at.switch_page(f"pages/{page}")
        at.run()
        assert not at.exception, (page, name, at.exception)
        assert not at.error, (page, name, [e.value for e in at.error])
        assert at.title, (page, name)
    st.cache_resource.clear()
    with duckdb.connect(str(page_env), read_only=True) as con:
        assert _counts(con) == before


# ---- the CLI's user-supplied values -----------------------------------------------------------


@pytest.mark.slow
def test_cli_related_and_report_take_hostile_values(built_db: Path, capsys):
    from pipelines import cli

    with duckdb.connect(str(built_db), read_only=True) as con:
        before = _counts(con)
    for hostile in ["'; DROP TABLE incidents; --", "' OR '1'='1", "%", "x" * 10_000]:
        assert cli.main(["related", "--incident", hostile, "--db", str(built_db)]) == 2
        assert "no incident" in capsys.readouterr().err
        assert cli.main(["related", "--text", hostile, "--db", str(built_db), "--json"]) == 0
        capsys.readouterr()
        assert cli.main(["report", "--quarter", hostile, "--db", str(built_db)]) == 2
        assert "YYYYQn" in capsys.readouterr().err
    with duckdb.connect(str(built_db), read_only=True) as con:
        assert _counts(con) == before
