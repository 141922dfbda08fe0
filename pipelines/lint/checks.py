"""Postmortem quality checks: completeness, timeline, action items, blameless language, RCA depth.

`lint_incident` is the library entry point (the build calls it once per incident inside the parse
worker); `lint_paths` lints files for `hindsight lint` (pipelines/cli/lint.py). Every rule has an id, a severity and a message that says
how to fix the problem; docs/lint.md has the table.

This module is on the pre-commit path: it imports only the standard library, the model, the
parser and the rule engines, never pandas/duckdb/scikit-learn.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipelines.lint import blameless
from pipelines.lint.completeness import SECTION_TITLES, completeness, is_placeholder, is_placeholder_item, section_status
from pipelines.model import ActionItem, Incident

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # info | warning | error
    line: int | None
    message: str


@dataclass
class LintResult:
    completeness: int
    findings: list[Finding] = field(default_factory=list)


# --- completeness ---------------------------------------------------------------------------

# How much each missing section hurts. Root cause and action items are the point of a postmortem;
# action items have their own rule (action-items/none) so they are not repeated here.
_MISSING_SEVERITY = {
    "summary": "warning",
    "timeline": "warning",
    "impact": "warning",
    "root_cause": "error",
    "what_went_well": "info",
    "what_went_poorly": "info",
    "lessons_learned": "info",
}
_SECTION_HINT = {
    "summary": "two or three sentences on what happened, to whom, and how it ended",
    "timeline": "timestamped events from the first trigger to resolution, with the time zone",
    "impact": "who and what was affected, for how long, and how badly (users, requests, revenue, SLO budget)",
    "root_cause": "the conditions that allowed the failure, dug past the trigger (five whys or contributing factors)",
    "what_went_well": "what helped detection and recovery, so it is kept",
    "what_went_poorly": "where detection, response or tooling slowed the team down",
    "lessons_learned": "what the organization now knows that it did not before",
}
# For narrative documents (no template headings): what the prose does not say, and how to say it.
_PROSE_MISSING = {
    "summary": "no summary: open with two or three sentences on what happened, to whom, and how it ended",
    "timeline": "no times in the text: say when impact began, when it was noticed and when it ended "
                "(e.g. 'At 14:02 UTC ... by 14:40 ...'), or add a 'Timeline' section",
    "impact": "no impact statement: say who or what was affected, for how long and how badly, or add an 'Impact' section",
    "root_cause": "no root-cause statement: say in a sentence what caused the failure and what allowed it "
                  "(e.g. 'The root cause was ...'), or add a 'Root cause' section",
    "what_went_well": "the text does not say what went well: name what helped detection and recovery, so it is kept",
    "what_went_poorly": "the text does not say what went poorly: name where detection, response or tooling slowed the team down",
    "lessons_learned": "the text states no lesson: say what the organization now knows that it did not before",
}
_TIME_FIELDS = {
    "started_at": ("start", "when impact began"),
    "detected_at": ("detection", "when an alert, a page or a report first showed the problem"),
    "resolved_at": ("resolution", "when impact ended"),
}


def _completeness_findings(incident: Incident) -> list[Finding]:
    found: list[Finding] = []
    for kind, severity in _MISSING_SEVERITY.items():
        status = section_status(incident, kind)
        title = SECTION_TITLES[kind]
        if not status.present:
            message = _PROSE_MISSING[kind] if status.narrative else f"no '{title}' section: add one with {_SECTION_HINT[kind]}"
            found.append(Finding("completeness/missing-section", severity, None, message))
        elif not status.substantive:
            found.append(
                Finding(
                    "completeness/placeholder-section",
                    severity,
                    status.line,
                    f"'{title}' holds only placeholder text: replace it with {_SECTION_HINT[kind]}",
                )
            )
    for attr, (name, hint) in _TIME_FIELDS.items():
        if getattr(incident, attr) is None:
            found.append(
                Finding(
                    "completeness/missing-time",
                    "warning",
                    None,
                    f"no incident {name} time: add `{attr}` to the front matter ({hint}, with a time zone)",
                )
            )
    return found


# --- timeline -------------------------------------------------------------------------------


def _timeline_findings(incident: Incident) -> list[Finding]:
    found: list[Finding] = []
    status = section_status(incident, "timeline")
    events = incident.timeline
    # (a narrative's timeline is its clock times in the prose: there are no events to stamp)
    if status.present and status.substantive and not status.narrative and not any(e.at is not None or e.raw_time.strip() for e in events):
        found.append(
            Finding(
                "timeline/no-timestamps",
                "warning",
                status.line,
                "the timeline has no timestamps: start each event with a time (e.g. `14:02 UTC` or `2024-03-05 14:02Z`)",
            )
        )
    timed = [e for e in events if e.at is not None]
    if len(timed) >= 3 and all(a.at >= b.at for a, b in zip(timed, timed[1:])) and timed[0].at > timed[-1].at:
        # Status-page style, newest first: one finding, not one per event.
        found.append(
            Finding(
                "timeline/out-of-order",
                "warning",
                timed[0].line or status.line,
                "the timeline runs newest first: list events oldest first so the story reads in order",
            )
        )
        timed = []
    previous = None
    for event in timed:
        if previous is not None and event.at < previous.at:
            found.append(
                Finding(
                    "timeline/out-of-order",
                    "warning",
                    event.line or None,
                    f"event at {event.raw_time or event.at} comes after an event at {previous.raw_time or previous.at}: "
                    "order the timeline chronologically, or add the date if it crossed midnight",
                )
            )
        previous = event if previous is None or event.at >= previous.at else previous
    start, detected, resolved = incident.started_at, incident.detected_at, incident.resolved_at
    if start is not None and detected is not None and detected < start:
        found.append(
            Finding(
                "timeline/detected-before-start",
                "error",
                None,
                f"detection ({detected:%Y-%m-%d %H:%M}) is before the start ({start:%Y-%m-%d %H:%M}): "
                "check the time zones, or move the start back to when impact really began",
            )
        )
    if resolved is not None and start is not None and resolved < start:
        found.append(
            Finding(
                "timeline/resolved-before-start",
                "error",
                None,
                f"resolution ({resolved:%Y-%m-%d %H:%M}) is before the start ({start:%Y-%m-%d %H:%M}): "
                "check the time zones and dates of both",
            )
        )
    return found


# --- action items ---------------------------------------------------------------------------

_CLOSED = {"done", "wont_fix"}


def _item_label(item: ActionItem) -> str:
    text = " ".join(item.text.split())
    return text if len(text) <= 60 else text[:57] + "..."


_NOBODY = frozenset({"", "tbd", "tba", "todo", "?", "??", "-", "--", "n/a", "na", "none", "nobody", "unassigned", "unowned", "anyone", "someone", "team", "everyone", "all"})


def _no_owner(owner: str | None) -> bool:
    """No owner, or a stand-in for one ("TBD", "unassigned", "team")."""
    return owner is None or owner.strip().strip("@").lower() in _NOBODY


def _action_item_findings(incident: Incident, rules: blameless.RuleSet) -> list[Finding]:
    # "TODO: fill in after the review" is a promise to write action items, not one.
    items = [a for a in incident.action_items if a.text.strip() and not is_placeholder_item(a.text)]
    if not items:
        status = section_status(incident, "action_items")
        if status.narrative and status.substantive:  # the prose commits to fixes, but nothing can track them
            return [
                Finding(
                    "action-items/none",
                    "warning",
                    status.line,
                    "the remediation is described only in prose: list it as action items, one per line with an owner "
                    "and a due date, so follow-through can be tracked",
                )
            ]
        return [
            Finding(
                "action-items/none",
                "error",
                status.line,
                "no action items: add owned, dated follow-ups that prevent a recurrence (one per line, with owner and due date)",
            )
        ]
    found: list[Finding] = []
    for item in items:
        line = item.line or None
        label = _item_label(item)
        if item.status not in _CLOSED:
            if _no_owner(item.owner):
                found.append(
                    Finding(
                        "action-items/no-owner",
                        "warning",
                        line,
                        f"action item '{label}' has no owner: name one person or team accountable for it",
                    )
                )
            if item.due_date is None:
                found.append(
                    Finding(
                        "action-items/no-due-date",
                        "warning",
                        line,
                        f"action item '{label}' has no due date: add one (e.g. `due: 2024-04-30`)",
                    )
                )
        if rules.is_vague(item.text):
            found.append(
                Finding(
                    "action-items/vague",
                    "warning",
                    line,
                    f"action item '{label}' has no concrete deliverable: say what will exist when it is done "
                    "(an alert, a test, a config limit, a runbook step), not 'investigate' or 'be more careful'",
                )
            )
    if not any(rules.is_preventive(a.kind, a.text) for a in items):
        first = next((a.line for a in items if a.line), None)
        found.append(
            Finding(
                "action-items/no-preventive",
                "warning",
                first,
                "every action item mitigates or detects; none prevents a recurrence: add one that removes the cause "
                "(validation, a guard rail, a limit, automation, a design change)",
            )
        )
    return found


# --- RCA depth ------------------------------------------------------------------------------


def _line_of(raw_text: str, phrase: str, from_line: int) -> int | None:
    """The first source line at or after `from_line` that contains `phrase` (case- and space-insensitive)."""
    needle = " ".join(phrase.lower().split())
    for n, line in enumerate(raw_text.splitlines()[max(from_line - 1, 0) :], start=max(from_line, 1)):
        if needle in " ".join(line.lower().replace("’", "'").replace("**", "").split()):
            return n
    return None

_WHY_LINE = re.compile(
    r"^\s*(?:[-*+]\s*|\d+[.)]\s*|#+\s*)?(?:\*\*|__)?\s*(?:why\s*(?:#?\s*\d+|\?)|\d+(?:st|nd|rd|th)?\s+why|why\b[^?\n]{3,}\?)",
    re.I,
)
_FIVE_WHYS_MARKER = re.compile(r"\b(?:five|5)\s*whys?\b", re.I)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S", re.M)


def _why_levels(body: str) -> int:
    return sum(1 for ln in body.splitlines() if _WHY_LINE.match(ln))


def _rca_findings(incident: Incident, rules: blameless.RuleSet) -> list[Finding]:
    rca = [s for s in incident.sections if s.kind in ("root_cause", "trigger") and not is_placeholder(s.body)]
    rc_factors = [f for f in incident.factors if not is_placeholder(f.text)]
    if not rca and not any(f.source_section in ("root_cause", "trigger") for f in rc_factors):
        return []  # no analysis to judge: completeness/missing-section already says so
    found: list[Finding] = []
    root = [s for s in rca if s.kind == "root_cause"]
    for section in root:
        phrase = rules.person_as_root_cause(section.body)
        if phrase is not None:
            found.append(
                Finding(
                    "rca/stops-at-person",
                    "error",
                    _line_of(incident.raw_text, phrase, section.line) or section.line or None,
                    f"the root cause stops at a person ('{phrase}'): ask why the system allowed it "
                    "(what made the action easy to get wrong, what check or guard rail was missing)",
                )
            )
            break
    all_text = "\n".join(s.body for s in rca)
    whys = _why_levels(all_text)
    has_marker = bool(_FIVE_WHYS_MARKER.search(all_text)) or any(_FIVE_WHYS_MARKER.search(s.heading) for s in rca)
    if (has_marker or whys) and whys < 3:
        line = next((s.line for s in rca if s.line and (_FIVE_WHYS_MARKER.search(s.heading + "\n" + s.body) or _why_levels(s.body))), None)
        found.append(
            Finding(
                "rca/shallow-five-whys",
                "warning",
                line,
                f"the five whys stop after {whys} level{'s' if whys != 1 else ''}: keep asking why until you reach "
                "a condition the organization can change (at least three levels)",
            )
        )
    distinct = {" ".join(f.text.lower().split()) for f in rc_factors}
    bullets = max((len(_BULLET.findall(s.body)) for s in rca), default=0)
    if max(len(distinct), bullets, whys) <= 1:
        line = next((s.line for s in rca if s.line), None)
        found.append(
            Finding(
                "rca/single-cause",
                "warning",
                line,
                "only one cause is named (the trigger): list the contributing factors that let it become an incident "
                "(missing alerting, risky defaults, absent safeguards, load, timing)",
            )
        )
    return found


# --- blameless language ---------------------------------------------------------------------


def _blameless_findings(incident: Incident, rules: blameless.RuleSet) -> list[Finding]:
    return [
        Finding(hit.rule, hit.severity, hit.line, f"{hit.message} ('{hit.phrase}'): try \"{hit.suggestion}\"")
        for hit in blameless.scan_incident(incident, rules)
    ]


# --- what the parser could not decide -------------------------------------------------------


def _parse_note_findings(incident: Incident) -> list[Finding]:
    """The parser's notes (an ambiguous 03/04 date, say): reported instead of guessed silently."""
    return [Finding(note.rule, "warning", note.line, note.message) for note in incident.notes]


