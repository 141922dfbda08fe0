"""Postmortem metadata: field aliases, severity and date normalization, `Key: value` blocks.

Field aliases (keys are matched case-insensitively; spaces and hyphens count as underscores):

    incident_id    id, uuid, incident_id, incident
    title          title, name, subject, headline, title_or_first_sentence
    date           date, incident_date, day
    severity       severity, sev, level, impact_level, incident_severity
    priority       priority, prio: used as the severity only when none is stated
    services       services, service, product, products, component, components, system(s),
                   affected_services, services_affected, impacted, impacted_services, affected
    team           team, owner_team, owning_team, owner (a team, not an action owner), squad,
                   prepared_by
    status         status, state
    started_at     started_at, start_time, start, began_at, impact_start, impact_started
    detected_at    detected_at, detection_time, detected, reported_at, reported
    mitigated_at   mitigated_at, mitigation_time, mitigated
    resolved_at    resolved_at, end_time, end, ended_at, resolution_time, resolved
    impact_ended   impact_ended, impact_end, customer_impact_ended, stable_at: the end of user
                   impact, which beats `resolved` (the incident closed later); a `mitigated` or
                   `resolved` value annotated "(customer impact ended)" counts the same way
    tags           tags, tag, categories, category, keywords, labels
    failure_modes  failure_modes, failure_mode, root_cause_category, cause_category,
                   failure_category, rca_category: the failure modes the authors name (hand
                   labels for the analysis; free-form tags never are)
    url            url, link, source_url
    timezone       timezone, time_zone, tz: the zone of times written without one
    restricted     restricted, confidential, private (booleans) and visibility (a word)
    allowed_groups allowed_groups, allowed, audience, groups, readers

Severity values are mapped by pipelines/parsing/severity.py (data in severity.toml).

Times: every datetime is returned as naive UTC. A time written with a zone (offset, `Z`, or a
name from `TZINFOS` below) is converted; a time written without any zone is read in the zone
the document declares (`timezone: Europe/Berlin` / `PST` / `UTC+2`), and without a declared
zone it is taken to be UTC already, because that is what postmortem templates ask for and
guessing a local zone would silently shift it. Ambiguous abbreviations resolve as: CST = US Central, IST = India,
BST = British Summer Time. PT/ET/CT/MT (no S/D) use the IANA zone, so daylight saving follows
the date.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

from pipelines.model import FieldSource, Incident, SOURCED_FIELDS
from pipelines.parsing.dates import DMY, reading_order
from pipelines.parsing.ownership import service_names, split_names, team_name
from pipelines.parsing.severity import normalize_severity, read_severity

__all__ = ["normalize_severity"]  # re-exported: callers read severities through metadata

_H = 3600

TZINFOS: dict[str, Any] = {
    "UTC": 0, "GMT": 0, "Z": 0, "UT": 0, "WET": 0,
    "PST": -8 * _H, "PDT": -7 * _H,
    "MST": -7 * _H, "MDT": -6 * _H,
    "CST": -6 * _H, "CDT": -5 * _H,
    "EST": -5 * _H, "EDT": -4 * _H,
    "AKST": -9 * _H, "AKDT": -8 * _H,
    "HST": -10 * _H,
    "BST": 1 * _H, "WEST": 1 * _H, "CET": 1 * _H, "CEST": 2 * _H, "MET": 1 * _H, "MEST": 2 * _H,
    "EET": 2 * _H, "EEST": 3 * _H, "MSK": 3 * _H,
    "IST": int(5.5 * _H),
    "SGT": 8 * _H, "HKT": 8 * _H, "AWST": 8 * _H,
    "JST": 9 * _H, "KST": 9 * _H,
    "ACST": int(9.5 * _H), "ACDT": int(10.5 * _H),
    "AEST": 10 * _H, "AEDT": 11 * _H,
    "NZST": 12 * _H, "NZDT": 13 * _H,
    "PT": ZoneInfo("America/Los_Angeles"),
    "MT": ZoneInfo("America/Denver"),
    "CT": ZoneInfo("America/Chicago"),
    "ET": ZoneInfo("America/New_York"),
}
TZ_NAMES = frozenset(TZINFOS)

FIELD_ALIASES: dict[str, str] = {}
for _field, _aliases in {
    "incident_id": ("id", "uuid", "incident_id", "incident", "incident_number"),
    "title": ("title", "name", "subject", "headline", "title_or_first_sentence"),
    "date": ("date", "incident_date", "day"),
    "severity": ("severity", "sev", "level", "impact_level", "incident_severity", "severity_level"),
    "priority": ("priority", "prio", "incident_priority"),
    "services": (
        "services", "service", "product", "products", "component", "components", "system",
        "systems", "affected_services", "affected_service", "affected_systems", "services_affected",
        "service_s_affected", "services_impacted", "impacted_services", "impacted", "affected",
        "affected_components", "impacted_components",
    ),
    "team": ("team", "owner_team", "owning_team", "owner", "squad", "teams", "prepared_by", "owning_group"),
    "status": ("status", "state", "incident_status"),
    "started_at": (
        "started_at", "start_time", "start", "began_at", "impact_start", "started", "start_date",
        "impact_started", "impact_started_at", "impact_began", "customer_impact_started",
    ),
    "detected_at": ("detected_at", "detection_time", "detected", "detect_time", "reported_at", "reported", "reported_time"),
    "mitigated_at": ("mitigated_at", "mitigation_time", "mitigated"),
    "resolved_at": (
        "resolved_at", "end_time", "end", "ended_at", "resolution_time", "resolved", "end_date",
        "recovered_at",
    ),
    "impact_ended": (
        "impact_ended", "impact_end", "impact_ended_at", "impact_end_time", "customer_impact_ended",
        "stable_at", "impact_over",
    ),
    "tags": ("tags", "tag", "categories", "category", "keywords", "labels"),
    "failure_modes": (
        "failure_modes", "failure_mode", "root_cause_category", "root_cause_categories", "cause_category",
        "failure_category", "rca_category",
    ),
    "url": ("url", "link", "source_url", "permalink"),
    "restricted": ("restricted", "confidential", "private"),
    "visibility": ("visibility", "access", "classification"),
    "allowed_groups": ("allowed_groups", "allowed", "audience", "groups", "readers", "allowed_readers"),
    "summary": ("summary", "tldr", "tl_dr", "abstract"),
    "timezone": ("timezone", "time_zone", "tz"),
}.items():
    for _alias in _aliases:
        FIELD_ALIASES[_alias] = _field

_KEY_CLEAN = re.compile(r"[\s\-./]+")


def canonical_field(key: object) -> str | None:
    """The Incident field a metadata key names, or None for keys we do not know."""
    if not isinstance(key, str):
        return None
    return _canonical_field(key)


@lru_cache(maxsize=4096)
def _canonical_field(key: str) -> str | None:
    k = _KEY_CLEAN.sub("_", key.strip().strip("*_: ").lower().replace("(s)", "s")).strip("_")
    field = FIELD_ALIASES.get(k)
    if field is None and k.startswith(("severity_", "priority_")) and len(k) <= 30:
        # "Severity at the time", "Severity (initial)": still the severity
        field = k.split("_", 1)[0]
    return field


# ---- dates and times ---------------------------------------------------------------------

_ISO_FAST = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
# Explicit ISO stamps and YAML dates may be historical (public collections include 1628 and
# 1969 incidents); free text parsed fuzzily must look like a modern date to count.
_MIN_YEAR, _MAX_YEAR = 1000, 2100
_MIN_FUZZY_YEAR = 1970


def to_naive_utc(dt: datetime) -> datetime:
    if dt.tzinfo is not None:
        offset = dt.utcoffset()
        dt = dt.replace(tzinfo=None)
        if offset is not None:
            dt = dt - offset
    return dt


def _plausible(dt: datetime) -> bool:
    return _MIN_YEAR <= dt.year <= _MAX_YEAR


def _localize(dt: datetime, local_tz: tzinfo | None) -> datetime:
    """A wall-clock time written without a zone, read in the document's declared zone."""
    if dt.tzinfo is None and local_tz is not None:
        return to_naive_utc(dt.replace(tzinfo=local_tz))
    return to_naive_utc(dt)


