"""Writing one planned incident as a document: the postmortem templates of the synthetic corpus.

Each template mirrors a style seen in the wild (Google SRE book, PagerDuty, Atlassian with five
whys, GitLab incident review, a short team template, messy hand-edited headings, a leading
metadata table, unsectioned prose) plus JSONL and CSV export records. A renderer also reports
what a correct parser can recover from the document (which times are stated, owner spellings,
blameful line numbers, sections present) so the truth file matches the text exactly.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from pipelines.synthetic.plan import TEAMS, ActionPlan, IncidentPlan
from pipelines.synthetic.text import (
    BAD_THINGS, BLAMEFUL, GOOD_THINGS, LUCKY_THINGS, MILD_IMPACTS, NEUTRAL_TRICKY, NOISE_FACTORS,
    SECURITY_FACTORS, SECURITY_TITLES, SEVERE_IMPACTS, THEME_BY_KEY, fill, pick,
)


CSV_COLUMNS = ["id", "title", "date", "severity", "service", "team", "started_at", "detected_at",
               "resolved_at", "summary", "body"]
TIME_FIELDS = ("started", "detected", "mitigated", "resolved")
LOCAL_ZONES = (ZoneInfo("America/Los_Angeles"), ZoneInfo("America/New_York"))


@dataclass
class Rendered:
    data: bytes = b""
    record: dict | None = None  # export row (JSONL object or CSV dict)
    source_path: str = ""
    visible_times: set[str] = field(default_factory=set)
    owner_names: dict[int, str | None] = field(default_factory=dict)  # id(ActionPlan) -> owner as a parser should read it
    hidden_dues: set[int] = field(default_factory=set)  # id(ActionPlan) whose due date is not written
    hidden_tickets: set[int] = field(default_factory=set)  # id(ActionPlan) whose ticket is not written
    blameful_lines: list[int] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    placeholder_sections: list[str] = field(default_factory=list)  # headings whose body is only "TBD"
    crlf: bool = False
    bom: bool = False


class _Doc:
    """Lines of a document, remembering where blameful sentences and sections land."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.blameful: list[int] = []
        self.sections: list[str] = []
        self.action_lines: set[int] = set()  # 0-based indexes of lines in an action-item section
        self._in_actions = False

    def add(self, *lines: str) -> None:
        if self._in_actions:
            self.action_lines.update(range(len(self.lines), len(self.lines) + len(lines)))
        self.lines.extend(lines)

    def blame(self, line: str) -> None:
        self.lines.append(line)
        self.blameful.append(len(self.lines))

    def mark(self, *kinds: str) -> None:
        """Sections a reader sees without a heading line of their own (label lines)."""
        self.sections.extend(k for k in kinds if k not in self.sections)

    def heading(self, text: str, kind: str) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")
        self.lines.append(text)
        self.lines.append("")
        self._in_actions = kind == "action_items"
        if kind not in self.sections and kind != "other":
            self.sections.append(kind)


# ---- shared content -----------------------------------------------------------------------


@dataclass
class _Content:
    title: str
    summary: str
    impact: str
    trigger: str
    resolution: str
    detection: str
    factors: list[str]
    blame: str | None
    rng: random.Random
    ctx: dict
    theme_key: str

    # Drawn on use: only some templates print them, and filling is most of the generator's time.
    @property
    def whys(self) -> list[str]:
        return [fill(self.rng, w, self.ctx) for w in THEME_BY_KEY[self.theme_key].whys]

    @property
    def good(self) -> list[str]:
        return [fill(self.rng, t, self.ctx) for t in _distinct(self.rng, GOOD_THINGS, 2)]

    @property
    def bad(self) -> list[str]:
        return [fill(self.rng, t, self.ctx) for t in _distinct(self.rng, BAD_THINGS, 2)]

    @property
    def lucky(self) -> list[str]:
        return [fill(self.rng, t, self.ctx) for t in _distinct(self.rng, LUCKY_THINGS, 1)]


def _distinct(rng: random.Random, options: tuple[str, ...], k: int) -> list[str]:
    return rng.sample(options, min(k, len(options)))


def _content(plan: IncidentPlan, rng: random.Random) -> _Content:
    ctx = plan.ctx
    main = THEME_BY_KEY[plan.main_theme]
    title = fill(rng, pick(rng, SECURITY_TITLES if plan.restricted else main.titles), ctx)
    impact = fill(rng, pick(rng, SEVERE_IMPACTS if plan.severity in ("SEV1", "SEV2") else MILD_IMPACTS), ctx)
    trigger = fill(rng, pick(rng, main.triggers), ctx)
    resolution = fill(rng, pick(rng, main.resolutions), ctx)
    factors = [fill(rng, t, ctx) for t in _distinct(rng, main.factors, pick(rng, (2, 2, 3, 3, 4)))]
    if plan.restricted:
        factors[:0] = [fill(rng, t, ctx) for t in _distinct(rng, SECURITY_FACTORS, 2)]
    for key in plan.themes[1:]:
        factors += [fill(rng, t, ctx) for t in _distinct(rng, THEME_BY_KEY[key].factors, pick(rng, (1, 1, 2)))]
    factors += [fill(rng, t, ctx) for t in _distinct(rng, NOISE_FACTORS, pick(rng, (0, 0, 1, 1, 2)))]
    if rng.random() < 0.3:
        factors.append(fill(rng, pick(rng, NEUTRAL_TRICKY), ctx))
    if "alerting_gap" in plan.themes:
        detection = fill(rng, "{We learned about it from a customer report|Support escalated customer complaints|A developer spotted errors in the logs by chance} {delay} minutes after impact began; no alert fired.", ctx)
    else:
        detection = fill(rng, "{An alert on the {svc} error rate paged the on-call|The {svc} latency SLO alert fired|Synthetic checks for {svc} failed and paged {team} on-call} about {delay} minutes after impact began.", ctx)
    summary = f"{impact} Trigger: {trigger[0].lower() + trigger[1:] if trigger[:2].istitle() else trigger} {resolution}"
    blame = None
    if plan.blameful:
        blame = fill(rng, pick(rng, BLAMEFUL), ctx)
    return _Content(
        title=title, summary=summary, impact=impact, trigger=trigger, resolution=resolution,
        detection=detection, factors=factors, blame=blame,
        rng=rng, ctx=ctx, theme_key=plan.main_theme,
    )


