"""Metadata: aliases, severity mapping, time normalization to naive UTC."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from pipelines.parsing.metadata import (
    apply_metadata,
    canonical_field,
    match_key_value,
    normalize_severity,
    parse_date,
    parse_datetime,
    to_list,
)
from pipelines.model import Incident


@pytest.mark.parametrize(
    ("raw", "sev"),
    [
        ("SEV1", "SEV1"), ("sev-2", "SEV2"), ("Sev 3", "SEV3"), ("SEV4", "SEV4"), ("SEV0", "SEV1"), ("SEV5", "SEV4"),
        ("S1", "SEV1"), ("s2", "SEV2"), ("P0", "SEV1"), ("P1", "SEV1"), ("p2", "SEV2"), ("P3", "SEV3"), ("P4", "SEV4"),
        ("critical", "SEV1"), ("Major", "SEV2"), ("high", "SEV2"), ("medium", "SEV3"), ("minor", "SEV3"),
        ("low", "SEV4"), ("trivial", "SEV4"), ("Severity 2", "SEV2"), ("Priority: P1", "SEV1"), ("2", "SEV2"),
        (1, "SEV1"), (3, "SEV3"), ("SEV-2 (major)", "SEV2"), ("level 4", "SEV4"),
        ("unknown", None), ("", None), (None, None), ("orange", None),
    ],
)
def test_severity_mapping(raw: object, sev: str | None) -> None:
    assert normalize_severity(raw)[0] == sev


def test_severity_keeps_raw_text() -> None:
    assert normalize_severity(" Sev 2 ") == ("SEV2", "Sev 2")
    assert normalize_severity("weird") == (None, "weird")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-05T14:02:00Z", datetime(2024, 3, 5, 14, 2)),
        ("2024-03-05T14:02:00+02:00", datetime(2024, 3, 5, 12, 2)),
        ("2024-03-05 14:02", datetime(2024, 3, 5, 14, 2)),  # no zone: taken as UTC
        ("2024-03-05 14:02 UTC", datetime(2024, 3, 5, 14, 2)),
        ("2024-03-05 14:02 PDT", datetime(2024, 3, 5, 21, 2)),
        ("2024-03-05 14:02 PST", datetime(2024, 3, 5, 22, 2)),
        ("March 5, 2024 2:02 PM EST", datetime(2024, 3, 5, 19, 2)),
        ("2024-03-05 14:02 CET", datetime(2024, 3, 5, 13, 2)),
        ("2024-07-05 14:02 CEST", datetime(2024, 7, 5, 12, 2)),
        ("2024-03-05 14:02 IST", datetime(2024, 3, 5, 8, 32)),
        ("2024-03-05 14:02 JST", datetime(2024, 3, 5, 5, 2)),
        ("2024-03-05 14:02 AEST", datetime(2024, 3, 5, 4, 2)),
        ("2024-07-05 14:02 BST", datetime(2024, 7, 5, 13, 2)),
        ("2024-07-05 14:02 PT", datetime(2024, 7, 5, 21, 2)),  # PT follows daylight saving
        ("2024-01-05 14:02 PT", datetime(2024, 1, 5, 22, 2)),
        ("2024-03-05", datetime(2024, 3, 5)),
        ("1969-07-20T20:17:40Z", datetime(1969, 7, 20, 20, 17, 40)),  # explicit stamps may be historical
        ("July 20 1969 20:17", None),  # fuzzy text must look modern
        (date(2024, 3, 5), datetime(2024, 3, 5)),
        (datetime(2024, 3, 5, 14, 2, tzinfo=timezone(timedelta(hours=-5))), datetime(2024, 3, 5, 19, 2)),
        ("14:02", None),  # a time with no date is not placeable
        ("soon", None), ("", None), (None, None), (1712345678, None), ("9999-01-01", None),
    ],
)
def test_parse_datetime(raw: object, expected: datetime | None) -> None:
    assert parse_datetime(raw) == expected


def test_time_only_uses_default_date() -> None:
    assert parse_datetime("14:02 UTC", default_date=date(2024, 3, 5)) == datetime(2024, 3, 5, 14, 2)


def test_parse_date_from_timestamp_with_zone_uses_utc_day() -> None:
    assert parse_date("2024-03-05T23:30:00-05:00") == date(2024, 3, 6)
    assert parse_date("not a date") is None


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("ID", "incident_id"), ("uuid", "incident_id"), ("Title", "title"), ("sev", "severity"),
        ("Priority", "priority"), ("product", "services"), ("Service", "services"), ("owner_team", "team"),
        ("Owner team", "team"), ("start_time", "started_at"), ("Start time", "started_at"), ("end_time", "resolved_at"),
        ("categories", "tags"), ("keywords", "tags"), ("visibility", "visibility"), ("allowed-groups", "allowed_groups"),
        ("company", None), ("note", None),
    ],
)
def test_field_aliases(key: str, field: str | None) -> None:
    assert canonical_field(key) == field


def test_lists_from_strings_lists_and_scalars() -> None:
    assert to_list("a, b; c") == ["a", "b", "c"]
    assert to_list(["a", "a", " b "]) == ["a", "b"]
    assert to_list("[x, y]") == ["x", "y"]
    assert to_list(None) == []
    assert to_list(5) == ["5"]
    assert to_list([{"name": "api"}, {"service": "db"}, {"x": 1}]) == ["api", "db"]


def test_apply_metadata_restricted_and_visibility() -> None:
    inc = Incident("x", "x.md")
    apply_metadata(inc, {"visibility": "Restricted", "allowed_groups": "sre-leads, security"})
    assert (inc.restricted, inc.allowed_groups) == (True, ["sre-leads", "security"])
    inc = Incident("x", "x.md")
    apply_metadata(inc, {"visibility": "internal", "restricted": "no"})
    assert inc.restricted is False


def test_apply_metadata_without_overwrite_keeps_front_matter() -> None:
    inc = Incident("x", "x.md", title="From front matter")
    apply_metadata(inc, {"title": "From body"}, overwrite=False)
    assert inc.title == "From front matter"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Severity: SEV2", ("severity", "SEV2")),
        ("**Severity:** SEV2", ("severity", "SEV2")),
        ("**Date**: 2024-01-02", ("date", "2024-01-02")),
        ("- **Team:** Payments", ("team", "Payments")),
        ("Note: hello", None),
        ("Severity:", None),
        ("The severity: was high", None),
    ],
)
def test_key_value_lines(line: str, expected: tuple[str, str] | None) -> None:
    assert match_key_value(line) == expected


def test_zone_of_names_offsets_and_iana() -> None:
    from pipelines.parsing.metadata import zone_of

    when = datetime(2024, 7, 1, 12, 0)
    assert zone_of("PDT").utcoffset(when) == timedelta(hours=-7)
    assert zone_of("UTC+2").utcoffset(when) == timedelta(hours=2)
    assert zone_of("Asia/Kolkata").utcoffset(when) == timedelta(hours=5, minutes=30)
    assert zone_of("us-east-1a") is None and zone_of("Mars/Olympus") is None and zone_of("") is None
    assert parse_datetime("2024-07-01 10:00", local_tz=zone_of("CEST")) == datetime(2024, 7, 1, 8, 0)
    assert parse_datetime("2024-07-01", local_tz=zone_of("CEST")) == datetime(2024, 7, 1)
