"""Tracker sync: match action items to tracker records and make the tracker's status the
effective one (issue 13; docs/tracker.md).

Matching, in order:
1. By reference. The parser stores each item's own ticket (`TC-412`; a GitHub issue URL is
   stored as `#1850`; another URL as written). A Jira-style key matches the record with that key
   (a Jira issue before an incident.io follow-up exported to it); `#N` matches the one GitHub
   issue numbered N (when several repositories' exports hold an N, the item stays unmatched
   rather than guessing); a URL matches a record's URL or alias. match = 'key'.
2. By title, only for items that cite no ticket: the Dice coefficient over words of three or more
   letters, at or above tracker_status.toml [matching] fuzzy_threshold, against records created
   around the incident (from created_before_incident_days before its start to
   created_after_incident_days after: follow-ups are filed after the incident, and the same
   wording in a postmortem a year later is other work) that no item cites by key; best pairs
   first (on equal scores, the record filed closest to the incident), one item per record.
   match = 'fuzzy', listed on the Data quality page.

A record cited by several postmortems is one record (one tracker_records row) that several items
point at. A record no item matches is kept with referenced = FALSE: "not referenced by any
postmortem". Rows copied from a previous build are reset to what the document says first, so the
result depends only on this build's documents and tracker files.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.parsing.trackers import TrackerError, TrackerRecord, TrackerWords, read_tracker_bytes, tracker_words
from pipelines.parsing.trackers.status import STATUS_ENV

_SYSTEM_RANK = {"jira": 0, "github": 1, "incident_io": 2, "dispatch": 3}
_WORD = re.compile(r"[a-z0-9]{3,}")


@dataclass
class Trackers:
    records: list[TrackerRecord] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    digests: dict[str, tuple[str, int]] = field(default_factory=dict)  # "tracker:<path>" -> (hash, size)


@dataclass
class SyncSummary:
    records: int = 0
    matched_key: int = 0  # action items matched by their ticket
    matched_fuzzy: int = 0  # action items matched by title
    unreferenced: int = 0  # records no item matches


def read_trackers(paths: list[Path]) -> Trackers:
    """Read every tracker file, before any parsing; TrackerError (naming file and row) on the first bad one."""
    out = Trackers()
    extra = os.environ.get(STATUS_ENV)
    if paths and extra:
        # A team's status map decides statuses as much as the exports do: an edit must be seen too,
        # and a bad map fails here, before any work.
        try:
            data = Path(extra).read_bytes()
            tracker_words()
        except (OSError, ValueError) as e:
            raise TrackerError(f"${STATUS_ENV}={extra}: {e}") from None
        out.digests[f"tracker-status:{Path(extra).resolve()}"] = (hashlib.blake2b(data, digest_size=16).hexdigest(), len(data))
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        if path.is_dir():
            raise TrackerError(f"{path}: a folder; --tracker takes a file (a Jira CSV, gh issue JSON, ...)")
        try:
            data = path.read_bytes()
        except OSError as e:
            raise TrackerError(f"{path}: cannot read the tracker file: {e.strerror or e}") from None
        out.records += read_tracker_bytes(data, str(path))
        out.paths.append(path)
        # The tracker's content is part of the corpus: a changed export is a changed corpus.
        out.digests[f"tracker:{path.resolve()}"] = (hashlib.blake2b(data, digest_size=16).hexdigest(), len(data))
    return out


def _ref(value: str) -> str:
    v = value.strip().strip("<>").rstrip("/.,;")
    return v.upper() if not v.lower().startswith("http") else v.lower()


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def similarity(a: set[str], b: set[str]) -> float:
    """Dice coefficient of two word sets (0..1)."""
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def _unique(records: list[TrackerRecord]) -> list[TrackerRecord]:
    """One record per id: the same issue in two exports (or twice in one) is one record, the first kept."""
    out: dict[str, TrackerRecord] = {}
    for r in records:
        if r.record_id in out:
            kept = out[r.record_id]
            kept.aliases += [a for a in r.aliases if a not in kept.aliases]
        else:
            out[r.record_id] = r
    return list(out.values())


def _index(records: list[TrackerRecord]) -> dict[str, list[TrackerRecord]]:
    by_ref: dict[str, list[TrackerRecord]] = {}
    for r in records:
        for ref in [r.key, r.url, *r.aliases]:
            if ref:
                by_ref.setdefault(_ref(ref), []).append(r)
    for refs in by_ref.values():
        refs.sort(key=lambda r: _SYSTEM_RANK.get(r.system, 9))
    return by_ref


def _by_reference(ticket: str, by_ref: dict[str, list[TrackerRecord]]) -> TrackerRecord | None:
    found = by_ref.get(_ref(ticket), [])
    if not found:
        return None
    if ticket.strip().startswith("#") and len({r.url.rsplit("/", 2)[0] if r.url else r.source_path
                                               for r in found if r.system == "github"}) > 1:
        return None  # #N in more than one repository: which one the document means is unknown
    return found[0]


def sync(con: duckdb.DuckDBPyConnection, trackers: Trackers, words: TrackerWords | None = None) -> SyncSummary:
    """Fill action_items' tracker columns and tracker_records from `trackers`."""
    w = words or tracker_words()
    # What the document says is doc_status; a row copied from a previous build already has it.
    con.execute("""
        UPDATE action_items SET doc_status = coalesce(doc_status, status), status = coalesce(doc_status, status),
               tracker_status = NULL, created_at = NULL, closed_at = NULL, "match" = NULL, tracker_record = NULL
    """)
    records = _unique(trackers.records)
    if not records:
        return SyncSummary()
    by_ref = _index(records)
    items = con.execute("""
        SELECT a.incident_id, a.seq, a.text, a.ticket, coalesce(i.started_at, i.incident_date::TIMESTAMP)
        FROM action_items a JOIN incidents i USING (incident_id) ORDER BY a.incident_id, a.seq
    """).fetchall()
    matches: dict[tuple[str, int], tuple[TrackerRecord, str]] = {}
    referenced: set[str] = set()
    for iid, seq, _text, ticket, _start in items:
        if ticket and (rec := _by_reference(ticket, by_ref)):
            matches[(iid, seq)] = (rec, "key")
            # The same work under another system's record (an incident.io follow-up exported to
            # this Jira issue) is referenced too.
            referenced.update(r.record_id for r in by_ref.get(_ref(ticket), []))
    # Records an item cites by key are taken: generic wording ("Update the runbook") recurs across
    # postmortems, and each occurrence is its own ticket far more often than the same work re-listed.
    _fuzzy(items, [r for r in records if r.record_id not in referenced], w, matches)
    referenced.update(rec.record_id for rec, _ in matches.values())

    rows = [
        (iid, seq, rec.record_id, rec.status, rec.created_at, rec.closed_at, how)
        for (iid, seq), (rec, how) in matches.items()
    ]
    # Rows go in as Arrow tables: DuckDB's executemany is a round trip per row (seconds for thousands).
    if rows:
        con.register("_tracker_match", _arrow(rows, _MATCH_COLUMNS))
        con.execute("""
            UPDATE action_items a SET tracker_status = m.status, status = m.status, created_at = m.created_at,
                   closed_at = m.closed_at, "match" = m.how, tracker_record = m.record_id
            FROM _tracker_match m WHERE a.incident_id = m.incident_id AND a.seq = m.seq
        """)
        con.unregister("_tracker_match")
    counts: dict[str, int] = {}
    for rec, _ in matches.values():
        counts[rec.record_id] = counts.get(rec.record_id, 0) + 1
    con.register("_tracker_records", _arrow([
        (r.record_id, r.source_path, r.row, r.system, r.key, r.url, r.title, r.status, r.status_raw,
         r.priority, r.assignee, r.created_at, r.closed_at, r.due_date.date() if r.due_date else None,
         r.incident_ref, r.record_id in referenced, counts.get(r.record_id, 0))
        for r in records
    ], _RECORD_COLUMNS))
    con.execute("INSERT INTO tracker_records BY NAME SELECT * FROM _tracker_records")
    con.unregister("_tracker_records")
    how = [m for _, m in matches.values()]
    return SyncSummary(
        records=len(records), matched_key=how.count("key"), matched_fuzzy=how.count("fuzzy"),
        unreferenced=sum(r.record_id not in referenced for r in records),
    )


