"""Repeats: the same failure mode on the same service again, the chain of incidents, and recurrences after fixes."""

import streamlit as st

from dashboard import auth, charts, components as ui, data, filters
from pipelines.read.repeats import DEFAULT_WINDOW_TEXT

st.title("Repeat incidents")
st.caption(f"A repeat is a later incident with the same failure mode on the same service, within {DEFAULT_WINDOW_TEXT}.")
f, viewer = filters.current(), auth.current_viewer()
groups = data.load("repeat_groups", filters=f)
if groups.empty:
    ui.nothing_matches(f, "repeat incidents")
    st.stop()

top = groups.head(15).assign(repeat=lambda g: g["name"] + " · " + g["service"])
ui.chart(charts.ranked_bars, top, category="repeat", value="repeats", title="Most repeated failure mode and service pairs",
         category_title="Failure mode · service", value_title="Repeat incidents (count)", empty="No repeats.")
ui.table(
    groups[["name", "service", "repeats", "incidents", "pattern", "first_date", "last_date", "min_days_between"]], hide_index=True,
    column_config={"name": "Failure mode", "service": "Service", "repeats": "Repeats", "incidents": "Incidents in chain",
                   "pattern": st.column_config.TextColumn("Shared pattern", help="The recurring pattern most of the repeats share, if any"),
                   "first_date": ui.date_column("First"), "last_date": ui.date_column("Latest"), "min_days_between": "Shortest gap (days)"},
)

st.header("Recurred after fix")
st.caption("Incidents of a failure mode that came back on a service after every action item of an earlier incident of the mode "
           "on that service was done, most recurrences first. A fix counts from when its items were closed in the tracker "
           "(a build with --tracker), else from their latest due date; a recurrence before that does not count.")
after_fix = data.load("recurred_after_fix", filters=f)
if after_fix.empty:
    st.info("No failure mode came back on a service after every action item of an earlier incident of the mode there was done.")
else:
    ui.table(after_fix[["name", "recurrences", "last_recurrence", "services"]], hide_index=True,
                 column_config={"name": "Failure mode", "recurrences": "Recurrences", "services": "Services", "last_recurrence": ui.date_column("Latest recurrence")})

st.header("Chain")


# A fragment: picking another chain reruns this table only.
@st.fragment
def chain() -> None:
    keys = list(zip(groups["mode"], groups["service"]))
    labels = dict(zip(keys, groups["name"] + " · " + groups["service"] + " (" + groups["repeats"].map(lambda n: f"{n} repeat{'s' * (n != 1)}") + ")"))
    choice = st.selectbox("Repeat", keys, format_func=lambda k: labels[k], key="repeat_chain")
    if choice is None:
        return
    rows = data.load("repeat_chain", viewer=viewer, mode=str(choice[0]), service=str(choice[1]))
    ui.table(ui.with_links(rows)[["link", "incident_date", "title", "severity", "days_since_previous", "action_items", "action_items_done"]],
             hide_index=True,
             column_config={"link": ui.link_column("Incident"), "incident_date": ui.date_column(), "title": "Title", "severity": "Severity",
                            "days_since_previous": "Days since previous", "action_items": "Action items", "action_items_done": "Done"})


chain()
