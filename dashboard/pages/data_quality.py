"""Data quality: files that did not load, postmortems missing key parts, completeness and lint findings."""

import streamlit as st

from dashboard import auth, charts, components as ui, data, filters
from pipelines.read import COMPLETE_AT

st.title("Data quality")
f, viewer = filters.current(), auth.current_viewer()

st.header("Files that did not load")
errors = data.load("ingest_errors")
if errors.empty:
    st.success("Every source file loaded.")
else:
    st.warning(f"{len(errors)} source files or records could not be loaded. Fix them at the source and rebuild.")
    ui.table(errors, hide_index=True, column_config={"source_path": "Source", "reason": st.column_config.TextColumn("Why", width="large")})

st.header("Postmortems missing key sections or times")
missing = data.load("missing_parts", filters=f, viewer=viewer)
if missing.empty:
    st.success("Every postmortem in view has a summary, timeline, impact, root cause, action items and all key times.")
else:
    st.caption(f"{len(missing)} postmortems in view lack at least one key part.")
    ui.table(ui.with_links(missing)[["link", "missing", "completeness", "title", "incident_date", "source_path"]], hide_index=True,
                 column_config={"link": ui.link_column("Incident"), "title": "Title", "source_path": "Source file", "incident_date": ui.date_column(),
                                "completeness": st.column_config.ProgressColumn("Completeness", min_value=0, max_value=100, format="%d"),
                                "missing": st.column_config.TextColumn("Missing", width="large")})

st.header("Quality over time")
ui.show_chart(charts.completeness_by_quarter(data.load("completeness_scores", filters=f), complete_at=COMPLETE_AT),
              "No completeness scores for these incidents (the linter fills them during the build).")
ui.show_chart(charts.lint_rules(data.load("lint_rule_counts", filters=f)), "No quality findings for these incidents.")
