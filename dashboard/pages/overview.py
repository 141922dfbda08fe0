"""Overview: incidents over time by severity, the KPIs of the last complete quarter (or four), top services and failure modes."""

import streamlit as st

from dashboard import charts, components as ui, data, filters, kpis

st.title("Reliability overview")
f, today = filters.current(), data.today()
per_month = data.load("incidents_per_month", filters=f)
if per_month.empty:
    ui.nothing_matches(f)
    st.stop()

q = data.reference_period(f)
k = data.load("overview_kpis", filters=f, today=today).set_index("period")
this, last = k.loc["this"], k.loc["last"]
if q is not None:
    kpis.render(kpis.compare(q, int(this.incidents), int(last.incidents), today), this, last,
                data.load("action_item_totals", filters=f, today=today).iloc[0])

ui.chart(charts.incidents_per_month, per_month, empty="No dated incidents to chart.")

if q is not None:
    left, right = st.columns(2)
    n = int(this.incidents)
    share_of = f"share of {q}'s {n} incident{'' if n == 1 else 's'} (%)"
    with left:
        ui.chart(charts.ranked_bars, data.load("top_services", filters=f, today=today), category="service", value="incidents",
                 title=f"Services with most incidents, {q}", category_title="Service",
                 value_title="Incidents (count)", total=int(this.incidents), share_title=share_of,
                 empty=f"No incidents in {q} name a service.")
    with right:
        ui.chart(charts.ranked_bars, data.load("top_failure_modes", filters=f, today=today), category="name", value="incidents",
                 title=f"Most frequent failure modes, {q}", category_title="Failure mode",
                 value_title="Incidents (count)", total=int(this.incidents), share_title=share_of,
                 empty=f"No incident in {q} has a failure mode (they appear once the analysis has run).")
    st.caption("An incident can name several services and have several failure modes, so the shares add up to more than 100 %.")
