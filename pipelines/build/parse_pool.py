"""Parse and lint postmortem files in worker processes, returning Arrow tables per chunk.

The workers are forked, so they inherit the imported parser, the compiled lint rules and the
loader; they read, hash, parse and lint their files and send back each chunk's rows as Arrow
tables (cheap to pickle), tagged with a row key per incident so the build can still drop an
incident that loses a duplicate-id contest without parsing again.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.parsing.discover import SourceFile
from pipelines.model import IngestError

if TYPE_CHECKING:
    import pyarrow as pa

    from pipelines.build.load import IncidentRows

log = logging.getLogger(__name__)

# Below this many files to parse, starting worker processes costs more than it saves.
MIN_FILES_FOR_POOL = 24


class WorkerDied(Exception):
    """A parser process was killed (out of memory, signal): the pool cannot go on."""


@dataclass
class FileResult:
    source_path: str
    content_hash: str
    size_bytes: int
    incidents: list[tuple[str, str, int]] = field(default_factory=list)  # (id, source path, row key)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (source_path, reason)


@dataclass
class ChunkResult:
    """Parsed files plus all their incidents' rows as Arrow tables (cheap to send between processes).

    Each table has an extra `_k` column, the row key of the incident a row belongs to, so rows
    of an incident that loses a duplicate-id contest can be dropped without parsing again.
    """

    files: list[FileResult]
    tables: dict[str, pa.Table]


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _linter() -> Callable | None:
    """`pipelines.lint.checks.lint_incident`, or None (with a warning) when the linter cannot be imported."""
    try:
        from pipelines.lint.checks import lint_incident
    except ImportError as e:
        if getattr(e, "name", None) != "pipelines.lint.checks":
            log.warning("the linter cannot be imported (%s): completeness and lint findings are not recorded", e)
        return None
    return lint_incident


_lint: Callable | None = None  # resolved once in the parent; forked workers inherit it


def parse_source(path: str, source_path: str) -> tuple[FileResult, list[IncidentRows]]:
    """Read, hash, parse and lint one file; never raises for a bad file."""
    from pipelines.build.load import incident_rows
    from pipelines.parsing.files import parse_file
    from pipelines.parsing.identity import adopt_title_key

    try:
        data = Path(path).read_bytes()
    except OSError as e:
        return FileResult(source_path, "", 0, errors=[(source_path, f"cannot read the file: {e.strerror}")]), []
    result = FileResult(source_path, content_hash(data), len(data))
    try:
        parsed = parse_file(data, source_path)
    except IngestError as e:
        result.errors.append((source_path, str(e)))
        return result, []
    except Exception as e:  # a parser bug must cost one file, not the whole build
        result.errors.append((
            source_path,
            f"the parser failed unexpectedly ({type(e).__name__}: {e}); this is a Hindsight bug, "
            "please report it with this file",
        ))
        return result, []
    result.errors.extend(parsed.errors)
    if not parsed.incidents and not parsed.errors:
        result.errors.append((source_path, "no postmortem found in this file (it is empty or holds no records)"))
    rows = []
    for inc in parsed.incidents:
        adopt_title_key(inc)
        outcome = None
        if _lint is not None:
            try:
                outcome = _lint(inc)
            except Exception as e:  # lint is advisory: keep the incident, note the failure
                log.warning("lint failed on %s: %s: %s", inc.source_path, type(e).__name__, e)
        rows.append(incident_rows(inc, outcome))
    return result, rows


def parse_chunk(items: list[tuple[str, str]]) -> ChunkResult:
    import pyarrow as pa

    from pipelines.build.load import INCIDENT_TABLES, arrow_table

    files = []
    by_table: dict[str, list[tuple]] = {t: [] for t in INCIDENT_TABLES}
    keys: dict[str, list[int]] = {t: [] for t in INCIDENT_TABLES}
    k = 0
    for path, source_path in items:
        result, incidents = parse_source(path, source_path)
        for inc in incidents:
            result.incidents.append((inc.incident_id, inc.rows["incidents"][0][2], k))
            for table, rows in inc.rows.items():
                by_table[table].extend(rows)
                keys[table].extend([k] * len(rows))
            k += 1
        files.append(result)
    tables = {
        t: arrow_table(t, rows).append_column("_k", pa.array(keys[t], type=pa.int32()))
        for t, rows in by_table.items()
    }
    return ChunkResult(files, tables)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _chunks_by_size(sized: list[tuple[int, tuple[str, str]]], budget: float, max_files: int) -> list[list]:
    """Consecutive chunks of at most `max_files` items and about `budget` bytes each."""
    chunks: list[list] = []
    current: list = []
    total = 0
    for size, item in sized:
        if current and (total + size > budget or len(current) >= max_files):
            chunks.append(current)
            current, total = [], 0
        current.append(item)
        total += size
    if current:
        chunks.append(current)
    return chunks


def parse_all(todo: list[SourceFile], jobs: int, on_done: Callable[[int], None]) -> Iterator[ChunkResult]:
    """Parse `todo` in chunks, in order; in this process when it is small or jobs == 1."""
    global _lint
    _lint = _linter()
    items = [(str(f.path), f.source_path) for f in todo]
    if jobs == 1 or len(items) < MIN_FILES_FOR_POOL:
        for chunk in _chunks(items, 64):
            yield parse_chunk(chunk)
            on_done(len(chunk))
        return
    # Largest files first, so a big export is not the last thing one worker chews on while
    # the others idle; the loader does not care about chunk order. Chunks are small enough to
    # balance the workers, large enough to amortise the hand-off.
    sized = sorted(((_size(path), (path, sp)) for path, sp in items), key=lambda x: -x[0])
    chunks = _chunks_by_size(sized, budget=sum(n for n, _ in sized) / (jobs * 8), max_files=64)
    # fork: workers inherit the imported parser instead of importing it again. This process
    # has no threads at this point (the progress bar refreshes by hand, DuckDB is closed).
    _warm_up_parser()
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        try:
            results = pool.map(parse_chunk, chunks)  # submits every chunk now
            _warm_up_loader()
            for chunk, res in zip(chunks, results):
                yield res
                on_done(len(chunk))
        except BrokenProcessPool as e:
            raise WorkerDied(
                "a parser process died (out of memory or killed); rerun with --jobs 1 to find the file"
            ) from e


_WARM_UP_DOC = b"""---
id: warm-up
title: Warm-up
severity: SEV3
---
# Warm-up

## Summary
A cache expired at 14:02 UTC.

## Root cause
- The TTL was too short.

## Action items
- [ ] Lengthen the TTL @ops (due 2024-01-01)
"""


def _warm_up_parser() -> None:
    """Parse and lint a tiny document so lazily built state (compiled rules, Markdown parser)
    exists before the workers fork; otherwise every worker builds it again."""
    try:
        from pipelines.parsing.files import parse_file

        parse_chunk([])  # imports pyarrow and the loader
        for inc in parse_file(_WARM_UP_DOC, "warm-up.md").incidents:
            if _lint is not None:
                _lint(inc)
    except Exception as e:  # only an optimisation; the real parse reports real problems
        log.debug("parser warm-up failed: %s", e)


def _warm_up_loader() -> None:
    """Import pandas (DuckDB imports it on the first Arrow scan) while the workers parse."""
    import pandas  # noqa: F401
