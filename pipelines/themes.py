"""Recurring contributing-factor themes: cluster factor sentences, label them, keep ids stable.

How it works, in order:

1. Factor texts are deduplicated (templates and copy-paste make many identical) and embedded
   with the shared text pipeline (TF-IDF, then LSA via TruncatedSVD, L2-normalized).
2. The number of themes is chosen by silhouette (cosine) of k-means on a sample over a range
   of k, unless the caller forces it (`hindsight build --themes N`).
3. k-means (mini-batch beyond a few thousand distinct texts) gives the clusters. A factor whose
   cosine to its centroid is below `UNCLUSTERED_SIMILARITY`, or whose cluster is too small to
   call a theme, goes to the explicit "Unclustered" bucket (theme_id -1) instead of being forced
   into a theme it does not resemble.
4. Labels: top terms of the cluster's TF-IDF centroid (bigrams preferred over the words they
   contain) plus the member sentence nearest the centroid.
5. Stable ids: each theme's TF-IDF centroid (top terms and weights) is saved with the build.
   The next build matches its clusters to the previous ones by cosine of those term centroids
   (Hungarian assignment); a match above `MATCH_SIMILARITY` keeps the old id, the rest get
   fresh ids above every id used before. Term centroids survive vocabulary changes, which LSA
   coordinates do not.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score

from pipelines.textfeatures import make_text_pipeline

UNCLUSTERED = -1
UNCLUSTERED_LABEL = "Unclustered"
UNCLUSTERED_SIMILARITY = 0.25  # cosine in LSA space; measured: real members sit well above 0.4
MATCH_SIMILARITY = 0.5  # term-centroid cosine needed to inherit a previous theme's id
CENTROID_TERMS = 200  # terms kept per saved centroid
K_CANDIDATES = (4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 25, 28, 32, 36, 40, 45, 50, 60)
SILHOUETTE_SAMPLE = 3000
MINIBATCH_ABOVE = 5000  # distinct texts; beyond this mini-batch k-means is used
STATE_SUFFIX = "themes.json"


@dataclass
class Theme:
    theme_id: int
    label: str
    top_terms: list[str]
    representative_text: str | None
    size: int  # factors (not distinct texts)
    centroid_terms: dict[str, float] = field(default_factory=dict)


@dataclass
class ThemeResult:
    assignment: np.ndarray  # theme_id per input text (UNCLUSTERED for the bucket)
    similarity: np.ndarray  # cosine of each input text to its cluster centroid
    themes: list[Theme]  # real themes, then the Unclustered bucket when used
    k: int  # clusters fitted (before small ones were dissolved)
    k_scores: dict[int, float] = field(default_factory=dict)  # silhouette per candidate k

    def state(self, previous: dict | None = None) -> dict:
        """What the next build needs to keep ids stable (JSON-serializable)."""
        used = [t.theme_id for t in self.themes] + [int((previous or {}).get("next_id", 1)) - 1]
        return {
            "version": 1,
            "next_id": max(used + [0]) + 1,
            "themes": [
                {"theme_id": t.theme_id, "label": t.label, "terms": t.centroid_terms}
                for t in self.themes
                if t.theme_id != UNCLUSTERED
            ],
        }


def _dedupe(texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Distinct texts (by case/space-normalized form), their counts, and the inverse index."""
    keys = [" ".join(t.lower().split()) for t in texts]
    index: dict[str, int] = {}
    inverse = np.empty(len(keys), dtype=np.int64)
    uniques: list[str] = []
    for i, key in enumerate(keys):
        j = index.get(key)
        if j is None:
            j = index[key] = len(uniques)
            uniques.append(texts[i])
        inverse[i] = j
    counts = np.bincount(inverse, minlength=len(uniques)).astype(np.float64)
    return uniques, counts, inverse


def _candidate_ks(n: int) -> list[int]:
    upper = min(60, n // 2)
    ks = sorted({k for k in range(2, 13)} | set(K_CANDIDATES))
    return [k for k in ks if k <= upper] or [max(1, min(2, n))]


def _kmeans(k: int, n: int, seed: int):
    if n > MINIBATCH_ABOVE:
        return MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=4096, max_no_improvement=20)
    return KMeans(n_clusters=k, random_state=seed, n_init=4)


