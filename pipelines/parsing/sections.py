"""Split a Markdown body into sections and map each heading to a canonical kind.

The scanner is line based (see parse_markdown's docstring for why not a full Markdown
tokenizer): it knows ATX (`## x`) and setext (`x` over `===`/`---`) headings, whole-line bold
headings (`**Root cause**`), bold or plain labels with text after the colon (`**Root cause:**
a bad config`) when the label names a known section, and `Label:` alone on a line. Lines of
fenced code blocks and pipe tables (both found by parsing/blocks.py) are never headings.

Heading -> kind (`classify_heading`): the heading is normalized (numbering such as `3.`,
`III.` or `a)`, emoji, punctuation and a trailing colon removed, lowercased) and looked up in
`_PHRASES`; failing that, keyword rules in `_RULES` are tried in order; failing that, each
word is corrected to the closest vocabulary word (difflib, ratio >= 0.8) and both steps are
retried, so "Root Casue" and "Timline" still land. Anything else is `other`.

A sub-heading (deeper than the section it sits in) whose kind is `other` or the parent's own
kind stays part of its parent section, so date headings inside a timeline or "Why did X?"
headings inside a root cause section do not split them. Bold-line headings are weak: one of
the same kind as the section it sits in (`## Root cause` then `**Root cause:** ...`) or a
bold date inside a timeline also joins the section.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.parsing.blocks import code_lines, read_table
from pipelines.parsing.metadata import canonical_field
from pipelines.model import Section

_PHRASES: dict[str, str] = {}
for _kind, _phrases in {
    "summary": (
        "summary", "incident summary", "executive summary", "overview", "incident overview",
        "tldr", "tl dr", "what happened", "description", "incident description",
        "context", "synopsis", "abstract", "introduction", "intro", "issue summary", "brief",
        "short summary", "problem", "problem statement", "the problem", "issue", "the issue",
        "what happened and why", "incident", "details", "incident details",
    ),
    "timeline": (
        "timeline", "incident timeline", "timeline of events", "sequence of events", "chronology",
        "events", "detailed timeline", "timeline utc", "time line", "how did we respond",
        "how we responded",
    ),
    "impact": (
        "impact", "customer impact", "user impact", "business impact", "impact assessment",
        "scope", "blast radius", "who was affected", "affected users", "affected services",
        "impact and scope", "severity and impact",
    ),
    "root_cause": (
        "root cause", "root causes", "root cause analysis", "rca", "cause", "causes",
        "contributing factors", "contributing factor", "contributing causes", "five whys", "5 whys",
        "why", "whys", "fault", "the fault", "cause of the incident", "what went wrong and why",
        "root cause and contributing factors", "technical details", "analysis", "investigation",
        "causal analysis", "underlying cause", "underlying causes",
    ),
    "trigger": ("trigger", "triggers", "leadup", "lead up", "lead-up", "what triggered it", "triggering event"),
    "detection": (
        "detection", "how was it detected", "how we detected it", "how it was detected",
        "discovery", "alerting", "monitoring", "identification", "time to detect",
    ),
    "resolution": (
        "resolution", "recovery", "response", "mitigation", "resolution and recovery",
        "remediation steps", "fix", "the fix", "how it was fixed", "how we fixed it",
        "response and recovery", "incident response", "mitigation and resolution", "restoration",
        "how was it resolved", "resolution steps", "workaround",
    ),
    "what_went_well": (
        "what went well", "things that went well", "went well", "what worked", "wins", "successes", "good",
        "what went right", "went right", "things that went right", "what went ok", "things that went ok", "went ok",
    ),
    "what_went_poorly": (
        "what went wrong", "what went poorly", "what didnt go well", "what did not go well",
        "things that went wrong", "what could have gone better", "what could be improved",
        "what didnt work", "what did not work", "what didnt go so well", "what did not go so well", "went wrong", "went poorly", "areas for improvement",
        "problems encountered", "challenges", "opportunities for improvement", "what was difficult",
        "where we struggled", "bad", "what could have been better", "not ok", "what didnt go ok",
        "things that didnt go ok", "what did not go ok",
    ),
    "where_we_got_lucky": ("where we got lucky", "where we were lucky", "lucky", "we got lucky", "luck"),
    "action_items": (
        "action items", "action item", "actions", "follow up", "follow ups", "followups",
        "follow up tasks", "follow up actions", "follow up items", "corrective actions",
        "corrective action", "corrective measures", "remediation", "remediations",
        "remediation items", "preventive measures", "preventative measures", "prevention",
        "next steps", "todo", "to do", "tasks", "repair items", "action plan", "improvements",
        "preventive actions", "preventative actions", "action items and follow up",
        "what we are doing about it", "what were doing about it", "how we will prevent this",
        "going forward", "future work", "fixes", "actionables", "ais", "changes we are making",
        "what we are changing", "how are we making incidents like this less likely or less impactful",
        "how we are making incidents like this less likely",
    ),
    "lessons_learned": (
        "lessons learned", "lessons learnt", "lessons", "learnings", "key learnings",
        "takeaways", "key takeaways", "hows we do", "howd we do", "how did we do", "retrospective",
        "reflection", "reflections", "discussion", "conclusion", "conclusions", "what surprised us",
        "surprises", "what we learned",
    ),
    "other": (
        "responders", "participants", "people involved", "references", "links", "appendix",
        "supporting information", "glossary", "metadata", "related incidents", "attachments",
        "notes", "incident details table", "contacts", "owner", "authors", "review", "background",
        "questions", "open questions", "the story", "human error", "key information",
        "how can customers make incidents like this less impactful",
    ),
}.items():
    for _p in _phrases:
        _PHRASES[_p] = _kind

# Ordered: the first rule whose pattern occurs in the normalized heading wins.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), k)
    for p, k in (
        (r"\blucky\b|\bluck\b", "where_we_got_lucky"),
        (r"went well|what worked|\bgood\b", "what_went_well"),
        (r"went (?:wrong|poorly|badly)|didn ?t go well|did not go well|could (?:have )?(?:gone|been|be) (?:better|improved)|didn ?t work|needs improvement", "what_went_poorly"),
        (r"^how can customers|\bquestions?$", "other"),
        (r"action item|follow ?ups?\b|corrective|remediation|preventi|next steps|to ?do\b|repair item|action plan"
         r"|\bless likely\b|changes we (?:are|re) making", "action_items"),
        (r"lesson|learning|takeaway|how ?d (?:\w+ ){0,2}do\b|how did (?:\w+ ){0,2}do\b", "lessons_learned"),
        (r"time ?line|chronolog|sequence of events", "timeline"),
        (r"root ?cause|contributing|\bwhys?\b|\bcauses?\b|\bfault\b|\brca\b", "root_cause"),
        (r"trigger|lead ?up", "trigger"),
        (r"detect|discover|alerting", "detection"),
        (r"resolution|recover|mitigat|resolv|response|restor|\bfix", "resolution"),
        (r"\bimpact\b|affected|blast radius", "impact"),
        (r"summary|overview|tl ?dr|what happened|description", "summary"),
    )
)

_VOCAB = sorted({w for p in _PHRASES for w in p.split() if len(w) >= 4})

_NUMBERING = re.compile(
    r"^(?:(?:\d+(?:\.\d+)*|[ivxlc]+|[a-z])[.)]\s+|\d+(?:\.\d+)+\s+|\d+\s+(?=[a-z])|(?:section|part|step)\s+\d+[.:)]?\s+)",
    re.I,
)
_NON_WORD = re.compile(r"[^a-z0-9' ]+")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=8192)
def normalize_heading(heading: str) -> str:
    text = heading.strip().lower()
    text = _NUMBERING.sub("", text)
    text = text.replace("’", "'").replace("&", " and ").replace("/", " ")
    text = _NON_WORD.sub(" ", text).replace("'", "")
    text = _SPACES.sub(" ", text).strip()
    text = _NUMBERING.sub("", text)  # numbering after an emoji ("🔥 2. Impact")
    if text.startswith("the "):
        text = text[4:]
    return text


def _lookup(norm: str) -> str | None:
    if norm in _PHRASES:
        return _PHRASES[norm]
    for pattern, kind in _RULES:
        if pattern.search(norm):
            return kind
    return None


@lru_cache(maxsize=8192)
def classify_heading(heading: str) -> str:
    """The canonical section kind for a heading as written (see module docstring)."""
    norm = normalize_heading(heading)
    if not norm:
        return "other"
    kind = _lookup(norm)
    if kind:
        return kind
    words = norm.split()
    if len(words) > 5:
        # Typo-tolerance is for section headings, which are short; titles are long and
        # unique, and fuzzy-matching each of them would dominate the parse time.
        return "other"
    close = difflib.get_close_matches(norm, _PHRASES.keys(), n=1, cutoff=0.85)
    if close:
        return _PHRASES[close[0]]
    fixed = []
    for w in words:
        if len(w) >= 4 and w not in _VOCAB:
            m = difflib.get_close_matches(w, _VOCAB, n=1, cutoff=0.8)
            fixed.append(m[0] if m else w)
        else:
            fixed.append(w)
    return _lookup(" ".join(fixed)) or "other"


def is_known_heading(label: str) -> bool:
    """Whether a short label (from `**Label:**` or `Label:`) names a section, exactly or by rule.

    A metadata key (`**Detected:** 06:46 UTC`, `**Resolved:** ...`) is a heading only when it is
    also exactly a section name (`**Summary:** ...`)."""
    norm = normalize_heading(label)
    if not norm or len(norm.split()) > 5:
        return False
    if canonical_field(label) not in (None, "summary"):
        # "**Incident:** INC-219", "**Status:** Closed": a field with its value, not a section.
        return False
    return norm in _PHRASES and _PHRASES[norm] != "other" or classify_heading(label) != "other"


# ---- scanning ----------------------------------------------------------------------------


@dataclass(slots=True)
class Heading:
    line_index: int  # 0-based index into the body lines
    level: int  # 1-6; bold and label headings count as level 7 (deepest)
    text: str
    inline: str | None = None  # text after `**Label:**` on the same line
    body_index: int = -1  # first body line (after a setext underline); -1 = next line

    def body_start(self) -> int:
        return self.body_index if self.body_index >= 0 else self.line_index + 1


_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_BOLD_LINE = re.compile(r"^ {0,3}(?:\*\*|__)([^*_\n]{1,80}?)(?:\*\*|__)\s*:?\s*$")
_BOLD_LABEL = re.compile(r"^ {0,3}(?:\*\*|__)([^*_\n]{1,60}?)(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:)\s*(.*)$")
_PLAIN_LABEL = re.compile(r"^([A-Z][A-Za-z' /&\-]{1,40}):\s*(.*)$")
_ALL_CAPS = re.compile(r"^[A-Z][A-Z0-9 &/,'()\-]{2,70}[A-Z)?]\s*$")
_LISTISH = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|\||>)")


def find_headings(lines: list[str]) -> list[Heading]:
    """Every heading in `lines`, outside fenced code blocks and tables."""
    out: list[Heading] = []
    code = code_lines(lines)
    table_end = 0
    prev_para = False  # previous line is paragraph text (a setext candidate)
    for i, line in enumerate(lines):
        s = line.lstrip()
        if code[i] or not s:
            prev_para = False
            continue
        first = s[0]
        indent = len(line) - len(s)
        if first == "#":
            m = _ATX.match(line)
            if m:
                text = (m.group(2) or "").strip()
                if text:
                    out.append(Heading(i, len(m.group(1)), text))
                prev_para = False
                continue
        if i >= table_end and "|" in line:
            table = read_table(lines, i)
            table_end = table.end if table is not None else table_end
        if i < table_end:  # a table's rows are never headings
            prev_para = False
            continue
        if prev_para and first in "=-":
            m = _SETEXT.match(line)
            if m and len(s.strip()) >= 2:
                out.append(Heading(i - 1, 1 if m.group(1)[0] == "=" else 2, lines[i - 1].strip(), None, i + 1))
                prev_para = False
                continue
        if first in "*_" and s[1:2] == first:
            m = _BOLD_LINE.match(line)
            words = len(m.group(1).split()) if m else 0
            # A long bold line is a heading when it names a section or asks the question a
            # section answers ("**How can customers make incidents like this less impactful?**").
            long_ok = m is not None and words <= 14 and (m.group(1).rstrip().endswith("?") or classify_heading(m.group(1)) != "other")
            if m and (words <= 8 or long_ok) and not m.group(1).rstrip().endswith("."):
                out.append(Heading(i, 7, m.group(1).strip().rstrip(":").strip()))
                prev_para = False
                continue
            m = _BOLD_LABEL.match(line)
            if m and m.group(2) and is_known_heading(m.group(1)):
                out.append(Heading(i, 7, m.group(1).strip(), inline=m.group(2).strip()))
                prev_para = False
                continue
        elif first.isupper() and indent == 0 and not prev_para and _ALL_CAPS.match(s) and classify_heading(s) != "other":
            # "ROOT CAUSE" on a line of its own: public cloud reports use plain capitals as headings.
            out.append(Heading(i, 2, s.strip()))
            prev_para = False
            continue
        elif first.isupper() and indent == 0 and ":" in line[:44]:
            m = _PLAIN_LABEL.match(line)
            if m and _plain_label_is_heading(m.group(1), m.group(2)):
                out.append(Heading(i, 7, m.group(1).strip(), inline=m.group(2).strip() or None))
                prev_para = False
                continue
        # Lines that cannot be the text of a setext heading: lists, tables, quotes, code, HTML.
        if first in "-*+|><!" or indent >= 4 or (first.isdigit() and _LISTISH.match(line)):
            prev_para = False
        else:
            prev_para = True
    return out


def _plain_label_is_heading(label: str, rest: str) -> bool:
    norm = normalize_heading(label)
    if not norm or len(norm.split()) > (6 if not rest else 4):
        return False
    if not rest:
        # A label alone on its line ("What didn't go so well:") reads as a heading.
        return classify_heading(label) != "other"
    # With text after the colon only exact vocabulary counts: "Note: ..." must stay prose, and a
    # metadata field with its value ("Affected services: checkout") is metadata, not a section.
    if canonical_field(label) not in (None, "summary"):
        return False
    kind = _PHRASES.get(norm)
    if kind is None or kind == "other":
        return False
    if norm in ("issue", "problem", "description", "details", "incident", "context", "cause", "why",
                "good", "bad", "fix", "events", "scope", "analysis", "brief", "luck", "tasks",
                "response", "prevention", "improvements", "actions", "fixes", "investigation", "todo", "to do"):
        return not rest  # ambiguous words count only as a label alone on its line
    return True


def split_sections(lines: list[str], line_offset: int, headings: list[Heading]) -> list[tuple[Section, int]]:
    """(section, 1-based source line of its first body line) for each section.

    `line_offset` is the 0-based source line of lines[0]. Text before the first heading
    becomes a `summary` section with an empty heading.
    """
    out: list[tuple[Section, int]] = []
    bounds = [h.line_index for h in headings] + [len(lines)]
    start = _skip_blank(lines, 0, bounds[0])
    if start < bounds[0]:
        sec = Section("summary", "", _trim_end(lines[start : bounds[0]]), line_offset + start + 1)
        out.append((sec, line_offset + start + 1))
    # Bodies are joined once at the end: (section, body start, inline text, body end).
    spans: list[tuple[Section, int, str | None, int]] = []
    current: Section | None = None
    current_level = 0
    for n, h in enumerate(headings):
        body_start = h.body_start()
        end = bounds[n + 1]
        kind = classify_heading(h.text)
        if current is not None and (
            (kind in ("other", current.kind) and h.level > current_level)
            or (kind == "other" and current.kind == "timeline" and any(c.isdigit() for c in h.text))
            or (h.level == 7 and kind == current.kind)  # "## Root cause" then "**Root cause:** ..."
        ):
            # Sub-heading inside a known section: keep the parent's kind; the body runs on.
            sec, b, inline, _ = spans[-1]
            spans[-1] = (sec, b, inline, end)
            continue
        if h.inline:
            b, first = body_start, line_offset + h.line_index + 1
        else:
            b = _skip_blank(lines, body_start, end)
            first = line_offset + b + 1
        current = Section(kind, _clean_heading(h.text), "", line_offset + h.line_index + 1)
        current_level = h.level if kind != "other" else 99
        spans.append((current, b, h.inline, end))
        out.append((current, first))
    for sec, b, inline, end in spans:
        body = lines[b:end]
        sec.body = _trim_end([inline, *body] if inline else body)
    return out


def _skip_blank(lines: list[str], i: int, end: int) -> int:
    while i < end and not lines[i].strip():
        i += 1
    return i


_HEADING_MARKUP_CHARS = "*_`"


_HEADING_LINK = re.compile(r"\[([^\[\]]*)\]\([^()]*\)")
_HEADING_ATTR = re.compile(r"\s*\{#[^}]*\}\s*$")


def _clean_heading(text: str) -> str:
    """The heading as written, minus Markdown wrapping: bold, links, `{#anchor}` attributes."""
    if "[" in text or "{" in text:
        text = _HEADING_ATTR.sub("", _HEADING_LINK.sub(r"\1", text))
    return text.strip().strip(_HEADING_MARKUP_CHARS).strip().rstrip(":").strip()


def _trim_end(lines: list[str]) -> str:
    end = len(lines)
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[:end])
