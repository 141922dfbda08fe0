"""One Markdown postmortem (optionally with YAML or TOML front matter) -> Incident.

Why a line scanner rather than markdown-it-py: the parser runs on every file of every build
(10,000 files in well under 20 s on 2 cores) and needs only headings, code fences, tables and
list items, all of which are line-level constructs; the scanner in sections.py handles those
(including setext headings and fences) at a fraction of a full tokenizer's cost, and it also
recognises the non-Markdown conventions postmortems use (bold lines and `Label:` lines as
headings) that a tokenizer would leave to us anyway.

Front matter: `---` ... `---` (or `...`) is read with yaml.safe_load (libyaml when present).
Broken YAML never fails the file: the block is read again as `key: value` lines. A front
matter block that is never closed counts as far as its lines look like `key: value`; the rest
is body. `+++` ... `+++` is TOML.

Title: front matter `title`, else the first level-1 heading (which is then not a section),
else a `Title:` line, else the first other heading at the top, else the first sentence of the
body (at most 120 characters).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import yaml

from pipelines.model import FieldSource, Incident, IngestError, Section, TimelineEvent
from pipelines.parsing.action_items import announced_commitments, extract_action_items
from pipelines.parsing.blocks import code_lines, read_table
from pipelines.parsing.dates import dates_read_as, slash_order
from pipelines.parsing.factors import clean_inline, extract_factors, split_sentences
from pipelines.parsing.incident_times import (
    date_from_path,
    document_zone,
    first_date,
    last_time_before,
    times_from_prose,
    times_from_timeline,
)
from pipelines.parsing.labels import label_fields, quick_action_labels
from pipelines.parsing.metadata import apply_metadata, canonical_field, declared_zone
from pipelines.parsing.ownership import responding_team, signed_team
from pipelines.parsing.metadata_blocks import MetaBlock, heading_value, leading_metadata, section_table_metadata
from pipelines.parsing.sections import Heading, classify_heading, find_headings, normalize_heading, split_sections
from pipelines.parsing.sections import _PHRASES as _SECTION_PHRASES
from pipelines.parsing.severity import HINT as SEVERITY_HINT
from pipelines.parsing.severity import SeverityClaim, choose, claims_in_line, impact_table_claim, read_severity, title_claim
from pipelines.parsing.timeline import extract_timeline, status_updates, times_from_markers

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FM_KV = re.compile(r"^([A-Za-z_][\w \-]{0,40}):(?:\s+(.*))?$")
_FM_CONT = re.compile(r"^(?:\s+\S|-\s|\s*#)")
_TITLE_MAX = 120


def read_front_matter(lines: list[str]) -> tuple[dict[str, Any], int]:
    """(metadata, index of the first body line). Never raises."""
    if not lines:
        return {}, 0
    first = lines[0].strip()
    if first == "+++":
        for j in range(1, min(len(lines), 400)):
            if lines[j].strip() == "+++":
                try:
                    data = tomllib.loads("\n".join(lines[1:j]))
                except (tomllib.TOMLDecodeError, ValueError):
                    data = _kv_lines(lines[1:j])
                return (data if isinstance(data, dict) else {}), j + 1
        return {}, 0
    if first != "---":
        return {}, 0
    for j in range(1, min(len(lines), 1000)):
        if lines[j].rstrip() in ("---", "..."):
            block = lines[1:j]
            return _load_yaml(block), j + 1
    # Never closed: take the leading key: value lines as metadata, the rest as body.
    j = 1
    while j < len(lines) and (_FM_KV.match(lines[j]) or _FM_CONT.match(lines[j])):
        j += 1
    if j == 1:
        return {}, 1
    return _load_yaml(lines[1:j]), j


def _load_yaml(block: list[str]) -> dict[str, Any]:
    simple = simple_yaml(block)
    if simple is not None:
        return simple
    text = "\n".join(block)
    if not text.strip():
        return {}
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - CSafeLoader/SafeLoader only
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return _kv_lines(block)
    if isinstance(data, dict):
        return data
    return _kv_lines(block)


_SIMPLE_KEY = re.compile(r"^([A-Za-z_][\w\-]*)[ \t]*:(?:[ \t]+(.*?))?[ \t]*$")
_SIMPLE_ITEM = re.compile(r"^[ \t]*-[ \t]+(.*?)[ \t]*$")
_PLAIN_BAD_START = tuple("&*!|>%@`{[]}#,?-\"'")


def _simple_scalar(value: str) -> tuple[bool, Any]:
    """(ok, value) for a scalar in the plain/simply-quoted subset; ok=False means use YAML."""
    if not value:
        return True, None
    first = value[0]
    if first in "\"'":
        if len(value) >= 2 and value[-1] == first and first not in value[1:-1] and "\\" not in value:
            return True, value[1:-1]
        return False, None
    if first == "[" and value.endswith("]"):
        inner = value[1:-1]
        if any(c in inner for c in "[]{}\"'#:&*!|>"):
            return False, None
        return True, [p.strip() for p in inner.split(",") if p.strip()]
    if value.startswith(_PLAIN_BAD_START) or ": " in value or " #" in value or value.endswith(":"):
        return False, None
    if value in ("~", "null", "Null", "NULL"):
        return True, None
    return True, value


def simple_yaml(block: list[str]) -> dict[str, Any] | None:
    """Front matter in the flat subset almost every postmortem uses (`key: scalar` and block
    lists of scalars), without YAML's cost (libyaml still builds Python objects node by node,
    ~0.5 ms for a typical block). Returns None for anything else, which then goes to YAML.
    Values stay strings; the metadata layer parses dates, numbers and booleans itself."""
    out: dict[str, Any] = {}
    current: list[Any] | None = None
    for line in block:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t-":
            m = _SIMPLE_ITEM.match(line)
            if m is None or current is None:
                return None
            ok, v = _simple_scalar(m.group(1))
            if not ok or isinstance(v, list):
                return None
            current.append(v)
            continue
        m = _SIMPLE_KEY.match(line)
        if m is None or m.group(1) in out:
            return None
        ok, v = _simple_scalar(m.group(2) or "")
        if not ok:
            return None
        if v is None and not m.group(2):
            current = []
            out[m.group(1)] = current
        else:
            current = None
            out[m.group(1)] = v
    for k, v in out.items():
        if v == []:
            out[k] = None
    return out


def _kv_lines(block: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for line in block:
        m = _FM_KV.match(line.strip())
        if m and m.group(2):
            out.setdefault(m.group(1), m.group(2).strip().strip("\"'"))
    return out


def derive_incident_id(source_path: str) -> str:
    """A stable id for a file (or record) without one: readable stem plus a path hash."""
    digest = hashlib.sha1(source_path.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    stem = source_path.rsplit("/", 1)[-1]
    stem = re.sub(r"\.(?:md|markdown|json|jsonl|ndjson|csv|txt)(?=$|:)", "", stem, flags=re.I)
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:40].strip("-")
    return f"{slug}-{digest}" if slug else digest


def _is_title_heading(h: Heading, headings: list[Heading], body: list[str] | None = None) -> bool:
    if h.level != 1:
        # "## checkout down (SEV-1, 2025-03-06)" opening notes typed in a hurry: a heading that
        # names no section, on the first line, is the title at any level.
        return (
            body is not None and h.level <= 3 and h.inline is None and h.line_index == _first_text_index(body)
            and classify_heading(h.text) == "other" and normalize_heading(h.text) not in _SECTION_PHRASES
        )
    if normalize_heading(h.text) in _SECTION_PHRASES:
        return False
    return classify_heading(h.text) == "other" or sum(1 for x in headings if x.level == 1) == 1


def _paragraphs(text: str) -> list[str]:
    """The blank-line-separated paragraphs of a section body, fenced code left out: code is
    never a title or a summary, and a fence ends the paragraph before it."""
    lines = text.split("\n")
    code = code_lines(lines)
    if any(code):
        text = "\n".join("" if inside else line for line, inside in zip(lines, code))
    return text.split("\n\n")


def _first_sentence(text: str) -> str | None:
    for para in _paragraphs(text):
        para = " ".join(ln.strip().lstrip("#>*-+ ").strip() for ln in para.split("\n") if ln.strip())
        para = clean_inline(para)
        if not para or para.startswith("|"):
            continue
        sent = split_sentences(para)[0] if para else ""
        sent = sent.strip()
        if len(sent) > _TITLE_MAX:
            cut = sent[:_TITLE_MAX].rsplit(" ", 1)[0]
            sent = cut.rstrip(",;:") + "…"
        return sent or None
    return None


def _first_paragraph(text: str, limit: int = 1000) -> str | None:
    for para in _paragraphs(text):
        lines = [ln.strip() for ln in para.split("\n") if ln.strip()]
        if not lines or lines[0].startswith(("|", "#")):
            continue
        out = clean_inline(" ".join(ln.lstrip("-*+> ").strip() for ln in lines))
        if out:
            return out if len(out) <= limit else out[:limit].rsplit(" ", 1)[0] + "…"
    return None


def parse_markdown(
    text: str,
    source_path: str,
    *,
    extra_meta: dict[str, Any] | None = None,
    source_format: str = "markdown",
) -> Incident:
    """Parse decoded Markdown (newlines already `\\n`). `extra_meta` (from an export record)
    overrides front matter. Raises IngestError only when there is nothing to load."""
    lines = text.split("\n")
    anchors = [d for d in (date_from_path(source_path),) if d is not None]
    order, notes = slash_order(text, anchors) if "/" in text and _SLASH_DATE.search(text) else (None, [])
    with dates_read_as(order):
        incident = _parse_markdown(lines, text, source_path, extra_meta, source_format)
    incident.notes.extend(notes)
    return incident


def _parse_markdown(
    lines: list[str], text: str, source_path: str, extra_meta: dict[str, Any] | None, source_format: str
) -> Incident:
    meta, body_start = read_front_matter(lines)
    incident = Incident(incident_id="", source_path=source_path, source_format=source_format, raw_text=text)
    body = lines[body_start:]
    if any("<!--" in ln for ln in body):
        body = _blank_html_comments(body)
    doc_zone = document_zone(body) if any(k in text for k in _TIMES_WORDS) else None
    local_tz = (declared_zone(extra_meta) if extra_meta else None) or declared_zone(meta) or doc_zone
    fm_lines = _front_matter_lines(lines, body_start) if meta else {}
    apply_metadata(incident, meta, local_tz=local_tz, source="front_matter", lines=fm_lines)
    claims = _meta_claims(meta, "front_matter", fm_lines)
    if extra_meta:
        apply_metadata(incident, extra_meta, local_tz=local_tz, source="record")
        claims += _meta_claims(extra_meta, "record", {})

    headings = find_headings(body)
    title_heading: Heading | None = None
    if headings and _is_title_heading(headings[0], headings, body):
        title_heading = headings.pop(0)

    # Leading `Key: value` lines / metadata table between the title and the first section.
    pre_start = title_heading.line_index + 1 if title_heading else 0
    pre_end = headings[0].line_index if headings else len(body)
    block = leading_metadata(body, pre_start, pre_end)
    labels = list(block.labels)
    if "/label" in text:  # GitLab quick actions anywhere in the body
        labels += [lab for ln in body if ln.startswith("/label") for lab in quick_action_labels(ln)]
    _apply_block(incident, block, body_start, local_tz, claims)
    local_tz = local_tz or declared_zone(block.fields)
    if block.consumed or title_heading:
        body = list(body)
        for k in block.consumed:
            body[k] = ""
        if title_heading:
            for k in range(title_heading.line_index, title_heading.body_start()):
                body[k] = ""

    pairs = split_sections(body, body_start, headings)
    if not pairs and incident.summary:
        pairs = [(Section("summary", "", incident.summary, 1), 1)]
    incident.sections = [s for s, _ in pairs]
    _section_metadata(incident, pairs, local_tz, claims)

    if not incident.title:
        incident.title = _fallback_title(title_heading, headings, body, incident.sections)
    if not incident.title and not incident.sections:
        raise IngestError("no postmortem text found: no title, no headings and no body; write the postmortem or delete the file")

    _apply_labels(incident, labels, claims)
    if title_heading is not None or not meta.get("title"):
        claim = title_claim(incident.title)
        if claim is not None:
            claims.append(SeverityClaim(claim.level, claim.raw, "title", body_start + title_heading.line_index + 1 if title_heading else None, "stated"))

    ref_date = _reference_date(incident, source_path, pairs)
    for sec, first in pairs:
        if sec.kind == "timeline":
            incident.timeline.extend(extract_timeline(sec.body, first, ref_date, sec.heading, local_tz))
        elif sec.kind == "action_items":
            incident.action_items.extend(extract_action_items(sec.body, first, ref_date))
    page_status = None
    if not incident.timeline:
        # A status page's updates ("[resolved] - 2010-02-07 06:00:00 - ...") are its timeline.
        for sec, first in pairs:
            if sec.kind in ("summary", "other"):
                updates, status = status_updates(sec.body, first)
                incident.timeline.extend(updates)
                page_status = page_status or status
    if not any(sec.kind == "action_items" for sec, _ in pairs):
        # AWS-style letters: "Here is what we are changing." then the commitments, no section.
        incident.action_items.extend(announced_commitments(pairs, ref_date))
    incident.factors = extract_factors(pairs)

    claims += _text_claims(pairs, incident.timeline, body, body_start, text)
    chosen = choose(claims)
    if chosen is not None:
        incident.severity, incident.severity_raw = chosen.level, chosen.raw
        incident.field_sources["severity"] = FieldSource(chosen.source, chosen.line)

    if incident.team is None:
        signed = signed_team(body)
        if signed is not None:
            incident.team = signed[0]
            incident.field_sources["team"] = FieldSource("text", body_start + signed[1] + 1)
    if incident.team is None:
        said = responding_team([(sec.body, first) for sec, first in pairs if sec.kind not in _NO_TEAM_KINDS])
        if said is not None:
            incident.team = said[0]
            incident.field_sources["team"] = FieldSource("text", said[1])
    _derive_times(incident, pairs, ref_date, local_tz)
    if page_status is not None:
        _status_page_times(incident, page_status)
    if incident.mitigated_at is None:
        incident.mitigated_at = times_from_markers(incident.timeline, ("mitigated_at",)).get("mitigated_at")
    if incident.date is None:
        incident.date = _fallback_date(incident, source_path)

    if not incident.summary:
        incident.summary = _summary_of(incident.sections)
    if not incident.incident_id:
        incident.incident_id = derive_incident_id(source_path)
    return incident


_SLASH_DATE = re.compile(r"\b\d{1,2}/\d{1,2}\b")
_TIMES_WORDS = ("times", "Times", "TIMES", "timestamp", "Timestamp", "hours", "Hours")  # cheap pre-check
_FM_KEY = re.compile(r"^([A-Za-z_][\w \-]{0,40}?)\s*:")


def _front_matter_lines(lines: list[str], body_start: int) -> dict[str, int]:
    """Front-matter key -> 1-based line of the file, for the keys at the top level."""
    out: dict[str, int] = {}
    for j in range(1, max(1, body_start - 1)):
        m = _FM_KEY.match(lines[j])
        if m:
            out.setdefault(m.group(1), j + 1)
    return out


def _meta_claims(meta: dict[str, Any], source: str, key_lines: dict[str, int]) -> list[SeverityClaim]:
    """Severity and priority claims of a metadata dict (front matter, export record, block)."""
    out: list[SeverityClaim] = []
    for key, value in meta.items():
        f = canonical_field(key)
        if f not in ("severity", "priority"):
            continue
        level, raw, is_priority = read_severity(value)
        if level is None or raw is None:
            continue
        kind = "priority" if f == "priority" or is_priority else "stated"
        out.append(SeverityClaim(level, raw, source, key_lines.get(str(key)), kind))
    return out


def _apply_block(
    incident: Incident, block: MetaBlock, offset: int, local_tz: tzinfo | None, claims: list[SeverityClaim]
) -> None:
    """Apply body metadata (lines relative to `offset`) without overwriting stated fields."""
    if not block.fields:
        return
    key_lines = {k: offset + v + 1 for k, v in block.lines.items()}
    label_keys = {lab.split("::", 1)[0] for lab in block.labels if "::" in lab}
    plain = {k: v for k, v in block.fields.items() if k not in label_keys}
    labelled = {k: v for k, v in block.fields.items() if k in label_keys}
    zone = local_tz or declared_zone(block.fields)
    apply_metadata(incident, plain, overwrite=False, local_tz=zone, source="metadata", lines=key_lines)
    apply_metadata(incident, labelled, overwrite=False, local_tz=zone, source="label", lines=key_lines)
    claims += _meta_claims(plain, "metadata", key_lines) + _meta_claims(labelled, "label", key_lines)


def _section_metadata(
    incident: Incident, pairs: list[tuple[Section, int]], local_tz: tzinfo | None, claims: list[SeverityClaim]
) -> None:
    """Metadata tables that open a section and headings followed by their value."""
    for sec, first in pairs:
        if sec.kind not in ("other", "summary", "impact"):
            continue
        if sec.body.lstrip().startswith("|"):
            block = section_table_metadata(sec.body.split("\n"))
            if block.fields:
                block.lines = {k: v + first - 1 for k, v in block.lines.items()}
                _apply_block(incident, block, 0, local_tz, claims)
                continue
        if sec.heading:
            fv = heading_value(sec.heading, sec.body)
            if fv is not None:
                block = MetaBlock()
                block.add(fv[0], fv[1], first - 1)
                _apply_block(incident, block, 0, local_tz, claims)


def _apply_labels(incident: Incident, extra: list[str], claims: list[SeverityClaim]) -> None:
    """Severity, team and services from labels: tags and quick actions (pipelines/parsing/labels.py)."""
    labels = list(incident.tags) + [x for x in extra if x not in incident.tags]
    if extra:
        incident.tags = labels
    services: list[str] = []
    for f, value in label_fields(labels):
        if f in ("severity", "priority"):
            level, raw, is_priority = read_severity(value)
            if level is not None:
                kind = "priority" if f == "priority" or is_priority else "stated"
                claims.append(SeverityClaim(level, raw or value, "label", None, kind))
        elif f == "team" and incident.team is None:
            incident.team = value
            incident.field_sources["team"] = FieldSource("label")
        elif f == "services" and value not in services:
            services.append(value)
    if services and not incident.services:
        incident.services = services
        incident.field_sources["services"] = FieldSource("label")


# Sections that name teams as doers of future work ("the Identity team will add ..."), not responders.
_NO_TEAM_KINDS = ("action_items", "lessons_learned", "what_went_well", "what_went_poorly", "where_we_got_lucky")
_NO_SEVERITY_KINDS = ("action_items", "lessons_learned", "what_went_well", "where_we_got_lucky", "timeline")


_TIME_IN_TABLE = re.compile(r"(?i)\|[^|\n]*time\s+(?:in|at|spent)\b")


def _text_claims(
    pairs: list[tuple[Section, int]], events: list[TimelineEvent], body: list[str], body_start: int, text: str
) -> list[SeverityClaim]:
    """Severity stated in prose, in the timeline, and in a PagerDuty impact table."""
    out: list[SeverityClaim] = []
    for sec, first in pairs:
        if sec.kind in _NO_SEVERITY_KINDS:
            continue
        low = sec.body.lower()
        # One scan of the body for level words, then only the lines that have one.
        hit_lines = sorted({low.count("\n", 0, m.start()) for m in SEVERITY_HINT.finditer(low)})
        if not hit_lines:
            continue
        body_lines = sec.body.split("\n")
        for k in hit_lines:
            s = body_lines[k].strip()
            if s and not s.startswith("|"):
                out += claims_in_line(s, first + k, "text", order=float(first + k))
    for ev in events:
        if SEVERITY_HINT.search(ev.text.lower()):
            order = ev.at.timestamp() if ev.at is not None else float(ev.line)
            out += claims_in_line(ev.text, ev.line or None, "timeline", order=1e12 + order)
    if "ime in" not in text and "IME IN" not in text and "ime at" not in text and "ime spent" not in text:
        return out
    for i, line in enumerate(body):
        if "|" in line and _TIME_IN_TABLE.search(line):
            table = read_table(body, i)
            if table is not None:
                claim = impact_table_claim(table.header, [cells for _, cells in table.rows], body_start + i + 1)
                if claim is not None:
                    out.append(claim)
    return out


def _reference_date(incident: Incident, source_path: str, pairs: list[tuple[Section, int]] | None = None) -> date | None:
    """The day that year-less and date-less times in the body belong to: a stated date or time,
    else a date in the title, else the first date in the summary's opening paragraph ("Yesterday
    (2025-09-03) ..."), else the date the file name starts with."""
    for value in (incident.date, incident.started_at, incident.detected_at, incident.resolved_at):
        if value is not None:
            return value if type(value) is date else value.date()  # type: ignore[return-value, union-attr]
    from_path = date_from_path(source_path)
    in_title = first_date(incident.title or "", from_path)  # "Postmortem: ... on 2025-04-15 (...)"
    if in_title is not None:
        return in_title
    summary = next((s for s, _ in pairs or () if s.kind == "summary" and s.body.strip()), None)
    if summary is not None:
        first = summary.body.strip().split("\n\n", 1)[0]
        found = first_date(first, from_path)
        if found is not None:
            return found
    return from_path


