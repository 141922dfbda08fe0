"""Incident times a document does not state as fields: from its timeline, else from its prose.

started_at is when user impact began, detected_at when a page or a human report reached the
responders, resolved_at when user impact ended (the definitions and the cue phrases are in
timeline_cues.toml). From a timeline: the first event matching a strong start cue (else a weak
one), the first event matching any detection cue that no `not` cue vetoes (a Slack-only alert, a
warning, a ticket in a queue, an email to support), and the last event matching a strong
end-of-impact cue (else a weak one, else the event that closed the incident). Events are taken
in time order, so a newest-first timeline reads the same.

From prose (public cloud, AWS-style and debrief write-ups without a timeline): a sentence that
states the span of impact ("between 07:31 UTC and 09:02 UTC on 6 February", "from 10:42 to 12:19
US/Pacific", "began at ... and ended at ...") gives the start and the end; sentences with a
detection or end-of-impact cue give the time nearest to the cue. Times written without a zone
take the document's zone (`document_zone`: "All times in CET", "Times below are IST"); times
written without a date take the date of the sentence, else the incident's reference date.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path

from pipelines.model import Section, TimelineEvent
from pipelines.parsing.metadata import TZINFOS, to_naive_utc, zone_of
from pipelines.tuning import read_toml

DEFAULT_CUES_PATH = Path(__file__).with_name("timeline_cues.toml")
CUES_ENV = "HINDSIGHT_TIMELINE_CUES"

Patterns = tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class _Tier:
    strong: Patterns
    weak: Patterns
    closed: Patterns
    veto: Patterns


@dataclass(frozen=True)
class TimeCues:
    started: _Tier
    detected: _Tier
    resolved: _Tier
    prose: dict[str, Patterns]


def _compile(patterns: list[str], where: str) -> Patterns:
    """The cues as one alternation (one search per event instead of one per cue), after each was
    compiled alone so that a bad one is named."""
    for p in patterns:
        try:
            re.compile(p, re.I)
        except re.error as exc:
            raise ValueError(f"{where}: bad regular expression {p!r}: {exc}") from None
    if not patterns:
        return ()
    # Matched against lower-cased text, so no re.I: a case-insensitive alternation is slower.
    return (re.compile("|".join(f"(?:{p})" for p in patterns)),)


def load_cues(extra: Path | str | None = None) -> TimeCues:
    """The default cues (timeline_cues.toml), with a team's file's lists appended when given."""
    merged: dict[str, dict[str, list[str]]] = {}
    for path in [DEFAULT_CUES_PATH] + ([Path(extra)] if extra else []):
        cfg = read_toml(path, "the timeline cues")
        for table, lists in cfg.items():
            if not isinstance(lists, dict):
                raise ValueError(f"{path}: [{table}] must be a table of lists")
            for key, values in lists.items():
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    raise ValueError(f"{path}: [{table}] {key} must be a list of strings")
                merged.setdefault(table, {}).setdefault(key, []).extend(values)

    def tier(name: str) -> _Tier:
        t = merged.get(name, {})
        where = f"timeline cues [{name}]"
        return _Tier(
            _compile(t.get("strong", []), where), _compile(t.get("weak", []), where),
            _compile(t.get("closed", []), where), _compile(t.get("not", []), where),
        )

    prose = {k: _compile(v, f"timeline cues [prose] {k}") for k, v in merged.get("prose", {}).items()}
    return TimeCues(tier("started"), tier("detected"), tier("resolved"), prose)


@lru_cache(maxsize=1)
def time_cues() -> TimeCues:
    """The cues parsing uses: timeline_cues.toml plus the file named by $HINDSIGHT_TIMELINE_CUES."""
    return load_cues(os.environ.get(CUES_ENV) or None)


def _hit(patterns: Patterns, text: str) -> bool:
    return any(p.search(text) for p in patterns)


# ---- from the timeline ---------------------------------------------------------------------


_CODE_SPAN = re.compile(r"`[^`]*`")


def _cue_text(text: str) -> str:
    """Event text as cues see it: lower case, inline code (alert and metric names such as
    `failed-delivery-rate`) left out."""
    return _CODE_SPAN.sub(" ", text).lower() if "`" in text else text.lower()


def times_from_timeline(events: list[TimelineEvent]) -> dict[str, tuple[TimelineEvent, str]]:
    """started_at / detected_at / resolved_at -> (the event that marks it, "strong" | "weak" |
    "closed": how sure the cue is)."""
    cues = time_cues()
    placed = sorted((e for e in events if e.at is not None and e.text), key=lambda e: e.at)  # type: ignore[arg-type, return-value]
    if not placed:
        return {}
    texts = [_cue_text(e.text) for e in placed]
    out: dict[str, tuple[TimelineEvent, str]] = {}

    def first(t: _Tier, tier: str) -> TimelineEvent | None:
        for ev, text in zip(placed, texts):
            if _hit(getattr(t, tier), text) and not _hit(t.veto, text):
                return ev
        return None

    for tier in ("strong", "weak"):
        ev = first(cues.started, tier)
        if ev is not None:
            out["started_at"] = (ev, tier)
            break
    # Detection is the earliest event that reached a responder, whichever cue says so: an alert
    # that fired (weak) before the page someone acknowledged (strong) was the detection.
    d = cues.detected
    for ev, text in zip(placed, texts):
        if _hit(d.veto, text):
            continue
        if _hit(d.strong, text) or _hit(d.weak, text):
            out["detected_at"] = (ev, "strong" if _hit(d.strong, text) else "weak")
            break
    start, found_at = out.get("started_at"), out.get("detected_at")
    if start and found_at and start[1] == "weak" and start[0].at > found_at[0].at:  # type: ignore[operator]
        # A failure noticed only after the responders knew is a later symptom, not the start.
        del out["started_at"]
    r = cues.resolved
    ranked: dict[str, TimelineEvent] = {}
    for ev, text in zip(placed, texts):
        if _hit(r.veto, text):
            continue
        if _hit(r.strong, text):
            ranked["strong"] = ev
        elif _hit(r.closed, text):
            ranked["closed"] = ev
        elif _hit(r.weak, text):
            ranked["weak"] = ev
    for tier in ("strong", "weak", "closed"):
        if tier in ranked:
            out["resolved_at"] = (ranked[tier], tier)
            break
    return out


# ---- the document's zone and reference date -------------------------------------------------

_ZONE_ALT = "|".join(sorted((re.escape(z) for z in TZINFOS if len(z) > 1), key=len, reverse=True))
_IANA = r"[A-Z][A-Za-z]+/[A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_]+)?"
_OFFSET = r"(?:UTC|GMT)\s*[+-]\s*\d{1,2}(?::?\d{2})?"
ZONE_RE = rf"(?:{_IANA}|{_OFFSET}|{_ZONE_ALT})"
_DOC_ZONE = re.compile(
    rf"(?i:\b(?:all\s+)?(?:times?|timestamps?|hours)\b(?:\s+(?:below|above|here|shown|listed|given|in\s+this\s+\w+))?"
    rf"\s+(?:are\s+)?(?:in\s+|shown\s+in\s+|given\s+in\s+)?(?:the\s+)?)({ZONE_RE})(?![\w/])"
)


def zone_named(name: str) -> tzinfo | None:
    return zone_of(name.strip().strip("()").strip())


def document_zone(lines: list[str]) -> tzinfo | None:
    """The zone a document declares for its times in prose ("All times in CET.", "Times below
    are IST", "(all times are US/Pacific)"), or None."""
    for line in lines:
        if "ime" not in line and "IME" not in line and "ours" not in line:
            continue
        m = _DOC_ZONE.search(line)
        if m:
            tz = zone_named(m.group(1))
            if tz is not None:
                return tz
    return None


_FILE_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)-(\d\d)(?:-(\d\d))?(?!\d)")


