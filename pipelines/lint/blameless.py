"""The blameless-language rule engine, plus the other word lists the linter reads from TOML.

Rules live in `lint_rules.toml` (the project's defaults) and can be extended by a team's own
file. Matching runs on *prose* only: `prose_lines` drops code blocks, block quotes and HTML
comments and blanks out inline code and quoted text, so a quoted customer complaint or a
`failed to` in a log line is never read as the author's words.

The hard part is "failed to": "the deploy failed to complete" is a fact, "the engineer failed
to check" is blame. Rules can therefore ask for the *subject* of the phrase, found by walking
back from the match to the nearest content word of the same clause and classifying it as a
person (role, first name, @handle), a machine (job, deploy, pod ...), collective/nobody
("we", "the team", "no one") or unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipelines.model import Incident
from pipelines.parsing.blocks import code_lines, code_spans
from pipelines.tuning import read_toml

DEFAULT_RULES_PATH = Path(__file__).with_name("lint_rules.toml")
# Put in front of known first names before matching. A letter (so `\b` before a marked name
# still works) that English prose never contains.
NAME_MARK = "\u01c2"
_FLAGS = re.I


class LazyPattern:
    """A regex compiled on first use: a clean postmortem never needs most rules' main pattern
    (their `requires` pre-check fails first), and compiling them all cost a pre-commit hook
    tens of milliseconds. Rule files from teams are compiled eagerly, to report errors early."""

    def __init__(self, source: str, where: str) -> None:
        self.source = source
        self.where = where
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            try:
                self._compiled = re.compile(self.source, _FLAGS)
            except re.error as exc:
                raise ValueError(f"bad regex in {self.where}: {exc}") from exc
            # Plain attributes from now on: `__getattr__` on every search of every line added up.
            self.search = self._compiled.search
            self.finditer = self._compiled.finditer
            self.groupindex = self._compiled.groupindex
        return self._compiled

    def __getattr__(self, name: str):  # search, finditer, groupindex ... of the compiled regex
        return getattr(self.compiled(), name)


@dataclass(frozen=True)
class BlameRule:
    id: str
    severity: str
    pattern: LazyPattern
    message: str
    suggestion: str
    subject: str | None = None  # None | "person" | "not-system"
    human_verb_group: int | None = None
    unless_before: re.Pattern[str] | None = None
    unless_after: re.Pattern[str] | None = None
    # Matched against the next sentence, which may be on the next line: a phrase raised only to
    # be rejected there ("It would be easy to call this human error. We don't think that is fair").
    unless_next: re.Pattern[str] | None = None
    possessive_not_system: bool = False
    requires: re.Pattern[str] | None = None  # cheap pre-check: skip the line unless this matches
    object_person: bool = False  # the phrase must end in a person ("caused by the engineer", not "... the Kubernetes operator")


@dataclass(frozen=True)
class BlameHit:
    rule: str
    severity: str
    line: int | None
    phrase: str
    message: str
    suggestion: str


@dataclass
class RuleSet:
    rules: list[BlameRule]
    roles: frozenset[str]
    names: frozenset[str]  # as written (case-sensitive)
    names_pattern: re.Pattern[str] | None
    not_person: frozenset[str]
    system_nouns: frozenset[str]
    operator_modifiers: frozenset[str]
    agent_modifiers: frozenset[str]
    human_verbs: tuple[str, ...]
    vague: list[re.Pattern[str]]
    admonitions: list[re.Pattern[str]]
    concrete: list[re.Pattern[str]]
    preventive_kinds: frozenset[str]
    non_preventive_kinds: frozenset[str]
    preventive: list[re.Pattern[str]]
    not_preventive: list[re.Pattern[str]]
    rca_person_actions: LazyPattern
    rca_systemic: LazyPattern
    disabled: frozenset[str] = field(default_factory=frozenset)
    # Union of every active rule's `requires`: one search rules out a line for all rules at once
    # (None when some rule has no `requires`, so every line must be tried).
    trigger: re.Pattern[str] | None = None

    # --- action items ---

    def is_vague(self, text: str) -> bool:
        text = " ".join(text.split())
        if any(p.search(text) for p in self.admonitions):
            return True
        return any(p.search(text) for p in self.vague) and not any(p.search(text) for p in self.concrete)

    def is_preventive(self, kind: str | None, text: str) -> bool:
        if kind:
            k = " ".join(kind.lower().replace("_", " ").replace("-", " ").split())
            if k in self.preventive_kinds or any(k.startswith(p) for p in self.preventive_kinds):
                return True
            if k in self.non_preventive_kinds or any(k.startswith(p) for p in self.non_preventive_kinds):
                return False
        text = " ".join(text.split())
        if any(p.search(text) for p in self.not_preventive):
            return False
        return any(p.search(text) for p in self.preventive)

    # --- subjects ---

    def subject_kind(self, before: str) -> str:
        """Classify the subject of a phrase from the text before it: person|system|none|unknown."""
        parts = _CLAUSE_SPLIT.split(before)
        clauses, delimiters = parts[0::2], parts[1::2]
        clause = clauses[-1]
        # "The person who wrote the migration forgot to": the subject is the word before "who".
        relative = _RELATIVE.search(clause)
        if relative:
            clause = clause[: relative.start()]
        words = _SUBJECT_WORD.findall(clause)
        for i in range(len(words) - 1, -1, -1):
            kind = self._word_kind(words, i)
            if kind != "skip":
                return kind
        # No subject of its own: "The engineer restarted the pod and failed to check the logs"
        # shares the subject of the clause before a coordinating conjunction, which is the first
        # recognisable word of that clause.
        for k in range(len(clauses) - 2, -1, -1):
            if delimiters[k].strip().lower() not in _COORDINATING:
                break
            words = _SUBJECT_WORD.findall(clauses[k])
            kinds = [self._word_kind(words, i) for i in range(len(words))]
            for i, kd in enumerate(kinds):
                if kd in ("skip", "unknown"):
                    continue
                # A compound ends in its head noun: "the network engineer", "the database admin".
                if kd == "system" and i + 1 < len(kinds) and kinds[i + 1] == "person":
                    return "person"
                return kd
            if any(kd == "unknown" for kd in kinds):
                return "unknown"
        return "unknown"

    def _word_kind(self, words: list[str], i: int) -> str:
        """person|system|none|unknown for words[i], or "skip" for auxiliaries and determiners."""
        raw = re.sub(r"['’]s$", "", words[i].rstrip(".")).rstrip("'’")  # "engineer's", "engineers'"
        low = raw.lower()
        if low in _SKIP_WORDS:
            return "skip"
        if low in self.not_person or (i > 0 and f"{words[i - 1].lower()} {low}" in self.not_person):
            return "none"
        if raw.startswith(("@", NAME_MARK)) or raw in self.names:
            return "person"
        if i > 0 and raw[:1].isupper() and words[i - 1].rstrip(".").lstrip(NAME_MARK) in self.names:
            return "person"  # "Alice Chen"
        prev = words[i - 1] if i > 0 else ""
        prev_low = prev.lower().strip("(")
        if low in ("operator", "operators"):
            # "the Kubernetes operator", "postgres-operator": software, not a person.
            if prev_low in self.operator_modifiers or "-" in prev or (prev[:1].isupper() and prev_low not in ("the", "an", "a", "our")):
                return "system"
            return "person"
        if low in ("agent", "agents") and prev_low in self.agent_modifiers:
            return "person"  # "the support agent", unlike "the monitoring agent"
        if low.endswith("-operator"):
            return "system"
        if low in self.roles:
            return "person"
        if low in self.system_nouns:
            return "system"
        return "unknown"

    def _human_verb(self, verb: str) -> bool:
        verb = verb.lower()
        return any(verb == v or verb.startswith(v + " ") or verb.split()[0] == v for v in self.human_verbs)

    # --- scanning ---

    def mark_names(self, text: str) -> str:
        if self.names_pattern is None or NAME_MARK in text:
            return text
        return self.names_pattern.sub(lambda m: NAME_MARK + m.group(0), text)

    def scan_line(self, text: str, following: str = "") -> list[tuple[BlameRule, str]]:
        """Blameful phrases in one line of prose, as (rule, phrase); overlapping matches keep the
        first rule. `following` is the prose after the line (the rest of its paragraph), for
        rules that look at the next sentence."""
        # `requires` patterns run case-sensitively on the lowercased line: several times faster
        # than re.IGNORECASE on alternations of words.
        low = text.lower()
        if self.trigger is not None and not self.trigger.search(low):
            return []  # most lines of a postmortem contain none of the trigger words
        text = self.mark_names(text)
        hits: list[tuple[BlameRule, str, int, int]] = []
        for rule in self.rules:
            if rule.id in self.disabled or (rule.requires is not None and not rule.requires.search(low)):
                continue
            for m in rule.pattern.finditer(text):
                start, end = m.span()
                if any(start < e and s < end for _, _, s, e in hits):
                    continue
                sentence_before = _SENTENCE_SPLIT.split(text[:start])[-1]
                after = text[end:]
                after_sentence = _SENTENCE_SPLIT.split(after)[0]
                if rule.unless_before is not None and rule.unless_before.search(sentence_before):
                    continue
                if rule.unless_after is not None and rule.unless_after.search(after_sentence):
                    continue
                if rule.unless_next is not None and rule.unless_next.search(_next_sentence(after, following)):
                    continue
                if rule.possessive_not_system:
                    owner = _POSSESSIVE.search(m.group(0))
                    if owner and (owner.group(1).lower() in self.system_nouns or owner.group(1).lower() in self.not_person):
                        continue
                if rule.object_person and self.subject_kind(text[: end] + " ") not in ("person", "unknown"):
                    continue
                if rule.subject is not None:
                    # A pattern can capture its own subject ("If (?P<subject>Oluwaseun) had read ...").
                    own = m.end("subject") if "subject" in rule.pattern.groupindex and m.group("subject") else None
                    kind = self.subject_kind(text[:own] + " " if own is not None else sentence_before)
                    if rule.subject == "person":
                        verb = m.group(rule.human_verb_group) if rule.human_verb_group else None
                        ok = kind == "person" or (kind == "unknown" and verb is not None and self._human_verb(verb))
                    else:  # not-system
                        ok = kind in ("person", "unknown")
                    if not ok:
                        continue
                hits.append((rule, m.group(0), start, end))
        hits.sort(key=lambda h: h[2])
        return [(rule, phrase.replace(NAME_MARK, "")) for rule, phrase, _, _ in hits]

    def person_as_root_cause(self, body: str) -> str | None:
        """The phrase by which a root-cause text stops at a person, or None when it goes further.

        It stops at a person when a sentence names human error or a person's action as the cause
        and the rest of the section adds no other cause (see `[rca]` in lint_rules.toml).
        """
        personal: list[str] = []
        rest: list[str] = []
        for _, line in prose_lines(body):
            for sentence in _SENTENCE_SPLIT.split(line):
                if not sentence.strip():
                    continue
                phrase = None
                for rule, found in self.scan_line(sentence):
                    if rule.id in ("blameless/human-error", "blameless/person-as-cause", "blameless/fault"):
                        phrase = found
                        break
                if phrase is None:
                    marked = self.mark_names(sentence)
                    m = self.rca_person_actions.search(marked)
                    if m and self.subject_kind(marked[: m.start()] + " " + m.group(0).split()[0]) == "person":
                        phrase = m.group(0).replace(NAME_MARK, "")
                if phrase is not None:
                    personal.append(phrase)
                else:
                    rest.append(sentence)
        rest = [s for s in rest if len(s.split()) >= 4]
        if personal and (not rest or (len(rest) <= len(personal) and not any(self.rca_systemic.search(s) for s in rest))):
            return personal[0]
        return None


# Split with the delimiter kept (one capturing group), so subject_kind can see which conjunction
# joined two clauses.
_CLAUSE_SPLIT = re.compile(
    r"([,;:!?()\[\]]|\.(?:\s|$)|\s[-–—]\s|\b(?:and|but|because|so|when|while|although|though|since|then|after|before|until|if|unless|or|where|whereas|once|yet)\b)",
    re.I,
)
_COORDINATING = frozenset({"and", "but", "or", "then", "yet"})
_RELATIVE = re.compile(r"\s(?:who|whom|whose)\s", re.I)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;])\s+|\s+[-–—]\s+")
_SUBJECT_WORD = re.compile(rf"[@{NAME_MARK}]?[\w][\w'’.-]*")
_POSSESSIVE = re.compile(r"([\w-]+)(?:'s|s')\s+fault", re.I)
# Words skipped when looking back for the subject: auxiliaries, adverbs, determiners.
_SKIP_WORDS = frozenset(
    """had has have also then again repeatedly initially simply subsequently apparently unfortunately clearly
    still just both all allegedly ultimately obviously completely totally once twice never ever was were is
    are been being later first previously originally already even itself themselves himself herself the a an
    really actually likely probably certainly sadly evidently mistakenly unknowingly accidentally
    inadvertently consistently earlier briefly immediately""".split()
)

# --- prose extraction ---------------------------------------------------------------------

_BLOCKQUOTE = re.compile(r"^\s{0,3}>")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|„[^“”\n]*[“”]|«[^»\n]*»|‘[^’\n]*’|(?<![\w'])'[^'\n]+?'(?![\w'])")
# `[text](url)` keeps its text. The link target is optional in the pattern so that a `[` which
# starts no link consumes its whole bracket run and the scan resumes after it: requiring the
# target made `re` rescan to the line end from every `[` of a flood (quadratic, seconds per KB).
# Same matches as `!?\[([^\]\n]*)\]\([^)\n]*\)`: every `[` of a run fails at the same `]`.
_LINK = re.compile(r"!?\[([^\]\n]*)(\]\([^)\n]*\))?")
_URL = re.compile(r"https?://\S+")
_COMMENT_INLINE = re.compile(r"<!--.*?-->")
_FRONT_PROSE_KEY = re.compile(
    r"^(summary|description|root_cause|root[ _-]cause|cause|impact|title|lessons(?:_learned)?)\s*:\s*(.*)$", re.I
)


_QUOTE_CHARS = re.compile("[\"“„«‘']")


def _mask_inline_code(line: str) -> str:
    """Replace each `code` span with a marker."""
    out: list[str] = []
    pos = 0
    for start, end in code_spans(line):
        out.append(line[pos:start])
        out.append(" xcode ")
        pos = end
    out.append(line[pos:])
    return "".join(out)


def _link_text(m: re.Match[str]) -> str:
    return m.group(1) if m.group(2) else m.group(0)


def mask_prose(line: str) -> str:
    """Blank out what is not the author's own prose in one line: inline code, quotes, URLs."""
    # Each substitution runs only when its marker character is on the line: most lines have
    # none, and five regex passes over every line were a tenth of the lint time.
    if "<!--" in line:
        line = _COMMENT_INLINE.sub(" ", line)
    if "`" in line:
        line = _mask_inline_code(line)
    if "](" in line:
        line = _LINK.sub(_link_text, line)
    if "://" in line:
        line = _URL.sub(" ", line)
    if _QUOTE_CHARS.search(line):
        line = _QUOTED.sub(" xquote ", line)
    return line.replace("’", "'").replace("**", "").replace("__", "")