def parse_datetime(
    value: object, *, default_date: date | None = None, local_tz: tzinfo | None = None
) -> datetime | None:
    """A naive-UTC datetime from a YAML value or free text, or None. Never raises.

    A date without a time gives midnight only when given as a date: it is what the author
    wrote, not an invented time. Time-only text needs `default_date`, else None. A time
    written without a zone is read in `local_tz` (the document's `timezone:`), else as UTC.
    """
    try:
        return _parse_datetime(value, default_date, local_tz)
    except (ValueError, OverflowError, TypeError, AttributeError, IndexError, KeyError):
        return None


def _parse_datetime(value: object, default_date: date | None, local_tz: tzinfo | None) -> datetime | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        dt = _localize(value, local_tz)
        return dt if _plausible(dt) else None
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day) if _MIN_YEAR <= value.year <= _MAX_YEAR else None
    if isinstance(value, (int, float)):
        return None  # bare numbers are not times (epoch seconds would be a guess)
    text = str(value).strip()
    if not text or len(text) > 80:
        return None
    return _parse_text(text, default_date, local_tz, reading_order() == DMY if "/" in text else False)


@lru_cache(maxsize=4096)
def _parse_text(text: str, default_date: date | None, local_tz: tzinfo | None = None, dayfirst: bool = False) -> datetime | None:
    if _ISO_FAST.match(text):
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            dt = _localize(parsed, local_tz if len(text) > 10 else None)
            return dt if _plausible(dt) else None
        except ValueError:
            pass
    if not any(ch.isdigit() for ch in text):
        return None
    fast = _fast_text(text)
    if fast is not None:
        return fast if _plausible(fast) else None
    cleaned = text.replace("(", " ").replace(")", " ").replace(",", " ").strip()
    base = default_date or date(1900, 1, 1)
    default = datetime(base.year, base.month, base.day)
    try:
        dt, skipped = dateutil_parser.parse(
            cleaned, default=default, tzinfos=TZINFOS, fuzzy_with_tokens=True, dayfirst=dayfirst
        )
    except (ValueError, OverflowError, TypeError):
        return None
    has_time = ":" in cleaned or re.search(r"\d\s*[ap]\.?m\b", cleaned, re.I) is not None
    dt = _localize(dt, local_tz if has_time else None)
    if default_date is None and dt.year == 1900:
        return None  # a time with no date and no date to carry over: not placeable
    if not _plausible(dt) or (dt.year < _MIN_FUZZY_YEAR and (default_date is None or dt.year != default_date.year)):
        return None
    # Reject text where most of the words were skipped: that was prose, not a time.
    skipped_chars = sum(len(s.strip()) for s in skipped)
    if skipped_chars > max(12, len(cleaned) // 2):
        return None
    return dt


_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_ISO_ZONE_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?\s*\(?([A-Z]{1,5})\)?$")
_MONTH_DAY_YEAR = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})$")