_TIME_FIELDS = ("started_at", "detected_at", "resolved_at")


def _fallback_date(incident: Incident, source_path: str) -> date | None:
    """The incident's day when no field states it: the day impact started, else a date in the
    title or the file name (`2025-03-25-sms.md`: the author's calendar day, written on purpose),
    else the day it was detected or resolved (a tool export's `Reported At` when its description
    gives no start). A date merely mentioned in the summary is not used: a write-up often opens
    with what happened the day before ("moved on 2026-08-17, drained the next day")."""
    if incident.started_at is not None:
        return incident.started_at.date()
    from_path = date_from_path(source_path)
    in_title = first_date(incident.title or "", from_path)
    if in_title is not None:
        return in_title
    if from_path is not None and _FULL_FILE_DATE.match(source_path.rsplit("/", 1)[-1]):
        return from_path
    for value in (incident.detected_at, incident.resolved_at):
        if value is not None:
            return value.date()
    return None


# A file name that starts with a whole date; `2026-01-outage.md` names a month, not a day.
_FULL_FILE_DATE = re.compile(r"(?:19|20)\d\d-\d\d-\d\d(?!\d)")


def _status_page_times(incident: Incident, status: str) -> None:
    """A status page's first update is when the responders knew (they posted it), and the last
    update of a resolved incident announced the resolution; used when no cue says otherwise."""
    placed = [e for e in incident.timeline if e.at is not None]
    if not placed:
        return
    first, last = min(placed, key=lambda e: e.at), max(placed, key=lambda e: e.at)  # type: ignore[arg-type, return-value]
    if incident.detected_at is None:
        incident.detected_at = first.at
        incident.field_sources["detected_at"] = FieldSource("timeline", first.line or None)
    if status == "resolved" and incident.resolved_at is None:
        incident.resolved_at = last.at
        incident.field_sources["resolved_at"] = FieldSource("timeline", last.line or None)


