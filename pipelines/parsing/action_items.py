"""Action items from an action-items section: tables, checkboxes and bullets.

- Tables: the header names the columns (`_COLUMNS`): text (Action, Action Item, Task, Item,
  Description, ...), owner (Owner, Who, Assignee, DRI), due (Due, Due Date, Deadline, ETA),
  status (Status, State), priority, kind (Type, Kind, Category), ticket (Bug, Ticket, Issue,
  Link, Jira). Without a recognisable text column the first unmapped column is the text.
- GitHub checkboxes: `- [x]` is done, `- [ ]` is open (unless a marker says otherwise).
- Bullets and numbered items, one item each; indented sub-bullets of the form `Owner: x`,
  `Due: ...`, `Status: ...` attach to their parent. Inside an item: `@owner`, `owner: x`,
  `(due 2024-05-01)`, `due: ...`, `by 2024-05-01`, status markers (`[DONE]`, `TODO`,
  `(in progress)`, `won't fix`, `~~struck through~~` = done, ✅), priority (`P1`,
  `priority: high`), kind (`[prevent]`, `type: detect`) and tickets (`JIRA-123`, `#123`, URLs).
- Fields after the text, between dashes or in brackets: `— @ana — FUL-12 — in progress`,
  `(Bartosz Wiśniewski) — done`, `-- DONE (Inês)`, `— owner TBD`, "(In progress, estimated
  completion: 2024-04-30)". An explicit status word beats the checkbox.
- The item's own ticket is the first reference that is not a mention of other work
  ("superseded by X-1", "covered by #12"); GitHub issue URLs become `#N`, Jira browse URLs
  their key; Phabricator `T12345` ids count.
- A section with no list and no table gives one item per non-empty paragraph line, or, for
  prose (a long paragraph line), one item per commitment sentence ("We will ...", "We have
  ...", "We are ...ing"), apologies and sign-offs left out. `announced_commitments` reads them
  from a write-up with no action-item section.

Status words, "this has been completed" phrases, commitment verbs and ticket-mention cues are
data: action_items.toml (loaded by action_item_words.py). `normalize_status` maps a status as
written to open / in_progress / done / wont_fix; an unknown word is open.
"""

from __future__ import annotations

import re
from datetime import date

from pipelines.model import ActionItem, Section
from pipelines.parsing.action_item_words import item_words
from pipelines.parsing.blocks import Table, code_lines, read_table
from pipelines.parsing.factors import split_sentences
from pipelines.parsing.metadata import parse_date

_COLUMNS: dict[str, str] = {}
for _field, _names in {
    "text": (
        "action", "action item", "action items", "task", "tasks", "item", "items", "description",
        "what", "title", "summary", "follow up", "follow-up", "followup", "remediation",
        "corrective action", "todo", "to do", "action taken", "name", "details", "issue title",
    ),
    "owner": ("owner", "owners", "who", "assignee", "assignees", "assigned to", "responsible", "dri", "owner(s)", "lead"),
    "due": ("due", "due date", "deadline", "eta", "target", "target date", "by when", "when", "due by", "date"),
    "status": ("status", "state", "done", "progress", "done?", "complete", "completed"),
    "priority": ("priority", "prio", "p", "pri", "importance"),
    "kind": ("type", "kind", "category", "class", "action type"),
    "ticket": (
        "bug", "ticket", "issue", "link", "jira", "tracking", "reference", "ref", "url", "pr",
        "tracker", "ticket id", "issue link", "jira ticket", "bug id", "tickets",
    ),
}.items():
    for _n in _names:
        _COLUMNS[_n] = _field

def normalize_status(value: str | None) -> str:
    """open | in_progress | done | wont_fix for a status as written (action_items.toml)."""
    if not value:
        return "open"
    s = value.strip().strip("[]()*_`~ ").lower().replace("’", "'").replace("_", " ")
    statuses = item_words().statuses
    if s in statuses:
        return statuses[s]
    if s.startswith(("done", "complete", "closed", "fixed", "resolved", "shipped")):
        return "done"
    if s.startswith(("won't", "wont", "cancel", "declin", "reject", "obsolete", "not doing", "will not")):
        return "wont_fix"
    if s.startswith(("in progress", "in-progress", "wip", "ongoing", "started")):
        return "in_progress"
    return "open"