def _fast_text(text: str) -> datetime | None:
    """The two shapes that dominate real corpora besides ISO, without dateutil's cost:
    `2024-03-05 14:02 UTC` and `Mar 5, 2024` / `5 March 2024`."""
    m = _ISO_ZONE_NAME.match(text)
    if m and m.group(7) in TZINFOS:
        y, mo, d, h, mi, sec, zone = m.groups()
        tz = TZINFOS[zone]
        tzinfo = tz if not isinstance(tz, int) else timezone(timedelta(seconds=tz))
        try:
            return to_naive_utc(datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec or 0), tzinfo=tzinfo))
        except ValueError:
            return None
    m = _MONTH_DAY_YEAR.match(text)
    if m:
        month, day, year = m.group(1), m.group(2), m.group(3)
    else:
        m = _DAY_MONTH_YEAR.match(text)
        if not m:
            return None
        day, month, year = m.group(1), m.group(2), m.group(3)
    mon = _MONTHS.get(month[:3].lower())
    if mon is None or (len(month) > 3 and not _is_month_name(month.lower())):
        return None
    try:
        return datetime(int(year), mon, int(day))
    except ValueError:
        return None


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december", "sept")


def _is_month_name(word: str) -> bool:
    return word in _MONTH_NAMES


def parse_date(value: object) -> date | None:
    """A calendar date from a YAML value or text, or None. Never raises."""
    if isinstance(value, datetime):
        value = to_naive_utc(value)
        return value.date() if _plausible(value) else None
    if isinstance(value, date):
        return value if _MIN_YEAR <= value.year <= _MAX_YEAR else None
    dt = parse_datetime(value, default_date=None)
    return dt.date() if dt else None