# Which finding wins when the timeline and the prose disagree: a strong timeline cue ("OUTAGE
# BEGINS"), then a statement in prose ("between 07:31 and 09:02 UTC"), then weaker cues.
_TIME_RANKS = (("timeline", "strong"), ("text", "strong"), ("timeline", "weak"), ("text", "weak"), ("timeline", "closed"))


def _derive_times(
    incident: Incident, pairs: list[tuple[Section, int]], ref: date | None, zone: tzinfo | None
) -> None:
    """Times the document does not state, from its timeline and its prose."""
    missing = [f for f in _TIME_FIELDS if getattr(incident, f) is None]
    if not missing:
        return
    found: dict[tuple[str, str], dict[str, tuple[datetime, int | None]]] = {}
    for f, (ev, tier) in times_from_timeline(incident.timeline).items():
        found.setdefault(("timeline", tier), {})[f] = (ev.at, ev.line or None)  # type: ignore[assignment]
    if any(f not in found.get(("timeline", "strong"), {}) for f in missing):
        for f, (at, line, tier) in times_from_prose(pairs, ref, zone, incident.timeline).items():
            found.setdefault(("text", tier), {})[f] = (at, line)
    for f in missing:
        for rank in _TIME_RANKS:
            hit = found.get(rank, {}).get(f)
            if hit is not None:
                setattr(incident, f, hit[0])
                incident.field_sources[f] = FieldSource(rank[0], hit[1])
                break
    if incident.started_at is None and incident.detected_at is not None and incident.source_format != "markdown":
        # A tool export's record states when it was reported; its short description, when no
        # cue marks the start, states the moment things went wrong just before that.
        hit = last_time_before(pairs, ref, zone, incident.detected_at, _EXPORT_START_WINDOW)
        if hit is not None:
            incident.started_at = hit[0]
            incident.field_sources["started_at"] = FieldSource("text", hit[1])


