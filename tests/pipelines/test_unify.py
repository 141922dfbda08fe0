"""Corpus-level name unification without a catalog (pipelines/parsing/unify.py, the `[unify]`
words of names.toml, and the build's `incident_services` / `incidents.team` / `field_sources`).

tests/fixtures/unify is a small corpus of our own: the company Quillbrook writes services and
teams as display names in some write-ups and as ids in others."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.build.run import build
from pipelines.parsing.names import corpus_vocabulary, load_rules
from pipelines.parsing.unify import abbreviates, id_matches

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "unify"
RULES = load_rules()


@pytest.mark.parametrize(
    ("part", "word", "ok"),
    [
        ("gw", "gateway", True),  # consonant skeleton
        ("mgmt", "management", True),
        ("k8s", "kubernetes", True),  # numeronym
        ("auth", "authentication", True),  # prefix
        ("gaw", "gateway", False),  # a vowel is no skeleton
        ("wg", "gateway", False),  # must start with the word's first letter
        ("k9s", "kubernetes", False),  # wrong count
        ("x", "xylophone", False),  # one letter is too little
    ],
)
def test_abbreviations(part: str, word: str, ok: bool) -> None:
    assert abbreviates(part, word) is ok


def test_an_id_must_spell_every_word_and_write_one_in_full() -> None:
    assert id_matches(("payments", "gw"), ("payments", "gateway"))
    assert id_matches(("k8s",), ("kubernetes",))
    assert not id_matches(("settle", "gw"), ("settlement", "gateway"))  # no word in full
    assert not id_matches(("data",), ("database",))  # a one-part id is the word or its numeronym
    assert not id_matches(("payments",), ("payments", "gateway"))  # one part per word


def test_the_unify_words_are_data() -> None:
    assert "engine" in RULES.service_generic_words and "engineering" in RULES.team_generic_words
    assert "platform" not in RULES.team_generic_words  # "Data Platform" is no "Data" team
    assert "with" in RULES.list_joiners and RULES.org_prefixes == ()


def test_display_names_link_to_the_ids_the_corpus_states() -> None:
    stated = [
        (["Billing Gateway", "Kubernetes Core", "Search Engine"], "Acme Growth Engineering"),
        (["billing-gw", "k8s-core"], "growth"),
        (["search", "billing"], "Acme Travel Core Engineering"),
        (["Billing"], "travel-core"),
        (["billing-gw rollout"], "Data Platform"),
        ([], "platform"),
    ]
    v = corpus_vocabulary(stated, RULES)
    assert v.service("Billing Gateway") == "billing-gw"
    assert v.service("Kubernetes Core") == "k8s-core"
    assert v.service("Search Engine") == "search"  # generic trailing word
    assert v.service("billing-gw rollout") == "billing-gw"  # an id and a qualifier
    # Never two ids as one: "billing" and "billing-gw" stay two services.
    assert v.service("billing") == v.service("Billing") == "billing"
    assert v.team("Acme Growth Engineering") == "growth"  # org prefix: starts two such names
    assert v.team("Acme Travel Core Engineering") == "travel-core"
    assert v.team("Data Platform") == "Data Platform" and v.team("platform") == "platform"
    assert v.is_unified("Billing Gateway") and v.is_unified("Acme Growth Engineering")
    assert not v.is_unified("billing") and not v.is_unified("Data Platform")


def test_an_ambiguous_display_name_stays_as_written() -> None:
    # "Ops Gateway" is spelled by both "ops-gw" and "ops-gtwy": which one is a guess, so no link.
    v = corpus_vocabulary([(["Ops Gateway"], None), (["ops-gw"], None), (["ops-gtwy"], None)], RULES)
    assert v.service("Ops Gateway") == "Ops Gateway"
    assert not v.is_unified("Ops Gateway")


def test_an_id_written_in_a_title_names_the_service() -> None:
    v = corpus_vocabulary([(["Ledger Store"], None)], RULES, ["2025-02-04 ledger-store replica lag"])
    assert v.service("Ledger Store") == "ledger-store"
    v = corpus_vocabulary([(["Ledger Store"], None)], RULES, ["Ledger Store replica lag"])
    assert v.service("Ledger Store") == "Ledger Store"  # no id written anywhere


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("unify")
    shutil.copytree(CORPUS, root / "corpus")
    db = root / "h.duckdb"
    build([root / "corpus"], db, analysis=False, jobs=1)
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


def _by_file(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, object]:
    return {Path(p).name: v for p, v in con.execute(sql).fetchall()}


def test_the_build_shows_one_name_per_service_and_team(built: duckdb.DuckDBPyConnection) -> None:
    services = _by_file(built, "SELECT any_value(i.source_path), list(s.service ORDER BY s.service) FROM incidents i "
                               "JOIN incident_services s USING (incident_id) GROUP BY incident_id")
    assert services == {
        "2025-02-04-ledger-store-replica-lag.md": ["ledger-store", "settlement-gw"],
        "2025-03-11-settlement-gw-timeouts.md": ["settlement-gw"],
        "2025-04-02-k8s-fleet-dns.md": ["k8s-fleet", "quotes"],
        "2025-05-20-k8s-fleet-upgrade.md": ["k8s-fleet"],
        "2025-06-17-rates-stale.md": ["quotes", "settlement-gw"],
        "2025-07-08-settlement-batch.md": ["settlement"],
        "2025-08-19-platform-certs.md": ["settlement"],
    }
    teams = _by_file(built, "SELECT source_path, team FROM incidents")
    assert teams == {
        "2025-02-04-ledger-store-replica-lag.md": "treasury",
        "2025-03-11-settlement-gw-timeouts.md": "treasury",
        "2025-04-02-k8s-fleet-dns.md": "infrastructure",
        "2025-05-20-k8s-fleet-upgrade.md": "infrastructure",
        "2025-06-17-rates-stale.md": "infrastructure",  # the first team of the list
        "2025-07-08-settlement-batch.md": "Data Platform",  # not "platform": no rule says so
        "2025-08-19-platform-certs.md": "platform",
    }


def test_a_unified_name_is_recorded_as_stated_in_another_spelling(built: duckdb.DuckDBPyConnection) -> None:
    sources = {
        (Path(p).name, f): s
        for p, f, s in built.execute(
            "SELECT i.source_path, f.field, f.source FROM field_sources f JOIN incidents i USING (incident_id) "
            "WHERE f.field IN ('services', 'team')"
        ).fetchall()
    }
    assert sources[("2025-02-04-ledger-store-replica-lag.md", "services")] == "corpus_spelling"
    assert sources[("2025-02-04-ledger-store-replica-lag.md", "team")] == "corpus_spelling"
    assert sources[("2025-03-11-settlement-gw-timeouts.md", "services")] == "front_matter"  # written as the id
    assert sources[("2025-07-08-settlement-batch.md", "team")] == "front_matter"


def test_a_team_named_for_two_areas_is_the_id_of_the_first_unless_both_are_teams() -> None:
    v = corpus_vocabulary([([], "Ledgers & Treasury"), ([], "ledgers"), ([], "Acme Ledgers & Treasury"),
                           ([], "Acme Growth Engineering"), ([], "growth")], RULES)
    assert v.team("Ledgers & Treasury") == v.team("Acme Ledgers & Treasury") == "ledgers"
    v = corpus_vocabulary([([], "Search and Discovery"), ([], "search"), ([], "discovery")], RULES)
    assert v.team("Search and Discovery") == "Search and Discovery"  # two teams' names: no guess
    v = corpus_vocabulary([(["Search and Discovery"], None), (["search"], None)], RULES)
    assert v.service("Search and Discovery") == "Search and Discovery"  # services: no such rule


def test_the_catalog_wins_and_a_same_key_spelling_is_no_unification() -> None:
    from pipelines.build.resolve import Resolver
    from pipelines.parsing.catalog import read_catalog

    stated = {"a": (["Ticketing API"], "Revenue Engineering"), "b": (["ticketing-api"], "revenue")}
    alone = Resolver(None, stated, RULES)
    got = alone.resolve(*stated["a"], prose=[], sources={"team": ("metadata", 4)})
    assert (got.services, got.services_source) == (["ticketing-api"], ("front_matter", None))  # same key: as before
    assert (got.team, got.team_source) == ("revenue", ("corpus_spelling", 4))
    catalog = read_catalog((CORPUS.parent / "catalog" / "catalog-info.yaml").read_text(encoding="utf-8"), "catalog-info.yaml")
    got = Resolver(catalog, stated, RULES).resolve(*stated["a"], prose=[], sources={"team": ("metadata", 4)})
    assert (got.team, got.team_source) == ("revenue", ("metadata", 4))  # the catalog's group: no corpus rule


def test_many_names_unify_quickly() -> None:
    import time

    stated = [([f"Svc{i} Gateway", f"svc{i}-gw", f"Tool{i} Engine", f"tool{i}"], f"Acme Group{i} Engineering") for i in range(3000)]
    stated += [([], f"group{i}") for i in range(3000)]
    t = time.perf_counter()
    v = corpus_vocabulary(stated, RULES)
    assert v.service("Svc17 Gateway") == "svc17-gw" and v.service("Tool5 Engine") == "tool5"
    assert v.team("Acme Group9 Engineering") == "group9"
    assert time.perf_counter() - t < 5  # 0.4 s here; comparing every display name with every id took 28 s
