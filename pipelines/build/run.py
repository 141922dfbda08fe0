"""`hindsight build`: discover -> parse (worker processes) -> load DuckDB -> analyse -> publish.

Every input file ends up either loaded or in `ingest_errors` with a reason a person can act on.
Nothing is published when no incident could be loaded, so a bad invocation never replaces a good
database with an empty one.

Incremental rebuilds (see pipelines/build/reuse.py): an unchanged file's rows are copied from the
previous database instead of re-parsing; when the whole corpus, the options and the code are
unchanged, the previous database is copied wholesale, analysis tables and model files included.
Parsing runs in pipelines/build/parse_pool.py, publishing in pipelines/build/publish.py.

Test-only hook: with HINDSIGHT_TEST_PAUSE_AT=<stage> the build prints
"hindsight-test: paused at <stage>" on stderr and sleeps (HINDSIGHT_TEST_PAUSE_SECONDS, default
60) at that stage, so tests can kill it at a known point; with HINDSIGHT_TEST_PAUSE_UNTIL=<file> it
goes on as soon as that file exists (a test releases it when ready, however slow the machine).
Stages: locked, parsed, loaded, analysed, staged (staging file closed and synced, just before the rename).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import time
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

import duckdb

import pipelines
from pipelines.build import schema
from pipelines.parsing.discover import CorpusNotFound, SourceFile, discover
from pipelines.build.catalogs import Catalogs, read_catalogs
from pipelines.build.merge import WriteUp, link_write_ups, staged_id
from pipelines.build.parse_pool import ChunkResult, WorkerDied, parse_all, parse_chunk
from pipelines.parsing.catalog import CatalogError
from pipelines.build.publish import (
    PublishError,
    build_lock,
    prepare_target_dir,
    publish,
    remove_build_artifacts,
    remove_stale_staging,
    remove_unreferenced_artifacts,
    staging_path,
)
from pipelines.build.tracker_sync import Trackers, read_trackers
from pipelines.build.tracker_sync import sync as sync_trackers
from pipelines.parsing.trackers import TrackerError
from pipelines.read.connection import sql_path_literal
from pipelines.build.reuse import NotOurDatabase, PreviousBuild, code_version, corpus_digest, hash_files, read_previous

# pyarrow and the loader are imported where they are used: an unchanged rebuild never needs
# them, and their import is a good part of its time budget.

log = logging.getLogger(__name__)

class BuildError(Exception):
    """The build published nothing; the message says why and what to do."""

    exit_code = 1


class UsageError(BuildError):
    exit_code = 2


@dataclass
class BuildResult:
    db_path: Path
    build_id: str
    files_seen: int  # files the parser was asked about (supported suffix or named explicitly)
    files_skipped: int  # files under the corpus folders that are not postmortems (other suffixes)
    incidents_loaded: int
    files_failed: list[dict[str, str]]  # every ingest_errors row: {"path", "reason"}
    files_parsed: int  # parsed this build
    files_reused: int  # unchanged since the previous build: rows copied, not re-parsed
    analysis: str  # ran | reused | skipped (--no-analysis)
    write_ups_merged: int = 0  # write-ups beyond the first of incidents written up more than once
    possible_duplicates: int = 0  # pairs listed for a person to confirm
    catalogs: list[str] = field(default_factory=list)  # the catalog files read
    trackers: list[str] = field(default_factory=list)  # the tracker files read
    tracker: dict[str, int] = field(default_factory=dict)  # records, matched_key, matched_fuzzy, unreferenced
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage

    def summary(self) -> dict:
        return {
            "files_seen": self.files_seen,
            "incidents_loaded": self.incidents_loaded,
            "files_failed": self.files_failed,
            "seconds": round(self.seconds, 3),
            "published": True,
            "db": str(self.db_path),
            "build_id": self.build_id,
            "files_skipped": self.files_skipped,
            "files_parsed": self.files_parsed,
            "files_reused": self.files_reused,
            "analysis": self.analysis,
            "write_ups_merged": self.write_ups_merged,
            "possible_duplicates": self.possible_duplicates,
            "catalogs": self.catalogs,
            "trackers": self.trackers,
            "tracker": self.tracker,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


# ---------------------------------------------------------------- helpers


def _pause_at(stage: str) -> None:
    if os.environ.get("HINDSIGHT_TEST_PAUSE_AT") == stage:
        log.warning("hindsight-test: paused at %s", stage)
        deadline = time.monotonic() + float(os.environ.get("HINDSIGHT_TEST_PAUSE_SECONDS", "60"))
        release = os.environ.get("HINDSIGHT_TEST_PAUSE_UNTIL")
        while time.monotonic() < deadline and not (release and Path(release).exists()):
            time.sleep(0.05)


def new_build_id() -> str:
    """12 hex digits: seconds since the epoch, then randomness (sortable, unique per build)."""
    return f"{int(time.time()):08x}{secrets.token_hex(2)}"


class Progress(Protocol):
    """What the build reports while it runs; the CLI draws it as a progress bar."""

    def running(self) -> AbstractContextManager[None]: ...
    def stage(self, name: str, total: int | None = None) -> None: ...
    def advance(self, n: int = 1) -> None: ...


class NoProgress:
    def running(self) -> AbstractContextManager[None]:
        return nullcontext()

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


class _Laps:
    """Seconds spent in each named stage, for the JSON summary and the benchmark."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._t = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.times[name] = self.times.get(name, 0.0) + now - self._t
        self._t = now


