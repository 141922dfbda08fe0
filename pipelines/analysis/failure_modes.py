"""Failure modes per incident: transparent rules (failure_modes.toml), hand labels, and a classifier.

Rules. Each cause sentence scores, per mode, the taxonomy's strong or weak weight when one of
the mode's phrases matches, times the weight of where the sentence came from; a sentence that
denies a cause ("DNS was ruled out") scores nothing. An incident's mode score is the sum over its
sentences times the class's primary_weight (failure_modes.toml explains the numbers). Its modes
are the top mode and every mode scoring at least MEMBER_SHARE of it; their `weight` is their
share of the member scores (it sums to 1). The sentences that scored are the evidence, best
first, with the phrase that fired, so a reviewer can see why and disagree.

Hand labels win. An incident whose postmortem names its failure modes (mapped through the
taxonomy's aliases) gets exactly those, source `hand`, equal weights, with the rules' sentences
for those modes as evidence.

Classifier. With hand labels on at least MIN_HAND_LABELS incidents, a logistic regression on the
rule scores plus TF-IDF of the cause text is cross-validated against the hand labels (primary
label: the first one written), and so are the rules' top modes. Its predictions fill the
incidents without hand labels (source `model`) only when its Cohen's kappa beats the rules';
otherwise the rules stay. Both figures go in the build's info, so a team sees how far the tool
agrees with its own coders (the tool as a second rater, as learning-from-incidents practice
checks inter-rater agreement).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from pipelines.analysis.taxonomy import Taxonomy

MEMBER_SHARE = 0.5  # a mode is one of an incident's modes when it scores at least this share of the top
MAX_EVIDENCE = 3  # sentences kept per incident and mode
MIN_HAND_LABELS = 20  # hand-labelled incidents needed before a classifier is trained
MIN_CLASS_EXAMPLES = 2
CV_FOLDS = 5
LOO_BELOW = 50  # fewer labelled incidents than this: leave-one-out instead of k folds
SOURCES = ("hand", "rules", "model")

Hits = tuple[tuple[int, float, str], ...]  # (mode index, raw weight, phrase) per mode that matched


@dataclass(frozen=True)
class Evidence:
    mode: int  # index into taxonomy.modes
    sentence: str
    phrase: str  # what fired, as matched (lower case)
    score: float
    strong: bool
    where: str = "prose"  # the section kind it came from, "prose" or "tags"


@dataclass
class IncidentModes:
    """One incident's modes: every mode that scored (members have weight > 0)."""

    incident_id: str
    source: str  # hand | rules | model (for its member modes)
    scores: dict[int, float]  # mode index -> score
    weights: dict[int, float]  # member mode index -> share, sums to 1 (empty: no mode)
    evidence: dict[int, list[Evidence]]  # mode index -> best sentences first

    @property
    def top(self) -> int | None:
        return max(self.weights, key=lambda j: (self.weights[j], self.scores.get(j, 0.0), -j)) if self.weights else None


@dataclass
class ClassifierReport:
    labelled: int  # incidents with a known hand label
    classes: int
    folds: str  # "leave-one-out" or "5-fold"
    model_accuracy: float
    model_kappa: float
    rules_accuracy: float
    rules_kappa: float
    used: str  # "model" or "rules"

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass
class ModeResult:
    incidents: list[IncidentModes]
    rule_scores: np.ndarray  # incidents x modes, the rules alone (hand labels ignored)
    # Per incident, per input sentence (in input order): its best mode by the rules, or None.
    sentence_modes: list[list[int | None]] = field(default_factory=list)
    hand_labelled: int = 0
    unknown_labels: dict[str, int] = field(default_factory=dict)  # hand labels no alias knows -> count
    classifier: ClassifierReport | None = None

    def info(self) -> dict:
        """What the build records about this step (build_info 'failure_modes')."""
        by_source: dict[str, int] = {}
        for inc in self.incidents:
            if inc.weights:
                by_source[inc.source] = by_source.get(inc.source, 0) + 1
        return {
            "incidents": len(self.incidents),
            "with_modes": sum(1 for i in self.incidents if i.weights),
            "by_source": by_source,
            "hand_labelled": self.hand_labelled,
            "unknown_hand_labels": dict(sorted(self.unknown_labels.items(), key=lambda kv: (-kv[1], kv[0]))[:20]),
            "classifier": self.classifier.as_dict() if self.classifier else None,
        }