# ---- values ------------------------------------------------------------------------------

_LIST_SPLIT = re.compile(r"(?<!\s)\s*[,;]\s*")


def to_list(value: object) -> list[str]:
    """A list of clean strings from a YAML list, a comma/semicolon string, or a scalar."""
    if value is None:
        return []
    items: list[object]
    if isinstance(value, (list, tuple, set)):
        items = list(value)
    elif isinstance(value, dict):
        items = [k for k, v in value.items() if v]
    else:
        items = [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, dict):
            # services: [{name: checkout}, ...]
            item = next((item[k] for k in ("name", "service", "id", "title", "value") if isinstance(item.get(k), str)), None)
        if item is None or isinstance(item, (dict, list)):
            continue
        text = str(item).strip().strip("[]").strip()
        for part in _LIST_SPLIT.split(text) if isinstance(item, str) else [text]:
            part = part.strip().strip("\"'` ")
            if part and part not in out:
                out.append(part)
    return out


_TRUE = {"true", "yes", "y", "1", "on", "restricted", "private", "confidential", "secret"}
_RESTRICTED_VISIBILITY = {
    "restricted", "private", "confidential", "secret", "limited", "need-to-know", "need_to_know",
    "sensitive", "security",
}


def to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    return str(value).strip().lower() in _TRUE


