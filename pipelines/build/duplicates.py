"""Possible duplicates: incidents with different ids that look like write-ups of one incident.

A pair is listed in `possible_duplicates` when the two incidents share an affected service
(after resolution), their impact windows overlap or start at most MAX_HOURS_APART apart, and
their titles and summaries share enough words (overlap coefficient of their content words at
least MIN_SIMILARITY). Nothing is merged: the Data quality page lists the pairs for a person to
confirm, who can then give both write-ups the same id.
"""

from __future__ import annotations

import re

import duckdb

MAX_HOURS_APART = 24.0
MIN_SIMILARITY = 0.2
_WORD = re.compile(r"[^\W\d_]{3,}")

# Each candidate pair once (earlier first), with the hours between the windows and the services
# they share. A window is [start, end]: start is the first of the times known, end the
# resolution (or the start when unknown); a date alone stands for its midnight.
CANDIDATES_SQL = f"""
WITH w AS (
    SELECT incident_id,
           coalesce(started_at, detected_at, resolved_at, incident_date::TIMESTAMP) AS t0,
           greatest(coalesce(resolved_at, started_at, detected_at, incident_date::TIMESTAMP),
                    coalesce(started_at, detected_at, resolved_at, incident_date::TIMESTAMP)) AS t1
    FROM incidents
), pairs AS (
    SELECT a.incident_id AS incident_id, b.incident_id AS other_id,
           CASE WHEN a.t0 <= b.t1 AND b.t0 <= a.t1 THEN 0.0
                ELSE abs(epoch(b.t0) - epoch(a.t0)) / 3600.0 END AS hours_apart
    FROM w a JOIN w b ON (a.t0, a.incident_id) < (b.t0, b.incident_id)
    WHERE a.t0 IS NOT NULL AND b.t0 IS NOT NULL
      AND b.t0 <= a.t1 + INTERVAL {int(MAX_HOURS_APART)} HOUR
)
SELECT p.incident_id, p.other_id, p.hours_apart,
       list_sort(list_intersect(
           (SELECT list(service) FROM incident_services s WHERE s.incident_id = p.incident_id),
           (SELECT list(service) FROM incident_services s WHERE s.incident_id = p.other_id))) AS shared
FROM pairs p
WHERE p.hours_apart <= {MAX_HOURS_APART}
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


def find_possible_duplicates(con: duckdb.DuckDBPyConnection) -> int:
    """Fill possible_duplicates from the incidents in `con`; return how many pairs were found."""
    con.execute("DELETE FROM possible_duplicates")
    candidates = [r for r in con.execute(CANDIDATES_SQL).fetchall() if r[3]]
    if not candidates:
        return 0
    # scikit-learn's English stop words, imported only when there is a pair to judge.
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    ids = sorted({r[0] for r in candidates} | {r[1] for r in candidates})
    words = {iid: content_words(text, ENGLISH_STOP_WORDS) for iid, text in con.execute(TEXT_SQL, {"ids": ids}).fetchall()}
    rows = []
    for iid, other, hours, shared in candidates:
        score = similarity(words.get(iid, set()), words.get(other, set()))
        if score >= MIN_SIMILARITY:
            rows.append((iid, other, shared, round(hours, 2), round(score, 3)))
    if rows:
        con.executemany(
            "INSERT INTO possible_duplicates (incident_id, other_id, shared_services, hours_apart, similarity) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)
