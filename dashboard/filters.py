"""The global filter bar (sidebar), mirrored in the URL so a view is a shareable link.

URL keys: from, to (YYYY-MM-DD), team, service, sev, theme (repeatable). Values come from
strangers' links, so each one is checked against the options the database offers; anything
unknown, malformed or oversized is dropped silently (never an exception). An empty multiselect
means "all"; the date range means "all" while it spans every incident.

The date range opens on the corpus's dense period (pipelines/read/periods.py), not on first to
last incident: a real corpus's 1628 outlier would squash every chart into its last pixel. The
sidebar says how many incidents lie outside the range and includes them in one click. `from`
and `to` appear in the URL only when the range differs from that default.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import data
from pipelines.read import NO_FILTERS, Filters

_INIT = "_hs_filters_from_url"
_CURRENT = "_hs_filters"
_MULTI = {  # session-state key -> (URL key, option kind)
    "hs_teams": ("team", "team"),
    "hs_services": ("service", "service"),
    "hs_severities": ("sev", "severity"),
    "hs_themes": ("theme", "theme"),
}
_DATES = "hs_dates"
_BOUNDS = "_hs_date_bounds"  # the data's date range when the widget was last drawn
_DEFAULT = "_hs_date_default"  # the default (dense) range when the widget was last drawn
_MAX_URL_VALUES = 50
_MAX_VALUE_LEN = 200


def _options(opts: pd.DataFrame, kind: str) -> dict[object, str]:
    """value -> label for one option kind (theme values are ints)."""
    rows = opts[opts["kind"] == kind]
    if kind == "theme":
        return {int(v): str(label) for v, label in zip(rows["value"], rows["label"])}
    return {str(v): str(v) for v in rows["value"]}


def _parse_date(text: str | None) -> date | None:
    if not text or len(text) > 20:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _url_values(key: str, allowed: dict[object, str], as_int: bool) -> list[object]:
    out: list[object] = []
    for raw in st.query_params.get_all(key)[:_MAX_URL_VALUES]:
        if not isinstance(raw, str) or len(raw) > _MAX_VALUE_LEN:
            continue
        value: object = raw
        if as_int:
            try:
                value = int(raw)
            except ValueError:
                continue
        if value in allowed and value not in out:
            out.append(value)
    return out


def _bounds() -> tuple[tuple[date, date], tuple[date, date]] | None:
    """((first, last) incident date, (dense first, last)): the widget's limits and its default."""
    b = data.load("date_bounds")
    if b.empty or pd.isna(b["first"].iloc[0]) or pd.isna(b["last"].iloc[0]):
        return None
    first, last = pd.Timestamp(b["first"].iloc[0]).date(), pd.Timestamp(b["last"].iloc[0]).date()
    dense = b["dense_first"].iloc[0]
    dense_first = pd.Timestamp(dense).date() if dense is not None and not pd.isna(dense) else first
    return (first, last), (dense_first, last)


def _clamp(d: date, lo: date, hi: date) -> date:
    return min(max(d, lo), hi)


def _init_from_url(options: dict[str, dict[object, str]], dates: tuple[tuple[date, date], tuple[date, date]] | None) -> None:
    for state_key, (url_key, kind) in _MULTI.items():
        st.session_state[state_key] = _url_values(url_key, options[kind], as_int=kind == "theme")
    if dates is not None:
        (lo, hi), default = dates
        start = _parse_date(st.query_params.get("from")) or default[0]
        end = _parse_date(st.query_params.get("to")) or default[1]
        start, end = _clamp(start, lo, hi), _clamp(end, lo, hi)
        if start > end:
            start, end = default
        st.session_state[_DATES] = (start, end)


def _reset(options: dict[str, dict[object, str]], dates: tuple[tuple[date, date], tuple[date, date]] | None) -> None:
    for state_key in _MULTI:
        st.session_state[state_key] = []
    if dates is not None:
        st.session_state[_DATES] = dates[1]


def _include_all(bounds: tuple[date, date]) -> None:
    st.session_state[_DATES] = bounds


def _sanitize_state(options: dict[str, dict[object, str]], dates: tuple[tuple[date, date], tuple[date, date]] | None) -> None:
    """Drop values a rebuilt database no longer offers, so widgets never see unknown defaults."""
    for state_key, (_, kind) in _MULTI.items():
        current = st.session_state.get(state_key, [])
        st.session_state[state_key] = [v for v in current if v in options[kind]]
    if dates is not None:
        bounds, default = dates
        value = st.session_state.get(_DATES)
        previous_bounds, previous_default = st.session_state.get(_BOUNDS), st.session_state.get(_DEFAULT)
        st.session_state[_BOUNDS], st.session_state[_DEFAULT] = bounds, default
        if isinstance(value, (tuple, list)) and previous_bounds is not None and tuple(value) == tuple(previous_bounds):
            value = st.session_state[_DATES] = bounds  # "everything" stays everything after a rebuild adds dates
        elif isinstance(value, (tuple, list)) and previous_default is not None and tuple(value) == tuple(previous_default):
            value = st.session_state[_DATES] = default  # so does the default range
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            if not (isinstance(value, (tuple, list)) and len(value) == 1):  # half-picked range: keep it
                st.session_state[_DATES] = default
        else:
            lo, hi = bounds
            st.session_state[_DATES] = (_clamp(value[0], lo, hi), _clamp(value[1], lo, hi))