# --------------------------------------------------------------------------- rules


_WORD_START = re.compile(r"\w+")


@lru_cache(maxsize=4096)
def _union(tax: Taxonomy, j: int, strength: int, which: int) -> re.Pattern[str]:
    """Some of one mode's strong (0) or weak (1) phrases (bit i of `which`: phrase i) as one
    pattern, in the taxonomy's order: at the leftmost match the first phrase listed wins, as it
    does in the mode's full pattern."""
    phrases = tax.phrases_of(j, strength)
    chosen = [phrases[i] for i in range(len(phrases)) if which >> i & 1]
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in chosen) + ")")


@dataclass(frozen=True)
class _PhraseBits:
    """tax.by_start as bits, for the scorer's hot loop: every (mode, strength, phrase) has one bit
    of a big integer, at offset[mode * 2 + strength] + phrase index; a word start maps to the OR
    of its phrases' bits and of its slots' bits (bit mode * 2 + strength). A sentence ORs one
    pair per word start instead of inserting every phrase into sets."""

    by_start: dict[str, tuple[int, int]]  # word start -> (phrase bits, slot bits)
    anywhere: tuple[int, int]  # the phrases that need no particular word
    offset: tuple[int, ...]  # per slot
    width: tuple[int, ...]  # per slot: its phrase count's mask


@lru_cache(maxsize=8)
def _phrase_bits(tax: Taxonomy) -> _PhraseBits:
    offset, width, at = [], [], 0
    for m in tax.modes:
        for phrases in (m.strong_phrases, m.weak_phrases):
            offset.append(at)
            width.append((1 << len(phrases)) - 1)
            at += len(phrases)

    def bits(entries) -> tuple[int, int]:
        phrases = slots = 0
        for j, strength, i in entries:
            phrases |= 1 << (offset[j * 2 + strength] + i)
            slots |= 1 << (j * 2 + strength)
        return phrases, slots

    return _PhraseBits({k: bits(v) for k, v in tax.by_start.items()}, bits(tax.anywhere), tuple(offset), tuple(width))


def sentence_hits(tax: Taxonomy, sentence: str) -> Hits:
    """(mode index, raw weight, phrase) for each mode whose phrases match one sentence: a strong
    phrase gives the strong weight, else a weak one the weak weight."""
    return _sentence_hits(tax, sentence)


@lru_cache(maxsize=1 << 17)  # templates and copy-paste repeat sentences: score each once
def _sentence_hits(tax: Taxonomy, sentence: str) -> Hits:
    return score_one(tax, sentence)


def score_one(tax: Taxonomy, sentence: str) -> Hits:
    """sentence_hits without the cache (sentence_pool's workers score distinct sentences)."""
    low = sentence.lower()
    if tax.negation is not None and tax.negation.search(low):
        return ()
    # Only the phrases whose required word starts occur can match (taxonomy.phrase_keys): search
    # those, a few short patterns instead of every mode's long ones. Exactly the same matches.
    index = _phrase_bits(tax)
    by_start, offset, width = index.by_start, index.offset, index.width
    phrases, slots = index.anywhere
    words = set(_WORD_START.findall(low))
    for k in {w[:3] for w in words} | {w[:2] for w in words}:
        found = by_start.get(k)
        if found:
            phrases |= found[0]
            slots |= found[1]
    out = []
    strong_weight, weak_weight = tax.strong_weight, tax.weak_weight
    last = -1
    while slots:  # lowest slot first: mode by mode, strong (even slot) before weak
        low_bit = slots & -slots
        slots ^= low_bit
        slot = low_bit.bit_length() - 1
        j = slot >> 1
        if j == last:
            continue  # its strong phrases already matched
        hit = _union(tax, j, slot & 1, phrases >> offset[slot] & width[slot]).search(low)
        if hit:
            out.append((j, weak_weight if slot & 1 else strong_weight, hit.group(0)))
            last = j
    return tuple(out)


