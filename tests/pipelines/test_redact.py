from __future__ import annotations

import pytest

from pipelines.report.redact import Redactor, redact

OWNERS = ["Alice Chen", "@bob", "payments-team", "SRE", "carol.king@example.com", "Dan"]


@pytest.fixture(scope="module")
def r() -> Redactor:
    return Redactor(OWNERS)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mail alice@example.com now", "mail [email] now"),
        ("a.b+tag@mail.corp.io, x_y@sub.example.co.uk.", "[email], [email]."),
        ("primary 10.2.3.4 failed over", "primary [ip] failed over"),
        ("blocked 10.0.0.0/8 and 192.168.1.20:5432", "blocked [ip] and [ip]"),
        ("v6 2001:db8::1 and fe80::1ff:fe23:4567:890a", "v6 [ip] and [ip]"),
        ("loopback ::1 answered", "loopback [ip] answered"),
    ],
)
def test_emails_and_ips(r, text, expected):
    assert r.redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "at 12:30:45 UTC the pager fired",  # a clock time is not IPv6
        "version 1.2.3 and 999.1.1.1",  # not an address (999 > 255)
        "see runbook.md and config.yaml",  # file names are not hosts
        "pipelines.report.review and os.path",  # code paths are not hosts
        "SEV-1 on 2026-03-05 (INC-2024-031), error-503 and sev-12",
    ],
)
def test_ordinary_text_survives(r, text):
    assert r.redact(text) == text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("db-01.prod.example.com is down", "[host] is down"),
        ("api.internal and cache.eu-west-1.corp", "[host] and [host]"),
        ("https://grafana.example.com/d/abc", "https://[host]/d/abc"),
        ("web-07 and db-prod-03 restarted", "[host] and [host] restarted"),
    ],
)
def test_hostnames(r, text, expected):
    assert r.redact(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Alice Chen rolled back", "[person] rolled back"),
        ("Chen paged Alice", "[person] paged [person]"),
        ("ALICE CHEN said", "[person] said"),
        ("@bob and bob", "[person] and [person]"),
        ("Dan approved", "[person] approved"),
        ("Danny and Danielle are not Dan", "Danny and Danielle are not [person]"),
        # teams are not people, so team owners and ordinary words stay
        ("the SRE team and payments-team", "the SRE team and payments-team"),
        ("bobsled and kebob", "bobsled and kebob"),
    ],
)
def test_owner_names(r, text, expected):
    assert r.redact(text) == expected


def test_email_owner_is_caught_as_email(r):
    assert r.redact("ask carol.king@example.com") == "ask [email]"


def test_no_people_and_empty_text():
    assert redact("", ["Alice"]) == ""
    assert Redactor().redact("Alice at 10.0.0.1") == "Alice at [ip]"


def test_owner_with_regex_characters_is_literal():
    assert Redactor(["J. (Jay) Smith+"]).redact("J. (Jay) Smith+ fixed it; JX Smith did not") == "[person] fixed it; JX Smith did not"


def test_placeholders_are_stable_under_a_second_pass(r):
    once = r.redact("Alice Chen at alice@example.com on 10.0.0.1 via web-07.prod.example.com")
    assert once == "[person] at [email] on [ip] via [host]"
    assert r.redact(once) == once
