"""Affected services and the owning team, as the document writes them (display names kept:
"Platform Engineering", "Payments Hub"); mapping them to catalog slugs is not done here.

- A services value written as a sentence fragment is split into names: "Storefront API (where the
  preference lives) and Warehouse Picking" -> ["Storefront API", "Warehouse Picking"]. A bracketed
  remark is dropped, and a service the remark says was not affected ("payments-gw (unaffected)",
  "checkout (fine)") is left out. "Accounts & Login" stays one name.
- A team value loses its bracketed remark: "Core Infrastructure (k8s platform on-call)".
- Sign-offs name the team when no field does: "Prepared by Payments & Checkout.", a closing
  "— The Shopping Experience team" (a trailing clause such as ", with help from ..." dropped), or
  "Written by Ana for the Search team" at the top or the end.
- Without any of those, a sentence that says which team responded: "the Money & Payments team led
  the response", "the Search on-call was paged", "we paged the Search on-call" (`responding_team`;
  the phrases are data, names.toml [team_cues]).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipelines.tuning import read_toml

_PAREN = re.compile(r"\s*\(([^()]*)\)")
_UNAFFECTED = re.compile(
    r"(?:un-?affected|not\s+(?:affected|impacted)|no\s+impact|(?:was\s+|were\s+)?(?:fine|ok|okay|healthy)|"
    r"behaved\s+correctly|worked\s+(?:normally|as\s+designed)|kept\s+working)",
    re.I,
)
_SAID_UNAFFECTED = re.compile(
    r"^(?:not\s+(?:affected|impacted)|unaffected)\b|\b(?:was|were|is|are|stayed|remained)\s+(?:not\s+(?:affected|impacted)|unaffected|fine|ok|healthy|up)\b",
    re.I,
)
_SEPARATORS = re.compile(r"[,;]")
_AND = re.compile(r"\s+(?:and|plus)\s+", re.I)
_TEAM_TAIL = re.compile(r"\s+(?:team|squad)$", re.I)
_BY = r"^(?:prepared|written|compiled|authored|drafted)\s+by\s+"
_PREPARED = re.compile(_BY + r"(?:the\s+)?(.{2,80}?)\s*\.?$", re.I)
# "Written by Ana Costa for the Search team": the team the author wrote for.
_WRITTEN_FOR = re.compile(_BY + r".{1,80}?\s+(?:for|on\s+behalf\s+of)\s+(?:the\s+)?(.{2,60}?)\s*\.?$", re.I)
_SIGN_OFF = re.compile(r"^(?:—|–|--|-)\s*(?:the\s+)?(.{2,200}?)\s*\.?$", re.I)
# Where a sign-off's team name ends: "— The Growth team, with help from the Identity on-call".
_SIGN_OFF_TAIL = re.compile(r"\s*(?:[,;(]|\s(?:with|and\s+(?:the\s+)?[a-z]+\s+from|on\s+behalf\s+of|together\s+with)\s).*$", re.I)
# A sign-off's name is capitalised words ("Larkspur Growth Engineering team", "Payments &
# Checkout"), or a few words ending in "team" ("the payments team"); not a sentence.
_NAME_WORDS = re.compile(
    r"^(?:the\s+)?[A-Z][\w.'-]*(?:\s+(?:&|and|of|[A-Z][\w.'-]*))*(?:\s+(?i:team|squad|group|crew))?$"
    r"|^(?i:the\s+)?[\w&.'-]+(?:\s+[\w&.'-]+){0,2}\s+(?i:team|squad|group|crew)$"
)
_TEAMISH = re.compile(r"\b(?:team|engineering|group|squad|department|operations|infrastructure|platform)\b", re.I)


def split_names(value: str) -> list[str]:
    """Comma- or semicolon-separated parts, ignoring separators inside brackets."""
    if "(" not in value:
        return [p.strip() for p in _SEPARATORS.split(value) if p.strip()]
    parts, depth, current = [], 0, []
    for ch in value:
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if ch in ",;" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def service_names(value: str) -> list[str]:
    """The service names of one written value (see module docstring)."""
    if "(" not in value and " " not in value.strip():
        name = value.strip().strip("*_`\"'.").strip()
        return [name] if name else []  # "booking-api": the common case, nothing to split
    # Bracketed remarks out of the way first, so "(driver app and its backend)" is not split.
    remarks: list[str] = []

    def hide(m: re.Match[str]) -> str:
        remarks.append(m.group(1))
        return f" \x00{len(remarks) - 1}\x00"

    hidden = _PAREN.sub(hide, value)
    out: list[str] = []
    for part in _AND.split(hidden):
        notes = [remarks[int(n)] for n in re.findall(r"\x00(\d+)\x00", part)]
        name = re.sub(r"\s*\x00\d+\x00", "", part).strip().strip("*_`\"'.").strip()
        # "payments-gw (unaffected)": the remark is about this name only when it is that short.
        if not name or any(_UNAFFECTED.fullmatch(n.strip().rstrip(".!")) for n in notes):
            continue
        if _SAID_UNAFFECTED.search(name):
            continue  # "payments-gw was not affected", "not affected: payments hub"
        out.append(name)
    return out


def team_name(value: str) -> str | None:
    """A team value without its bracketed remark ("growth (pricing)" -> "growth")."""
    name = _PAREN.sub("", value).strip().strip("*_`\"'.").strip()
    return name or value.strip() or None


def signed_team(lines: list[str]) -> tuple[str, int] | None:
    """(team, 0-based line) from a closing "Prepared by ..." or "— The X team" line, or a
    "Written by X for the Y team" line at either end."""
    filled = [(k, ln.strip()) for k, ln in enumerate(lines) if ln.strip()]
    for k, line in reversed(filled[-4:]):
        found = _signed_line(line.strip("*_"))
        if found:
            return found, k
    for k, line in filled[:8]:
        m = _WRITTEN_FOR.match(line.strip("*_"))
        if m and _TEAMISH.search(m.group(1)):
            name = _TEAM_TAIL.sub("", team_name(m.group(1)) or "").strip()
            if name:
                return name, k
    return None


def _signed_line(line: str) -> str | None:
    m = _WRITTEN_FOR.match(line)
    if m and not _TEAMISH.search(m.group(1)):
        return None  # "Written by Ana for the postmortem review": a person, for no team
    m = m or _PREPARED.match(line)
    if m is None:
        sign_off = _SIGN_OFF.match(line)
        if sign_off is None:
            return None
        name = _SIGN_OFF_TAIL.sub("", sign_off.group(1))
        if not _TEAMISH.search(name) or not _NAME_WORDS.match(name):
            return None  # "— Omar" signs a person; "- Move alerts to the Platform team" is a to-do
    else:
        name = m.group(1)
    return _TEAM_TAIL.sub("", team_name(name) or "").strip() or None


# ---- the team a sentence says responded -------------------------------------------------------

RULES_FILE = Path(__file__).with_name("names.toml")
# A team's name as prose writes it: capitalised words, "&" and "and" between them ("Money &
# Payments", "Search and Discovery"), at most six words.
_CAP_NAME = r"(?:[A-Z][\w.'-]*)(?:\s+(?:&|and|of|[A-Z][\w.'-]*)){0,5}"


@dataclass(frozen=True)
class TeamCues:
    led: re.Pattern[str] | None  # "<Name> team led the response"
    paged: re.Pattern[str] | None  # "<Name> on-call was paged", "paged the <Name> on-call"


@lru_cache(maxsize=1)
def team_cues(path: Path = RULES_FILE) -> TeamCues:
    """The [team_cues] phrases of names.toml as patterns; ValueError naming the file when malformed."""
    toml = read_toml(path, "the team cues")
    try:
        data = toml["team_cues"]
        led = [str(w) for w in data["responded"]]
        words = [str(w) for w in data["team_words"]]
        oncall = [str(w) for w in data["on_call_words"]]
    except (KeyError, TypeError) as e:
        raise ValueError(f"{path}: cannot read [team_cues] ({type(e).__name__}: {e})") from e

    def alt(phrases: list[str]) -> str:
        return "|".join(r"\s+".join(map(re.escape, p.split())) for p in sorted(phrases, key=len, reverse=True))

    name = rf"(?<![\w&])(?:[Tt]he\s+)?({_CAP_NAME})"
    led_rx = rf"{name}\s+(?i:{alt(words)})\s+(?i:{alt(led)})\b" if led and words else None
    paged_rx = (
        rf"{name}\s+(?i:{alt(oncall)})(?:\s+(?i:engineers?|responders?|rotation))?\s+(?i:was|were|got|had\s+been)\s+paged\b"
        rf"|\b(?i:paged)\s+(?:the\s+|our\s+)?({_CAP_NAME})\s+(?i:{alt(oncall)})\b"
    ) if oncall else None
    return TeamCues(re.compile(led_rx) if led_rx else None, re.compile(paged_rx) if paged_rx else None)


def responding_team(texts: list[tuple[str, int]]) -> tuple[str, int] | None:
    """(team, line) named by the first sentence saying a team led the response, else by the
    first saying whose on-call was paged; `texts` are (prose, 1-based first line) in reading order."""
    cues = team_cues()
    for rx in (cues.led, cues.paged):
        if rx is None:
            continue
        for text, first in texts:
            for m in rx.finditer(text):
                raw = next(g for g in m.groups() if g)
                name = team_name(re.sub(r"^(?:[Tt]he|[Oo]ur)\s+", "", raw))
                if name and name.casefold() not in _NOT_NAMES:
                    return name, first + text.count("\n", 0, m.start())
    return None


# Capitalised words that open a sentence without naming anyone: "Our on-call was paged".
_NOT_NAMES = frozenset({"our", "the", "we", "an", "a", "this", "that", "their", "its", "his", "her", "primary", "secondary"})
