"""Small layout pieces shared by pages: chart-or-message, incident links, KPI formatting."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from urllib.parse import quote

import altair as alt
import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from dashboard import charts, render
from dashboard import filters as filter_bar
from dashboard.charts import human_hours
from pipelines.read import SOURCED_FIELD_LABELS, Filters

INCIDENT_PAGE = "incident"
# How the incident page names where an inferred value came from (field_sources.source).
INFERRED_FROM = {"timeline": "the timeline", "text": "the prose", "catalog": "the service catalog", "corpus": "other write-ups"}


# Room for the title and the x axis around a chart's plot height (pixels).
CHART_FRAME = 90


def show_chart(chart: alt.TopLevelMixin | None, empty_message: str) -> None:
    """Draw an Altair chart built on this run (validated and serialised on every call: prefer chart())."""
    if chart is None:
        st.info(empty_message)
        return
    # Streamlit sizes a chart to a default height unless told; charts with one row per
    # theme or event set their plot height, so give the element that height plus its frame.
    plot_height = getattr(chart, "height", None)
    if isinstance(plot_height, int):
        st.altair_chart(chart, width="stretch", height=plot_height + CHART_FRAME)
    else:
        st.altair_chart(chart, width="stretch")


def _canonical(part: object) -> bytes:
    """Bytes that depend only on a chart input's content. Pickle alone is not enough: a frame
    fresh from DuckDB and the same frame read back from the cache pickle differently (pickle
    records which objects are shared), so the first hit would miss."""
    if isinstance(part, pd.DataFrame):
        head = repr((list(part.columns), [str(t) for t in part.dtypes])).encode()
        try:
            return head + pd.util.hash_pandas_object(part, index=True).to_numpy().tobytes()
        except TypeError:  # list cells (services, evidence): their repr is canonical
            return head + repr([part[c].tolist() for c in part.columns]).encode()
    return pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)


def _digest(*parts: object) -> str:
    """A content key for chart inputs (Streamlit's own hasher rejects frames with list cells)."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(_canonical(part))
    return h.hexdigest()


# The default Altair theme's config, which st.altair_chart switches off; a spec made with
# to_dict() carries it, and it would fix every chart at 300 x 300 pixels.
_DEFAULT_THEME_VIEW = {"continuousWidth": 300, "continuousHeight": 300}


@st.cache_data(max_entries=512, show_spinner=False)
def _chart_spec(key: str, builder: str, _frames: tuple, _kwargs: dict) -> tuple[dict, int | None] | None:
    # Keyed by `key` (the content of the frames and options) alone: the same data gives the same
    # chart whoever asks, and different data (another database, other filters, another viewer's
    # rows) gives another key, so no viewer can be served a chart of rows they may not read.
    chart = getattr(charts, builder)(*_frames, **_kwargs)
    if chart is None:
        return None
    # Not validated here: validation is about half of building a chart, and every builder's spec
    # is validated against the Vega-Lite schema by tests/dashboard/test_charts.py (to_dict()).
    spec = chart.to_dict(validate=False)
    config = spec.get("config", {})
    if config.get("view") == _DEFAULT_THEME_VIEW:
        config.pop("view")
        if not config:
            spec.pop("config")
    # The data as Arrow bytes, made once: st.vega_lite_chart passes bytes through and would
    # otherwise turn every dataset's records into a DataFrame and then Arrow on every render.
    # Streamlit's own converter, so the bytes are exactly what it would have sent.
    spec["datasets"] = {name: rows if isinstance(rows, bytes) else dataframe_util.convert_anything_to_arrow_bytes(rows)
                        for name, rows in spec.get("datasets", {}).items()}
    height = getattr(chart, "height", None)
    return spec, height if isinstance(height, int) else None


def chart(builder: Callable[..., alt.TopLevelMixin | None], *frames: pd.DataFrame, empty: str, **kwargs: object) -> None:
    """Draw `builder(*frames, **kwargs)` (a dashboard.charts function) or `empty` when it has
    nothing to draw. The Vega-Lite spec is cached across sessions by content, so a rerun or
    another viewer with the same data skips building, validating and serialising the chart
    (Altair's to_dict also holds a process-wide lock that serialises renders)."""
    name = builder.__name__
    if getattr(charts, name, None) is not builder:
        raise ValueError(f"{name} is not a chart builder of dashboard.charts")
    found = _chart_spec(_digest(name, *frames, *sorted(kwargs.items())), name, frames, kwargs)
    if found is None:
        st.info(empty)
        return
    spec, plot_height = found
    if plot_height is not None:
        st.vega_lite_chart(spec, width="stretch", height=plot_height + CHART_FRAME)
    else:
        st.vega_lite_chart(spec, width="stretch")


# What an empty cell shows. Streamlit's default is a grey "None", which reads as a value
# (a team called None) to anyone who does not write Python.
MISSING = "–"


def table(df: pd.DataFrame, **kwargs: object) -> None:
    """st.dataframe with the project's defaults: empty cells show MISSING, no index unless asked."""
    kwargs.setdefault("hide_index", True)
    st.dataframe(df, placeholder=MISSING, **kwargs)


def nothing_matches(filters: Filters, what: str = "incidents") -> None:
    st.info(
        f"No {what} match the current filters ({render.safe_inline(filter_bar.describe(filters))}). "
        "Widen the date range or clear some filters in the sidebar."
    )


# Where the parser finds action items (pipelines/parsing/action_items.py, sections.py), in words.
ACTION_ITEMS_READ_FROM = (
    "Hindsight reads action items from a section headed like *Action items*, *Follow-up*, *Corrective actions*, "
    "*Remediation* or *Next steps* (its table rows, checkboxes and bullets, with `@owner`, due dates and status "
    "markers such as `[done]`), and from the action-item fields of JSON, JSONL and CSV exports. Commitments written "
    "only in prose (\"we will add an alert\") are not read as action items."
)


def no_action_items(incidents: int) -> None:
    """The empty state of a corpus without any action item: say so, and what the parser looks for."""
    st.info(f"**This corpus has no action items**, so there is no follow-through to measure for its "
            f"{incidents} incident{'' if incidents == 1 else 's'} in view.\n\n{ACTION_ITEMS_READ_FROM}",
            icon=":material/info:")


def incident_url(incident_id: object) -> str | None:
    """Relative link to an incident's page (relative so it works under any base URL path)."""
    if incident_id is None or (isinstance(incident_id, float) and pd.isna(incident_id)) or incident_id is pd.NA:
        return None
    return f"{INCIDENT_PAGE}?incident={quote(str(incident_id), safe='')}"


def with_links(df: pd.DataFrame, id_column: str = "incident_id") -> pd.DataFrame:
    """Add a `link` column (incident page URL, empty for restricted rows)."""
    return df.assign(link=[incident_url(v) for v in df[id_column]])


def link_column(title: str = "Open", display_text: str = r"incident=(.*)$") -> st.column_config.LinkColumn:
    """A link to the incident page, shown as the incident id (or `display_text`, e.g. "open")."""
    # A fixed width: ids from some sources are 36-character UUIDs that would push the other columns off screen.
    return st.column_config.LinkColumn(title, display_text=display_text, help="Open the incident page", width=130)


def date_column(title: str = "Date") -> st.column_config.DateColumn:
    return st.column_config.DateColumn(title, format="YYYY-MM-DD")


def hours(value: object) -> str:
    return "–" if value is None or pd.isna(value) else human_hours(float(value))


def pct(part: object, whole: object) -> float | None:
    try:
        p, w = float(part), float(whole)
    except (TypeError, ValueError):
        return None
    return None if w == 0 else 100.0 * p / w


def fmt_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def _after_start(start: object, t: object) -> str:
    if pd.isna(start) or pd.isna(t) or t < start:
        return "–"
    return hours((t - start).total_seconds() / 3600)


def _as_list(value: object) -> list:
    """A list cell as a list: NULL arrives as None or pd.NA, a list as a list or an array."""
    return [] if value is None or value is pd.NA or isinstance(value, (str, float)) else list(value)


def incident_header(d: pd.Series) -> None:
    """Title, facts line, durations and UTC times of one incident (a row of queries.incident_detail)."""
    st.title(render.safe_inline(d.title))
    services = ", ".join(d.services) if d.services is not None and len(d.services) else None
    severity = d.severity if isinstance(d.severity, str) and d.severity != "unknown" else "severity not stated"
    facts = [f"**{severity}**", str(d.incident_date.date()) if pd.notna(d.incident_date) else "undated",
             f"team {d.team}" if d.team else None, f"services {services}" if services else None,
             f"status {d.status}" if d.status else None, f"`{d.incident_id}`"]
    st.markdown(render.safe_inline(" · ".join(x for x in facts if x)))
    cols = st.columns(4)
    cols[0].metric("Time to detect", _after_start(d.started_at, d.detected_at), help="From start to detection")
    cols[1].metric("Time to mitigate", _after_start(d.started_at, d.mitigated_at), help="From start to mitigation")
    cols[2].metric("Time to resolve", _after_start(d.started_at, d.resolved_at), help="From start to resolution")
    cols[3].metric("Completeness", "–" if pd.isna(d.completeness) else f"{int(d.completeness)}/100",
                   help="Postmortem completeness score from the linter")
    stamps = {"started": d.started_at, "detected": d.detected_at, "mitigated": d.mitigated_at, "resolved": d.resolved_at}
    st.caption(" · ".join(f"{k} {v.strftime('%Y-%m-%d %H:%M')} UTC" for k, v in stamps.items() if pd.notna(v))
               or "No incident times recorded.")
    notes = []
    write_ups = _as_list(d.get("write_ups"))
    if len(write_ups) > 1:
        notes.append("Written up " + str(len(write_ups)) + " times: " + ", ".join(f"`{w}`" for w in write_ups))
    inferred = [x.split(":", 1) for x in _as_list(d.get("inferred"))]
    if inferred:
        notes.append("Not stated in the write-up: " + "; ".join(
            f"{SOURCED_FIELD_LABELS.get(f, f).lower()} from {INFERRED_FROM.get(src, src)}" for f, src in inferred))
    if notes:
        st.caption(render.safe_inline(" · ".join(notes)))