def _to_filters(bounds: tuple[date, date] | None) -> Filters:
    start = end = None
    value = st.session_state.get(_DATES)
    if bounds is not None and isinstance(value, (tuple, list)) and len(value) == 2:
        start = value[0] if value[0] > bounds[0] else None
        end = value[1] if value[1] < bounds[1] else None
    return Filters(
        start=start,
        end=end,
        teams=tuple(st.session_state.get("hs_teams", [])),
        services=tuple(st.session_state.get("hs_services", [])),
        severities=tuple(st.session_state.get("hs_severities", [])),
        themes=tuple(int(t) for t in st.session_state.get("hs_themes", [])),
    )


def _years(first: object, last: object) -> str:
    a, b = pd.Timestamp(first).year, pd.Timestamp(last).year
    return str(a) if a == b else f"{a}–{b}"


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def outside_note(filters: Filters) -> str | None:
    """How many incidents the date range leaves out, e.g. "11 earlier incidents (1628–2009) and 73
    undated incidents are outside this range." None when the range holds every incident."""
    if filters.start is None and filters.end is None:
        return None
    row = data.load("incidents_outside", start=filters.start, end=filters.end).iloc[0]
    before, after, undated = int(row.before), int(row.after), int(row.undated)
    parts = []
    if before:
        parts.append(f"{_count(before, 'earlier incident')} ({_years(row.before_first, row.before_last)})")
    if after:
        parts.append(f"{_count(after, 'later incident')} ({_years(row.after_first, row.after_last)})")
    if undated:
        parts.append(_count(undated, "undated incident"))
    if not parts:
        return None
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{listed} {'is' if before + after + undated == 1 else 'are'} outside this range."


def _write_url(filters: Filters, default: tuple[date, date] | None) -> None:
    value = st.session_state.get(_DATES)
    custom = isinstance(value, (tuple, list)) and len(value) == 2 and default is not None and tuple(value) != tuple(default)
    wanted: dict[str, list[str]] = {
        "from": [value[0].isoformat()] if custom else [],
        "to": [value[1].isoformat()] if custom else [],
        "team": list(filters.teams),
        "service": list(filters.services),
        "sev": list(filters.severities),
        "theme": [str(t) for t in filters.themes],
    }
    for key, values in wanted.items():
        if st.query_params.get_all(key) == values:
            continue
        if values:
            st.query_params[key] = values
        elif key in st.query_params:
            del st.query_params[key]


@st.cache_data(max_entries=4, show_spinner=False)
def _all_options(identity: data.DbIdentity) -> dict[str, dict[object, str]]:
    # One per database, shared by every session: the filter bar runs on every page.
    opts = data.load("filter_options")
    return {kind: _options(opts, kind) for kind in ("team", "service", "severity", "theme")}


def filter_bar() -> Filters:
    """Render the sidebar filters and return the current selection (also kept for `current()`)."""
    options = _all_options(data.require_db())
    dates = _bounds()
    bounds = dates[0] if dates else None
    if not st.session_state.get(_INIT):
        _init_from_url(options, dates)
        st.session_state[_INIT] = True
    _sanitize_state(options, dates)
    filters = _to_filters(bounds)

    with st.sidebar:
        st.header("Filters")
        if bounds is not None:
            st.date_input("Incident date", key=_DATES, min_value=bounds[0], max_value=bounds[1], format="YYYY-MM-DD")
            note = outside_note(filters)
            if note:
                st.caption(note)
                st.button("Include all dates", on_click=_include_all, args=(bounds,), key="hs_all_dates", icon=":material/date_range:")
        st.multiselect("Severity", list(options["severity"]), key="hs_severities", placeholder="All severities")
        st.multiselect("Team", list(options["team"]), key="hs_teams", placeholder="All teams")
        st.multiselect("Service", list(options["service"]), key="hs_services", placeholder="All services")
        theme_labels = options["theme"]
        st.multiselect(
            "Recurring pattern", list(theme_labels), key="hs_themes", format_func=lambda t: theme_labels.get(t, str(t)), placeholder="All patterns"
        )
        st.button("Clear filters", on_click=_reset, args=(options, dates), width="stretch")

    _write_url(filters, dates[1] if dates else None)
    st.session_state[_CURRENT] = filters
    return filters


def current() -> Filters:
    """The selection made by this run's filter bar (no filters if the bar has not run)."""
    value = st.session_state.get(_CURRENT)
    return value if isinstance(value, Filters) else NO_FILTERS


def describe(filters: Filters) -> str:
    """A short human summary of active filters, for empty-state messages."""
    parts = []
    if filters.start or filters.end:
        parts.append(f"dates {filters.start or '…'} to {filters.end or '…'}")
    for name, values in (("severity", filters.severities), ("team", filters.teams), ("service", filters.services)):
        if values:
            parts.append(f"{name} {', '.join(map(str, values))}")
    if filters.themes:
        parts.append(f"{len(filters.themes)} pattern(s)")
    return "; ".join(parts) if parts else "no filters"
