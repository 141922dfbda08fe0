"""Related incidents: describe what you are seeing, or pick an incident, and get similar past incidents."""

import streamlit as st

from dashboard import auth, components as ui, data

st.title("Find related incidents")
st.caption("Search ignores the sidebar filters: it looks through every incident you may read.")
viewer = auth.current_viewer()
if not data.has_search_index():
    st.info("This database has no related-incident index. Rebuild it with `hindsight build` (without --no-analysis).")
    st.stop()

preset = st.query_params.get("incident")  # from an incident page's "Find similar incidents"
preset = preset if isinstance(preset, str) and 0 < len(preset) <= 300 else None
mode = st.segmented_control("Search by", ["Description", "Incident"], default="Incident" if preset else "Description",
                            required=True, key="related_mode")
results = None
if mode == "Incident":
    choices = data.load("incident_choices", viewer=viewer)
    labels = dict(zip(choices["incident_id"], choices["label"]))
    ids = list(labels)
    picked = st.selectbox("Incident", ids, format_func=lambda i: labels.get(i, i), placeholder="Pick an incident", key="related_pick",
                          index=ids.index(preset) if preset in labels else None)
    if picked:
        results = data.search_related(viewer, incident_id=str(picked), k=10)
else:
    text = st.text_area("Describe what you're seeing", key="related_text", max_chars=5000,
                        placeholder="e.g. checkout errors after deploy, connection pool exhausted on the payments database")
    if text and text.strip():
        results = data.search_related(viewer, text=text.strip(), k=10)

if results is None:
    st.info("Type a description or pick an incident to see the most similar past incidents.")
elif results.empty:
    st.info("No similar incidents found. Try describing symptoms, services or causes in other words.")
else:
    # The reason for each match comes first, and failure modes are chips: their names contain
    # commas, so a joined string would not show where one ends.
    ui.table(
        ui.with_links(results)[["rank", "title", "shared_modes", "shared_terms", "link", "score", "incident_date", "severity", "services"]],
        column_config={"rank": st.column_config.NumberColumn("#", width=40), "title": st.column_config.TextColumn("Incident", width=280),
                       "shared_modes": st.column_config.ListColumn("Shared failure modes", width="large", help="At most three, strongest first"),
                       "shared_terms": st.column_config.ListColumn("Shared terms", width="medium"),
                       "link": ui.link_column("Open", display_text="open"),
                       "score": st.column_config.NumberColumn("Score", format="%.3f", help="Higher is more similar"),
                       "incident_date": ui.date_column(), "severity": "Severity", "services": "Services"},
    )
