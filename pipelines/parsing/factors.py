"""Contributing factors: one row per bullet or sentence that describes a cause.

Sectioned documents: every top-level bullet or numbered item under a `root_cause`
(Root cause, Contributing factors, Five whys, Fault, ...), `trigger` or `what_went_poorly`
section is one factor; paragraphs in those sections are split into sentences, each a factor.
Five-whys items drop the question ("Why did X? Because Y." gives "Because Y."), and
sentences shorter than three words or ending in a colon (list introductions) are skipped.

Documents without any of those sections (many public postmortems are a few paragraphs of
prose): the sentences of the prose sections that contain a cause cue (`CAUSE_CUES`, e.g.
"caused", "due to", "because", "root cause", "triggered", "resulted from", "led to",
"failed", "misconfigur", "expired", "exhausted", "bad config", "bug") are the factors, with `source_section` set to
the section kind they were found in. Sentences about the response (`REMEDIATION_CUES`:
"will ...", "to prevent", "in response", "identified the root cause", ...) are left out
unless they also state a cause outright (`STRONG_CUES`: "caused by", "because", "due to",
"root cause was", ...). The rule is deliberately simple and explainable; the
theme analysis refines what these sentences mean.
"""

from __future__ import annotations

import re

from pipelines.parsing.blocks import code_lines, read_table
from pipelines.model import ContributingFactor, Section
from pipelines.parsing.sections import classify_heading

FACTOR_KINDS = ("root_cause", "trigger", "what_went_poorly")
PROSE_KINDS = ("summary", "other", "impact", "resolution", "detection", "lessons_learned")

CAUSE_CUES = (
    "caused by", "cause of", "causing", "due to", "because", "root cause", "triggered", "trigger",
    "resulted from", "result of", "resulting in", "led to", "lead to", "leading to", "failed", "failure",
    "misconfigur", "expired", "exhausted", "ran out", "overload", "bug", "regression", "typo",
    "incorrect", "wrong", "mistake", "accidentally", "inadvertent", "unexpected", "race condition",
    "memory leak", "deadlock", "saturat", "timeout", "timed out", "not tested", "untested",
    "contributing", "contributed", "stemmed from", "a result of", "combined with", "lack of",
    "caused", "cause", "defect", "resulted in", "broke", "broken", "brought down", "took down",
    "took out", "bad config", "breaking change", "corrupt", "disabled", "limit", "overflow", "leak",
    "crash", "outdated", "stale", "missing", "did not propagate", "silently", "unintended",
    "human error", "operator error", "manual", "fault", "flaw", "vulnerab", "outage of", "lost power",
    "power loss", "power failure", "overwhelmed", "overloaded", "spike", "surge",
)


_CUE_RE = re.compile("|".join(re.escape(c) for c in CAUSE_CUES))


# Sentences about the response rather than the cause: remediation, follow-up, investigation.
REMEDIATION_CUES = (
    "will ", "going forward", "in response", "post-incident", "to prevent", "to avoid", "to reduce the risk",
    "are being", "is being", "plan to", "planning to", "we have since", "have since", "addressing",
    "implementing", "re-introduced", "reintroduced", "action item", "follow-up", "identified the root cause",
    "identifying the root cause", "find the root cause", "finding the root cause", "root cause was identified",
    "root cause was found", "root cause analysis", "began working", "started investigating",
)
# Explicit causal statements count even in a sentence that also talks about the response.
STRONG_CUES = ("caused by", "because", "due to", "root cause was", "root cause is", "resulted from", "stemmed from")
_REMEDIATION_RE = re.compile("|".join(re.escape(c) for c in REMEDIATION_CUES))
_STRONG_RE = re.compile("|".join(re.escape(c) for c in STRONG_CUES))


def has_cause_cue(sentence: str) -> bool:
    """The unsectioned-document rule: a cause cue, and not a remediation or investigation
    sentence unless it states the cause outright (see module docstring)."""
    low = sentence.lower()
    if _CUE_RE.search(low) is None:
        return False
    return _REMEDIATION_RE.search(low) is None or _STRONG_RE.search(low) is not None


_SENT_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(`*_\[])")
_ABBREVS = tuple(
    f" {a}." for a in ("e.g", "i.e", "etc", "vs", "approx", "incl", "inc", "ltd", "co", "corp", "mr", "mrs", "ms", "dr", "st", "no", "u.s", "a.m", "p.m", "fig", "cf", "al")
)
_BULLET = re.compile(r"^(\s*)(?:[-*+•]|\d{1,3}[.)]|[a-z][.)])\s+(.*)$")
# `[^\[\]]` / `[^()]`, not `[^\]]` / `[^)]`: a run of thousands of '[' must stay linear.
_MD_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()]*\)")
_MARKUP_CHARS = re.compile(r"[\[*_~`]")
_EMPHASIS = re.compile(r"(\*\*|__|~~)(.+?)\1")
_INLINE_CODE = re.compile(r"`([^`]*)`")
_WHY_Q = re.compile(r"^(?:\*\*|__)?(?:why\s*(?:#?\d+)?\s*[:.)]?\s*(?:\*\*|__)?\s*)?(?:[^?]{3,200}\?)\s*(?:\*\*|__)?\s*(?:[-–—:]\s*)?(?=\S)", re.I)
_LABEL_PREFIX = re.compile(r"^([A-Za-z][A-Za-z' ]{2,30}):\s+")
_WHY_LABEL = re.compile(r"^(?:\*\*|__)?(?:why|because|answer|a)\s*#?\d*\s*[:.)](?:\*\*|__)?\s*", re.I)


