"""Timeline events from a timeline section, and incident times from timeline markers.

Accepted shapes (one event per line or table row):

- Markdown tables with a time column (Time, Timestamp, When, Date, Date/Time, "Time (UTC)");
  a separate Date column is joined to the Time column.
- Bullet, numbered or plain lines that start with a time: `14:02`, `14:02 UTC`, `**14:02**`,
  `[14:02]`, `2:02 PM PDT`, `2024-03-05 14:02`, `2024-03-05T14:02:00Z`, `Mar 5, 14:02`,
  `14:02-14:10` (the start counts).
- A line, heading or bold line holding only a date (`### 2024-03-05`, `**March 5, 2024**`,
  `2024-03-05 (all times UTC)`) sets the date for the time-only lines that follow; a date
  with text (`2024-03-04: config merged`) is an event with `at` None that also sets the date.

Conversion: a zone written on the line wins, then a zone declared for the whole section
("Timeline (all times PDT)", "All times are in CET", "Times below are EST"), then the
document's `timezone:` metadata, else the time is taken as UTC (see
pipelines/parsing/metadata.py). A time-only line takes its date from the last date line, else from
the incident date; with neither, `at` is None. When time-only lines run past midnight
(a wall-clock time more than 6 hours earlier than the one before, same zone, same carried
date), the date advances by one day. `raw_time` always keeps the time as written; nothing is invented.

Incident start, detection and resolution are read from the events by
pipelines/parsing/incident_times.py (cues in timeline_cues.toml). `times_from_markers` still gives
mitigated_at: the first event matching a mitigation marker in `MARKERS`; a negated marker ("not
yet mitigated") does not count. `status_updates` reads status-page updates
(`[resolved] - 2010-02-07 06:00:00 - ...`) as events.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache

from pipelines.parsing.blocks import Table, code_lines, read_table
from pipelines.parsing.dates import month_day
from pipelines.parsing.metadata import TZINFOS, parse_datetime, to_naive_utc, zone_of
from pipelines.model import TimelineEvent

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"), ("dec", "december"),
        )
    )
    for m in names
}
_MONTH_RE = r"(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_WEEKDAY_RE = r"(?:(?i:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday)?\.?,?\s+)"
_ZONE_NAMES = "|".join(sorted((re.escape(z) for z in TZINFOS), key=len, reverse=True))

_DATE_RE = (
    r"(?P<date>"
    r"(?P<iy>\d{4})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2})"
    rf"|{_WEEKDAY_RE}?(?P<mn>{_MONTH_RE})\.?\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<my>\d{{4}}))?"
    rf"|{_WEEKDAY_RE}?(?P<dd>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<dn>{_MONTH_RE})\.?(?:,?\s+(?P<dy>\d{{4}}))?"
    r"|(?P<sm>\d{1,2})/(?P<sd>\d{1,2})(?:/(?P<sy>\d{4}|\d{2}))?"
    r"|(?P<ed>\d{1,2})\.(?P<em>\d{1,2})\.(?P<ey>\d{4})"  # 05.03.2025: dotted dates are day first
    r")"
)
_TIME_RE = (
    r"(?P<time>(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d{1,6})?)?(?:\s*(?P<ap>[aApP])\.?[mM]\.?(?![a-zA-Z]))?"
    r"|(?P<h2>\d{1,2})\s*(?P<ap2>[aApP])\.?[mM]\.?(?![a-zA-Z]))"
)
_ZONE_RE = (
    rf"(?P<zone>Z(?![a-zA-Z])|\(?(?:(?:UTC|GMT)\s*[+-]\s*\d{{1,2}}(?::?\d{{2}})?|\+\d{{2}}:?\d{{2}}|(?:(?<=:\d\d:\d\d)|(?<=:\d\d:\d\d ))-\d{{2}}:?\d{{2}}|{_ZONE_NAMES})\)?(?![a-zA-Z]))"
)
_STAMP = re.compile(
    rf"(?:{_DATE_RE}(?:\s*(?:T|,|at|@|-)?\s*))?(?:{_TIME_RE})(?:\s*{_ZONE_RE})?"
    rf"(?:\s*(?:-|–|—|to|until)\s*(?:\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:\s*[aApP]\.?[mM]\.?)?)(?:\s*{_ZONE_RE.replace('?P<zone>', '?P<zone2>')})?)?",
)
_DATE_ONLY = re.compile(rf"{_DATE_RE}")
_ISO_DAY_EVENT = re.compile(r"(?P<date>(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2}))\s+(?=[A-Za-z(])")
_PAREN_DATE = re.compile(rf"\s*\(\s*{_DATE_RE}\s*\)")
_DATE_EVENT = re.compile(rf"{_DATE_RE}(?:\*\*|__)?\s*(?:[:|>→]|[-–—]\s)\s*(?=\S)")

_LEAD = re.compile(r"^\s*(?:[-*+•]\s+|\d{1,2}[.)]\s+)?(?:\[[ xX]\]\s+)?")
_APPROX = re.compile(r"^(?:~|≈|@|(?i:at|approx\.?|approximately|around|circa|ca\.)\s)\s*(?=\d)")
_WRAP_OPEN = re.compile(r"^(?:\*\*|__|\*|_|`|\[)+")
_SEP = re.compile(r"^\s*(?:\*\*|__|\*|_|`|\])*\s*(?:[-–—:|>→]+|[.,](?=\s))?\s*(?:\*\*|__)?\s*")
_SECTION_ZONE = re.compile(
    rf"(?i:times?|timestamps?|time\s*zone|timezone)\b[^.\n]{{0,25}}?\b({_ZONE_NAMES})\b|\(\s*({_ZONE_NAMES})\s*\)|\b({_ZONE_NAMES})\s*$",
)
_SPACE_BEFORE_PUNCT = re.compile(r"(?<!\s)\s+([,.;:])")
_DATE_NOTE = re.compile(rf"^(?:(?i:all\s+times|times?\b|time\s*zone|timezone|mon|tue|wed|thu|fri|sat|sun)|(?:{_ZONE_NAMES})$)")
_HEADING_LINE = re.compile(r"^\s{0,3}(?:#{1,6}\s+|\*\*|__)")


@lru_cache(maxsize=256)
def zone_tz(name: str) -> tzinfo | None:
    """A tzinfo for a zone as written (`PDT`, `(UTC)`, `+02:00`, `UTC+2`), or None."""
    return zone_of(name.strip().strip("()").strip())


_UPPER_TOKEN = re.compile(r"\b[A-Z]{1,5}\b")


def section_zone(heading: str, body_head: str) -> tzinfo | None:
    """A zone declared for a whole timeline ("Timeline (PDT)", "All times are UTC").

    A note in the body wins over the heading: it is the more deliberate statement."""
    for text in (body_head, heading):
        # Cheap pre-check: the full pattern is an alternation over every zone name.
        if not any(t in TZINFOS for t in _UPPER_TOKEN.findall(text)):
            continue
        m = _SECTION_ZONE.search(text)
        if m:
            return zone_tz(next(g for g in m.groups() if g))
    return None


def _date_from_match(m: re.Match[str], ref: date | None) -> date | None:
    try:
        if m.group("iy"):
            return date(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
        if m.group("mn"):
            month, day, year = _MONTHS[m.group("mn").lower()[:3] if m.group("mn").lower()[:4] != "sept" else "sep"], int(m.group("md")), m.group("my")
        elif m.group("dn"):
            month, day, year = _MONTHS[m.group("dn").lower()[:3]], int(m.group("dd")), m.group("dy")
        elif m.group("ey"):
            month, day, year = int(m.group("em")), int(m.group("ed")), m.group("ey")
        elif m.group("sm"):
            a, b, year = int(m.group("sm")), int(m.group("sd")), m.group("sy")
            month, day = month_day(a, b)
            if year and len(year) == 2:
                year = "20" + year
        else:
            return None
        if year:
            return date(int(year), month, day)
        if ref is None:
            return None
        # No year written: the one that puts the day nearest the reference ("Jan 1" after
        # "Dec 31, 2025" is 2026-01-01).
        d = date(ref.year, month, day)
        if (d - ref).days < -182:
            d = date(ref.year + 1, month, day)
        elif (d - ref).days > 182:
            d = date(ref.year - 1, month, day)
        return d
    except (ValueError, KeyError):
        return None


def _time_from_match(m: re.Match[str]) -> time | None:
    hh, mm, ss, ap, h2, ap2 = m.group("h", "mi", "s", "ap", "h2", "ap2")
    if hh is not None:
        h, mi, s = int(hh), int(mm), int(ss or 0)
    else:
        h, mi, s, ap = int(h2), 0, 0, ap2
    if ap:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if ap.lower() == "p" else 0)
    if h > 23 or mi > 59 or s > 59:
        return None
    return time(h, mi, s)


def _to_utc(d: date, t: time, tz: tzinfo | None) -> datetime:
    dt = datetime.combine(d, t)
    if tz is not None:
        dt = to_naive_utc(dt.replace(tzinfo=tz))
    return dt


def _strip_lead(line: str) -> str:
    if line[:1] in "-*+•[" or (line[:1].isdigit() and line[1:3].rstrip("0123456789")[:1] in (".", ")")):
        line = _LEAD.sub("", line, count=1)
    if line[:1] in "*_`[":
        line = _WRAP_OPEN.sub("", line, count=1)
    if line[:1] in "~≈@aAcC":
        line = _APPROX.sub("", line, count=1)  # "~14:05", "At 14:07,", "approx. 14:10"
    head = line[:24]
    if "**" in head or "__" in head or "`" in head:
        # "14:02** UTC - text": drop the closing emphasis so the zone stays with the time.
        line = head.replace("**", "").replace("__", "").replace("`", "") + line[24:]
    return line


def _clean_text(text: str) -> str:
    text = text.strip()
    if text[:1] in "*_`]-–—:|>→.,":
        text = _SEP.sub("", text, count=1).strip()
    if "**" in text or "__" in text:
        # "**14:54 OUTAGE BEGINS** — ...": the closing emphasis of a bolded stamp and text.
        text = " ".join(text.replace("**", " ").replace("__", " ").split())
        text = text[2:] if text.startswith(("— ", "– ", "- ")) else text
        text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    if text.endswith(("**", "__")) and text.count(text[-2:]) % 2 == 1:
        text = text[:-2].rstrip()
    return text


class _Placer:
    """Turns a time stamp into naive UTC with the carried date and section zone."""

    def __init__(self, incident_date: date | None, zone: tzinfo | None) -> None:
        self.carry: date | None = None
        self.incident_date = incident_date
        self.zone = zone
        self.last: datetime | None = None  # wall-clock time of the last placed event
        self.last_zone: tzinfo | None = None

    def set_date(self, d: date) -> None:
        self.carry = d
        self.last = None

    def place(self, m: re.Match[str], day: date | None = None) -> datetime | None:
        """UTC of a stamp; `day` is a date written after the time ("21:00 (Sat 26 Oct)")."""
        t = _time_from_match(m)
        if t is None:
            return None
        zone_text, zone2, date_text = m.group("zone", "zone2", "date")
        zone_text = zone_text or zone2  # "14:02-14:10 UTC": the zone covers both ends
        zone = zone_tz(zone_text) if zone_text else self.zone
        ref = self.carry or self.incident_date
        d = _date_from_match(m, ref) if date_text else day
        carried = d is None
        if d is None:
            d = ref
        if d is None:
            return None
        local = datetime.combine(d, t)
        if carried and self.last is not None and self.last_zone is zone and local < self.last - timedelta(hours=6):
            # Wall-clock time went backwards under the same carried date: past midnight.
            local += timedelta(days=1)
        at = _to_utc(local.date(), local.time(), zone)
        if zone is not self.zone and self.zone is not None and zone is not None:
            # "2025-03-07T02:52Z" among PST lines: the lines after it carry on in the section's
            # zone, so carry its date and wall-clock time as the section's zone sees them.
            local = at.replace(tzinfo=timezone.utc).astimezone(self.zone).replace(tzinfo=None)
            zone = self.zone
        if not carried or local.date() != d:
            self.carry = local.date()
        self.last, self.last_zone = local, zone
        return at


def _match_stamp(text: str) -> re.Match[str] | None:
    if not text or not (text[0].isdigit() or text[0].isalpha()):
        return None
    m = _STAMP.match(text)
    if m is None or _time_from_match(m) is None:
        return None
    end = m.end()
    # The stamp must end at a separator, not in the middle of a word or number.
    if end < len(text) and (text[end].isalnum() or text[end] in ".,") and not text[end:end + 2].startswith((". ", ", ")):
        return None
    return m


def _date_line(text: str, ref: date | None) -> date | None:
    """The date when a line holds only a date (a day heading), possibly with a note such as
    "(all times UTC)" or a weekday, else None."""
    s = text.strip().strip("#*_`[]():").strip()
    if not s or len(s) > 60 or not s[0].isalnum() or not any(ch.isdigit() for ch in s):
        return None
    m = _DATE_ONLY.match(s)
    if m is None:
        return None
    rest = s[m.end():].strip(" *_`()[],:;—–-")
    if rest and not _DATE_NOTE.match(rest):
        return None
    return _date_from_match(m, ref)


def extract_timeline(
    body: str, first_line: int, incident_date: date | None, heading: str = "", local_tz: tzinfo | None = None
) -> list[TimelineEvent]:
    """Events from a timeline section body; `first_line` is the 1-based line of body line 0.
    `local_tz` is the document's declared zone, used when the section declares none."""
    lines = body.split("\n")
    zone = section_zone(heading, "\n".join(lines[:3])) or local_tz
    placer = _Placer(incident_date, zone)
    events: list[TimelineEvent] = []
    wrapped: dict[int, list[str]] = {}
    i, n = 0, len(lines)
    # A timeline pasted as a code block is still the timeline: fenced lines are read for
    # stamps, but never as tables or as wrapped text of the event before.
    code = code_lines(lines)
    while i < n:
        line = lines[i]
        stripped = line.strip()
        if not stripped or (code[i] and stripped.startswith(("```", "~~~"))):
            i += 1
            continue
        table = None if code[i] else read_table(lines, i)
        if table is not None:
            _read_table(table, first_line, placer, events)
            i = table.end
            continue
        if stripped.startswith("|"):
            i += 1
            continue
        content = _strip_lead(stripped)
        m = _match_stamp(content)
        if m is None and (d := _date_line(stripped, placer.carry or incident_date)) is not None:
            placer.set_date(d)
            i += 1
            continue
        if m is not None:
            rest = content[m.end():]
            dm = _PAREN_DATE.match(rest)
            day = _date_from_match(dm, placer.carry or incident_date) if dm else None
            at = placer.place(m, day)
            text = _clean_text(rest[dm.end():] if day is not None and dm else rest)
            events.append(TimelineEvent(at, m.group(0).strip(), text, first_line + i))
        elif content[:1].isalnum() and (
            (dm := _DATE_EVENT.match(content)) is not None
            # "- 2024-05-02 recovery started": a bullet that opens with an ISO day and text
            or (stripped[:1] in "-*+•" and (dm := _ISO_DAY_EVENT.match(content)) is not None)
        ) and (
            day := _date_from_match(dm, placer.carry or incident_date)
        ) is not None:
            # "2024-03-04: config merged": a day-granularity event; the day carries, no time is made up.
            placer.set_date(day)
            events.append(TimelineEvent(None, dm.group("date").strip(), _clean_text(content[dm.end():]), first_line + i))
        elif events and not code[i] and (line[:1] in " \t" or not _HEADING_LINE.match(line)) and not _LEAD.match(line).group(0).strip():
            # A continuation line of the previous event (wrapped text, no bullet of its own);
            # collected per event and joined once, so long wrapped runs stay linear.
            wrapped.setdefault(len(events) - 1, []).append(stripped)
        i += 1
    for k, parts in wrapped.items():
        events[k].text = " ".join([events[k].text, *parts]).strip()
    return events


