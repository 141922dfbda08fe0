"""The analysis step of a build: failure modes, patterns inside them, repeats, related incidents.

Called by `pipelines.build.run` after every table is loaded, inside the staging database, so the
published database is always consistent. It writes:

- failure_modes (the taxonomy used) and incident_failure_modes (every mode that scored, with
  its evidence sentences), and build_info 'failure_modes' (sources, hand labels, classifier
  agreement);
- themes and incident_themes: the recurring patterns inside the modes, and each incident's
  share in them (the weight of each of its modes goes to its pattern in that mode, or to the
  Unclustered bucket -1); contributing_factors.theme_id (the pattern whose phrase a factor
  contains) and .category (the class of the factor's best-scoring mode);
- repeat_incidents (read/repeats.py's definition) and related_incidents;
- model files under the build's `artifacts_prefix`: `patterns.json` (pattern labels and members,
  for stable ids next build) and `related.npz` + `related.json` (the related-incident index).

What is scored per incident (pipelines/analysis/failure_modes.py): its contributing factors
(root cause, trigger, what went poorly; cause-cue sentences of prose documents), weighted by
where they were written. An incident with no factor is scored on the sentences of its summary
and other prose sections (not its timeline, action items, what went well or where it got lucky),
else its title. Its free-form tags are one more, low-weight sentence (service names left out):
evidence, never labels.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import duckdb
import pandas as pd
from threadpoolctl import threadpool_limits

from pipelines.analysis import failure_modes, patterns, related, sentence_pool
from pipelines.analysis.taxonomy import Taxonomy, load_taxonomy
from pipelines.parsing.factors import split_sentences
from pipelines.read import repeats

CAUSE_SECTIONS = ("root_cause", "trigger", "what_went_poorly")
# Sections that never describe the failure, left out of the stand-in sentences.
NOT_CAUSE = ("timeline", "action_items", "what_went_well", "where_we_got_lucky")
MIN_WORDS = 3

INCIDENTS_SQL = "SELECT incident_id, title, summary, restricted FROM incidents ORDER BY incident_id"
FACTORS_SQL = "SELECT incident_id, seq, text, source_section FROM contributing_factors ORDER BY incident_id, seq"
FALLBACK_SQL = f"""
SELECT s.incident_id, s.kind, s.body FROM sections s
WHERE s.kind NOT IN {NOT_CAUSE} AND trim(coalesce(s.body, '')) <> ''
  AND s.incident_id NOT IN (SELECT incident_id FROM contributing_factors)