def clean_inline(text: str) -> str:
    """Markdown inline markup removed: links keep their text, emphasis and code keep content."""
    if not _MARKUP_CHARS.search(text):
        return " ".join(text.split())
    text = _MD_LINK.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _INLINE_CODE.sub(r"\1", text)
    return " ".join(text.split())


def split_sentences(text: str) -> list[str]:
    parts = _SENT_SPLIT.split(text)
    out: list[str] = []
    for part in parts:
        if out and (" " + out[-1][-8:].lower()).endswith(_ABBREVS):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    return [p.strip() for p in out if p.strip()]


def _blocks(body: str) -> list[tuple[int, str, bool]]:
    """(line offset, text, is_bullet) for each top-level bullet and each paragraph."""
    # Text is kept as pieces and joined once, so long runs of nested or wrapped lines stay linear.
    blocks: list[tuple[int, list[str], bool]] = []
    lines = body.split("\n")
    para: list[str] = []
    para_start = 0
    top_indent: int | None = None

    def flush() -> None:
        if para:
            blocks.append((para_start, [" ".join(para)], False))
            para.clear()

    code = code_lines(lines)
    table_end = 0  # code and tables end a paragraph and hold no factors
    for i, line in enumerate(lines):
        if i < table_end:
            continue
        s = line.strip()
        if code[i]:
            flush()
            continue
        table = read_table(lines, i)
        if table is not None:
            table_end = table.end
        if table is not None or not s or s.startswith(("#", "|")) or set(s) <= set("-=*_"):
            flush()
            continue
        m = _BULLET.match(line)
        if m:
            flush()
            indent = len(m.group(1).expandtabs(4))
            if top_indent is None or indent < top_indent:
                top_indent = indent
            if indent <= top_indent + 1 or not blocks or not blocks[-1][2]:
                blocks.append((i, [m.group(2).strip()], True))
            else:
                blocks[-1][1].append("; " + m.group(2).strip())  # a nested bullet refines its parent
            continue
        if blocks and blocks[-1][2] and line[:1] in (" ", "\t") and not para:
            blocks[-1][1].append(" " + s)
            continue
        if not para:
            para_start = i
        para.append(s.lstrip("> ").strip())
    flush()
    return [(off, "".join(pieces), is_bullet) for off, pieces, is_bullet in blocks]


_MAX_FACTOR_CHARS = 2000  # longer is a pasted log or a run-on blob, not a sentence


def _worth_keeping(text: str) -> bool:
    return len(text) <= _MAX_FACTOR_CHARS and len(text.split()) >= 3 and not text.rstrip().endswith(":")


def _strip_why(text: str) -> str:
    stripped = _WHY_Q.sub("", text, count=1)
    stripped = _WHY_LABEL.sub("", stripped, count=1)
    return stripped if len(stripped.split()) >= 2 else text


def factors_from_section(section: Section, body_first: int, *, cue_only: bool = False) -> list[ContributingFactor]:
    """Factors in one section; `body_first` is the 1-based source line of its first body line."""
    out: list[ContributingFactor] = []
    for offset, text, is_bullet in _blocks(section.body):
        line = body_first + offset
        if is_bullet:
            candidates = [clean_inline(text)]
        else:
            candidates = split_sentences(clean_inline(text))
        for cand in candidates:
            m = _LABEL_PREFIX.match(cand)
            if m and classify_heading(m.group(1)) == section.kind:
                cand = cand[m.end():]  # "Root cause: X" under a root cause heading is just X
            if section.kind == "root_cause":
                cand = _strip_why(cand) if "?" in cand else _WHY_LABEL.sub("", cand, count=1) or cand
            if not _worth_keeping(cand):
                continue
            if cue_only and not has_cause_cue(cand):
                continue
            out.append(ContributingFactor(cand, section.kind, line))
    return out


def extract_factors(sections: list[tuple[Section, int]]) -> list[ContributingFactor]:
    """Factors for one incident from (section, first body line) pairs (rule: module docstring)."""
    found = [f for s, first in sections if s.kind in FACTOR_KINDS for f in factors_from_section(s, first)]
    if found:
        return found
    return [
        f for s, first in sections if s.kind in PROSE_KINDS for f in factors_from_section(s, first, cue_only=True)
    ]