def prose_lines(markdown: str) -> list[tuple[int, str]]:
    """(1-based line, masked prose) for every line of `markdown` that is the author's prose."""
    lines = markdown.splitlines()
    out: list[tuple[int, str]] = []
    i = 0
    if lines and lines[0].strip() == "---":
        end = next((j for j in range(1, len(lines)) if lines[j].strip() in ("---", "...")), None)
        if end is not None:
            j = 1
            while j < end:
                m = _FRONT_PROSE_KEY.match(lines[j])
                if m:
                    value = m.group(2).strip()
                    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                        value = value[1:-1]  # a YAML-quoted scalar, not a quotation
                    if value and value not in ("|", ">", "|-", ">-"):
                        out.append((j + 1, mask_prose(value)))
                    j += 1
                    while j < end and lines[j][:1] in (" ", "\t"):
                        out.append((j + 1, mask_prose(lines[j].strip())))
                        j += 1
                    continue
                j += 1
            i = end + 1
    code = code_lines(lines[i:])  # a fence in the front matter is no fence
    in_comment = False
    prev_blank = True
    prev_listish = False
    for n in range(i, len(lines)):
        if code[n - i]:
            continue
        line = lines[n]
        stripped = line.strip()
        if in_comment:
            if "-->" in line:
                in_comment = False
                line = line.split("-->", 1)[1]
            else:
                continue
        if "<!--" in line and "-->" not in line.split("<!--", 1)[1]:
            in_comment = True
            line = line.split("<!--", 1)[0]
        if _BLOCKQUOTE.match(line):
            prev_blank = False
            continue
        # An indented block after a blank line is code, unless it continues a list.
        if stripped and (line.startswith("    ") or line.startswith("\t")) and prev_blank and not prev_listish:
            continue
        if not stripped:
            prev_blank = True
            continue
        prev_listish = bool(_LIST_ITEM.match(line)) or (prev_listish and line[:1] in (" ", "\t"))
        prev_blank = False
        out.append((n + 1, mask_prose(line)))
    return out