# How long before an export record's report time its description's last stated time may be to
# count as the start of impact (a description also tells of changes made days before).
_EXPORT_START_WINDOW = timedelta(hours=6)


_WRAP = re.compile(r"^(\*\*|__)(.+)\1$")


def _blank_html_comments(lines: list[str]) -> list[str]:
    """Template instructions (`<!-- Describe the root cause -->`) are not content: blank them,
    keeping every line so line numbers still match the file. An unclosed comment is left as
    text (a scan with str.find, so a flood of `<!--` stays linear)."""
    text = "\n".join(lines)
    out: list[str] = []
    pos = 0
    while True:
        start = text.find("<!--", pos)
        if start < 0:
            break
        end = text.find("-->", start + 4)
        if end < 0:
            break
        out.append(text[pos:start])
        out.append("\n" * text.count("\n", start, end))
        pos = end + 3
    out.append(text[pos:])
    return "".join(out).split("\n")


def _fallback_title(
    title_heading: Heading | None, headings: list[Heading], body: list[str], sections: list[Section]
) -> str | None:
    """Title without front matter: the H1, else a non-section heading at the very top, else
    the first sentence of the text, else the first section heading."""
    if title_heading:
        return _heading_title(title_heading.text)
    top = headings[0] if headings else None
    if top and top.line_index <= _first_text_index(body) and not top.inline and classify_heading(top.text) == "other":
        return _heading_title(top.text)
    for sec in sections:
        sentence = _first_sentence(sec.body)
        if sentence:
            return sentence
    return next((s.heading for s in sections if s.heading), None)


def _summary_of(sections: list[Section]) -> str | None:
    summaries = [s for s in sections if s.kind == "summary" and s.body.strip()]
    # A headed "Summary" beats a line or two of preamble before it.
    chosen = next((s for s in summaries if s.heading), summaries[0] if summaries else None)
    return _first_paragraph(chosen.body) if chosen is not None else None


def _heading_title(text: str) -> str | None:
    """A heading as a title: as written, minus wrapping bold (inline code stays, as in front matter)."""
    t = text.strip().rstrip("#").strip()
    m = _WRAP.match(t)
    if m:
        t = m.group(2).strip()
    return t or None


def _first_text_index(body: list[str]) -> int:
    for i, line in enumerate(body):
        if line.strip():
            return i
    return len(body)