_TIME_HEADERS = re.compile(r"^(?:time|timestamp|when|date ?/ ?time|date and time|datetime|time ?\(.*\)|time [a-z]{1,5}|utc|at|hora|zeit|clock)$", re.I)
_DATE_HEADERS = re.compile(r"^(?:date|day)$", re.I)


def _read_table(table: Table, first_line: int, placer: _Placer, events: list[TimelineEvent]) -> None:
    header = [c.strip("*_ ").lower() for c in table.header]
    time_col = next((k for k, h in enumerate(header) if _TIME_HEADERS.match(h)), None)
    date_col = next((k for k, h in enumerate(header) if _DATE_HEADERS.match(h)), None)
    if time_col is None:
        time_col, date_col = (date_col, None) if date_col is not None else (0, None)
    zone_in_header = zone_tz(re.sub(r"^.*\(([^)]*)\).*$", r"\1", header[time_col])) if "(" in header[time_col] else None
    for j, cells in table.rows:
        if not any(cells) or time_col >= len(cells):
            continue
        raw = cells[time_col].strip("*_` ")
        if date_col is not None and date_col < len(cells) and cells[date_col].strip():
            raw = f"{cells[date_col].strip('*_` ')} {raw}".strip()
        text = " — ".join(c for k, c in enumerate(cells) if k not in (time_col, date_col) and c)
        at = None
        m = _match_stamp(raw)
        if m is not None:
            if zone_in_header is not None and not m.group("zone"):
                saved, placer.zone = placer.zone, zone_in_header
                at = placer.place(m)
                placer.zone = saved
            else:
                at = placer.place(m)
        else:
            d = _date_line(raw, placer.carry or placer.incident_date)
            if d is not None and not text:
                placer.set_date(d)
                continue
        if raw or text:
            events.append(TimelineEvent(at, raw, text, first_line + j))


