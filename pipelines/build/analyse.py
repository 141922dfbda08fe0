"""The analysis step of a build: themes, categories, incident themes, repeats, related incidents.

Called by `pipelines.build.run` after every table is loaded, inside the staging database, so the
published database is always consistent. It writes:

- contributing_factors.theme_id and .category
- themes, incident_themes, repeat_incidents, related_incidents
- model files under the build's `artifacts_prefix`: `themes.json` (theme term centroids, for
  stable ids next build) and `related.npz` + `related.json` (the related-incident index).

Incidents whose postmortem names no contributing factor are still themed: their root cause /
trigger sections, else their summary, else their title stand in as one pseudo-factor (it counts
for incident_themes and repeats, but adds no contributing_factors row).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from pipelines.analysis import categories
from pipelines.analysis import related
from pipelines.analysis import themes
from pipelines.read import repeats

# Factors from the root-cause part of a postmortem say more about what an incident *was* than
# a "what went poorly" remark, so they weigh more in an incident's theme shares.
SECTION_WEIGHT = {"root_cause": 2.0, "trigger": 1.5}

FACTORS_SQL = """
SELECT cf.incident_id, cf.seq, cf.text, cf.source_section, i.restricted
FROM contributing_factors cf JOIN incidents i USING (incident_id)
ORDER BY cf.incident_id, cf.seq
"""

# What an incident is about: title, summary, factors and the sections that describe the failure
# and its fixes. Left out: the timeline (timestamps and chatter), sections that repeat the
# summary or the factors, and what went well / where we got lucky (not about the failure).
# The root cause section stands in for factors when a postmortem names none.
DOCUMENTS_SQL = """
WITH fac AS (
    SELECT incident_id, string_agg(text, ' ' ORDER BY seq) AS factors
    FROM contributing_factors GROUP BY incident_id
), sec AS (
    SELECT s.incident_id, string_agg(COALESCE(s.heading, '') || ' ' || COALESCE(s.body, ''), ' ' ORDER BY s.seq) AS body
    FROM sections s LEFT JOIN fac USING (incident_id)
    WHERE s.kind NOT IN ('timeline', 'summary', 'what_went_well', 'where_we_got_lucky')
      AND (s.kind <> 'root_cause' OR fac.incident_id IS NULL)
    GROUP BY s.incident_id
)
SELECT i.incident_id,
       concat_ws(' ', i.title, i.summary, fac.factors, sec.body) AS doc