def date_from_path(source_path: str) -> date | None:
    """The date a file name starts with (`2024-03-05-checkout.md`; `2026-01-...` is the 1st)."""
    name = source_path.rsplit("/", 1)[-1]
    m = _FILE_DATE.match(name)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
    except ValueError:
        return None


# ---- from prose -----------------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_PROSE_DATE = re.compile(
    rf"(?i)\b(?:(\d{{4}})-(\d\d)-(\d\d)|(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\.?(?:,?\s+(\d{{4}}))?|({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?)\b"
)
_ON_BEFORE = re.compile(r"(?i)\bon\s+(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?$")
_PROSE_TIME = re.compile(
    r"(?<![\d:.])(?:(\d{4}-\d\d-\d\d)[T ])?(\d{1,2}):(\d\d)(?::(\d\d))?(?![\d:])(?:\s*([ap])\.?m\.?(?![a-z]))?"
    r"|(?<![\d:.])(\d{1,2})\s*([ap])\.?m\.?(?![a-z])",
    re.I,
)
_AFTER_ZONE = re.compile(rf"\s*\(?\s*(Z(?![\w])|{ZONE_RE})(?![\w/])")


@dataclass
class _ProseTime:
    start: int
    end: int
    wall: time
    day: date | None
    zone: tzinfo | None