# --- loading ------------------------------------------------------------------------------


def _merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for table in ("people", "systems", "action_items", "rca"):
        if table in extra:
            t = dict(merged.get(table, {}))
            for key, value in extra[table].items():
                if isinstance(value, list):
                    t[key] = list(t.get(key, [])) + list(value)
                else:
                    t[key] = value
            merged[table] = t
    rules = {r["id"]: r for r in merged.get("blameless", [])}
    for r in extra.get("blameless", []):
        if "id" not in r:
            raise ValueError("every [[blameless]] rule needs an id")
        rules[r["id"]] = {**rules.get(r["id"], {}), **r}
    merged["blameless"] = list(rules.values())
    merged["disable"] = list(merged.get("disable", [])) + list(extra.get("disable", []))
    return merged


def _trie(words: set[str], *, loose_spaces: bool = False, shortest: bool = False) -> str:
    """Words as one regex factored as a prefix trie. Python's `re` tries a flat alternation
    branch by branch at every position, which made the person rules and the union of all
    `requires` the slowest parts of lint; a trie gives up on a position after one character.

    Optional endings are greedy, so the longest word matches first. `loose_spaces`: a space
    in a word matches any run of white space. `shortest`: stop at the first word that ends,
    for a yes/no search, where the longer words after it add nothing."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        if shortest and "" in node:
            return ""
        branches = [(r"\s+" if loose_spaces and ch == " " else re.escape(ch)) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return "(?:" + emit(trie) + ")"


def _person_alternation(roles: list[str]) -> str:
    role_alt = _trie({r.lower() for r in roles if r}, loose_spaces=True)
    # Known names are marked with NAME_MARK by `mark_names` before matching: one alternation of
    # a few hundred names compiled once, not once per rule (that costs a pre-commit hook 0.3 s).
    return rf"(?:@[\w.-]+|{NAME_MARK}\w+|(?:{role_alt})\b)"


def _names_pattern(names: list[str]) -> re.Pattern[str] | None:
    if not names:
        return None
    # Case-sensitive on purpose: names count only capitalised, so "jack up the limit" is no person.
    # A prefix trie, not a flat alternation (which `re` tried name by name at every position of
    # every line): greedy optional endings try the longest name first, as the alternation sorted
    # longest first did.
    return re.compile(rf"(?<![\w@{NAME_MARK}]){_trie(set(names))}\b")


def _compile(pattern: str, person: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern.replace("{PERSON}", person), _FLAGS)
    except re.error as exc:
        raise ValueError(f"bad regex in {where}: {exc}") from exc


def _build(cfg: dict) -> RuleSet:
    people = cfg.get("people", {})
    systems = cfg.get("systems", {})
    items = cfg.get("action_items", {})
    rca = cfg.get("rca", {})
    # A person is a role or a name, but never one of the collective words ("team", "we").
    roles = [r for r in people.get("roles", []) if r.lower() not in {w.lower() for w in people.get("not_person", [])}]
    person = _person_alternation(roles)
    rules: list[BlameRule] = []
    for r in cfg.get("blameless", []):
        where = f"rule {r.get('id')}"
        severity = r.get("severity", "warning")
        if severity not in ("info", "warning", "error"):
            raise ValueError(f"{where}: severity must be info, warning or error, not {severity!r}")
        subject = r.get("subject")
        if subject not in (None, "person", "not-system"):
            raise ValueError(f"{where}: subject must be 'person' or 'not-system', not {subject!r}")
        rules.append(
            BlameRule(
                id=r["id"],
                severity=severity,
                pattern=LazyPattern(r["pattern"].replace("{PERSON}", person), where),
                message=r.get("message", "blameful wording"),
                suggestion=r.get("suggestion", "describe the conditions and the system, not the person"),
                subject=subject,
                human_verb_group=r.get("human_verb_group"),
                unless_before=_compile(r["unless_before"], person, where) if r.get("unless_before") else None,
                unless_after=_compile(r["unless_after"], person, where) if r.get("unless_after") else None,
                unless_next=_compile(r["unless_next"], person, where) if r.get("unless_next") else None,
                possessive_not_system=bool(r.get("possessive_not_system", False)),
                requires=_compile_lower(r["requires"], where) if r.get("requires") else None,
                object_person=bool(r.get("object_person", False)),
            )
        )
    # Severity order first so an error-level rule wins an overlap ("careless mistake").
    rank = {"error": 0, "warning": 1, "info": 2}
    rules.sort(key=lambda r: rank[r.severity])
    return RuleSet(
        rules=rules,
        roles=frozenset(r.lower() for r in roles),
        names=frozenset(people.get("names", [])),
        names_pattern=_names_pattern(people.get("names", [])),
        not_person=frozenset(w.lower() for w in people.get("not_person", [])),
        system_nouns=frozenset(w.lower() for w in systems.get("nouns", [])),
        operator_modifiers=frozenset(w.lower() for w in systems.get("operator_modifiers", [])),
        agent_modifiers=frozenset(w.lower() for w in people.get("agent_modifiers", [])),
        human_verbs=tuple(v.lower() for v in systems.get("human_verbs", [])),
        vague=[_compile(p, person, "action_items.vague") for p in items.get("vague", [])],
        admonitions=[_compile(p, person, "action_items.admonitions") for p in items.get("admonitions", [])],
        concrete=[_compile(p, person, "action_items.concrete") for p in items.get("concrete", [])],
        preventive_kinds=frozenset(k.lower() for k in items.get("preventive_kinds", [])),
        non_preventive_kinds=frozenset(k.lower() for k in items.get("non_preventive_kinds", [])),
        preventive=[_compile(p, person, "action_items.preventive") for p in items.get("preventive", [])],
        not_preventive=[_compile(p, person, "action_items.not_preventive") for p in items.get("not_preventive", [])],
        rca_person_actions=LazyPattern(rca.get("person_actions", r"(?!x)x").replace("{PERSON}", person), "rca.person_actions"),
        rca_systemic=LazyPattern(rca.get("systemic", r"(?!x)x").replace("{PERSON}", person), "rca.systemic"),
        disabled=frozenset(cfg.get("disable", [])),
        trigger=_trigger(cfg.get("blameless", []), set(cfg.get("disable", []))),
    )


def _trigger(rules: list[dict], disabled: set[str]) -> re.Pattern[str] | None:
    active = [r for r in rules if r.get("id") not in disabled]
    if not active or any(not r.get("requires") for r in active):
        return None
    return _compile_lower("|".join(f"(?:{r['requires']})" for r in active), "the union of `requires`")


_PLAIN = re.compile(r"[a-z0-9 '-]+")
_NOT_FACTORABLE = re.compile(r"(?<!\\)\((?!\?:)")  # capturing groups, flags, look-arounds


def _factored(pattern: str) -> str:
    """A regex that `search`es true on exactly the lines `pattern` does, with the plain-word
    branches of its alternation merged into a prefix trie: `re` tries a flat alternation branch
    by branch at every position, which made the union of all `requires` a third of the blameless
    scan. Only for yes/no tests: the match itself can differ (a trie stops at the shortest word)."""
    if _NOT_FACTORABLE.search(pattern) or not _balanced(pattern):
        return pattern
    branches: list[str] = []
    for part in _split_top(pattern):
        whole_group = part.startswith("(?:") and part.endswith(")") and _balanced(part[3:-1])
        branches.extend(_split_top(part[3:-1]) if whole_group else [part])
    plain = {b for b in branches if _PLAIN.fullmatch(b)}
    if len(plain) < 2:
        return pattern
    return "|".join([_trie(plain, shortest=True)] + [b for b in branches if b not in plain])


def _scan(pattern: str) -> tuple[list[int], bool]:
    """Positions of the top-level `|`s of a regex, and whether its groups and classes close;
    escapes and character classes are skipped."""
    bars: list[int] = []
    depth = 0
    escaped = in_class = False
    closes = True
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            closes = closes and depth >= 0
        elif ch == "|" and depth == 0:
            bars.append(i)
    return bars, closes and depth == 0 and not in_class


def _balanced(pattern: str) -> bool:
    return _scan(pattern)[1]


def _split_top(pattern: str) -> list[str]:
    bars = _scan(pattern)[0]
    return [pattern[start + 1 : end] for start, end in zip([-1, *bars], [*bars, len(pattern)])]


def _compile_lower(pattern: str, where: str) -> re.Pattern[str]:
    """A `requires` pre-check: matched case-sensitively against the lowercased line."""
    try:
        re.compile(pattern)  # a team's typo is reported against what they wrote
        return re.compile(_factored(pattern))
    except re.error as exc:
        raise ValueError(f"bad regex in {where}: {exc}") from exc


def _read(path: Path) -> dict:
    return read_toml(path, "the blameless-language rules")


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    return _build(_read(DEFAULT_RULES_PATH))


def load_rules(extra: Path | None = None) -> RuleSet:
    """The default rules, extended by a team's TOML file when given."""
    cfg = _read(DEFAULT_RULES_PATH)
    if extra is None:
        return _build(cfg)
    rules = _build(_merge(cfg, _read(Path(extra))))
    for lazy in [r.pattern for r in rules.rules] + [rules.rca_person_actions, rules.rca_systemic]:
        lazy.compiled()  # a team's typo should fail when the file is loaded, naming the rule
    return rules


