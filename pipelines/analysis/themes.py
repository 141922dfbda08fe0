"""Recurring contributing-factor themes: cluster factor sentences, label them, keep ids stable.

A theme is a kind of failure that recurs ("certificate expired", "bad config push"). One
postmortem describes it in several factor sentences that share few words ("the renewal job
was stuck", "clients rejected the handshake"), so clustering sentences by wording alone finds
*phrasings*, not themes. Themes are found in two stages:

1. Patterns. Factor texts are deduplicated, embedded with the shared text pipeline (TF-IDF
   with incident-text normalization, LSA via TruncatedSVD, L2-normalized) and clustered with
   k-means (fitted on a sample of at most `PATTERN_SAMPLE` distinct texts) into many small, tight patterns (about 3 * sqrt(distinct texts), between
   `MIN_PATTERNS` and `MAX_PATTERNS`; fewer distinct texts than that are a pattern each). A factor whose cosine to its pattern centroid is below
   `UNCLUSTERED_SIMILARITY` goes to the explicit "Unclustered" bucket (theme_id -1) instead of
   being forced into a theme it does not resemble.
2. Themes. Patterns are grouped by spectral clustering of an affinity that mixes wording
   (cosine of pattern centroids) with co-occurrence (cosine of the patterns' incident sets:
   factors written in the same postmortems describe the same failure). The number of themes is
   the one with the best silhouette over 2..`MAX_THEMES`, unless the caller forces it
   (`hindsight build --themes N`). Themes smaller than `min_theme_size` are dissolved into
   Unclustered. When no incident has two factors (one summary per incident, say) the affinity
   is wording alone. A pattern with no real affinity to any other pattern of its theme
   (below `ORPHAN_AFFINITY`) is moved to Unclustered: spectral clustering has to put it
   somewhere, but it fits nowhere.

Labels: the theme's top terms by class-based TF-IDF (what sets it apart from the other themes)
over the texts that may be shown (restricted incidents never lend a label word), with two-word
phrases boosted (`BIGRAM_BOOST`; a bigram replaces the words it contains), narrative words
skipped (`LABEL_STOP_WORDS` and past-tense "-ed" forms: "took", "lost", "changed" say how an
incident went, not what failed) and singular/plural repeats dropped. The label is the first
`LABEL_TERMS` of them sharing no word; `top_terms` is the longer list. Membership and ids do not
depend on the label. Plus the member sentence nearest the theme centroid (never from a
restricted incident).

Stable ids: each theme's TF-IDF centroid (top terms and weights) is saved with the build. The
next build matches its themes to the previous ones by cosine of those term centroids (Hungarian
assignment); a match above `MATCH_SIMILARITY` keeps the old id, the rest get fresh ids above
every id used before. Term centroids survive vocabulary changes, which LSA coordinates do not.
Numerical work runs single-threaded: results do not depend on thread scheduling, and on a
busy 2-core machine BLAS/OpenMP threads spinning against each other were 5-10x slower.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from pipelines.analysis.textfeatures import PLACEHOLDERS, make_text_pipeline

UNCLUSTERED = -1
UNCLUSTERED_LABEL = "Unclustered"
UNCLUSTERED_SIMILARITY = 0.3  # cosine to the pattern centroid in LSA space
MATCH_SIMILARITY = 0.5  # term-centroid cosine needed to inherit a previous theme's id
CENTROID_TERMS = 200  # terms kept per saved centroid
MAX_PATTERNS = 300
MIN_PATTERNS = 60
ORPHAN_AFFINITY = 0.1
CROSS_CUTTING_COHERENCE = 0.3
MAX_THEMES = 40
# Shares of the three signals in the pattern affinity (see pattern_affinity).
WORDING_WEIGHT = 0.3
COOCCURRENCE_WEIGHT = 0.7
DOCUMENT_WEIGHT = 0.7
LSA_DIMS = 100
SVD_SAMPLE = 50_000  # distinct texts the LSA projection is fitted on
PATTERN_SAMPLE = 6000  # distinct texts k-means is fitted on; the rest are assigned
STATE_SUFFIX = "themes.json"


@dataclass
class Theme:
    theme_id: int
    label: str
    top_terms: list[str]
    representative_text: str | None
    size: int  # factors (not distinct texts)
    centroid_terms: dict[str, float] = field(default_factory=dict)
    cross_cutting: bool = False  # a recurring factor met with every kind of failure (see _split_cross_cutting)


@dataclass
class ThemeResult:
    assignment: np.ndarray  # theme_id per input text (UNCLUSTERED for the bucket)
    similarity: np.ndarray  # cosine of each input text to its theme centroid (LSA space)
    themes: list[Theme]  # real themes by id, then the Unclustered bucket when used
    k: int  # themes fitted (before small ones were dissolved)
    n_patterns: int = 0
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


def n_patterns_for(n_distinct: int) -> int:
    # Few distinct sentences need no compressing: each is its own pattern.
    if n_distinct <= MIN_PATTERNS:
        return max(1, n_distinct)
    return int(min(MAX_PATTERNS, max(MIN_PATTERNS, 3 * np.sqrt(n_distinct))))


def embed(texts: list[str], seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """(TF-IDF rows, LSA rows L2-normalized, vocabulary) for distinct factor texts."""
    n = len(texts)
    pipe = make_text_pipeline(min_df=2 if n >= 50 else 1, max_df=0.5 if n >= 50 else 1.0)
    try:
        X = sp.csr_matrix(pipe.fit_transform(texts), dtype=np.float32)
        vocab = pipe.named_steps["tfidf"].get_feature_names_out()
    except ValueError:  # nothing but stop words and placeholders
        return sp.csr_matrix((n, 0), dtype=np.float32), np.zeros((n, 1), dtype=np.float32), np.array([], dtype=object)
    dims = min(LSA_DIMS, X.shape[1] - 1, n - 1)
    if dims >= 2:
        svd = TruncatedSVD(n_components=dims, random_state=seed, n_iter=5)
        if n > SVD_SAMPLE:
            # The randomized SVD's dense n x (dims + oversampling) work arrays cost gigabytes at
            # half a million texts; the topic directions of a 50,000-text sample are the same.
            svd.fit(X[np.random.default_rng(seed).choice(n, size=SVD_SAMPLE, replace=False)])
            Z = np.vstack([svd.transform(X[i : i + 65536]).astype(np.float32) for i in range(0, n, 65536)])
        else:
            Z = svd.fit_transform(X).astype(np.float32)
        Z = normalize(Z, copy=False)
    else:
        Z = X.toarray()
    return X, Z, vocab


def find_patterns(Z: np.ndarray, weights: np.ndarray, n_patterns: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(pattern per row, unit-length pattern centroids).

    k-means is fitted on at most PATTERN_SAMPLE distinct texts (a weighted sample), then every
    text joins its nearest centroid: hundreds of clusters over 100,000+ texts stay cheap.
    """
    n = Z.shape[0]
    if n_patterns <= 1 or n <= 1:
        c = normalize(np.asarray(Z.T @ weights, dtype=np.float64).reshape(1, -1))
        return np.zeros(n, dtype=np.int64), c
    if n > PATTERN_SAMPLE:
        rng = np.random.default_rng(seed)
        idx = np.sort(rng.choice(n, size=PATTERN_SAMPLE, replace=False, p=weights / weights.sum()))
    else:
        idx = np.arange(n)
    km = KMeans(n_clusters=min(n_patterns, len(idx)), random_state=seed, n_init=1, max_iter=50)
    km.fit(Z[idx], sample_weight=weights[idx])
    centroids = normalize(km.cluster_centers_).astype(np.float32)
    labels = np.empty(n, dtype=np.int64)
    for start in range(0, n, 8192):
        labels[start : start + 8192] = np.argmax(Z[start : start + 8192] @ centroids.T, axis=1)
    return labels, centroids


