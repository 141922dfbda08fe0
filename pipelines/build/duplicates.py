"""Possible duplicates: incidents with different ids that look like write-ups of one incident.

A pair is listed in `possible_duplicates` when the two incidents share an affected service
(after resolution), their impact windows overlap (or miss each other by at most
`max_gap_hours`), and their titles, summaries and impact sections share enough words (overlap
coefficient of their content words at least `min_similarity`). The thresholds and stop words are data
(duplicates.toml). Nothing is merged: the Data quality page lists the pairs for a person to
confirm, who can then give both write-ups the same id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.tuning import read_toml

RULES_FILE = Path(__file__).with_name("duplicates.toml")
_WORD = re.compile(r"[^\W\d_]{3,}")


@dataclass(frozen=True)
class DuplicateRules:
    max_gap_hours: float
    min_similarity: float
    stop_words: frozenset[str]


def load_rules(path: Path = RULES_FILE) -> DuplicateRules:
    """The thresholds from duplicates.toml; ValueError naming the file when it is malformed."""
    data = read_toml(path, "the duplicate rules")
    try:
        return DuplicateRules(
            float(data["max_gap_hours"]), float(data["min_similarity"]),
            frozenset(w.casefold() for w in data["stop_words"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ValueError(f"{path}: cannot read the duplicate rules ({type(e).__name__}: {e})") from e


# Each candidate pair once (earlier start first), with the hours from the end of the first
# window to the start of the second (0 when they overlap) and the services they share. A window
# runs from the first time known to the resolution (or that first time when there is none); a
# write-up with a date and no times covers its whole day. Epoch seconds, so the join is a plain
# range join.
CANDIDATES_SQL = """
WITH t AS (
    SELECT incident_id,
           epoch(coalesce(started_at, detected_at, resolved_at)) AS t0,
           epoch(greatest(coalesce(resolved_at, started_at, detected_at), coalesce(started_at, detected_at, resolved_at))) AS t1,
           epoch(incident_date::TIMESTAMP) AS d0
    FROM incidents
), w AS (
    SELECT incident_id, coalesce(t0, d0) AS s0, coalesce(t1, d0 + 86400) AS s1 FROM t WHERE coalesce(t0, d0) IS NOT NULL
), reach AS (
    SELECT *, s1 + $max_gap * 3600 AS s_reach FROM w
), pairs AS (
    SELECT a.incident_id AS incident_id, b.incident_id AS other_id,
           greatest(0.0, (b.s0 - a.s1) / 3600.0) AS hours_apart
    FROM reach a JOIN reach b ON a.s0 <= b.s0 AND b.s0 <= a.s_reach
    WHERE a.s0 < b.s0 OR a.incident_id < b.incident_id
), svc AS (
    SELECT incident_id, list(DISTINCT service) AS services FROM incident_services GROUP BY incident_id
), shared AS (
    SELECT p.incident_id, p.other_id, p.hours_apart, list_sort(list_intersect(a.services, b.services)) AS shared
    FROM pairs p JOIN svc a ON a.incident_id = p.incident_id JOIN svc b ON b.incident_id = p.other_id
)
SELECT * FROM shared WHERE len(shared) > 0
"""

TEXT_SQL = """
SELECT i.incident_id, concat_ws(' ', i.title, i.summary,
       (SELECT string_agg(body, ' ' ORDER BY seq) FROM sections s
        WHERE s.incident_id = i.incident_id AND s.kind IN ('summary', 'impact')))
FROM incidents i WHERE i.incident_id IN (SELECT unnest($ids::VARCHAR[]))
"""


def content_words(text: str, stop_words: frozenset[str]) -> set[str]:
    return {w for w in (m.casefold() for m in _WORD.findall(text or "")) if w not in stop_words}


def similarity(a: set[str], b: set[str]) -> float:
    """Shared words over the smaller set's words: one write-up is often much longer than the other."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def find_possible_duplicates(con: duckdb.DuckDBPyConnection, rules: DuplicateRules | None = None) -> int:
    """Fill possible_duplicates from the incidents in `con`; return how many pairs were found."""
    rules = rules or load_rules()
    con.execute("DELETE FROM possible_duplicates")
    candidates = [r for r in con.execute(CANDIDATES_SQL, {"max_gap": rules.max_gap_hours}).fetchall() if r[3]]
    if not candidates:
        return 0
    ids = sorted({r[0] for r in candidates} | {r[1] for r in candidates})
    words = {iid: content_words(text, rules.stop_words) for iid, text in con.execute(TEXT_SQL, {"ids": ids}).fetchall()}
    rows = []
    for iid, other, hours, shared in candidates:
        score = similarity(words.get(iid, set()), words.get(other, set()))
        if score >= rules.min_similarity:
            rows.append((iid, other, shared, round(hours, 2), round(score, 3)))
    if rows:
        con.executemany(
            "INSERT INTO possible_duplicates (incident_id, other_id, shared_services, hours_apart, similarity) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)