# ---------------------------------------------------------------- the build


def build(
    corpus: list[Path],
    db_path: Path,
    *,
    taxonomy: Path | None = None,
    catalogs: list[Path] | tuple[Path, ...] = (),
    trackers: list[Path] | tuple[Path, ...] = (),
    analysis: bool = True,
    jobs: int | None = None,
    progress: Progress | None = None,
    lock_timeout: float = 600.0,
) -> BuildResult:
    """Build the database for `corpus` and publish it atomically at `db_path`.

    `catalogs` are Backstage catalog files; a `catalog-info.yaml` at the top of a corpus folder
    is read too (pipelines/build/catalogs.py). `trackers` are tracker exports (Jira CSV, gh issue
    JSON, incident.io follow-ups, Dispatch tasks) whose records are matched to action items
    (pipelines/build/tracker_sync.py); one that cannot be read stops the build before any work.

    Raises BuildError (nothing published, the previous database untouched) when no corpus path
    exists, a catalog cannot be used, nothing could be loaded, the target cannot be written or
    analysis fails.
    """
    t0 = time.perf_counter()
    if not corpus:
        raise UsageError("give at least one corpus file or folder")
    jobs = jobs or os.cpu_count() or 1
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    taxonomy_digest = _taxonomy_digest(taxonomy) if analysis else None
    db_path = Path(os.path.abspath(db_path))
    try:
        found = discover([Path(p) for p in corpus])
    except CorpusNotFound as e:
        raise UsageError(str(e)) from e
    if not found.files:
        where = ", ".join(str(p) for p in corpus)
        raise BuildError(
            f"no postmortem files found under {where} "
            f"({len(found.skipped)} other files skipped); Hindsight reads .md, .json, .jsonl and .csv files"
        )
    try:
        catalog = read_catalogs([Path(c) for c in catalogs], [Path(p) for p in corpus])
    except CatalogError as e:
        raise UsageError(f"{e}; nothing was published") from e
    try:
        tracked = read_trackers([Path(t) for t in trackers])
    except TrackerError as e:
        raise UsageError(f"--tracker {e}; nothing was published") from e
    staging = staging_path(db_path)
    try:
        prepare_target_dir(db_path)
        with build_lock(db_path, timeout=lock_timeout):
            try:
                remove_stale_staging(db_path)
                _pause_at("locked")
                build_id = new_build_id()
                try:
                    result = _build_locked(
                        found.files, len(found.skipped), corpus, catalog, tracked, db_path, staging, build_id, (taxonomy, taxonomy_digest),
                        analysis, jobs, progress or NoProgress(),
                    )
                except BaseException:
                    # Model files the analysis wrote for a build that was not published.
                    remove_build_artifacts(db_path, build_id)
                    raise
            finally:
                staging.unlink(missing_ok=True)
                staging.with_name(staging.name + ".wal").unlink(missing_ok=True)
    except (PublishError, WorkerDied, NotOurDatabase) as e:
        raise BuildError(str(e)) from e
    except (duckdb.Error, OSError) as e:
        raise BuildError(_write_failure(e, db_path)) from e
    result.catalogs = [str(p) for p in catalog.paths]
    result.trackers = [str(p) for p in tracked.paths]
    result.seconds = time.perf_counter() - t0
    return result


