"""Fishbone (Ishikawa) category for a contributing factor, by transparent keyword rules.

A reliability review wants to see factors by kind of cause, and wants to be able to argue
with the classifier. So this is a rule table, not a model: every category has a list of
regular expressions (word stems, matched case-insensitively on word boundaries), each with
a weight. A factor's score for a category is the sum of the weights of its rules that match
(each rule counts once). The highest score wins; ties go to the category listed first below
(more specific causes are listed before broader ones). No match at all gives "other".

Categories and what triggers them (the full patterns are in `RULES`):

- security/credentials: certificate, TLS/SSL, expired cert, credential, secret, token, API key,
  password, permission denied, IAM/RBAC, auth failure, rotation, vulnerability, attack/DDoS.
- change management: deploy/rollout/release, config change/push, migration, feature flag,
  rollback, canary, change review, untested change, schema change.
- capacity: capacity, load/traffic spike, saturation, exhausted (pool, memory, disk),
  out of memory/OOM, disk full, quota/limit reached, throttling, autoscaling, connection pool.
- dependencies: third-party/vendor/upstream/downstream, provider, DNS, CDN, external API,
  library/dependency upgrade, cloud provider region.
- monitoring/detection: alert/alerting, monitoring, dashboard, observability, no alert, missed
  page, detection delay, noisy alert, metrics, logging gaps, health check.
- process/runbooks: runbook/playbook, documentation, procedure, checklist, manual step,
  escalation path, on-call handoff, training.
- ownership/communication: owner/ownership, unclear responsibility, communication, status page,
  coordination, handoff between teams, stakeholder, notification to customers.
- hardware/infrastructure: hardware, disk failure, server/host/node failure, power, network
  partition, switch/router, datacenter, kernel, firmware, VM, cable, cooling.
- software defect: bug, regression, race condition, deadlock, memory leak, null pointer,
  exception, retry storm, infinite loop, off-by-one, edge case, unhandled, timeout handling.
- other: nothing above matched.

Rules are deliberately stems ("deploy" matches deploy, deployed, deployment). Adding a rule is
one line in `RULES`; `tests/pipelines/test_categories.py` pins hand-written examples.
"""

from __future__ import annotations

import re
from functools import lru_cache

CATEGORIES = (
    "security/credentials",
    "change management",
    "capacity",
    "dependencies",
    "monitoring/detection",
    "process/runbooks",
    "ownership/communication",
    "hardware/infrastructure",
    "software defect",
    "other",
)

