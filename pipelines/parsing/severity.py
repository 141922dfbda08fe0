"""Severity: the mapping from words and numbers to SEV1..SEV4 (data in severity.toml), and the
places a postmortem states its severity besides a metadata field.

`normalize_severity(value)` reads one value as written (`S2`, `Level 2 (Major)`, `sev/3`, 3).
`claims_in_text(...)` finds severity statements in prose and timelines: a level declared ("we
declared a Severity 3 event", "classified internally as P2"), a change during the incident
("raised from Minor to Major", "escalated to SEV-1"), a level in the title ("(SEV-1, 2025-03-06)").
`impact_table_claim(...)` reads PagerDuty's "Time in SEV-n" table: the highest level that has
any time in it. `choose(claims)` applies the precedence documented in severity.toml and
docs/parsing.md: the last change during the incident, else a stated severity (front matter,
export record, metadata field, label, title, in that order), else one declared in prose, else
the impact table, else a bare mention, else a priority.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipelines.model import SEVERITIES
from pipelines.tuning import read_toml

DEFAULT_SEVERITY_PATH = Path(__file__).with_name("severity.toml")
SEVERITY_MAP_ENV = "HINDSIGHT_SEVERITY_MAP"


@dataclass(frozen=True)
class SeverityMap:
    numbers: dict[int, str]
    words: dict[str, str]  # lowercased word -> SEV1..SEV4
    severity_prefixes: tuple[str, ...]
    priority_prefixes: tuple[str, ...]
    raise_verbs: tuple[str, ...]
    lower_verbs: tuple[str, ...]
    declare_verbs: tuple[str, ...]

    def __post_init__(self) -> None:
        # Compiled once per map; the dataclass is frozen, so set through object.__setattr__.
        words = "|".join(sorted((re.escape(w) for w in self.words), key=len, reverse=True)) or "(?!)"
        prefixes = "|".join(
            sorted((re.escape(p).replace(r"\ ", r"[\s_\-]*") for p in self.severity_prefixes + self.priority_prefixes), key=len, reverse=True)
        )
        object.__setattr__(self, "_number_re", re.compile(rf"^(?:({prefixes})[\s\-_:/#]*)?([0-9])(?!\w)", re.I))
        object.__setattr__(self, "_word_re", re.compile(rf"\b({words})\b", re.I))
        object.__setattr__(self, "_later_number_re", re.compile(r"\b(sev(?:erity)?|p|s|level)[\s\-_]?([0-9])\b", re.I))
        object.__setattr__(self, "_words_alt", words)

    def read(self, text: str) -> tuple[str | None, bool]:
        """(level or None, whether the value is a priority rather than a severity)."""
        low = text.strip().lower()
        m = self._number_re.match(low)  # type: ignore[attr-defined]
        if m:
            prefix = re.sub(r"[\s_\-]+", " ", m.group(1) or "").strip()
            return self.number(int(m.group(2))), prefix in self.priority_prefixes
        m = self._word_re.search(low)  # type: ignore[attr-defined]
        if m:
            return self.words[m.group(1).lower()], False
        m = self._later_number_re.search(low)  # "Incident severity: SEV-2 (major)"
        if m:
            return self.number(int(m.group(2))), m.group(1).lower() == "p"
        return None, False

    def number(self, n: int) -> str | None:
        """The level of a numbered severity; numbers past the table's largest are its lowest level."""
        if n in self.numbers:
            return self.numbers[n]
        return self.numbers[max(self.numbers)] if self.numbers and n > max(self.numbers) else None


def _read_toml(path: Path) -> dict[str, Any]:
    return read_toml(path, "the severity map", hint=f"; fix the file named by ${SEVERITY_MAP_ENV}")


def _check_level(level: object, where: str) -> str:
    if level not in SEVERITIES:
        raise ValueError(f"{where}: level must be one of {', '.join(SEVERITIES)}, not {level!r}")
    return str(level)


def load_severity_map(extra: Path | str | None = None) -> SeverityMap:
    """The default map (severity.toml), with a team's file applied on top when given: its words
    and numbers move to the level it names, its prefixes and verbs are added."""
    cfgs = [(DEFAULT_SEVERITY_PATH, _read_toml(DEFAULT_SEVERITY_PATH))]
    if extra:
        cfgs.append((Path(extra), _read_toml(Path(extra))))
    numbers: dict[int, str] = {}
    words: dict[str, str] = {}
    lists: dict[str, list[str]] = {k: [] for k in ("severity", "priority", "raise", "lower", "declare")}
    for path, cfg in cfgs:
        for key, level in cfg.get("numbers", {}).items():
            if not str(key).isdigit() or len(str(key)) != 1:
                raise ValueError(f"{path}: [numbers] keys are single digits, not {key!r}")
            numbers[int(key)] = _check_level(level, f"{path}: [numbers] {key}")
        for level, names in cfg.get("words", {}).items():
            _check_level(level, f"{path}: [words]")
            for word in names:
                words[str(word).strip().lower()] = level
        for table, keys in (("prefixes", ("severity", "priority")), ("statements", ("raise", "lower", "declare"))):
            for key in keys:
                for value in cfg.get(table, {}).get(key, []):
                    v = str(value).strip().lower()
                    if v and v not in lists[key]:
                        lists[key].append(v)
    return SeverityMap(
        numbers=numbers,
        words=words,
        severity_prefixes=tuple(lists["severity"]),
        priority_prefixes=tuple(lists["priority"]),
        raise_verbs=tuple(lists["raise"]),
        lower_verbs=tuple(lists["lower"]),
        declare_verbs=tuple(lists["declare"]),
    )