def score_sentences(
    tax: Taxonomy, sentences: list[tuple[str, str]], hits: Mapping[str, Hits] | None = None
) -> tuple[np.ndarray, list[Evidence]]:
    """(score per mode, evidence best first) for one incident's (sentence, where) pairs.

    `hits`: every sentence's sentence_hits, already computed (sentence_pool), else they are
    computed here."""
    scores = np.zeros(len(tax.modes))
    evidence: list[Evidence] = []
    for sentence, where in sentences:
        sw = tax.section_weight_of(where)
        if sw <= 0:
            continue
        for j, raw, phrase in hits[sentence] if hits is not None else sentence_hits(tax, sentence):
            if where == "tags" and raw < tax.strong_weight:
                # A tag list names products and areas ("Dashboard", "API", "Access"): only a strong
                # phrase ("dns", "certificate expiry") says how something failed.
                continue
            s = raw * sw * tax.modes[j].primary_weight
            scores[j] += s
            evidence.append(Evidence(j, sentence, phrase, s, raw >= tax.strong_weight, where))
    evidence.sort(key=lambda e: -e.score)  # stable: document order among equals
    return scores, evidence


def best_mode(tax: Taxonomy, sentence: str, hits: Mapping[str, Hits] | None = None) -> int | None:
    """The mode a single sentence is most about (strong before weak, then primary weight; ties: the
    mode listed first), or None. `hits` as in score_sentences."""
    found = hits[sentence] if hits is not None else sentence_hits(tax, sentence)
    if not found:
        return None
    return max(found, key=lambda h: (h[1] * tax.modes[h[0]].primary_weight, -h[0]))[0]


def clear_caches() -> None:
    """Forget cached sentence scores (a long-lived process builds many corpora)."""
    _sentence_hits.cache_clear()
    _union.cache_clear()


def members_of(scores: np.ndarray) -> dict[int, float]:
    """Member modes and their shares: the top mode and every mode with at least MEMBER_SHARE of its score."""
    top = float(scores.max()) if len(scores) else 0.0
    if top <= 0:
        return {}
    idx = np.flatnonzero(scores >= MEMBER_SHARE * top)
    total = float(scores[idx].sum())
    return {int(j): float(scores[j]) / total for j in idx}


def _evidence_by_mode(evidence: list[Evidence]) -> dict[int, list[Evidence]]:
    out: dict[int, list[Evidence]] = {}
    for e in evidence:
        mine = out.setdefault(e.mode, [])
        if len(mine) < MAX_EVIDENCE and all(x.sentence != e.sentence for x in mine):
            mine.append(e)
    return out


def top_modes(tax: Taxonomy, scores: np.ndarray) -> list[str]:
    """One mode key per row (ties: the mode listed first); no phrase matched -> 'none'."""
    idx = scores.argmax(axis=1) if scores.size else np.zeros(len(scores), dtype=int)
    return [tax.modes[j].key if scores[r, j] > 0 else "none" for r, j in enumerate(idx)]


# --------------------------------------------------------------------------- hand labels


def hand_modes(tax: Taxonomy, labels: list[str], unknown: dict[str, int] | None = None) -> list[int]:
    """Mode indices named by hand labels (first written first), through the aliases."""
    keys = tax.keys
    out: list[int] = []
    for label in labels:
        key = tax.mode_for_label(label)
        if key is None:
            if unknown is not None and str(label).strip():
                unknown[str(label).strip()] = unknown.get(str(label).strip(), 0) + 1
            continue
        j = keys.index(key)
        if j not in out:
            out.append(j)
    return out


# --------------------------------------------------------------------------- classifier