def choose_k(Z: np.ndarray, weights: np.ndarray, seed: int = 0) -> tuple[int, dict[int, float]]:
    """Pick k by the best cosine silhouette on a weighted sample of the distinct texts."""
    n = Z.shape[0]
    rng = np.random.default_rng(seed)
    if n > SILHOUETTE_SAMPLE:
        p = weights / weights.sum()
        idx = np.unique(rng.choice(n, size=SILHOUETTE_SAMPLE, replace=True, p=p))
    else:
        idx = np.arange(n)
    sample, w = Z[idx], weights[idx]
    scores: dict[int, float] = {}
    for k in _candidate_ks(len(idx)):
        if k >= len(idx):
            break
        km = KMeans(n_clusters=k, random_state=seed, n_init=2).fit(sample, sample_weight=w)
        if len(set(km.labels_)) < 2:
            continue
        scores[k] = float(silhouette_score(sample, km.labels_, metric="cosine"))
    if not scores:
        return max(1, min(2, n)), scores
    return max(scores, key=lambda k: (round(scores[k], 3), k)), scores


def _top_terms(centroid: np.ndarray, vocab: np.ndarray, n: int = 8) -> list[str]:
    """Highest-weight centroid terms, dropping a word when a chosen bigram already contains it."""
    order = np.argsort(-centroid)[: n * 4]
    chosen: list[str] = []
    for j in order:
        if centroid[j] <= 0:
            break
        term = str(vocab[j])
        words = term.split()
        if any(term in c.split() or term == c for c in chosen):
            continue
        if len(words) > 1:
            chosen = [c for c in chosen if c not in words]
        chosen.append(term)
        if len(chosen) >= n:
            break
    return chosen


def _match_previous(new: list[dict[str, float]], previous: dict | None) -> list[int | None]:
    """Previous theme id for each new term centroid, or None when no previous theme is close enough."""
    old = (previous or {}).get("themes") or []
    if not new or not old:
        return [None] * len(new)
    terms = sorted({t for c in new for t in c} | {t for o in old for t in o["terms"]})
    col = {t: i for i, t in enumerate(terms)}

    def matrix(cents: list[dict[str, float]]) -> sp.csr_matrix:
        rows, cols, vals = [], [], []
        for r, c in enumerate(cents):
            for t, w in c.items():
                rows.append(r)
                cols.append(col[t])
                vals.append(w)
        m = sp.csr_matrix((vals, (rows, cols)), shape=(len(cents), len(terms)))
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1
        return sp.diags(1 / norms) @ m

    sim = (matrix(new) @ matrix([o["terms"] for o in old]).T).toarray()
    rows, cols = linear_sum_assignment(-sim)
    out: list[int | None] = [None] * len(new)
    for r, c in zip(rows, cols):
        if sim[r, c] >= MATCH_SIMILARITY:
            out[r] = int(old[c]["theme_id"])
    return out


