"""Action items: completion by quarter/team/priority/type, overdue, unowned or undated, incidents without any;
with a tracker export, time to close, ageing and where postmortem and tracker disagree."""

import streamlit as st

from dashboard import auth, charts, components as ui, data, filters
from pipelines.read import AGE_BUCKETS, CLOSE_GROUPS, COMPLETION_GROUPS, MIN_SAMPLE, NO_FILTERS

st.title("Action-item follow-through")
st.caption("Owners appear only so follow-up can happen; this page does not rank people.")
f, viewer, today = filters.current(), auth.current_viewer(), data.today()
totals = data.load("action_item_totals", filters=f, today=today).iloc[0]
if int(totals.incidents) == 0:
    ui.nothing_matches(f)
    st.stop()
if int(data.load("action_item_totals", filters=NO_FILTERS, today=today).iloc[0]["items"]) == 0:
    ui.no_action_items(int(totals.incidents))
    st.stop()
if int(totals["items"]) == 0:
    ui.nothing_matches(f, "action items")
    st.stop()

cols = st.columns(5)
cols[0].metric("Action items", int(totals["items"]))
cols[1].metric("Done", ui.fmt_pct(ui.pct(totals.done, totals["items"])))
cols[2].metric("Overdue", int(totals.overdue))
cols[3].metric("Open, no owner or due", int(totals.no_owner_or_due), help=f"{int(totals.no_owner)} without owner, {int(totals.no_due)} without due date")
cols[4].metric("Incidents without items", int(totals.incidents_without_items), help=f"of {int(totals.incidents)} incidents")



# A fragment: switching the grouping reruns this chart only, not the tables below.
@st.fragment
def completion() -> None:
    by = st.segmented_control("Completion per", COMPLETION_GROUPS, default="quarter", required=True, key="ai_by",
                              format_func=lambda g: {"quarter": "quarter of incident", "kind": "type"}.get(g, g)) or "quarter"
    ui.chart(charts.completion, data.load("action_completion", filters=f, by=by), by=by, empty="No action items for these incidents.")


completion()


st.header("Overdue")
overdue = data.load("overdue_items", filters=f, viewer=viewer, today=today)
item_cols = {"link": ui.link_column("Incident"), "incident": st.column_config.TextColumn("Incident title", width="medium"),
             "item": st.column_config.TextColumn("Action item", width="large"),
             "owner": "Owner", "due_date": ui.date_column("Due"), "days_overdue": "Days overdue", "incident_date": ui.date_column(), "status": "Status", "priority": "Priority", "kind": "Type", "missing": "Missing"}
if overdue.empty and int(totals.no_due):
    # items without a due date can never be overdue: a green "all well" would hide them
    st.info(f"No open action item is past its due date, but {int(totals.no_due)} open item"
            f"{'s have' if int(totals.no_due) != 1 else ' has'} no due date: see the table below.")
elif overdue.empty:
    st.success("No open action item is past its due date.")
else:
    ui.chart(charts.overdue_age, overdue, empty="")
    ui.table(ui.with_links(overdue)[["link", "days_overdue", "due_date", "owner", "item", "priority", "incident"]], hide_index=True, column_config=item_cols)

st.header("Open items with no owner or no due date")
unassigned = data.load("unassigned_items", filters=f, viewer=viewer)
if unassigned.empty:
    st.success("Every open action item has an owner and a due date.")
else:
    ui.table(ui.with_links(unassigned)[["link", "missing", "owner", "due_date", "item", "priority", "incident"]], hide_index=True, column_config=item_cols)

st.header("Incidents with no action items")
bare = data.load("incidents_without_actions", filters=f, viewer=viewer)
if bare.empty:
    st.success("Every incident in view has at least one action item.")
else:
    ui.table(ui.with_links(bare)[["link", "incident_date", "title", "severity", "team"]], hide_index=True,
                 column_config={"link": ui.link_column("Incident"), "incident_date": ui.date_column(), "title": "Title", "severity": "Severity", "team": "Team"})

st.header("Follow-through in the tracker")
tracked = data.load("tracker_totals", filters=f).iloc[0]
if int(tracked.records) == 0:
    st.info("The build was given no tracker export, so statuses are as the postmortems wrote them and close times are "
            "unknown. Build with `--tracker jira.csv --tracker issues.json` (docs/tracker.md) to measure time to close.")
    st.stop()
st.caption(f"{int(tracked.matched)} of {int(tracked['items'])} items in view are matched to a tracker issue; their status "
           "above is the tracker's. Time to close runs from the issue's creation to its close.")
close_by = st.segmented_control("Time to close per", CLOSE_GROUPS, default="quarter", required=True, key="ai_close_by",
                                format_func=lambda g: {"quarter": "quarter of incident"}.get(g, g)) or "quarter"
closing = data.load("time_to_close", filters=f, by=close_by)
ui.show_chart(charts.time_to_close(closing, by=close_by, min_sample=MIN_SAMPLE), "No done item in view has a close time from the tracker.")
if not closing.empty:
    ui.table(closing, hide_index=True, column_config={"group": close_by.title(), "n": "Items closed",
             "p50_days": st.column_config.NumberColumn("Median days", format="%.1f"), "p90_days": st.column_config.NumberColumn("p90 days", format="%.1f")})
ui.show_chart(charts.open_ageing(data.load("open_item_ageing", filters=f, today=today), buckets=AGE_BUCKETS), "No open items in view.")

st.header("The postmortem and the tracker disagree")
mismatch = data.load("status_disagreements", filters=f, viewer=viewer)
if mismatch.empty:
    st.success("Every matched item has the same status in the postmortem and in the tracker.")
else:
    st.caption("Fix the postmortem's action-item table (or reopen the issue). Statuses elsewhere on this page are the tracker's.")
    ui.table(ui.with_links(mismatch)[["link", "disagreement", "ticket", "doc_status", "tracker_status", "closed_at", "item", "incident"]],
             hide_index=True, column_config=item_cols | {"disagreement": st.column_config.TextColumn("Disagreement", width="large"),
             "ticket": "Ticket", "doc_status": "Postmortem says", "tracker_status": "Tracker says",
             "closed_at": st.column_config.DatetimeColumn("Closed (UTC)", format="YYYY-MM-DD")})