ORDER BY s.incident_id, s.seq
"""
TAGS_SQL = """
SELECT t.incident_id, list(t.tag ORDER BY t.tag) AS tags FROM incident_tags t
WHERE lower(t.tag) NOT IN (SELECT lower(service) FROM incident_services s WHERE s.incident_id = t.incident_id)
GROUP BY t.incident_id
"""
LABELS_SQL = "SELECT incident_id, list(label) AS labels FROM incident_mode_labels GROUP BY incident_id"
SERVICE_ROWS_SQL = "SELECT DISTINCT incident_id, service AS key, 1.0 AS w FROM incident_services"

# What an incident is about, for related incidents: the whole postmortem (title, summary, every
# section). Measured against narrower documents (no timeline; factors only) on real labelled
# postmortems, the whole document ranked best (docs/analysis.md).
DOCUMENTS_SQL = """
WITH sec AS (
    SELECT incident_id, string_agg(COALESCE(heading, '') || ' ' || COALESCE(body, ''), ' ' ORDER BY seq) AS body
    FROM sections GROUP BY incident_id
)
SELECT i.incident_id, concat_ws(' ', i.title, i.summary, sec.body) AS doc
FROM incidents i LEFT JOIN sec USING (incident_id)
ORDER BY i.incident_id
"""

# Owner words that name a role or a team, not a person: they may stay in labels.
_ROLE_WORDS = frozenset(
    "team teams squad group oncall call sre ops eng engineering platform infra infrastructure data "
    "security lead manager owner tbd unassigned none nobody the and of".split()
)


def owner_name_words(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """Lower-case words of action-item owners' names ("@nadia.chen" -> nadia, chen), so pattern
    labels never name a person: blameless reviews talk about systems, not people."""
    owners = con.execute("SELECT DISTINCT owner FROM action_items WHERE owner IS NOT NULL").fetchall()
    words = {w for (owner,) in owners for w in re.findall(r"[^\W\d_]+", owner.lower())}
    return frozenset(w for w in words if len(w) >= 3 and w not in _ROLE_WORDS)


def incident_sentences(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, list[list[tuple[str, str]]], list[list[str]]]:
    """(incidents in id order, each one's (sentence, where) pairs, each one's hand labels)."""
    incidents = con.execute(INCIDENTS_SQL).df()
    ids = incidents["incident_id"].astype(str).tolist()
    row = {iid: i for i, iid in enumerate(ids)}
    sentences: list[list[tuple[str, str]]] = [[] for _ in ids]
    for iid, _, text, section in con.execute(FACTORS_SQL).fetchall():
        sentences[row[iid]].append((text, section if section in CAUSE_SECTIONS else "prose"))
    for iid, _, body in con.execute(FALLBACK_SQL).fetchall():
        for sentence in split_sentences(" ".join(body.split())):
            if len(sentence.split()) >= MIN_WORDS:
                sentences[row[iid]].append((sentence, "prose"))
    for i, (title, summary) in enumerate(zip(incidents["title"], incidents["summary"])):
        if not sentences[i]:
            # No section to read (a front-matter summary, or a title alone).
            text = summary if isinstance(summary, str) and summary.strip() else title if isinstance(title, str) else ""
            sentences[i] = [(s, "prose") for s in split_sentences(" ".join(text.split()))] if text else []
    for iid, tags in con.execute(TAGS_SQL).fetchall():
        sentences[row[iid]].append((", ".join(tags), "tags"))
    labels: list[list[str]] = [[] for _ in ids]
    for iid, found in con.execute(LABELS_SQL).fetchall():
        labels[row[iid]] = list(found)
    return incidents, sentences, labels


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
    con.execute("INSERT INTO repeat_incidents " + repeats.REPEATS_SQL, {"window_days": int(window_days)})
    return con.execute("SELECT count(*) FROM repeat_incidents").fetchone()[0]


def taxonomy_rows(tax: Taxonomy) -> pd.DataFrame:
    return pd.DataFrame(
        [(m.key, m.cls, tax.classes[m.cls].name, m.name, m.description) for m in tax.modes],
        columns=["mode", "class", "class_name", "name", "description"],
    )


def pattern_members(
    tax: Taxonomy, result: failure_modes.ModeResult, restricted: dict[str, bool]
) -> dict[str, list[patterns.Member]]:
    """mode key -> its member incidents with their evidence for it, taxonomy order. A tag list is
    evidence for the mode but not a sentence: it neither names nor illustrates a pattern."""
    out: dict[str, list[patterns.Member]] = {m.key: [] for m in tax.modes}
    for inc in result.incidents:
        for j in sorted(inc.weights):
            ev = [(e.sentence, e.phrase, e.strong) for e in inc.evidence.get(j, []) if e.where != "tags"]
            out[tax.modes[j].key].append(patterns.Member(inc.incident_id, ev, not restricted.get(inc.incident_id, False)))
    return {k: v for k, v in out.items() if v}


def pattern_tables(
    tax: Taxonomy, result: failure_modes.ModeResult, found: patterns.PatternResult
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(themes rows, incident_themes rows): patterns, and each incident's mode weights moved
    onto its pattern in that mode or onto the Unclustered bucket."""
    pattern_of = found.pattern_of()
    shares: dict[tuple[str, int], float] = {}
    for inc in result.incidents:
        if not inc.weights:
            shares[(inc.incident_id, patterns.UNCLUSTERED)] = 1.0
            continue
        for j, w in inc.weights.items():
            key = (inc.incident_id, pattern_of.get((inc.incident_id, tax.modes[j].key), patterns.UNCLUSTERED))
            shares[key] = shares.get(key, 0.0) + w
    incident_themes = pd.DataFrame(
        [(i, t, w) for (i, t), w in shares.items()], columns=["incident_id", "theme_id", "weight"]
    ).sort_values(["incident_id", "theme_id"], ignore_index=True)
    rows = [
        (p.pattern_id, p.mode, p.label, p.phrases, p.examples[0] if p.examples else None, p.examples, len(p.incidents))
        for p in sorted(found.patterns, key=lambda p: p.pattern_id)
    ]
    n_unclustered = int((incident_themes["theme_id"] == patterns.UNCLUSTERED).sum())
    if n_unclustered:
        rows.append((patterns.UNCLUSTERED, None, patterns.UNCLUSTERED_LABEL, [], None, [], n_unclustered))
    themes = pd.DataFrame(rows, columns=["theme_id", "mode", "label", "top_terms", "representative_text", "examples", "size"])
    return themes, incident_themes


def factor_updates(
    con: duckdb.DuckDBPyConnection,
    tax: Taxonomy,
    result: failure_modes.ModeResult,
    found: patterns.PatternResult,
    row_of: dict[str, int],
) -> pd.DataFrame:
    """contributing_factors.theme_id (the incident's pattern whose phrase the factor contains)
    and .category (class of the factor's best mode, from the scoring pass: factors come first in
    each incident's sentences, in seq order)."""
    by_incident: dict[str, list[tuple[int, str]]] = {}
    for p in found.patterns:
        for iid in p.incidents:
            by_incident.setdefault(iid, []).append((p.pattern_id, p.phrase))
    rows = []
    position: dict[str, int] = {}
    for iid, seq, text, _ in con.execute(FACTORS_SQL).fetchall():
        k = position[iid] = position.get(iid, -1) + 1
        best = result.sentence_modes[row_of[iid]][k]
        labels = by_incident.get(iid)
        rows.append(
            (iid, seq, patterns.sentence_pattern(labels, text) if labels else patterns.UNCLUSTERED,
             tax.modes[best].cls if best is not None else None)
        )
    return pd.DataFrame(rows, columns=["incident_id", "seq", "theme_id", "category"])


