"""Read a truth file into the dev-set schema, whichever of the two schemas it is written in.

Two truth schemas exist:

  devset     ../shared/devset/truth.jsonl, defined in ../shared/devset/README.md ("truth.jsonl
             fields"): one record per document or export record, keyed by `file`.
  generator  truth.jsonl written by `hindsight generate` (schema in the generator's module
             docstring: pipelines/generate.py, pipelines/synthetic/generate.py after the
             split), keyed by `source_path`.

`load_truth` detects the schema from the first record and returns dev-set records. A field the
generator truth does not carry is left out of the record, and the scorer reports it as n/a
(a key that is present with value None means "the truth is null", which is scored).

What the generator adapter does, field by field:
  file             source_path (already in the build's own form, so it is also kept as
                   `source_key`: its CSV numbers are the line where the record starts, not
                   the dev set's data-row number)
  title, severity, services, team, blameful      copied
  date             date of true_started_at (the dev set's `date` is the UTC date of the start,
                   and every generated document states its date even when the time is not)
  started_at, detected_at, resolved_at           copied (what a correct parser extracts;
                   null when the document does not state it), "Z" appended
  action_items     text_start = first 30 characters of `text`; owner; due = due_date;
                   status; ticket
  sections_present `sections` restricted to the dev-set section keys; the `prose` template's
                   unheaded narrative is dropped from it, since the dev set counts headings only
  not carried      timeline_events, themes in the dev-set taxonomy, repeat_of as one file
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The section keys the dev set scores (its "Heading -> section key" table).
DEVSET_SECTION_KEYS = (
    "summary", "impact", "root_cause", "timeline", "what_went_well", "what_went_poorly",
    "action_items", "lessons_learned",
)
TEXT_START_CHARS = 30


def detect_schema(record: dict[str, Any]) -> str:
    """'devset' or 'generator', from the keys of one truth record."""
    if "file" in record and "sections_present" in record:
        return "devset"
    if "source_path" in record and "incident_id" in record and "template" in record:
        return "generator"
    raise ValueError(
        "unknown truth schema: expected dev-set records (file, sections_present, ...) or "
        f"`hindsight generate` records (incident_id, source_path, template, ...); got keys {sorted(record)[:12]}"
    )


def _utc(value: str | None) -> str | None:
    if value is None:
        return None
    return value if value.endswith("Z") else value + "Z"


def from_generator(g: dict[str, Any]) -> dict[str, Any]:
    """One generator truth record in the dev-set schema (fields it does not carry left out)."""
    sections = [k for k in g["sections"] if k in DEVSET_SECTION_KEYS]
    if g["template"] == "prose":
        sections = [k for k in sections if k != "summary"]  # no heading, so not a section in dev-set terms
    start = g.get("true_started_at") or g.get("started_at")
    return {
        "file": g["source_path"],
        "source_key": g["source_path"],
        "style": g["template"],
        "title": g["title"],
        "date": start[:10] if start else None,
        "severity": g["severity"],
        "services": list(g["services"]),
        "team": g["team"],
        "started_at": _utc(g["started_at"]),
        "detected_at": _utc(g["detected_at"]),
        "resolved_at": _utc(g["resolved_at"]),
        "action_items": [
            {
                "text_start": a["text"][:TEXT_START_CHARS],
                "owner": a["owner"],
                "due": a["due_date"],
                "status": a["status"],
                "ticket": a["ticket"],
            }
            for a in g["action_items"]
        ],
        "blameful": g["blameful"],
        "sections_present": sections,
    }


def load_truth(path: Path) -> tuple[str, list[dict[str, Any]]]:
    """(schema name, records in the dev-set schema) of a truth JSONL file."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        raise ValueError(f"{path}: no truth records")
    schema = detect_schema(rows[0])
    if schema == "generator":
        rows = [from_generator(r) for r in rows]
    return schema, rows
