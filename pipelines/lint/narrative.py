"""What a narrative postmortem's prose contains: a root-cause statement, impact, times, remediation.

Most public postmortems are a few paragraphs without template headings. Judged as if they were
template documents, every one of them lacked a "Root cause analysis" section, even where the
text says "The root cause was a race in the lease renewal". So a *narrative* document (one whose
sections are all summary or unrecognised prose: no section of a postmortem template) is scored
on its sentences: a sentence with a cue phrase (narrative_cues.toml) stands in for the section
of that kind, and two or more clock times ("at 14:02 UTC ... by 14:40") stand in for a timeline.
Templated documents are judged by their sections as before.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipelines.model import Incident
from pipelines.parsing.blocks import code_lines
from pipelines.tuning import read_toml

CUES_FILE = Path(__file__).with_name("narrative_cues.toml")
# Section kinds that mean "this is not a template document": everything but prose buckets.
_PROSE_KINDS = frozenset({"summary", "other"})
# Clock times: 14:02, 2:05 pm, 9am, 14:02:33, optionally with a zone. Dates alone are not times.
_CLOCK = re.compile(
    r"(?<![\w:.])(?:(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?:\s?[ap]\.?m\.?)?|(?:1[0-2]|0?[1-9])\s?[ap]\.?m\.?)(?![\w:])",
    re.I,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n")
MIN_TIMES = 2  # clock times that make a timeline: a start and at least one later moment


@dataclass(frozen=True)
class Cues:
    root_cause: re.Pattern[str]
    not_a_statement: re.Pattern[str]
    impact: re.Pattern[str]
    remediation: re.Pattern[str]
    lessons_learned: re.Pattern[str]


def _pattern(phrases: list[str]) -> re.Pattern[str]:
    parts = []
    for phrase in phrases:
        words = [r"\S+" if w == "*" else re.escape(w) for w in str(phrase).lower().split()]
        if words:
            parts.append(r"\s+".join(words))
    if not parts:
        return re.compile(r"(?!x)x")  # matches nothing
    # Longest first, so "root cause" wins over "cause"; word boundaries on both ends.
    return re.compile(r"(?<!\w)(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")(?!\w)", re.I)


@lru_cache(maxsize=4)
def load_cues(path: Path = CUES_FILE) -> Cues:
    """The cue phrases of `path` (narrative_cues.toml), compiled."""
    data = read_toml(path, "the narrative cues")

    def get(table: str, key: str = "cues") -> list[str]:
        return list(data.get(table, {}).get(key, []))

    return Cues(
        root_cause=_pattern(get("root_cause")),
        not_a_statement=_pattern(get("root_cause", "not_a_statement")),
        impact=_pattern(get("impact")),
        remediation=_pattern(get("remediation")),
        lessons_learned=_pattern(get("lessons_learned")),
    )


def is_narrative(incident: Incident) -> bool:
    """True when no section of the document is a postmortem template's (root cause, timeline,
    impact, action items...): it is prose, so its sentences are what can be judged."""
    return all(s.kind in _PROSE_KINDS for s in incident.sections)


@dataclass(frozen=True)
class ProseEvidence:
    """The first line (1-based; 0 when unknown) of a sentence of each kind, or None without one."""

    root_cause: int | None
    impact: int | None
    remediation: int | None
    lessons_learned: int | None
    times: int  # distinct clock times mentioned
    timeline_line: int | None  # line of the first clock time

    def found(self, kind: str) -> bool:
        if kind == "timeline":
            return self.times >= MIN_TIMES
        if kind == "action_items":
            return self.remediation is not None
        value = getattr(self, kind, None)
        return value is not None


def _sentences(incident: Incident) -> list[tuple[int, str]]:
    """(line, sentence) of the prose, code blocks left out."""
    out: list[tuple[int, str]] = []
    bodies = [(s.line, s.body) for s in incident.sections if s.body.strip()]
    if not bodies and incident.summary:
        bodies = [(0, incident.summary)]
    for start, body in bodies:
        lines = body.splitlines()
        code = code_lines(lines)
        text = "\n".join("" if c else ln for ln, c in zip(lines, code))
        breaks = [m.start() for m in re.finditer("\n", text)]
        pos = 0
        for m in [*_SENTENCE_END.finditer(text), None]:
            end = m.start() if m else len(text)
            sentence = " ".join(text[pos:end].split())
            if sentence:
                line = start + bisect_right(breaks, pos) if start else 0
                out.append((line, sentence))
            pos = m.end() if m else len(text)
    return out


@lru_cache(maxsize=4096)
def _evidence(sentences: tuple[tuple[int, str], ...]) -> ProseEvidence:
    cues = load_cues()
    first: dict[str, int | None] = {"root_cause": None, "impact": None, "remediation": None, "lessons_learned": None}
    times: set[str] = set()
    timeline_line = None
    for line, sentence in sentences:
        if first["root_cause"] is None and cues.root_cause.search(sentence) and not cues.not_a_statement.search(sentence):
            first["root_cause"] = line
        for kind in ("impact", "remediation", "lessons_learned"):
            if first[kind] is None and getattr(cues, kind).search(sentence):
                first[kind] = line
        clocks = {re.sub(r"\W", "", c.lower()) for c in _CLOCK.findall(sentence)}
        if clocks and timeline_line is None:
            timeline_line = line
        times |= clocks
    return ProseEvidence(first["root_cause"], first["impact"], first["remediation"], first["lessons_learned"], len(times), timeline_line)


def prose_evidence(incident: Incident) -> ProseEvidence:
    """What the prose of `incident` states (see the module docstring)."""
    return _evidence(tuple(_sentences(incident)))