def _state_path(prefix: Path | str | None) -> Path | None:
    return None if prefix is None else related.artifact_path(prefix, patterns.STATE_SUFFIX)


def run(
    con: duckdb.DuckDBPyConnection,
    artifacts_prefix: Path,
    *,
    taxonomy: Path | None = None,
    previous_artifacts_prefix: Path | None = None,
    window_days: int = repeats.DEFAULT_WINDOW_DAYS,
    seed: int = 0,
    timings: dict[str, float] | None = None,
    jobs: int | None = None,
) -> dict:
    """Fill every analysis table from the loaded ones and save the model files.

    `taxonomy` is a team's TOML extending the bundled one; `previous_artifacts_prefix` points at
    the previously published build's files, whose pattern list keeps pattern ids stable.
    `jobs` worker processes score failure-mode sentences, find patterns and search related
    incidents when a corpus is large (the build's --jobs; default: one per CPU); the results do
    not depend on it.
    Returns what build_info 'failure_modes' records.
    """
    clock = time.perf_counter()
    timings = timings if timings is not None else {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    tax = load_taxonomy(taxonomy)
    jobs = jobs or os.cpu_count() or 1
    # Single-threaded: results do not depend on thread scheduling, and on a busy 2-core machine
    # BLAS/OpenMP threads spinning against each other were 5-10x slower.
    with threadpool_limits(limits=1):
        # The document index first: its text and tokenizer memory is freed before the modes'
        # structures are built, so the two peaks do not add up.
        index = related.fit_documents(con.execute(DOCUMENTS_SQL).df())
        lap("documents")

        incidents, sentences, labels = incident_sentences(con)
        ids = incidents["incident_id"].astype(str).tolist()
        assert list(index.incident_ids) == ids  # both ordered by incident_id
        restricted = dict(zip(ids, incidents["restricted"].astype(bool)))
        del incidents
        lap("read")

        hits = sentence_pool.hits_table(tax, (s for sents in sentences for s, _ in sents), jobs)
        result = failure_modes.assign_modes(tax, ids, sentences, labels, seed=seed, hits=hits)
        del sentences, labels, hits
        _replace_rows(con, "failure_modes", taxonomy_rows(tax))
        _replace_rows(con, "incident_failure_modes", failure_modes.mode_rows(tax, result))
        lap("failure_modes")

        previous = patterns.load_state(_state_path(previous_artifacts_prefix))
        found = patterns.find_patterns(
            pattern_members(tax, result, restricted),
            {m.key: m.name for m in tax.modes},
            previous=previous,
            person_words=owner_name_words(con),
            service_names=[s for (s,) in con.execute("SELECT DISTINCT service FROM incident_services").fetchall()],
            avoid=tax.label_avoid,
            jobs=jobs,
        )
        theme_rows, incident_theme_rows = pattern_tables(tax, result, found)
        _replace_rows(con, "themes", theme_rows)
        _replace_rows(con, "incident_themes", incident_theme_rows)
        updates = factor_updates(con, tax, result, found, {iid: i for i, iid in enumerate(ids)})
        if len(updates):
            con.register("_cf_new", updates)
            con.execute(
                """
                UPDATE contributing_factors cf SET theme_id = u.theme_id, category = u.category
                FROM _cf_new u WHERE cf.incident_id = u.incident_id AND cf.seq = u.seq
                """
            )
            con.unregister("_cf_new")
        del updates, theme_rows, incident_theme_rows
        lap("patterns")

        write_repeats(con, window_days)
        lap("repeats")

        related.attach_structure(index, failure_modes.mode_vectors(tax, result), tax.keys, con.execute(SERVICE_ROWS_SQL).df())
        _replace_rows(con, "related_incidents", related.neighbour_table(index, jobs=jobs))
        lap("related")

    info = result.info()
    info["patterns"] = len(found.patterns)
    info["taxonomy"] = str(taxonomy) if taxonomy else "bundled"
    con.execute("INSERT OR REPLACE INTO build_info VALUES ('failure_modes', ?)", [json.dumps(info)])
    artifacts_prefix = Path(artifacts_prefix)
    artifacts_prefix.parent.mkdir(parents=True, exist_ok=True)
    related.save_index(index, artifacts_prefix)
    patterns.save_state(_state_path(artifacts_prefix), found.state())
    failure_modes.clear_caches()
    patterns.clear_caches()
    lap("save")
    return info


def related_index(con: duckdb.DuckDBPyConnection, taxonomy: Path | None = None) -> related.RelatedIndex:
    """The related-incident index of every incident in the (staging) database, modes and services attached."""
    tax = load_taxonomy(taxonomy)
    incidents, sentences, labels = incident_sentences(con)
    result = failure_modes.assign_modes(tax, incidents["incident_id"].astype(str).tolist(), sentences, labels)
    index = related.fit_documents(con.execute(DOCUMENTS_SQL).df())
    return related.attach_structure(index, failure_modes.mode_vectors(tax, result), tax.keys, con.execute(SERVICE_ROWS_SQL).df())