def _scalar_text(value: object) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def zone_of(value: object) -> tzinfo | None:
    """A tzinfo for a `timezone:` value: an abbreviation from TZINFOS, an IANA name
    (`Europe/Berlin`), or an offset (`UTC+2`, `-05:00`); None when not recognised."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    up = text.upper()
    if up in TZINFOS:
        v = TZINFOS[up]
        return v if isinstance(v, tzinfo) else timezone(timedelta(seconds=v))
    m = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", up)
    if m:
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        if minutes <= 14 * 60:
            return timezone(timedelta(minutes=minutes if m.group(1) == "+" else -minutes))
        return None
    if "/" in text and len(text) <= 40:
        try:
            return ZoneInfo(text)
        except (ValueError, KeyError, OSError):
            return None
    return None


def declared_zone(meta: dict[Any, Any]) -> tzinfo | None:
    """The zone a document declares for its unzoned times (`timezone`, `time_zone`, `tz`)."""
    for key, value in meta.items():
        if canonical_field(key) == "timezone":
            return zone_of(value)
    return None


def apply_metadata(
    incident: Incident,
    meta: dict[Any, Any],
    *,
    overwrite: bool = True,
    local_tz: tzinfo | None = None,
    source: str | None = None,
    lines: dict[str, int] | None = None,
) -> None:
    """Copy known metadata keys onto the incident; unknown keys are ignored.

    With overwrite=False, fields that already hold a value keep it (front matter beats
    a `Key: value` line found later in the body). Unzoned times are read in `local_tz`.
    With `source` (a FIELD_SOURCES kind), each SOURCED_FIELDS value set is recorded in
    `incident.field_sources`, with the line `lines` gives for its key.
    """
    set_here: set[str] = set()
    ends: list[tuple[Any, Any]] = []
    for key, value in meta.items():
        field = canonical_field(key)
        if field is None or value is None:
            continue
        if field == "impact_ended":
            ends.append((key, value))  # applied last: the end of impact beats `resolved`
            continue
        done = _apply(incident, field, value, overwrite, local_tz)
        if done:
            set_here.add(done)
            _record(incident, done, source, lines, key)
    for key, value in ends:
        dt = parse_datetime(_strip_note(value)[0], local_tz=local_tz)
        if dt and (overwrite or incident.resolved_at is None or "resolved_at" in set_here):
            incident.resolved_at = dt
            _record(incident, "resolved_at", source, lines, key)


def _record(incident: Incident, field: str, source: str | None, lines: dict[str, int] | None, key: Any) -> None:
    if source and field in SOURCED_FIELDS:
        incident.field_sources[field] = FieldSource(source, (lines or {}).get(str(key)))


_NOTE = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")
_DASH_NOTE = re.compile(r"^(.*?\d.*?)\s+(?:—|–|--|-)\s+([A-Za-z].*)$")
_IMPACT_END_NOTE = re.compile(r"\bimpact\b.*\b(?:ended|end|over|stopped|mitigated)\b|\b(?:ended|end of)\b.*\bimpact\b", re.I)


def _strip_note(value: Any) -> tuple[Any, str]:
    """("2023-09-12 09:41 BST", "customer impact ended") for a value with a trailing note in
    brackets or after a dash ("... 10:20 CET — customer impact over")."""
    if isinstance(value, str) and (")" in value or " -" in value or "—" in value or "–" in value):
        m = _NOTE.match(value.strip()) or _DASH_NOTE.match(value.strip())
        if m and m.group(1):
            return m.group(1), m.group(2)
    return value, ""


def _apply(incident: Incident, field: str, value: Any, overwrite: bool, local_tz: tzinfo | None = None) -> str | None:
    """Set one field; returns the Incident attribute it set, or None."""

    def free(name: str) -> bool:
        current = getattr(incident, name)
        return overwrite or current in (None, "", [], False)

    if field == "incident_id":
        text = _scalar_text(value)
        if text and free("incident_id"):
            incident.incident_id = text
            return field
    elif field in ("title", "team", "status", "url", "summary"):
        text = _scalar_text(value)
        if field == "team" and isinstance(value, list):
            text = ", ".join(to_list(value)) or None
        if field == "team" and text:
            text = team_name(text)
        if text and free(field):
            setattr(incident, field, text)
            return field
    elif field == "severity":
        if free("severity_raw"):
            incident.severity, incident.severity_raw = normalize_severity(value)
            return field
    elif field == "priority":
        # A priority stands in for the severity only when none is stated; parse_markdown
        # weighs it against every other severity claim in the document.
        if incident.severity_raw is None:
            level, raw, _ = read_severity(value)
            if level:
                incident.severity, incident.severity_raw = level, raw
                return "severity"
    elif field in ("services", "tags", "allowed_groups", "failure_modes"):
        if field == "services":
            raw = [value] if isinstance(value, str) else to_list(value)
            items = []
            for part in (p for v in raw for p in split_names(str(v))):
                items.extend(n for n in service_names(part) if n not in items)
        else:
            items = to_list(value)
        if items and free(field):
            setattr(incident, field, items)
            return field
    elif field == "date":
        d = parse_date(value)
        if d and free("date"):
            incident.date = d
            return field
    elif field in ("started_at", "detected_at", "mitigated_at", "resolved_at"):
        value, note = _strip_note(value)
        dt = parse_datetime(value, local_tz=local_tz)
        if dt and note and field in ("mitigated_at", "resolved_at") and _IMPACT_END_NOTE.search(note):
            # "Mitigated: 09:41 (customer impact ended)": the document says this is the end of
            # impact, which is what resolved_at means here.
            if field == "mitigated_at" and free("mitigated_at"):
                incident.mitigated_at = dt
            incident.resolved_at = dt
            return "resolved_at"
        if dt and free(field):
            setattr(incident, field, dt)
            return field
    elif field == "restricted":
        if to_bool(value):
            incident.restricted = True
    elif field == "visibility":
        if str(value).strip().lower() in _RESTRICTED_VISIBILITY:
            incident.restricted = True
    return None


# ---- `Key: value` lines in the body ------------------------------------------------------

_KV_LINE = re.compile(
    r"^\s{0,3}(?:[-*+]\s+)?(?:\*\*|__|\*|_)?([A-Za-z][A-Za-z _\-/()]{0,30}?)(?:\*\*|__|\*|_)?\s*::?\s*(?:\*\*|__|\*|_)?\s*(.*)$"
)


def match_key_value(line: str) -> tuple[str, str] | None:
    """(canonical field, value) for a `Key: value` / `**Key:** value` line with a known key."""
    if ":" not in line[:48]:
        return None
    m = _KV_LINE.match(line)
    if not m:
        return None
    field = canonical_field(m.group(1))
    value = m.group(2).strip().strip("*_").strip()
    if field is None or not value:
        return None
    return field, value
