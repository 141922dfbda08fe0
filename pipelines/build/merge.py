"""One incident, several write-ups: merge the write-ups that share an incident id, on the staging
database, right after loading.

The loader gives every write-up after the first that claims an id a temporary id
(`<id>\\x1f<source>`), so all of them are loaded; `link_write_ups` then decides per write-up:

- **Same incident** when its impact window overlaps the first write-up's, or their start days are
  at most MAX_DAYS_APART apart, or either has no date at all (nothing says they differ). The
  write-ups become one incident (docs/build.md, "One incident, several write-ups").
- **Id clash** otherwise: two different incidents reuse one id by mistake. The later write-up
  (in file order) is an ingest error naming both files and is not loaded.

Merge precedence. Write-ups are ranked: Markdown postmortems before export records, then by
source path; rank 0 is the primary. Each sourced field (severity, the three times, services,
team) comes from the write-up whose value has the best source: stated beats inferred, and among
stated sources front matter > metadata > label > record > title (SOURCE_ORDER); ties go to the
better-ranked write-up. Every other field (title, date, summary, status, url, mitigated_at) is
the first non-empty one in rank order. Restricted when any write-up is (allowed groups: those
every restricted write-up allows). Sections, timeline events, contributing factors and action
items are kept from every write-up in rank order; identical timeline events (same time and
text), factors (same text) and action items (same text, or the same ticket) are kept once, and
a kept item takes an owner, due date or ticket it lacks from its duplicate. Lint findings are
kept from every write-up (once per rule and message); completeness is the best write-up's.
`incident_sources` lists every write-up with the rows it contributed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

import duckdb

from pipelines.model import SOURCED_FIELDS

SEP = "\x1f"  # joins an id and a source path into a temporary id; never in a real id
MAX_DAYS_APART = 3
# Stated sources, most trusted first; inferred ones after them. A value with no recorded
# source was stored as stated by the loader (front_matter / record).
SOURCE_ORDER = ("front_matter", "metadata", "label", "record", "title", "timeline", "text", "catalog", "corpus")
MARKDOWN = "markdown"

# Incident columns taken from the first write-up (in rank order) that has them.
FIRST_NON_EMPTY = ("title", "incident_date", "mitigated_at", "status", "summary", "url")
# Sourced field -> the incident columns that travel with it.
FIELD_COLUMNS = {
    "severity": ("severity", "severity_raw"),
    "started_at": ("started_at",),
    "detected_at": ("detected_at",),
    "resolved_at": ("resolved_at",),
    "team": ("team", "team_raw"),
    "services": (),  # stated_services rows
}
CONTENT_TABLES = ("sections", "timeline_events", "action_items", "contributing_factors")
SEQ_COLUMN = {"sections": "section_seqs", "timeline_events": "event_seqs", "action_items": "item_seqs"}


@dataclass(frozen=True)
class WriteUp:
    """One write-up claiming an id: its id in the staging database, its source (a file, or
    `file:line` for an export record) and the file it is in."""

    staged_id: str
    source_path: str
    file: str


def staged_id(incident_id: str, source_path: str) -> str:
    return f"{incident_id}{SEP}{source_path}"


@dataclass(frozen=True)
class Window:
    start: datetime | None
    end: datetime | None

    @classmethod
    def of(cls, row: dict) -> Window:
        day = row.get("incident_date")
        start = row.get("started_at") or row.get("detected_at") or row.get("resolved_at")
        if start is None and isinstance(day, date):
            start = datetime.combine(day, time())
        end = row.get("resolved_at") or start
        return cls(start, max(start, end) if start and end else end)


def same_incident(a: Window, b: Window) -> bool:
    """Whether two write-ups sharing an id describe one incident (see the module docstring)."""
    if a.start is None or b.start is None:
        return True
    if a.start <= b.end and b.start <= a.end:
        return True
    return abs((a.start.date() - b.start.date()).days) <= MAX_DAYS_APART


class _Staged:
    """Every row of the staged write-ups of the shared ids, read once per table (merging one id
    at a time costs a table scan per table per id: minutes when an export repeats a thousand
    postmortems)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, tables: tuple[str, ...], ids: list[str]):
        import pyarrow as pa

        self.con, self.tables = con, tables
        con.register("_staged_ids", pa.table({"incident_id": pa.array(ids, pa.string())}))
        self.schemas: dict[str, pa.Schema] = {}
        self.rows: dict[str, dict[str, list[dict]]] = {}
        for table in tables:
            data = con.sql(f"SELECT * FROM {table} WHERE incident_id IN (SELECT incident_id FROM _staged_ids)").to_arrow_table()
            self.schemas[table] = data.schema
            by_id: dict[str, list[dict]] = defaultdict(list)
            for r in data.to_pylist():
                by_id[r["incident_id"]].append(r)
            self.rows[table] = by_id

    def get(self, table: str, iid: str) -> list[dict]:
        return self.rows[table].get(iid, [])

    def replace_all(self, new_rows: dict[str, list[dict]]) -> None:
        """Delete every staged row and insert `new_rows` (table -> rows) in one statement per table."""
        import pyarrow as pa

        try:
            for table in self.tables:
                self.con.execute(f"DELETE FROM {table} WHERE incident_id IN (SELECT incident_id FROM _staged_ids)")
                rows = new_rows.get(table)
                if rows:
                    self.con.register("_merged_rows", pa.Table.from_pylist(rows, schema=self.schemas[table]))
                    try:
                        self.con.execute(f"INSERT INTO {table} SELECT * FROM _merged_rows")
                    finally:
                        self.con.unregister("_merged_rows")
        finally:
            self.con.unregister("_staged_ids")


