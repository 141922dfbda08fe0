"""Services named in a write-up's prose, and the ones it says were not affected.

For a narrative write-up that states no services, the build takes the services its title,
summary, impact and root cause name (`affected_services`). A service the write-up calls
unaffected anywhere ("Payments were unaffected", "no impact on search", "Checkout behaved
correctly") is left out even where it is also named in passing: an explicit statement that a
service was fine is worth more than a mention. The phrases are data (names.toml, [mentions]).

A name matches as a whole word, ignoring case and spacing ("k8s platform" = "k8s-platform"), and
a team's name is never read as a service ("Team: Payments & Checkout" names no Checkout).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.parsing.names import Vocabulary

MIN_SURFACE_CHARS = 3  # shorter names ("db", "ui") match too much prose to trust
# How far an unaffected phrase may be from the service it is about, in words ("The storefront
# itself was not affected": 2; "Checkout and the Payments Hub run in a separate cluster and were
# not affected": 7).
MAX_WORDS_BEFORE_PHRASE = 8
MAX_WORDS_AFTER_PHRASE = 3
_WORDS = re.compile(r"[0-9a-z]+")
# Two names are items of one list when what stands between them joins list items ("Checkout,
# Search and the Payments Hub", "the Edge CDN configuration and the Data Lake query engines"):
# a comma or a conjunction, and at most MAX_LIST_WORDS other words.
_JOINERS = re.compile(r"[,/&]|\b(?:and|or|nor)\b", re.IGNORECASE)
_FILLER = frozenset({"and", "or", "nor", "the", "our", "its", "a", "an"})
MAX_LIST_WORDS = 3


@dataclass(frozen=True)
class Mention:
    service: str
    start: int
    end: int


def _surface_regex(surface: str) -> str | None:
    words = _WORDS.findall(surface.casefold())
    if len("".join(words)) < MIN_SURFACE_CHARS:
        return None
    return r"[\s_-]*".join(map(re.escape, words))


def _alternation(patterns: list[str]) -> str:
    return r"(?<![0-9a-z])(?:" + "|".join(patterns) + r")(?![0-9a-z])"


@dataclass
class _Patterns:
    services: re.Pattern[str] | None
    names: list[str]  # group number - 1 -> canonical service
    teams: re.Pattern[str] | None
    breaks: re.Pattern[str]
    unaffected: re.Pattern[str] | None
    no_impact_on: re.Pattern[str] | None
    depends_on: re.Pattern[str] | None


@lru_cache(maxsize=8)
def _patterns(vocab: Vocabulary) -> _Patterns:
    alternatives: dict[str, str] = {}  # regex -> canonical service
    for canonical, spellings in vocab.surfaces.items():
        for s in spellings:
            rx = _surface_regex(s)
            if rx:
                alternatives.setdefault(rx, canonical)
    ordered = sorted(alternatives, key=len, reverse=True)  # "booking api" before "booking"
    team_rx = sorted({rx for t in vocab.team_surfaces if (rx := _surface_regex(t))}, key=len, reverse=True)
    rules = vocab.rules

    def phrases(words: tuple[str, ...]) -> re.Pattern[str] | None:
        return re.compile(_alternation([re.escape(w) for w in words]), re.IGNORECASE) if words else None

    breaks = "|".join(re.escape(w) for w in rules.clause_breaks) or "(?!)"
    return _Patterns(
        services=re.compile(_alternation([f"({a})" for a in ordered]), re.IGNORECASE) if ordered else None,
        names=[alternatives[a] for a in ordered],
        teams=re.compile(_alternation(team_rx), re.IGNORECASE) if team_rx else None,
        breaks=re.compile(rf"[.!?](?=\s|$)|[;\n]|\b(?:{breaks})\b", re.IGNORECASE),
        unaffected=phrases(rules.unaffected),
        no_impact_on=phrases(rules.no_impact_on),
        depends_on=phrases(rules.depends_on),
    )


def service_mentions(text: str, vocab: Vocabulary) -> list[Mention]:
    """Every service of `vocab` named in `text`, in order; names inside a team's name do not count."""
    p = _patterns(vocab)
    if p.services is None or not text:
        return []
    team_spans = [(m.start(), m.end()) for m in p.teams.finditer(text)] if p.teams else []
    found = []
    for m in p.services.finditer(text):
        if any(s <= m.start() and m.end() <= e for s, e in team_spans):
            continue
        found.append(Mention(p.names[m.lastindex - 1], m.start(), m.end()))
    return found


