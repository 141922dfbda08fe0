"""`hindsight build`: a progress bar while it runs, then a summary line or one JSON object."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from pipelines.build.run import BuildError, BuildResult, build

MAX_LISTED_FAILURES = 20


class RichProgress:
    """A rich progress bar on stderr.

    It refreshes by hand (no refresh thread) because parser workers are forked from this
    process, and a thread holding a lock at fork time can deadlock the child.
    """

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(stderr=True), transient=True, auto_refresh=False,
        )
        self.task = None
        self._last = 0.0

    @contextmanager
    def running(self) -> Iterator[None]:
        with self.bar:
            self.task = self.bar.add_task("Reading", total=None)
            yield

    def stage(self, name: str, total: int | None = None) -> None:
        if self.task is not None:
            self.bar.update(self.task, description=name, total=total, completed=0)
            self.bar.refresh()

    def advance(self, n: int = 1) -> None:
        if self.task is not None:
            self.bar.advance(self.task, n)
            now = time.monotonic()
            if now - self._last > 0.1:
                self.bar.refresh()
                self._last = now


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    progress = RichProgress() if not args.json and sys.stderr.isatty() else None
    try:
        result = build(
            args.corpus,
            args.db,
            taxonomy=args.taxonomy,
            catalogs=args.catalog,
            trackers=args.tracker or tracker_files_from_env(),
            analysis=not args.no_analysis,
            jobs=args.jobs,
            progress=progress,
        )
    except BuildError as e:
        if args.json:
            print(json.dumps({"published": False, "error": str(e)}))
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing was published; the previous database is untouched", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(result.summary()))
    else:
        print("\n".join(summary_lines(result)))
    return 0


def tracker_files_from_env() -> list[str]:
    """$HINDSIGHT_TRACKER: tracker files separated by os.pathsep (':' on Linux and macOS)."""
    return [p for p in os.environ.get("HINDSIGHT_TRACKER", "").split(os.pathsep) if p.strip()]


def summary_lines(r: BuildResult) -> list[str]:
    detail = f"{r.files_parsed} parsed, {r.files_reused} unchanged" if r.files_reused else f"{r.files_parsed} parsed"
    lines = [
        f"Loaded {r.incidents_loaded} incidents from {r.files_seen} files in {r.seconds:.1f} s ({detail}); "
        f"analysis {r.analysis}; published {r.db_path}"
    ]
    if r.catalogs:
        lines.append(f"Service catalog: {', '.join(r.catalogs)}.")
    if r.tracker:
        t = r.tracker
        lines.append(
            f"Tracker: {t['records']} records from {', '.join(r.trackers) or 'the previous build'}; "
            f"{t['matched_key']} action items matched by ticket, {t['matched_fuzzy']} by title (review them on the "
            f"Data quality page); {t['unreferenced']} records not referenced by any postmortem."
        )
    if r.write_ups_merged == 1:
        lines.append("Merged 1 write-up into the incident sharing its id (incident_sources).")
    elif r.write_ups_merged:
        lines.append(f"Merged {r.write_ups_merged} write-ups into the incidents sharing their ids (incident_sources).")
    if r.possible_duplicates:
        pairs = "1 pair of incidents looks" if r.possible_duplicates == 1 else f"{r.possible_duplicates} pairs of incidents look"
        lines.append(f"{pairs} like one incident written up twice: see Possible duplicates on the Data quality page.")
    if r.files_skipped:
        lines.append(f"Skipped {r.files_skipped} files that are not postmortems (unsupported suffix).")
    if r.files_failed:
        lines.append(f"{len(r.files_failed)} failed (also in the ingest_errors table):")
        lines += [f"  {f['path']}: {f['reason']}" for f in r.files_failed[:MAX_LISTED_FAILURES]]
        if len(r.files_failed) > MAX_LISTED_FAILURES:
            lines.append(f"  ... and {len(r.files_failed) - MAX_LISTED_FAILURES} more in the ingest_errors table")
    return lines
