"""How complete a postmortem is: a 0-100 score over the recommended sections and incident times.

Weighting (sums to 100). The parts that make a postmortem actionable weigh most:

    summary              10    timeline             15
    impact               10    root cause analysis  15
    what went well        5    what went poorly      5
    action items         15    lessons learned       5
    start time            7    detection time        6
    resolution time       7

A section counts only with non-trivial content: more than a placeholder such as "TBD", "N/A",
"-", "None", an HTML comment or template instructions ("Describe the impact here"), and at
least three words. Sections can also be satisfied by parsed structure: a front-matter summary,
parsed timeline events, parsed action items, contributing factors from a root-cause section.
A narrative document (prose without template headings, pipelines/lint/narrative.py) satisfies
them with its sentences: a root-cause statement, an impact statement, two or more clock times
(timeline), remediation commitments (action items), lessons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.lint.narrative import is_narrative, prose_evidence
from pipelines.model import Incident, Section

SECTION_WEIGHTS: dict[str, int] = {
    "summary": 10,
    "timeline": 15,
    "impact": 10,
    "root_cause": 15,
    "what_went_well": 5,
    "what_went_poorly": 5,
    "action_items": 15,
    "lessons_learned": 5,
}
TIME_WEIGHTS: dict[str, int] = {"started_at": 7, "detected_at": 6, "resolved_at": 7}
assert sum(SECTION_WEIGHTS.values()) + sum(TIME_WEIGHTS.values()) == 100

SECTION_TITLES: dict[str, str] = {
    "summary": "Summary",
    "timeline": "Timeline",
    "impact": "Impact",
    "root_cause": "Root cause analysis",
    "what_went_well": "What went well",
    "what_went_poorly": "What went poorly",
    "action_items": "Action items",
    "lessons_learned": "Lessons learned",
}

# Words that stand in for content that was never written.
_PLACEHOLDER_WORDS = frozenset(
    "tbd tbc todo tba n/a na none nil nothing pending wip xxx fixme lorem ipsum placeholder unknown ? ... - -- — –".split()
    + ["coming soon", "to be determined", "to be done", "to be added", "to be confirmed", "not applicable", "fill in", "fill me in"]
)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TEMPLATE_TOKEN = re.compile(r"<[^<>\n]{1,80}>|\{\{[^{}\n]*\}\}|\[(?:insert|add|describe|fill|your|placeholder|todo|tbd)[^\]\n]*\]", re.I)
# Instruction lines copied from a template: "Describe the impact here.", "_List what went well_".
_INSTRUCTION = re.compile(
    r"^\s*[_*]*\s*(?:please\s+)?(?:describe|list|add|explain|summari[sz]e|enter|insert|fill in|write|provide|document|include|outline)\b"
    r"(?:[^.\n]*\b(?:here|below|above|this section|goes here)\b|[^.\n]*\.\.\.|[^\n]*[_*]\s*$)",
    re.I,
)
# "TODO: fill in after the review", "To be completed once the RCA meeting happens".
_DEFERRED = re.compile(
    r"^\W*(?:(?:todo|tbd|fixme|wip)\b\W*)?(?:(?:fill|filled)\s+(?:in|out)|to\s+be\s+(?:filled|completed|written|added|determined|decided|done)|"
    r"(?:will\s+be\s+)?(?:completed|written|added|updated)\s+(?:later|after|once|when))\b[^.\n]{0,80}$",
    re.I,
)
_MARKUP = re.compile(r"[#>*_`|~\[\]()]+|^\s*(?:[-+*]|\d+[.)])\s+", re.M)
_WORD = re.compile(r"[A-Za-z0-9][\w'/-]*")


@lru_cache(maxsize=8192)  # section bodies are checked by several rules
def is_placeholder(text: str | None) -> bool:
    """True when `text` holds nothing beyond placeholder or template text."""
    if not text:
        return True
    text = _HTML_COMMENT.sub(" ", text)
    lines = [ln for ln in text.splitlines() if ln.strip() and not _INSTRUCTION.match(ln) and not _DEFERRED.match(ln)]
    text = _TEMPLATE_TOKEN.sub(" ", "\n".join(lines))
    text = _MARKUP.sub(" ", text)
    words = [w for w in _WORD.findall(text)]
    stripped = " ".join(text.split()).strip(" .:;!-").lower()
    if not stripped or stripped in _PLACEHOLDER_WORDS:
        return True
    content = [w for w in words if w.lower().strip(".") not in _PLACEHOLDER_WORDS]
    return len(content) < 3


def is_placeholder_item(text: str) -> bool:
    """An action item that only promises action items ("TODO: fill in after the review", "TBD")."""
    if len(text.split()) > 2:
        return is_placeholder(text)
    return text.strip(" .:-").lower() in ("tbd", "todo", "n/a", "none", "tba", "")


@dataclass(frozen=True)
class SectionStatus:
    kind: str
    present: bool  # a section of this kind exists (or parsed structure, or narrative prose, stands in for it)
    substantive: bool  # ... with non-trivial content
    line: int | None  # where the (first) section of this kind starts, if known
    narrative: bool = False  # the document is prose without template headings: judged by its sentences


# Section kinds a narrative's sentences can stand in for (narrative.ProseEvidence.found).
PROSE_KINDS = ("root_cause", "impact", "timeline", "action_items", "lessons_learned")


def _sections(incident: Incident, kind: str) -> list[Section]:
    return [s for s in incident.sections if s.kind == kind]


_ATX = re.compile(r"^\s{0,3}(#{1,6})\s")


def _heading_level(lines: list[str], section: Section) -> int:
    """ATX level of the section's heading; label-style headings ("What went well:") count as deepest."""
    if 0 < section.line <= len(lines):
        m = _ATX.match(lines[section.line - 1])
        if m:
            return len(m.group(1))
    return 7