def _leading_status(text: str) -> str | None:
    """The status a fragment opens with ("won't fix, covered by #516" -> wont_fix), or None."""
    m = item_words().status_word.match(text.strip().strip("*_`").replace("’", "'"))
    if m is None:
        return None
    rest = text.strip().strip("*_`")[m.end():].lstrip("*_` ")
    if rest and rest[0] not in ",;:(.!" :
        return None
    return normalize_status(m.group(1))


_NO_OWNER = {"", "-", "—", "–", "n/a", "na", "none", "tbd", "tba", "?", "unassigned", "nobody", "unknown", "todo", "-/-"}

_CHECKBOX = re.compile(r"^\[([ xX✓✔])\]\s*")
_BULLET = re.compile(r"^(\s*)(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")
_DATE_TEXT = r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?|\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?:\s+\d{4})?)"
_GROUP = re.compile(r"\[([^\[\]]{1,120})\](?!\()|(?<!\])\(([^()]{1,120})\)")
_PREFIX_STATUS = re.compile(
    r"^(DONE|COMPLETED?|FIXED|CLOSED|TODO|TO ?DO|WIP|IN[ -]PROGRESS|WONT ?FIX|WON'T FIX|WON'T DO)\b\s*[:\-–—]?\s*", re.I
)
_PREFIX_STATUS_MAP = {"todo": "open", "to do": "open", "todo:": "open"}
_EMOJI_STATUS = ((re.compile(r"[✅✔☑]\ufe0f?"), "done"), (re.compile(r"🚧|⏳"), "in_progress"), (re.compile(r"❌|🚫"), "wont_fix"))
_WONT_ANYWHERE = re.compile(r"\b(?:won'?t|won’t|will not) (?:fix|do)\b|\bwontfix\b", re.I)
_KV = re.compile(
    r"(?:^|(?<=[\s(\[,;|]))(owner|owners|assignee|assigned to|who|dri|due|due date|deadline|eta|target|status|state|priority|prio|type|kind|ticket|bug|issue|jira)\s*[:=]\s*"
    r"([^,;()\[\]|]+?)\s*(?=$|[,;)\]|]|\.\s|\.$|\s+(?:owner|due|status|priority|type|ticket)\s*[:=])",
    re.I,
)
_KV_FIELD = {
    "owner": "owner", "owners": "owner", "assignee": "owner", "assigned to": "owner", "who": "owner", "dri": "owner",
    "due": "due", "due date": "due", "deadline": "due", "eta": "due", "target": "due",
    "status": "status", "state": "status", "priority": "priority", "prio": "priority",
    "type": "kind", "kind": "kind", "ticket": "ticket", "bug": "ticket", "issue": "ticket", "jira": "ticket",
}
_MENTION = re.compile(r"(?<![\w.@/])@([A-Za-z0-9](?:[\w.\-/]*[A-Za-z0-9])?)")  # @ana, @ben.c, @org/sre-team
_ASSIGNED = re.compile(r"\b(?:assigned to|owned by)\s+(@?[A-Z][\w.\-]*(?:\s[A-Z][\w\-]*)?)")
_DUE_KEYS = r"(?:due(?:\s+date)?|deadline|eta|target(?:\s+date)?|(?:estimated|expected|target)\s+completion(?:\s+date)?|by)"
_DUE = re.compile(rf"\b{_DUE_KEYS}\s*(?:on\s+)?[:=]?\s*({_DATE_TEXT})(?![\d/])", re.I)
_DATE_ONLY = re.compile(rf"^{_DATE_TEXT}$", re.I)
_OWNER_PART = re.compile(r"^(?:owner|owners|assignee|who|dri|assigned to|owned by)\s*[:=]?\s*(.+)$", re.I)
_DUE_PART = re.compile(rf"^{_DUE_KEYS}\s*(?:on\s+)?[:=]?\s*({_DATE_TEXT})$", re.I)
# "estimated completion: Q4 2024": a due key whose value is not a day gives no due date.
_VAGUE_DUE_PART = re.compile(rf"^{_DUE_KEYS}\s*[:=]?\s*(?:q[1-4]|h[12]|end of|early|mid|late|[a-z]+\s+\d{{4}}$|\d{{4}}$)", re.I)
_PRIORITY_PART = re.compile(r"^(?:priority\s*[:=]?\s*)?(p[0-4]|high|medium|low|critical)(?:\s+priority)?$", re.I)
_KIND_PART = re.compile(r"^(?:(?:type|kind)\s*[:=]\s*(\w[\w -]*)|(prevent(?:ion|ive)?|mitigat(?:e|ion)|detect(?:ion)?|process|repair|investigate|monitoring|alerting|documentation|docs|training|cleanup|test(?:ing)?))$", re.I)
_STATUS_PART = re.compile(r"^(?:status|state)\s*[:=]\s*(.+)$", re.I)
_TICKET_KEY = re.compile(r"\b([A-Z][A-Z0-9]{1,9}-\d{1,7})\b")
_NOT_TICKET = {"UTF", "ISO", "SEV", "SHA", "TLS", "SSL", "HTTP", "IPV", "CVE", "RFC", "AES", "MD", "COVID", "GPT", "US", "EU", "AP", "P", "S", "T", "X", "PR", "UTC", "GMT", "TCP", "UDP", "HTTP2", "H2"}
_ISSUE_NUM = re.compile(r"(?<![\w&/])#(\d{2,7})\b")
_URL = re.compile(r"https?://[^\s)\]>|]+")
_TICKET_ONLY = re.compile(r"^(?:(?:ticket|bug|issue|jira)\s*[:=]?\s*)?(?:[A-Z][A-Z0-9]{1,9}-\d{1,7}|#\d{2,7}|https?://\S+)$")
_TRAILING_TICKET = re.compile(r"(?:^|\s)([A-Z][A-Z0-9]{1,9}-\d{1,7}|#\d{2,7}|https?://\S+)\s*$")
_CELL_STATUS = re.compile(r"(?:\*\*|__)?\b(DONE|TODO|WIP|IN PROGRESS|WON'T FIX|WONTFIX|COMPLETED?|CLOSED)\b(?:\*\*|__)?\s*$")
_BOLD_SPAN = re.compile(r"(\*\*|__)([^*_]{1,30}?)\1")  # "FUL-240 **Done** (superseded ...)"
_LEADING_TICKET = re.compile(r"^([A-Z][A-Z0-9]{1,9}-\d{1,7}|#\d{2,7})(?:\s*[:\-–—]\s*|\s+)(?=\S)")
_TRAILING_PRIORITY = re.compile(r"(?<!\s)\s+\(?(P[0-4])\)?\s*$")  # (?<!\s): linear on space runs
_MD_LINK = re.compile(r"\[([^\[\]]*)\]\(([^()\s]+)[^()]*\)")  # linear on '[' floods
_STRIKE = re.compile(r"^~~(.+)~~$")
_LONE_PUNCT = re.compile(r"(?<=[.!?])(?:\s+[.,;])+(?=\s|$)|(?<!\s)\s+[.,;](?=\s|$)")
_LEAD_JUNK = re.compile(r"^[\s,;:|\-–—]+")
_TRAIL_CHARS = " \t,;:|-–—"  # str.rstrip, not a `[...]+$` search: that is quadratic on long runs