_DISK_FULL = ("no space left", "file too large", "disk quota", "could not write", "could not fsync")


def _taxonomy_digest(taxonomy: Path | None) -> str | None:
    """The team taxonomy's content hash (None for the bundled one, which the code version covers),
    so editing it makes the next build redo the analysis. A bad file fails here, before any work."""
    if taxonomy is None:
        return None
    from pipelines.analysis.taxonomy import TaxonomyError, load_taxonomy

    try:
        load_taxonomy(taxonomy)
        return hashlib.blake2b(Path(taxonomy).read_bytes(), digest_size=16).hexdigest()
    except (TaxonomyError, OSError) as e:
        raise UsageError(f"--taxonomy: {e}") from e


def _write_failure(e: Exception, db_path: Path) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    if isinstance(e, (OSError, duckdb.IOException)) or any(m in str(e).lower() for m in _DISK_FULL):
        return (
            f"could not write the new database in {db_path.parent} ({text}); is the disk full? "
            f"Free some space or choose another --db, then build again. {db_path} is untouched"
        )
    return f"could not build the database ({type(e).__name__}: {text}); {db_path} is untouched"


def _build_locked(
    files: list[SourceFile],
    n_skipped: int,
    corpus: list[Path],
    catalog: Catalogs,
    tracked: Trackers,
    db_path: Path,
    staging: Path,
    build_id: str,
    taxonomy: tuple[Path | None, str | None],
    analysis: bool,
    jobs: int,
    bar: Progress,
) -> BuildResult:
    lap = _Laps()
    version = code_version()
    prev = read_previous(db_path, version)
    reusable_prev = prev if prev and prev.same_code else None
    hashes = hash_files(files) if reusable_prev else {}
    # The catalog's content is part of the corpus: a changed catalog is a changed corpus.
    corpus_hash = corpus_digest(version, taxonomy[1], analysis, hashes | catalog.digests | tracked.digests) if reusable_prev else None
    lap("hash")
    base_info = {
        "build_id": build_id,
        "parser_version": pipelines.PARSER_VERSION,
        "code_version": version,
        "built_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "corpus_roots": json.dumps([os.path.abspath(p) for p in corpus]),
        "taxonomy": str(taxonomy[0]) if taxonomy[0] else "bundled",
        "catalogs": json.dumps([os.path.abspath(p) for p in catalog.paths]),
        "trackers": json.dumps([os.path.abspath(p) for p in tracked.paths]),
    }

    if reusable_prev and reusable_prev.info.get("corpus_hash") == corpus_hash:
        result = _republish_unchanged(reusable_prev, files, n_skipped, db_path, staging, base_info)
        lap("copy_and_publish")
        result.timings = lap.times
        return result

    reuse = {
        f.source_path
        for f in files
        if reusable_prev
        and (old := reusable_prev.files.get(f.source_path))
        and f.source_path in hashes
        and old[0] == hashes[f.source_path][0]
        and old[3]
    }
    todo = [f for f in files if f.source_path not in reuse]
    with bar.running():
        bar.stage("Parsing", total=len(todo))
        chunks = list(parse_all(todo, jobs, bar.advance))
        shared = _reused_with_shared_ids(files, chunks, reuse, reusable_prev)
        if shared:
            # Their ids are claimed by another write-up now: merging needs their own rows, not
            # the previous build's (which may be merged already), so they are parsed again.
            reuse -= {f.source_path for f in shared}
            todo += shared
            chunks.append(parse_chunk([(str(f.path), f.source_path) for f in shared]))
        lap("parse")
        _pause_at("parsed")

        bar.stage("Loading")
        con = duckdb.connect(str(staging))
        try:
            schema.create_schema(con)
            loaded = _load(con, files, chunks, reuse, reusable_prev)
            lap("load")
            from pipelines.build.duplicates import find_possible_duplicates
            from pipelines.build.resolve import resolve

            resolve(con, catalog.catalog)
            find_possible_duplicates(con)
            lap("resolve")
            synced = sync_trackers(con, tracked)
            lap("tracker")
            _pause_at("loaded")
            if loaded == 0:
                raise BuildError(
                    f"none of the {len(files)} files could be loaded, so nothing was published "
                    f"({_first_reasons(con)}); fix the files and build again"
                )

            artifacts_prefix = Path(f"{db_path}.{build_id}")
            status = "skipped"
            analysis_times: dict[str, float] = {}
            if analysis:
                from pipelines.build import analyse  # scikit-learn: only when the analysis runs

                bar.stage("Analysing")
                try:
                    analyse.run(
                        con,
                        artifacts_prefix=artifacts_prefix,
                        taxonomy=taxonomy[0],
                        previous_artifacts_prefix=prev.artifacts_prefix if prev else None,
                        timings=analysis_times,
                        jobs=jobs,
                    )
                except Exception as e:
                    raise BuildError(
                        f"analysis failed ({type(e).__name__}: {e}); nothing was published. "
                        "Rerun with --no-analysis to publish the parsed data without failure modes"
                    ) from e
                status = "ran"
            lap("analysis")
            lap.times.update({f"analysis.{k}": v for k, v in analysis_times.items()})
            from pipelines.build.summaries import write_summaries

            write_summaries(con)  # after the analysis: the filter bar offers its patterns
            _pause_at("analysed")
            info = dict(
                base_info,
                artifacts_prefix=str(artifacts_prefix),
                analysis=status,
                corpus_hash=corpus_hash or corpus_digest(
                    version,
                    taxonomy[1],
                    analysis,
                    {r.source_path: (r.content_hash, 0) for c in chunks for r in c.files if r.content_hash}
                    | catalog.digests | tracked.digests,
                ),
            )
            con.executemany("INSERT INTO build_info VALUES (?, ?)", sorted(info.items()))
            summary = _summary_from(con)
            bar.stage("Publishing")
            con.execute("CHECKPOINT")
        finally:
            con.close()
    _publish(staging, db_path, keep={build_id, *_prev_artifact_ids(prev)})
    lap("publish")
    return BuildResult(
        timings=lap.times,
        db_path=db_path,
        build_id=build_id,
        files_seen=len(files),
        files_skipped=n_skipped,
        incidents_loaded=summary[0],
        files_failed=summary[1],
        write_ups_merged=summary[2],
        possible_duplicates=summary[3],
        files_parsed=len(todo),
        files_reused=len(reuse),
        analysis=status,
        tracker=vars(synced) if synced.records else {},
    )