# ---- incident times from markers ---------------------------------------------------------

_IMPACT_NOUNS = r"(?:outage|incident|impact|degradation|disruption|downtime|errors?|failures?|latency|problems?|issues?|5xx|500s|timeouts?)"
# Matched against the lowercased event text.
MARKERS: dict[str, re.Pattern[str]] = {
    "started_at": re.compile(
        rf"\b{_IMPACT_NOUNS}\s+(?:\w+\s+)?(?:begins?|began|start(?:s|ed)?|spike[sd]?|appear(?:s|ed)?|increase[sd]?)\b"
        r"|\b(?:begins|began)\b|\bstart of (?:the )?(?:outage|incident|impact)\b|\b(?:impact|outage|incident) start"
        r"|\bfirst (?:errors?|failures?|timeouts?)\b|\bwent down\b|\bbecame unavailable\b|\bstarted failing\b|\bstarted returning\b",
    ),
    "detected_at": re.compile(
        r"\balerts?\b[^.]{0,40}\b(?:fired|fires|triggered|firing|went off|paged|raised)\b|\bpaged\b|\bpages?\b (?:fired|sent|went out)"
        r"|\bdetected\b|\bnoticed\b|\bpager\b|\bpaging\b|\breceive[sd]? (?:a |the )?pages?\b|\bon-?call\b[^.]{0,20}\b(?:paged|alerted|notified)\b|\balerted\b"
        r"|\bfirst (?:customer )?(?:report|alert|page)s?\b|\bcustomers? report(?:s|ed)?\b|\breported by\b|\bincident (?:declared|opened)\b",
    ),
    "mitigated_at": re.compile(
        r"\bmitigat(?:ed|ion (?:applied|complete[d]?|in place|deployed))\b|\brolled back\b|\broll-?back (?:complete[d]?|finished|done|deployed)\b"
        r"|\bfail(?:ed)?[ -]?over (?:complete[d]?|to|done)\b|\bfailed over\b|\bworkaround (?:applied|deployed|in place)\b"
        r"|\bimpact (?:ended|ends|stopped|stops)\b|\berror rates? (?:returns?|returned|drop(?:s|ped)?|recover(?:s|ed)?)\b|\btraffic (?:restored|drained|shifted)\b"
        r"|\bstabili[sz]ed\b",
    ),
    "resolved_at": re.compile(
        r"\bresolved\b|\bfully recovered\b|\brecovered\b|\ball[- ]clear\b|\bincident (?:closed|over|ended|resolved)\b|\bback to normal\b"
        r"|\bservice (?:restored|recovered)\b|\bfull(?:y)? (?:recovery|restored)\b|\bnormal operations?\b|\bclosed\b",
    ),
}
_NEGATED = re.compile(r"\b(?:not|never|no longer|n't|unable to|yet to|still not|without)\s+(?:\w+\s+)?(?:resolved|recovered|mitigated|detected|noticed|rolled back)\b", re.I)


