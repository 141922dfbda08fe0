"""Themes: recurring contributing-factor themes, when and where they occur, and their incidents."""

import streamlit as st

from dashboard import auth, charts, components as ui, data, filters

st.title("Recurring themes")
f, viewer = filters.current(), auth.current_viewer()
themes = data.load("themes_summary", filters=f, viewer=viewer)
if themes.empty:
    ui.nothing_matches(f, "themed contributing factors")
    st.caption("Themes come from clustering contributing factors during `hindsight build`.")
    st.stop()

table = themes.assign(top_terms=themes["top_terms"].map(lambda t: ", ".join(t) if t is not None else ""))
# The representative factor says what a theme is about, so it comes before the long term list,
# which would otherwise push it off the right edge at common screen widths.
ui.table(
    table[["label", "incidents", "factors", "representative", "top_terms"]],
    column_config={"label": "Theme", "incidents": "Incidents", "factors": "Factors",
                   "representative": st.column_config.TextColumn("Representative factor", width="large"),
                   "top_terms": st.column_config.TextColumn("Top terms", width="medium")},
)
ui.show_chart(charts.theme_heatmap(data.load("theme_quarters", filters=f)), "No dated themed incidents to place in quarters.")
ui.show_chart(charts.theme_services(data.load("theme_services", filters=f)), "No services recorded for these incidents.")
ui.show_chart(charts.category_breakdown(data.load("factor_categories", filters=f)), "No contributing factors for these incidents.")

st.header("Drill down")
labels = dict(zip(themes["theme_id"].astype(int), themes["label"]))
theme_id = st.selectbox("Theme", list(labels), format_func=lambda t: f"{labels[t]}", key="theme_drill")
if theme_id is not None:
    incidents = data.load("theme_incidents", filters=f, viewer=viewer, theme_id=int(theme_id))
    total = int(themes.loc[themes["theme_id"] == theme_id, "incidents"].iloc[0])
    st.subheader(f"{total} incidents" + (f" (latest {len(incidents)} shown)" if total > len(incidents) else ""))
    ui.table(ui.with_links(incidents)[["link", "incident_date", "title", "severity", "team", "services"]], hide_index=True,
                 column_config={"link": ui.link_column("Incident"), "incident_date": ui.date_column(), "title": "Title", "severity": "Severity", "team": "Team", "services": "Services"})
    factors = data.load("theme_factors", filters=f, viewer=viewer, theme_id=int(theme_id))
    n_factors = len(factors)
    st.subheader(f"{n_factors} contributing factors" if n_factors < 500 else "Latest 500 contributing factors")
    # The table above counts every factor in view; this list holds only those the viewer may read.
    hidden = int(themes.loc[themes["theme_id"] == theme_id, "factors"].iloc[0]) - n_factors
    if n_factors < 500 and hidden > 0:
        st.caption(f"The other {hidden} factor{'s are' if hidden != 1 else ' is'} in restricted incidents: counted in the "
                   "table above, not shown here.")
    if factors.empty:
        st.info("No readable factor sentences for this theme.")
    else:
        ui.table(ui.with_links(factors)[["factor", "link", "incident_date", "category"]], hide_index=True,
                     column_config={"factor": st.column_config.TextColumn("Contributing factor", width="large"), "link": ui.link_column("Incident"),
                                    "incident_date": ui.date_column(), "category": "Category"})