# --- entry points ---------------------------------------------------------------------------


# In-file suppressions, as HTML comments so they do not show in rendered Markdown:
#   <!-- hindsight-lint: disable completeness/missing-time, blameless -->        the whole file
#   <!-- hindsight-lint: disable-next-line blameless/human-error -->              the next line
# A rule is named by its id or by its group ("blameless" covers every blameless/* rule).
_DIRECTIVE = re.compile(r"<!--\s*hindsight-lint:\s*(disable|disable-next-line)\s+([^>]*?)\s*-->", re.I)


def _suppressions(raw_text: str) -> tuple[set[str], dict[int, set[str]]]:
    whole: set[str] = set()
    by_line: dict[int, set[str]] = {}
    if "hindsight-lint" not in raw_text:
        return whole, by_line
    for n, line in enumerate(raw_text.splitlines(), start=1):
        for m in _DIRECTIVE.finditer(line):
            names = {r.strip() for r in re.split(r"[,\s]+", m.group(2)) if r.strip()}
            if m.group(1).lower() == "disable":
                whole |= names
            else:
                by_line.setdefault(n + 1, set()).update(names)
    return whole, by_line


def _suppressed(finding: Finding, names: set[str]) -> bool:
    return finding.rule in names or finding.rule.split("/", 1)[0] in names or "all" in names


