"""Build a corpus with the `hindsight build` command line and read the result back per source.

The benchmarks that judge parsing go through the command line and plain DuckDB on purpose:
they must not depend on where a function lives inside `pipelines/`, only on the CLI and the
tables of the published database (pipelines/schema.py).

A *source key* is how the build names where an incident came from: a Markdown path relative
to the corpus root, or `path:N` for an export record (JSONL: the line; JSON array: the 1-based
index; CSV: the line where the record starts, header = line 1, so data row 1 is usually `:2`).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb


class BuildError(RuntimeError):
    """`hindsight build` failed or rejected an option; the message says which and why."""


def hindsight_command() -> list[str]:
    """The `hindsight` entry point next to this interpreter (the worktree's venv), else on PATH."""
    beside = Path(sys.executable).parent / "hindsight"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("hindsight")
    if found:
        return [found]
    raise BuildError("no `hindsight` command found: run `make .venv/.installed-test` and use .venv/bin/python")


def build(corpus: Path, db: Path, catalogs: list[Path] = ()) -> dict[str, Any]:
    """`hindsight build CORPUS --db DB --json --no-analysis [--catalog F]...`; its JSON summary.

    --no-analysis: themes and related incidents play no part in what is scored here, and
    parsing, loading and lint run either way.
    """
    cmd = hindsight_command() + ["build", str(corpus), "--db", str(db), "--json", "--no-analysis"]
    for c in catalogs:
        cmd += ["--catalog", str(c)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        if catalogs and "--catalog" in proc.stderr:
            raise BuildError(
                "this `hindsight build` does not accept --catalog yet "
                f"({proc.stderr.strip().splitlines()[-1]}); run again without --catalog"
            )
        raise BuildError(f"`{' '.join(cmd)}` exited with {proc.returncode}:\n{proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout)


# --------------------------------------------------------------------------- source keys


def csv_record_lines(path: Path) -> list[int]:
    """The line each data row of a CSV file starts on (header = line 1), the way the build counts.

    Rows may span lines (quoted newlines), so the N-th data row is not line N + 1 in general.
    """
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))  # DictReader skips blank lines, as the build's does
    reader.fieldnames  # reads the header
    starts: list[int] = []
    prev_end = reader.line_num
    for _ in reader:
        starts.append(prev_end + 1)
        prev_end = reader.line_num
    return starts


def source_key(truth_file: str, corpus: Path, _csv_cache: dict[Path, list[int]] | None = None) -> str:
    """The build's source key for a dev-set truth `file` (`exports/x.csv:ROW` counts data rows)."""
    path, sep, number = truth_file.rpartition(":")
    if not sep or not number.isdigit() or not path.lower().endswith(".csv"):
        return truth_file  # Markdown paths and JSONL lines are already the build's keys
    cache = {} if _csv_cache is None else _csv_cache
    full = corpus / path
    if full not in cache:
        cache[full] = csv_record_lines(full) if full.exists() else []
    starts = cache[full]
    row = int(number)
    return f"{path}:{starts[row - 1]}" if 0 < row <= len(starts) else f"{path}:row{row}?"


# --------------------------------------------------------------------------- reading a build


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall()
    cols: dict[str, set[str]] = defaultdict(set)
    for table, column in rows:
        cols[table].add(column)
    return cols


SOURCE_VIEW = "\x1f"  # joins an incident id and a source key: the record of one write-up of a merged incident


def source_incidents(con: duckdb.DuckDBPyConnection, cols: dict[str, set[str]]) -> dict[str, str]:
    """source key -> incident_id, for every source the build loaded.

    `incidents.source_path` names one source per incident. When the build merges several
    write-ups into one incident it lists them all in `incident_sources` (incident_id,
    source_path[, record]); then every one of them maps to the merged incident, or, when the
    table says which rows each write-up contributed (`section_seqs`), to that write-up's view
    of it: `<incident_id>\x1f<source key>` (see write_up_views).
    """
    mapping = dict(con.execute("SELECT source_path, incident_id FROM incidents").fetchall())
    if "incident_sources" in cols and "section_seqs" in cols["incident_sources"]:
        for iid, path in con.execute(
            "SELECT incident_id, source_path FROM incident_sources "
            "WHERE incident_id IN (SELECT incident_id FROM incident_sources GROUP BY ALL HAVING count(*) > 1)"
        ).fetchall():
            mapping[path] = f"{iid}{SOURCE_VIEW}{path}"
    elif "incident_sources" in cols:
        has_record = "record" in cols["incident_sources"]
        sql = "SELECT incident_id, source_path, {} FROM incident_sources".format(
            "record" if has_record else "NULL"
        )
        for iid, path, record in con.execute(sql).fetchall():
            # A record number may be kept apart from the path; the build's own key joins them.
            has_number = path.rpartition(":")[2].isdigit()
            key = f"{path}:{record}" if record is not None and not has_number else path
            mapping[key] = iid
    return mapping


def ingest_errors(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """source key (or file) -> the first reason the build gave for not loading it."""
    out: dict[str, str] = {}
    for path, reason in con.execute("SELECT source_path, reason FROM ingest_errors ORDER BY source_path").fetchall():
        out.setdefault(path, reason)
    return out


def _minute(ts: datetime | None) -> str | None:
    return None if ts is None else ts.strftime("%Y-%m-%dT%H:%MZ")


def _day(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def parsed_incidents(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """(incident_id -> what the build recorded, in dev-set field names; the fields the DB can answer).

    `sections_present` keeps only headed sections (an unheaded opening paragraph is stored as
    `summary` with an empty heading, but the dev set counts headings). Timestamps are
    `YYYY-MM-DDTHH:MMZ` (the scorer compares to the minute).
    """
    cols = _columns(con)
    available = {
        "title", "date", "severity", "services", "team", "started_at", "detected_at", "resolved_at",
        "timeline_events", "sections_present", "action_items", "owner", "due", "status",
    }
    recs: dict[str, dict[str, Any]] = {}
    inferred_team: set[str] = set()
    if "field_sources" in cols:
        # A team the build attributed (the owner of the primary service in the catalog, or by
        # the corpus) is not one the document states: `team` scores what the document says,
        # `team_effective` what the dashboard shows.
        available.add("team_effective")
        inferred_team = {iid for (iid,) in con.execute(
            "SELECT incident_id FROM field_sources WHERE field = 'team' AND source IN ('catalog', 'corpus')"
        ).fetchall()}
    for iid, title, day, sev, team, start, detect, resolve in con.execute(
        "SELECT incident_id, title, incident_date, severity, team, started_at, detected_at, resolved_at FROM incidents"
    ).fetchall():
        recs[iid] = {
            "title": title, "date": _day(day), "severity": sev,
            "team": None if iid in inferred_team else team, "team_effective": team,
            "started_at": _minute(start), "detected_at": _minute(detect), "resolved_at": _minute(resolve),
            "services": [], "sections_present": [], "timeline_events": 0, "action_items": [], "blameful": False,
        }
    for iid, service in con.execute("SELECT incident_id, service FROM incident_services").fetchall():
        recs[iid]["services"].append(service)
    for iid, kind in con.execute(
        "SELECT incident_id, kind FROM sections WHERE coalesce(heading, '') <> '' ORDER BY incident_id, seq"
    ).fetchall():
        if kind not in recs[iid]["sections_present"]:
            recs[iid]["sections_present"].append(kind)
    for iid, n in con.execute("SELECT incident_id, count(*) FROM timeline_events GROUP BY incident_id").fetchall():
        recs[iid]["timeline_events"] = n
    has_ticket = "ticket" in cols.get("action_items", set())
    if has_ticket:
        available.add("ticket")
    for iid, text, owner, due, status, ticket in con.execute(
        "SELECT incident_id, text, owner, due_date, status, {} FROM action_items ORDER BY incident_id, seq".format(
            "ticket" if has_ticket else "NULL"
        )
    ).fetchall():
        item = {"text": text, "owner": owner, "due": _day(due), "status": status}
        if has_ticket:
            item["ticket"] = ticket
        recs[iid]["action_items"].append(item)
    if "lint_findings" in cols:
        available.add("blameful")
        for (iid,) in con.execute(
            "SELECT DISTINCT incident_id FROM lint_findings "
            "WHERE rule LIKE 'blameless/%' AND severity IN ('error', 'warning')"
        ).fetchall():
            recs[iid]["blameful"] = True
    return recs, available


def write_up_views(con: duckdb.DuckDBPyConnection, cols: dict[str, set[str]], recs: dict[str, dict[str, Any]]) -> None:
    """Add to `recs` one record per write-up of each merged incident: the merged incident's
    values for the incident's fields (severity, times, services, team, date), the write-up's own
    title, sections, timeline events and action items for the document's fields."""
    if "section_seqs" not in cols.get("incident_sources", set()):
        return
    rows = con.execute(
        "SELECT incident_id, source_path, title, section_seqs, event_seqs, item_seqs FROM incident_sources "
        "WHERE incident_id IN (SELECT incident_id FROM incident_sources GROUP BY ALL HAVING count(*) > 1)"
    ).fetchall()
    kinds: dict[tuple[str, int], str] = {
        (iid, seq): kind for iid, seq, kind in con.execute(
            "SELECT incident_id, seq, kind FROM sections WHERE coalesce(heading, '') <> ''"
        ).fetchall()
    }
    for iid, path, title, section_seqs, event_seqs, item_seqs in rows:
        merged = recs[iid]
        sections = [kinds[(iid, s)] for s in section_seqs or [] if (iid, s) in kinds]
        recs[f"{iid}{SOURCE_VIEW}{path}"] = dict(
            merged,
            title=title,
            sections_present=list(dict.fromkeys(sections)),
            timeline_events=len(event_seqs or []),
            action_items=[merged["action_items"][i] for i in item_seqs or [] if i < len(merged["action_items"])],
        )


def read_build(db: Path) -> tuple[dict[str, str], dict[str, dict[str, Any]], set[str], dict[str, str]]:
    """(source key -> incident_id, incident_id -> parsed record, fields available, ingest errors)."""
    with duckdb.connect(str(db), read_only=True) as con:
        cols = _columns(con)
        missing = {"incidents", "incident_services", "sections", "timeline_events", "action_items"} - set(cols)
        if missing:
            raise BuildError(f"{db}: not a Hindsight database (no table {', '.join(sorted(missing))})")
        sources = source_incidents(con, cols)
        recs, available = parsed_incidents(con)
        write_up_views(con, cols, recs)
        errors = ingest_errors(con) if "ingest_errors" in cols else {}
    return sources, recs, available, errors