def _reused_with_shared_ids(
    files: list[SourceFile], chunks: list[ChunkResult], reuse: set[str], prev: PreviousBuild | None
) -> list[SourceFile]:
    """Reusable files one of whose incident ids another file also claims in this build."""
    if not reuse or prev is None:
        return []
    claims: Counter[str] = Counter()
    for f in files:
        if f.source_path in reuse:
            claims.update(prev.files[f.source_path][1])
    for chunk in chunks:
        for r in chunk.files:
            claims.update(iid for iid, _, _ in r.incidents)
    return [f for f in files if f.source_path in reuse and any(claims[i] > 1 for i in prev.files[f.source_path][1])]


def _load(
    con: duckdb.DuckDBPyConnection,
    files: list[SourceFile],
    chunks: list[ChunkResult],
    reuse: set[str],
    prev: PreviousBuild | None,
) -> int:
    """Insert every file's rows (parsed now or copied from `prev`), link write-ups that share an
    id (pipelines/build/merge.py); return incidents loaded.

    Files are taken in source_path order. Every write-up after the first that claims an id is
    staged under a temporary id, so all of them load; link_write_ups then merges the ones
    describing the same incident and turns the others into ingest errors naming both files.
    Files sharing an id are never reused (_reused_with_shared_ids), so every staged write-up is
    in `chunks`.
    """
    import pyarrow as pa

    from pipelines.build.load import INCIDENT_TABLES, insert_arrow, insert_rows

    parsed = {r.source_path: (n, r) for n, chunk in enumerate(chunks) for r in chunk.files}
    renamed: dict[int, dict[int, str]] = {}  # chunk -> row key -> staged id
    groups: dict[str, list[WriteUp]] = {}  # incident_id -> every write-up claiming it, in file order
    reused_ids: list[str] = []
    errors: list[tuple[str, str]] = []
    source_rows: list[list] = []
    for f in files:
        if f.source_path in reuse:
            assert prev is not None
            h, ids, file_errors, _ = prev.files[f.source_path]
            size = f.path.stat().st_size
            incidents = [(i, f.source_path, -1) for i in ids]
            reused_ids += ids
            n = -1
        else:
            n, r = parsed[f.source_path]
            h, size, file_errors, incidents = r.content_hash, r.size_bytes, r.errors, r.incidents
            ids = [i for i, _, _ in incidents]
        errors.extend(file_errors)
        for iid, where, key in incidents:
            if iid in groups:
                assert n >= 0, "a reused file never shares an id"
                groups[iid].append(WriteUp(staged_id(iid, where), where, f.source_path))
                renamed.setdefault(n, {})[key] = groups[iid][-1].staged_id
            else:
                groups[iid] = [WriteUp(iid, where, f.source_path)]
        if h:
            source_rows.append([f.source_path, h, size, ids, file_errors, True])
    for table in INCIDENT_TABLES:
        parts = []
        for n, chunk in enumerate(chunks):
            t = chunk.tables[table]
            if n in renamed:
                keys = t["_k"].to_pylist()
                ids = [renamed[n].get(k, old) for k, old in zip(keys, t["incident_id"].to_pylist())]
                t = t.set_column(t.schema.get_field_index("incident_id"), "incident_id", pa.array(ids, pa.string()))
            parts.append(t.drop_columns(["_k"]))
        if parts:
            insert_arrow(con, table, pa.concat_tables(parts))
    if reused_ids:
        _copy_reused(con, prev, reused_ids)
    shared = {iid: members for iid, members in groups.items() if len(members) > 1}
    link_errors, not_reusable = link_write_ups(con, shared, INCIDENT_TABLES)
    errors += link_errors
    for row in source_rows:
        # A merged or rejected write-up's rows are not its own in this database: parse it next time.
        row[5] = row[0] not in not_reusable
    insert_rows(con, "ingest_errors", errors)
    insert_rows(con, "source_files", [tuple(r) for r in source_rows])
    return con.execute("SELECT count(*) FROM incidents").fetchone()[0]