_DIGIT = re.compile(r"\d")
_PHABRICATOR = re.compile(r"(?<![\w/#-])(T\d{4,7})\b")
_GITHUB_ISSUE = re.compile(r"^https?://github\.com/[^/\s]+/[^/\s]+/(?:issues|pull)/(\d+)")
_JIRA_BROWSE = re.compile(r"^https?://[^\s/]+/browse/([A-Z][A-Z0-9]{1,9}-\d{1,7})")
_ANY_KEY = re.compile(r"[A-Z][A-Z0-9]{1,9}-\d|#\d{2}|https?://|\bT\d{4}")


def _references(text: str) -> list[tuple[int, str]]:
    """(position, ticket) for every tracker reference in `text`, in order: Jira-style keys,
    GitHub `#123`, Phabricator `T12345`, and URLs (a GitHub issue URL is `#123`, a Jira browse
    URL its key)."""
    found: list[tuple[int, str]] = []
    if not _DIGIT.search(text):
        return found  # every kind of reference carries a digit
    spans: list[tuple[int, int]] = []
    for m in _URL.finditer(text) if "://" in text else ():
        url = m.group(0).rstrip(".,;")
        gh, jira = _GITHUB_ISSUE.match(url), _JIRA_BROWSE.match(url)
        found.append((m.start(), f"#{gh.group(1)}" if gh else jira.group(1) if jira else url))
        spans.append(m.span())
    inside = (lambda pos: any(a <= pos < b for a, b in spans)) if spans else (lambda pos: False)  # noqa: E731
    for m in _TICKET_KEY.finditer(text):
        if m.group(1).split("-")[0] not in _NOT_TICKET and not inside(m.start()):
            found.append((m.start(), m.group(1)))
    for pattern, fmt in ((_ISSUE_NUM, "#{}"), (_PHABRICATOR, "{}")):
        if (fmt == "#{}" and "#" not in text) or (fmt == "{}" and "T" not in text):
            continue
        for m in pattern.finditer(text):
            if not inside(m.start()):
                found.append((m.start(), fmt.format(m.group(1))))
    return sorted(found)