_MATCH_COLUMNS = (("incident_id", "s"), ("seq", "i"), ("record_id", "s"), ("status", "s"), ("created_at", "t"),
                  ("closed_at", "t"), ("how", "s"))
_RECORD_COLUMNS = (("record_id", "s"), ("source_path", "s"), ("row", "i"), ("system", "s"), ("key", "s"), ("url", "s"),
                   ("title", "s"), ("status", "s"), ("status_raw", "s"), ("priority", "s"), ("assignee", "s"),
                   ("created_at", "t"), ("closed_at", "t"), ("due_date", "d"), ("incident_ref", "s"),
                   ("referenced", "b"), ("items", "i"))


def _arrow(rows: list[tuple], columns: tuple[tuple[str, str], ...]):
    import pyarrow as pa

    types = {"s": pa.string(), "i": pa.int32(), "t": pa.timestamp("us"), "d": pa.date32(), "b": pa.bool_()}
    values = list(zip(*rows)) if rows else [[] for _ in columns]
    return pa.table({name: pa.array(list(col), type=types[t]) for (name, t), col in zip(columns, values)})


def _fuzzy(
    items: list[tuple], candidates: list[TrackerRecord], w: TrackerWords,
    matches: dict[tuple[str, int], tuple[TrackerRecord, str]],
) -> None:
    """Title matches for items citing no ticket: best pairs first, each record and item once."""
    if not candidates:
        return
    rec_words = [_words(r.title) for r in candidates]
    by_word: dict[str, list[int]] = {}
    for n, ws in enumerate(rec_words):
        for word in ws:
            by_word.setdefault(word, []).append(n)
    slack = timedelta(days=w.created_before_incident_days)
    window = timedelta(days=w.created_after_incident_days)
    pairs = []
    for iid, seq, text, ticket, start in items:
        if ticket or (iid, seq) in matches:
            continue
        words = _words(text)
        for n in {n for word in words for n in by_word.get(word, ())}:
            rec = candidates[n]
            if start is not None and rec.created_at is not None and not (
                _naive(start) - slack <= rec.created_at <= _naive(start) + window
            ):
                continue
            score = similarity(words, rec_words[n])
            if score >= w.fuzzy_threshold:
                # Equal scores: the record filed closest to the incident is the likelier follow-up.
                gap = abs((rec.created_at - _naive(start)).total_seconds()) if start is not None and rec.created_at else float("inf")
                pairs.append((-score, gap, iid, seq, n))
    used: set[int] = set()
    for _, _, iid, seq, n in sorted(pairs):
        if n in used or (iid, seq) in matches:
            continue
        used.add(n)
        matches[(iid, seq)] = (candidates[n], "fuzzy")


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None) if getattr(value, "tzinfo", None) else value
