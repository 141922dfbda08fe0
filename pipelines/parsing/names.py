"""Service and team names as people write them -> the names a catalog (or the corpus) uses.

A `Vocabulary` knows every accepted spelling of each service and team and who owns each service.
It comes from a Backstage catalog (`catalog_vocabulary`: slugs, titles, aliases, group display
names, owners) or, without one, from the names the corpus's own documents state in structured
fields (`corpus_vocabulary`: a slug ("booking-api") if anyone wrote one, else the most common
spelling, wins, and a display name is linked to the id it stands for by the strict rules of
pipelines/parsing/unify.py: "Billing Gateway" -> "billing-gw"; `corpus_owners`: a service's owner is the team most documents naming it first
state, when they mostly agree).

Names match on a key: case folded, a leading "the"/"our" dropped, everything but letters and
digits removed, so "the Booking API", "booking-api" and "BookingAPI" are one name; when that
fails, a trailing "service"/"team" word and a parenthetical are dropped ("Platform team",
"Data (notifications)"). The words are data (names.toml).

pipelines/parsing/mentions.py finds a vocabulary's services in prose.

Pure: no database, no files except the bundled names.toml.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.parsing.catalog import Catalog
from pipelines.parsing.unify import ID_TOKEN, Group, links
from pipelines.tuning import read_toml

RULES_FILE = Path(__file__).with_name("names.toml")
# Corpus attribution: a team owns a service when at least this many documents that name the
# service first state that team, and more than half of those that state a team do.
MIN_CORPUS_OWNER_VOTES = 2


@dataclass(frozen=True)
class NameRules:
    leading_words: tuple[str, ...]
    service_suffixes: tuple[str, ...]
    team_suffixes: tuple[str, ...]
    unaffected: tuple[str, ...]  # phrases after the service: "X was unaffected"
    no_impact_on: tuple[str, ...]  # phrases before the service: "no impact on X"
    clause_breaks: tuple[str, ...]
    # Phrases before a service that name it as what another service calls: "hands off to X".
    depends_on: tuple[str, ...] = ()
    # Corpus-level unification (pipelines/parsing/unify.py), names.toml [unify].
    service_generic_words: tuple[str, ...] = ()
    team_generic_words: tuple[str, ...] = ()
    org_prefixes: tuple[str, ...] = ()
    list_joiners: tuple[str, ...] = ()


def load_rules(path: Path = RULES_FILE) -> NameRules:
    """The matching rules from names.toml; ValueError naming the file when it is malformed."""
    data = read_toml(path, "the name-matching rules")
    try:
        names, mentions, unify = data["names"], data["mentions"], data["unify"]
        return NameRules(
            leading_words=tuple(w.casefold() for w in names["leading_words"]),
            service_suffixes=tuple(w.casefold() for w in names["service_suffixes"]),
            team_suffixes=tuple(w.casefold() for w in names["team_suffixes"]),
            unaffected=tuple(w.casefold() for w in mentions["unaffected"]),
            no_impact_on=tuple(w.casefold() for w in mentions["no_impact_on"]),
            clause_breaks=tuple(w.casefold() for w in mentions["clause_breaks"]),
            depends_on=tuple(w.casefold() for w in mentions["depends_on"]),
            service_generic_words=tuple(w.casefold() for w in unify["service_generic_words"]),
            team_generic_words=tuple(w.casefold() for w in unify["team_generic_words"]),
            org_prefixes=tuple(w.casefold() for w in unify["org_prefixes"]),
            list_joiners=tuple(w.casefold() for w in unify["list_joiners"]),
        )
    except (KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"{path}: cannot read the name-matching rules ({type(e).__name__}: {e})") from e


_PAREN = re.compile(r"\s*\([^)]*\)\s*")
_WORD = re.compile(r"[0-9a-z]+")


def _words(name: str, rules: NameRules) -> list[str]:
    words = _WORD.findall(name.casefold())
    while len(words) > 1 and words[0] in rules.leading_words:
        words = words[1:]
    return words


def name_keys(name: str, rules: NameRules, suffixes: tuple[str, ...]) -> list[str]:
    """The keys `name` may match, best first: as written, without a parenthetical, without a
    trailing generic word (`suffixes`)."""
    keys: list[str] = []
    for variant in (name, _PAREN.sub(" ", name)):
        words = _words(variant, rules)
        if not words:
            continue
        keys.append("".join(words))
        if len(words) > 1 and words[-1] in suffixes:
            keys.append("".join(words[:-1]))
    return list(dict.fromkeys(keys))


@dataclass(eq=False)  # compared and hashed by identity: pipelines/parsing/mentions.py caches per vocabulary
class Vocabulary:
    """Accepted spellings of services and teams, and service owners. `origin` is the field source
    ("catalog" or "corpus") recorded for a team attributed through `owner`."""

    origin: str
    rules: NameRules
    services: dict[str, str] = field(default_factory=dict)  # key -> canonical service
    teams: dict[str, str] = field(default_factory=dict)  # key -> canonical team
    owners: dict[str, str] = field(default_factory=dict)  # canonical service -> canonical team
    surfaces: dict[str, set[str]] = field(default_factory=dict)  # canonical service -> spellings for prose
    team_surfaces: set[str] = field(default_factory=set)  # team spellings, so "Payments & Checkout" is no service
    # Spellings the corpus rules (pipelines/parsing/unify.py) gave another group's name, or an id
    # only a title writes: the build records their value with source `corpus_spelling`.
    unified: set[str] = field(default_factory=set)

    def is_unified(self, name: str) -> bool:
        return name.strip() in self.unified

    def service(self, name: str) -> str | None:
        return next((self.services[k] for k in name_keys(name, self.rules, self.rules.service_suffixes) if k in self.services), None)

    def team(self, name: str) -> str | None:
        return next((self.teams[k] for k in name_keys(name, self.rules, self.rules.team_suffixes) if k in self.teams), None)

    def owner(self, service: str) -> str | None:
        return self.owners.get(service)

    def _add_service(self, canonical: str, spellings: Iterable[str | None]) -> None:
        for s in spellings:
            if not s:
                continue
            for k in name_keys(s, self.rules, ()):
                self.services.setdefault(k, canonical)
            self.surfaces.setdefault(canonical, set()).add(s)

    def _add_team(self, canonical: str, spellings: Iterable[str | None]) -> None:
        for s in spellings:
            for k in name_keys(s, self.rules, ()) if s else ():
                self.teams.setdefault(k, canonical)
            self._add_team_surface(s)

    def _add_team_surface(self, spelling: str | None) -> None:
        if spelling:
            self.team_surfaces.add(spelling)

def catalog_vocabulary(catalog: Catalog, rules: NameRules) -> Vocabulary:
    """Services are components (slug, title, aliases), teams are groups (name, display name,
    title, aliases); a component's owner group owns it."""
    vocab = Vocabulary("catalog", rules)
    for comp in catalog.components.values():
        vocab._add_service(comp.name, (comp.name, comp.title, *comp.aliases))
        if comp.owner:
            vocab.owners[comp.name] = comp.owner
            vocab._add_team(comp.owner, (comp.owner,))
    for group in catalog.groups.values():
        vocab._add_team(group.name, (group.name, group.display_name, group.title, *group.aliases))
    return vocab