def _is_mention(text: str, pos: int, ticket: str) -> bool:
    """Whether the reference at `pos` points at other work ("superseded by FUL-240",
    "covered by #516", "PLAT-1050's rollout") rather than being the item's own ticket."""
    before = text[max(0, pos - 40):pos].lower()
    if item_words().mention_before.search(before):
        return True
    after = text[pos + len(ticket):pos + len(ticket) + 2]
    return after in ("'s", "’s")


def _ticket(text: str) -> str | None:
    """The item's own ticket: the first reference that is not a mention of other work."""
    for pos, ticket in _references(text):
        if not _is_mention(text, pos, ticket):
            return ticket
    return None


def _owner(value: str) -> str | None:
    v = value.strip().strip("*_`").strip()
    if v.lower() in _NO_OWNER:
        return None
    v = v.lstrip("@").strip()
    return v or None


def _due(value: str, ref: date | None) -> date | None:
    v = value.strip()
    if not v or v.lower() in _NO_OWNER:
        return None
    if not re.search(r"\d{4}", v) and ref is not None:
        # "May 1" without a year: the incident's year, or the next one if that is earlier.
        d = parse_date(f"{v} {ref.year}")
        if d is not None and d < ref:
            d = parse_date(f"{v} {ref.year + 1}")
        return d
    return parse_date(v)


def _meta_part(part: str) -> tuple[str, str] | None:
    """(field, value) when a fragment such as `@ana`, `due 2024-05-01`, `P1`, `done`,
    `JIRA-12` or `owner: ana` is purely metadata, else None."""
    p = part.strip().strip("*_`").strip()
    if not p:
        return ("", "")
    low = p.lower().replace("’", "'")
    m = _MENTION.fullmatch(p)
    if m:
        return "owner", m.group(1)
    if low in item_words().statuses:
        return "status", low
    if _leading_status(p) is not None and not _ANY_KEY.search(p):
        return "status", item_words().status_word.match(low).group(1)  # "not doing, hubs already have one"
    m = _STATUS_PART.match(p)
    if m:
        return "status", m.group(1)
    m = _DUE_PART.match(p)
    if m:
        return "due", m.group(1)
    if _VAGUE_DUE_PART.match(p):
        return "due", ""  # "estimated completion: Q4 2024": not a day, so no due date
    if _DATE_ONLY.match(p):
        return "due", p
    m = _PRIORITY_PART.match(p)
    if m:
        return "priority", m.group(1)
    m = _KIND_PART.match(p)
    if m:
        return "kind", (m.group(1) or m.group(2))
    if _TICKET_ONLY.match(p) and _ticket(p):
        return "ticket", _ticket(p) or p
    m = _OWNER_PART.match(p)
    if m and len(m.group(1).split()) <= 4:
        return "owner", m.group(1)
    return None


_ANY_META = re.compile(
    r"[\[(@:#~✅✔☑🚧⏳❌🚫=—–]|--|https?://|[A-Z][A-Z0-9]{1,9}-\d|\bT\d{4}|\bP[0-4]\b|(?i:\bwe\b|\bwill\b|\bthis\b)"
    r"|(?i:\b(?:due|by|eta|deadline|target|won|wont|done|todo|wip|wontfix|will not|in[ -]progress|complete[d]?|fixed|closed|cancel+ed|owner|status)\b)"
)