def team_mentions(text: str, vocab: Vocabulary) -> list[str]:
    """The teams of `vocab` named in `text`, in order of first mention."""
    p = _patterns(vocab)
    if p.teams is None or not text:
        return []
    found = (vocab.team(m.group(0)) for m in p.teams.finditer(text))
    return list(dict.fromkeys(t for t in found if t))


def _word_count(text: str) -> int:
    return len(_WORDS.findall(text.casefold()))


def _chain(mentions: list[Mention], i: int, step: int, text: str) -> list[Mention]:
    """mentions[i] and its neighbours in direction `step` joined to it as one list."""
    out = [mentions[i]]
    j = i
    while 0 <= j + step < len(mentions):
        a, b = (mentions[j + step], mentions[j]) if step < 0 else (mentions[j], mentions[j + step])
        gap = text[a.end:b.start]
        if gap.strip() and not _JOINERS.search(gap) or sum(w not in _FILLER for w in _WORDS.findall(gap.casefold())) > MAX_LIST_WORDS:
            break
        j += step
        out.append(mentions[j])
    return out


def unaffected_services(text: str, vocab: Vocabulary) -> set[str]:
    """Services `text` says were not affected."""
    p = _patterns(vocab)
    mentions = service_mentions(text, vocab)
    if not mentions:
        return set()
    bounds = [0] + [b for m in p.breaks.finditer(text) for b in (m.start(), m.end())] + [len(text)]
    out: set[str] = set()

    def clause_of(at: int) -> tuple[int, int]:
        return max(b for b in bounds if b <= at), min(b for b in bounds if b > at)

    for m in p.unaffected.finditer(text) if p.unaffected else ():
        start, _ = clause_of(m.start())
        before = [x for x in mentions if start <= x.start and x.end <= m.start()]
        if before and _word_count(text[before[-1].end:m.start()]) <= MAX_WORDS_BEFORE_PHRASE:
            out.update(x.service for x in _chain(before, len(before) - 1, -1, text))
    for m in p.no_impact_on.finditer(text) if p.no_impact_on else ():
        _, end = clause_of(m.start())
        after = [x for x in mentions if m.end() <= x.start and x.end <= end]
        if after and _word_count(text[m.end():after[0].start]) <= MAX_WORDS_AFTER_PHRASE:
            out.update(x.service for x in _chain(after, 0, 1, text))
    return out


def dependency_mentions(text: str, vocab: Vocabulary) -> tuple[list[Mention], set[int]]:
    """Every service mention of `text`, and the starts of those that name a service as what
    another calls ("hands off to the Billing Gateway", a list after "makes calls to")."""
    p = _patterns(vocab)
    mentions = service_mentions(text, vocab)
    if not mentions or p.depends_on is None:
        return mentions, set()
    bounds = [0] + [b for m in p.breaks.finditer(text) for b in (m.start(), m.end())] + [len(text)]
    starts: set[int] = set()
    for m in p.depends_on.finditer(text):
        end = min(b for b in bounds if b > m.start())
        after = [x for x in mentions if m.end() <= x.start and x.end <= end]
        if after and _word_count(text[m.end():after[0].start]) <= MAX_WORDS_AFTER_PHRASE:
            starts.update(x.start for x in _chain(after, 0, 1, text))
    return mentions, starts


def context_only_services(everything: list[str], vocab: Vocabulary) -> set[str]:
    """Services every mention of which in `everything` names them as what another service calls."""
    named: set[str] = set()
    elsewhere: set[str] = set()
    for text in everything:
        mentions, dependency = dependency_mentions(text, vocab)
        for x in mentions:
            named.add(x.service)
            if x.start not in dependency:
                elsewhere.add(x.service)
    return named - elsewhere


def affected_services(prose: list[str], everything: list[str], vocab: Vocabulary) -> list[str]:
    """Services named in `prose` (title, summary, impact, root cause: in reading order), or when
    it names none, in the rest of `everything` (the whole write-up's prose: a debrief may tell
    the story under its own heading), that no text of `everything` calls unaffected, in order
    of first mention. A service named only as what another calls ("hands off to X") is left out
    too: context, not impact."""
    unaffected: set[str] = context_only_services(everything, vocab)
    for text in everything:
        unaffected |= unaffected_services(text, vocab)
    for texts in (prose, everything):
        found: list[str] = []
        for text in texts:
            for m in service_mentions(text, vocab):
                if m.service not in unaffected and m.service not in found:
                    found.append(m.service)
        if found:
            return found
    return []