# (category, pattern, weight). Patterns are matched with a leading word boundary only, so a
# stem matches its inflections. Weight 2 marks a rule that is nearly unambiguous on its own.
RULES: tuple[tuple[str, str, float], ...] = (
    ("security/credentials", r"certificates?\b|\bcerts?\b|tls\b|ssl\b|x\.?509", 2),
    ("security/credentials", r"credential|secrets?\b|api[ -]?keys?|passwords?|token", 2),
    ("security/credentials", r"permission denied|unauthori[sz]ed|forbidden|iam\b|rbac|auth(?:entication|orization)?\b", 1.5),
    ("security/credentials", r"rotat(?:e|ed|ion)|vulnerab|attack|ddos|malicious|breach|exploit", 1),
    ("change management", r"deploy|roll(?:ed)? ?out|release[ds]?\b|push(?:ed)? (?:to|a|the)|shipped", 2),
    ("change management", r"config(?:uration)? (?:change|push|update|error|mistake)|misconfigur|change (?:review|management|freeze)", 2),
    ("change management", r"migrat|feature flag|flag flip|rollback|roll(?:ed)? back|canary|untested change|schema change", 1.5),
    ("change management", r"config(?:uration)?s?\b|change[ds]?\b|upgrad", 0.5),
    ("capacity", r"capacity|saturat|exhaust|out of memory|\boom|disk (?:was |is )?full|ran out of|running out", 2),
    ("capacity", r"traffic (?:spike|surge)|load (?:spike|increase)|spike in|surge|thundering herd|overload", 2),
    ("capacity", r"quota|rate limit|throttl|autoscal|scal(?:e|ing) (?:up|out)|connection pool|thread pool|headroom", 1.5),
    ("capacity", r"too many|high load|peak|backlog|queue (?:depth|grew|backed up)", 1),
    ("dependencies", r"third[- ]party|vendor|upstream|downstream|provider|external (?:api|service|dependency)", 2),
    ("dependencies", r"dns\b|cdn\b|payment (?:processor|gateway)|saas|cloud (?:provider|region)|aws\b|gcp\b|azure", 1.5),
    ("dependencies", r"dependenc|library|package|sdk\b|client version", 1),
    ("monitoring/detection", r"alert|monitor|observabil|no page|not paged|missed page|paging", 2),
    ("monitoring/detection", r"dashboard|metric|detect|visibility|blind spot|health ?check|synthetic", 1.5),
    ("monitoring/detection", r"logging|logs? (?:were|was) (?:missing|not)|noisy|threshold", 1),
    ("process/runbooks", r"runbook|playbook|documentation|undocumented|procedure|checklist", 2),
    ("process/runbooks", r"manual (?:step|process|intervention)|training|escalation (?:path|policy)|process\b|drill", 1.5),
    ("ownership/communication", r"own(?:ership|ers?|ed|s)\b|unowned|unclear (?:who|which)|responsib|communicat|status page", 2),
    ("ownership/communication", r"coordinat|handoff|hand-off|stakeholder|notif(?:y|ied|ication)|announce|silo", 1.5),
    ("hardware/infrastructure", r"hardware|power (?:loss|outage|failure|supply)|\bpsu\b|datacenter|data center|rack\b|cooling", 2),
    ("hardware/infrastructure", r"disk (?:failure|failed|died)|nic\b|switch\b|router|network partition|fiber|cable|firmware|kernel", 2),
    ("hardware/infrastructure", r"(?:host|node|server|instance|vm) (?:failure|failed|crashed|died|went down)|hypervisor|availability zone|\baz\b", 1.5),
    ("hardware/infrastructure", r"network|packet loss|latency between|bgp\b", 1),
    ("software defect", r"\bbug\b|bugs\b|regression|race condition|deadlock|memory leak|null pointer|nullpointer|segfault", 2),
    ("software defect", r"exception|unhandled|edge case|off[- ]by[- ]one|infinite loop|retry storm|retries|data corruption|panic", 1.5),
    ("software defect", r"code (?:path|change)|logic|incorrect(?:ly)?|wrong(?:ly)?|crash|timeout|time out", 1),
)


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[str, re.Pattern[str], float], ...]:
    return tuple((cat, re.compile(r"\b(?:" + pattern + ")", re.IGNORECASE), w) for cat, pattern, w in RULES)


def category_scores(text: str) -> dict[str, float]:
    """Score per category (only categories with at least one matching rule)."""
    scores: dict[str, float] = {}
    for cat, pattern, weight in _compiled():
        if pattern.search(text):
            scores[cat] = scores.get(cat, 0.0) + weight
    return scores


# Host names, IPs and versions (a token with a digit and a dot) never decide a category; dropping
# them first lets the cache below see "db-07.prod disk full" and "db-12.prod disk full" as one.
_HOST_LIKE = re.compile(r"[\w-]*\d[\w-]*(?:\.[\w-]+)+")


def classify(text: str) -> str:
    """The fishbone category of one contributing factor."""
    return _classify(_HOST_LIKE.sub(" ", text or ""))


@lru_cache(maxsize=1 << 17)  # factors repeat (templates, copy-paste); classify each once
def _classify(text: str) -> str:
    scores = category_scores(text)
    if not scores:
        return "other"
    order = {cat: i for i, cat in enumerate(CATEGORIES)}
    return max(scores, key=lambda cat: (scores[cat], -order[cat]))


def matched_rules(text: str) -> list[tuple[str, str]]:
    """(category, matched words) for every rule that fired: the explanation a reviewer can check."""
    out = []
    for cat, pattern, _w in _compiled():
        m = pattern.search(text)
        if m:
            out.append((cat, m.group(0)))
    return out