# Separators between an item and its trailing fields: "Do X — @ana — FUL-12 — in progress".
_SEGMENT_SEP = re.compile(r"\s+(?:—|–|--)\s+|\s+-\s+(?=\S)")
_NO_OWNER_TAIL = re.compile(r"[,;]?\s*\(?\b(?:owner\s+(?:tbd|tba|unknown|unassigned)|no\s+owner(?:\s+yet)?)\b\)?\s*$", re.I)
_NAME_PARTICLES = {"van", "de", "der", "den", "da", "do", "dos", "del", "la", "le", "von", "bin", "al", "el", "di", "du", "ter"}
_NOT_NAMES = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
              "january", "february", "march", "april", "june", "july", "august", "september", "october",
              "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
              "high", "low", "medium", "critical", "urgent", "major", "minor", "planned", "optional", "internal",
              "external", "draft", "blocked", "new", "see", "note", "update", "tbd", "prod", "staging"}


def _looks_like_name(text: str) -> bool:
    """"Bartosz Wiśniewski", "Inês", "Siobhán Ó Dónaill", "Fatima Al-Sayed": one to four
    capitalised words (particles allowed inside), no digits, not an acronym or a month."""
    words = text.split()
    if not 1 <= len(words) <= 4 or words[0].lower() in _NOT_NAMES:
        return False
    for k, w in enumerate(words):
        core = w.replace("-", "").replace("'", "").replace("’", "").replace(".", "")
        if not core.isalpha():
            return False
        if k and w.lower() in _NAME_PARTICLES:
            continue
        if not w[0].isupper() or (len(core) > 1 and core.isupper()):
            return False
    return True


def _segment_meta(seg: str) -> tuple[str, str] | None:
    """(field, value) for a trailing fragment that is only metadata: anything `_meta_part`
    reads, a person's name, or a status with its reason ("won't fix, covered by #516")."""
    seg = seg.strip().rstrip("!?.").strip()
    found = _meta_part(seg)
    if found is not None:
        return found
    status = _leading_status(seg)
    if status is not None:
        return "status", status
    if _looks_like_name(seg.strip("*_`")):
        return "owner", seg.strip("*_`")
    return None


def _trailing_segments(text: str, fields: dict[str, str]) -> str:
    """Move the metadata fragments at the end of an item into `fields`; return the rest."""
    parts = _SEGMENT_SEP.split(text)
    if len(parts) < 2:
        return text
    keep = len(parts)
    while keep > 1:
        found = _segment_meta(parts[keep - 1])
        if found is None:
            break
        if found[0]:
            fields.setdefault(found[0], found[1])
        keep -= 1
    if keep == len(parts):
        return text
    # Rebuild the text from the fragments kept, with their original separators.
    pos = 0
    for _ in range(keep):
        m = _SEGMENT_SEP.search(text, pos)
        if m is None:
            return text
        pos = m.end()
        end = m.start()
    return text[:end]


def _status_from_words(text: str) -> str | None:
    """A status the item's own sentences give when no status word does: "This has been
    completed." is done; "We have added ..." done, "We are moving ..." in progress, "We will
    ..." open (action_items.toml [status_phrases] and [prose])."""
    low = text.lower().replace("’", "'")
    if not any(k in low for k in ("we", "team", "will", "this", "change", " on ")):
        return None  # most items are imperatives ("Add an alert"): no commitment verb to read
    words = item_words()
    if words.done_phrases.search(low):
        return "done"
    for status in ("done", "in_progress", "open"):
        if words.prose[status].search(low):
            return status
    return None