def _fold(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def link_write_ups(
    con: duckdb.DuckDBPyConnection, groups: dict[str, list[WriteUp]], tables: tuple[str, ...]
) -> tuple[list[tuple[str, str]], set[str]]:
    """Merge or reject the write-ups of every id claimed more than once (`groups`: id -> its
    write-ups in file order, the first staged under the id itself). `tables` are the tables
    keyed by incident id, `incidents` first. Returns (ingest errors, files whose rows must not be
    reused next time)."""
    errors: list[tuple[str, str]] = []
    not_reusable: set[str] = set()
    if not groups:
        return errors, not_reusable
    staged = _Staged(con, tables, [m.staged_id for members in groups.values() for m in members])
    incidents = {iid: rows[0] for iid, rows in staged.rows["incidents"].items()}
    out: dict[str, list[dict]] = defaultdict(list)
    for iid, members in groups.items():
        first = members[0]
        first_window = Window.of(incidents[first.staged_id])
        keep = [first]
        for m in members[1:]:
            if same_incident(first_window, Window.of(incidents[m.staged_id])):
                keep.append(m)
                continue
            errors.append((m.source_path, _clash_reason(iid, first, m, incidents)))
            not_reusable.add(m.file)
        if len(keep) > 1:
            for table, rows in _merge(staged, iid, keep, incidents).items():
                out[table] += rows
            not_reusable.update(m.file for m in keep)
        else:  # a clash left the first write-up alone: its rows stay as they were
            for table in tables:
                out[table] += staged.get(table, first.staged_id)
    staged.replace_all(out)
    return errors, not_reusable


def _clash_reason(iid: str, first: WriteUp, other: WriteUp, incidents: dict[str, dict]) -> str:
    def day(m: WriteUp) -> str:
        w = Window.of(incidents[m.staged_id])
        return w.start.date().isoformat() if w.start else "no date"

    return (
        f"duplicate incident id {iid!r}: {first.source_path} ({day(first)}) and {other.source_path} ({day(other)}) "
        f"both use it for different incidents (more than {MAX_DAYS_APART} days apart, impact windows do not overlap); "
        f"{other.source_path} was not loaded: give one of them its own id (front matter `id:`)"
    )


def _rank_key(m: WriteUp, incidents: dict[str, dict]) -> tuple[int, str]:
    return (0 if incidents[m.staged_id]["source_format"] == MARKDOWN else 1, m.source_path)


def _source_rank(source: str) -> int:
    return SOURCE_ORDER.index(source) if source in SOURCE_ORDER else len(SOURCE_ORDER)


def _merge(staged: _Staged, iid: str, members: list[WriteUp], incidents: dict[str, dict]) -> dict[str, list[dict]]:
    """The rows of the incident `members` describe, by table."""
    ranked = sorted(members, key=lambda m: _rank_key(m, incidents))
    ids = [m.staged_id for m in ranked]
    rows = [incidents[i] for i in ids]
    sources = {i: {r["field"]: r for r in staged.get("parsed_field_sources", i)} for i in ids}

    merged = dict(rows[0], incident_id=iid)
    for col in FIRST_NON_EMPTY:
        merged[col] = next((r[col] for r in rows if r[col] not in (None, "")), None)
    restricted = [r for r in rows if r["restricted"]]
    merged["restricted"] = bool(restricted)
    if restricted:
        groups = [set(r["allowed_groups"] or []) for r in restricted]
        merged["allowed_groups"] = sorted(set.intersection(*groups)) or None
    merged["completeness"] = max((r["completeness"] for r in rows if r["completeness"] is not None), default=None)

    winners: dict[str, str] = {}  # field -> staged id of the write-up it comes from
    for fld in SOURCED_FIELDS:
        candidates = [(_source_rank(sources[i][fld]["source"]), n, i) for n, i in enumerate(ids) if fld in sources[i]]
        winners[fld] = min(candidates)[2] if candidates else ids[0]
        for col in FIELD_COLUMNS[fld]:
            merged[col] = incidents[winners[fld]][col]

    out: dict[str, list[dict]] = {
        "incidents": [merged],
        "stated_services": [
            dict(r, incident_id=iid) for r in sorted(staged.get("stated_services", winners["services"]), key=lambda r: r["seq"])
        ],
        "parsed_field_sources": [
            dict(sources[winners[f]][f], incident_id=iid) for f in SOURCED_FIELDS if f in sources[winners[f]]
        ],
        "incident_tags": [
            {"incident_id": iid, "tag": t}
            for t in dict.fromkeys(r["tag"] for i in ids for r in staged.get("incident_tags", i))
        ],
    }
    findings: dict[tuple, dict] = {}
    for i in ids:
        for r in staged.get("lint_findings", i):
            findings.setdefault((r["rule"], r["message"]), dict(r, incident_id=iid))
    out["lint_findings"] = list(findings.values())

    contributed: dict[str, dict[str, list[int]]] = {i: {} for i in ids}
    for table in CONTENT_TABLES:
        kept: list[dict] = []
        seen: dict[object, tuple[int, str]] = {}  # dedupe key -> (index in kept, write-up)
        for i in ids:
            mine = contributed[i].setdefault(table, [])
            for r in sorted(staged.get(table, i), key=lambda r: r["seq"]):
                keys = _dedupe_keys(table, r)
                # Only a row of another write-up is a duplicate: one write-up's own rows stay as parsed.
                hit = next((seen[k][0] for k in keys if k in seen and seen[k][1] != i), None)
                if hit is not None:
                    _fill_gaps(table, kept[hit], r)
                    mine.append(kept[hit]["seq"])
                    continue
                row = dict(r, incident_id=iid, seq=len(kept))
                for k in keys:
                    seen.setdefault(k, (len(kept), i))
                kept.append(row)
                mine.append(row["seq"])
        out[table] = kept

    out["incident_sources"] = [
        dict(r, incident_id=iid, rank=n, **{col: contributed[i].get(table, []) for table, col in SEQ_COLUMN.items()})
        for n, i in enumerate(ids) for r in staged.get("incident_sources", i)
    ]
    return out


def _dedupe_keys(table: str, r: dict) -> list[object]:
    """The keys under which two rows of `table` from different write-ups are the same row."""
    if table == "timeline_events":
        return [("event", r["at"], _fold(r["text"]))]
    if table == "contributing_factors":
        return [("factor", _fold(r["text"]))]
    if table == "action_items":
        keys: list[object] = [("item", _fold(r["text"]))]
        if r.get("ticket"):
            keys.append(("ticket", r["ticket"].strip().casefold()))
        return keys
    return []  # sections are all kept: each write-up's prose is its own


def _fill_gaps(table: str, kept: dict, dup: dict) -> None:
    if table == "action_items":
        for col in ("owner", "due_date", "ticket"):
            if kept.get(col) is None and dup.get(col) is not None:
                kept[col] = dup[col]