def _sentence_date(sentence: str, ref: date | None) -> date | None:
    """The day a sentence speaks of: a date introduced by "on" ("between 07:31 and 09:02 UTC on
    6 February 2024", "On Tuesday, 20 June 2023, from ..."), else its first date."""
    matches = list(_PROSE_DATE.finditer(sentence))
    matches.sort(key=lambda m: 0 if _ON_BEFORE.search(sentence[max(0, m.start() - 16):m.start()]) else 1)
    for m in matches:
        try:
            if m.group(1):
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if m.group(5):
                day, month, year = int(m.group(4)), _MONTHS[m.group(5)[:3].lower()], m.group(6)
            else:
                month, day, year = _MONTHS[m.group(7)[:3].lower()], int(m.group(8)), m.group(9)
            if year:
                return date(int(year), month, day)
            if ref is not None:
                return date(ref.year, month, day)
        except (ValueError, KeyError):
            continue
    return None


def first_date(text: str, ref: date | None) -> date | None:
    """The first date written in `text` (a year-less one takes `ref`'s year), or None."""
    m = _PROSE_DATE.search(text)
    return _sentence_date(m.group(0), ref) if m else None


def _times_in(sentence: str) -> list[_ProseTime]:
    out: list[_ProseTime] = []
    for m in _PROSE_TIME.finditer(sentence):
        if m.group(2):
            h, mi, s, ap = int(m.group(2)), int(m.group(3)), int(m.group(4) or 0), m.group(5)
        else:
            h, mi, s, ap = int(m.group(6)), 0, 0, m.group(7)
        if ap:
            if not 1 <= h <= 12:
                continue
            h = h % 12 + (12 if ap.lower() == "p" else 0)
        if h > 23 or mi > 59 or s > 59:
            continue
        zm = _AFTER_ZONE.match(sentence, m.end())
        zone = None
        end = m.end()
        if zm:
            zone = zone_named("UTC" if zm.group(1) == "Z" else zm.group(1))
            end = zm.end() if zone is not None else end
        day = None
        if m.group(1):
            try:
                day = date.fromisoformat(m.group(1))
            except ValueError:
                continue
        out.append(_ProseTime(m.start(), end, time(h, mi, s), day, zone))
    # A zone written once after a range ("from 10:42 to 12:19 US/Pacific") covers both ends.
    for a, b in zip(out, out[1:]):
        if a.zone is None and b.zone is not None and b.start - a.end <= 16:
            a.zone = b.zone
    return out


def _to_utc(t: _ProseTime, day: date | None, zone: tzinfo | None) -> datetime | None:
    d = t.day or day
    if d is None:
        return None
    dt = datetime.combine(d, t.wall)
    tz = t.zone or zone
    return to_naive_utc(dt.replace(tzinfo=tz)) if tz is not None else dt


_FROM_THEN = re.compile(r"(?i)^(?:and\s+)?from\s+(?:then|that\s+(?:point|moment|minute|time))\b")
_HAS_TIME = re.compile(r"\d:\d\d|\d\s*[ap]\.?m\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'*])|\n\s*\n|\n(?=\s*(?:[-*+]|\d+[.)])\s)")
_PROSE_KINDS = ("summary", "impact", "detection", "resolution", "other", "root_cause", "trigger", "action_items")