def parse_item_text(raw: str, line: int, ref: date | None, status: str | None = None) -> ActionItem | None:
    """One action item from the text of a bullet, checkbox or paragraph line."""
    text = raw.strip()
    if not _ANY_META.search(text):
        # Plain text (most table cells): nothing to extract, skip the marker regexes.
        text = " ".join(text.split()).strip("*_").strip()
        if text.endswith(".") and not text.endswith(".."):
            text = text[:-1].rstrip()
        if len(text) < 3:
            return None
        return ActionItem(text=text, status=status or _status_from_words(text) or "open", line=line)
    checkbox = None
    m = _CHECKBOX.match(text)
    if m:
        checkbox = "open" if m.group(1) == " " else "done"
        text = text[m.end():]
    m = _STRIKE.match(text)
    if m:
        checkbox = "done"
        text = m.group(1)
    fields: dict[str, str] = {}
    link_url: str | None = None
    if "](" in text:
        # Links keep their text; a link's URL is the ticket when nothing better is found.
        m = _MD_LINK.search(text)
        link_url = m.group(2) if m and m.group(2).startswith("http") else None
        text = _MD_LINK.sub(lambda mm: mm.group(1) or mm.group(2), text)
    m = _LEADING_TICKET.match(text)
    if m and _ticket(m.group(1)):
        fields["ticket"] = m.group(1)
        text = text[m.end():]

    def take_group(gm: re.Match[str]) -> str:
        inner = gm.group(1) if gm.group(1) is not None else gm.group(2)
        parts = [_meta_part(x) or (("owner", x.strip()) if _looks_like_name(x.strip()) else None) for x in re.split(r"[,;]", inner)]
        if not parts or any(x is None for x in parts):
            return gm.group(0)
        for x in parts:
            if x and x[0]:
                fields.setdefault(x[0], x[1])
        return " "

    text = _GROUP.sub(take_group, text)
    m = _PREFIX_STATUS.match(text)
    if m:
        word = m.group(1).lower()
        fields.setdefault("status", _PREFIX_STATUS_MAP.get(word, word))
        text = text[m.end():]
    for pattern, st in _EMOJI_STATUS:
        if pattern.search(text):
            fields.setdefault("status", st)
            text = pattern.sub(" ", text)
    m = _NO_OWNER_TAIL.search(text) if "wner" in text or "WNER" in text else None
    if m:
        fields.setdefault("owner", "")
        text = text[: m.start()]
    text = _trailing_segments(text.rstrip(), fields)
    for kv in _KV.finditer(text):
        fields.setdefault(_KV_FIELD[kv.group(1).lower()], kv.group(2).strip())
    text = _KV.sub(" ", text)
    if "owner" in fields and _SEGMENT_SEP.search(fields["owner"]):
        # "Owner: Omar - in progress": the owner, then the status.
        owner, rest = _SEGMENT_SEP.split(fields["owner"], 1)
        fields["owner"] = owner
        tail = _segment_meta(rest) if rest else None
        if tail and tail[0]:
            fields.setdefault(tail[0], tail[1])
    if "owner" not in fields:
        m = _MENTION.search(text) or _ASSIGNED.search(text)
        if m:
            fields["owner"] = m.group(1)
            before, after = text[: m.start()].strip(), text[m.end():].strip(" .,;")
            if not before or not after or _TRAILING_TICKET.fullmatch(" " + after):
                text = text[: m.start()] + " " + text[m.end():]
            else:
                text = text[: m.start()] + m.group(1) + text[m.end():]
    if "due" not in fields:
        m = _DUE.search(text)
        if m and _due(m.group(1), ref) is not None:
            fields["due"] = m.group(1)
            text = text[: m.start()] + text[m.end():]
    text = text.rstrip()
    for _ in range(4):  # "... P2 OPS-1 #12": a few trailing tokens, not an unbounded loop
        m = _TRAILING_TICKET.search(text)
        if m and _ticket(m.group(1)) and not _is_mention(text, m.start(1), m.group(1)):
            fields.setdefault("ticket", m.group(1))
            text = text[: m.start()].rstrip()
            continue
        m = _TRAILING_PRIORITY.search(text)
        if m:
            fields.setdefault("priority", m.group(1))
            text = text[: m.start()].rstrip()
            continue
        break
    if "status" not in fields and _WONT_ANYWHERE.search(text):
        fields["status"] = "won't fix"

    item = ActionItem(text="", line=line)
    item.owner = _owner(fields["owner"]) if "owner" in fields else None
    item.due_date = _due(fields["due"], ref) if "due" in fields else None
    if "status" in fields:
        item.status = normalize_status(fields["status"])
    else:
        item.status = status or checkbox or _status_from_words(text) or "open"
    if "priority" in fields:
        pr = fields["priority"].strip()
        item.priority = pr.upper() if re.fullmatch(r"p[0-4]", pr, re.I) else pr.lower()
    if "kind" in fields:
        item.kind = fields["kind"].strip().lower()
    if "ticket" in fields:
        item.ticket = _ticket(fields["ticket"]) or fields["ticket"].strip() or None
    else:
        item.ticket = _ticket(text) or link_url
    text = re.sub(r"\s+", " ", text)
    text = _LONE_PUNCT.sub("", text)  # what removed "Owner: x." / "Due: y." segments leave behind
    text = _LEAD_JUNK.sub("", text.rstrip(_TRAIL_CHARS)).strip().strip("*_").strip()
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()  # item texts carry no final period ("Do X. Owner: Y.")
    if len(text) < 3:
        return None
    item.text = text
    return item