def lint_incident(incident: Incident, rules: blameless.RuleSet | None = None) -> LintResult:
    """Run every rule on one incident; findings sorted by line (whole-document findings first)."""
    rules = rules or blameless.default_rules()
    findings = (
        _completeness_findings(incident)
        + _timeline_findings(incident)
        + _action_item_findings(incident, rules)
        + _rca_findings(incident, rules)
        + _blameless_findings(incident, rules)
        + _parse_note_findings(incident)
    )
    whole, by_line = _suppressions(incident.raw_text)
    findings = [
        f
        for f in findings
        if f.rule not in rules.disabled
        and not _suppressed(f, whole)
        and not (f.line is not None and _suppressed(f, by_line.get(f.line, set())))
    ]
    findings.sort(key=lambda f: (f.line or 0, -SEVERITY_RANK[f.severity], f.rule))
    return LintResult(completeness=completeness(incident), findings=findings)


def lint_paths(paths: list[Path], rules: blameless.RuleSet) -> tuple[list[dict], list[tuple[str, str]]]:
    """Lint every supported file under `paths`; return per-incident reports and (path, reason) errors.

    Raises CorpusNotFound for a path that does not exist."""
    from pipelines.parsing.discover import discover
    from pipelines.model import IngestError
    from pipelines.parsing.files import parse_file

    reports: list[dict] = []
    errors: list[tuple[str, str]] = []
    for root in paths:
        for sf in discover([root]).files:
            shown = str(root) if root.is_file() else str(root / sf.source_path)
            try:
                parsed = parse_file(sf.path.read_bytes(), sf.source_path)
            except (IngestError, OSError, UnicodeDecodeError) as exc:
                errors.append((shown, str(exc)))
                continue
            for path, reason in parsed.errors:
                errors.append((_shown_record(shown, sf.source_path, path), reason))
            for incident in parsed.incidents:
                result = lint_incident(incident, rules)
                record = incident.source_path != sf.source_path
                reports.append(
                    {
                        "path": _shown_record(shown, sf.source_path, incident.source_path),
                        # Lines inside an export record's embedded text mean nothing in the file.
                        "record": record,
                        "incident_id": incident.incident_id,
                        "title": incident.title,
                        "completeness": result.completeness,
                        "findings": [asdict(f) for f in result.findings],
                    }
                )
    return reports, errors


def _shown_record(shown: str, file_source: str, source_path: str) -> str:
    """How to name a record of an export on screen: the file as given plus ":N"."""
    if source_path == file_source or not source_path.startswith(file_source + ":"):
        return shown
    return shown + source_path[len(file_source) :]