def _sentences(sections: list[tuple[Section, int]]) -> list[tuple[str, int, str]]:
    """(sentence, 1-based line) for the prose sections, impact first (it states the span)."""
    ordered = sorted(
        (p for p in sections if p[0].kind in _PROSE_KINDS),
        key=lambda p: (0 if p[0].kind == "impact" else 1 if p[0].kind == "summary" else 3 if p[0].kind == "action_items" else 2, p[1]),
    )
    out: list[tuple[str, int, str]] = []
    for sec, first in ordered:
        body = sec.body
        if not _HAS_TIME.search(body):
            continue
        pos = 0
        previous: tuple[str, int] | None = None
        for piece in _SENTENCE_END.split(body):
            if piece is None:
                continue
            idx = body.find(piece, pos)
            line = first + body.count("\n", 0, idx if idx >= 0 else pos)
            pos = idx + len(piece) if idx >= 0 else pos
            text = " ".join(piece.split())
            if previous is not None and _FROM_THEN.match(text) and not _HAS_TIME.search(text):
                # "At 09:40 the vendor switched routes. From then on, every message was dropped.":
                # the time the second sentence means is the first one's.
                out.append((f"{previous[0]} {text}", previous[1], sec.kind))
            if ":" in text or _AM_PM.search(text):
                out.append((text, line, sec.kind))
                previous = (text, line)
            else:
                previous = None
    return out


def _nearest(times: list[_ProseTime], start: int, end: int) -> _ProseTime:
    """The time a cue speaks of: the first one soon after it ("returned to normal at 12:19"),
    else the nearest one before it ("by 16:05 conversion was back")."""
    after = [t for t in times if t.start >= end and t.start - end <= 60]
    if after:
        return after[0]
    before = [t for t in times if t.end <= start]
    return before[-1] if before else min(times, key=lambda t: abs(t.start - start))


def times_from_prose(
    sections: list[tuple[Section, int]],
    ref: date | None,
    zone: tzinfo | None,
    timeline: list[TimelineEvent] | None = None,
) -> dict[str, tuple[datetime, int, str]]:
    """started_at / detected_at / resolved_at -> (naive UTC, line, "strong" | "weak") from
    sentences (see module docstring). A time written without a zone takes `zone` (declared for
    the document), else the zone the prose writes most often next to its times. A time written
    without a date that the timeline also lists takes the timeline's date ("from 00:00 to 01:20
    UTC on New Year's Day")."""
    placed = {e.at.time(): e.at for e in timeline or () if e.at is not None}
    cues = time_cues()

    def _utc(t: _ProseTime, day: date | None, zone: tzinfo | None) -> datetime | None:
        at = _to_utc(t, day, zone)
        if at is not None and t.day is None and at.time() in placed and not dated:
            return placed[at.time()]
        return at

    prose = cues.prose
    sentences = [(s, line, kind, _times_in(s)) for s, line, kind in _sentences(sections)]
    sentences = [x for x in sentences if x[3]]
    if zone is None:
        zone = _usual_zone([t for _, _, _, times in sentences for t in times])
    span: tuple[datetime, datetime, int] | None = None
    cue: dict[str, tuple[datetime, int]] = {}
    resolved: dict[str, tuple[datetime, int]] = {}
    single_start: tuple[datetime, int] | None = None
    for sentence, line, kind, times in sentences:
        day = _sentence_date(sentence, ref)
        dated = day is not None
        day = day or ref
        low = sentence.lower()
        if span is None and _hit(prose.get("span", ()), low) and not _hit(prose.get("span_not", ()), low):
            ends = _span(sentence, times)
            if ends is not None:
                start, end = _utc(ends[0], day, zone), _utc(ends[1], day, zone)
                if start is not None and end is not None:
                    if end < start:
                        end += timedelta(days=1)  # "from 23:10 to 01:05"
                    span = (start, end, line)
                    continue
            elif single_start is None and (m := _FROM.search(low)) is not None:
                after = [t for t in times if t.start > m.end() and t.start - m.end() < 30]
                at = _utc(after[0], day, zone) if after else None
                if at is not None:
                    single_start = (at, line)
        if "detected_at" not in cue and _hit(prose.get("detected", ()), low) and not _hit(cues.detected.veto, low):
            m = next(p.search(low) for p in prose["detected"] if p.search(low))
            at = _utc(_nearest(times, m.start(), m.end()), day, zone)
            if at is not None:
                cue["detected_at"] = (at, line)
        for tier, key in (("strong", "resolved"), ("weak", "resolved_weak")):
            hits = [m for p in prose.get(key, ()) for m in p.finditer(low)]
            if hits and not _hit(cues.resolved.veto, low):
                m = max(hits, key=lambda m: m.start())
                at = _utc(_nearest(times, m.start(), m.end()), day, zone)
                if at is not None:
                    resolved[tier] = (at, line)
        if "started_at" not in cue and _hit(prose.get("started", ()), low):
            m = next(p.search(low) for p in prose["started"] if p.search(low))
            at = _utc(_nearest(times, m.start(), m.end()), day, zone)
            if at is not None:
                cue["started_at"] = (at, line)
    out: dict[str, tuple[datetime, int, str]] = {}
    if span is not None:
        out["started_at"] = (span[0], span[2], "strong")
    elif "started_at" in cue:
        out["started_at"] = (*cue["started_at"], "strong")
    elif single_start is not None:
        out["started_at"] = (*single_start, "weak")
    if "detected_at" in cue:
        out["detected_at"] = (*cue["detected_at"], "strong")
    # The end of a stated span is weaker than a sentence about the end of impact: a span often
    # covers the worst part only ("picking stopped between 05:40 and 06:41").
    if "strong" in resolved and span is not None and span[1] > resolved["strong"][0]:
        # The stated span ends later than a sentence saying something recovered ("error rate
        # normal at 15:41", span "13:05 to 15:48"): that was one part of the impact ending.
        out["resolved_at"] = (span[1], span[2], "strong")
    elif "strong" in resolved:
        out["resolved_at"] = (*resolved["strong"], "strong")
    elif span is not None:
        out["resolved_at"] = (span[1], span[2], "weak")
    elif "weak" in resolved:
        out["resolved_at"] = (*resolved["weak"], "weak")
    return out


