"""The dashboard's only door to the database: a cached read-only connection and cached queries.

The connection is cached per file identity (path, inode, mtime_ns). The build publishes a new
database by atomic rename, which changes the inode, so the next rerun opens the new file
while sessions still running a query on the old connection finish undisturbed (the old inode
stays readable until its last handle closes; old connections are closed when evicted). Every
query gets its own cursor because Streamlit runs sessions in threads and a DuckDB connection
is not shared across threads.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd
import streamlit as st

from pipelines import read
from pipelines.quarters import Quarter, Span, as_of_today
from pipelines.read.access import Viewer
from pipelines.read.connection import DatabaseProblem, new_cursor, open_database

T = TypeVar("T")
DB_ENV = "HINDSIGHT_DB"
DEFAULT_DB = Path("data/hindsight.duckdb")


@dataclass(frozen=True)
class DbIdentity:
    path: str
    inode: int
    mtime_ns: int


def today() -> date:
    """The as-of date for "overdue" and "in progress": HINDSIGHT_TODAY (YYYY-MM-DD) when set, for
    reproducible demos and tests; otherwise the real date."""
    return as_of_today()


def db_path() -> Path:
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


@functools.lru_cache(maxsize=8)
def _absolute(path: Path) -> str:
    # Resolved once per configured path: it is asked for on every query of every render, and
    # the identity that decides freshness is the inode and mtime, stat-ed each time.
    return str(path.resolve())


def db_identity() -> DbIdentity | None:
    path = db_path()
    try:
        st_ = path.stat()
    except OSError:
        return None
    return DbIdentity(_absolute(path), st_.st_ino, st_.st_mtime_ns)


def _close(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):
        con.close()


@st.cache_resource(max_entries=3, show_spinner=False, on_release=_close)
def _connect(identity: DbIdentity) -> duckdb.DuckDBPyConnection:
    # Attached to a fresh in-memory database (read.connection.open_read_only): a plain connect()
    # to the same path would get DuckDB's already-open instance, i.e. the replaced file.
    return open_database(Path(identity.path))


def _cursor(identity: DbIdentity) -> duckdb.DuckDBPyConnection:
    return new_cursor(_connect(identity))


def _with_cursor(identity: DbIdentity, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    cur = _cursor(identity)
    try:
        return fn(cur)
    finally:
        _close(cur)


def _ensure_routed() -> None:
    """Make sure the page runs inside the router (app.py), not as an old-style multipage script.

    Streamlit treats a `pages/` folder beside the entry script as a legacy multipage app until
    `st.navigation` runs once in the process; a fresh server's first request straight to a page
    URL would then run that page alone (no filter bar, no page config). Turn the legacy mode off
    and rerun through app.py. Every page reads data, so this check lives at the data door.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def require_db() -> DbIdentity:
    """The current database's identity, or a friendly page explaining how to build one (and stop)."""
    _ensure_routed()
    identity = db_identity()
    if identity is None:
        st.title("No Hindsight database yet")
        st.info(
            f"There is no database at `{db_path()}`. Build one from your postmortems, then reload:\n\n"
            f"```sh\nhindsight build data/sample/postmortems --db {db_path()}\n```\n\n"
            f"(or run `make run`). Set `{DB_ENV}` to read a database elsewhere."
        )
        st.stop()
    try:
        _connect(identity)
    except DatabaseProblem as e:
        # Not a DuckDB file, a DuckDB file of something else, or an older schema: say so, no traceback.
        st.title("This is not a database Hindsight can read")
        st.error(str(e))
        st.stop()
    return identity


def cursor() -> duckdb.DuckDBPyConnection:
    """A fresh cursor on the current database; the caller closes it."""
    return _cursor(require_db())


# --------------------------------------------------------------------------- cache keys
#
# Results are cached process-wide, shared by every session: two people with the same filters
# pay one query. What may differ between two viewers is only what their principals unlock, so a
# query that takes a viewer is keyed by the viewer's principals (groups and email, normalised),
# never shared with someone whose principals differ; a query that takes no viewer returns the
# same (aggregate, restricted-safe) answer to everybody. Filters are keyed as a set per field:
# the order values were picked in does not change an answer.