# ---- times --------------------------------------------------------------------------------


def _fm_time(rng: random.Random, t: datetime) -> str:
    style = rng.randrange(6)
    if style == 5:  # a US team writing its own wall-clock time with the zone's abbreviation
        local = t.replace(tzinfo=timezone.utc).astimezone(pick(rng, LOCAL_ZONES))
        return f'"{local:%Y-%m-%d %H:%M} {local.tzname()}"'
    if style == 0:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == 1:
        return t.strftime("%Y-%m-%d %H:%M:%S+00:00")
    if style == 2:
        return f'"{t:%Y-%m-%d %H:%M} UTC"'
    if style == 3:
        local = t.replace(tzinfo=timezone.utc).astimezone(timezone(timedelta(hours=2)))
        return local.strftime("%Y-%m-%dT%H:%M:%S+02:00")
    return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _choose_times(rng: random.Random, *, timeline: bool) -> tuple[set[str], set[str]]:
    """(fields written in front matter / metadata, fields marked in the timeline)."""
    fm: set[str] = set()
    if rng.random() < 0.78:
        fm = {"started", "resolved"}
        if rng.random() < 0.6:
            fm.add("detected")
        if rng.random() < 0.4:
            fm.add("mitigated")
    markers: set[str] = set()
    if timeline:
        for name, p in (("started", 0.92), ("detected", 0.9), ("mitigated", 0.72), ("resolved", 0.95)):
            if rng.random() < p:
                markers.add(name)
    return fm, markers


_MARKER_TEXT = {
    "started": ("Outage begins: {svc} starts returning errors", "Impact begins for {svc} users",
                "First errors from {svc} in {region}", "{svc} error rate begins climbing (outage begins)"),
    "detected": ("Alert fired: {svc} high error rate, on-call paged", "{svc} SLO alert fired and paged {team}",
                 "Problem detected by synthetic checks", "Customer complaints escalated to the on-call engineer"),
    "mitigated": ("Mitigated: traffic drained from the bad hosts", "Mitigation applied; error rate drops",
                  "Workaround in place, impact reduced", "Mitigated by reverting the change"),
    "resolved": ("Resolved: all metrics back to normal", "Incident resolved", "Fully recovered; monitoring",
                 "{svc} fully recovered, incident closed"),
}
_PLAIN_EVENTS = (
    "{person} takes incident command; bridge opened",
    "Responders look at recent changes to {svc}",
    "Status page updated: investigating",
    "Support escalates tickets to the bridge",
    "Suspect {svc2}; checking its dashboards",
    "Rollback of {svc} kicked off",
    "Scaled {svc} out by {n_small} replicas",
    "Engaged {team} engineers familiar with {svc}",
    "Identified the likely cause",
    "Latency graphs for {svc} look healthier",
)


