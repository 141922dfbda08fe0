"""Planning a synthetic corpus: services, teams, incident times, themes and action items.

The plan decides *what happened* (the truth); `render` decides how a person would have
written it down. Same count and seed, same plan.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, timedelta

from pipelines.synthetic.text import (
    CACHE_ITEMS, CACHES, CAMPAIGNS, COMPANIONS, COMPONENTS, CONFIG_FILES, DISK_PATHS, FLAGS,
    GENERIC_ACTIONS, REGIONS, TABLES, THEME_BY_KEY, THEMES, USER_ACTIONS, VENDORS, duration_text, fill, pick,
)

REFERENCE_DATE = date(2026, 11, 15)  # "today" for overdue action items
WINDOW_START = datetime(2023, 11, 1)
WINDOW_END = datetime(2026, 10, 31)
REPEAT_WINDOW = timedelta(days=180)
VAGUE_STARTS = ("investigate", "look into", "improve", "consider")  # actions with no checkable outcome

# team -> (services, people as (handle, display name))
TEAMS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "storefront": (("checkout-api", "search-api"), (
        ("priya.r", "Priya Raman"), ("dkim", "Daniel Kim"), ("lucia", "Lucía Fernández"),
        ("tom.b", "Tom Becker"), ("aoife", "Aoife Byrne"), ("kwame", "Kwame Mensah"))),
    "payments": (("payments-gateway", "ledger"), (
        ("mzh", "Mei Zhang"), ("jose.n", "José Núñez"), ("hannah", "Hannah Schulz"),
        ("raj.p", "Raj Patel"), ("oluwa", "Oluwaseun Adeyemi"))),
    "identity": (("auth-service", "user-profile"), (
        ("soren", "Søren Ødegaard"), ("amira", "Amira Haddad"), ("ben.c", "Ben Carter"),
        ("yuki", "Yuki Tanaka"), ("zoe.k", "Zoë Kowalczyk"))),
    "platform": (("edge-proxy", "ci-runners"), (
        ("dave.m", "Dave Morgan"), ("lukasz", "Łukasz Wiśniewski"), ("ines", "Inês Costa"),
        ("sam.o", "Sam Okafor"), ("ana.g", "Ana García"), ("felix", "Felix Braun"))),
    "data": (("orders-db", "event-pipeline"), (
        ("nadia", "Nadia Petrova"), ("chen.w", "Chen Wei"), ("marta", "Marta Nowak"),
        ("omar", "Omar Farouk"), ("elif", "Elif Yılmaz"))),
    "messaging": (("notifications", "email-sender"), (
        ("grace", "Grace Liu"), ("mateo", "Mateo Rossi"), ("keiko", "Keiko Sato"),
        ("arjun", "Arjun Mehta"), ("fatou", "Fatou Diop"))),
}
SERVICE_TEAM = {svc: team for team, (svcs, _) in TEAMS.items() for svc in svcs}
SERVICES = tuple(sorted(SERVICE_TEAM))
SERVICE_WEIGHTS = {
    "checkout-api": 12, "search-api": 9, "payments-gateway": 11, "ledger": 7, "auth-service": 10,
    "user-profile": 7, "edge-proxy": 11, "ci-runners": 6, "orders-db": 10, "event-pipeline": 8,
    "notifications": 9, "email-sender": 6,
}
TICKET_PREFIX = {"storefront": "SHOP", "payments": "PAY", "identity": "IAM", "platform": "PLAT",
                 "data": "DATA", "messaging": "MSG"}

SEVERITY_WEIGHTS = {"SEV1": 6, "SEV2": 22, "SEV3": 46, "SEV4": 26}
SEVERITY_RAW = {
    "SEV1": ("SEV1", "sev1", "SEV-1", "Sev 1", "P1", "P0", "critical", "Critical"),
    "SEV2": ("SEV2", "sev-2", "Sev 2", "SEV 2", "P2", "major", "High"),
    "SEV3": ("SEV3", "sev3", "Sev 3", "SEV-3", "P3", "minor", "Medium", "moderate"),
    "SEV4": ("SEV4", "sev-4", "Sev 4", "P4", "low", "Low"),
}

# Markdown templates and their weights; exports are chosen separately.
TEMPLATES = {"google_sre": 20, "pagerduty": 18, "atlassian": 15, "gitlab": 14, "short": 10,
             "messy": 12, "meta_table": 5, "prose": 6}
JSONL_EXPORT = "exports/incidents.jsonl"
JSON_EXPORT = "exports/pagerbot-export.json"
CSV_EXPORT = "exports/legacy-tracker.csv"
FRONT_MATTER_TEMPLATES = ("google_sre", "pagerduty", "atlassian", "gitlab", "messy")


@dataclass
class ActionPlan:
    text: str
    kind: str
    owner: tuple[str, str] | None  # (handle, display name)
    due: date | None
    status: str
    priority: str
    ticket: str | None


@dataclass
class IncidentPlan:
    incident_id: str
    started: datetime
    detected: datetime
    mitigated: datetime
    resolved: datetime
    severity: str
    severity_raw: str
    main_theme: str
    themes: list[str]
    services: list[str]
    team: str
    text_seed: int
    template: str = "google_sre"
    fmt: str = "markdown"
    restricted: bool = False
    blameful: bool = False
    near_duplicate_of: str | None = None
    planted_repeat_of: str | None = None
    force_done: bool = False
    fixed_before: date | None = None  # with force_done: action items are all due before this day
    actions: list[ActionPlan] = field(default_factory=list)
    ctx: dict[str, str] = field(default_factory=dict)  # slot values for templates (_Slots)
    title: str = ""


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    """One key drawn in proportion to its weight (a plain loop beats rng.choices for 4-15 keys)."""
    x = rng.random() * sum(weights.values())
    for key, w in weights.items():
        x -= w
        if x < 0:
            return key
    return key


def _incident_rate(t: datetime) -> float:
    """Relative incident rate: growth over the window, a winter peak, quieter weekends."""
    frac = (t - WINDOW_START) / (WINDOW_END - WINDOW_START)
    trend = 0.65 + 0.7 * frac
    doy = t.timetuple().tm_yday
    season = 1.0 + 0.3 * math.cos(2 * math.pi * (doy - 340) / 365.25)  # peaks mid-December
    weekend = 0.55 if t.weekday() >= 5 else 1.0
    return trend * season * weekend


def _start_times(rng: random.Random, count: int) -> list[datetime]:
    span_minutes = int((WINDOW_END - WINDOW_START).total_seconds() // 60)
    peak = 1.35 * 1.3
    out: list[datetime] = []
    while len(out) < count:
        t = WINDOW_START + timedelta(minutes=rng.randrange(span_minutes))
        hour_weight = 1.0 if 13 <= t.hour <= 23 else 0.45  # deploy hours (UTC) dominate
        if rng.random() * peak < _incident_rate(t) * hour_weight:
            out.append(t)
    return sorted(out)


# How long each kind of failure takes to resolve, relative to the severity's median: config and
# flag changes roll back fast; migrations, partitions and vendors take long. Gives the
# time-to-resolve charts something true to show.
THEME_DURATION = {
    "config_push": 0.7, "feature_flag": 0.6, "memory_leak": 0.9, "cache_stampede": 0.9,
    "capacity_spike": 1.0, "disk_full": 1.0, "db_pool_exhaustion": 1.0, "tls_cert_expiry": 1.2,
    "secret_rotation": 1.2, "dns_misconfig": 1.4, "alerting_gap": 1.5, "third_party_outage": 1.5,
    "runbook_gap": 1.6, "network_partition": 1.6, "db_migration": 1.8,
}
# Share of action items each team closes, relative to the norm: follow-through differs by team.
TEAM_FOLLOW_THROUGH = {"payments": 1.4, "platform": 1.2, "identity": 1.0, "data": 0.9, "storefront": 0.75,
                       "messaging": 0.55}


def _duration_minutes(rng: random.Random, severity: str, theme: str) -> int:
    if rng.random() < 0.045:  # the long tail: a few incidents run well past ten hours
        return int(rng.lognormvariate(math.log(800), 0.45))
    median = {"SEV1": 95, "SEV2": 70, "SEV3": 50, "SEV4": 38}[severity] * THEME_DURATION[theme]
    return max(6, int(rng.lognormvariate(math.log(median), 0.7)))


@lru_cache(maxsize=None)
def _month_theme_weights(year: int, month: int) -> dict[str, float]:
    t = datetime(year, month, 15)
    frac = (t - WINDOW_START) / (WINDOW_END - WINDOW_START)
    weights = {}
    for th in THEMES:
        w = th.weight * (1 + th.trend * (frac - 0.5) * 2)
        if th.key == "capacity_spike" and t.month in (11, 12):
            w *= 2.2  # holiday traffic
        weights[th.key] = max(w, 0.3)
    return weights


def _pick_service(rng: random.Random, theme_key: str) -> str:
    theme = THEME_BY_KEY[theme_key]
    if rng.random() < 0.3:
        return pick(rng, theme.services)
    return _weighted(rng, SERVICE_WEIGHTS)


def _times(rng: random.Random, started: datetime, severity: str, themes: list[str]):
    duration = _duration_minutes(rng, severity, themes[0])
    delay = max(1, int(rng.lognormvariate(math.log(6), 0.9)))
    if "alerting_gap" in themes:
        delay = int(delay * rng.uniform(4, 12))
    delay = min(delay, max(1, duration - 3))
    detected = started + timedelta(minutes=delay)
    resolved = started + timedelta(minutes=max(duration, delay + 3))
    remaining = int((resolved - detected).total_seconds() // 60)
    mitigated = detected + timedelta(minutes=max(1, min(remaining - 1, int(remaining * rng.uniform(0.3, 0.85)))))
    return detected, mitigated, resolved


_NUMBERS = {"n_small": (2, 9), "n": (12, 95), "pct": (5, 60), "pct_high": (85, 99)}


class _Slots(dict):
    """Slot values for one incident's text, drawn on first use: most templates need only a few.

    Values come from their own generator, so they depend only on the incident's text seed and
    the order the templates ask for them, which a near-duplicate repeats exactly.
    """

    def __init__(self, seed: int, plan: IncidentPlan) -> None:
        svc = plan.services[0]
        super().__init__(
            svc=svc,
            team=plan.team,
            hhmm=f"{plan.started:%H:%M}",
            dur_text=duration_text(plan.resolved - plan.started),
            delay=str(int((plan.detected - plan.started).total_seconds() // 60)),
        )
        self._rng = random.Random(seed)
        self._plan = plan

    def __missing__(self, key: str) -> str:
        rng, plan, svc = self._rng, self._plan, self["svc"]
        if key in _NUMBERS:  # a fresh number each time: one value repeated across sentences looks fake
            return str(rng.randint(*_NUMBERS[key]))
        if key in ("region", "region2"):
            self["region"], self["region2"] = rng.sample(REGIONS, 2)
        elif key in ("vendor", "vendor_role"):
            self["vendor"], self["vendor_role"] = pick(rng, VENDORS)
        elif key in ("ver", "oldver"):
            major, minor, patch = rng.randint(1, 9), rng.randint(0, 40), rng.randint(0, 20)
            self["ver"] = f"v{major}.{minor}.{patch}"
            self["oldver"] = f"v{major}.{minor}.{patch - 1}" if patch else f"v{major}.{max(0, minor - 1)}.9"
        elif key in ("cert_zone", "dns_zone"):
            self["cert_zone"] = self["dns_zone"] = pick(rng, ("lumencart.io", "lumen-pay.com", "internal.lumen", "lumencart.co.uk"))
        else:
            self[key] = self._draw(key, rng, plan, svc)
        return self[key]

    def _draw(self, key: str, rng: random.Random, plan: IncidentPlan, svc: str) -> str:
        if key == "svc2":
            return plan.services[1] if len(plan.services) > 1 else pick(rng, [s for s in SERVICES if s != svc])
        if key == "host":
            return f"{svc.split('-')[0]}-{rng.randint(1, 24):02d}.{self['region']}.prod"
        if key in ("ip", "ip2"):
            return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"
        if key == "cert_domain":
            return f"{pick(rng, ('api', 'pay', 'login', 'mail', 'cdn', 'hooks'))}.{self['cert_zone']}"
        if key == "dns_name":
            return f"{svc}.{pick(rng, ('svc', 'prod', 'int'))}.{self['dns_zone']}"
        if key == "migration":
            return f"{plan.started:%Y%m%d}_{pick(rng, ('add', 'drop', 'alter', 'backfill'))}_{pick(rng, TABLES)}"
        if key == "ticket_ref":
            return f"{TICKET_PREFIX[plan.team]}-{rng.randint(100, 4999)}"
        if key == "person":
            return pick(rng, TEAMS[plan.team][1])[1].split()[0]
        if key == "user_action":
            return pick(rng, USER_ACTIONS[svc])
        choices = {
            "n_big": ("250", "400", "600", "1200", "2500", "4000", "8000"),
            "config_file": CONFIG_FILES, "cache": CACHES, "component": COMPONENTS, "cache_item": CACHE_ITEMS,
            "flag": FLAGS, "flag2": FLAGS, "table": TABLES, "disk_path": DISK_PATHS, "campaign": CAMPAIGNS,
            "db": ("orders-pg", "ledger-primary", "profile-db", "pg-main", "orders-replica-2"),
            "pool": ("20", "32", "50", "64", "100", "200"),
            "port": ("5432", "6379", "8443", "9092", "443"),
            "mem": ("1", "2", "4", "8"),
        }
        return pick(rng, choices[key])  # a KeyError here names a slot a template uses but nobody defined


def _plan_actions(rng: random.Random, plan: IncidentPlan) -> list[ActionPlan]:
    if rng.random() < 0.06:
        return []
    n = pick(rng, (1, 2, 2, 3, 3, 3, 4, 4, 5, 6))
    pool = list(THEME_BY_KEY[plan.main_theme].actions)
    for key in plan.themes[1:]:
        pool += list(THEME_BY_KEY[key].actions[:2])
    rng.shuffle(pool)
    chosen = pool[: max(1, n - 1)]
    if len(chosen) < n or rng.random() < 0.3:
        chosen.append(pick(rng, GENERIC_ACTIONS))
    people = TEAMS[plan.team][1]
    prefix = pick(rng, (TICKET_PREFIX[plan.team], "REL"))
    out = []
    day0 = plan.started.date()
    for kind, template in chosen:
        text = fill(rng, template, plan.ctx)
        owner = pick(rng, people) if rng.random() < 0.87 else None
        due = day0 + timedelta(days=pick(rng, (7, 14, 14, 21, 30, 30, 45, 60, 90))) if rng.random() < 0.85 else None
        status = _action_status(rng, due, day0, plan.team)
        ticket = f"{prefix}-{rng.randint(100, 4999)}" if rng.random() < 0.6 else None
        priority = pick(rng, ("P1", "P2", "P2", "P3", "high", "medium", "low"))
        out.append(ActionPlan(text, kind, owner, due, status, priority, ticket))
    return out


def _action_status(rng: random.Random, due: date | None, day0: date, team: str) -> str:
    age_days = (REFERENCE_DATE - day0).days
    if due is not None and due < REFERENCE_DATE:
        stale = min(1.0, (REFERENCE_DATE - due).days / 540)  # long-past items were mostly closed out
        weights = {"done": 60 + 25 * stale, "wont_fix": 7, "open": 20 - 10 * stale, "in_progress": 13 - 8 * stale}
    elif due is not None:
        weights = {"done": 18, "wont_fix": 2, "open": 45, "in_progress": 35}
    else:
        p_done = min(0.8, age_days / 600)
        weights = {"done": 100 * p_done, "wont_fix": 6, "open": 60 * (1 - p_done), "in_progress": 20}
    weights["done"] *= TEAM_FOLLOW_THROUGH[team]
    return _weighted(rng, weights)


def plan_corpus(count: int, seed: int) -> list[IncidentPlan]:
    rng = random.Random(seed)
    starts = _start_times(rng, count)
    plans: list[IncidentPlan] = []
    per_year: dict[int, int] = {}
    for started in starts:
        per_year[started.year] = per_year.get(started.year, 0) + 1
        incident_id = f"INC-{started.year}-{per_year[started.year]:03d}"
        severity = _weighted(rng, SEVERITY_WEIGHTS)
        plan_rng_seed = rng.randrange(2**31)
        repeat_src = None
        if plans and rng.random() < 0.14:
            lo = bisect.bisect_left(starts, started - REPEAT_WINDOW)
            hi = bisect.bisect_right(starts, started - timedelta(days=30), lo, len(plans))
            candidates = plans[lo:hi]
            if candidates:
                repeat_src = pick(rng, candidates)
        if repeat_src is not None:
            main = repeat_src.main_theme
            primary = repeat_src.services[0]
        else:
            main = _weighted(rng, _month_theme_weights(started.year, started.month))
            primary = _pick_service(rng, main)
        themes = [main]
        if rng.random() < 0.35:
            if rng.random() < 0.8:
                themes.append(pick(rng, COMPANIONS[main]))
            else:
                themes.append(_weighted(rng, {k: th.weight for k, th in THEME_BY_KEY.items() if k != main}))
        services = [primary]
        if rng.random() < 0.2:
            services.append(pick(rng, [s for s in SERVICES if s != primary]))
        detected, mitigated, resolved = _times(rng, started, severity, themes)
        plan = IncidentPlan(
            incident_id=incident_id, started=started, detected=detected, mitigated=mitigated,
            resolved=resolved, severity=severity, severity_raw=pick(rng, SEVERITY_RAW[severity]),
            main_theme=main, themes=themes, services=services, team=SERVICE_TEAM[primary],
            text_seed=plan_rng_seed,
        )
        if repeat_src is not None:
            plan.planted_repeat_of = repeat_src.incident_id
            if rng.random() < 0.5 and repeat_src.fixed_before is None:
                # The fix "did not stick": every action item was done before this repeat began.
                repeat_src.force_done = True
                repeat_src.fixed_before = started.date()
        plans.append(plan)

    _assign_special(rng, plans)
    for plan in plans:
        prng = random.Random(plan.text_seed)
        plan.ctx = _Slots(plan.text_seed ^ 0x51075, plan)
        plan.actions = _plan_actions(prng, plan)
        if plan.template == "prose":
            plan.actions = []  # a narrative postmortem leaves follow-ups to the tracker
            plan.force_done = False
        if plan.force_done:
            if not plan.actions:
                plan.actions = _plan_actions(random.Random(plan.text_seed + 1), plan) or plan.actions
            gap = (plan.fixed_before - plan.started.date()).days
            for a in plan.actions:
                a.status = "done"
                if a.due is not None and a.due >= plan.fixed_before:
                    a.due = plan.started.date() + timedelta(days=prng.randint(2, max(2, gap - 2)))
    return plans


def _assign_special(rng: random.Random, plans: list[IncidentPlan]) -> None:
    """Templates, exports, restricted, blameful and near-duplicate incidents."""
    n = len(plans)
    order = list(range(n))
    rng.shuffle(order)
    n_jsonl = max(1, round(n * 0.075)) if n >= 3 else 0
    n_csv = max(1, round(n * 0.05)) if n >= 3 else 0
    for i in order[:n_jsonl]:
        plans[i].template, plans[i].fmt = "jsonl", "jsonl"
    for i in order[n_jsonl:n_jsonl + n_csv]:
        plans[i].template, plans[i].fmt = "csv", "csv"
    n_json = max(1, round(n * 0.02)) if n >= 20 else 0
    for i in order[n_jsonl + n_csv:n_jsonl + n_csv + n_json]:
        plans[i].template, plans[i].fmt = "json", "json"
    for i in order[n_jsonl + n_csv + n_json:]:
        plans[i].template = _weighted(rng, TEMPLATES)

    markdown = [p for p in plans if p.fmt == "markdown"]
    n_restricted = max(1, round(n * 0.025)) if n >= 20 else 0
    for p in rng.sample(markdown, min(n_restricted, len(markdown))):
        p.restricted = True
        p.main_theme = "secret_rotation"
        p.themes = ["secret_rotation"] + [t for t in p.themes[1:] if t != "secret_rotation"]
        p.template = pick(rng, FRONT_MATTER_TEMPLATES)
        p.severity = pick(rng, ("SEV1", "SEV2"))
        p.severity_raw = pick(rng, SEVERITY_RAW[p.severity])
    open_md = [p for p in markdown if not p.restricted]
    n_blame = max(1, round(n * 0.05)) if n >= 20 else 0
    for p in rng.sample(open_md, min(n_blame, len(open_md))):
        p.blameful = True

    # Near-duplicates: a later incident written from an earlier one's text seed, lightly reworded.
    n_dups = max(1, round(n * 0.012)) if n >= 40 else 0
    candidates = [i for i, p in enumerate(plans[:-1]) if p.fmt == "markdown" and not p.restricted
                  and not p.blameful and p.planted_repeat_of is None]
    for i in sorted(rng.sample(candidates, min(n_dups, len(candidates)))):
        src = plans[i]
        dup = None
        for p in plans[i + 1:]:
            gap = p.started - src.started
            if gap > timedelta(days=90):
                break
            if (gap >= timedelta(days=3) and p.fmt == "markdown" and not p.restricted and not p.blameful
                    and p.near_duplicate_of is None and p.planted_repeat_of is None):
                dup = p
                break
        if dup is None:
            continue
        dup.near_duplicate_of = src.incident_id
        dup.main_theme, dup.themes, dup.services = src.main_theme, list(src.themes), list(src.services)
        dup.team, dup.severity, dup.template = src.team, src.severity, src.template
        dup.severity_raw = pick(rng, SEVERITY_RAW[dup.severity])
        dup.text_seed = src.text_seed


# ---- truth --------------------------------------------------------------------------------
