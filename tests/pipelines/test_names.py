"""Names as written -> catalog names (pipelines/parsing/names.py), services in prose
(pipelines/parsing/mentions.py) and the incident key in a title (pipelines/parsing/identity.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.model import Incident
from pipelines.parsing.catalog import read_catalog
from pipelines.parsing.identity import adopt_title_key, title_key
from pipelines.parsing.markdown import derive_incident_id
from pipelines.parsing.mentions import affected_services, service_mentions, team_mentions, unaffected_services
from pipelines.parsing.names import (
    RULES_FILE,
    catalog_vocabulary,
    corpus_owners,
    corpus_vocabulary,
    load_rules,
    name_keys,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "catalog"
RULES = load_rules()


@pytest.fixture(scope="module")
def vocab():
    cat = read_catalog((FIXTURE / "catalog-info.yaml").read_text(encoding="utf-8"), "catalog-info.yaml")
    return catalog_vocabulary(cat, RULES)


def test_the_bundled_rules_load_and_a_broken_file_is_named(tmp_path: Path) -> None:
    assert RULES_FILE.name == "names.toml"
    assert "the" in RULES.leading_words and "team" in RULES.team_suffixes
    assert "unaffected" in RULES.unaffected and "no impact on" in RULES.no_impact_on
    bad = tmp_path / "names.toml"
    bad.write_text("[names]\nleading_words = ['the'\n", encoding="utf-8")
    with pytest.raises(ValueError, match="names.toml: not valid TOML"):
        load_rules(bad)
    bad.write_text("[names]\nleading_words = []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="KeyError"):
        load_rules(bad)


def test_name_keys_ignore_case_spacing_and_a_leading_the() -> None:
    assert name_keys("the Booking API", RULES, ()) == ["bookingapi"]
    assert name_keys("booking-api", RULES, ()) == ["bookingapi"]
    assert name_keys("Platform team", RULES, RULES.team_suffixes) == ["platformteam", "platform"]
    assert name_keys("Data (notifications)", RULES, ()) == ["datanotifications", "data"]
    assert name_keys("  ", RULES, ()) == []


@pytest.mark.parametrize(
    ("written", "slug"),
    [
        ("ticketing-api", "ticketing-api"),  # slug
        ("Ticketing API", "ticketing-api"),  # title
        ("the Ticketing API", "ticketing-api"),
        ("ticketing api", "ticketing-api"),  # informal spacing
        ("TicketingAPI", "ticketing-api"),
        ("the ticket service", "ticketing-api"),  # alias
        ("k8s harbour", "k8s-harbour"),
        ("Harbour Kubernetes", "k8s-harbour"),
        ("Berth Planner service", "berth-planner"),  # trailing generic word
        ("Seat Maps", None),  # not in the catalog
    ],
)
def test_services_resolve_to_catalog_slugs(vocab, written: str, slug: str | None) -> None:
    assert vocab.service(written) == slug


@pytest.mark.parametrize(
    ("written", "group"),
    [
        ("Revenue Engineering", "revenue"),  # display name
        ("revenue", "revenue"),
        ("Platform Operations team", "platform-ops"),
        ("the ops crew", "platform-ops"),  # alias
        ("Voyage Systems (berths)", "voyages"),
        ("Finance", None),
    ],
)
def test_teams_resolve_to_group_names(vocab, written: str, group: str | None) -> None:
    assert vocab.team(written) == group


def test_owners_come_from_the_catalog(vocab) -> None:
    assert vocab.owner("berth-planner") == "voyages"
    assert vocab.owner("notify") is None  # owned by a user, not a team
    assert vocab.owner("unknown") is None


def test_without_a_catalog_the_corpus_is_the_vocabulary() -> None:
    stated = [
        (["Booking API", "Search"], "Core"),
        (["Booking API"], "Core"),
        (["booking-api"], "core"),
        (["Search"], "Discovery"),
        (["the Search"], "Discovery team"),
    ]
    vocab = corpus_vocabulary(stated, RULES)
    assert vocab.origin == "corpus"
    assert vocab.service("the booking API") == "booking-api"  # a slug, though written once
    assert vocab.service("search") == "Search"  # no slug: the most common spelling
    assert vocab.team("CORE") == "core"
    assert vocab.team("Discovery") == vocab.team("Discovery team") == "Discovery"  # one team, its most common spelling
    assert vocab.owner("booking-api") is None  # owners are counted separately (corpus_owners)


def test_corpus_owners_need_two_agreeing_documents_and_a_majority() -> None:
    assert corpus_owners([("api", "core"), ("api", "core"), ("api", "web")]) == {"api": "core"}
    assert corpus_owners([("api", "core")]) == {}
    assert corpus_owners([("api", "core"), ("api", "core"), ("api", "web"), ("api", "web")]) == {}


def test_mentions_match_names_in_any_spacing_but_not_inside_team_names(vocab) -> None:
    text = "The ticketing-api and the Berth  Planner failed; Voyage Systems paged. Fare engineering was fine."
    assert [m.service for m in service_mentions(text, vocab)] == ["ticketing-api", "berth-planner"]
    masked = "Team: Platform Operations. Passenger Notifications lagged."
    assert [m.service for m in service_mentions(masked, vocab)] == ["notify"]


@pytest.mark.parametrize(
    ("text", "unaffected"),
    [
        ("Passenger Notifications were unaffected.", {"notify"}),
        ("The Ticketing API and the Berth Planner were not affected.", {"ticketing-api", "berth-planner"}),
        ("The Ticketing API, the Fare Engine and the Berth Planner run elsewhere and were not affected.",
         {"ticketing-api", "fare-engine", "berth-planner"}),
        ("There was no impact on the Fare Engine or Passenger Notifications.", {"fare-engine", "notify"}),
        ("The Fare Engine failed, but the Ticketing API was unaffected.", {"ticketing-api"}),
        ("The Fare Engine failed. Customers with open sessions were not affected.", set()),
        ("The Berth Planner timed out because the Ticketing API retried, and bookings stopped.", set()),
    ],
)
def test_unaffected_services(vocab, text: str, unaffected: set[str]) -> None:
    assert unaffected_services(text, vocab) == unaffected


def test_a_service_called_unaffected_anywhere_is_not_affected(vocab) -> None:
    summary = "The Berth Planner double-booked berth 3. Passenger Notifications sent the usual reminders."
    elsewhere = "Passenger Notifications were unaffected throughout."
    assert affected_services([summary], [summary, elsewhere], vocab) == ["berth-planner"]
    # Nothing named in the summary, impact or root cause: the rest of the write-up is read.
    story = "Around 19:00 the Fare Engine stopped answering."
    assert affected_services(["A bad evening."], ["A bad evening.", story], vocab) == ["fare-engine"]
    assert affected_services([], [], vocab) == []


def test_a_service_named_only_as_what_another_calls_is_context(vocab) -> None:
    summary = ("The Ticketing API turns a quote into a booking, and hands off to the Berth Planner. "
               "Around 09:00 the Ticketing API began returning errors.")
    assert affected_services([summary], [summary], vocab) == ["ticketing-api"]
    # A list after the phrase is context as a whole...
    listed = "The portal makes calls to the Fare Engine, the Berth Planner and others. The portal failed."
    assert affected_services([listed], [listed], vocab) == []
    # A dependency introduced as what something relies on is often the one that failed.
    failing = "Ticketing relies on the Fare Engine, which timed out for an hour."
    assert affected_services([failing], [failing], vocab) == ["fare-engine"]
    # ...but a service also named elsewhere counts as usual.
    also = summary + " The Berth Planner then rejected every request."
    assert affected_services([also], [also], vocab) == ["ticketing-api", "berth-planner"]


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("INC-912: Fare Engine served yesterday's fares", "INC-912"),
        ("OPS-88 - Checkout down", "OPS-88"),
        ("[INC-7] Berth clash", "INC-7"),
        ("SEV-1: everything down", None),
        ("P2 - slow search", None),
        ("Incident #24-0903: DNS failures", None),
        ("INC-912 follow-up review", None),
        (None, None),
    ],
)
def test_title_keys(title: str | None, key: str | None) -> None:
    assert title_key(title) == key


def test_only_a_markdown_write_up_without_an_id_adopts_its_title_key() -> None:
    page = Incident(derive_incident_id("p.md"), "p.md", title="INC-912: Stale fares")
    adopt_title_key(page)
    assert page.incident_id == "INC-912"
    stated = Incident("TW-1", "q.md", title="INC-912: Stale fares")
    adopt_title_key(stated)
    assert stated.incident_id == "TW-1"
    record = Incident(derive_incident_id("x.jsonl:2"), "x.jsonl:2", title="INC-912: Stale fares", source_format="jsonl")
    adopt_title_key(record)
    assert record.incident_id == derive_incident_id("x.jsonl:2")


def test_team_mentions_find_groups_inside_longer_text(vocab) -> None:
    assert team_mentions("Tidewater Revenue Engineering", vocab) == ["revenue"]
    assert team_mentions("Harbour on-call, Platform Operations, with Voyage Systems", vocab) == ["platform-ops", "voyages"]
    assert team_mentions("nobody in particular", vocab) == []
