"""Related incidents: precomputed top-10 neighbours, free-text search, and why each result matched.

Score of incident j for a query q (another incident, or free text):

    score = cos_text(q, j) + MODE_WEIGHT * cos_modes(q, j)

- cos_text: cosine of word 1-2 gram TF-IDF vectors of the whole postmortem (title, summary,
  every section) after the incident-text normalization in `textfeatures` (placeholders for
  hosts, numbers, times: worth +0.06 precision@5 on status-page text full of timestamps).
- cos_modes: cosine of the incidents' failure-mode vectors (sqrt of each mode's score,
  L2-normalized; see failure_modes.mode_vectors). For free text the query's modes are
  estimated from its best text matches (pseudo-relevance feedback: the score-weighted mode
  mix of the top matches).

Measured on real labelled postmortems (bench/themes.py, docs/analysis.md): 0.2 is the largest
mode weight that raised precision@5 on all three tuning sets (devset, danluu and GitHub status
tuning halves) without costing a repeat; the root-cause text as a third term added nothing, and
sharing a service *lowered* precision (same service is not the same kind of failure), so
services only rank free-text queries that name one, and appear in "why it matched".

Candidates: the whole-document cosine of each incident's QUERY_TERMS most distinctive terms;
CANDIDATES of them are rescored exactly with the mode term, never an N x N matrix.

The index is our own file next to our own database, so no pickle is needed or used: the
TF-IDF vocabulary and idf go to JSON, the matrices to one `.npz` (allow_pickle=False).
It is loaded once per process and cached.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from pipelines.analysis import tfidf_matrix
from pipelines.analysis.forked import fork_map
from pipelines.analysis.textfeatures import make_vectorizer
from pipelines.analysis.weak_terms import is_weak

MODE_WEIGHT = 0.2
# Sharing a service did not make neighbours more alike in kind (precision@5 fell on every
# corpus measured), so it only ranks free-text queries that name a service: the user asked.
SERVICE_WEIGHT = 0.0
NAMED_SERVICE_WEIGHT = 0.05
TOP_K = 10
QUERY_TERMS = 32  # strongest terms per incident used to find candidate neighbours
VOCABULARY_SAMPLE = 20_000  # documents the vocabulary is learned from (see fit_documents)
CANDIDATE_DF = 0.05  # share of incidents above which a term does not propose candidates
CANDIDATES = 25  # candidates per incident rescored exactly
CHUNK_ROWS = 256  # query rows per candidate product (memory: rows x candidates)
MIN_INCIDENTS_FOR_POOL = 20_000  # below this the top-10 search takes a few seconds: one process
FEEDBACK_DOCS = 10  # top text matches whose modes stand in for a free-text query's modes
WHY_TERMS = 5
MAX_SHARED_MODES = 3  # a free-text query's estimated mix touches many modes; more reasons are none
# sqrt-score components: a member mode (score >= half the top, failure_modes.MEMBER_SHARE) is >= 0.707.
MAIN_MODE_SHARE = 0.7
INDEX_VERSION = 2
VECTORIZER_PARAMS = {"ngram_range": [1, 2], "min_df": 2, "max_df": 0.9}

def artifact_path(prefix: Path | str, name: str) -> Path:
    """A model file of one build: the build's prefix plus a name ('related.npz')."""
    prefix = str(prefix)
    sep = "" if prefix.endswith((".", "-", "_", "/")) else "."
    return Path(prefix + sep + name)


@dataclass
class RelatedIndex:
    incident_ids: np.ndarray  # row order of every matrix
    vocabulary: np.ndarray  # term per column of X
    X: sp.csr_matrix  # incidents x terms, L2-normalized TF-IDF
    modes: sp.csr_matrix  # incidents x failure modes, L2-normalized (failure_modes.mode_vectors)
    mode_keys: np.ndarray  # mode key per column of `modes`
    services: sp.csr_matrix  # incidents x service columns, L2-normalized
    service_names: np.ndarray
    vectorizer: object  # fitted TfidfVectorizer
    _XT: sp.csr_matrix | None = field(default=None, repr=False)
    _row: dict[str, int] | None = field(default=None, repr=False)

    @property
    def XT(self) -> sp.csr_matrix:
        # terms x incidents in CSR: a query touches only the posting lists of its own terms.
        if self._XT is None:
            self._XT = self.X.T.tocsr()
        return self._XT

    def row(self, incident_id: str) -> int | None:
        if self._row is None:
            self._row = {str(x): i for i, x in enumerate(self.incident_ids)}
        return self._row.get(incident_id)