def _copy_reused(con: duckdb.DuckDBPyConnection, prev: PreviousBuild | None, ids: list[str]) -> None:
    import pyarrow as pa

    from pipelines.build.load import INCIDENT_TABLES

    assert prev is not None
    con.execute(f"ATTACH {sql_path_literal(prev.path)} AS prev (READ_ONLY)")
    try:
        con.execute("CREATE TEMP TABLE reuse_ids (incident_id VARCHAR PRIMARY KEY)")
        con.register("_reuse", pa.table({"incident_id": pa.array(ids, type=pa.string())}))
        con.execute("INSERT INTO reuse_ids SELECT incident_id FROM _reuse")
        con.unregister("_reuse")
        for table in INCIDENT_TABLES:
            # Theme assignments belong to the analysis of the previous corpus; this build redoes them.
            select = (
                "* REPLACE (NULL::INTEGER AS theme_id, NULL::VARCHAR AS category)"
                if table == "contributing_factors"
                else "*"
            )
            con.execute(
                f"INSERT INTO {table} SELECT {select} FROM prev.{table} "
                "WHERE incident_id IN (SELECT incident_id FROM reuse_ids)"
            )
        con.execute("DROP TABLE reuse_ids")
    finally:
        con.execute("DETACH prev")


def _republish_unchanged(
    prev: PreviousBuild, files: list[SourceFile], n_skipped: int, db_path: Path, staging: Path, base_info: dict
) -> BuildResult:
    """Same code, options and file contents: the previous database is the answer; copy it."""
    shutil.copyfile(prev.path, staging)
    con = duckdb.connect(str(staging))
    try:
        info = dict(base_info, reused_from_build=prev.info.get("build_id", ""))
        for key, value in info.items():
            con.execute("INSERT OR REPLACE INTO build_info VALUES (?, ?)", [key, value])
        summary = _summary_from(con)
        tracker = _tracker_summary(con)
        analysis = prev.info.get("analysis", "skipped")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    _publish(staging, db_path, keep={base_info["build_id"], *_prev_artifact_ids(prev)})
    return BuildResult(
        db_path=db_path,
        build_id=base_info["build_id"],
        files_seen=len(files),
        files_skipped=n_skipped,
        incidents_loaded=summary[0],
        files_failed=summary[1],
        write_ups_merged=summary[2],
        possible_duplicates=summary[3],
        files_parsed=0,
        files_reused=len(files),
        analysis="reused" if analysis == "ran" else analysis,
        tracker=tracker,
    )


