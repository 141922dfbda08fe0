"""Resolve every incident's services and team, and record where each sourced field came from.

Runs on the staging database after loading (and merging write-ups), on every build: its inputs
are the tables the loader fills with what each write-up states (`stated_services`,
`incidents.team_raw`, `parsed_field_sources`, the prose in `sections`), so rows copied from the
previous build are resolved again and a changed catalog or a changed corpus vocabulary takes
effect without parsing anything again. Outputs: `incident_services`, `incidents.team` and
`field_sources`.

Rules (docs/build.md, "Services and teams"):
- A stated service or team resolves to the catalog's name when the catalog knows it (slug,
  title, alias, group display name) or names it inside ("Edge on-call, Platform Engineering"),
  else to the corpus's usual spelling of it (a display name linked to the id the corpus uses
  for it, pipelines/parsing/unify.py: source `corpus_spelling`), else stays as written.
- An incident that states no services gets the ones its title, summary, impact and root cause
  name (catalog names, or without a catalog the names other documents state), except those a
  clause calls unaffected: source `text`.
- An incident that states no team gets the owner of its primary (first) service: from the
  catalog (source `catalog`), else from what the corpus's other documents say (source `corpus`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import duckdb

from pipelines.build.load import insert_rows
from pipelines.parsing.catalog import Catalog
from pipelines.parsing.mentions import affected_services, service_mentions, team_mentions
from pipelines.parsing.names import (
    NameRules,
    Vocabulary,
    catalog_vocabulary,
    corpus_owners,
    corpus_vocabulary,
    load_rules,
)

# Where a write-up that states no services is searched for the services it names; the rest of
# its prose (but for the UNREAD_KINDS, where services are named as work to do) is searched only
# when these name none, and always for services it calls unaffected.
SCANNED_KINDS = ("title", "summary", "impact", "root_cause")
UNREAD_KINDS = ("action_items", "lessons_learned")


@dataclass(frozen=True)
class Prose:
    kind: str  # a section kind, or "title"
    text: str
    line: int | None


@dataclass
class Resolved:
    services: list[str]
    services_source: tuple[str, int | None] | None
    team: str | None
    team_source: tuple[str, int | None] | None


class Resolver:
    """The vocabularies of one build: the catalog's (when given) and the corpus's."""

    def __init__(
        self,
        catalog: Catalog | None,
        stated: dict[str, tuple[list[str], str | None]],
        rules: NameRules,
        titles: list[str] | None = None,
    ):
        self.catalog = catalog_vocabulary(catalog, rules) if catalog else None
        self.corpus = corpus_vocabulary(stated.values(), rules, titles or ())
        # Prose is matched against the catalog when there is one: its names were chosen by the
        # teams; without it, against every name the corpus states.
        self.prose: Vocabulary = self.catalog or self.corpus
        self._services: dict[str, list[str]] = {}
        self._teams: dict[str, str] = {}
        # (field, name as written) that the corpus's unification rules renamed (source `corpus_spelling`).
        self._unified: set[tuple[str, str]] = set()
        pairs = []
        for services, team in stated.values():
            if services and team:
                pairs.append((self.service(services[0]), self.team(team)))
        self.corpus_owner = corpus_owners(pairs)

    def services(self, name: str) -> list[str]:
        """The services a stated name stands for: the catalog's name for it, else the catalog names
        it contains ("booking-api checkout flow"), else the corpus's usual spelling, else itself."""
        if name not in self._services:  # a corpus repeats a few dozen names thousands of times
            n = name.strip()
            found = [self.catalog.service(n)] if self.catalog and self.catalog.service(n) else []
            if not found and self.catalog:
                found = list(dict.fromkeys(m.service for m in service_mentions(n, self.catalog)))
            if not found and (corpus := self.corpus.service(n)):
                found = [corpus]
                if self.corpus.is_unified(n):
                    self._unified.add(("services", name))
            self._services[name] = found or [n]
        return self._services[name]

    def service(self, name: str) -> str:
        return self.services(name)[0]

    def team(self, name: str) -> str:
        """The team a stated name stands for: the catalog's group, else the first group named in it
        ("Edge on-call, Platform Engineering"), else the owner of the catalog service it names
        ("Identity" from "the Identity on-call was paged"), else the corpus's usual spelling, else
        the one corpus team named in it, else itself."""
        if name not in self._teams:
            n = name.strip()
            found = self.catalog and (
                self.catalog.team(n) or next(iter(team_mentions(n, self.catalog)), None) or self._service_owner(n)
            )
            if not found and (corpus := self.corpus.team(n)):
                found = corpus
                if self.corpus.is_unified(n):
                    self._unified.add(("team", name))
            self._teams[name] = found or self._corpus_team_inside(n) or n
        return self._teams[name]

    def _corpus_team_inside(self, name: str) -> str | None:
        """The one team of the corpus's vocabulary named inside a longer name ("Larkspur Growth
        Engineering" when other write-ups state "growth"); None when it names none or several."""
        if len(name.split()) < 2:
            return None
        found = team_mentions(name, self.corpus)
        return found[0] if len(found) == 1 else None

    def _service_owner(self, name: str) -> str | None:
        """The owner of the catalog service `name` is: "the Identity on-call was paged" names the
        team that runs Identity."""
        service = self.catalog.service(name) if self.catalog else None
        return self.catalog.owner(service) if self.catalog and service else None

    def owner(self, service: str) -> tuple[str, str] | None:
        """(team, source) owning `service`: the catalog's owner, else the corpus's."""
        if self.catalog and (team := self.catalog.owner(service)):
            return team, "catalog"
        if team := self.corpus_owner.get(service):
            return team, "corpus"
        return None

    def resolve(
        self,
        services: list[str],
        team: str | None,
        prose: list[Prose],
        sources: dict[str, tuple[str, int | None]],
    ) -> Resolved:
        """One incident: stated services and team (as written), its prose in reading order, and
        the parser's sources by field."""
        default = ("front_matter", None)
        resolved = list(dict.fromkeys(x for s in services for x in self.services(s)))
        services_source = sources.get("services", default) if resolved else None
        if resolved and any(("services", s) in self._unified for s in services):
            services_source = ("corpus_spelling", services_source[1])
        if not resolved and prose:
            scanned = [p.text for p in prose if p.kind in SCANNED_KINDS]
            readable = [p for p in prose if p.kind not in UNREAD_KINDS]
            resolved = affected_services(scanned, [p.text for p in readable], self.prose)
            if resolved:
                line = next(
                    (p.line for p in sorted(readable, key=lambda p: p.kind not in SCANNED_KINDS)
                     if any(m.service == resolved[0] for m in service_mentions(p.text, self.prose))),
                    None,
                )
                services_source = ("text", line)
        if team and team.strip():
            name, team_source = self.team(team), sources.get("team", default)
            if ("team", team) in self._unified:
                team_source = ("corpus_spelling", team_source[1])
            return Resolved(resolved, services_source, name, team_source)
        owned = self.owner(resolved[0]) if resolved else None
        if owned:
            return Resolved(resolved, services_source, owned[0], (owned[1], None))
        return Resolved(resolved, services_source, None, None)


