"""The parsed shape of one postmortem, shared by every parser, the loader and the linter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

SECTION_KINDS = (
    "summary",
    "timeline",
    "impact",
    "root_cause",
    "trigger",
    "detection",
    "resolution",
    "what_went_well",
    "what_went_poorly",
    "where_we_got_lucky",
    "action_items",
    "lessons_learned",
    "other",
)

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
# Where a field's value came from (field_sources). "Stated" sources: the document says it
# ("corpus_spelling": it says it in a spelling the build, without a catalog, linked to the one the
# rest of the corpus uses: "Quotes Engine" -> "quotes"); the rest are inferred: from the
# timeline, a catalog, or the rest of the corpus.
STATED_SOURCES = ("front_matter", "metadata", "title", "label", "record", "corpus_spelling")
INFERRED_SOURCES = ("timeline", "text", "catalog", "corpus")
FIELD_SOURCES = STATED_SOURCES + INFERRED_SOURCES
# The fields whose provenance is recorded.
SOURCED_FIELDS = ("severity", "started_at", "detected_at", "resolved_at", "services", "team")
ACTION_STATUSES = ("open", "in_progress", "done", "wont_fix")


class IngestError(Exception):
    """A source that cannot be loaded; the message says why and what to do."""


@dataclass
class Section:
    kind: str  # one of SECTION_KINDS
    heading: str  # the heading as written ("" for an unsectioned body)
    body: str
    line: int = 0  # 1-based line of the heading (or body start) in the source file


@dataclass
class TimelineEvent:
    at: datetime | None  # naive UTC, or None when the time could not be placed
    raw_time: str  # the time exactly as written
    text: str
    line: int = 0


@dataclass
class ActionItem:
    text: str
    owner: str | None = None
    due_date: date | None = None
    status: str = "open"  # one of ACTION_STATUSES
    priority: str | None = None
    kind: str | None = None  # e.g. prevent / mitigate / detect / process, as written
    ticket: str | None = None
    line: int = 0


@dataclass
class ContributingFactor:
    text: str
    source_section: str  # the section kind it came from
    line: int = 0


@dataclass
class FieldSource:
    """Where one field of an incident came from: a FIELD_SOURCES kind and the 1-based line of the
    source file (None for a whole-record export field, a catalog or the corpus)."""

    source: str
    line: int | None = None


@dataclass
class ParseNote:
    """Something the parser could not decide and will not guess silently (an ambiguous 03/04 date,
    say); the linter reports it as a finding with this rule id."""

    rule: str
    message: str
    line: int | None = None


@dataclass
class Incident:
    incident_id: str
    source_path: str
    title: str | None = None
    date: date | None = None
    started_at: datetime | None = None  # all datetimes naive UTC
    detected_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    severity: str | None = None  # SEV1..SEV4 or None
    severity_raw: str | None = None
    team: str | None = None
    status: str | None = None
    summary: str | None = None
    url: str | None = None
    restricted: bool = False
    allowed_groups: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    failure_modes: list[str] = field(default_factory=list)  # as the postmortem names them (hand labels)
    sections: list[Section] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    factors: list[ContributingFactor] = field(default_factory=list)
    source_format: str = "markdown"  # markdown | json | jsonl | csv
    field_sources: dict[str, FieldSource] = field(default_factory=dict)  # SOURCED_FIELDS -> where from
    notes: list[ParseNote] = field(default_factory=list)
    raw_text: str = ""  # the Markdown the sections came from (for the linter), not stored in the DB