def mine_themes(
    texts: list[str],
    *,
    n_themes: int | None = None,
    previous: dict | None = None,
    representable: np.ndarray | None = None,
    display: list[str] | None = None,
    seed: int = 0,
) -> ThemeResult:
    """Cluster factor sentences into themes.

    `representable` marks texts that may be shown as a theme's representative sentence
    (False for restricted incidents); `display` holds the text to show for each input when
    the clustered text was rewritten (service names masked); `previous` is the state saved by
    the previous build.
    """
    n_texts = len(texts)
    if n_texts == 0:
        return ThemeResult(np.empty(0, dtype=np.int64), np.empty(0), [], 0)
    uniques, counts, inverse = _dedupe(texts)
    n = len(uniques)
    first = np.full(n, -1, dtype=np.int64)
    first[inverse[::-1]] = np.arange(n_texts)[::-1]
    shown_text = [(display or texts)[i] for i in first]
    rep_ok = np.ones(n, dtype=bool)
    if representable is not None:
        rep_ok[:] = False
        np.logical_or.at(rep_ok, inverse, np.asarray(representable, dtype=bool))

    pipe = make_text_pipeline(min_df=2 if n >= 50 else 1, max_df=0.5 if n >= 50 else 1.0)
    tfidf = pipe.fit_transform(uniques)
    vocab = pipe.named_steps["tfidf"].get_feature_names_out()
    X = sp.csr_matrix(tfidf, dtype=np.float32)
    dims = min(100, X.shape[1] - 1, n - 1)
    if dims >= 2:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.preprocessing import normalize

        Z = TruncatedSVD(n_components=dims, random_state=seed, n_iter=5).fit_transform(X)
        Z = normalize(Z).astype(np.float32)
    else:
        Z = X.toarray()

    if n_themes:
        k, k_scores = max(1, min(n_themes, n)), {}
    else:
        k, k_scores = choose_k(Z, counts, seed)
    km = _kmeans(k, n, seed).fit(Z, sample_weight=counts)
    labels = km.labels_.astype(np.int64)
    from sklearn.preprocessing import normalize as _norm

    centers = _norm(km.cluster_centers_)
    sim = np.einsum("ij,ij->i", Z, centers[labels])
    # A factor with no vocabulary in common with anything (all-zero row) has similarity 0.
    labels[sim < UNCLUSTERED_SIMILARITY] = -1
    min_size = max(2, int(0.002 * n_texts))
    sizes = np.bincount(labels[labels >= 0], weights=counts[labels >= 0], minlength=k)
    for c in range(k):
        if 0 < sizes[c] < min_size:
            labels[labels == c] = -1
            sizes[c] = 0

    # Term-space centroids (weighted mean of TF-IDF rows) for labels and for id matching.
    live = [c for c in range(k) if sizes[c] > 0]
    onehot = sp.csr_matrix(
        (counts[labels >= 0], (labels[labels >= 0], np.flatnonzero(labels >= 0))), shape=(k, n)
    )
    term_centroids = np.asarray((onehot @ X).todense())
    term_centroids /= np.maximum(sizes[:, None], 1)

    new_terms: list[dict[str, float]] = []
    for c in live:
        row = term_centroids[c]
        top = np.argsort(-row)[:CENTROID_TERMS]
        new_terms.append({str(vocab[j]): round(float(row[j]), 6) for j in top if row[j] > 0})
    matched = _match_previous(new_terms, previous)
    next_id = int((previous or {}).get("next_id", 1))
    # Fresh ids: biggest theme first, so a first build reads 1, 2, 3 ... by size.
    order = sorted(range(len(live)), key=lambda i: -sizes[live[i]])
    ids: dict[int, int] = {}
    for i in order:
        if matched[i] is not None:
            ids[live[i]] = matched[i]
    for i in order:
        if live[i] not in ids:
            ids[live[i]] = next_id
            next_id += 1

    themes: list[Theme] = []
    for i, c in enumerate(live):
        members = np.flatnonzero(labels == c)
        shown = members[rep_ok[members]]
        rep = shown_text[shown[np.argmax(sim[shown])]] if len(shown) else None
        top_terms = _top_terms(term_centroids[c], vocab)
        label = ", ".join(top_terms[:3]) if top_terms else f"theme {ids[c]}"
        themes.append(Theme(ids[c], label, top_terms, rep, int(sizes[c]), new_terms[i]))
    themes.sort(key=lambda t: t.theme_id)

    unique_ids = np.array([ids.get(c, UNCLUSTERED) if c >= 0 else UNCLUSTERED for c in labels], dtype=np.int64)
    n_unclustered = int(counts[unique_ids == UNCLUSTERED].sum())
    if n_unclustered:
        themes.append(
            Theme(UNCLUSTERED, UNCLUSTERED_LABEL, [], "Factors that resemble no recurring theme.", n_unclustered)
        )
    return ThemeResult(unique_ids[inverse], sim[inverse].astype(np.float64), themes, k, k_scores)


def load_state(path: Path | None) -> dict | None:
    if path is None or not path.exists():
        return None
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # an unreadable previous state only costs id stability, never the build
    return state if isinstance(state, dict) and state.get("version") == 1 else None


def save_state(path: Path, state: dict) -> None:
    path.write_text(json.dumps(state, separators=(",", ":")))


# --------------------------------------------------------------------------- CLI


def cli_main(args: argparse.Namespace) -> int:
    """`hindsight themes`: one line per theme with size, quarters active and recurrences after fixes."""
    import duckdb

    from pipelines import repeats

    db = Path(args.db)
    if not db.exists():
        print(f"error: no database at {db}; run `hindsight build CORPUS --db {db}` first")
        return 2
    con = duckdb.connect(str(db), read_only=True)
    try:
        df = repeats.theme_summary(con)
    finally:
        con.close()
    records = df.to_dict(orient="records")
    for r in records:
        for key, value in list(r.items()):
            if hasattr(value, "tolist"):
                r[key] = value.tolist()
            elif hasattr(value, "isoformat"):
                r[key] = value.isoformat()
    if getattr(args, "json", False):
        print(json.dumps(records, indent=2, default=str))
        return 0
    if not records:
        print("No themes yet: the corpus has no contributing factors, or the build ran with --no-analysis.")
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Recurring themes ({len(records)})", show_lines=False)
    for col in ("id", "theme", "factors", "incidents", "quarters", "services", "first", "last", "recurred after fix"):
        table.add_column(col, overflow="fold")
    for r in records:
        table.add_row(
            str(r["theme_id"]),
            f"{r['label']}\n[dim]{', '.join(r['top_terms'] or [])}[/dim]",
            str(r["size"]),
            str(r["incidents"]),
            str(r["quarters_active"]),
            ", ".join((r["services"] or [])[:5]) + (" ..." if len(r["services"] or []) > 5 else ""),
            str(r["first_seen"] or ""),
            str(r["last_seen"] or ""),
            str(r["recurred_after_fix"]),
        )
    Console().print(table)
    return 0
