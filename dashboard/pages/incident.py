"""One postmortem, readable: facts, sections (as safe Markdown), timeline, action items, failure modes, related, quality."""

import streamlit as st

from dashboard import auth, charts, components as ui, data, render

viewer = auth.current_viewer()
raw = st.query_params.get("incident")
incident_id = raw if isinstance(raw, str) and 0 < len(raw) <= 300 else None
detail = data.load("incident_detail", viewer=viewer, incident_id=incident_id) if incident_id else None

if detail is None or detail.empty:
    st.title("Incident")
    if incident_id:
        st.warning("No incident with that id in this database.")
    choices = data.load("incident_choices", viewer=viewer)
    if choices.empty:
        st.info("There are no incidents you may read in this database yet.")
        st.stop()
    labels = dict(zip(choices["incident_id"], choices["label"]))
    picked = st.selectbox("Open an incident", list(labels), index=None, format_func=lambda i: labels.get(i, i), placeholder="Pick an incident")
    if picked:
        st.query_params["incident"] = picked
        st.rerun()
    st.stop()

d = detail.iloc[0]
if not bool(d.visible):
    st.title("Restricted incident")
    st.info("This postmortem is restricted. Sign in with an account in one of its allowed groups to read it.")
    st.stop()

ui.incident_header(d)
st.page_link("pages/related.py", label="Find similar incidents", icon=":material/search:", query_params={"incident": incident_id})
sections = data.load("incident_sections", viewer=viewer, incident_id=incident_id)
if d.summary and "summary" not in set(sections["kind"]):
    st.markdown(render.safe_markdown(d.summary))

tab_pm, tab_actions, tab_related, tab_quality = st.tabs(["Postmortem", "Action items", "Failure modes & related", "Quality"])
with tab_pm:
    ui.chart(charts.timeline, data.load("incident_timeline", viewer=viewer, incident_id=incident_id), empty="No timeline events with a known time.")
    for s in sections.itertuples(index=False):
        st.subheader(render.safe_inline(s.heading or s.kind.replace("_", " ").capitalize()))
        st.markdown(render.safe_markdown(s.body))
with tab_actions:
    items = data.load("incident_action_items", viewer=viewer, incident_id=incident_id)
    if items.empty:
        st.warning("This postmortem has no action items.")
    else:
        ui.table(items[["text", "status", "owner", "due_date", "priority", "kind", "ticket"]], hide_index=True,
                     column_config={"text": st.column_config.TextColumn("Action item", width="large"), "status": "Status", "owner": "Owner",
                                    "due_date": ui.date_column("Due"), "priority": "Priority", "kind": "Type", "ticket": "Ticket"})
with tab_related:
    modes = data.load("incident_failure_modes", viewer=viewer, incident_id=incident_id)
    own = modes[modes["weight"] > 0]
    if own.empty:
        st.markdown("**Failure modes:** none matched (see the taxonomy in pipelines/analysis/failure_modes.toml).")
    for m in own.itertuples(index=False):
        how = {"hand": "named in the postmortem", "model": "classifier", "rules": "rules"}.get(m.source, m.source)
        st.markdown(f"**{render.safe_inline(m.name)}** ({m.weight:.0%}, {how})" + (f" · pattern: *{render.safe_inline(m.pattern)}*" if isinstance(m.pattern, str) else ""))
        for sentence in m.evidence:
            st.markdown(f"> {render.safe_inline(sentence)}")
    mentioned = modes[modes["weight"] == 0]
    if not mentioned.empty:
        st.caption("Also mentioned, weaker: " + render.safe_inline("; ".join(mentioned["name"])))
    related = data.load("incident_related", viewer=viewer, incident_id=incident_id)
    related = related[related["related_id"].notna()]  # hidden neighbours are dropped, not listed
    if related.empty:
        st.info("No related incidents recorded.")
    else:
        ui.table(ui.with_links(related, "related_id")[["rank", "score", "link", "title", "incident_date", "severity", "shared_modes"]], hide_index=True,
                     column_config={"rank": "#", "score": st.column_config.NumberColumn("Score", format="%.3f"), "link": ui.link_column("Incident"),
                                    "title": "Title", "incident_date": ui.date_column(), "severity": "Severity", "shared_modes": "Shared failure modes"})
with tab_quality:
    findings = data.load("incident_lint", viewer=viewer, incident_id=incident_id)
    if findings.empty:
        st.success("No quality findings.")
    else:
        ui.table(findings, hide_index=True, column_config={"severity": "Severity", "rule": "Rule", "line": "Line", "message": st.column_config.TextColumn("Finding", width="large")})
