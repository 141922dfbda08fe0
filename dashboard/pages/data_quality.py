"""Data quality: files that did not load, where each field's value comes from, possible duplicates,
tracker issues matched by title or cited by no postmortem, postmortems missing key parts,
completeness and lint findings."""

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

st.header("Where the figures come from")
st.caption("Stated: the write-up gives the value (front matter, a metadata table, a label, the title, an export's field). "
           "Inferred: Hindsight worked it out (times from the timeline, services from the prose, a team from the catalog "
           "or from what other write-ups say). Hover a bar for the sources.")
ui.chart(charts.field_provenance, data.load("field_provenance", filters=f), empty="No incidents in view.")
durations = data.load("duration_provenance", filters=f)
n, inferred = (int(durations["durations"].iloc[0]), int(durations["inferred"].iloc[0])) if not durations.empty else (0, 0)
if n:
    st.markdown(f"**{inferred} of {n}** times to resolve in view ({inferred / n:.0%}) rest on an inferred start or resolution time.")

st.header("Possible duplicates")
dups = data.load("possible_duplicates", filters=f, viewer=viewer)
if dups.empty:
    st.success("No two incidents look like the same one written up twice.")
else:
    pairs_text = "1 pair of incidents shares" if len(dups) == 1 else f"{len(dups)} pairs of incidents share"
    st.caption(f"{pairs_text} a service, overlapping impact windows and many words, yet no incident id. "
               "Nothing was merged: if a pair is one incident, give both write-ups the same id and rebuild.")
    pairs = ui.with_links(dups).assign(other_link=[ui.incident_url(v) for v in dups["other_id"]])
    ui.table(pairs[["link", "title", "incident_date", "other_link", "other_title", "other_date", "shared_services", "hours_apart", "similarity"]],
                 hide_index=True,
                 column_config={"link": ui.link_column("Incident"), "title": "Title", "incident_date": ui.date_column(),
                                "other_link": ui.link_column("Looks like"), "other_title": "Its title", "other_date": ui.date_column("Its date"),
                                "shared_services": "Shared services", "hours_apart": st.column_config.NumberColumn("Hours apart", format="%.1f"),
                                "similarity": st.column_config.ProgressColumn("Similar words", min_value=0.0, max_value=1.0, format="%.2f")})

st.header("Tracker issues to review")
fuzzy = data.load("fuzzy_matches", filters=f, viewer=viewer)
unreferenced = data.load("unreferenced_records")
if fuzzy.empty and unreferenced.empty:
    st.success("Every tracker issue is cited by its ticket in a postmortem (or no tracker export was given to the build).")
if not fuzzy.empty:
    st.caption(f"{len(fuzzy)} action items cite no ticket and were matched to a tracker issue by a similar title. "
               "If a match is wrong, write the item's ticket into the postmortem and rebuild.")
    ui.table(ui.with_links(fuzzy)[["link", "item", "record", "record_title", "tracker_status", "source_path"]], hide_index=True,
             column_config={"link": ui.link_column("Incident"), "item": st.column_config.TextColumn("Action item", width="large"),
                            "record": "Matched issue", "record_title": st.column_config.TextColumn("Issue title", width="large"),
                            "tracker_status": "Tracker status", "source_path": "Tracker file"})
if not unreferenced.empty:
    st.caption(f"{len(unreferenced)} tracker issues are not referenced by any postmortem: follow-ups filed but never "
               "written into an action-item table, or cited with a typo.")
    ui.table(unreferenced[["key", "title", "status", "created_at", "system", "source_path", "row", "url"]], hide_index=True,
             column_config={"key": "Issue", "title": st.column_config.TextColumn("Title", width="large"), "status": "Status",
                            "created_at": st.column_config.DatetimeColumn("Created (UTC)", format="YYYY-MM-DD"),
                            "system": "Tracker", "source_path": "File", "row": "Row", "url": st.column_config.LinkColumn("Link")})

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
ui.chart(charts.completeness_by_quarter, data.load("completeness_scores", filters=f), complete_at=COMPLETE_AT,
         empty="No completeness scores for these incidents (the linter fills them during the build).")
ui.chart(charts.lint_rules, data.load("lint_rule_counts", filters=f), empty="No quality findings for these incidents.")