def _children(incident: Incident, section: Section) -> list[Section]:
    """Sections nested under an empty heading ("Lessons learned" over "What went well", ...)."""
    if section.body.strip() or not section.line or not incident.raw_text:
        return []
    lines = incident.raw_text.splitlines()
    level = _heading_level(lines, section)
    ordered = sorted((s for s in incident.sections if s.line), key=lambda s: s.line)
    after = [s for s in ordered if s.line > section.line]
    children: list[Section] = []
    for s in after:
        if _heading_level(lines, s) <= level and level < 7:
            break
        if level == 7 and children and _heading_level(lines, s) < 7:
            break
        children.append(s)
        if level == 7 and len(children) > 3:
            break
    return children


def section_status(incident: Incident, kind: str) -> SectionStatus:
    found = _sections(incident, kind)
    line = next((s.line for s in found if s.line), None)
    substantive = any(not is_placeholder(s.body) for s in found)
    if not substantive:
        # An empty heading that only groups sub-sections is as complete as its sub-sections.
        substantive = any(not is_placeholder(c.body) for s in found for c in _children(incident, s))
    # Parsed structure counts too: a JSON export has fields, not headed sections.
    if not substantive:
        if kind == "summary":
            substantive = not is_placeholder(incident.summary)
        elif kind == "timeline":
            substantive = len(incident.timeline) >= 2 or any(not is_placeholder(e.text) for e in incident.timeline)
        elif kind == "action_items":
            substantive = any(not is_placeholder_item(a.text) for a in incident.action_items)
        elif kind == "root_cause":
            substantive = any(
                f.source_section in ("root_cause", "trigger") and not is_placeholder(f.text) for f in incident.factors
            )
    narrative = is_narrative(incident)
    if not substantive and narrative and kind in PROSE_KINDS:
        evidence = prose_evidence(incident)
        if evidence.found(kind):
            substantive = True
            line = line or {"root_cause": evidence.root_cause, "impact": evidence.impact, "timeline": evidence.timeline_line,
                            "action_items": evidence.remediation, "lessons_learned": evidence.lessons_learned}[kind] or None
    present = bool(found) or substantive
    return SectionStatus(kind, present, substantive, line, narrative)


def completeness(incident: Incident) -> int:
    """The 0-100 completeness score (weighting in the module docstring)."""
    score = 0
    for kind, weight in SECTION_WEIGHTS.items():
        if section_status(incident, kind).substantive:
            score += weight
    for attr, weight in TIME_WEIGHTS.items():
        if getattr(incident, attr) is not None:
            score += weight
    return score
