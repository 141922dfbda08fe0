"""Trends: incidents over time by team / service / failure mode; time to detect and resolve as distributions."""

import streamlit as st

from dashboard import charts, components as ui, data, filters
from pipelines.read import DIMENSIONS, MIN_SAMPLE

st.title("Trends")
f = filters.current()

dimension = st.segmented_control("Break incidents down by", DIMENSIONS, default="team", key="trend_dimension", required=True) or "team"
by_group = data.load("incidents_by_dimension", filters=f, dimension=dimension)
if by_group.empty:
    ui.nothing_matches(f, "dated incidents" if dimension != "failure mode" else "dated incidents with a failure mode")
else:
    ui.show_chart(charts.incidents_by_group(by_group, dimension=dimension), "Nothing to chart.")
    st.caption("An incident touching several services counts once for each." if dimension == "service" else "")

st.header("How long incidents take")
st.caption(
    "Durations are skewed: a few long incidents dominate any average, so each quarter shows every "
    "incident, the median and the 90th percentile (p90), with the sample size n."
)
points = data.load("durations", filters=f, per_quarter=charts.MAX_DOTS)
summary = data.load("duration_summary", filters=f)
for metric in ("Time to detect", "Time to resolve"):
    ui.show_chart(
        charts.duration_distribution(points, summary, metric=metric),
        f"No incidents with both a start time and a {metric.split()[-1]} time match the current filters.",
    )
    small = summary[(summary["metric"] == metric) & summary["small_sample"]]
    if not small.empty:
        st.warning(
            f"{metric}: fewer than {MIN_SAMPLE} incidents in {', '.join(small['quarter'])} "
            f"(n = {', '.join(str(n) for n in small['n'])}); too few to compare those quarters' medians.",
            icon=":material/info:",
        )
if not summary.empty:
    table = summary.assign(median=summary["median"].map(ui.hours), p90=summary["p90"].map(ui.hours), n=summary["n"].astype(str))
    wide = table.pivot(index="quarter", columns="metric", values=["median", "p90", "n"])
    wide.columns = [f"{metric}: {stat}" for stat, metric in wide.columns]
    st.dataframe(wide[sorted(wide.columns)].sort_index(ascending=False), column_config={"quarter": "Quarter"})
