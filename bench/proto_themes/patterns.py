"""Recurring patterns inside each failure mode, labelled with a phrase from member sentences.

Per mode: the incidents whose modes include it (top mode, or a score at least half the top),
each represented by its evidence sentences for that mode. Incidents are clustered on the TF-IDF
of that text (average-linkage agglomerative on cosine distance up to a few thousand incidents,
k-means with a similarity floor above that). Clusters with fewer than MIN_SIZE incidents go to
the mode's explicit Unclustered bucket.

Label: the word 2-4-gram, as written in member sentences, that the most member incidents
share, weighted by how specific it is to this pattern (idf over all the mode's incidents), never
starting or ending with a stop word and never a placeholder (hosts, numbers). Examples: two
member sentences containing the label (shortest first), so a reader sees it in context.

    python bench/proto_themes/patterns.py icco       # print the patterns of a data set
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.preprocessing import normalize

sys.path.insert(0, str(Path(__file__).parent))
from modes import Taxonomy, load_taxonomy, score_incident  # noqa: E402

from pipelines.textfeatures import STOP_WORDS, make_vectorizer  # noqa: E402

MIN_SIZE = 2
DISTANCE = 0.9  # cosine distance at which clusters stop merging
AGGLOMERATIVE_MAX = 3000
WINDOW = 4  # words either side of the phrase that fired
_MONTHS = "january february march april may june july august september october november december".split()
_STOP = frozenset(STOP_WORDS) | {"was", "were", "been", "being", "had", "has", "have", "the", "a", "an"} | set(_MONTHS)
_JOINERS = frozenset({"of", "in", "on", "for", "with"})  # the only stop words allowed inside a label
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")


def window(sentence: str, phrase: str, strong: bool = True) -> tuple[str, ...]:
    """The words around the phrase that fired, with the fired words marked by a leading '*':
    what the pattern is about, without the rest of a long sentence (dates, impact, who noticed)."""
    low = sentence.lower()
    at = low.find(phrase.lower())
    if at < 0:
        return tuple(w.lower() for w in _WORD.findall(sentence))
    end = at + len(phrase)
    while at > 0 and sentence[at - 1].isalnum():  # a stem ("cascad") grows to its whole word
        at -= 1
    while end < len(sentence) and sentence[end].isalnum():
        end += 1
    before = _WORD.findall(sentence[:at])[-WINDOW:]
    after = _WORD.findall(sentence[end:])[:WINDOW]
    hit = [("*" if strong else "+") + w for w in _WORD.findall(sentence[at:end])]
    return tuple(w.lower() for w in before + hit + after)


def _text(win: tuple[str, ...]) -> str:
    return " ".join(w.lstrip("*+") for w in win)


@dataclass
class Pattern:
    mode: str
    label: str
    incidents: list[int]
    examples: list[str]


def _phrases(win: tuple[str, ...]) -> set[str]:
    """Candidate labels: 1-4 word n-grams of a window that include a word of the fired phrase."""
    marked = [w[:1] in "*+" for w in win]
    words = [w.lstrip("*+") for w in win]
    out = set()
    for n in (2, 3, 4):  # one word mostly restates the mode ("capacity"): a pattern says more
        for i in range(len(words) - n + 1):
            if not any(marked[i:i + n]):
                continue
            g = words[i:i + n]
            inner = [w for w in g[1:-1] if w in _STOP]
            if len(inner) > 1 or any(w not in _JOINERS for w in inner):
                continue  # "servers to crash", "rollout of the primary" do not read as a name
            if n == 1 and (g[0] in _STOP or len(g[0]) < 4 or not win[i].startswith("*")):
                continue  # one word is a label only when it is a strong phrase ("quorum")
            if g[0] in _STOP or g[-1] in _STOP or len(g[0]) < 3 or len(g[-1]) < 3:
                continue
            out.add(" ".join(g))
    return out


def label_for(member_sents: list[list[str]], all_df: Counter, n_all: int) -> tuple[str, list[str]]:
    df = Counter()
    for sents in member_sents:
        df.update(set().union(*(_phrases(s) for s in sents)) if sents else set())
    if not df:
        return "", []
    n = len(member_sents)

    def score(p: str) -> float:
        share = df[p] / n
        idf = math.log((1 + n_all) / (1 + all_df[p])) + 1
        return share * idf * (1 + 0.15 * (p.count(" ")))  # a longer phrase reads better

    best = max(df, key=lambda p: (df[p] >= min(2, n), score(p), p))
    return best, []


def mode_members(tax: Taxonomy, records, share: float = 0.5) -> dict[str, list[tuple[int, list[str], list[str]]]]:
    """mode -> [(record index, evidence sentences, windows around the phrases that fired)]."""
    out: dict[str, list[tuple[int, list[str]]]] = {}
    for i, r in enumerate(records):
        scores, ev = score_incident(tax, r.sentences)
        if scores.max() <= 0:
            continue
        for j in np.flatnonzero(scores >= share * scores.max()):
            key = tax.modes[j].key
            mine = [e for e in ev if e.mode == key]
            sents = list(dict.fromkeys(e.sentence for e in mine))
            wins = list(dict.fromkeys(window(e.sentence, e.phrase, e.strong) for e in mine))
            out.setdefault(key, []).append((i, sents, wins))
    return out


def cluster_mode(texts: list[str], seed: int = 0) -> np.ndarray:
    if len(texts) < 2:
        return np.zeros(len(texts), dtype=int)
    X = normalize(make_vectorizer(min_df=1, max_df=1.0).fit_transform(texts))
    empty = np.asarray(X.getnnz(axis=1) == 0)  # only stop words or placeholders: nothing to compare
    if empty.any():
        lab = np.full(len(texts), -1)
        if (~empty).sum() >= 2:
            lab[~empty] = cluster_mode([t for t, e in zip(texts, empty) if not e], seed)
        return lab
    if len(texts) <= AGGLOMERATIVE_MAX:
        return AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                       distance_threshold=DISTANCE).fit_predict(X.toarray())
    k = max(2, len(texts) // 25)
    km = KMeans(k, n_init=1, random_state=seed).fit(X)
    lab = km.labels_.copy()
    sim = np.asarray((X.multiply(normalize(km.cluster_centers_)[lab])).sum(axis=1)).ravel()
    lab[sim < 1 - DISTANCE] = -1
    return lab


def _examples(label: str, sents: list[str]) -> list[str]:
    return sorted({s for s in sents if label in " ".join(w.lower() for w in _WORD.findall(s))}, key=len)[:2]


def phrase_patterns(tax: Taxonomy, records, max_per_mode: int = 12) -> tuple[list[Pattern], dict[str, list[int]]]:
    """Phrase first: in each mode, greedily take the phrase (around the fired words) shared by the
    most not-yet-covered incidents, weighted by specificity; its incidents are the pattern. Stops
    when no phrase covers MIN_SIZE new incidents; the rest are the mode's Unclustered."""
    patterns: list[Pattern] = []
    unclustered: dict[str, list[int]] = {}
    for mode, members in mode_members(tax, records).items():
        cand = [set().union(*(_phrases(w) for w in wins)) if wins else set() for _, _, wins in members]
        df = Counter(p for c in cand for p in c)
        n_all = len(members)
        left = set(range(len(members)))
        for _ in range(max_per_mode):
            cover = Counter(p for k in left for p in cand[k] if df[p] >= MIN_SIZE)
            if not cover:
                break

            def score(p: str) -> float:
                return cover[p] * (1 + 0.25 * p.count(" ")) * (math.log((1 + n_all) / (1 + df[p])) + 1) ** 0.5

            best = max(cover, key=lambda p: (score(p), p))
            if cover[best] < MIN_SIZE:
                break
            idx = sorted(k for k in left if best in cand[k])
            left -= set(idx)
            patterns.append(Pattern(mode, best, [members[k][0] for k in idx],
                                    _examples(best, [s for k in idx for s in members[k][1]])))
        if left:
            unclustered[mode] = [members[k][0] for k in sorted(left)]
    patterns.sort(key=lambda p: (-len(p.incidents), p.mode))
    return patterns, unclustered


