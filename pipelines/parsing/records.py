"""JSON, JSONL/NDJSON and CSV exports: one object or row per incident.

A record's keys (case-insensitive; one nested object under `metadata`, `fields`,
`attributes` or `properties` is read as if its keys were top-level) are read as:
- metadata when they name a front-matter field (see pipelines/parsing/metadata.py: id, title,
  severity, services, team, started_at, ...);
- Markdown when they are `body`, `markdown`, `text`, `content`, `postmortem`, `document` or
  `report`: parsed exactly like a Markdown file (front matter included);
- sections when they are canonical section names (`summary`, `impact`, `root_cause`,
  `trigger`, `detection`, `resolution`, `timeline`, `action_items`, `contributing_factors`,
  `five_whys`, `lessons_learned`, `what_went_well`, `what_went_poorly`,
  `where_we_got_lucky`, ...). Strings are Markdown; lists become bullets, except
  `timeline` lists of `{time, text}` objects (one event each) and `action_items` lists of
  objects (`text`/`action`/`title`, `owner`, `due`/`due_date`, `status` or `done`, `priority`,
  `type`/`kind`, `ticket`/`bug`/`link`), rendered as a table. A string cell that holds a JSON
  list or object (common in CSV exports) is decoded first.

The record is rendered to one Markdown document (kept as `raw_text`, so the linter sees the
same headings and line numbers) and parsed with parse_markdown. Other keys are ignored.

Record paths: `exports/a.jsonl:12` is the record on line 12; for CSV the number is the line
where the row starts; for a JSON array it is the record's 1-based position. A record without an
id gets an id derived from that path, stable as long as the record stays in place.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from typing import Any

from pipelines.parsing.metadata import canonical_field
from pipelines.model import Incident, IngestError
from pipelines.parsing.markdown import parse_markdown

BODY_KEYS = ("body", "markdown", "text", "content", "postmortem", "document", "report", "md")

SECTION_KEYS: dict[str, str] = {
    "summary": "Summary", "overview": "Overview", "description": "Summary", "tldr": "Summary",
    "what_happened": "What happened", "impact": "Impact", "customer_impact": "Impact",
    "root_cause": "Root cause", "root_causes": "Root causes", "cause": "Root cause",
    "contributing_factors": "Contributing factors", "factors": "Contributing factors",
    "causes": "Root causes", "five_whys": "Five whys", "whys": "Five whys",
    "trigger": "Trigger", "leadup": "Leadup", "fault": "Fault",
    "detection": "Detection", "resolution": "Resolution", "recovery": "Recovery",
    "mitigation": "Mitigation", "response": "Response",
    "timeline": "Timeline", "events": "Timeline",
    "action_items": "Action items", "actions": "Action items", "follow_ups": "Follow-up tasks",
    "followups": "Follow-up tasks", "corrective_actions": "Corrective actions", "remediation": "Remediation",
    "lessons_learned": "Lessons learned", "lessons": "Lessons learned", "learnings": "Lessons learned",
    "what_went_well": "What went well", "what_went_wrong": "What went wrong",
    "what_went_poorly": "What went poorly", "where_we_got_lucky": "Where we got lucky",
}
_NOT_META = {"summary"}
_NESTED_KEYS = ("metadata", "meta", "fields", "attributes", "front_matter", "frontmatter", "properties")  # a section here, not the front-matter one-liner

_EVENT_TIME = ("time", "at", "timestamp", "ts", "when", "datetime", "date_time", "date")
_EVENT_TEXT = ("text", "event", "description", "what", "message", "summary", "details", "note")
_ITEM_FIELDS = {
    "Action": ("text", "action", "title", "description", "task", "item", "summary", "name"),
    "Owner": ("owner", "assignee", "who", "owners", "assigned_to", "dri"),
    "Due": ("due", "due_date", "deadline", "eta", "due_by", "target_date"),
    "Status": ("status", "state"),
    "Priority": ("priority", "prio"),
    "Type": ("type", "kind", "category"),
    "Ticket": ("ticket", "bug", "issue", "link", "jira", "url", "tracking"),
}


def _norm_key(key: object) -> str:
    return str(key).strip().lower().replace(" ", "_").replace("-", "_")


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in "[{" and s[-1:] in "]}":
            try:
                return json.loads(s)
            except ValueError:
                return value
    return value


def _one_line(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _cell(value: Any) -> str:
    return _one_line(value).replace("|", "\\|")


def _pick(obj: dict[str, Any], names: tuple[str, ...]) -> Any:
    for n in names:
        if n in obj and obj[n] not in (None, ""):
            return obj[n]
    return None


def _render_timeline(value: Any) -> str:
    lines = []
    for ev in value:
        if isinstance(ev, dict):
            ev = {_norm_key(k): v for k, v in ev.items()}
            t, text = _pick(ev, _EVENT_TIME), _pick(ev, _EVENT_TEXT)
            lines.append(f"- {_one_line(t)} — {_one_line(text)}" if t is not None else f"- {_one_line(text)}")
        elif ev is not None:
            lines.append(f"- {_one_line(ev)}")
    return "\n".join(lines)


def _render_action_items(value: list[Any]) -> str:
    rows, bullets = [], []
    for item in value:
        if isinstance(item, dict):
            item = {_norm_key(k): v for k, v in item.items()}
            cells = []
            for col, names in _ITEM_FIELDS.items():
                v = _pick(item, names)
                if col == "Status" and v is None and isinstance(item.get("done"), bool):
                    v = "done" if item["done"] else "open"
                if isinstance(v, list):
                    v = ", ".join(_one_line(x) for x in v)
                cells.append(_cell(v) if v is not None else "")
            if cells[0]:
                rows.append("| " + " | ".join(cells) + " |")
        elif item is not None and _one_line(item):
            bullets.append(f"- {_one_line(item)}")
    out = []
    if rows:
        out.append("| " + " | ".join(_ITEM_FIELDS) + " |")
        out.append("|" + "---|" * len(_ITEM_FIELDS))
        out.extend(rows)
    if bullets:
        if out:
            out.append("")
        out.extend(bullets)
    return "\n".join(out)


def _render_list(value: list[Any]) -> str:
    out = []
    for v in value:
        if isinstance(v, dict):
            v = _pick({_norm_key(k): x for k, x in v.items()}, _EVENT_TEXT + ("factor", "cause", "lesson"))
        if v is not None and _one_line(v):
            out.append(f"- {_one_line(v)}")
    return "\n".join(out)


def record_to_incident(record: dict[Any, Any], source_path: str, source_format: str) -> Incident:
    """One export record -> Incident; IngestError when it holds nothing to load."""
    rec = {_norm_key(k): _maybe_json(v) for k, v in record.items() if k is not None}
    for wrapper in _NESTED_KEYS:
        nested = rec.get(wrapper)
        if isinstance(nested, dict):
            # {"metadata": {"severity": ...}, "body": ...}: nested fields count, outer ones win.
            for k, v in nested.items():
                rec.setdefault(_norm_key(k), _maybe_json(v))
    meta = {k: v for k, v in rec.items() if k not in _NOT_META and canonical_field(k) and v not in (None, "")}
    parts: list[str] = []
    body = next((rec[k] for k in BODY_KEYS if isinstance(rec.get(k), str) and rec[k].strip()), None)
    if body is not None:
        parts.append(body.replace("\r\n", "\n").replace("\r", "\n").strip("\n"))
    for key, heading in SECTION_KEYS.items():
        value = rec.get(key)
        if value in (None, "", [], {}):
            continue
        if isinstance(value, str):
            content = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        elif isinstance(value, list) and key in ("timeline", "events"):
            content = _render_timeline(value)
        elif isinstance(value, list) and heading in ("Action items", "Follow-up tasks", "Corrective actions", "Remediation"):
            content = _render_action_items(value)
        elif isinstance(value, list):
            content = _render_list(value)
        elif isinstance(value, (int, float, bool)):
            content = str(value)
        else:
            continue
        if content:
            parts.append(f"## {heading}\n\n{content}")
    if not parts and not meta.get("title") and not any(canonical_field(k) == "title" for k in meta):
        raise IngestError("record has no title, no text and no section fields; nothing to load")
    text = "\n\n".join(parts) + "\n" if parts else ""
    return parse_markdown(text, source_path, extra_meta=meta, source_format=source_format)


def _record_or_error(obj: Any, path: str, fmt: str, where: str, errors: list[tuple[str, str]]) -> Incident | None:
    if not isinstance(obj, dict):
        errors.append((path, f"{where}: expected a JSON object per incident, got {type(obj).__name__}"))
        return None
    try:
        return record_to_incident(obj, path, fmt)
    except IngestError as exc:
        errors.append((path, f"{where}: {exc}"))
        return None


def parse_jsonl(text: str, source_path: str) -> tuple[list[Incident], list[tuple[str, str]]]:
    incidents: list[Incident] = []
    errors: list[tuple[str, str]] = []
    for n, line in enumerate(text.split("\n"), start=1):
        s = line.strip()
        if not s:
            continue
        path = f"{source_path}:{n}"
        try:
            obj = json.loads(s)
        except ValueError as exc:
            errors.append((path, f"line {n}: not valid JSON: {exc}"))
            continue
        inc = _record_or_error(obj, path, "jsonl", f"line {n}", errors)
        if inc is not None:
            incidents.append(inc)
    return incidents, errors


_WRAPPER_KEYS = ("incidents", "postmortems", "items", "data", "records", "results")


def parse_json(text: str, source_path: str) -> tuple[list[Incident], list[tuple[str, str]]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise IngestError(f"not valid JSON: {exc}; fix the syntax or export again") from None
    if isinstance(data, dict):
        wrapped = next((data[k] for k in _WRAPPER_KEYS if isinstance(data.get(k), list)), None)
        if wrapped is None:
            errors: list[tuple[str, str]] = []
            inc = _record_or_error(data, source_path, "json", "record", errors)
            if inc is None:
                raise IngestError(errors[0][1])
            return [inc], []
        data = wrapped
    if not isinstance(data, list):
        raise IngestError(f"expected a JSON object or an array of objects, got {type(data).__name__}")
    incidents: list[Incident] = []
    errors = []
    for n, obj in enumerate(data, start=1):
        path = f"{source_path}:{n}"
        inc = _record_or_error(obj, path, "json", f"record {n}", errors)
        if inc is not None:
            incidents.append(inc)
    return incidents, errors


csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def parse_csv(text: str, source_path: str) -> tuple[list[Incident], list[tuple[str, str]]]:
    """Rows of a CSV export. The reader is strict (csv `strict=True`): a record whose quote is
    never closed would otherwise swallow every line after it into one garbage row, because
    Python's csv reader reads a quoted field to the end of the file. Such a record, or a row with
    more cells than the header, is an error naming its line; reading resumes on the next line, so
    the records after it still load."""
    # Split on "\n" only: str.splitlines would also split on U+2028 and friends inside a cell.
    lines = [line + "\n" for line in text.split("\n")]
    if lines[-1] == "\n":
        lines.pop()
    try:
        header_reader = csv.reader(lines, strict=True)
        header = next(header_reader, None)
    except csv.Error as exc:
        raise IngestError(f"CSV header cannot be read: {exc}; check the quoting of the first line") from None
    if not header or not any(h.strip() for h in header):
        raise IngestError("CSV file has no header row")
    keys = {_norm_key(h) for h in header if h}
    if not any(canonical_field(k) or k in BODY_KEYS or k in SECTION_KEYS for k in keys):
        raise IngestError(
            f"CSV header names no known column (got {', '.join(h for h in header if h)[:200]}); "
            "expected e.g. id, title, date, severity, body or summary"
        )
    incidents: list[Incident] = []
    errors: list[tuple[str, str]] = []
    for start, row, problem in _csv_rows(lines, header_reader.line_num):
        path = f"{source_path}:{start}"
        if problem is not None:
            errors.append((path, f"line {start}: {problem}"))
            continue
        if not any(v.strip() for v in row):
            continue
        if len(row) > len(header):
            errors.append((
                path,
                f"line {start}: {len(row)} cells but the header has {len(header)} columns; "
                "quote the cells that contain commas",
            ))
            continue
        record = {h: v for h, v in zip(header, row) if h}
        inc = _record_or_error(record, path, "csv", f"line {start}", errors)
        if inc is not None:
            incidents.append(inc)
    return incidents, errors


def _csv_rows(lines: list[str], consumed: int) -> Iterator[tuple[int, list[str], str | None]]:
    """(first line, cells, problem) for each record after the first `consumed` lines. A record
    the strict reader rejects gives (its first line, [], why), and reading starts again on the
    line after that first line."""
    pos = consumed  # 0-based index of the next unread line
    while pos < len(lines):
        reader = csv.reader(iter(lines[pos:]), strict=True)
        done = 0  # lines of lines[pos:] the reader has consumed so far
        try:
            for row in reader:
                yield pos + done + 1, row, None
                done = reader.line_num
            return
        except csv.Error as exc:
            start = pos + done + 1
            reason = "a quoted cell is never closed" if "end of data" in str(exc) else f"malformed CSV record ({exc})"
            yield start, [], f"{reason}; this record was skipped, the others were read: fix its quoting"
            pos = start  # resume on the line after the bad record's first line
