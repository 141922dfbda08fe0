"""Related-incident search for readers: the published index, and matches as rows a viewer may see.

The dashboard and `hindsight related` share this, so both apply the same visibility rule:
a match the viewer may not read keeps its rank and score but shows no id, title, terms,
failure modes or services (`visible` is false); callers decide whether to show such a row at all.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipelines.analysis import related
from pipelines.read.access import Viewer
from pipelines.read.connection import artifacts_prefix
from pipelines.read.incidents import incident_cards

class RestrictedIncident(Exception):
    """The query incident is one the viewer may not read."""


COLUMNS = [
    "rank", "score", "visible", "incident_id", "title", "incident_date", "severity", "services",
    "shared_modes", "shared_terms", "shared_services",
]


def load_related_index(con: duckdb.DuckDBPyConnection, db_path: Path) -> related.RelatedIndex | None:
    """The published build's related-incident index, or None when the build made none."""
    prefix = artifacts_prefix(con, db_path)
    if prefix is None or not related.artifact_path(prefix, "related.json").exists():
        return None
    try:
        return related.load_index(str(prefix))
    except (OSError, ValueError, KeyError):
        return None


def mode_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {str(m): str(name) for m, name in con.execute("SELECT mode, name FROM failure_modes").fetchall()}


def search(
    con: duckdb.DuckDBPyConnection,
    index: related.RelatedIndex,
    viewer: Viewer,
    *,
    text: str | None = None,
    incident_id: str | None = None,
    k: int = related.TOP_K,
    hidden: str = "drop",
) -> pd.DataFrame:
    """Incidents like `text` or like `incident_id`, best first, as COLUMNS.

    hidden="drop" leaves out matches the viewer may not read (and asks the index for more, so up
    to k readable rows come back); hidden="mask" keeps them as masked rows. An incident the viewer
    may not read cannot be the query (RestrictedIncident): its shared terms would quote it.
    Raises KeyError for an incident id that is not in the index.
    """
    k = max(1, int(k))
    if incident_id is not None:
        own = incident_cards(con, viewer, ids=[incident_id])
        if not own.empty and not bool(own["visible"].iloc[0]):
            raise RestrictedIncident(incident_id)
        matches = related.search_incident(index, incident_id, k * 3 if hidden == "drop" else k)
    else:
        matches = related.search_text(index, text or "", k * 3 if hidden == "drop" else k)
    if not matches:
        return pd.DataFrame(columns=COLUMNS)
    cards = incident_cards(con, viewer, ids=[m.incident_id for m in matches])
    by_pos = {int(r.position): r for r in cards.itertuples(index=False)}
    names = mode_names(con)
    rows = []
    for pos, m in enumerate(matches, 1):
        card = by_pos.get(pos)
        visible = card is not None and bool(card.visible)
        if not visible and hidden == "drop":
            continue
        rows.append(
            {
                "rank": len(rows) + 1,
                "score": round(float(m.score), 4),
                "visible": visible,
                "incident_id": card.incident_id if visible else None,
                "title": card.title if card is not None else None,
                "incident_date": card.incident_date if visible else None,
                "severity": card.severity if visible else None,
                "services": card.services if visible else None,
                "shared_modes": [names.get(t, t) for t in m.shared_modes] if visible else [],
                "shared_terms": list(m.shared_terms) if visible else [],
                "shared_services": list(m.shared_services) if visible else [],
            }
        )
        if len(rows) >= k:
            break
    return pd.DataFrame(rows, columns=COLUMNS)