def _features(rule_scores: np.ndarray, cause_texts: list[str], vectorizer=None):
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    from pipelines.analysis.textfeatures import make_vectorizer

    if vectorizer is None:
        vectorizer = make_vectorizer(min_df=1, max_df=0.9)
        text = vectorizer.fit_transform(cause_texts)
    else:
        text = vectorizer.transform(cause_texts)
    rules = sp.csr_matrix(normalize(np.sqrt(np.maximum(rule_scores, 0))))
    return sp.hstack([text, rules]).tocsr(), vectorizer


def _model(seed: int):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=4.0, max_iter=3000, class_weight="balanced", random_state=seed)


def evaluate_classifier(
    tax: Taxonomy, rule_scores: np.ndarray, cause_texts: list[str], y: list[str], seed: int = 0
) -> ClassifierReport | None:
    """Cross-validated agreement with the hand labels `y` (mode keys), of the classifier and of the rules.

    None when there are too few labels (MIN_HAND_LABELS) or fewer than two modes among them.
    The vectorizer is fitted on every labelled text, unsupervised, so no label leaks across folds.
    """
    from sklearn.metrics import accuracy_score, cohen_kappa_score
    from sklearn.model_selection import KFold, LeaveOneOut, cross_val_predict

    n = len(y)
    counts = pd.Series(y).value_counts()
    if n < MIN_HAND_LABELS or (counts >= MIN_CLASS_EXAMPLES).sum() < 2:
        return None
    X, _ = _features(rule_scores, cause_texts)
    cv = LeaveOneOut() if n < LOO_BELOW else KFold(CV_FOLDS, shuffle=True, random_state=seed)
    predicted = cross_val_predict(_model(seed), X, np.asarray(y), cv=cv)
    rules = top_modes(tax, rule_scores)
    model_kappa = float(cohen_kappa_score(y, predicted))
    rules_kappa = float(cohen_kappa_score(y, rules))
    return ClassifierReport(
        labelled=n,
        classes=int(len(counts)),
        folds="leave-one-out" if n < LOO_BELOW else f"{CV_FOLDS}-fold",
        model_accuracy=float(accuracy_score(y, predicted)),
        model_kappa=model_kappa,
        rules_accuracy=float(accuracy_score(y, rules)),
        rules_kappa=rules_kappa,
        used="model" if model_kappa > rules_kappa else "rules",
    )


def _predict(
    tax: Taxonomy,
    rule_scores: np.ndarray,
    cause_texts: list[str],
    train: np.ndarray,
    y: list[str],
    target: np.ndarray,
    seed: int,
) -> np.ndarray:
    """Class probabilities (target rows x modes, 0 for modes never labelled) from a model fitted on `train`."""
    X_train, vectorizer = _features(rule_scores[train], [cause_texts[i] for i in train])
    model = _model(seed).fit(X_train, np.asarray(y))
    X_target, _ = _features(rule_scores[target], [cause_texts[i] for i in target], vectorizer)
    proba = model.predict_proba(X_target)
    out = np.zeros((len(target), len(tax.modes)))
    keys = tax.keys
    for c, key in enumerate(model.classes_):
        out[:, keys.index(key)] = proba[:, c]
    return out


# --------------------------------------------------------------------------- all together


