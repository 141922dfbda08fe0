"""Metadata written in the body of a postmortem rather than in front matter.

- The block between the title and the first section: `Key: value` lines and bullets
  (`Severity: S2`, `- Severity: High`, `**Severity:** SEV3`, `*Impact level:* Level 2`), GitLab
  `key:: value` lines (`severity::3`, `team:: fulfilment`), several fields on one line separated
  by `|` or `·`, zone notes ("All times in CET."), GitLab quick actions (`/label ~"severity::2"`),
  and metadata tables. Lines with keys we do not keep (`Facilitator:`, `Participants:`) belong
  to the block too, so it does not end at the first unknown key; a block with no known key at
  all is not metadata.
- Metadata tables anywhere at the top of a section ("Key information", a Confluence page's
  properties): two columns (key | value rows, or a header of keys over one row of values) or
  four (two key | value pairs per row, as wiki incident pages lay them out).
- A heading that names a field, followed by a short value (`### Severity` then `SEV-2`, the
  layout of GitHub issue forms).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.parsing.blocks import read_table
from pipelines.parsing.factors import clean_inline
from pipelines.parsing.incident_times import ZONE_RE
from pipelines.parsing.labels import quick_action_labels
from pipelines.parsing.metadata import canonical_field, match_key_value

_UNKNOWN_KEY = re.compile(
    r"^(?:[-*+]\s+)?(?:\*\*|__|\*|_)?[A-Za-z][\w ()/\-]{0,30}?(?::(?:\*\*|__|\*|_)|(?:\*\*|__|\*|_)\s*:|:)\s*\S"
)
_ZONE_NOTE = re.compile(rf"^(?:[-*+]\s+)?\(?(?i:all\s+)?(?i:times?|timestamps?)\b[^.]{{0,30}}?\b{ZONE_RE}\b")
# Admonitions are prose, not fields: "Note: this section is not metadata" ends the block.
_PROSE_LABEL = re.compile(r"^(?:[-*+]\s+)?(?:\*\*|__|\*|_)?(?i:notes?|nb|n\.b\.|warning|caution|tip|important|update|edit|disclaimer|context|background)\b")
_QUICK_ACTION = re.compile(r"^/(?:label|assign|unassign|milestone|relate|due|severity|cc)\b", re.I)
HEADING_FIELDS = ("severity", "priority", "services", "team")
# Hurried notes mix free lines into their fields ("sev 2 -- checkout", then "team: pay", then
# "written by Ana, not reviewed"): a short line that is not a sentence may sit between fields
# when a `key: value` line comes right after it. At most this many per block.
MAX_FREE_LINES = 2
_NOTE_MAX_CHARS = 100


def _is_note_line(s: str) -> bool:
    return len(s) <= _NOTE_MAX_CHARS and not s.endswith((".", ":", "?", "!")) and not s.startswith(("#", "|", ">", "```", "<"))


def _key_line_follows(lines: list[str], i: int, end: int) -> bool:
    """The next non-blank line before `end` is a `key: value` line."""
    while i < end and not lines[i].strip():
        i += 1
    if i >= end:
        return False
    s = lines[i].strip()
    return match_key_value(s) is not None or bool(_UNKNOWN_KEY.match(s))


@dataclass
class MetaBlock:
    """Fields found in the body: canonical field -> value as written, with its source line."""

    fields: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # field -> 0-based index into the lines given
    labels: list[str] = field(default_factory=list)  # from quick actions and `key:: value` lines
    consumed: list[int] = field(default_factory=list)  # line indexes that were metadata

    def add(self, key: str, value: str, line: int) -> None:
        if key not in self.fields:
            self.fields[key] = value
            self.lines[key] = line


def leading_metadata(lines: list[str], start: int, end: int) -> MetaBlock:
    """The metadata block at the top of the body (see module docstring)."""
    block = MetaBlock()
    known = free = 0
    i = start
    while i < end:
        s = lines[i].strip()
        if not s or set(s) <= set("-*_="):
            i += 1
            continue
        table = read_table(lines, i, end)
        if table is not None:
            found = table_metadata(table.header, table.rows, table.start)
            if not found.fields:
                break
            for k, v in found.fields.items():
                block.add(k, v, found.lines[k])
            known += len(found.fields)
            block.consumed.extend(range(table.start, table.end))
            i = table.end
            continue
        if _QUICK_ACTION.match(s):
            block.labels.extend(quick_action_labels(s))
            block.consumed.append(i)
            i += 1
            continue
        parts = [s]
        if ("|" in s or " · " in s) and not s.startswith("|"):
            parts = [p for p in re.split(r"\s+[|·]\s+", s) if p]
        matched = [match_key_value(p) for p in parts]
        if any(matched) and all(matched):
            for part, m in zip(parts, matched):
                if m:
                    if "::" in part:
                        block.labels.append(f"{m[0]}::{m[1]}")
                    block.add(m[0], m[1], i)
                    known += 1
            block.consumed.append(i)
        elif _ZONE_NOTE.match(s):
            pass  # "All times in CET.": read by document_zone; kept as text, the block goes on
        elif _UNKNOWN_KEY.match(s) and len(s) <= 240 and not _PROSE_LABEL.match(s):
            block.consumed.append(i)  # "Facilitator: ...": a field we do not keep, not prose
        elif free < MAX_FREE_LINES and _is_note_line(s) and _key_line_follows(lines, i + 1, end):
            free += 1  # "sev 2 -- checkout / login" between fields of hurried notes: kept as text
        else:
            break
        i += 1
    if not known and not block.labels:
        return MetaBlock()
    return block


def _clean(cell: str) -> str:
    return clean_inline(cell).strip()


def table_metadata(header: list[str], rows: list[tuple[int, list[str]]], header_line: int) -> MetaBlock:
    """Fields of a metadata table (see module docstring); empty when the table is not one."""
    block = MetaBlock()
    fields = [canonical_field(_clean(h)) for h in header]
    if sum(f is not None for f in fields) >= 2 and len(rows) == 1:
        # A header of field names over one row of values.
        line, cells = rows[0]
        for f, v in zip(fields, cells):
            if f and _clean(v):
                block.add(f, _clean(v), line)
        return block
    pairs = [(header_line, header), *rows]
    width = max((len(r) for _, r in pairs), default=0)
    columns = (0, 2) if width >= 4 and width % 2 == 0 else (0,)
    known = total = 0
    for line, row in pairs:
        for c in columns:
            if c + 1 >= len(row) or not _clean(row[c]):
                continue
            total += 1
            f = canonical_field(_clean(row[c]))
            if f:
                known += 1
                if _clean(row[c + 1]):
                    block.add(f, _clean(row[c + 1]), line)
    if known >= 2 and known * 3 >= total:
        return block
    return MetaBlock()


def section_table_metadata(body_lines: list[str]) -> MetaBlock:
    """A metadata table that opens a section's body ("## Key information" then the table)."""
    for i, line in enumerate(body_lines):
        if not line.strip():
            continue
        table = read_table(body_lines, i)
        if table is None:
            return MetaBlock()
        return table_metadata(table.header, table.rows, table.start)
    return MetaBlock()


_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def heading_value(heading: str, body: str) -> tuple[str, str] | None:
    """(field, value) for a heading that names a field and a short body holding its value
    (`### Severity` / `SEV-2`; `### Affected services` / a short list)."""
    f = canonical_field(heading.strip().strip("*_:").strip())
    if f not in HEADING_FIELDS:
        return None
    items = [_LIST_MARK.sub("", ln).strip() for ln in body.split("\n") if ln.strip()]
    if not items or len(items) > 6 or sum(len(x) for x in items) > 200:
        return None
    if any(x.startswith(("|", "#", "```")) for x in items):
        return None
    return f, ", ".join(clean_inline(x) for x in items)