_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def _canonical_spelling(spellings: Counter[str]) -> str:
    """The name to show for spellings of one name: a slug ("booking-api") when someone wrote one,
    as catalogs and tools name things that way, else the most common spelling."""
    return min(spellings, key=lambda s: (not _SLUG.match(s), -spellings[s], s))


def corpus_vocabulary(
    stated: Iterable[tuple[list[str], str | None]], rules: NameRules, written: Iterable[str] = ()
) -> Vocabulary:
    """A vocabulary from what the corpus's documents state: (services in order, team) per
    incident. `written` is other text of the corpus (titles): an id it writes ("ledger-store")
    becomes the name of the stated service with the same key ("Ledger Store"). Display names are
    then linked to the ids they stand for (pipelines/parsing/unify.py)."""
    stated = list(stated)
    written_ids = Counter(t for text in written if text for t in ID_TOKEN.findall(text))
    vocab = Vocabulary("corpus", rules)
    for names, suffixes, generic, add, teams in (
        ([s for services, _ in stated for s in services], rules.service_suffixes, rules.service_generic_words,
         vocab._add_service, False),
        ([t for _, t in stated if t], rules.team_suffixes, rules.team_generic_words, vocab._add_team, True),
    ):
        # Spellings are one name when they agree without a trailing "service"/"team" word or a
        # parenthetical: "Discovery team" and "Discovery" are one team.
        def key_of(name: str, suffixes: tuple[str, ...] = suffixes) -> str | None:
            keys = name_keys(name, rules, suffixes)
            return keys[-1] if keys else None

        by_key: dict[str, Counter[str]] = {}
        for n in names:
            n = n.strip()
            if key := key_of(n):
                by_key.setdefault(key, Counter())[n] += 1

        from_prose: set[str] = set()
        if not teams:
            for token, n in written_ids.items():
                spellings = by_key.get(key_of(token) or "")
                if spellings and not any(_SLUG.match(s) for s in spellings):
                    spellings[token] = n
                    from_prose.add(token)
        groups = {k: _group(c, rules) for k, c in by_key.items()}
        linked = links(groups, key_of, frozenset(generic), frozenset(rules.org_prefixes),
                       frozenset(rules.list_joiners), teams=teams)
        canonical = {k: _canonical_spelling(c) for k, c in by_key.items()}
        for k, spellings in by_key.items():
            name = canonical[linked.get(k, k)]
            add(name, [s for s in spellings if s not in from_prose])
            if k in linked or name in from_prose:
                vocab.unified.update(s for s in spellings if s not in from_prose)
    return vocab


def _group(spellings: Counter[str], rules: NameRules) -> Group:
    ids = [s for s in spellings if _SLUG.match(s)]
    display = max((s for s in spellings if s not in ids), key=lambda s: (spellings[s], s), default=ids[0] if ids else "")
    slug = _canonical_spelling(Counter({s: spellings[s] for s in ids})) if ids else None
    return Group(
        words=tuple(_words(_PAREN.sub(" ", display), rules)),
        id_parts=tuple(re.split(r"[-_]", slug)) if slug else None,
        spellings=tuple(spellings),
    )


def corpus_owners(primary_and_team: Iterable[tuple[str, str]]) -> dict[str, str]:
    """service -> the team that owns it by the corpus's account: of the documents whose primary
    service it is and that state a team, at least MIN_CORPUS_OWNER_VOTES and more than half
    state that team."""
    votes: dict[str, Counter[str]] = {}
    for service, team in primary_and_team:
        votes.setdefault(service, Counter())[team] += 1
    owners = {}
    for service, teams in votes.items():
        team, n = min(teams.items(), key=lambda kv: (-kv[1], kv[0]))
        if n >= MIN_CORPUS_OWNER_VOTES and n * 2 > sum(teams.values()):
            owners[service] = team
    return owners