def assign_modes(
    tax: Taxonomy,
    incident_ids: list[str],
    sentences: list[list[tuple[str, str]]],
    hand_labels: list[list[str]] | None = None,
    *,
    seed: int = 0,
    hits: Mapping[str, Hits] | None = None,
) -> ModeResult:
    """Every incident's failure modes.

    `sentences[i]` are incident i's (sentence, where) pairs, where = the section kind it came
    from (root_cause, trigger, what_went_poorly), `prose` or `tags`; `hand_labels[i]` the labels
    its postmortem wrote (empty when none). `hits`: every sentence's sentence_hits, computed
    ahead (sentence_pool.hits_table scores them in worker processes); the result is the same.
    """
    n = len(incident_ids)
    hand_labels = hand_labels or [[] for _ in range(n)]
    unknown: dict[str, int] = {}
    rule_scores = np.zeros((n, len(tax.modes)))
    evidence: list[dict[int, list[Evidence]]] = []
    best: list[list[int | None]] = []
    for i, sents in enumerate(sentences):
        rule_scores[i], ev = score_sentences(tax, sents, hits)
        evidence.append(_evidence_by_mode(ev))
        best.append([best_mode(tax, s, hits) for s, _ in sents])
    hand = [hand_modes(tax, labels, unknown) for labels in hand_labels]
    labelled = np.array([bool(h) for h in hand])

    report = None
    model_proba: dict[int, np.ndarray] = {}
    if labelled.sum() >= MIN_HAND_LABELS:
        rows = np.flatnonzero(labelled)
        y = [tax.modes[hand[i][0]].key for i in rows]
        texts = [" ".join(s for s, _ in sents) for sents in sentences]
        report = evaluate_classifier(tax, rule_scores[rows], [texts[i] for i in rows], y, seed)
        if report is not None and report.used == "model" and (~labelled).any():
            target = np.flatnonzero(~labelled)
            proba = _predict(tax, rule_scores, texts, rows, y, target, seed)
            model_proba = {int(i): p for i, p in zip(target, proba)}

    out: list[IncidentModes] = []
    for i, iid in enumerate(incident_ids):
        ev = evidence[i]
        if hand[i]:
            share = 1.0 / len(hand[i])
            out.append(
                IncidentModes(
                    iid, "hand", {j: 1.0 for j in hand[i]}, {j: share for j in hand[i]}, {j: ev.get(j, []) for j in hand[i]}
                )
            )
        elif i in model_proba:
            p = model_proba[i]
            weights = members_of(p)
            out.append(IncidentModes(iid, "model", {j: float(p[j]) for j in weights}, weights, {j: ev.get(j, []) for j in weights}))
        else:
            scores = rule_scores[i]
            fired = {int(j): float(scores[j]) for j in np.flatnonzero(scores > 0)}
            out.append(IncidentModes(iid, "rules", fired, members_of(scores), {j: ev.get(j, []) for j in fired}))
    return ModeResult(out, rule_scores, best, int(labelled.sum()), unknown, report)


def mode_rows(tax: Taxonomy, result: ModeResult):
    """incident_failure_modes rows as an Arrow table: incident_id, mode, score, weight, source,
    evidence (sentences), phrases. Arrow, because list columns convert to DuckDB several times
    faster from it than from pandas objects."""
    import pyarrow as pa

    cols: dict[str, list] = {k: [] for k in ("incident_id", "mode", "score", "weight", "source", "evidence", "phrases")}
    keys = tax.keys
    for inc in result.incidents:
        weights, scores = inc.weights, inc.scores
        order = sorted(scores, key=lambda j: (-weights.get(j, 0.0), -scores[j], j)) if len(scores) > 1 else list(scores)
        for j in order:
            ev = inc.evidence.get(j, ())
            cols["incident_id"].append(inc.incident_id)
            cols["mode"].append(keys[j])
            cols["score"].append(round(float(scores[j]), 6))
            cols["weight"].append(round(float(weights.get(j, 0.0)), 6))
            cols["source"].append(inc.source if j in weights else "rules")
            cols["evidence"].append([e.sentence for e in ev])
            cols["phrases"].append([e.phrase for e in ev])
    text, texts = pa.string(), pa.list_(pa.string())
    types = {"incident_id": text, "mode": text, "score": pa.float64(), "weight": pa.float64(), "source": text,
             "evidence": texts, "phrases": texts}
    return pa.table({k: pa.array(v, type=types[k]) for k, v in cols.items()})


def mode_vectors(tax: Taxonomy, result: ModeResult) -> np.ndarray:
    """incidents x modes, each row sqrt(score) L2-normalized: the related-incident mode term.

    The square root tempers a mode that fires on many sentences of one long postmortem.
    """
    M = np.zeros((len(result.incidents), len(tax.modes)), dtype=np.float32)
    for r, inc in enumerate(result.incidents):
        for j, s in inc.scores.items():
            M[r, j] = np.sqrt(max(s, 0.0))
    norms = np.linalg.norm(M, axis=1, keepdims=True)
    return M / np.where(norms > 0, norms, 1.0)
