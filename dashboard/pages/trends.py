"""Trends: incidents over time by team / service / failure mode; time to detect and resolve as distributions."""

import streamlit as st

from dashboard import charts, components as ui, data, filters
from pipelines.quarters import Quarter
from pipelines.read import DIMENSIONS, MIN_SAMPLE

st.title("Trends")
f, today = filters.current(), data.today()

# Many real corpora name no team at all: then the breakdown opens on services, not one "(no team)" line.
has_teams = (data.load("filter_options")["kind"] == "team").any()
first = "team" if has_teams else "service"


# A fragment: switching the breakdown reruns this chart only, not the duration charts below.
@st.fragment
def breakdown() -> None:
    dimension = st.segmented_control("Break incidents down by", DIMENSIONS, default=first, key="trend_dimension", required=True) or first
    by_group = data.load("incidents_by_dimension", filters=f, dimension=dimension)
    if by_group.empty:
        ui.nothing_matches(f, "dated incidents" if dimension != "failure mode" else "dated incidents with a failure mode")
        return
    ui.chart(charts.incidents_by_group, by_group, dimension=dimension, today=today, empty="Nothing to chart.")
    notes = {"service": "An incident touching several services counts once for each; “other services” counts each incident once.",
             "failure mode": "An incident with several failure modes counts once for each; “other failure modes” counts each incident once."}
    if dimension == "team" and set(by_group["group"]) == {"(no team)"}:
        notes["team"] = "No incident in view names a team: break incidents down by service or failure mode instead."
    partial = str(Quarter.of(today)) in set(by_group["quarter"])
    st.caption(" ".join(x for x in (notes.get(dimension), "The shaded quarter is still in progress, so its counts are partial."
                                    if partial else None) if x))


breakdown()

st.header("How long incidents take")
st.caption(
    "Durations are skewed: a few long incidents dominate any average, so each quarter shows every "
    f"incident, the median and the 90th percentile (p90), with the sample size n. Quarters with fewer than {MIN_SAMPLE} "
    "incidents are drawn faint: too few to compare their medians."
)
points = data.load("durations", filters=f, per_quarter=charts.MAX_DOTS)
summary = data.load("duration_summary", filters=f)
for metric in ("Time to detect", "Time to resolve"):
    ui.chart(charts.duration_distribution, points, summary, metric=metric, min_sample=MIN_SAMPLE,
             empty=f"No incident in view has both a start time and a {'detection' if 'detect' in metric else 'resolution'} time.")
if not summary.empty:
    table = summary.assign(median=summary["median"].map(ui.hours), p90=summary["p90"].map(ui.hours), n=summary["n"].astype(str))
    wide = table.pivot(index="quarter", columns="metric", values=["median", "p90", "n"])
    wide.columns = [f"{metric}: {stat}" for stat, metric in wide.columns]
    ui.table(wide[sorted(wide.columns)].sort_index(ascending=False), hide_index=False, column_config={"quarter": "Quarter"})