def resolve(con: duckdb.DuckDBPyConnection, catalog: Catalog | None, rules: NameRules | None = None) -> None:
    """Fill incident_services, incidents.team and field_sources for every incident in `con`."""
    import pyarrow as pa

    rules = rules or load_rules()
    stated_services: dict[str, list[str]] = defaultdict(list)
    for iid, name in con.execute("SELECT incident_id, name FROM stated_services ORDER BY incident_id, seq").fetchall():
        stated_services[iid].append(name)
    incidents = con.execute("SELECT incident_id, team_raw, title, summary FROM incidents ORDER BY incident_id").fetchall()
    stated = {iid: (stated_services.get(iid, []), team) for iid, team, _, _ in incidents}
    sources: dict[str, dict[str, tuple[str, int | None]]] = defaultdict(dict)
    for iid, fld, src, line in con.execute("SELECT incident_id, field, source, line FROM parsed_field_sources").fetchall():
        sources[iid][fld] = (src, line)
    prose: dict[str, list[Prose]] = defaultdict(list)
    for iid, _, title, _ in incidents:
        if title and not stated_services.get(iid):
            prose[iid].append(Prose("title", title, None))
    for iid, kind, body, line in con.execute(
        "SELECT incident_id, kind, body, line FROM sections "
        "WHERE incident_id NOT IN (SELECT incident_id FROM stated_services) ORDER BY incident_id, seq"
    ).fetchall():
        if body:
            prose[iid].append(Prose(kind, body, line))
    for iid, _, _, summary in incidents:
        # The summary field is mostly the summary section again; last, so a mention is found
        # with its section's line first.
        if summary and not stated_services.get(iid):
            prose[iid].append(Prose("summary", summary, None))

    # Titles are where write-ups most often write a service's id ("2024-05-02 ledger-db failover").
    resolver = Resolver(catalog, stated, rules, [title for _, _, title, _ in incidents if title])
    service_rows: list[tuple] = []
    team_rows: list[tuple] = []
    source_rows: list[tuple] = []
    for iid, (services, team) in stated.items():
        r = resolver.resolve(services, team, prose.get(iid, []), sources.get(iid, {}))
        service_rows += [(iid, s) for s in r.services]
        team_rows.append((iid, r.team))
        for fld, (src, line) in sources.get(iid, {}).items():
            if fld not in ("services", "team"):
                source_rows.append((iid, fld, src, line))
        if r.services_source:
            source_rows.append((iid, "services", *r.services_source))
        if r.team_source:
            source_rows.append((iid, "team", *r.team_source))

    con.execute("DELETE FROM incident_services")
    con.execute("DELETE FROM field_sources")
    insert_rows(con, "incident_services", service_rows)
    insert_rows(con, "field_sources", source_rows)
    if team_rows:
        con.register("_teams", pa.table({
            "incident_id": pa.array([r[0] for r in team_rows], pa.string()),
            "team": pa.array([r[1] for r in team_rows], pa.string()),
        }))
        try:
            con.execute("UPDATE incidents SET team = t.team FROM _teams t WHERE incidents.incident_id = t.incident_id")
        finally:
            con.unregister("_teams")