def cache_viewer(viewer: Viewer) -> Viewer:
    """The viewer as a cache key: only what decides visibility (Viewer.principals), sorted."""
    return Viewer(groups=tuple(sorted(set(viewer.principals))))


def cache_filters(filters: read.Filters) -> read.Filters:
    return replace(
        filters,
        teams=tuple(sorted(set(filters.teams))),
        services=tuple(sorted(set(filters.services))),
        severities=tuple(sorted(set(filters.severities))),
        themes=tuple(sorted(set(filters.themes))),
    )


def _cache_key(value: object) -> object:
    if isinstance(value, Viewer):
        return cache_viewer(value)
    if isinstance(value, read.Filters):
        return cache_filters(value)
    return value


@st.cache_data(max_entries=512, ttl="1h", show_spinner=False)  # bounded: results of old builds age out
def _load(identity: DbIdentity, name: str, params: dict[str, object]) -> pd.DataFrame:
    return _with_cursor(identity, lambda con: read.QUERIES[name](con, **params))


def load(name: str, **params: object) -> pd.DataFrame:
    """Run the read query `name` (pipelines.read.QUERIES) on a cursor, cached across sessions per
    database identity, normalised params and (for queries that take one) the viewer's principals."""
    if name not in read.QUERIES:  # only named queries run: a stray string never reaches a lookup
        raise KeyError(f"no read query named {name!r}")
    return _load(require_db(), name, {k: _cache_key(v) for k, v in sorted(params.items())})


@st.cache_data(max_entries=64, show_spinner=False)
def _reference_period(identity: DbIdentity, filters: read.Filters, as_of: date):
    return _with_cursor(identity, lambda con: read.QUERIES["reference_period"](con, filters, today=as_of))


def reference_period(filters: read.Filters) -> Quarter | Span | None:
    """The period the overview's KPIs describe (pipelines.read.overview.reference_period), as of today()."""
    return _reference_period(require_db(), cache_filters(filters), today())


# --------------------------------------------------------------------------- related search

_prewarm_started = threading.Event()


def _import_search_stack() -> None:
    with contextlib.suppress(Exception):  # best effort: the related page imports it anyway
        import pipelines.read.related  # noqa: F401
    # Everything imported so far lives as long as the process: move it out of the garbage
    # collector's sight, so its occasional full collections walk only what renders create
    # (the server does not force one after every run: .streamlit/config.toml).
    gc.freeze()


def prewarm_search() -> None:
    """Import the search stack (scikit-learn, SciPy: seconds) in the background once per process,
    so the first search does not pay for it. Call it after a page has rendered: by then the
    modules it shares with the page (pandas, narwhals) are imported, so two threads never
    import the same module at once (which Python reports as an import deadlock)."""
    if _prewarm_started.is_set():
        return
    _prewarm_started.set()
    threading.Thread(target=_import_search_stack, name="hindsight-prewarm", daemon=True).start()



@st.cache_resource(max_entries=2, show_spinner=False)
def _related_index(identity: DbIdentity):
    """The published build's related-incident index, or None when the build has none."""
    from pipelines.read import related

    return _with_cursor(identity, lambda con: related.load_related_index(con, Path(identity.path)))


def has_search_index() -> bool:
    return _related_index(require_db()) is not None


@st.cache_data(max_entries=256, show_spinner=False)
def _search(identity: DbIdentity, text: str | None, incident_id: str | None, k: int, viewer) -> pd.DataFrame:
    from pipelines.read import related

    index = _related_index(identity)
    if index is None:
        return pd.DataFrame(columns=related.COLUMNS)
    try:
        return _with_cursor(
            identity, lambda con: related.search(con, index, viewer, text=text, incident_id=incident_id, k=k, hidden="drop")
        )
    except (KeyError, related.RestrictedIncident):  # unknown to the index, or not the viewer's to read
        return pd.DataFrame(columns=related.COLUMNS)


def search_related(viewer, *, text: str | None = None, incident_id: str | None = None, k: int = 10) -> pd.DataFrame:
    """Ranked similar incidents the viewer may read (pipelines.read.related.COLUMNS)."""
    return _search(require_db(), text, incident_id, k, cache_viewer(viewer))
