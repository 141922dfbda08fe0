"""Replace personal and infrastructure details with placeholders, for sharing a review outside the team.

What is replaced, in this order (earlier patterns win, so an email is not half-eaten as a host):

    emails                 alice@example.com, a.b+tag@mail.corp.io     -> [email]
    IP addresses           10.1.2.3, 10.0.0.0/8, 192.168.0.1:5432,
                           2001:db8::1, fe80::1ff:fe23:4567:890a        -> [ip]
    people                 each action-item owner as written ("Alice Chen", "@achen", "achen"),
                           and each part of a two-or-three-word personal name ("Alice", "Chen") -> [person]
    hostnames              db-01.prod.example.com, api.internal, cache.eu-west-1.corp
                           and numbered hosts like web-07 or db-prod-03  -> [host]

Redaction errs towards hiding: a version string shaped like an IPv4 address is hidden too. File
names (runbook.md, config.yaml) and dotted code paths (os.path) are not hostnames and stay.
Owners that look like teams ("payments-team", "SRE on-call") are not people and stay.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

EMAIL = "[email]"
IP = "[ip]"
PERSON = "[person]"
HOST = "[host]"

_EMAIL_RE = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_IPV4_RE = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?:/\d{1,2})?(?::\d{1,5})?(?![\w.]*\d)")
# Candidates only: each match is checked with the ipaddress module, so clock times (12:30:45)
# and C++ scopes never qualify.
_IPV6_RE = re.compile(r"(?<![\w:])((?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4})(?:/\d{1,3})?(?![\w:])")
_FILE_SUFFIXES = frozenset(
    "py md markdown yaml yml json jsonl toml txt log csv tsv js ts tsx jsx go java kt rb rs sh bash conf cfg ini "
    "html htm css sql xml lock tar gz tgz zip png jpg jpeg gif svg pdf env tf hcl proto pem crt key service "
    "duckdb db sqlite parquet".split()
)
_FQDN_RE = re.compile(r"(?<![\w@.-])((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z][A-Za-z0-9-]{1,23}))(?![\w-]|\.[A-Za-z0-9])")
_NUMBERED_HOST_RE = re.compile(r"(?<![\w.-])([a-z][a-z0-9]*(?:-[a-z0-9]+)*-\d{2,4})(?![\w-])")
# Lowercase words ending in -NN that are not machines.
_NOT_HOST_PREFIXES = ("sev-", "p-", "inc-", "http-", "error-", "status-", "code-", "port-", "rfc-", "cve-", "q-")
_TEAM_WORDS = frozenset("team squad sre oncall on-call ops platform group guild infra crew rotation".split())
_NAME_PART_RE = re.compile(r"^[A-Z][a-z'’-]{2,}$")


class Redactor:
    """Built once per report from the owners in the database; `redact(text)` is then pure."""

    def __init__(self, people: Iterable[str] = ()) -> None:
        names: set[str] = set()
        for raw in people:
            names.update(_name_variants(raw))
        # Longest first so "Alice Chen" is replaced before "Alice" would split it.
        ordered = sorted((n for n in names if n), key=lambda n: (-len(n), n))
        self._people_re = (
            re.compile(r"(?<![\w@])@?(?:" + "|".join(re.escape(n) for n in ordered) + r")(?![\w])", re.IGNORECASE)
            if ordered
            else None
        )

    def redact(self, text: str) -> str:
        if not text:
            return text
        text = _EMAIL_RE.sub(EMAIL, text)
        text = _IPV4_RE.sub(_ipv4_sub, text)
        text = _IPV6_RE.sub(_ipv6_sub, text)
        if self._people_re is not None:
            text = self._people_re.sub(PERSON, text)
        text = _FQDN_RE.sub(_fqdn_sub, text)
        text = _NUMBERED_HOST_RE.sub(_numbered_host_sub, text)
        return text


def redact(text: str, people: Iterable[str] = ()) -> str:
    return Redactor(people).redact(text)


def _name_variants(raw: str) -> set[str]:
    owner = raw.strip().lstrip("@").strip()
    if not owner or "@" in owner:  # emails are caught by the email pattern
        return set()
    # Teams are not people: redacting "SRE" or "payments-team" would only blur the review.
    if len(owner) < 3 or any(w.lower().strip(".,") in _TEAM_WORDS for w in re.split(r"[\s_/-]+", owner)):
        return set()
    variants = {owner}
    words = owner.split()
    if 2 <= len(words) <= 3 and all(_NAME_PART_RE.match(w) for w in words):
        variants.update(words)
    # Handles ("achen") and dotted usernames ("alice.chen") are matched as written.
    return variants


def _ipv4_sub(m: re.Match[str]) -> str:
    try:
        ipaddress.IPv4Address(m.group(1))
    except ValueError:
        return m.group(0)
    return IP


def _ipv6_sub(m: re.Match[str]) -> str:
    candidate = m.group(1)
    if candidate.count(":") < 2:
        return m.group(0)
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return m.group(0)
    return IP


def _fqdn_sub(m: re.Match[str]) -> str:
    name, tld = m.group(1), m.group(2)
    if tld.lower() in _FILE_SUFFIXES:
        return m.group(0)
    labels = name.split(".")
    # "e.g" / "i.e" and decimal-looking tokens are prose, not hosts.
    if all(len(label) <= 1 for label in labels) or labels[0].isdigit():
        return m.group(0)
    # A dotted Python/Java path (pipelines.report.review, os.path) is not a host either: require a
    # hyphen or digit, or a suffix that only hosts use.
    if not (re.search(r"[\d-]", name) or tld.lower() in _HOST_TLDS):
        return m.group(0)
    return HOST


_HOST_TLDS = frozenset(
    "com net org io dev app cloud co uk de fr nl eu us ca au jp in internal local lan corp intra private "
    "svc cluster home example test localdomain ai".split()
)


def _numbered_host_sub(m: re.Match[str]) -> str:
    word = m.group(1)
    if word.startswith(_NOT_HOST_PREFIXES):
        return word
    return HOST