def _table_items(table: Table, first_line: int, ref: date | None, out: list[ActionItem]) -> None:
    header = [c.strip("*_` ").lower().rstrip(":") for c in table.header]
    cols: dict[str, int] = {}
    for k, h in enumerate(header):
        f = _COLUMNS.get(h) or _COLUMNS.get(re.sub(r"\s*\(.*\)$", "", h))
        if f and f not in cols:
            cols[f] = k
    if "text" not in cols:
        cols["text"] = next((k for k in range(len(header)) if k not in cols.values()), 0)
    for j, row in table.rows:
        cells = list(row)  # status markers are cut out of the cells below
        marker_status = None
        if "status" not in cols:
            # "n/a **DONE**" in a Bug column: a status marker written into some other cell.
            for k, c in enumerate(cells):
                if k == cols["text"]:
                    continue
                m = next((b for b in _BOLD_SPAN.finditer(c) if b.group(2).strip().lower().replace("’", "'") in item_words().statuses), None)
                m = m or _CELL_STATUS.search(c)
                if m:
                    word = m.group(2) if m.re is _BOLD_SPAN else m.group(1)
                    marker_status = marker_status or normalize_status(word)
                    cells[k] = (c[: m.start()] + c[m.end():]).strip()

        def cell(name: str) -> str:
            k = cols.get(name)
            return cells[k].strip() if k is not None and k < len(cells) else ""

        text = cell("text")
        if not text and not any(cells):
            continue
        status_cell = cell("status")
        status = marker_status
        if status_cell:
            cb = _CHECKBOX.match(status_cell + " ")
            status = ("open" if cb.group(1) == " " else "done") if cb else normalize_status(status_cell)
        item = parse_item_text(text, first_line + j, ref, status)
        if item is None:
            continue
        if status is not None:
            item.status = status
        if cell("owner"):
            item.owner = _owner(_MD_LINK.sub(lambda mm: mm.group(1), cell("owner")))
        if cell("due"):
            item.due_date = _due(cell("due"), ref) or item.due_date
        if cell("priority"):
            item.priority = cell("priority").strip("*_` ") or item.priority
        if cell("kind"):
            item.kind = cell("kind").strip("*_` ").lower() or item.kind
        if cell("ticket"):
            tk = cell("ticket")
            item.ticket = _ticket(tk) or (tk.strip("*_` ") if tk.strip("*_` ").lower() not in _NO_OWNER else None)
        out.append(item)


def extract_action_items(body: str, first_line: int, ref: date | None = None) -> list[ActionItem]:
    """Action items from a section body; `first_line` is the 1-based line of body line 0."""
    lines = body.split("\n")
    items: list[ActionItem] = []
    paragraph: list[tuple[int, str]] = []
    has_list = False
    i, n = 0, len(lines)
    top_indent: int | None = None
    parent: ActionItem | None = None
    wrapped: dict[int, tuple[ActionItem, list[str]]] = {}
    code = code_lines(lines)
    while i < n:
        line = lines[i]
        s = line.strip()
        if code[i] or not s:
            i += 1
            continue
        table = read_table(lines, i)
        if table is not None:
            has_list = True
            _table_items(table, first_line, ref, items)
            i = table.end
            parent = None
            continue
        m = _BULLET.match(line)
        if m:
            has_list = True
            indent = len(m.group(1).expandtabs(4))
            if top_indent is None or indent < top_indent:
                top_indent = indent
            if indent > top_indent + 1 and parent is not None:
                _attach_sub_item(parent, m.group(2), ref)
            else:
                item = parse_item_text(m.group(2), first_line + i, ref)
                if item is not None:
                    items.append(item)
                parent = item
            i += 1
            continue
        if parent is not None and line[:1] in (" ", "\t"):
            # Wrapped continuation of the previous bullet (joined once at the end).
            if not _attach_sub_item(parent, s, ref):
                wrapped.setdefault(id(parent), (parent, []))[1].append(s)
        elif not s.startswith(("#", "|", ">")):
            paragraph.append((i, s))
            parent = None
        i += 1
    for item, parts in wrapped.values():
        item.text = " ".join([item.text, *parts]).strip()
    if not has_list:
        items.extend(_paragraph_items(paragraph, first_line, ref))
    return items


