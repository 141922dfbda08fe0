"""Overview: incidents per month by severity, this quarter's KPIs, top services and failure modes."""

import streamlit as st

from dashboard import charts, components as ui, data, filters
from pipelines.read import COMPLETE_AT

st.title("Reliability overview")
f = filters.current()
per_month = data.load("incidents_per_month", filters=f)
if per_month.empty:
    ui.nothing_matches(f)
    st.stop()

kpis = data.load("overview_kpis", filters=f, today=data.today()).set_index("period")
this, last = kpis.loc["this"], kpis.loc["last"]
q = data.reference_quarter(f)
q_label = f"{q[0].year}Q{(q[0].month - 1) // 3 + 1}" if q else "this quarter"
in_progress = q is not None and data.today() < q[1]
st.caption(f"KPIs compare {q_label} (the quarter of the latest incident in view) with the quarter before."
           + (f" {q_label} is not over yet, so its counts are partial: compare rates, not totals." if in_progress else ""))

cols = st.columns(5)
cols[0].metric(f"Incidents in {q_label}", int(this.incidents), delta=int(this.incidents - last.incidents), delta_color="inverse")
done_this = ui.pct(this.complete, this.scored)
done_last = ui.pct(last.complete, last.scored)
cols[1].metric(
    "Postmortems complete", ui.fmt_pct(done_this),
    delta=None if done_this is None or done_last is None else f"{done_this - done_last:+.0f} pts",
    help=f"Completeness score ≥ {COMPLETE_AT} (from the linter), of {int(this.scored)} scored postmortems.",
)
ai_this = ui.pct(this.action_items_done, this.action_items)
ai_last = ui.pct(last.action_items_done, last.action_items)
cols[2].metric(
    "Action items done", ui.fmt_pct(ai_this),
    delta=None if ai_this is None or ai_last is None else f"{ai_this - ai_last:+.0f} pts",
    help=f"{int(this.action_items_done)} of {int(this.action_items)} items from {q_label} incidents.",
)
totals = data.load("action_item_totals", filters=f, today=data.today()).iloc[0]
cols[3].metric("Overdue action items", int(totals.overdue), help="Open items past their due date today, across all incidents in view.")
cols[4].metric(
    "Median time to resolve", ui.hours(this.ttr_median_hours),
    help=f"Median from start to resolution over n = {int(this.ttr_n)} incidents with both times "
    f"(previous quarter: {ui.hours(last.ttr_median_hours)}, n = {int(last.ttr_n)}).",
)
st.caption(f"Median time to resolve: n = {int(this.ttr_n)} incidents in {q_label}.")

ui.show_chart(charts.incidents_per_month(per_month), "No dated incidents to chart.")

left, right = st.columns(2)
with left:
    ui.show_chart(
        charts.ranked_bars(data.load("top_services", filters=f), category="service", value="incidents",
                           title=f"Services with most incidents, {q_label}", category_title="Service", value_title="Incidents (count)"),
        f"No incidents in {q_label} for these filters.",
    )
with right:
    ui.show_chart(
        charts.ranked_bars(data.load("top_failure_modes", filters=f), category="name", value="incidents",
                           title=f"Most frequent failure modes, {q_label}", category_title="Failure mode", value_title="Incidents (count)"),
        f"No incident with a failure mode in {q_label} (failure modes appear once the analysis has run).",
    )