# Substrings that must occur before a marker pattern can match: a cheap C-level filter so
# the alternation patterns only run on the few events that could match.
_MARKER_KEYS: dict[str, tuple[str, ...]] = {
    "started_at": ("begin", "began", "start", "spike", "appear", "increase", "first", "went down", "unavailable"),
    "detected_at": ("alert", "page", "paging", "detect", "notice", "on-call", "oncall", "first", "report", "declared", "opened"),
    "mitigated_at": ("mitigat", "roll", "fail", "workaround", "impact", "error rate", "traffic", "stabili"),
    "resolved_at": ("resolv", "recover", "clear", "closed", "over", "ended", "normal", "restored"),
}
_NEGATION_KEYS = ("not", "n't", "never", "no longer", "unable", "yet", "without")


def times_from_markers(events: list[TimelineEvent], fields: tuple[str, ...] = tuple(MARKERS)) -> dict[str, datetime]:
    """started/detected/mitigated/resolved (or only `fields`) from marker words in placed events."""
    keyed = [(f, _MARKER_KEYS[f]) for f in fields]
    found: dict[str, datetime] = {}
    for ev in events:
        if ev.at is None or not ev.text:
            continue
        low = ev.text.lower()
        if any(k in low for k in _NEGATION_KEYS):
            low = _NEGATED.sub(" ", low)
        for field, keys in keyed:
            if field in found and field != "resolved_at":
                continue
            if any(k in low for k in keys) and MARKERS[field].search(low):
                found[field] = ev.at
    return found


