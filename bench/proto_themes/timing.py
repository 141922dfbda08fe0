"""Seconds per step of the prototype on a generated corpus (single thread, like the build).

    hindsight generate --out /tmp/g10k --count 10000
    python bench/proto_themes/timing.py /tmp/g10k/postmortems

Steps: parse (today's parser, one process), rules (failure modes for every incident, with
evidence), self-training (fit + predict on all cause sentences), patterns (phrase-first and
clustering-first), whole-doc and cause TF-IDF, related top-10 for every incident (exact sparse
products in row blocks), hand-label-free everything. Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).parent))
from data import _from_incident  # noqa: E402
from eval import self_trained_scores  # noqa: E402
from modes import load_taxonomy, score_incident  # noqa: E402
from patterns import find_patterns, phrase_patterns  # noqa: E402

from pipelines.parse import parse_file  # noqa: E402
from pipelines.textfeatures import make_vectorizer  # noqa: E402


def top10(X, M=None, w: float = 0.0, block: int = 2000) -> np.ndarray:
    """Top-10 neighbours of every row by X.X^T (+ w * M.M^T), exact, in row blocks."""
    n = X.shape[0]
    out = np.zeros((n, 10), dtype=np.int64)
    XT = X.T.tocsc()
    for a in range(0, n, block):
        S = (X[a:a + block] @ XT).toarray()
        if M is not None and w:
            S += w * (M[a:a + block] @ M.T)
        for k in range(S.shape[0]):
            S[k, a + k] = -1
        out[a:a + block] = np.argpartition(-S, 10, axis=1)[:, :10]
    return out


def main(folder: str) -> None:
    t: dict[str, float] = {}
    cpu: dict[str, float] = {}
    lap = time.perf_counter()
    lap_cpu = time.process_time()

    def mark(name: str) -> None:
        # CPU seconds too: on a shared 2-core machine wall time includes waiting for others
        nonlocal lap, lap_cpu
        now, now_cpu = time.perf_counter(), time.process_time()
        t[name] = round(now - lap, 2)
        cpu[name] = round(now_cpu - lap_cpu, 2)
        print(f"{name}: {t[name]} s wall, {cpu[name]} s CPU", file=sys.stderr, flush=True)
        lap, lap_cpu = now, now_cpu

    recs = []
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file() and p.suffix in (".md", ".json", ".jsonl", ".csv"):
            try:
                pf = parse_file(p.read_bytes(), p.name)
            except Exception:  # noqa: BLE001 - the generator writes a few broken files on purpose
                continue
            recs += [_from_incident(inc, inc.incident_id, "gen") for inc in pf.incidents]
    mark("parse (1 process)")
    with threadpool_limits(1):
        tax = load_taxonomy()
        scores = np.vstack([score_incident(tax, r.sentences)[0] for r in recs])
        mark("rules: modes + evidence")
        self_trained_scores(tax, recs, 0.5, None, only_missed=False)
        mark("self-trained LR (fit+predict)")
        phrase_patterns(tax, recs)
        mark("patterns: phrase-first")
        find_patterns(tax, recs)
        mark("patterns: clustering-first")
        Xd = normalize(make_vectorizer(min_df=2, max_df=0.5).fit_transform([r.text for r in recs]))
        mark("tfidf whole doc")
        Xc = normalize(make_vectorizer(min_df=2, max_df=0.5).fit_transform([r.cause_text or r.text for r in recs]))
        mark("tfidf cause text")
        M = normalize(np.sqrt(scores))
        top10(Xd, M, 0.2)
        mark("related top-10: doc + 0.2 modes (exact)")
    n_sent = sum(len(r.sentences) for r in recs)
    print(json.dumps({"incidents": len(recs), "cause_sentences": n_sent, "seconds": t, "cpu_seconds": cpu,
                      "fast_rules": __import__("modes").FAST,
                      "total_after_parse": round(sum(v for k, v in t.items() if not k.startswith("parse")), 2)}))


if __name__ == "__main__":
    main(sys.argv[1])