def last_time_before(
    sections: list[tuple[Section, int]], ref: date | None, zone: tzinfo | None, before: datetime, window: timedelta
) -> tuple[datetime, int] | None:
    """(naive UTC, line) of the latest time the prose states that falls in `window` before
    `before` (the detection), or None. For a tool export's short description with no start cue:
    "The old proxy was drained at 10:00 UTC. About 3% of sessions got errors." (reported 10:12)."""
    best: tuple[datetime, int] | None = None
    for sentence, line, _ in _sentences(sections):
        times = _times_in(sentence)
        if not times:
            continue
        day = _sentence_date(sentence, ref) or ref
        for t in times:
            at = _to_utc(t, day, t.zone or zone)
            if at is not None and before - window <= at < before and (best is None or at > best[0]):
                best = (at, line)
    return best


def _usual_zone(times: list[_ProseTime]) -> tzinfo | None:
    """The zone written most often next to the times of the prose, or None."""
    counts: dict[tzinfo, int] = {}
    for t in times:
        if t.zone is not None:
            counts[t.zone] = counts.get(t.zone, 0) + 1
    return max(counts, key=lambda z: counts[z]) if counts else None


_AM_PM = re.compile(r"\d\s*[ap]\.?m", re.I)
_FROM = re.compile(r"\bfrom\b")  # on lower-cased text
_RANGE_WITH_DAY = re.compile(r"(?i)\s*(?:on\s+[^,.]{3,30}\s+)?(?:and|to|until)\s*")
_BEGAN, _ENDED = re.compile(r"(?i)\bbegan\b"), re.compile(r"(?i)\bended\b")
_RANGE_WORDS = re.compile(r"(?i)^\s*(?:-|–|—|to|and|until|till|through|thru)\s*$")


def _span(sentence: str, times: list[_ProseTime]) -> tuple[_ProseTime, _ProseTime] | None:
    """The two ends of "between A and B" / "from A to B" / "A–B" / "began at A ... ended at B"."""
    for a, b in zip(times, times[1:]):
        between = sentence[a.end:b.start]
        if _RANGE_WORDS.match(between) or _RANGE_WITH_DAY.fullmatch(between):
            return a, b
        if _BEGAN.search(sentence[: a.start]) and _ENDED.search(between):
            return a, b
    return None