def _runs(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Paragraphs: runs of consecutive line numbers."""
    out: list[list[tuple[int, str]]] = []
    for k, s in lines:
        if out and out[-1][-1][0] == k - 1:
            out[-1].append((k, s))
        else:
            out.append([(k, s)])
    return out


def is_commitment(sentence: str) -> bool:
    """Whether a sentence commits the team to work ("We will ...", "We have added ...",
    "X will be rolled out ...") and is not an apology, a thank-you or an introduction."""
    words = item_words()
    low = sentence.strip().lower().replace("’", "'")
    if words.not_items.search(low):
        return False
    return any(words.prose[s].search(low) for s in ("done", "in_progress", "open")) or bool(words.done_phrases.search(low))


def _paragraph_items(lines: list[tuple[int, str]], first_line: int, ref: date | None) -> list[ActionItem]:
    """Items of a section with no list or table. Short lines are one item each ("Add an alert
    on disk usage."); prose (a paragraph with a long line, as AWS and GCP reports write their
    commitments) gives one item per commitment sentence, and nothing for apologies or sign-offs."""
    runs = _runs(lines)
    prose = any(len(s) > 160 for _, s in lines)
    items: list[ActionItem] = []
    for run in runs:
        if not prose:
            for k, s in run:
                if s.endswith(":"):
                    continue
                item = parse_item_text(s, first_line + k, ref)
                if item is not None:
                    items.append(item)
            continue
        items.extend(commitment_items(" ".join(s for _, s in run), first_line + run[0][0], ref))
    return items


def commitment_items(paragraph: str, line: int, ref: date | None) -> list[ActionItem]:
    """One item per commitment sentence of a prose paragraph (see `is_commitment`)."""
    out = []
    for sentence in split_sentences(paragraph):
        if is_commitment(sentence):
            item = parse_item_text(sentence, line, ref)
            if item is not None:
                out.append(item)
    return out


def announced_commitments(sections: list[tuple[Section, int]], ref: date | None) -> list[ActionItem]:
    """Commitments in a write-up with no action-item section: the sentences after one that
    announces them ("Here is what we are changing.") in the same paragraph, or in the next
    paragraph when the announcement ends its own."""
    words = item_words()
    for sec, first in sections:
        if sec.kind in ("action_items", "timeline", "what_went_well", "what_went_poorly", "where_we_got_lucky"):
            continue
        paragraphs = sec.body.split("\n\n")
        offset = 0
        for n, para in enumerate(paragraphs):
            sentences = split_sentences(" ".join(para.split()))
            for k, sentence in enumerate(sentences):
                if words.announce.search(sentence.lower().replace("’", "'")):
                    rest = " ".join(sentences[k + 1:])
                    line = first + offset
                    if not rest and n + 1 < len(paragraphs):
                        rest = " ".join(paragraphs[n + 1].split())
                        line = first + offset + para.count("\n") + 2
                    found = commitment_items(rest, line, ref)
                    if found:
                        return found
            offset += para.count("\n") + 2
    return []


def _attach_sub_item(parent: ActionItem, text: str, ref: date | None) -> bool:
    """Apply an `Owner: x` / `Due: y` / `Status: z` sub-line to its parent item; False when
    the line holds none of those (then it is wrapped text or a nested note)."""
    found = False
    for kv in _KV.finditer(text):
        field, value = _KV_FIELD[kv.group(1).lower()], kv.group(2).strip()
        found = True
        if field == "owner":
            parent.owner = _owner(value) or parent.owner
        elif field == "due":
            parent.due_date = _due(value, ref) or parent.due_date
        elif field == "status":
            parent.status = normalize_status(value)
        elif field == "priority":
            parent.priority = value
        elif field == "kind":
            parent.kind = value.lower()
        elif field == "ticket":
            parent.ticket = _ticket(value) or value
    return found