_STATUS_UPDATE = re.compile(
    r"^\s*(?:\[(?P<status>[A-Za-z ]{3,20})\]\s*)?[-*]\s*(?P<stamp>\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:UTC|Z))?)\s*[-–—:]\s*(?P<text>.*)$"
)


def status_updates(body: str, first_line: int) -> tuple[list[TimelineEvent], str | None]:
    """Status-page updates as timeline events: lines such as `[resolved] - 2010-02-07 06:00:00 -
    Network problem solved.` or `- 2011-01-03 18:03:00 - One of the load balancers failed`. The
    bracketed word is the incident's final status, written on its first update, so it is not
    part of the event but is returned with the events (lower case, or None). Times without a
    zone are UTC, as status pages publish them."""
    events: list[TimelineEvent] = []
    status: str | None = None
    for k, line in enumerate(body.split("\n")):
        if "-" not in line[:30]:
            continue
        m = _STATUS_UPDATE.match(line)
        if m is None:
            continue
        at = parse_datetime(m.group("stamp"))
        status = status or (m.group("status") or "").strip().lower() or None
        events.append(TimelineEvent(at, m.group("stamp"), " ".join(m.group("text").split()), first_line + k))
    return events, status


def parse_time_text(text: str, default_date: date | None = None) -> datetime | None:
    """A stamp such as `14:02 PDT` or `2024-03-05 14:02` as naive UTC, or None. Never raises."""
    try:
        m = _match_stamp(text.strip())
        if m is None:
            return parse_datetime(text, default_date=default_date)
        return _Placer(default_date, None).place(m)
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None
