"""Without a catalog: link the spellings of one service or team that a corpus writes two ways.

`corpus_vocabulary` (names.py) first groups the spellings that share a key ("Ledger Store" and
"ledger-store", "Discovery team" and "Discovery"). What is left is mostly one name written as a
display name in one write-up and as an id in others. `links` joins a display-name group to the
one id-like group (a slug the corpus states: "billing-gw", "growth") it stands for, by strict
rules only:

- Each id part is the corresponding display word, a prefix of it, its consonant skeleton ("gw"
  for "Gateway", "mgmt" for "Management") or its numeronym ("k8s" for "Kubernetes"). A one-part
  id must be the word itself or its numeronym, and a longer id must write at least one word in
  full: a bare prefix ("data" for "Database") is too weak a link.
- The display name may carry generic trailing words ("Quotes Engine" -> "quotes", "Infrastructure
  Engineering" -> "infrastructure"); the words are data (names.toml, [unify]).
- A team name may start with an org prefix ("Acme Growth Engineering" -> "Growth
  Engineering"): a word listed in names.toml, or the first word of at least MIN_ORG_NAMES of the
  corpus's multi-word team names whose rest is itself one of the corpus's names.
- A team named for two areas ("Ledgers & Treasury", "Search and Discovery") is the id that
  names the first, when the second names no id of its own (then the name is ambiguous).
- A name made of comma-separated parts ("Harbour on-call, Infrastructure Engineering", "Search, with
  Checkout") stands for the first part that is one of the corpus's names.
- A display name that contains exactly one of the corpus's ids as a word, plus other words
  ("billing-gw rollout"), is that id.

A link needs exactly one id group to match: two id-like names are never linked ("billing" and
"billing-gw" stay two services), and an ambiguous display name stays as it is.

Pure: no database, no files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# A word is an org prefix when it starts at least this many of the corpus's multi-word team
# names: one name starting with a word says nothing about an organisation.
MIN_ORG_NAMES = 2
_VOWELS = frozenset("aeiou")
_CONJUNCTION = re.compile(r"\s+(?:&|and)\s+", re.IGNORECASE)
ID_TOKEN = re.compile(r"(?<![\w-])[a-z0-9]+(?:[-_][a-z0-9]+)+(?![\w-])")


@dataclass(frozen=True)
class Group:
    """The spellings of one name that share a key."""

    words: tuple[str, ...]  # of its most common display spelling, leading words dropped
    id_parts: tuple[str, ...] | None  # the parts of its id spelling ("billing-gw"), None when it has none
    spellings: tuple[str, ...]


def abbreviates(part: str, word: str) -> bool:
    """`part` is `word`, a prefix of it, its consonant skeleton or its numeronym."""
    if part == word or is_numeronym(part, word):
        return True
    if len(part) < 2 or part[0] != word[0] or any(c.isdigit() for c in part):
        return False
    if word.startswith(part):
        return True
    if any(c in _VOWELS for c in part[1:]):
        return False
    rest = iter(word[1:])
    return all(c in rest for c in part[1:])  # a subsequence: "gw" in "gateway"


def is_numeronym(part: str, word: str) -> bool:
    """"k8s" for "kubernetes", "i18n" for "internationalization"."""
    return len(word) > 3 and part == f"{word[0]}{len(word) - 2}{word[-1]}"


def id_matches(parts: tuple[str, ...], words: tuple[str, ...]) -> bool:
    """The id parts spell the display words, one part per word (rules in the module docstring)."""
    if len(parts) != len(words) or not parts:
        return False
    if len(parts) == 1:
        return parts[0] == words[0] or is_numeronym(parts[0], words[0])
    return all(abbreviates(p, w) for p, w in zip(parts, words)) and any(p == w for p, w in zip(parts, words))


def _without_generic(words: tuple[str, ...], generic: frozenset[str]) -> list[tuple[str, ...]]:
    """`words`, then without each generic trailing word in turn: "travel core engineering" ->
    "travel core"."""
    out = [words]
    while len(words) > 1 and words[-1] in generic:
        words = words[:-1]
        out.append(words)
    return out


def _words_of(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[0-9a-z]+", text.casefold()))


def links(
    groups: dict[str, Group],
    key_of: Callable[[str], str | None],
    generic: frozenset[str],
    org_prefixes: frozenset[str] = frozenset(),
    joiners: frozenset[str] = frozenset(),
    teams: bool = False,
) -> dict[str, str]:
    """key of a display-name group -> key of the id group it stands for. `key_of` gives the group
    key a spelling would have; `generic` are the generic trailing words; `org_prefixes` and
    the org prefix found in the corpus apply when `teams`; `joiners` are words dropped from the
    front of a comma-separated part ("with", "and")."""
    ids = {k: g for k, g in groups.items() if g.id_parts}
    # A one-part id is its word or its numeronym, a longer one writes some word in full at its
    # place: ids indexed by those, so each display name is compared with a handful of ids, not
    # all of a corpus's thousands.
    index: dict[tuple[int, int, str], list[str]] = {}
    for k, g in ids.items():
        for i, part in enumerate(g.id_parts):
            index.setdefault((len(g.id_parts), i, part), []).append(k)
    out: dict[str, str] = {}

    def candidates(words: tuple[str, ...]) -> set[str]:
        n = len(words)
        if n == 1:
            numeronym = f"{words[0][0]}{len(words[0]) - 2}{words[0][-1]}" if len(words[0]) > 3 else ""
            return {k for p in (words[0], numeronym) for k in index.get((1, 0, p), ())}
        return {k for i, w in enumerate(words) for k in index.get((n, i, w), ())}

    def by_words(words: tuple[str, ...]) -> str | None:
        found = {k for ws in _without_generic(words, generic) for k in candidates(ws) if id_matches(ids[k].id_parts, ws)}
        return found.pop() if len(found) == 1 else None

    def target(key: str | None) -> str | None:
        """The id group a group key stands for: itself when it is one, else its link."""
        if key is None or key not in groups:
            return None
        return key if key in ids else out.get(key)

    displays = {k: g for k, g in groups.items() if k not in ids}
    for k, g in displays.items():
        if (t := by_words(g.words)) is not None:
            out[k] = t
    orgs: set[str] = set()

    def named(text: str) -> str | None:
        """The id group a name (or a part of one) stands for: as written, without an org prefix,
        or, for a team named for two areas ("Ledgers & Treasury") whose second names no id of its
        own, by the first."""
        runs = [_words_of(text)]
        halves = _CONJUNCTION.split(text, maxsplit=1) if teams else []
        if len(halves) == 2 and one(_words_of(halves[1])) is None:
            runs.append(_words_of(halves[0]))
        for words in runs:
            while len(words) > 1 and words[0] in joiners:
                words = words[1:]
            if (t := one(words)) is not None:
                return t
        return None

    def one(words: tuple[str, ...]) -> str | None:
        for ws in (words, words[1:] if len(words) > 1 and words[0] in orgs else ()):
            if ws and (t := target(key_of(" ".join(ws))) or by_words(ws)) is not None:
                return t
        return None

    if teams:
        # Counted over the names (their first comma-separated part) whose rest is one of the
        # corpus's names: "Data Platform" and "Data Engineering" make no org "Data" unless both
        # "platform" and "engineering" are teams of their own.
        starts: dict[str, int] = {}
        for g in displays.values():
            head = max(g.spellings, key=len).split(",")[0].split(None, 1)
            if len(head) == 2 and _words_of(head[0]) and named(head[1]) is not None:
                w = _words_of(head[0])[0]
                starts[w] = starts.get(w, 0) + 1
        orgs |= set(org_prefixes) | {w for w, n in starts.items() if n >= MIN_ORG_NAMES}

    for k, g in displays.items():
        if k in out:
            continue
        spelling = max(g.spellings, key=len)
        parts = [p.strip() for p in spelling.split(",")]
        if len(parts) > 1:
            for part in parts:
                if (t := named(part)) is not None:
                    out[k] = t
                    break
            continue
        if (t := named(spelling)) is not None:
            out[k] = t
            continue
        inside = {t for tok in ID_TOKEN.findall(spelling) if (t := target(key_of(tok))) in ids}
        if len(inside) == 1 and len(spelling.split()) > 1:
            out[k] = inside.pop()
    return out