def pattern_affinity(
    centroids: np.ndarray,
    pattern: np.ndarray,
    groups: np.ndarray | None,
    group_vectors: dict[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Pattern x pattern affinity in [0, 1], the mean of up to three cosines.

    wording: of the pattern centroids; co-occurrence: of the patterns' incident sets;
    documents: of the mean whole-postmortem vectors of the patterns' incidents
    (`group_vectors`, one unit vector per incident). `pattern` is per factor (-1 = unclustered),
    `groups` the incident of each factor. A signal that is absent (no incident with two
    patterns, no document vectors) is left out of the mean.
    """
    P = centroids.shape[0]
    parts = [(WORDING_WEIGHT, np.clip(centroids @ centroids.T, 0, 1))]
    if groups is not None and len(groups):
        ok = pattern >= 0
        names, g = np.unique(groups[ok], return_inverse=True)
        M = sp.csr_matrix((np.ones(int(ok.sum())), (pattern[ok], g)), shape=(P, len(names)))
        M.data[:] = 1.0
        multi = np.asarray((M > 0).sum(axis=0)).ravel() >= 2  # incidents with two or more patterns
        if multi.any():
            Mm = normalize(M[:, np.flatnonzero(multi)].astype(np.float64))
            parts.append((COOCCURRENCE_WEIGHT, (Mm @ Mm.T).toarray()))
        if group_vectors is not None:
            known = [i for i, name in enumerate(names) if name in group_vectors]
            if known:
                V = np.vstack([group_vectors[names[i]] for i in known])
                D = normalize(normalize(M[:, known].astype(np.float64), norm="l1") @ V)
                parts.append((DOCUMENT_WEIGHT, np.clip(D @ D.T, 0, 1)))
    total = sum(w for w, _ in parts)
    A = sum(w * a for w, a in parts) / total
    A = np.clip((A + A.T) / 2, 0, 1)
    np.fill_diagonal(A, 1.0)
    return A


def _cluster_qr(vectors: np.ndarray) -> np.ndarray:
    """Labels from a spectral embedding by column-pivoted QR (Damle, Minden and Ying, 2019).

    The same method as scikit-learn's SpectralClustering(assign_labels="cluster_qr").
    """
    from scipy.linalg import qr, svd

    k = vectors.shape[1]
    _, _, piv = qr(vectors.T, pivoting=True)
    ut, _, v = svd(vectors[piv[:k], :].T)
    return np.abs(vectors @ (ut @ v.conj())).argmax(axis=1).astype(np.int64)


def group_patterns(A: np.ndarray, n_themes: int | None, seed: int = 0) -> tuple[np.ndarray, dict[int, float]]:
    """Theme per pattern by spectral clustering; k by silhouette on 1 - affinity unless given.

    The spectral embedding (eigenvectors of the normalized graph Laplacian) is computed once;
    each candidate k assigns labels from its first k coordinates with CPQR (`_cluster_qr`),
    which is deterministic and needs no k-means restarts.
    """
    from sklearn.manifold import spectral_embedding

    P = A.shape[0]
    if P <= 2:
        return np.arange(P, dtype=np.int64), {}
    top = min(P - 1, max(MAX_THEMES, n_themes or 0))
    emb = spectral_embedding(A, n_components=top, random_state=seed, drop_first=False, norm_laplacian=True)

    def fit(k: int) -> np.ndarray:
        return _cluster_qr(emb[:, :k])

    if n_themes:
        return fit(max(1, min(n_themes, top))), {}
    D = 1.0 - A
    np.fill_diagonal(D, 0.0)
    scores: dict[int, float] = {}
    best: tuple[float, int, np.ndarray] | None = None
    for k in range(2, min(MAX_THEMES, P - 1) + 1):
        labels = fit(k)
        if len(np.unique(labels)) < 2:
            continue
        scores[k] = float(silhouette_score(D, labels, metric="precomputed"))
        if best is None or scores[k] > best[0] + 1e-9:
            best = (scores[k], k, labels)
    if best is None:
        return np.zeros(P, dtype=np.int64), scores
    return best[2], scores


def _drop_orphans(A: np.ndarray, theme_of_pattern: np.ndarray) -> np.ndarray:
    """Patterns that resemble no other pattern of their theme leave it for Unclustered (-1).

    Spectral clustering must put every pattern somewhere; a pattern whose affinity to each
    other member of its theme is below ORPHAN_AFFINITY was put there for want of a better place.
    """
    out = theme_of_pattern.copy()
    for p in range(len(out)):
        mates = np.flatnonzero((theme_of_pattern == theme_of_pattern[p]) & (np.arange(len(out)) != p))
        if len(mates) == 0 or A[p, mates].max() < ORPHAN_AFFINITY:
            out[p] = -1
    return out


def class_tfidf(term_centroids: np.ndarray, sizes: np.ndarray, live: list[int]) -> np.ndarray:
    """Class-based TF-IDF (as in BERTopic): a term's share of a theme's text times how rare it
    is across themes, so labels name what sets a theme apart, not words every theme uses."""
    out = np.zeros_like(term_centroids)
    if not live or term_centroids.shape[1] == 0:
        return out
    mass = term_centroids[live] * sizes[live, None]  # total TF-IDF weight per theme and term
    per_term = mass.sum(axis=0)
    avg = mass.sum() / len(live)
    tf = mass / np.maximum(mass.sum(axis=1, keepdims=True), 1e-12)
    out[live] = tf * np.log1p(avg / np.maximum(per_term, 1e-12))
    return out


def _split_cross_cutting(theme_of_pattern: np.ndarray, pattern: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Give cross-cutting patterns ("the runbook was out of date") their own themes.

    Some factors recur with every kind of failure. Co-occurrence and document similarity pull
    such a pattern into whichever theme it happens to meet most, where it swamps that theme's
    label. A pattern is cross-cutting when, in the incidents where it appears next to other
    patterns, it meets another pattern of its own theme less than CROSS_CUTTING_COHERENCE of
    the time; it then becomes a theme of its own (its wording is already one tight cluster).
    """
    P = len(theme_of_pattern)
    ok = pattern >= 0
    if P == 0 or not ok.any():
        return theme_of_pattern
    names, g = np.unique(groups[ok], return_inverse=True)
    M = sp.csr_matrix((np.ones(int(ok.sum())), (pattern[ok], g)), shape=(P, len(names)))
    M.data[:] = 1.0
    M = M.tocsr()
    k = int(theme_of_pattern.max()) + 1 if theme_of_pattern.max() >= 0 else 0
    if k == 0:
        return theme_of_pattern
    T = sp.csr_matrix(
        (np.ones(int((theme_of_pattern >= 0).sum())), (np.flatnonzero(theme_of_pattern >= 0), theme_of_pattern[theme_of_pattern >= 0])),
        shape=(P, k),
    )
    per_incident = (M.T @ T).toarray()  # incidents x themes: patterns of each theme present
    n_patterns = np.asarray(M.sum(axis=0)).ravel()
    out = theme_of_pattern.copy()
    next_theme = k
    for p in range(P):
        t = theme_of_pattern[p]
        if t < 0:
            continue
        inc = M.indices[M.indptr[p] : M.indptr[p + 1]]
        inc = inc[n_patterns[inc] >= 2]
        if len(inc) < 5:
            continue  # too little evidence either way
        coherence = np.mean(per_incident[inc, t] - 1 >= 1)  # another pattern of its own theme
        if coherence < CROSS_CUTTING_COHERENCE:
            out[p] = next_theme
            next_theme += 1
    return out


# Words that tell how an incident went, not what failed: narrative verbs, adjectives and
# generic nouns. They are fine inside the clustered text but make a label unreadable
# ("support, took, attempts"), so a label term containing one is skipped.
LABEL_STOP_WORDS = frozenset(
    """
    took take taking know knew known hard easy status support attempt attempts change changed changes
    changing single view lost needed need needs rotated people context mistake removed turning default
    missed automatically longer exists assumed reviewed wrong moved written rewrote rolled integrated
    synchronously short logged contributing factor factors recently red herring chased apply used valid
    broke ran timing unavailable held grow grew killed faster readable human reads long roll checked
    stayed closed showing lacked watches meant look hosts double josé joined looked looking saw seen
    went got get gets made make makes set sets way ways thing things kind lot lots able unable new old
    real really quickly slow slowly sudden suddenly immediately instead still already enough whole
    multiple several many few other others different same right left best better worse bad good
    heavy cold small large big high low full empty late early first last next previous current
    nobody someone everyone anyone sure unsure clear unclear rose wrote kept shown showed hid run
    runs sent sending returning years ago usual lack attention risky true false mb gb kb tb
    """.split()
)


def _is_narrative(word: str) -> bool:
    """A label stop word, or a past-tense verb / participle ("fired", "revoked", "waited")."""
    return word in LABEL_STOP_WORDS or (len(word) > 4 and word.endswith("ed") and not word.endswith("eed"))
BIGRAM_BOOST = 1.5  # a two-word phrase ("connection pool") names a failure better than either word
LABEL_TERMS = 3


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _top_terms(centroid: np.ndarray, vocab: np.ndarray, n: int = 8, person_words: frozenset[str] = frozenset()) -> list[str]:
    """Highest-weight centroid terms without narrative words or people's names; a theme told only
    in narrative words ("rolled back within minutes") keeps them rather than going unnamed."""
    return _ranked_terms(centroid, vocab, n, True, person_words) or _ranked_terms(centroid, vocab, n, False, person_words)


def _ranked_terms(
    centroid: np.ndarray, vocab: np.ndarray, n: int, skip_narrative: bool, person_words: frozenset[str]
) -> list[str]:
    """Terms by weight (bigrams boosted), skipping placeholders and a word already shown
    (singular or plural); a chosen bigram replaces the words it contains."""
    # Candidates by raw weight first: building the boost over a 100,000-term vocabulary per theme costs more.
    candidates = np.argsort(-centroid, kind="stable")[: n * 40]
    boost = np.array([BIGRAM_BOOST if " " in str(vocab[j]) else 1.0 for j in candidates])
    order = candidates[np.argsort(-(centroid[candidates] * boost), kind="stable")]
    chosen: list[str] = []
    for j in order:
        if centroid[j] <= 0:
            break
        term = str(vocab[j])
        words = term.split()
        if any(w in PLACEHOLDERS for w in words):
            continue  # "certificate xhost" reads badly; the placeholder stays in the centroid
        if any(w in person_words for w in words):
            continue  # blameless: a theme is never named after a person ("response, nadia, chen")
        if (skip_narrative and any(_is_narrative(w) for w in words)) or len(set(words)) < len(words):
            continue
        stems = {_singular(w) for w in words}
        if any(stems <= {_singular(w) for w in c.split()} for c in chosen):
            continue  # "record" after "dns record" or "records"; "synthetic check" after "synthetic checks"
        if len(words) > 1:
            chosen = [c for c in chosen if _singular(c) not in stems]
        chosen.append(term)
        if len(chosen) >= n:
            break
    return chosen


def _label(top_terms: list[str]) -> str:
    """Up to `LABEL_TERMS` top terms with no word in common, so a label never says a word twice
    ("single view, view changed")."""
    picked: list[str] = []
    seen: set[str] = set()
    for term in top_terms:
        stems = {_singular(w) for w in term.split()}
        if stems & seen:
            continue
        picked.append(term)
        seen |= stems
        if len(picked) >= LABEL_TERMS:
            break
    return ", ".join(picked)


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
        return normalize(sp.csr_matrix((vals, (rows, cols)), shape=(len(cents), len(terms))))

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
    groups: list[str] | np.ndarray | None = None,
    n_themes: int | None = None,
    previous: dict | None = None,
    representable: np.ndarray | None = None,
    display: list[str] | None = None,
    min_theme_size: int | None = None,
    group_vectors: dict[str, np.ndarray] | None = None,
    seed: int = 0,
    person_words: frozenset[str] = frozenset(),
) -> ThemeResult:
    """Cluster factor sentences into themes.

    `groups` names the incident of each text (for co-occurrence); `representable` marks texts
    that may be shown as a theme's representative sentence (False for restricted incidents);
    `display` holds the text to show when the clustered text was rewritten (service names
    masked); `previous` is the state saved by the previous build; `group_vectors` maps an
    incident to a unit vector of its whole postmortem (see `document_vectors`); `person_words`
    are lower-case name words (from action-item owners) that never appear in a label or top terms.
    """
    with threadpool_limits(limits=1):
        return _mine(texts, groups, n_themes, previous, representable, display, min_theme_size, group_vectors, seed, person_words)


def _mine(
    texts, groups, n_themes, previous, representable, display, min_theme_size, group_vectors, seed, person_words
) -> ThemeResult:
    n_texts = len(texts)
    if n_texts == 0:
        return ThemeResult(np.empty(0, dtype=np.int64), np.empty(0), [], 0)
    uniques, counts, inverse = _dedupe(texts)
    n = len(uniques)
    allowed = np.ones(n_texts, dtype=bool) if representable is None else np.asarray(representable, dtype=bool)
    # The text shown for a distinct sentence comes from an occurrence that may be shown.
    first = np.full(n, -1, dtype=np.int64)
    first[inverse[::-1]] = np.arange(n_texts)[::-1]
    ok_idx = np.flatnonzero(allowed)
    first[inverse[ok_idx[::-1]]] = ok_idx[::-1]
    shown_text = [(display or texts)[i] for i in first]
    rep_ok = np.zeros(n, dtype=bool)
    np.logical_or.at(rep_ok, inverse, allowed)

    X, Z, vocab = embed(uniques, seed)
    P = n_patterns_for(n)
    pattern_u, centroids = find_patterns(Z, counts, P, seed)
    P = centroids.shape[0]
    sim_u = np.einsum("ij,ij->i", Z, centroids[pattern_u])
    # A factor with no vocabulary in common with anything (all-zero row) has similarity 0.
    pattern_u[sim_u < UNCLUSTERED_SIMILARITY] = -1
    pattern = pattern_u[inverse]

    A = pattern_affinity(centroids, pattern, None if groups is None else np.asarray(groups, dtype=object), group_vectors)
    theme_of_pattern, k_scores = group_patterns(A, n_themes, seed)
    theme_of_pattern = _drop_orphans(A, theme_of_pattern)
    n_topical = int(theme_of_pattern.max()) + 1 if len(theme_of_pattern) else 0
    if groups is not None and n_themes is None:
        theme_of_pattern = _split_cross_cutting(theme_of_pattern, pattern, np.asarray(groups, dtype=object))
    k = int(theme_of_pattern.max()) + 1 if len(theme_of_pattern) and theme_of_pattern.max() >= 0 else 0
    label_u = np.where(pattern_u >= 0, theme_of_pattern[np.maximum(pattern_u, 0)], -1)

    min_size = min_theme_size if min_theme_size is not None else max(2, int(0.002 * n_texts))
    sizes = np.bincount(label_u[label_u >= 0], weights=counts[label_u >= 0], minlength=k)
    for c in range(k):
        if 0 < sizes[c] < min_size:
            label_u[label_u == c] = -1
            sizes[c] = 0
    live = [c for c in range(k) if sizes[c] > 0]

    # Theme centroids: LSA (for the representative sentence) and TF-IDF terms (labels, ids).
    members = label_u >= 0
    onehot = sp.csr_matrix((counts[members], (label_u[members], np.flatnonzero(members))), shape=(max(k, 1), n))
    lsa_centroids = normalize(np.asarray(onehot @ Z))
    theme_sim_u = np.where(members, np.einsum("ij,ij->i", Z, lsa_centroids[np.maximum(label_u, 0)]), 0.0)
    term_centroids = np.asarray((onehot @ X).todense()) / np.maximum(sizes[:, None], 1) if X.shape[1] else np.zeros((max(k, 1), 0))

    # Labels come from the texts that may be shown (rep_ok), so a restricted incident's own
    # words never name a theme; ids and membership still use every text.
    shown_onehot = onehot @ sp.diags(rep_ok.astype(np.float64))
    shown_sizes = np.asarray(shown_onehot.sum(axis=1)).ravel()
    shown_centroids = (
        np.asarray((shown_onehot @ X).todense()) / np.maximum(shown_sizes[:, None], 1) if X.shape[1] else term_centroids
    )
    label_terms = class_tfidf(shown_centroids, shown_sizes, [c for c in live if shown_sizes[c] > 0])
    new_terms: list[dict[str, float]] = []
    for c in live:
        row = term_centroids[c]
        top = np.argsort(-row, kind="stable")[:CENTROID_TERMS]
        new_terms.append({str(vocab[j]): round(float(row[j]), 6) for j in top if row[j] > 0})
    matched = _match_previous(new_terms, previous)
    next_id = int((previous or {}).get("next_id", 1))
    # Fresh ids: biggest theme first, so a first build reads 1, 2, 3 ... by size.
    order = sorted(range(len(live)), key=lambda i: (-sizes[live[i]], i))
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
        idx = np.flatnonzero(label_u == c)
        shown = idx[rep_ok[idx]]
        rep = shown_text[shown[np.argmax(theme_sim_u[shown])]] if len(shown) else None
        top_terms = _top_terms(label_terms[c], vocab, person_words=person_words) if len(vocab) else []
        label = _label(top_terms) if top_terms else f"theme {ids[c]}"
        themes.append(Theme(ids[c], label, top_terms, rep, int(sizes[c]), new_terms[i], cross_cutting=c >= n_topical))
    themes.sort(key=lambda t: t.theme_id)

    unique_ids = np.array([ids.get(c, UNCLUSTERED) if c >= 0 else UNCLUSTERED for c in label_u], dtype=np.int64)
    n_unclustered = int(counts[unique_ids == UNCLUSTERED].sum())
    if n_unclustered:
        themes.append(Theme(UNCLUSTERED, UNCLUSTERED_LABEL, [], "Factors that resemble no recurring theme.", n_unclustered))
    return ThemeResult(unique_ids[inverse], theme_sim_u[inverse].astype(np.float64), themes, k, P, k_scores)


def document_vectors(X: sp.csr_matrix, seed: int = 0, dims: int = 256) -> np.ndarray:
    """Short dense unit vectors of whole postmortems (a sparse random projection of TF-IDF rows).

    Random projection keeps cosines close (Johnson-Lindenstrauss) at a fraction of the cost
    of an SVD, which matters at 100,000 incidents.
    """
    from sklearn.random_projection import SparseRandomProjection

    if X.shape[1] == 0 or X.shape[0] == 0:
        return np.zeros((X.shape[0], 1), dtype=np.float32)
    proj = SparseRandomProjection(n_components=dims, random_state=seed, dense_output=True)
    return normalize(np.asarray(proj.fit_transform(X), dtype=np.float32))


def refine_by_documents(X: sp.csr_matrix, seed_theme: np.ndarray, n_iter: int = 10) -> np.ndarray:
    """Each incident's main theme from its whole postmortem, seeded by its factors' themes.

    Spherical k-means over the incidents' document vectors (rows of X, L2-normalized), started
    from the centroids of the incidents whose factors put them in each theme. The title,
    trigger, resolution and action items all describe the main failure, so the whole document
    settles the main theme better than a handful of factor sentences; seeding from the factor
    themes keeps the themes (and their ids) the ones mined from the factors. Rows with no
    seed (-1) are assigned too; a row with no terms keeps its seed.
    """
    seed_theme = np.asarray(seed_theme, dtype=np.int64)
    ids = np.unique(seed_theme[seed_theme >= 0])
    if len(ids) == 0 or X.shape[1] == 0:
        return seed_theme.copy()
    col = {t: j for j, t in enumerate(ids)}
    assign = np.array([col.get(t, -1) for t in seed_theme], dtype=np.int64)
    has_terms = np.diff(X.indptr) > 0
    with threadpool_limits(limits=1):
        for _ in range(n_iter):
            ok = assign >= 0
            onehot = sp.csr_matrix((np.ones(int(ok.sum()), dtype=np.float32), (assign[ok], np.flatnonzero(ok))), shape=(len(ids), X.shape[0]))
            centroids = normalize((onehot @ X).toarray())  # dense themes x terms: one fast sparse-dense product
            sims = np.asarray(X @ centroids.T)
            new = np.where(has_terms, sims.argmax(axis=1), assign)
            # A theme that lost every member keeps its seeds rather than vanishing.
            for j in range(len(ids)):
                if not np.any(new == j):
                    new[assign == j] = j
            if np.array_equal(new, assign):
                break
            assign = new
    return np.where(assign >= 0, ids[np.maximum(assign, 0)], -1)


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
