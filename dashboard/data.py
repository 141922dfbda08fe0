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
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd
import streamlit as st

from pipelines.read import queries
from pipelines.build.publish import open_read_only

T = TypeVar("T")
_ATTACHED = "hindsight"  # the alias publish.open_read_only attaches the file under
DB_ENV = "HINDSIGHT_DB"
TODAY_ENV = "HINDSIGHT_TODAY"
DEFAULT_DB = Path("data/hindsight.duckdb")


@dataclass(frozen=True)
class DbIdentity:
    path: str
    inode: int
    mtime_ns: int


def today() -> date:
    """The as-of date for "overdue" and "in progress": HINDSIGHT_TODAY (YYYY-MM-DD) when set, for
    reproducible demos and tests; otherwise the real date."""
    raw = os.environ.get(TODAY_ENV, "")
    try:
        return date.fromisoformat(raw) if raw else date.today()
    except ValueError:
        return date.today()


def db_path() -> Path:
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


def db_identity() -> DbIdentity | None:
    path = db_path()
    try:
        st_ = path.stat()
    except OSError:
        return None
    return DbIdentity(str(path.resolve()), st_.st_ino, st_.st_mtime_ns)


def _close(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):
        con.close()


@st.cache_resource(max_entries=3, show_spinner=False, on_release=_close)
def _connect(identity: DbIdentity) -> duckdb.DuckDBPyConnection:
    # ATTACH from a fresh in-memory database (publish.open_read_only): a plain connect() to
    # the same path would get DuckDB's already-open instance, i.e. the replaced file.
    return open_read_only(Path(identity.path))


def _cursor(identity: DbIdentity) -> duckdb.DuckDBPyConnection:
    cur = _connect(identity).cursor()
    cur.execute(f"USE {_ATTACHED}")  # a cursor starts in the in-memory default database
    return cur


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
    return identity


def cursor() -> duckdb.DuckDBPyConnection:
    """A fresh cursor on the current database; the caller closes it."""
    return _cursor(require_db())


# Only names listed here can be run through `load`, so a stray string never reaches getattr.
_QUERIES = {
    name
    for name in dir(queries)
    if not name.startswith("_") and callable(getattr(queries, name)) and getattr(getattr(queries, name), "__module__", "") == queries.__name__
}


@st.cache_data(max_entries=256, ttl="1h", show_spinner=False)  # bounded: results of old builds age out
def _load(identity: DbIdentity, name: str, params: dict[str, object]) -> pd.DataFrame:
    return _with_cursor(identity, lambda con: getattr(queries, name)(con, **params))


def load(name: str, **params: object) -> pd.DataFrame:
    """Run `pipelines.read.queries.<name>(cursor, **params)`, cached per database identity and params."""
    if name not in _QUERIES:
        raise KeyError(f"no query named {name!r} in pipelines.read.queries")
    return _load(require_db(), name, params)


@st.cache_data(max_entries=64, show_spinner=False)
def _reference_quarter(identity: DbIdentity, filters: queries.Filters):
    return _with_cursor(identity, lambda con: queries.reference_quarter(con, filters))


def reference_quarter(filters: queries.Filters):
    return _reference_quarter(require_db(), filters)


# --------------------------------------------------------------------------- related search

_prewarm_started = threading.Event()


def _import_search_stack() -> None:
    with contextlib.suppress(Exception):  # best effort: the related page imports it anyway
        import pipelines.analysis.related  # noqa: F401


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
    from pipelines.analysis import related

    row = _with_cursor(identity, lambda con: con.execute("SELECT value FROM build_info WHERE key = 'artifacts_prefix'").fetchone())
    if not row or not row[0]:
        return None
    prefix = Path(row[0])
    if not related.artifact_path(prefix, "related.json").exists():
        prefix = Path(identity.path).parent / prefix.name  # files sit next to the DB; the cwd may differ
    if not related.artifact_path(prefix, "related.json").exists():
        return None
    try:
        return related.load_index(str(prefix))
    except (OSError, ValueError, KeyError):
        return None


def has_search_index() -> bool:
    return _related_index(require_db()) is not None


@st.cache_data(max_entries=256, show_spinner=False)
def _search(identity: DbIdentity, text: str | None, incident_id: str | None, k: int, viewer) -> pd.DataFrame:
    from pipelines.analysis import related

    index = _related_index(identity)
    columns = ["rank", "score", "incident_id", "title", "incident_date", "severity", "services", "shared_themes", "shared_terms"]
    if index is None:
        return pd.DataFrame(columns=columns)
    # Ask for more than k: matches the viewer may not read are dropped, not shown as rows.
    want = max(1, k) * 3
    if incident_id is not None:
        own = _with_cursor(identity, lambda con: queries.incident_cards(con, viewer, ids=[incident_id]))
        if own.empty or not bool(own["visible"].iloc[0]):
            return pd.DataFrame(columns=columns)  # terms shared with a hidden incident would quote it
        try:
            matches = related.search_incident(index, incident_id, want)
        except KeyError:
            return pd.DataFrame(columns=columns)
    else:
        matches = related.search_text(index, text or "", want)
    if not matches:
        return pd.DataFrame(columns=columns)
    ids = [m.incident_id for m in matches]
    cards = _with_cursor(identity, lambda con: queries.incident_cards(con, viewer, ids=ids))
    labels = dict(_with_cursor(identity, lambda con: con.execute("SELECT theme_id, label FROM themes").fetchall()))
    by_pos = {int(r.position): r for r in cards.itertuples(index=False)}
    rows = []
    for pos, m in enumerate(matches, 1):
        card = by_pos.get(pos)
        if card is None or not bool(card.visible):
            continue
        rows.append(
            {
                "rank": len(rows) + 1,
                "score": round(float(m.score), 3),
                "incident_id": card.incident_id,
                "title": card.title,
                "incident_date": card.incident_date,
                "severity": card.severity,
                "services": card.services,
                "shared_themes": ", ".join(str(labels.get(t, t)) for t in m.shared_themes),
                "shared_terms": ", ".join(m.shared_terms),
            }
        )
        if len(rows) >= k:
            break
    return pd.DataFrame(rows, columns=columns)


def search_related(viewer, *, text: str | None = None, incident_id: str | None = None, k: int = 10) -> pd.DataFrame:
    """Ranked similar incidents the viewer may read: rank, score, incident_id, title, incident_date,
    severity, services, shared_themes, shared_terms."""
    return _search(require_db(), text, incident_id, k, viewer)