FROM incidents i LEFT JOIN sec USING (incident_id) LEFT JOIN fac USING (incident_id)
ORDER BY i.incident_id
"""

THEME_ROWS_SQL = "SELECT incident_id, theme_id AS key, weight AS w FROM incident_themes WHERE theme_id <> -1"
SERVICE_ROWS_SQL = "SELECT DISTINCT incident_id, service AS key, 1.0 AS w FROM incident_services"

FALLBACK_SQL = """
WITH missing AS (
    SELECT incident_id, title, summary, restricted FROM incidents
    WHERE incident_id NOT IN (SELECT incident_id FROM contributing_factors)
), rc AS (
    SELECT incident_id, string_agg(body, ' ' ORDER BY seq) AS body
    FROM sections WHERE kind IN ('root_cause', 'trigger') AND trim(COALESCE(body, '')) <> ''
    GROUP BY incident_id
)
SELECT m.incident_id, COALESCE(rc.body, NULLIF(trim(m.summary), ''), m.title, '') AS text, m.restricted
FROM missing m LEFT JOIN rc USING (incident_id)
ORDER BY m.incident_id
"""


def mask_services(texts: list[str], incident_of: list[str], services: dict[str, list[str]]) -> list[str]:
    """Replace each factor's own incident's service names by a placeholder word.

    A theme is a kind of failure across services ("certificate expired"), so "checkout" in a
    sentence should not pull it towards other checkout incidents.
    """
    patterns: dict[str, re.Pattern[str] | None] = {}
    out = []
    for text, inc in zip(texts, incident_of):
        if inc not in patterns:
            names = sorted((s for s in services.get(inc) or [] if s), key=len, reverse=True)
            patterns[inc] = (
                re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, names)) + r")(?![\w-])", re.IGNORECASE) if names else None
            )
        p = patterns[inc]
        out.append(p.sub(" xservice ", text) if p else text)
    return out


def incident_theme_weights(
    index: related.RelatedIndex,
    incident_of: list[str],
    assignment: np.ndarray,
    weights: np.ndarray,
    cross_cutting: set[int] = frozenset(),
) -> pd.DataFrame:
    """incident_themes rows: half the incident's weighted factor shares, half its document theme.

    Factor shares say which themes an incident touches (root-cause factors weigh more, see
    SECTION_WEIGHT); the whole postmortem says which one it is mainly about
    (themes.refine_by_documents, seeded by each incident's biggest theme that is not
    cross-cutting). An incident with no factors gets its document theme only.
    Weights sum to 1 per incident; the Unclustered bucket (-1) keeps its factor share.
    """
    cols = ["incident_id", "theme_id", "weight"]
    factor = pd.DataFrame({"incident_id": incident_of, "theme_id": assignment, "w": weights})
    factor = factor.groupby(["incident_id", "theme_id"], as_index=False)["w"].sum()
    factor["share"] = factor["w"] / factor.groupby("incident_id")["w"].transform("sum")
    seeds = factor[(factor["theme_id"] >= 0) & ~factor["theme_id"].isin(list(cross_cutting))].sort_values(["incident_id", "share", "theme_id"], ascending=[True, False, True])
    seed_of = seeds.drop_duplicates("incident_id").set_index("incident_id")["theme_id"]
    ids = pd.Index(index.incident_ids.astype(str))
    seed = seed_of.reindex(ids).fillna(-1).astype("int64").to_numpy()
    doc_theme = themes.refine_by_documents(index.X, seed)
    doc = pd.DataFrame({"incident_id": ids, "theme_id": doc_theme, "share": 1.0})
    doc = doc[doc["theme_id"] >= 0]
    has_factors = set(factor["incident_id"])
    has_doc = set(doc["incident_id"])
    factor["share"] *= np.where(factor["incident_id"].isin(has_doc), 0.5, 1.0)
    doc["share"] *= np.where(doc["incident_id"].isin(has_factors), 0.5, 1.0)
    both = pd.concat([factor[["incident_id", "theme_id", "share"]], doc], ignore_index=True)
    both = both.groupby(["incident_id", "theme_id"], as_index=False)["share"].sum()
    return both.rename(columns={"share": "weight"})[cols]


# Owner words that name a role or a team, not a person: they may stay in labels.
_ROLE_WORDS = frozenset(
    "team teams squad group oncall call sre ops eng engineering platform infra infrastructure data "
    "security lead manager owner tbd unassigned none nobody the and of".split()
)


def owner_name_words(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """Lower-case words of action-item owners' names ("@nadia.chen" -> nadia, chen), so theme
    labels never name a person: blameless reviews talk about systems, not people."""
    owners = con.execute("SELECT DISTINCT owner FROM action_items WHERE owner IS NOT NULL").fetchall()
    words = {w for (owner,) in owners for w in re.findall(r"[^\W\d_]+", owner.lower())}
    return frozenset(w for w in words if len(w) >= 3 and w not in _ROLE_WORDS)


def related_index(con: duckdb.DuckDBPyConnection) -> related.RelatedIndex:
    """The related-incident index of every incident in the (staging) database, themes and services attached."""
    index = related.fit_documents(con.execute(DOCUMENTS_SQL).df())
    return related.attach_structure(index, con.execute(THEME_ROWS_SQL).df(), con.execute(SERVICE_ROWS_SQL).df())


def _replace_rows(con: duckdb.DuckDBPyConnection, table: str, rows: pd.DataFrame) -> None:
    """Replace every row of `table` (a constant name from this module) by `rows`, columns in table order."""
    con.execute(f"DELETE FROM {table}")
    if len(rows):
        con.register("_new_rows", rows)
        try:
            con.execute(f"INSERT INTO {table} SELECT * FROM _new_rows")
        finally:
            con.unregister("_new_rows")


def write_repeats(con: duckdb.DuckDBPyConnection, window_days: int = repeats.DEFAULT_WINDOW_DAYS) -> int:
    """Fill repeat_incidents by the read layer's one definition of a repeat (read/repeats.py)."""
    con.execute("DELETE FROM repeat_incidents")
    con.execute(
        "INSERT INTO repeat_incidents " + repeats.REPEATS_SQL,
        {"window_days": int(window_days), "min_weight": float(repeats.MIN_WEIGHT)},
    )
    return con.execute("SELECT count(*) FROM repeat_incidents").fetchone()[0]