@lru_cache(maxsize=1)
def severity_map() -> SeverityMap:
    """The map parsing uses: severity.toml plus the team file named by $HINDSIGHT_SEVERITY_MAP."""
    return load_severity_map(os.environ.get(SEVERITY_MAP_ENV) or None)


def normalize_severity(value: object) -> tuple[str | None, str | None]:
    """(SEV1..SEV4 or None, the value as written or None)."""
    level, raw, _ = read_severity(value)
    return level, raw


def read_severity(value: object) -> tuple[str | None, str | None, bool]:
    """(level, raw, is_priority) for a metadata value: a string, or a number from JSON/YAML."""
    if value is None or isinstance(value, bool):
        return None, None, False
    if isinstance(value, (int, float)):
        raw = str(int(value)) if float(value).is_integer() else str(value)
        if value < 0 or not float(value).is_integer():
            return None, raw, False
        return severity_map().number(int(value)), raw, False
    raw = str(value).strip()
    if not raw:
        return None, None, False
    level, priority = _read_cached(raw.lower())
    return level, raw, priority


@lru_cache(maxsize=1024)
def _read_cached(low: str) -> tuple[str | None, bool]:
    return severity_map().read(low)


# ---- claims: where a document states its severity -----------------------------------------


@dataclass(frozen=True)
class SeverityClaim:
    level: str
    raw: str
    source: str  # a FIELD_SOURCES kind
    line: int | None
    kind: str  # stated | change | declared | table | mention | priority
    order: float = 0.0  # for changes: when it happened (event time or document position)


# Which stated source wins when several state a severity.
_STATED_ORDER = ("front_matter", "record", "metadata", "label", "title")


def choose(claims: list[SeverityClaim]) -> SeverityClaim | None:
    """The severity of the incident from every claim found (see module docstring)."""
    if not claims:
        return None
    changes = [c for c in claims if c.kind == "change"]
    if changes:
        return max(changes, key=lambda c: c.order)
    stated = [c for c in claims if c.kind == "stated"]
    if stated:
        return min(stated, key=lambda c: (_STATED_ORDER.index(c.source) if c.source in _STATED_ORDER else 9, c.line or 0))
    for kind in ("declared", "table", "mention"):
        found = [c for c in claims if c.kind == kind]
        if found:
            return min(found, key=lambda c: c.line or 0)
    priorities = [c for c in claims if c.kind == "priority"]
    if priorities:
        return min(priorities, key=lambda c: (0 if c.source in _STATED_ORDER else 1, c.line or 0))
    return None


def _patterns(smap: SeverityMap) -> dict[str, re.Pattern[str]]:
    cached = smap.__dict__.get("_statement_patterns")
    if cached is None:
        cached = _compile_patterns(smap)
        object.__setattr__(smap, "_statement_patterns", cached)
    return cached


def _compile_patterns(smap: SeverityMap) -> dict[str, re.Pattern[str]]:
    words = smap._words_alt  # type: ignore[attr-defined]
    # A level as prose writes it: "SEV-2", "Severity 3", "sev2", "Level 2", "P1", or a word.
    # "Level N" is left out of prose: "escalated to level 2 support" is not a severity.
    number = r"(?:sev(?:erity)?)[\s\-_]*[0-5](?![\d:]|\.\d)"
    level = rf"(?:(?i:{number})|P[0-4](?![\w-])|(?i:{words})(?![\w-]))"
    alt = lambda verbs: "|".join(re.escape(v) for v in sorted(verbs, key=len, reverse=True)) or "(?!)"  # noqa: E731
    return {
        "change": re.compile(
            rf"(?i:\b(?P<verb>{alt(smap.raise_verbs + smap.lower_verbs)})\b)[^.;!?\n]{{0,60}}?\bto\s+(?:an?\s+|the\s+)?(?P<to>{level})",
        ),
        "declare": re.compile(
            rf"(?i:\b(?P<verb>{alt(smap.declare_verbs)})\b)[^.;!?\n]{{0,50}}?\b(?:as|at)?\s*(?:an?\s+|the\s+)?(?P<to>{level})",
        ),
        "number": re.compile(rf"(?i:\b{number})"),
        "priority": re.compile(r"(?i:\bpriority)\s*:?\s*(?P<to>P[0-4]\b|(?i:" + words + r")\b)"),
        "title": re.compile(r"(?i:\b(?:sev(?:erity)?|level)[\s\-_]*[0-5](?!\d))"),
    }