def find_patterns(tax: Taxonomy, records) -> tuple[list[Pattern], dict[str, list[int]]]:
    """Clustering first: patterns per mode, and each mode's Unclustered incidents."""
    patterns: list[Pattern] = []
    unclustered: dict[str, list[int]] = {}
    for mode, members in mode_members(tax, records).items():
        texts = [" ".join(_text(w) for w in wins) for _, _, wins in members]
        lab = cluster_mode(texts)
        all_df = Counter()
        for _, _, wins in members:
            all_df.update(set().union(*(_phrases(s) for s in wins)) if wins else set())
        for c in sorted(set(lab)):
            idx = [k for k in range(len(members)) if lab[k] == c]
            if c == -1 or len(idx) < MIN_SIZE:
                unclustered.setdefault(mode, []).extend(members[k][0] for k in idx)
                continue
            label, _ = label_for([members[k][2] for k in idx], all_df, len(members))
            ex = _examples(label, [s for k in idx for s in members[k][1]])
            same = next((p for p in patterns if p.mode == mode and p.label == label), None)
            if same:  # two clusters that read the same are one pattern to a reader
                same.incidents += [members[k][0] for k in idx]
            else:
                patterns.append(Pattern(mode, label, [members[k][0] for k in idx], ex))
    patterns.sort(key=lambda p: (-len(p.incidents), p.mode))
    return patterns, unclustered


if __name__ == "__main__":
    from data import load_all

    name = sys.argv[1] if len(sys.argv) > 1 else "icco"
    method = sys.argv[2] if len(sys.argv) > 2 else "phrase"
    recs = load_all()[name]
    tax = load_taxonomy()
    pats, unc = (phrase_patterns if method == "phrase" else find_patterns)(tax, recs)
    names = {m.key: m.name for m in tax.modes}
    print(f"{name}: {len(pats)} patterns, {sum(len(p.incidents) for p in pats)} incident-mode memberships; "
          f"unclustered {sum(len(v) for v in unc.values())}")
    for p in pats:
        print(f"- [{names[p.mode]}] {p.label!r} ({len(p.incidents)} incidents)")
        for e in p.examples:
            print(f"    e.g. {e[:160]}")