@dataclass
class Match:
    incident_id: str
    score: float
    text_score: float
    shared_terms: list[str]
    shared_modes: list[str]
    shared_services: list[str]


# --------------------------------------------------------------------------- building


def _normalized_rows(m: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    return sp.csr_matrix(sp.diags((1 / norms).astype(np.float32)) @ m, dtype=np.float32)


def _membership(df: pd.DataFrame, row_of: dict[str, int], n: int, key_cast=str) -> tuple[sp.csr_matrix, np.ndarray]:
    """A row-normalized incidents x keys matrix from rows of (incident_id, key, w)."""
    keys = np.array(sorted({key_cast(k) for k in df["key"]}), dtype=object)
    col = {k: j for j, k in enumerate(keys)}
    rows = np.array([row_of[i] for i in df["incident_id"]], dtype=np.int64)
    cols = np.array([col[key_cast(k)] for k in df["key"]], dtype=np.int64)
    m = sp.csr_matrix((df["w"].to_numpy(np.float32), (rows, cols)), shape=(n, len(keys)))
    m.sum_duplicates()
    return _normalized_rows(m), keys


def fit_documents(docs: pd.DataFrame) -> RelatedIndex:
    """Fit TF-IDF over every incident's whole postmortem (rows of incident_id, doc); modes and
    services are attached later."""
    ids = docs["incident_id"].astype(str).to_numpy(dtype=object)
    n = len(ids)
    params = dict(VECTORIZER_PARAMS)
    if n < 50:  # tiny corpora: keep every term, or there is nothing left to compare
        params.update(min_df=1, max_df=1.0)
    vectorizer = make_vectorizer(ngram_range=tuple(params["ngram_range"]), min_df=params["min_df"], max_df=params["max_df"])
    texts = docs["doc"].fillna("").astype(str).tolist()
    try:
        # Above VOCABULARY_SAMPLE documents, vocabulary and idf come from an even sample: counting
        # every bigram of 100,000 documents before pruning rare ones costs gigabytes, and a
        # 20,000-document sample keeps every term that matters for ranking. tfidf_matrix gives
        # scikit-learn's matrix exactly, tokenizing each document once.
        step = int(np.ceil(n / VOCABULARY_SAMPLE)) if n > VOCABULARY_SAMPLE else 1
        vocabulary, idf, X = tfidf_matrix.fit_transform(
            texts, tuple(params["ngram_range"]), params["min_df"], params["max_df"], sample_step=step
        )
        vectorizer.vocabulary_ = vocabulary
        vectorizer.idf_ = idf
    except ValueError:  # empty vocabulary: every document is empty or stop words only
        vectorizer = make_vectorizer(ngram_range=(1, 1), min_df=1, max_df=1.0)
        X = vectorizer.fit_transform([t or "empty" for t in texts])
    vectorizer, X = _drop_weak_terms(vectorizer, sp.csr_matrix(X, dtype=np.float32))
    empty = sp.csr_matrix((n, 0), dtype=np.float32)
    return RelatedIndex(
        ids,
        vectorizer.get_feature_names_out().astype(object),
        X,
        empty,
        np.empty(0, dtype=object),
        empty,
        np.empty(0, dtype=object),
        vectorizer,
    )


def _drop_weak_terms(vectorizer, X: sp.csr_matrix) -> tuple[object, sp.csr_matrix]:
    """Remove terms made only of weak words (weak_terms.toml) from the fitted vocabulary and from
    X (rows re-normalized), so no match ever rests on "took" or "July" and no query produces them.
    The pruned vectorizer is rebuilt from vocabulary and idf, as load_index does."""
    vocabulary = vectorizer.get_feature_names_out()
    keep = np.array([not is_weak(str(t)) for t in vocabulary], dtype=bool)
    if keep.all() or not keep.any():  # nothing weak, or nothing else to compare: leave the index as it is
        return vectorizer, X
    params = _vectorizer_params(vectorizer)
    pruned = make_vectorizer(ngram_range=tuple(params["ngram_range"]), min_df=params["min_df"], max_df=params["max_df"])
    pruned.vocabulary_ = {str(t): i for i, t in enumerate(vocabulary[keep])}
    pruned.idf_ = vectorizer.idf_[keep]
    return pruned, _normalized_rows(X[:, np.flatnonzero(keep)].tocsr())


def attach_structure(
    index: RelatedIndex, mode_vectors: np.ndarray, mode_keys: list[str], incident_services: pd.DataFrame
) -> RelatedIndex:
    """Add the failure-mode matrix (rows in index order, see failure_modes.mode_vectors) and the
    service matrix from rows of (incident_id, key = service, w)."""
    n = len(index.incident_ids)
    index.modes = _normalized_rows(sp.csr_matrix(np.asarray(mode_vectors, dtype=np.float32).reshape(n, len(mode_keys))))
    index.mode_keys = np.asarray(mode_keys, dtype=object)
    row_of = {str(x): i for i, x in enumerate(index.incident_ids)}
    index.services, index.service_names = _membership(incident_services, row_of, n)
    return index


def _prune_rows(X: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    """Each row's `keep` highest weights (the terms that say most about it); the rest dropped."""
    X = X.tocsr()
    lengths = np.diff(X.indptr)
    if lengths.max(initial=0) <= keep:
        return X
    rows, cols, vals = [], [], []
    for i in np.flatnonzero(lengths):
        lo, hi = X.indptr[i], X.indptr[i + 1]
        d = X.data[lo:hi]
        top = np.argpartition(-d, keep - 1)[:keep] if hi - lo > keep else np.arange(hi - lo)
        rows.append(np.full(len(top), i))
        cols.append(X.indices[lo:hi][top])
        vals.append(d[top])
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=X.shape)


@dataclass
class _Search:
    """What every range of query rows of top_related reads (shared, read-only, by forked workers)."""

    index: RelatedIndex
    Q: sp.csr_matrix  # each row's distinctive terms (see top_related)
    XT: sp.csr_matrix
    MT: sp.csr_matrix
    k: int
    n_cand: int
    chunk: int


def top_related(
    index: RelatedIndex, k: int = TOP_K, chunk: int | None = None, *, jobs: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, neighbour row, score) for the k best neighbours of every incident.

    Two steps per chunk of query rows, never an N x N matrix: candidates from a product that
    uses only each query's QUERY_TERMS strongest terms among those used by at most
    CANDIDATE_DF of incidents (common words make up most of the work and little of the
    ranking), then exact scores (full cosine + mode term) for the CANDIDATES best candidates.
    From MIN_INCIDENTS_FOR_POOL incidents, ranges of rows are searched by `jobs` forked
    worker processes (pipelines.analysis.forked); every row's answer is its own, so the
    result is the same.
    """
    n = index.X.shape[0]
    k = min(k, n - 1)
    if k <= 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float32)
    X = index.X
    # Candidates come from terms that at most CANDIDATE_DF of incidents use: a term in half the
    # corpus adds a posting list of N/2 to every product and almost nothing to the ranking.
    df = np.bincount(X.indices, minlength=X.shape[1])
    common = np.flatnonzero(df > max(50, CANDIDATE_DF * n))
    Q = X.copy()
    Q.data[np.isin(Q.indices, common)] = 0
    Q.eliminate_zeros()
    Q = _prune_rows(Q, QUERY_TERMS)
    chunk = chunk or CHUNK_ROWS
    search = _Search(index, Q, index.XT, index.modes.T.tocsr(), k, min(n - 1, max(CANDIDATES, k)), chunk)
    # About 8 ranges per worker, each a whole number of chunks, so the slowest range is short.
    span = max(chunk, -(-n // (8 * max(jobs, 1) * chunk)) * chunk)
    ranges = [(start, min(n, start + span)) for start in range(0, n, span)]
    parts = fork_map(_top_rows, search, ranges, jobs, what="related incidents") if n >= MIN_INCIDENTS_FOR_POOL else None
    if parts is None:
        parts = [_top_rows(search, r) for r in ranges]
    return tuple(np.concatenate(p) for p in zip(*parts))  # type: ignore[return-value]


def _top_rows(search: _Search, rows: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """top_related for query rows [rows[0], rows[1]), in chunks of search.chunk rows."""
    index, Q, XT, MT, k, n_cand = search.index, search.Q, search.XT, search.MT, search.k, search.n_cand
    X = index.X
    out_r, out_c, out_s = [], [], []
    for start in range(rows[0], rows[1], search.chunk):
        stop = min(rows[1], start + search.chunk)
        S = (Q[start:stop] @ XT).tocsr()  # sparse: only incidents sharing a distinctive term
        qi_parts, cj_parts = [], []
        for i in range(stop - start):
            row = start + i
            cols = S.indices[S.indptr[i] : S.indptr[i + 1]]
            vals = S.data[S.indptr[i] : S.indptr[i + 1]]
            keep = cols != row
            cols, vals = cols[keep], vals[keep]
            if len(cols) < n_cand:
                # Too few incidents share a distinctive term: score this one against all.
                full = np.asarray((X[row] @ XT).todense()).ravel()
                if MODE_WEIGHT:
                    full += MODE_WEIGHT * np.asarray((index.modes[row] @ MT).todense()).ravel()
                full[row] = -np.inf
                cols = np.argpartition(-full, n_cand - 1)[:n_cand]
            elif len(cols) > n_cand:
                cols = cols[np.argpartition(-vals, n_cand - 1)[:n_cand]]
            qi_parts.append(np.full(len(cols), row))
            cj_parts.append(cols)
        qi = np.concatenate(qi_parts)
        cj = np.concatenate(cj_parts).astype(np.int64)
        # Exact scores for the candidates: row-wise dot products of full vectors.
        exact = np.asarray(X[qi].multiply(X[cj]).sum(axis=1)).ravel()
        if MODE_WEIGHT:
            exact += MODE_WEIGHT * np.asarray(index.modes[qi].multiply(index.modes[cj]).sum(axis=1)).ravel()
        if SERVICE_WEIGHT:
            exact += SERVICE_WEIGHT * np.asarray(index.services[qi].multiply(index.services[cj]).sum(axis=1)).ravel()
        order = np.lexsort((cj, -exact, qi))  # per row: best first, ties by row number
        qi, cj, exact = qi[order], cj[order], exact[order]
        first = np.searchsorted(qi, np.arange(start, stop))
        pos = np.arange(len(qi)) - first[qi - start]
        top = pos < k
        out_r.append(qi[top])
        out_c.append(cj[top])
        out_s.append(exact[top].astype(np.float32))
    return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_s)


def neighbour_table(index: RelatedIndex, k: int = TOP_K, *, jobs: int = 1) -> pd.DataFrame:
    """The related_incidents rows: incident_id, related_id, rank (1 = most similar), score.
    `jobs`: worker processes for the top-10 search of large corpora (top_related)."""
    r, c, s = top_related(index, k, jobs=jobs)
    kk = min(k, index.X.shape[0] - 1)
    return pd.DataFrame(
        {
            "incident_id": index.incident_ids[r].astype(str),
            "related_id": index.incident_ids[c].astype(str),
            "rank": np.tile(np.arange(1, kk + 1, dtype=np.int32), len(r) // kk) if len(r) else np.empty(0, np.int32),
            "score": s.astype(np.float64),
        }
    )


# --------------------------------------------------------------------------- files


def save_index(index: RelatedIndex, prefix: Path | str) -> list[Path]:
    npz, meta = artifact_path(prefix, "related.npz"), artifact_path(prefix, "related.json")
    arrays = {}
    for name in ("X", "modes", "services"):
        m: sp.csr_matrix = getattr(index, name)
        arrays[f"{name}_data"], arrays[f"{name}_indices"] = m.data, m.indices
        arrays[f"{name}_indptr"], arrays[f"{name}_shape"] = m.indptr, np.array(m.shape)
    arrays["idf"] = index.vectorizer.idf_.astype(np.float64)
    np.savez(npz, **arrays)
    meta.write_text(
        json.dumps(
            {
                "version": INDEX_VERSION,
                "vectorizer": {k: list(v) if isinstance(v, tuple) else v for k, v in _vectorizer_params(index.vectorizer).items()},
                "vocabulary": [str(t) for t in index.vocabulary],
                "incident_ids": [str(i) for i in index.incident_ids],
                "services": [str(s) for s in index.service_names],
                "modes": [str(m) for m in index.mode_keys],
            },
            separators=(",", ":"),
        )
    )
    return [npz, meta]


def _vectorizer_params(vectorizer) -> dict:
    p = vectorizer.get_params()
    # The n-gram range lives on our analyzer (sklearn ignores its own when the analyzer is callable).
    return {"ngram_range": list(vectorizer.analyzer.ngram_range), "min_df": p["min_df"], "max_df": p["max_df"]}


@lru_cache(maxsize=4)
def load_index(prefix: str) -> RelatedIndex:
    """Load (once per process) the index saved by `save_index` under a build's artifacts prefix."""
    npz, meta = artifact_path(prefix, "related.npz"), artifact_path(prefix, "related.json")
    info = json.loads(meta.read_text())
    if info.get("version") != INDEX_VERSION:
        raise ValueError(f"{meta}: index version {info.get('version')} is not {INDEX_VERSION}; rebuild the database")
    with np.load(npz, allow_pickle=False) as z:
        mats = {
            name: sp.csr_matrix(
                (z[f"{name}_data"], z[f"{name}_indices"], z[f"{name}_indptr"]), shape=tuple(z[f"{name}_shape"])
            )
            for name in ("X", "modes", "services")
        }
        idf = z["idf"]
    p = info["vectorizer"]
    vectorizer = make_vectorizer(ngram_range=tuple(p["ngram_range"]), min_df=p["min_df"], max_df=p["max_df"])
    vocabulary = np.array(info["vocabulary"], dtype=object)
    vectorizer.vocabulary_ = {t: i for i, t in enumerate(info["vocabulary"])}
    vectorizer.idf_ = idf
    return RelatedIndex(
        np.array(info["incident_ids"], dtype=object),
        vocabulary,
        mats["X"],
        mats["modes"],
        np.array(info["modes"], dtype=object),
        mats["services"],
        np.array(info["services"], dtype=object),
        vectorizer,
    )


# --------------------------------------------------------------------------- search


def _why_terms(index: RelatedIndex, q: sp.csr_matrix, j: int, n: int = WHY_TERMS) -> list[str]:
    row = index.X[j]
    common, qi, ri = np.intersect1d(q.indices, row.indices, assume_unique=True, return_indices=True)
    if len(common) == 0:
        return []
    contrib = q.data[qi] * row.data[ri]
    top = common[np.argsort(-contrib, kind="stable")]
    chosen: list[str] = []
    for t in top:  # a bigram explains better than its two words, so drop words it contains
        term = str(index.vocabulary[t])
        if is_weak(term) or any(term in c.split() for c in chosen):  # weak: an index built before the weak list
            continue
        chosen.append(term)
        if len(chosen) == n:
            break
    return chosen


def _main_modes(columns: np.ndarray, values: np.ndarray) -> set[int]:
    """Mode columns that are among a vector's main modes (at least MAIN_MODE_SHARE of its largest
    component): "why it matched" names modes both incidents are about, not a passing weak hit."""
    if len(values) == 0:
        return set()
    top = float(np.max(values))
    return {int(c) for c, v in zip(columns, values) if v >= MAIN_MODE_SHARE * top}


def _rank(
    index: RelatedIndex,
    q: sp.csr_matrix,
    q_modes: np.ndarray | None,
    q_services: np.ndarray | None,
    k: int,
    exclude: int | None,
    service_weight: float = SERVICE_WEIGHT,
) -> list[Match]:
    n = index.X.shape[0]
    text = np.asarray((q @ index.XT).todense()).ravel() if q.nnz else np.zeros(n, dtype=np.float32)
    if q_modes is None:
        # Free text: estimate its modes from its best text matches.
        top = np.argpartition(-text, min(FEEDBACK_DOCS, n - 1))[:FEEDBACK_DOCS] if n > 1 else np.arange(n)
        top = top[text[top] > 0]
        mix = np.asarray(index.modes[top].T @ text[top]).ravel() if len(top) else np.zeros(index.modes.shape[1])
        norm = np.linalg.norm(mix)
        q_modes = mix / norm if norm > 0 else mix
    score = text.astype(np.float64).copy()
    if MODE_WEIGHT and q_modes is not None and np.any(q_modes):
        score += MODE_WEIGHT * (index.modes @ q_modes)
    if service_weight and q_services is not None and np.any(q_services):
        score += service_weight * (index.services @ q_services)
    if exclude is not None:
        score[exclude] = -np.inf
    k = max(0, min(k, n - (exclude is not None)))
    if k == 0:
        return []
    q_main = _main_modes(np.flatnonzero(q_modes), q_modes[q_modes > 0]) if q_modes is not None else set()
    best = np.argpartition(-score, k - 1)[:k]
    best = best[np.lexsort((best, -score[best]))]
    matches = []
    for j in best:
        if not np.isfinite(score[j]) or score[j] <= 0:
            continue
        mrow, srow = index.modes[j], index.services[j]
        strength = dict(zip(mrow.indices.tolist(), mrow.data.tolist()))
        shared = sorted(_main_modes(mrow.indices, mrow.data) & q_main, key=lambda t: -strength[t] * float(q_modes[t]))
        shared_modes = [str(index.mode_keys[t]) for t in shared[:MAX_SHARED_MODES]]
        shared_services = [str(index.service_names[s]) for s in srow.indices if q_services is not None and q_services[s] > 0]
        matches.append(
            Match(str(index.incident_ids[j]), float(score[j]), float(text[j]), _why_terms(index, q, j), shared_modes, shared_services)
        )
    return matches


def _services_named(index: RelatedIndex, text: str) -> np.ndarray:
    lowered = f" {text.lower()} "
    hits = np.zeros(len(index.service_names), dtype=np.float64)
    for j, name in enumerate(index.service_names):
        if f" {str(name).lower()} " in lowered or f" {str(name).lower()}." in lowered or f" {str(name).lower()}," in lowered:
            hits[j] = 1.0
    norm = np.linalg.norm(hits)
    return hits / norm if norm else hits


def search_text(index: RelatedIndex, text: str, k: int = TOP_K) -> list[Match]:
    """Incidents most similar to a free-text description, best first."""
    q = sp.csr_matrix(index.vectorizer.transform([text]), dtype=np.float32)
    q.sort_indices()
    return _rank(index, q, None, _services_named(index, text), k, exclude=None, service_weight=NAMED_SERVICE_WEIGHT)


def search_incident(index: RelatedIndex, incident_id: str, k: int = TOP_K) -> list[Match]:
    """Incidents most similar to one already in the index (itself excluded), best first."""
    i = index.row(incident_id)
    if i is None:
        raise KeyError(incident_id)
    q = index.X[i]
    q.sort_indices()
    return _rank(
        index,
        q,
        index.modes[i].toarray().ravel().astype(np.float64),
        index.services[i].toarray().ravel().astype(np.float64),
        k,
        exclude=i,
    )
