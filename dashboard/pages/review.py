"""Quarterly review: one quarter against the one before, the same document as `hindsight report`."""

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import auth, components as ui, data
from pipelines.quarters import Quarter, parse_quarter
from pipelines.read.access import ANONYMOUS, Viewer
from pipelines.report import charts as review_charts, render as report, review as rv
from pipelines.report.redact import Redactor


@st.cache_data(max_entries=64, show_spinner=False)
def _review(identity: data.DbIdentity, quarter: str, viewer: Viewer, as_of: date) -> rv.QuarterlyReview:
    con = data.cursor()
    try:
        return rv.build_review(con, parse_quarter(quarter), as_of=as_of, viewer=viewer)
    finally:
        con.close()


@st.cache_data(max_entries=64, show_spinner=False)
def _chart_specs(identity: data.DbIdentity, quarter: str, viewer: Viewer, as_of: date) -> dict[str, dict]:
    # Cached so a rerun only resends them; not re-validated, since the chart builders' unit
    # tests validate every spec against the Vega-Lite schema already.
    charts = review_charts.review_charts(_review(identity, quarter, viewer, as_of))
    return {name: chart.to_dict(validate=False) for name, chart in charts}


def _quarter_from_url(choices: list[str]) -> str | None:
    raw = st.query_params.get("quarter")
    if not isinstance(raw, str) or len(raw) > 20:
        return None
    try:
        q = str(parse_quarter(raw))
    except ValueError:
        return None
    return q if q in choices else None


st.title("Quarterly review")
st.caption("Every incident dated in the quarter, compared with the quarter before; the sidebar filters do not apply here.")
quarters = data.load("review_quarters")
if quarters.empty:
    st.info("No dated incidents yet, so there is no quarter to review. Check the Data quality page for incidents without dates.")
    st.stop()
available = [Quarter(int(r.year), int(r.quarter)) for r in quarters.itertuples(index=False)]
choices = [str(q) for q in sorted(available, reverse=True)]
if "hs_review_quarter" not in st.session_state or st.session_state["hs_review_quarter"] not in choices:
    st.session_state["hs_review_quarter"] = _quarter_from_url(choices) or str(rv.pick_default(available, data.today()))
quarter = st.selectbox("Quarter", choices, key="hs_review_quarter", help="Defaults to the last complete quarter with incidents.")
if st.query_params.get("quarter") != quarter:
    st.query_params["quarter"] = quarter

# The as-of date decides overdue items and whether the quarter is over: HINDSIGHT_TODAY when set.
today = data.today()
identity = data.require_db()
viewer = data.cache_viewer(auth.current_viewer())  # keyed by what it may read
review = _review(identity, quarter, viewer, today)

cur, prev = review.current, review.previous


# The overview's rule: no arrows for a quarter in progress or below MIN_COMPARE incidents (the
# Incidents section below says why).
def change(now: int, before: int) -> int | None:
    return now - before if review.comparable else None


cols = st.columns(5)
cols[0].metric("Incidents", cur.incidents, delta=change(cur.incidents, prev.incidents), delta_color="inverse",
               help=f"{prev.incidents} in {prev.quarter}.")
cols[1].metric("SEV1", cur.by_severity["SEV1"], delta=change(cur.by_severity["SEV1"], prev.by_severity["SEV1"]), delta_color="inverse")
cols[2].metric("Median time to resolve", report.fmt_minutes(cur.time_to_resolve.median),
               help=f"n = {cur.time_to_resolve.n}; p90 {report.fmt_minutes(cur.time_to_resolve.p90)}. "
               f"{prev.quarter}: {report.fmt_minutes(prev.time_to_resolve.median)} (n = {prev.time_to_resolve.n}).")
cols[3].metric("Repeat incidents", review.repeat_count, delta=change(review.repeat_count, review.previous_repeats), delta_color="inverse")
cols[4].metric("Action items done", report.fmt_pct(review.actions.completion_pct),
               help=f"{review.actions.done} of {review.actions.created} items; {review.actions.overdue} overdue.")

charts = _chart_specs(identity, quarter, viewer, today)
_, sections = report.document(review)
for i, section in enumerate(sections):
    if i:
        st.subheader(section.heading)
    for block in section.blocks:
        if isinstance(block, report.Chart):
            if block.name in charts:
                st.vega_lite_chart(charts[block.name], width="stretch")
        elif isinstance(block, report.Table):
            ui.table(pd.DataFrame(block.rows, columns=[h or " " for h in block.header]), hide_index=True)
        elif isinstance(block, list):
            st.markdown("\n".join(f"- {report.md_escape(item, line_start=True)}" for item in block))
        else:
            st.markdown(report.md_escape(block, line_start=True))

st.subheader("Download")
st.caption("Downloads never include restricted incidents, whoever is signed in, so they can be forwarded.")


# A fragment: the redaction toggle rebuilds the downloads only, not the review above.
@st.fragment
def downloads() -> None:
    redact = st.toggle("Redact emails, IP addresses, owner names and hostnames", key="hs_review_redact")
    shared = _review(identity, quarter, ANONYMOUS, today)
    if redact:
        shared = report.redact_review(shared, Redactor(data.load("review_owner_names")["owner"].tolist()))
    left, right = st.columns(2)
    left.download_button("Markdown", data=report.render_markdown(shared), file_name=f"review-{quarter}.md",
                         mime="text/markdown", on_click="ignore", icon=":material/description:")
    # The HTML export renders charts to SVG (about a second), so it is built only when clicked.
    right.download_button("Standalone HTML", data=lambda: report.render_html(shared), file_name=f"review-{quarter}.html",
                          mime="text/html", on_click="ignore", icon=":material/code:")


downloads()
