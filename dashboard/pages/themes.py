"""Themes: the failure modes incidents are of, their trend and evidence, and the recurring patterns inside each."""

import streamlit as st

from dashboard import auth, charts, components as ui, data, filters, render
from pipelines.read.repeats import DEFAULT_WINDOW_TEXT

st.title("Failure modes and recurring patterns")
f, viewer = filters.current(), auth.current_viewer()
modes = data.load("failure_mode_summary", filters=f)
cov = data.load("failure_mode_coverage", filters=f).iloc[0]
if modes.empty:
    ui.nothing_matches(f, "incidents with a failure mode")
    st.caption("Failure modes come from the taxonomy in pipelines/analysis/failure_modes.toml, applied during `hindsight build`.")
    st.stop()

st.caption(f"{int(cov.with_mode)} of {int(cov.incidents)} incidents have a failure mode; {int(cov.without_mode)} matched none "
           "(Unclustered). An incident can have more than one mode, so counts are distinct incidents per mode.")
ui.table(
    modes[["name", "class_name", "incidents", "patterns", "repeats", "recurred_after_fix", "quarters_active"]], hide_index=True,
    column_config={"name": "Failure mode", "class_name": "Class", "incidents": "Incidents", "patterns": "Recurring patterns",
                   "repeats": st.column_config.NumberColumn("Repeats", help=f"Incidents repeating an earlier one: same mode, same service, within {DEFAULT_WINDOW_TEXT}"),
                   "recurred_after_fix": st.column_config.NumberColumn("Recurred after fix", help="Came back on a service after every action item of an earlier incident of the mode there was done"),
                   "quarters_active": "Quarters active"},
)
ui.chart(charts.mode_heatmap, data.load("failure_mode_quarters", filters=f), empty="No dated incidents to place in quarters.")

st.header("Inside a failure mode")


# A fragment: picking another mode or pattern reruns this section only, not the table and
# heatmap above.
@st.fragment
def inside_a_mode() -> None:
    names = dict(zip(modes["mode"], modes["name"] + " (" + modes["incidents"].astype(str) + ")"))
    mode = st.selectbox("Failure mode", list(names), format_func=lambda m: names.get(m, m), key="mode_pick")
    row = modes[modes["mode"] == mode].iloc[0]
    st.markdown(f"**{render.safe_inline(row['name'])}** ({render.safe_inline(row['class_name'])}): {render.safe_inline(row['description'])}")
    examples = data.load("failure_mode_examples", filters=f, viewer=viewer, mode=mode, limit=3)
    if examples.empty:
        st.info("No sentence of this mode comes from a postmortem you may read.")
    for r in examples.itertuples(index=False):
        st.markdown(f"> {render.safe_inline(r.sentence)}")

    patterns = data.load("mode_patterns", filters=f, viewer=viewer, mode=mode)
    st.subheader(f"Recurring patterns in {row['name']}")
    st.caption("Each pattern is named by a phrase its incidents' postmortems share; Unclustered holds the mode's incidents with no more specific recurring pattern.")
    table = patterns.assign(first=patterns["examples"].map(lambda e: e[0] if len(e) else ""), second=patterns["examples"].map(lambda e: e[1] if len(e) > 1 else ""))
    ui.table(table[["label", "incidents", "first", "second"]], hide_index=True,
                 column_config={"label": "Pattern", "incidents": "Incidents", "first": st.column_config.TextColumn("Example", width="large"),
                                "second": st.column_config.TextColumn("Another example", width="large")})
    labels = dict(zip(patterns["theme_id"].astype(int), patterns["label"]))
    picked = st.selectbox("Pattern", list(labels), format_func=lambda t: labels[t], key="pattern_pick")
    incidents = data.load("mode_incidents", filters=f, viewer=viewer, mode=mode, theme_id=None if picked is None else int(picked))
    total = int(patterns.loc[patterns["theme_id"] == picked, "incidents"].iloc[0]) if picked is not None else len(incidents)
    st.subheader(f"{total} incidents" + (f" (latest {len(incidents)} shown)" if total > len(incidents) else ""))
    ui.table(ui.with_links(incidents)[["link", "incident_date", "title", "severity", "services", "evidence"]], hide_index=True,
                 column_config={"link": ui.link_column("Incident"), "incident_date": ui.date_column(), "title": "Title", "severity": "Severity",
                                "services": "Services", "evidence": st.column_config.TextColumn("Why this mode", width="large")})


inside_a_mode()