# --- scanning documents -------------------------------------------------------------------


def _next_sentence(after: str, following: str) -> str:
    """The sentence after the one a match is in: later on its line, else on the next line."""
    parts = _SENTENCE_SPLIT.split(after, maxsplit=1)
    rest = parts[1] if len(parts) > 1 else ""
    if not rest.strip():
        rest = following
    return _SENTENCE_SPLIT.split(rest.strip(), maxsplit=1)[0][:300]


def scan_text(markdown: str, rules: RuleSet | None = None, first_line: int | None = 1) -> list[BlameHit]:
    """Blameful phrases in a Markdown text; lines are offset so `first_line` is the text's first line."""
    rules = rules or default_rules()
    hits: list[BlameHit] = []
    lines = prose_lines(markdown)
    for k, (n, line) in enumerate(lines):
        # The next prose line of the same paragraph, for rules that read the next sentence.
        following = lines[k + 1][1] if k + 1 < len(lines) and lines[k + 1][0] == n + 1 else ""
        for rule, phrase in rules.scan_line(line, following):
            hits.append(
                BlameHit(
                    rule.id,
                    rule.severity,
                    None if first_line is None else n + first_line - 1,
                    " ".join(phrase.split()),
                    rule.message,
                    rule.suggestion,
                )
            )
    return hits


def scan_incident(incident: Incident, rules: RuleSet | None = None) -> list[BlameHit]:
    """Blameful phrases in an incident: its Markdown source, or its fields when it came from an export."""
    rules = rules or default_rules()
    if incident.raw_text.strip():
        return scan_text(incident.raw_text, rules)
    # Exports have no source lines worth pointing at; report without a line.
    texts = [incident.summary or ""]
    texts += [s.body for s in incident.sections]
    texts += [e.text for e in incident.timeline]
    texts += [a.text for a in incident.action_items]
    texts += [f.text for f in incident.factors]
    seen: set[tuple[str, str]] = set()
    hits: list[BlameHit] = []
    for text in texts:
        for hit in scan_text(text, rules, first_line=None):
            key = (hit.rule, hit.phrase.lower())
            if key not in seen:
                seen.add(key)
                hits.append(hit)
    return hits