def _state_path(prefix: Path | str | None) -> Path | None:
    return None if prefix is None else related.artifact_path(prefix, themes.STATE_SUFFIX)


def run(
    con: duckdb.DuckDBPyConnection,
    artifacts_prefix: Path,
    n_themes: int | None = None,
    *,
    previous_artifacts_prefix: Path | None = None,
    window_days: int = repeats.DEFAULT_WINDOW_DAYS,
    seed: int = 0,
    timings: dict[str, float] | None = None,
) -> None:
    """Fill every analysis table from the loaded ones and save the model files.

    `previous_artifacts_prefix` points at the previously published build's files; its theme
    centroids let existing themes keep their ids.
    """
    clock = time.perf_counter()
    timings = timings if timings is not None else {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    factors = con.execute(FACTORS_SQL).df()
    fallback = con.execute(FALLBACK_SQL).df()
    texts = factors["text"].astype(str).tolist() + fallback["text"].astype(str).tolist()
    incident_of = factors["incident_id"].astype(str).tolist() + fallback["incident_id"].astype(str).tolist()
    representable = ~np.concatenate(
        [factors["restricted"].to_numpy(dtype=bool), fallback["restricted"].to_numpy(dtype=bool)]
    )
    weights = np.concatenate(
        [
            factors["source_section"].map(lambda s: SECTION_WEIGHT.get(s, 1.0)).to_numpy(dtype=np.float64),
            np.ones(len(fallback)),
        ]
    )
    services = con.execute("SELECT incident_id, list(DISTINCT service) FROM incident_services GROUP BY 1").fetchall()
    clustered = mask_services(texts, incident_of, dict(services))
    lap("read")

    with threadpool_limits(limits=1):  # see pipelines/analysis/themes.py: deterministic, and no thread thrashing
        index = related.fit_documents(con.execute(DOCUMENTS_SQL).df())
        doc_vectors = themes.document_vectors(index.X, seed)
    group_vectors = dict(zip(index.incident_ids.astype(str), doc_vectors))
    lap("documents")

    previous = themes.load_state(_state_path(previous_artifacts_prefix))
    result = themes.mine_themes(
        clustered,
        groups=incident_of,
        n_themes=n_themes,
        previous=previous,
        representable=representable,
        display=texts,
        group_vectors=group_vectors,
        seed=seed,
        person_words=owner_name_words(con),
    )
    lap("themes")

    theme_rows = pd.DataFrame(
        {
            "theme_id": [t.theme_id for t in result.themes],
            "label": [t.label for t in result.themes],
            "top_terms": [t.top_terms for t in result.themes],
            "representative_text": [t.representative_text for t in result.themes],
            "size": [t.size for t in result.themes],
        }
    )
    _replace_rows(con, "themes", theme_rows)

    n_factors = len(factors)
    if n_factors:
        updates = pd.DataFrame(
            {
                "incident_id": factors["incident_id"].astype(str),
                "seq": factors["seq"].astype("int64"),
                "theme_id": result.assignment[:n_factors].astype("int64"),
                "category": [categories.classify(t) for t in factors["text"].astype(str)],
            }
        )
        con.register("_cf_new", updates)
        con.execute(
            """
            UPDATE contributing_factors cf SET theme_id = u.theme_id, category = u.category
            FROM _cf_new u WHERE cf.incident_id = u.incident_id AND cf.seq = u.seq
            """
        )
        con.unregister("_cf_new")
    lap("categories")

    with threadpool_limits(limits=1):  # see pipelines/analysis/themes.py: deterministic, and no thread thrashing
        cross = {t.theme_id for t in result.themes if t.cross_cutting}
        shares = incident_theme_weights(index, incident_of, result.assignment, weights, cross)
        _replace_rows(con, "incident_themes", shares)
        lap("incident_themes")
        write_repeats(con, window_days)
        lap("repeats")
        related.attach_structure(index, con.execute(THEME_ROWS_SQL).df(), con.execute(SERVICE_ROWS_SQL).df())
        _replace_rows(con, "related_incidents", related.neighbour_table(index))
        lap("related")
    artifacts_prefix = Path(artifacts_prefix)
    artifacts_prefix.parent.mkdir(parents=True, exist_ok=True)
    related.save_index(index, artifacts_prefix)
    themes.save_state(_state_path(artifacts_prefix), result.state(previous))
    lap("save")
