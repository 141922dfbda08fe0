"""Turn parsed incidents into table rows and insert them into DuckDB in bulk.

A parser worker turns each incident into plain row tuples and a chunk of them into Arrow
tables (cheap to send back to the main process); each table is then inserted with one
statement (row-by-row INSERTs are ~100x slower). Inserts name their columns, so a column
added to pipelines/schema.py with a default does not break loading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import duckdb
import pyarrow as pa

from pipelines.model import SOURCED_FIELDS, Incident

_S, _I, _TS, _D, _B = pa.string(), pa.int32(), pa.timestamp("us"), pa.date32(), pa.bool_()

# table -> ((column, arrow type), ...) for the columns the loader fills.
COLUMNS: dict[str, tuple[tuple[str, pa.DataType], ...]] = {
    "incidents": (
        ("incident_id", _S), ("title", _S), ("source_path", _S), ("source_format", _S),
        ("incident_date", _D), ("started_at", _TS), ("detected_at", _TS), ("mitigated_at", _TS),
        ("resolved_at", _TS), ("severity", _S), ("severity_raw", _S), ("team", _S), ("status", _S),
        ("summary", _S), ("url", _S), ("restricted", _B), ("allowed_groups", pa.list_(_S)),
        ("completeness", _I), ("team_raw", _S),
    ),
    "incident_services": (("incident_id", _S), ("service", _S)),
    "stated_services": (("incident_id", _S), ("seq", _I), ("name", _S)),
    "field_sources": (("incident_id", _S), ("field", _S), ("source", _S), ("line", _I)),
    "parsed_field_sources": (("incident_id", _S), ("field", _S), ("source", _S), ("line", _I)),
    "incident_sources": (
        ("incident_id", _S), ("source_path", _S), ("source_format", _S), ("rank", _I), ("title", _S),
        ("incident_date", _D), ("started_at", _TS), ("resolved_at", _TS),
        ("section_seqs", pa.list_(_I)), ("event_seqs", pa.list_(_I)), ("item_seqs", pa.list_(_I)),
    ),
    "incident_tags": (("incident_id", _S), ("tag", _S)),
    "incident_mode_labels": (("incident_id", _S), ("label", _S)),
    "sections": (("incident_id", _S), ("seq", _I), ("kind", _S), ("heading", _S), ("body", _S), ("line", _I)),
    "timeline_events": (("incident_id", _S), ("seq", _I), ("at", _TS), ("raw_time", _S), ("text", _S)),
    "action_items": (
        ("incident_id", _S), ("seq", _I), ("text", _S), ("owner", _S), ("due_date", _D),
        ("status", _S), ("priority", _S), ("kind", _S), ("ticket", _S),
    ),
    "contributing_factors": (("incident_id", _S), ("seq", _I), ("text", _S), ("source_section", _S)),
    "lint_findings": (("incident_id", _S), ("rule", _S), ("severity", _S), ("line", _I), ("message", _S)),
    "ingest_errors": (("source_path", _S), ("reason", _S)),
    "source_files": (
        ("source_path", _S), ("content_hash", _S), ("size_bytes", pa.int64()),
        ("incident_ids", pa.list_(_S)),
        ("errors", pa.list_(pa.struct([("source_path", _S), ("reason", _S)]))), ("reusable", _B),
    ),
}

# The tables holding one incident's parsed content, all keyed by incident_id. They hold what the
# write-up says; the build derives incident_services, incidents.team and field_sources from them
# (pipelines/build/resolve.py), so a changed catalog never needs a file parsed again.
INCIDENT_TABLES = (
    "incidents", "stated_services", "parsed_field_sources", "incident_sources", "incident_tags", "incident_mode_labels",
    "sections", "timeline_events", "action_items", "contributing_factors", "lint_findings",
)
RECORD_FORMATS = ("json", "jsonl", "csv")


class LintFinding(Protocol):
    rule: str
    severity: str
    line: int | None
    message: str


class LintOutcome(Protocol):
    completeness: int
    findings: list[LintFinding]


@dataclass
class IncidentRows:
    """Every row one incident contributes, by table (see INCIDENT_TABLES)."""

    incident_id: str
    rows: dict[str, list[tuple]] = field(default_factory=dict)


def parsed_sources(inc: Incident) -> list[tuple[str, str, int | None]]:
    """(field, source, line) for every SOURCED_FIELDS field that has a value. A value the parser
    recorded no source for counts as stated where such values usually come from: the record of
    an export, the front matter of a Markdown write-up."""
    values = {
        "severity": inc.severity, "started_at": inc.started_at, "detected_at": inc.detected_at,
        "resolved_at": inc.resolved_at, "services": inc.services or None, "team": inc.team,
    }
    default = "record" if inc.source_format in RECORD_FORMATS else "front_matter"
    out = []
    for name in SOURCED_FIELDS:
        if values[name] is None:
            continue
        fs = inc.field_sources.get(name)
        out.append((name, fs.source, fs.line) if fs else (name, default, None))
    return out


def incident_rows(inc: Incident, lint: LintOutcome | None) -> IncidentRows:
    iid = inc.incident_id
    incident_date = inc.date or (inc.started_at.date() if inc.started_at else None)
    services = [s.strip() for s in dict.fromkeys(inc.services) if s and s.strip()]
    rows: dict[str, list[tuple]] = {
        "incidents": [(
            iid, inc.title, inc.source_path, inc.source_format, incident_date, inc.started_at,
            inc.detected_at, inc.mitigated_at, inc.resolved_at, inc.severity, inc.severity_raw,
            inc.team, inc.status, inc.summary, inc.url, bool(inc.restricted),
            list(inc.allowed_groups) or None, lint.completeness if lint else None, inc.team,
        )],
        # A service or tag listed twice is one fact, not two.
        "stated_services": [(iid, i, s) for i, s in enumerate(services)],
        "parsed_field_sources": [(iid, *fs) for fs in parsed_sources(inc)],
        "incident_sources": [(
            iid, inc.source_path, inc.source_format, 0, inc.title, incident_date, inc.started_at, inc.resolved_at,
            list(range(len(inc.sections))), list(range(len(inc.timeline))), list(range(len(inc.action_items))),
        )],
        "incident_tags": [(iid, t) for t in dict.fromkeys(inc.tags) if t],
        "incident_mode_labels": [(iid, m) for m in dict.fromkeys(inc.failure_modes) if m],
        "sections": [(iid, i, s.kind, s.heading, s.body, s.line) for i, s in enumerate(inc.sections)],
        "timeline_events": [(iid, i, e.at, e.raw_time, e.text) for i, e in enumerate(inc.timeline)],
        "action_items": [
            (iid, i, a.text, a.owner, a.due_date, a.status, a.priority, a.kind, a.ticket)
            for i, a in enumerate(inc.action_items)
        ],
        "contributing_factors": [(iid, i, f.text, f.source_section) for i, f in enumerate(inc.factors)],
        "lint_findings": [(iid, f.rule, f.severity, f.line, f.message) for f in (lint.findings if lint else [])],
    }
    return IncidentRows(iid, rows)


def arrow_table(table: str, rows: list[tuple]) -> pa.Table:
    spec = COLUMNS[table]
    columns = list(zip(*rows)) if rows else [[] for _ in spec]
    return pa.table({name: pa.array(col, type=typ) for (name, typ), col in zip(spec, columns)})


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    if rows:
        insert_arrow(con, table, arrow_table(table, rows))


def insert_arrow(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    """Insert an Arrow table whose columns are (a subset of) `table`'s, matched by name."""
    if data.num_rows == 0:
        return
    names = ", ".join(f'"{name}"' for name in data.column_names)
    con.register("_hindsight_rows", data)
    try:
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _hindsight_rows")
    finally:
        con.unregister("_hindsight_rows")