def _events(plan: IncidentPlan, rng: random.Random, markers: set[str]) -> list[tuple[datetime, str]]:
    ctx = plan.ctx
    at = {"started": plan.started, "detected": plan.detected, "mitigated": plan.mitigated, "resolved": plan.resolved}
    texts = dict(_MARKER_TEXT)
    if "alerting_gap" in plan.themes:  # nothing paged: detection came from people
        texts["detected"] = ("Customer complaints escalated to the on-call engineer", "Detected via support: customer complaints escalated to {team}",
                             "Problem noticed by a developer reading logs")
    events = [(at[name], fill(rng, pick(rng, texts[name]), ctx)) for name in TIME_FIELDS if name in markers]
    # Unmarked events sit strictly between detection and mitigation, so markers stay first/last.
    span = int((plan.mitigated - plan.detected).total_seconds() // 60)
    if span >= 3:
        offsets = sorted(rng.sample(range(1, span), min(rng.randint(1, 4), span - 1)))
        texts = _distinct(rng, _PLAIN_EVENTS, len(offsets))
        events += [(plan.detected + timedelta(minutes=o), fill(rng, t, ctx)) for o, t in zip(offsets, texts)]
    if rng.random() < 0.5:
        events.append((plan.started - timedelta(minutes=rng.randint(2, 20)), fill(rng, "{Deploy of {svc} {ver} rolls out|Change {ticket_ref} applied to production|Scheduled job kicks off on {host}}", ctx)))
    return sorted(events, key=lambda e: e[0])


def _date_line(rng: random.Random, d, style: int) -> str:
    if style == 4:
        return f"### {d:%Y-%m-%d}"
    if style == 0:
        return d.strftime("%Y-%m-%d")
    if style == 1:
        return f"**{d:%Y-%m-%d}**"
    if style == 2:
        return f"{d:%B} {d.day}, {d.year}:"
    return f"{d:%A} {d.day} {d:%B} {d.year}"


def _timeline_section(doc: _Doc, plan: IncidentPlan, rng: random.Random, markers: set[str], heading: str,
                      *, explicit_zone: bool) -> None:
    heading, lines = _timeline(plan, rng, markers, heading, explicit_zone=explicit_zone)
    doc.heading(heading, "timeline")
    doc.add(*lines)


def _timeline(plan: IncidentPlan, rng: random.Random, markers: set[str], heading: str, *,
              explicit_zone: bool) -> tuple[str, list[str]]:
    """(heading, lines) in one of several styles; explicit_zone keeps every time unambiguous.

    A zone declared for the whole section ("Timeline (all times PDT)") may sit in the heading."""
    events = _events(plan, rng, markers)
    zone = pick(rng, LOCAL_ZONES)
    styles = ["utc", "utc", "datetime", "iso", "ampm", "table", "table_split", "monthday"]
    if _offset(plan.started, zone) == _offset(plan.resolved, zone):  # one abbreviation fits every event
        styles.append("section_zone")
    if not explicit_zone:
        styles += ["bare", "bare", "table_bare", "bracket", "bold"]
    style = pick(rng, styles)
    zone_in_heading = (style == "section_zone" and heading.startswith("#") and "(" not in heading
                       and rng.random() < 0.5)
    if zone_in_heading:
        heading = f"{heading} (all times {plan.started.replace(tzinfo=timezone.utc).astimezone(zone).tzname()})"
    return heading, _timeline_lines(plan, rng, events, style, zone, declare_zone=not zone_in_heading)


def _offset(t: datetime, zone: ZoneInfo) -> timedelta | None:
    return t.replace(tzinfo=timezone.utc).astimezone(zone).utcoffset()


def _timeline_lines(plan: IncidentPlan, rng: random.Random, events: list[tuple[datetime, str]], style: str,
                    zone: ZoneInfo, *, declare_zone: bool) -> list[str]:
    out: list[str] = []
    if style in ("table", "table_bare"):
        out += [pick(rng, ("| Time (UTC) | Event |", "| Timestamp | What happened |", "| When | Event |")), "|---|---|"]
        for t, text in events:
            stamp = f"{t:%Y-%m-%d %H:%M} UTC" if style == "table" else f"{t:%Y-%m-%d %H:%M}"
            out.append(f"| {stamp} | {text} |")
        return out
    if style == "table_split":
        out += ["| Date | Time (UTC) | Event |", "|---|---|---|"]
        return out + [f"| {t:%Y-%m-%d} | {t:%H:%M} | {text} |" for t, text in events]
    if style == "iso":
        return [f"- {t:%Y-%m-%dT%H:%M:%SZ} {text}" for t, text in events]
    if style == "datetime":
        sep = pick(rng, (" — ", ": ", " - "))
        return [f"- {t:%Y-%m-%d %H:%M} UTC{sep}{text}" for t, text in events]
    if style == "monthday":
        return [f"- {t:%b} {t.day}, {t:%H:%M} UTC: {text}" for t, text in events]
    date_style = rng.randrange(5)
    bullet = pick(rng, ("- ", "* ", "", "1. "))
    if style == "bare":
        out += [pick(rng, ("All times UTC.", "_All times in UTC._", "(times are UTC)")), ""]
    if style == "section_zone" and declare_zone:
        abbrev = plan.started.replace(tzinfo=timezone.utc).astimezone(zone).tzname()
        out += [pick(rng, (f"All times are in {abbrev}.", f"_Times below are {abbrev}._")), ""]
    current = None
    for t, text in events:
        local = t.replace(tzinfo=timezone.utc).astimezone(zone)
        if style == "ampm":
            day = local.date()
            stamp = f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"
        elif style == "section_zone":
            day, stamp = local.date(), f"{local:%H:%M}"
        else:
            day = t.date()
            stamp = {"utc": f"{t:%H:%M} UTC", "bracket": f"[{t:%H:%M}]", "bold": f"**{t:%H:%M}**"}.get(style, f"{t:%H:%M}")
            if style in ("utc", "bare") and rng.random() < 0.12:  # a span: the start is the event time
                stamp = stamp.replace(f"{t:%H:%M}", f"{t:%H:%M}-{t + timedelta(minutes=rng.randint(2, 9)):%H:%M}")
        if day != current:
            if current is not None:
                out.append("")
            out.append(_date_line(rng, day, date_style))
            current = day
        sep = " " if style in ("bracket", "bold") else f" {pick(rng, ('—', '-', ':', '|'))} "
        out.append(f"{bullet}{stamp}{sep}{text}")
    return out


# ---- action items -------------------------------------------------------------------------

_STATUS_WORDS = {
    "open": ("Open", "open", "TODO", "To Do", "Not started"),
    "in_progress": ("In Progress", "in progress", "WIP", "Doing", "in-progress"),
    "done": ("Done", "done", "DONE", "Completed", "Closed", "Fixed"),
    "wont_fix": ("Won't Fix", "won't fix", "Wontfix", "Won't Do"),
}


def _owner(rng_style: str, a: ActionPlan) -> tuple[str, str | None]:
    """(as written, as a parser should read it)."""
    if a.owner is None:
        return "", None
    handle, name = a.owner
    if rng_style == "name":
        return name, name
    if rng_style == "at":
        return f"@{handle}", handle
    return handle, handle


def _due(rng: random.Random, a: ActionPlan) -> str:
    if a.due is None:
        return ""
    return a.due.isoformat() if rng.random() < 0.8 else f"{a.due:%b} {a.due.day}, {a.due.year}"


_COLUMN_NAMES = {
    "text": ("Action Item", "Action", "Task", "Item", "Description"),
    "kind": ("Type", "Kind", "Category"),
    "owner": ("Owner", "Who", "Assignee", "Owner(s)"),
    "due": ("Due", "Due Date", "Deadline", "Due by", "Target date"),
    "status": ("Status", "State"),
    "priority": ("Priority", "Prio"),
    "ticket": ("Bug", "Ticket", "Issue", "Link", "Jira"),
}
_TABLE_LAYOUTS = {
    "google": ("text", "kind", "owner", "due", "status", "ticket"),
    "atlassian": ("text", "owner", "due", "status", "priority", "ticket"),
    "pagerduty": ("text", "owner", "due", "status", "priority", "ticket"),
    "narrow": ("text", "owner", "status"),
}


def _actions_table(plan: IncidentPlan, rng: random.Random, doc: Rendered, flavour: str) -> list[str]:
    style = pick(rng, ("name", "at", "plain"))
    roles = _TABLE_LAYOUTS[flavour]
    head = [pick(rng, _COLUMN_NAMES[r]) for r in roles]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for a in plan.actions:
        written, read = _owner(style, a)
        doc.owner_names[id(a)] = read
        cells = {"text": a.text, "kind": a.kind, "owner": written, "due": _due(rng, a),
                 "status": pick(rng, _STATUS_WORDS[a.status]), "priority": a.priority, "ticket": a.ticket or ""}
        rows.append("| " + " | ".join(cells[r].replace("|", "/") for r in roles) + " |")
    if flavour == "narrow":  # no due or ticket column: the truth must not claim them
        doc.hidden_dues.update(id(a) for a in plan.actions)
        doc.hidden_tickets.update(id(a) for a in plan.actions)
    return rows


def _actions_fields(plan: IncidentPlan, rng: random.Random, doc: Rendered) -> list[str]:
    """`- Do X. Owner: Name. Due: 2024-05-01. Status: in progress.` as people type in a hurry."""
    out = []
    for a in plan.actions:
        written, read = _owner("name", a)
        doc.owner_names[id(a)] = read
        parts = [f"- {a.text}."]
        if written:
            parts.append(f"Owner: {written}.")
        if a.due:
            parts.append(f"Due: {a.due.isoformat()}.")
        parts.append(f"Status: {pick(rng, _STATUS_WORDS[a.status])}.")
        out.append(" ".join(parts))
        doc.hidden_tickets.add(id(a))  # this layout writes no ticket
    return out


def _actions_checkboxes(plan: IncidentPlan, rng: random.Random, doc: Rendered) -> list[str]:
    out = []
    for a in plan.actions:
        written, read = _owner("at", a)
        doc.owner_names[id(a)] = read
        box = "[x]" if a.status in ("done", "wont_fix") else "[ ]"
        parts = [f"- {box} {a.text}"]
        if a.status == "in_progress":
            parts.append("(in progress)")
        if a.status == "wont_fix":
            parts.append("(won't fix)")
        if written:
            parts.append(written)
        if a.due:
            parts.append(f"(due {a.due.isoformat()})")
        if a.ticket:
            parts.append(a.ticket)
        out.append(" ".join(parts))
    return out


def _actions_bullets(plan: IncidentPlan, rng: random.Random, doc: Rendered) -> list[str]:
    marker = {"open": ("TODO", "[TODO]", "[OPEN]"), "in_progress": ("[IN PROGRESS]", "[WIP]"),
              "done": ("[DONE]", "DONE:", "[x]"), "wont_fix": ("[WONTFIX]", "[WON'T FIX]")}
    out = []
    for a in plan.actions:
        written, read = _owner("at", a)
        doc.owner_names[id(a)] = read
        m = pick(rng, marker[a.status])
        tail = []
        if written:
            tail.append(written)
        if a.due:
            tail.append(f"due {a.due.isoformat()}")
        suffix = f" ({', '.join(tail)})" if tail else ""
        ticket = f" [{a.ticket}]" if a.ticket else ""
        out.append(f"- {m} {a.text}{suffix}{ticket}")
    return out


# ---- front matter -------------------------------------------------------------------------


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _front_matter(plan: IncidentPlan, rng: random.Random, title: str, fm_times: set[str]) -> list[str]:
    lines = ["---", f"id: {plan.incident_id}", f"title: {_q(title)}", f"date: {plan.started:%Y-%m-%d}"]
    lines.append(f"{pick(rng, ('severity', 'severity', 'sev', 'priority'))}: {_q(plan.severity_raw) if ' ' in plan.severity_raw else plan.severity_raw}")
    if (len(plan.services) > 1 or rng.random() < 0.5) and rng.random() < 0.3:
        lines.append("services:")
        lines += [f"  - {svc}" for svc in plan.services]
    elif len(plan.services) > 1 or rng.random() < 0.5:
        lines.append("services: [" + ", ".join(plan.services) + "]")
    else:
        lines.append(f"{pick(rng, ('service', 'product'))}: {plan.services[0]}")
    lines.append(f"{pick(rng, ('team', 'team', 'owner_team'))}: {plan.team}")
    lines.append(f"status: {pick(rng, ('published', 'final', 'draft', 'reviewed'))}")
    aliases = {"started": ("started_at", "start_time"), "detected": ("detected_at",),
               "mitigated": ("mitigated_at",), "resolved": ("resolved_at", "end_time")}
    at = {"started": plan.started, "detected": plan.detected, "mitigated": plan.mitigated, "resolved": plan.resolved}
    for name in TIME_FIELDS:
        if name in fm_times:
            lines.append(f"{pick(rng, aliases[name])}: {_fm_time(rng, at[name])}")
    if rng.random() < 0.6:
        # Tags as people write them: where it hit and how bad, never the planted failure (the
        # analysis must find that from the prose, like it has to in a real corpus).
        impact = "customer-impact" if plan.severity in ("SEV1", "SEV2") else "internal"
        lines.append("tags: [" + ", ".join([plan.services[0], plan.team, impact]) + "]")
    if plan.restricted:
        if rng.random() < 0.5:
            lines.append("restricted: true")
        else:
            lines.append("visibility: restricted")
        lines.append("allowed_groups: [security]")
    lines.append("---")
    return lines


def _bullets(items: list[str], bullet: str = "- ") -> list[str]:
    return [f"{bullet}{x}" for x in items]


def _factor_block(doc: _Doc, c: _Content, rng: random.Random, bullet: str = "- ") -> None:
    factors = list(c.factors)
    pos = rng.randrange(len(factors) + 1) if c.blame else -1
    for i, f in enumerate(factors + [""]):
        if i == pos:
            doc.blame(f"{bullet}{c.blame}")
        if f:
            doc.add(f"{bullet}{f}")


def _appendix(doc: _Doc, plan: IncidentPlan, rng: random.Random) -> None:
    """A log excerpt in a code fence: its `#` lines are shell prompts and comments, not headings."""
    ctx = plan.ctx
    doc.heading(pick(rng, ("## Appendix: logs", "## Appendix", "## Supporting data")), "other")
    t = plan.started
    doc.add("```text", f"# kubectl logs deploy/{ctx['svc']} --since=1h | grep -c ERROR", str(rng.randint(300, 90000)),
            "## snapshot of the error burst",
            f"{t:%Y-%m-%dT%H:%M}:{rng.randint(10, 59)}Z ERROR {ctx['svc']} upstream request failed status=503",
            f"{t:%Y-%m-%dT%H:%M}:{rng.randint(10, 59)}Z WARN  {ctx['svc']} retry budget exhausted")
    if rng.random() < 0.15:  # someone pasted the whole log: a very long file
        for k in range(rng.randint(400, 1500)):
            at = t + timedelta(seconds=7 * k)
            doc.add(f"{at:%Y-%m-%dT%H:%M:%S}Z ERROR {ctx['svc']} request id={rng.getrandbits(48):012x} upstream_status=503 latency_ms={rng.randint(900, 30000)}")
    doc.add("```")


_TEMPLATE_COMMENT = (
    "<!--",
    "Incident review template v3. Fill in every section and keep it blameless:",
    "describe systems and decisions, not people. Delete this comment when done.",
    "-->",
)


# ---- templates ----------------------------------------------------------------------------


def _google_sre(plan, rng, c, out: Rendered) -> _Doc:
    doc = _Doc()
    has_tl = rng.random() < 0.92
    fm_times, markers = _choose_times(rng, timeline=has_tl)
    doc.add(*_front_matter(plan, rng, c.title, fm_times))
    doc.add("", f"# Postmortem: {c.title}", "")
    doc.add("**Status:** final, action items in progress  ", f"**Authors:** {plan.team} on-call")
    doc.heading("## Summary", "summary")
    doc.add(c.summary)
    doc.heading("## Impact", "impact")
    doc.add(c.impact)
    doc.heading("## Root Causes", "root_cause")
    _factor_block(doc, c, rng)
    doc.heading("## Trigger", "trigger")
    doc.add(c.trigger)
    doc.heading("## Resolution", "resolution")
    doc.add(c.resolution)
    doc.heading("## Detection", "detection")
    doc.add(c.detection)
    if plan.actions:
        doc.heading("## Action Items", "action_items")
        doc.add(*_actions_table(plan, rng, out, "google"))
    doc.heading("## Lessons Learned", "lessons_learned")
    if rng.random() < 0.08:  # a draft nobody finished
        doc.add(pick(rng, ("TBD", "_TBD_", "TODO: fill in after the review meeting")))
        out.placeholder_sections.append("lessons_learned")
    else:
        doc.heading("### What went well", "what_went_well")
        doc.add(*_bullets(c.good))
        doc.heading("### What went wrong", "what_went_poorly")
        doc.add(*_bullets(c.bad))
        doc.heading("### Where we got lucky", "where_we_got_lucky")
        doc.add(*_bullets(c.lucky))
    if has_tl:
        _timeline_section(doc, plan, rng, markers, "## Timeline", explicit_zone=not fm_times)
    if rng.random() < 0.12:
        _appendix(doc, plan, rng)
    out.visible_times = fm_times | markers
    return doc


def _pagerduty(plan, rng, c, out: Rendered) -> _Doc:
    doc = _Doc()
    has_tl = rng.random() < 0.9
    fm_times, markers = _choose_times(rng, timeline=has_tl)
    doc.add(*_front_matter(plan, rng, c.title, fm_times))
    doc.add("", f"# {c.title}", "")
    doc.heading("## Overview", "summary")
    doc.add(c.summary)
    doc.heading("## What Happened", "other")
    doc.add(f"{c.trigger} {c.detection}")
    doc.heading("## Contributing Factors", "root_cause")
    _factor_block(doc, c, rng, pick(rng, ("- ", "* ")))
    doc.heading("## Resolution", "resolution")
    doc.add(c.resolution)
    if rng.random() < 0.85:
        doc.heading("## Impact", "impact")
        doc.add(c.impact)
    doc.heading("## Responders", "other")
    people = _team_people(plan)
    doc.add(*_bullets([f"{people[0][1]} (incident commander)", f"{people[1][1]} (subject matter expert)",
                       f"{people[-1][1]} (scribe)"]))
    if has_tl:
        _timeline_section(doc, plan, rng, markers, "## Timeline", explicit_zone=not fm_times)
    # PagerDuty's retrospective section: its own kind, and the two label lines under it are the
    # went-well / went-poorly sections a reader (and the parser) sees.
    doc.heading("## How'd We Do?", "lessons_learned")
    doc.add("What went well:", *_bullets(c.good), "", "What didn't go so well:", *_bullets(c.bad))
    doc.mark("what_went_well", "what_went_poorly")
    if plan.actions:
        doc.heading("## Action Items", "action_items")
        doc.add(*_actions_table(plan, rng, out, "pagerduty"))
    if rng.random() < 0.1:
        _appendix(doc, plan, rng)
    out.visible_times = fm_times | markers
    return doc


def _atlassian(plan, rng, c, out: Rendered) -> _Doc:
    doc = _Doc()
    has_tl = rng.random() < 0.9
    fm_times, markers = _choose_times(rng, timeline=has_tl)
    doc.add(*_front_matter(plan, rng, c.title, fm_times))
    doc.add("", f"# Incident postmortem: {c.title}", "")
    doc.heading("## Incident summary", "summary")
    doc.add(c.summary)
    doc.heading("## Leadup", "other")
    doc.add(c.trigger)
    doc.heading("## Fault", "root_cause")
    _factor_block(doc, c, rng)
    doc.heading("## Impact", "impact")
    doc.add(c.impact)
    if rng.random() < 0.85:
        doc.heading("## Detection", "detection")
        doc.add(c.detection)
    doc.heading("## Response", "other")
    doc.add(f"The {plan.team} on-call engineer joined the incident bridge and brought in help from the owners of {plan.ctx['svc2']}.")
    doc.heading("## Recovery", "resolution")
    doc.add(c.resolution)
    if has_tl:
        _timeline_section(doc, plan, rng, markers, "## Timeline", explicit_zone=not fm_times)
    doc.heading("## Five whys", "root_cause")
    doc.add(*[f"{i}. {w}" for i, w in enumerate(c.whys, 1)])
    doc.heading("## Root cause", "root_cause")
    doc.add(c.factors[0])
    if rng.random() < 0.8:
        doc.heading("## Lessons learned", "lessons_learned")
        if rng.random() < 0.08:
            doc.add("TBD")
            out.placeholder_sections.append("lessons_learned")
        else:
            doc.add(*_bullets(c.bad + c.good[:1]))
    if plan.actions:
        doc.heading("## Follow-up tasks", "action_items")
        doc.add(*_actions_table(plan, rng, out, "atlassian"))
    out.visible_times = fm_times | markers
    return doc


def _gitlab(plan, rng, c, out: Rendered) -> _Doc:
    doc = _Doc()
    has_tl = rng.random() < 0.7
    fm_times, markers = _choose_times(rng, timeline=has_tl)
    doc.add(*_front_matter(plan, rng, c.title, fm_times))
    doc.add("", f"# Incident Review: {c.title}", "")
    if rng.random() < 0.3:
        doc.add(*_TEMPLATE_COMMENT)
    doc.heading("## Summary", "summary")
    doc.add(c.summary)
    doc.add("", f"1. Service(s) affected: {', '.join(plan.services)}", f"1. Team attribution: {plan.team}",
            f"1. Impact: {c.impact}")
    doc.heading("## Detection & Response", "detection")
    doc.add(c.detection)
    doc.heading("## Root Cause Analysis", "root_cause")
    _factor_block(doc, c, rng)
    doc.heading("## What went well", "what_went_well")
    doc.add(*_bullets(c.good))
    doc.heading("## What can be improved", "what_went_poorly")
    doc.add(*_bullets(c.bad))
    if plan.actions:
        doc.heading("## Corrective actions", "action_items")
        doc.add(*_actions_checkboxes(plan, rng, out))
    if has_tl:
        _timeline_section(doc, plan, rng, markers, "## Timeline", explicit_zone=not fm_times)
    out.visible_times = fm_times | markers
    return doc


def _meta_pairs(plan: IncidentPlan, fm_times: set[str]) -> list[tuple[str, str]]:
    at = {"started": plan.started, "detected": plan.detected, "mitigated": plan.mitigated, "resolved": plan.resolved}
    pairs = [("ID", plan.incident_id), ("Date", f"{plan.started:%Y-%m-%d}"), ("Severity", plan.severity_raw),
             ("Service", ", ".join(plan.services)), ("Team", plan.team)]
    pairs += [(name.capitalize(), f"{at[name]:%Y-%m-%d %H:%M} UTC") for name in TIME_FIELDS if name in fm_times]
    return pairs


def _key_value_meta(plan: IncidentPlan, rng: random.Random, fm_times: set[str]) -> list[str]:
    if rng.random() < 0.3:  # "**Severity:** SEV2" with Markdown hard breaks, as pasted from a wiki
        return [f"**{k}:** {v}  " for k, v in _meta_pairs(plan, fm_times)]
    return [f"{k}: {v}" for k, v in _meta_pairs(plan, fm_times)]


def _short(plan, rng, c, out: Rendered) -> _Doc:
    doc = _Doc()
    has_tl = rng.random() < 0.6
    fm_times, markers = _choose_times(rng, timeline=has_tl)
    doc.add(f"# {c.title}", "")
    doc.add(*_key_value_meta(plan, rng, fm_times))
    doc.heading("## What happened", "summary")
    doc.add(c.summary)
    doc.heading("## Why", "root_cause")
    _factor_block(doc, c, rng)
    doc.heading("## Fix", "resolution")
    doc.add(c.resolution)
    if has_tl:
        _timeline_section(doc, plan, rng, markers, "## Timeline", explicit_zone=not fm_times)
    if plan.actions:
        doc.heading("## Follow-ups", "action_items")
        doc.add(*_actions_bullets(plan, rng, out))
    out.visible_times = fm_times | markers
    return doc


def _messy(plan, rng, c, out: Rendered) -> _Doc:
    doc = _Doc()
    has_tl = rng.random() < 0.85
    fm_times, markers = _choose_times(rng, timeline=has_tl)
    doc.add(*_front_matter(plan, rng, c.title, fm_times))
    doc.add("", f"# {pick(rng, ('💥 ', '🔥 ', '', 'PM - '))}{c.title}", "")
    variants = {
        "summary": ("## 1. Summary:", "## TL;DR", "**Summary:**", "## Sumary", "## SUMMARY"),
        "impact": ("## 2) Impact", "## 📉 Impact:", "**Customer impact**", "### impact", "## IMPACT"),
        "root_cause": ("## 3. Root cause(s)", "**Root cause:**", "## Root Casue", "## 🔍 Contributing factors:",
                       "## ROOT CAUSE"),
        "timeline": ("## 4. Timeline", "## Timline", "**Timeline:**", "## ⏱️ Timeline (UTC)", "## TIMELINE"),
        "resolution": ("## 5. Resolution:", "## How we fixed it", "**Resolution:**", "## Mitigation & recovery"),
        "action_items": ("## 6. Action items:", "### ✅ Action items", "**Action Items:**", "## Follow up items",
                         "## ACTION ITEMS"),
    }
    doc.heading(pick(rng, variants["summary"]), "summary")
    doc.add(c.summary)
    if rng.random() < 0.8:
        doc.heading(pick(rng, variants["impact"]), "impact")
        doc.add(c.impact)
    doc.heading(pick(rng, variants["root_cause"]), "root_cause")
    _factor_block(doc, c, rng, pick(rng, ("- ", "* ", "+ ")))
    if has_tl:
        _timeline_section(doc, plan, rng, markers, pick(rng, variants["timeline"]), explicit_zone=not fm_times)
    if rng.random() < 0.85:
        doc.heading(pick(rng, variants["resolution"]), "resolution")
        doc.add(c.resolution)
    if plan.actions:
        doc.heading(pick(rng, variants["action_items"]), "action_items")
        layout = rng.random()
        if layout < 0.4:
            doc.add(*_actions_bullets(plan, rng, out))
        elif layout < 0.6:
            doc.add(*_actions_fields(plan, rng, out))
        elif layout < 0.75:
            doc.add(*_actions_table(plan, rng, out, "narrow"))
        else:
            doc.add(*_actions_table(plan, rng, out, "pagerduty"))
    out.visible_times = fm_times | markers
    return doc


def _meta_table(plan, rng, c, out: Rendered) -> _Doc:
    doc = _Doc()
    has_tl = rng.random() < 0.8
    fm_times, markers = _choose_times(rng, timeline=has_tl)
    doc.add(f"# {c.title}", "", "| Field | Value |", "|---|---|")
    for key, value in _meta_pairs(plan, fm_times):
        doc.add(f"| {key} | {value} |")
    doc.heading("## Summary", "summary")
    doc.add(c.summary)
    doc.heading("## Impact", "impact")
    doc.add(c.impact)
    doc.heading("## Contributing factors", "root_cause")
    _factor_block(doc, c, rng)
    if has_tl:
        _timeline_section(doc, plan, rng, markers, "## Timeline", explicit_zone=not fm_times)
    if plan.actions:
        doc.heading("## Action items", "action_items")
        doc.add(*_actions_table(plan, rng, out, "pagerduty"))
    out.visible_times = fm_times | markers
    return doc


def _prose(plan, rng, c, out: Rendered) -> _Doc:
    """No headings at all: a narrative with front matter, the way many blog postmortems read."""
    doc = _Doc()
    fm_times, _ = _choose_times(rng, timeline=False)
    doc.add(*_front_matter(plan, rng, c.title, fm_times), "")
    doc.sections.append("summary")
    doc.add(f"On {plan.started:%B} {plan.started.day}, {c.impact[0].lower()}{c.impact[1:]}", "")
    doc.add(f"{c.trigger} {c.detection}", "")
    body = " ".join(c.factors[:3])
    doc.add(f"What went wrong, in short: {body}", "")
    if c.blame:
        doc.blame(c.blame)
        doc.add("")
    if len(c.factors) > 3:
        doc.add(f"There were other contributing factors as well. {' '.join(c.factors[3:])}", "")
    doc.add(f"{c.resolution} We are following up on the fixes in our tracker.")
    out.visible_times = fm_times
    return doc


RENDERERS = {"google_sre": _google_sre, "pagerduty": _pagerduty, "atlassian": _atlassian, "gitlab": _gitlab,
             "short": _short, "messy": _messy, "meta_table": _meta_table, "prose": _prose}


def _team_people(plan: IncidentPlan) -> tuple[tuple[str, str], ...]:

    return TEAMS[plan.team][1]


# ---- exports ------------------------------------------------------------------------------


def _export_body(plan, rng, c, out: Rendered) -> str:
    lines = ["## Root cause", ""]
    lines += [f"- {f}" for f in c.factors]
    lines += ["", "## Resolution", "", c.resolution]
    if plan.actions:
        lines += ["", "## Action items", ""]
        lines += _actions_bullets(plan, rng, out)
    return "\n".join(lines)


def _jsonl_record(plan, rng, c, out: Rendered) -> dict:
    rec: dict = {"id": plan.incident_id, "title": c.title, "date": plan.started.strftime("%Y-%m-%d"),
                 "severity": plan.severity_raw, "team": plan.team}
    if rng.random() < 0.5:
        rec["services"] = list(plan.services)
    else:
        rec["service"] = ", ".join(plan.services)
    rec["started_at"] = plan.started.strftime("%Y-%m-%dT%H:%M:%SZ")
    rec["resolved_at"] = plan.resolved.strftime("%Y-%m-%dT%H:%M:%SZ")
    out.visible_times = {"started", "resolved"}
    if rng.random() < 0.6:
        rec["detected_at"] = plan.detected.strftime("%Y-%m-%dT%H:%M:%SZ")
        out.visible_times.add("detected")
    rec["summary"] = c.summary
    out.sections = ["summary"]
    if rng.random() < 0.5:
        rec["body"] = _export_body(plan, rng, c, out)
        out.sections += ["root_cause", "resolution"] + (["action_items"] if plan.actions else [])
    else:
        rec["root_cause"] = " ".join(c.factors)
        rec["resolution"] = c.resolution
        rec["action_items"] = []
        out.sections += ["root_cause", "resolution"] + (["action_items"] if plan.actions else [])
        for a in plan.actions:
            owner = a.owner[0] if a.owner else None
            out.owner_names[id(a)] = owner
            rec["action_items"].append({"text": a.text, "owner": owner,
                                        "due_date": a.due.isoformat() if a.due else None,
                                        "status": pick(rng, _STATUS_WORDS[a.status]),
                                        "priority": a.priority, "ticket": a.ticket})
        if rng.random() < 0.6:  # a structured timeline, as incident tools export it
            _, markers = _choose_times(rng, timeline=True)
            rec["timeline"] = [{"time": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "text": text}
                               for t, text in _events(plan, rng, markers)]
            out.visible_times |= markers
            out.sections.append("timeline")
    return rec


def _json_record(plan, rng, c, out: Rendered) -> dict:
    """An incident tool's API export: metadata nested under `fields` with other key names,
    Markdown under `markdown`."""
    out.visible_times = {"started", "resolved"}
    out.sections = ["summary", "root_cause", "resolution"] + (["action_items"] if plan.actions else [])
    fields = {"sev": plan.severity_raw, "product": list(plan.services), "owner_team": plan.team,
              "start_time": plan.started.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
              "end_time": plan.resolved.strftime("%Y-%m-%dT%H:%M:%S+00:00")}
    return {"uuid": plan.incident_id, "title": c.title, "fields": fields, "summary": c.summary,
            "markdown": _export_body(plan, rng, c, out)}


def _csv_record(plan, rng, c, out: Rendered) -> dict:
    out.visible_times = {"started", "resolved", "detected"}
    out.sections = ["summary", "root_cause", "resolution"] + (["action_items"] if plan.actions else [])
    return {"id": plan.incident_id, "title": c.title, "date": plan.started.strftime("%Y-%m-%d"),
            "severity": plan.severity_raw, "service": ";".join(plan.services) if rng.random() < 0.5 else plan.services[0] if len(plan.services) == 1 else ", ".join(plan.services),
            "team": plan.team, "started_at": plan.started.strftime("%Y-%m-%d %H:%M:%S"),
            "detected_at": plan.detected.strftime("%Y-%m-%d %H:%M:%S"),
            "resolved_at": plan.resolved.strftime("%Y-%m-%d %H:%M:%S"), "summary": c.summary,
            "body": _export_body(plan, rng, c, out)}


# ---- entry point --------------------------------------------------------------------------

_REWORD = ((" because ", " since "), ("We ", "The team "), (" was ", " had been "), (" every ", " each "),
           (" could not ", " couldn't "), ("Rolled back", "Reverted"), (" quickly", " fast"))


def _reword(rng: random.Random, line: str) -> str:
    for a, b in _REWORD:
        if a in line and rng.random() < 0.6:
            line = line.replace(a, b, 1)
    return line


def render(plan: IncidentPlan, rng: random.Random, by_id: dict) -> Rendered:
    out = Rendered()
    c = _content(plan, rng)
    plan.title = c.title
    if plan.fmt == "jsonl":
        out.record = _jsonl_record(plan, rng, c, out)
        return out
    if plan.fmt == "csv":
        out.record = _csv_record(plan, rng, c, out)
        return out
    if plan.fmt == "json":
        out.record = _json_record(plan, rng, c, out)
        return out
    doc = RENDERERS[plan.template](plan, rng, c, out)
    lines = doc.lines
    out.placeholder_sections = [k for k in out.placeholder_sections if k in doc.sections]
    if plan.near_duplicate_of:
        # Same text seed as the original; reword a little so it is near, not identical.
        wr = random.Random(plan.started.toordinal() * 7919 + plan.started.minute)
        in_fm = False
        for i, line in enumerate(lines):
            if line == "---":
                in_fm = not in_fm
                continue
            if not in_fm and i not in doc.action_lines:  # truth keeps action item texts verbatim
                lines[i] = _reword(wr, line)
    out.blameful_lines = doc.blameful
    out.sections = doc.sections
    text = "\n".join(lines).rstrip("\n") + "\n"
    out.crlf = rng.random() < 0.04
    out.bom = rng.random() < 0.02
    if out.crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if out.bom:
        data = b"\xef\xbb\xbf" + data
    out.data = data
    return out