def _prev_artifact_ids(prev: PreviousBuild | None) -> set[str]:
    if prev is None:
        return set()
    prefix = prev.info.get("artifacts_prefix", "")
    return {prev.info.get("build_id", ""), prefix.rsplit(".", 1)[-1]} - {""}


def _summary_from(con: duckdb.DuckDBPyConnection) -> tuple[int, list[dict[str, str]], int, int]:
    """(incidents, ingest errors, write-ups merged into another's incident, possible duplicates)."""
    n = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
    merged = con.execute("SELECT count(*) FROM incident_sources WHERE rank > 0").fetchone()[0]
    pairs = con.execute("SELECT count(*) FROM possible_duplicates").fetchone()[0]
    failed = [
        {"path": p, "reason": r}
        for p, r in con.execute("SELECT source_path, reason FROM ingest_errors ORDER BY source_path, reason").fetchall()
    ]
    return n, failed, merged, pairs


def _tracker_summary(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The tracker sync's counts, read back from a database (an unchanged rebuild copies it)."""
    records, unreferenced = con.execute("SELECT count(*), count(*) FILTER (WHERE NOT referenced) FROM tracker_records").fetchone()
    key, fuzzy = con.execute(
        """SELECT count(*) FILTER (WHERE "match" = 'key'), count(*) FILTER (WHERE "match" = 'fuzzy') FROM action_items"""
    ).fetchone()
    if not records:
        return {}
    return {"records": records, "matched_key": key, "matched_fuzzy": fuzzy, "unreferenced": unreferenced}


def _first_reasons(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute("SELECT source_path, reason FROM ingest_errors ORDER BY source_path LIMIT 3").fetchall()
    return "; ".join(f"{p}: {r}" for p, r in rows) or "no incidents found"


def _publish(staging: Path, db_path: Path, keep: set[str]) -> None:
    _pause_at("staged")
    publish(staging, db_path)
    remove_unreferenced_artifacts(db_path, keep)