# Cheap pre-check on lower-cased text (a case-insensitive alternation is several times slower):
# most lines of a postmortem name no level at all.
HINT = re.compile(r"sev|p[0-4]|priority|critical|major|minor|high|medium|low|moderate")
_SEV_WORD = re.compile(r"\b(?:sev|severity|priority)\b", re.I)
_HYPOTHETICAL = re.compile(r"\b(?:would|should|could|might|if|whether)\b|\?\s*$", re.I)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")


def _level_of(token: str, smap: SeverityMap) -> tuple[str | None, bool]:
    token = token.strip()
    if re.fullmatch(r"P[0-4]", token):
        return smap.numbers.get(int(token[1])), True
    return smap.read(token)


def claims_in_line(text: str, line: int | None, source: str, order: float = 0.0) -> list[SeverityClaim]:
    """Severity statements in one line of prose or one timeline event."""
    if not HINT.search(text.lower()):
        return []
    smap = severity_map()
    pats = _patterns(smap)
    out: list[SeverityClaim] = []
    for k, sentence in enumerate(_SENTENCE.split(text)):
        if _HYPOTHETICAL.search(sentence):
            continue
        taken: list[tuple[int, int]] = []
        for m in pats["change"].finditer(sentence):
            token = m.group("to")
            level, priority = _level_of(token, smap)
            if level is None:
                continue
            if token[:1].isalpha() and not re.match(r"(?i)sev|p\d", token) and not (
                _SEV_WORD.search(sentence) or re.search(rf"(?i)\bfrom\s+\w+\s+to\s+{re.escape(token)}", sentence)
            ):
                continue  # "traffic dropped to low" is not a severity; "severity raised to High" is
            kind = "priority" if priority else "change"
            out.append(SeverityClaim(level, token, source, line, kind, order + k / 100))
            taken.append(m.span())
        for m in pats["declare"].finditer(sentence):
            if any(a <= m.start("to") < b for a, b in taken):
                continue
            token = m.group("to")
            level, priority = _level_of(token, smap)
            if level is None:
                continue
            if token[:1].isalpha() and not re.match(r"(?i)sev", token):
                # A bare word ("opened as Critical") must be about the incident's level.
                after = sentence[m.end():m.end() + 20].lower()
                if not re.match(r"\s*(?:incident|event|outage|severity|sev\b|priority)", after) and not re.search(r"\b(?:incident|severity)\b", sentence[: m.start("to")], re.I):
                    continue
            out.append(SeverityClaim(level, token, source, line, "priority" if priority else "declared"))
            taken.append(m.span())
        for m in pats["priority"].finditer(sentence):
            if any(a <= m.start("to") < b for a, b in taken):
                continue
            level, _ = _level_of(m.group("to"), smap)
            if level is not None:
                out.append(SeverityClaim(level, m.group(0), source, line, "priority"))
        if not taken:
            for m in pats["number"].finditer(sentence):
                if sentence[max(0, m.start() - 9):m.start()].lower().rstrip().endswith("time in"):
                    continue  # PagerDuty's "Time in SEV-1" columns: impact_table_claim reads those
                level, _ = smap.read(m.group(0))
                if level is not None:
                    out.append(SeverityClaim(level, m.group(0), source, line, "mention"))
                    break
    return out


def title_claim(title: str | None) -> SeverityClaim | None:
    """`(SEV-1, 2025-03-06)`, `[SEV2] ...`, `Severity 1: ...` in a title."""
    if not title or not re.search(r"(?i)sev|level", title):
        return None
    m = _patterns(severity_map())["title"].search(title)
    if m is None:
        return None
    level, _ = severity_map().read(m.group(0))
    return SeverityClaim(level, m.group(0), "title", None, "stated") if level else None


_TIME_IN = re.compile(r"(?i)time\s+(?:in|at|spent\s+(?:in|at))\s+(?:sev(?:erity)?|level|p)[\s\-_]*([0-5])")
_DURATION_DIGIT = re.compile(r"[1-9]")


def impact_table_claim(header: list[str], rows: list[list[str]], line: int | None) -> SeverityClaim | None:
    """PagerDuty's impact table: a column per level ("Time in SEV-2") holding a duration; the
    highest level with a non-zero duration is the incident's severity."""
    levels: list[tuple[int, int]] = []
    for k, cell in enumerate(header):
        m = _TIME_IN.search(cell)
        if m:
            levels.append((int(m.group(1)), k))
    if not levels:
        return None
    smap = severity_map()
    for number, k in sorted(levels):
        if any(k < len(r) and _DURATION_DIGIT.search(r[k]) for r in rows):
            level = smap.numbers.get(number)
            if level:
                return SeverityClaim(level, header[k].strip("*_ "), "metadata", line, "table")
    return None
