"""Affected services and the owning team as written (display names kept; the catalog maps them
to slugs), with where each came from (tests/fixtures/realstyle/README.md, "Services and team")."""

from __future__ import annotations

import pytest

from pipelines.parsing.files import parse_file
from pipelines.parsing.ownership import service_names, signed_team, split_names, team_name
from tests.pipelines.realstyle import load

# (file, services as written, team as written, where services / team came from)
CONVENTIONS = [
    ("2023-08-09", ["picking"], "Fulfilment Engineering", "front_matter", "front_matter"),  # block list
    ("2024-09-17", ["messaging", "courier-dispatch"], "shop", "front_matter", "front_matter"),  # [a, b]
    ("2024-04-16", ["payments-hub", "checkout"], "pay", "front_matter", "front_matter"),  # "a, b"
    ("2023-04-18", ["Payments Hub", "Checkout Service"], "Payments & Checkout", "metadata", "metadata"),  # 2-column table
    ("2024-05-14", ["Warehouse Picking"], "Fulfilment Engineering", "metadata", "metadata"),  # key information
    ("2024-08-08", [], "Fulfilment Engineering", None, "metadata"),  # 4-column wiki table
    ("2023-03-07", ["checkout", "basket"], "pay", "metadata", "metadata"),  # Service(s) affected:
    ("2024-03-12", ["Storefront API", "Warehouse Picking"], "shop", "metadata", "metadata"),  # remarks dropped
    ("2023-09-12", ["Accounts & Login", "Storefront API"], "core-infra", "metadata", "metadata"),  # **Impacted:**
    ("2025-03-06", ["checkout"], "pay", "metadata", "metadata"),  # affected: (payments hub itself was fine)
    ("2024-12-31", ["courier-dispatch"], "fulfilment", "label", "label"),  # services:: / team::
    ("2024-06-04", ["Courier Dispatch"], "fulfilment", "metadata", "label"),  # ### Affected services, team/x
    ("2025-09-04", [], "shop", None, "label"),  # Labels: ... team/shop
    ("2024-11-19", [], "fulfilment", None, "label"),  # /label ~"team::fulfilment"
    ("2024-02-06", [], "Core Infrastructure", None, "metadata"),  # **Owning team:**
    ("2023-06-20", [], "Core Infrastructure", None, "text"),  # Prepared by Core Infrastructure (...).
    ("2025-02-11", [], "Payments & Checkout", None, "text"),  # Prepared by Payments & Checkout.
    ("jsonl:2", ["Warehouse Picking"], "Fulfilment Engineering", "record", "record"),  # display names in JSON
    ("jsonl:4", ["accounts"], "Core Infrastructure", "record", "record"),  # a bare string
    ("csv:2", ["k8s-platform", "product-search"], "core-infra", "label", "label"),  # Tags: service:x, team:y
]


@pytest.mark.parametrize(("prefix", "services", "team", "svc_source", "team_source"), CONVENTIONS, ids=[c[0] for c in CONVENTIONS])
def test_services_and_team_as_written(prefix: str, services: list[str], team: str, svc_source: str | None, team_source: str) -> None:
    inc = load(prefix)
    assert (inc.services, inc.team) == (services, team)
    got = inc.field_sources.get("services")
    assert (got.source if got else None) == svc_source
    assert inc.field_sources["team"].source == team_source


def test_a_sign_off_names_the_team() -> None:
    inc = load("2023-11-22")  # "— The Greengage Shopping Experience team"
    assert inc.team.endswith("Shopping Experience") and inc.field_sources["team"].source == "text"
    assert signed_team(["Thanks for reading.", "", "— Omar"]) is None  # a person, not a team


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("Courier Dispatch (driver app and its backend)", ["Courier Dispatch"]),
        ("checkout (payments hub itself was fine)", ["checkout"]),
        ("payments-gw (unaffected), booking-api", ["booking-api"]),
        ("booking-api; payments-gw was not affected", ["booking-api"]),
        ("checkout, basket; not affected: payments hub", ["checkout", "basket"]),
        ("Accounts & Login and the Storefront API", ["Accounts & Login", "the Storefront API"]),
    ],
)
def test_service_names_leave_out_what_was_not_affected(value: str, names: list[str]) -> None:
    assert [n for part in split_names(value) for n in service_names(part)] == names


def test_team_names_lose_their_remark() -> None:
    assert (team_name("growth (pricing)"), team_name("Data (notifications)"), team_name("Platform Engineering")) == (
        "growth", "Data", "Platform Engineering",
    )


def test_unaffected_services_in_a_metadata_line_are_excluded() -> None:
    text = b"# T\n\nAffected services: booking-api, mobile-bff (the BFF), payments-gw (not affected)\n\n## Summary\n\nIt broke.\n"
    inc = parse_file(text, "x.md").incidents[0]
    assert inc.services == ["booking-api", "mobile-bff"]
