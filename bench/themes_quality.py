"""Quality of failure modes, patterns and related incidents on labelled data, beside plain baselines.

Each data set is built with `hindsight build` (pipelines.build.run.build) after its label fields are
removed from the input, so no label can reach the analysis; the figures are read back from the
published database and the saved related-incident index. The baselines run in the same process on
the very documents the build indexed (its DOCUMENTS_SQL):

  BASELINE kmeans  TF-IDF (scikit-learn defaults: English stop words, sublinear tf) + LSA + KMeans
                   with k = the number of true classes, mean of 5 seeds: what a data scientist tries first.
  BASELINE cosine  cosine of the same plain TF-IDF vectors.

Measures:
  AMI              of each incident's top failure mode (highest weight) and of its pattern in that mode
                   (the mode's Unclustered bucket when it is in none: patterns refine modes) against the
                   primary label. Chance-adjusted: many small clusters score no better than few.
  P@5              share of an incident's 5 best neighbours (among the labelled incidents, never itself)
                   that share a label, by the build's exact related score (text cosine + 0.2 x mode cosine).
  repeats          devset: each `repeat_of` link found in the later write-up's top 5, each near-duplicate
                   pair in both directions, and the repeat_incidents table's recall of the links; generated
                   sample: which incidents repeat_incidents marks as repeats against truth repeat_of,
                   beside "an earlier incident on the same service within 180 days".
  hand labels      devset and danluu rebuilt with their labels written as `failure_mode` fields: the
                   build's cross-validated agreement (accuracy, Cohen's kappa) of classifier and rules.

Sets: the bundled generated sample (data/sample, truth = generator themes); ../shared/devset (46
records, themes, repeat_of); ../shared/corpora/danluu.jsonl (190, the list's sections; 71 labelled,
split into a tune and a held half by a hash of the id); ../shared/corpora/github_status.jsonl (1,282,
component labels, for related incidents only); ../shared/corpora/icco (242, keyword-rule categories:
weak labels, shown for looking, not for judging).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from pipelines.read.repeats import DEFAULT_WINDOW_DAYS as REPEAT_DAYS

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "themes-quality"
SHARED = ROOT.parent / "shared" if (ROOT.parent / "shared").exists() else Path("/work/shared")
DEVSET = SHARED / "devset"
CORPORA = SHARED / "corpora"
SEEDS = (0, 1, 2, 3, 4)
# The devset README lists these near-duplicate write-ups of one incident (not repeats).
NEAR_DUPLICATES = (
    ("2025-04-15-inc-1187-identity-session-store.md", "2025-04-16-gh-identity-session-redis-oom.md"),
    ("2026-03-10-identity-clock-skew-jwt.md", "exports/incidents.jsonl:5"),
    ("2025-06-24-edge-authoritative-dns-outage.md", "exports/incidents.csv:1"),
)


@dataclass
class Record:
    rid: str
    labels: list[str]
    incident_id: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def primary(self) -> str | None:
        return self.labels[0] if self.labels else None

    def half(self) -> str:
        """'tune' or 'held', by a hash of the id: a stable, label-blind split."""
        return "tune" if int(hashlib.sha1(self.rid.encode()).hexdigest(), 16) % 2 == 0 else "held"


@dataclass
class Built:
    records: list[Record]  # the ones the build loaded, in index order
    docs: list[str]
    top_mode: list[str]
    top_pattern: list[str]  # pattern id, or '<mode>: unclustered'
    S: np.ndarray  # the build's exact related score between every two records
    repeats: set[tuple[str, str]]  # (later rid, earlier rid) in repeat_incidents
    info: dict
    seconds: float


def shared_available() -> bool:
    return (DEVSET / "truth.jsonl").exists() and (CORPORA / "danluu.jsonl").exists()


# --------------------------------------------------------------------------- corpora without labels


def _jsonl(src: Path, dst: Path, drop: tuple[str, ...], add: dict[str, dict] | None = None) -> list[dict]:
    rows = [json.loads(x) for x in src.read_text().splitlines() if x.strip()]
    out = []
    for r in rows:
        clean = {k: v for k, v in r.items() if k not in drop}
        clean.update((add or {}).get(r.get("id"), {}))
        out.append(clean)
    dst.write_text("".join(json.dumps(r) + "\n" for r in out))
    return rows


def _icco(dst: Path) -> list[tuple[str, dict]]:
    import yaml

    dst.mkdir(parents=True, exist_ok=True)
    out = []
    for p in sorted((CORPORA / "icco").glob("*.md")):
        raw = p.read_text()
        _, fm, body = raw.split("---\n", 2)
        meta = yaml.safe_load(fm)
        out.append((p.name, dict(meta)))
        for k in ("categories", "keywords", "url", "source_fetched_at"):  # weak labels, tags and provenance
            meta.pop(k, None)
        (dst / p.name).write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body)
    return out


_FRONT = re.compile(r"\A(\ufeff?)---\n")


def _devset_with_labels(dst: Path, truth: list[dict]) -> None:
    """The devset corpus with each record's truth themes written as the authors' own labels."""
    by_file = {t["file"]: t["themes"] for t in truth}
    shutil.copytree(DEVSET / "corpus", dst, dirs_exist_ok=True)
    for p in sorted(dst.glob("*.md")):
        labels = by_file[p.name]
        text = p.read_text(encoding="utf-8-sig") if p.read_bytes()[:3] == b"\xef\xbb\xbf" else p.read_text()
        line = "failure_modes: [" + ", ".join(labels) + "]\n"
        if _FRONT.match(text):
            text = _FRONT.sub(lambda m: m.group(1) + "---\n" + line, text, count=1)
        else:
            text = "---\n" + line + "---\n" + text
        p.write_text(text)
    jl = dst / "exports" / "incidents.jsonl"
    rows = [json.loads(x) for x in jl.read_text().splitlines() if x.strip()]
    for i, r in enumerate(rows, 1):
        r["failure_modes"] = by_file[f"exports/incidents.jsonl:{i}"]
    jl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cf = dst / "exports" / "incidents.csv"
    reader = list(csv.reader(io.StringIO(cf.read_text())))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(reader[0] + ["Failure mode"])
    for i, row in enumerate(reader[1:], 1):
        w.writerow(row + [by_file[f"exports/incidents.csv:{i}"][0]])
    cf.write_text(buf.getvalue())


# --------------------------------------------------------------------------- building and reading back


def build_and_read(name: str, corpus: Path, records: list[Record], key_of) -> Built:
    """Build `corpus`, map each incident to its record (key_of(source_path, incident_id) -> rid)."""
    from pipelines.analysis import related
    from pipelines.build.analyse import DOCUMENTS_SQL
    from pipelines.build.run import build

    db = OUT / f"{name}.duckdb"
    t = time.perf_counter()
    build([corpus], db, jobs=2)
    seconds = time.perf_counter() - t
    con = duckdb.connect(str(db), read_only=True)
    rid_of = {iid: key_of(sp, iid) for iid, sp in con.execute("SELECT incident_id, source_path FROM incidents").fetchall()}
    by_rid = {r.rid: r for r in records}
    for iid, rid in rid_of.items():
        if rid in by_rid:
            by_rid[rid].incident_id = iid
    prefix = con.execute("SELECT value FROM build_info WHERE key = 'artifacts_prefix'").fetchone()[0]
    index = related.load_index(prefix)
    row = {str(i): k for k, i in enumerate(index.incident_ids)}
    kept = [r for r in records if r.incident_id in row]
    rows = np.array([row[r.incident_id] for r in kept])
    X, M = index.X[rows], index.modes[rows]
    S = (X @ X.T).toarray() + related.MODE_WEIGHT * (M @ M.T).toarray()
    docs = dict(con.execute(DOCUMENTS_SQL).fetchall())
    mode = dict(con.execute("SELECT incident_id, arg_max(mode, weight) FROM incident_failure_modes WHERE weight > 0 GROUP BY 1").fetchall())
    # An incident's pattern: the one it is in inside its top mode, else that mode's Unclustered bucket.
    pattern = {(i, m): t for i, m, t in con.execute(
        "SELECT it.incident_id, t.mode, it.theme_id FROM incident_themes it JOIN themes t USING (theme_id) WHERE it.theme_id <> -1"
    ).fetchall()}
    repeats = {(rid_of[a], rid_of[b]) for a, b in con.execute("SELECT incident_id, earlier_incident_id FROM repeat_incidents").fetchall()}
    info = json.loads(con.execute("SELECT value FROM build_info WHERE key = 'failure_modes'").fetchone()[0])
    con.close()
    return Built(
        kept, [docs[r.incident_id] or "" for r in kept], [mode.get(r.incident_id, "none") for r in kept],
        [str(pattern.get((r.incident_id, mode.get(r.incident_id)), f"{mode.get(r.incident_id, 'none')}: unclustered")) for r in kept],
        S, repeats, info, seconds,
    )


# --------------------------------------------------------------------------- baselines and metrics


def plain_tfidf(texts: list[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2 if len(texts) > 100 else 1, max_df=0.9).fit_transform(texts)


def kmeans_ami(X, truth: list, seeds=SEEDS) -> float:
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.metrics import adjusted_mutual_info_score
    from sklearn.preprocessing import normalize
    from threadpoolctl import threadpool_limits

    k = len(set(truth))
    dims = max(2, min(100, X.shape[1] - 1, X.shape[0] - 1))
    vals = []
    with threadpool_limits(1):
        for seed in seeds:
            Z = normalize(TruncatedSVD(dims, random_state=seed).fit_transform(X))
            vals.append(adjusted_mutual_info_score(truth, KMeans(k, n_init=10, random_state=seed).fit_predict(Z)))
    return float(np.mean(vals))


def ami(pred: list, truth: list) -> float:
    from sklearn.metrics import adjusted_mutual_info_score

    return float(adjusted_mutual_info_score(truth, pred))


def cosine(X) -> np.ndarray:
    from sklearn.preprocessing import normalize

    X = normalize(X)
    return np.asarray((X @ X.T).toarray(), dtype=np.float64)


def precision_at_5(S: np.ndarray, rel: list[set], queries: np.ndarray, pool: np.ndarray, k: int = 5) -> float:
    """Mean share of the top-k neighbours (from `pool`, never the query) that share a label."""
    vals = []
    pool_idx = np.flatnonzero(pool)
    for i in np.flatnonzero(queries):
        cand = pool_idx[pool_idx != i]
        top = cand[np.argsort(-S[i, cand], kind="stable")[:k]]
        vals.append(np.mean([bool(rel[i] & rel[j]) for j in top]))
    return float(np.mean(vals)) if vals else float("nan")


def _topk(S: np.ndarray, i: int, k: int = 5) -> list[int]:
    return [j for j in np.argsort(-S[i], kind="stable") if j != i][:k]


def devset_repeats(S: np.ndarray, recs: list[Record]) -> str:
    idx = {r.rid: i for i, r in enumerate(recs)}
    links = [(idx[r.rid], idx[r.extra["repeat_of"]]) for r in recs if r.extra.get("repeat_of") in idx]
    later = sum(j in _topk(S, i) for i, j in links)
    dups = [(idx[a], idx[b]) for a, b in NEAR_DUPLICATES if a in idx and b in idx]
    dup = sum(b in _topk(S, a) for a, b in dups) + sum(a in _topk(S, b) for a, b in dups)
    return f"{later}/{len(links)} repeats, {dup}/{2 * len(dups)} duplicates"


# --------------------------------------------------------------------------- one row per data set


def _ami_row(table: list, name: str, scope: str, mask: np.ndarray, truth: list, built: Built, X_plain) -> None:
    idx = np.flatnonzero(mask)
    t = [truth[i] for i in idx]
    table.append({
        "set": name, "scope": scope, "n": len(t), "classes": len(set(t)),
        "baseline kmeans": kmeans_ami(X_plain[idx], t),
        "failure modes": ami([built.top_mode[i] for i in idx], t),
        "patterns": ami([built.top_pattern[i] for i in idx], t),
    })


def _p5_row(table: list, name: str, scope: str, q: np.ndarray, pool: np.ndarray, rel: list[set], built: Built, base_S, extra: str = "") -> None:
    table.append({
        "set": name, "scope": scope, "n": int(q.sum()),
        "baseline cosine": precision_at_5(base_S, rel, q, pool),
        "hindsight": precision_at_5(built.S, rel, q, pool),
        "repeats": extra,
    })


def run_sample(ami_rows: list, p5_rows: list, notes: list) -> None:
    truth = {t["incident_id"]: t for t in map(json.loads, (ROOT / "data/sample/truth.jsonl").read_text().splitlines())}
    recs = [Record(iid, [t["main_theme"]], extra={"repeat_of": t.get("repeat_of") or [], "services": t["services"],
                                                   "started": t["started_at"] or t["true_started_at"]}) for iid, t in truth.items()]
    built = build_and_read("sample", ROOT / "data/sample/postmortems", recs, lambda sp, iid: iid)
    recs = built.records
    X = plain_tfidf(built.docs)
    _ami_row(ami_rows, "generated sample", "all", np.ones(len(recs), bool), [r.primary for r in recs], built, X)
    allm = np.ones(len(recs), bool)
    _p5_row(p5_rows, "generated sample", "main theme", allm, allm, [{r.primary} for r in recs], built, cosine(X))
    # Which incidents are repeats: repeat_incidents against the generator's repeat_of, beside the
    # plain rule "an earlier incident on the same service within 180 days".
    from datetime import datetime

    want = {r.rid for r in recs if r.extra["repeat_of"]}
    when = {r.rid: datetime.fromisoformat(r.extra["started"]) for r in recs if r.extra["started"]}
    base = {a.rid for a in recs for b in recs if a.rid in when and b.rid in when and a.rid != b.rid
            and set(a.extra["services"]) & set(b.extra["services"]) and 0 <= (when[a.rid] - when[b.rid]).days <= 180
            and (when[b.rid] < when[a.rid] or b.rid < a.rid)}
    got = {later for later, _ in built.repeats}
    notes.append(
        f"generated sample, which incidents repeat an earlier one ({len(want)} in truth, planted within 180 days): "
        f"same failure mode and service within {REPEAT_DAYS} days recall {len(got & want) / max(1, len(want)):.3f}, precision {len(got & want) / max(1, len(got)):.3f}; "
        f"baseline same service within 180 days recall {len(base & want) / max(1, len(want)):.3f}, "
        f"precision {len(base & want) / max(1, len(base)):.3f}"
    )


def _devset_records() -> tuple[list[Record], dict[int, int]]:
    truth = [json.loads(x) for x in (DEVSET / "truth.jsonl").read_text().splitlines() if x.strip()]
    csv_rows: dict[int, int] = {}
    reader = csv.reader(io.StringIO((DEVSET / "corpus" / "exports" / "incidents.csv").read_text()))
    next(reader)
    for i, _ in enumerate(reader, 1):
        csv_rows[reader.line_num] = i  # one-line rows: the line a row ends on is the one it starts on
    recs = [Record(t["file"], list(t["themes"]), extra={"repeat_of": t.get("repeat_of")}) for t in truth]
    return recs, csv_rows


def _devset_key(csv_rows: dict[int, int]):
    def key(sp: str, iid: str) -> str:
        if sp.startswith("exports/incidents.csv:"):
            return f"exports/incidents.csv:{csv_rows[int(sp.rsplit(':', 1)[1])]}"
        return sp
    return key


def run_devset(ami_rows: list, p5_rows: list, agree_rows: list, notes: list) -> None:
    recs, csv_rows = _devset_records()
    built = build_and_read("devset", DEVSET / "corpus", recs, _devset_key(csv_rows))
    recs = built.records
    notes.append(f"devset: {len(recs)} of 46 records loaded (two files share the id INC-2231; the build keeps the first)")
    X = plain_tfidf(built.docs)
    allm = np.ones(len(recs), bool)
    _ami_row(ami_rows, "devset", "all", allm, [r.primary for r in recs], built, X)
    rep = devset_repeats(built.S, recs)
    base = cosine(X)
    _p5_row(p5_rows, "devset", "primary theme", allm, allm, [{r.primary} for r in recs], built, base,
            f"hindsight {rep}; baseline {devset_repeats(base, recs)}")
    _p5_row(p5_rows, "devset", "any theme", allm, allm, [set(r.labels) for r in recs], built, base)
    links = {(r.rid, r.extra["repeat_of"]) for r in recs if r.extra.get("repeat_of")}
    notes.append(f"devset repeat_incidents (same failure mode and service within {REPEAT_DAYS} days) finds {len(links & built.repeats)} of {len(links)} repeat_of links")
    # Hand labels: the same corpus with the truth themes written into each document.
    work = OUT / "devset-labelled"
    shutil.rmtree(work, ignore_errors=True)
    truth = [json.loads(x) for x in (DEVSET / "truth.jsonl").read_text().splitlines() if x.strip()]
    _devset_with_labels(work, truth)
    labelled = build_and_read("devset-labelled", work, _devset_records()[0], _devset_key(csv_rows))
    agree_rows.append(("devset", labelled.info.get("classifier")))


def run_danluu(ami_rows: list, p5_rows: list, agree_rows: list) -> None:
    work = OUT / "danluu"
    work.mkdir(parents=True, exist_ok=True)
    drop = ("labels", "section", "source", "url")
    rows = _jsonl(CORPORA / "danluu.jsonl", work / "danluu.jsonl", drop)
    recs = [Record(r["id"], list(r["labels"])) for r in rows]
    ids = [r["id"] for r in rows]
    built = build_and_read("danluu", work, recs, lambda sp, iid: ids[int(sp.rsplit(":", 1)[1]) - 1])
    recs = built.records
    X = plain_tfidf(built.docs)
    lab = np.array([r.primary != "uncategorized" for r in recs])
    tune = np.array([r.half() == "tune" for r in recs])
    t = [r.primary for r in recs]
    _ami_row(ami_rows, "danluu", "all 190", np.ones(len(recs), bool), t, built, X)
    _ami_row(ami_rows, "danluu", "labelled 71", lab, t, built, X)
    _ami_row(ami_rows, "danluu", "labelled, held half", lab & ~tune, t, built, X)
    base = cosine(X)
    rel = [{r.primary} for r in recs]
    _p5_row(p5_rows, "danluu", "labelled 71", lab, lab, rel, built, base)
    _p5_row(p5_rows, "danluu", "labelled, held half", lab & ~tune, lab, rel, built, base)
    # Hand labels: the list's own sections as each summary's failure_mode field.
    hand = {r["id"]: {"failure_mode": r["labels"][0]} for r in rows if r["labels"][0] != "uncategorized"}
    work2 = OUT / "danluu-labelled"
    work2.mkdir(parents=True, exist_ok=True)
    _jsonl(CORPORA / "danluu.jsonl", work2 / "danluu.jsonl", drop, hand)
    labelled = build_and_read("danluu-labelled", work2, [Record(r["id"], list(r["labels"])) for r in rows],
                              lambda sp, iid: ids[int(sp.rsplit(":", 1)[1]) - 1])
    agree_rows.append(("danluu", labelled.info.get("classifier")))


def run_github(p5_rows: list) -> None:
    work = OUT / "github"
    work.mkdir(parents=True, exist_ok=True)
    rows = _jsonl(CORPORA / "github_status.jsonl", work / "github.jsonl", ("labels", "url"))
    recs = [Record(r["id"], sorted(x.split(":", 1)[1] for x in r["labels"] if x.startswith("component:"))) for r in rows]
    ids = [r["id"] for r in rows]
    built = build_and_read("github", work, recs, lambda sp, iid: ids[int(sp.rsplit(":", 1)[1]) - 1])
    recs = built.records
    has = np.array([bool(r.labels) for r in recs])
    held = np.array([r.half() == "held" for r in recs])
    rel = [set(r.labels) for r in recs]
    base = cosine(plain_tfidf(built.docs))
    _p5_row(p5_rows, "github status", "with a component", has, has, rel, built, base)
    _p5_row(p5_rows, "github status", "held half", has & held, has, rel, built, base)


def run_icco(ami_rows: list, p5_rows: list) -> None:
    work = OUT / "icco"
    shutil.rmtree(work, ignore_errors=True)
    metas = _icco(work)
    recs = [Record(fname, list(m.get("categories") or [])) for fname, m in metas]
    built = build_and_read("icco", work, recs, lambda sp, iid: Path(sp).name)
    recs = built.records
    has = np.array([bool(r.labels) for r in recs])
    X = plain_tfidf(built.docs)
    _ami_row(ami_rows, "icco (weak labels)", "with a category", has, [r.primary for r in recs], built, X)
    _p5_row(p5_rows, "icco (weak labels)", "with a category", has, has, [set(r.labels) for r in recs], built, cosine(X))


# --------------------------------------------------------------------------- report


def _fmt(x) -> str:
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def table(rows: list[dict], cols: list[str]) -> str:
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def run(sets: list[str]) -> str:
    """Every requested set; returns the Markdown report (also written to bench/out/themes-quality/report.md)."""
    OUT.mkdir(parents=True, exist_ok=True)
    ami_rows: list[dict] = []
    p5_rows: list[dict] = []
    agree_rows: list = []
    notes: list[str] = []
    t0 = time.perf_counter()
    if "sample" in sets:
        run_sample(ami_rows, p5_rows, notes)
    if shared_available():
        if "devset" in sets:
            run_devset(ami_rows, p5_rows, agree_rows, notes)
        if "danluu" in sets:
            run_danluu(ami_rows, p5_rows, agree_rows)
        if "github" in sets:
            run_github(p5_rows)
        if "icco" in sets:
            run_icco(ami_rows, p5_rows)
    else:
        notes.append(f"skipped devset, danluu, github and icco: {SHARED} is not there (only the generated sample was measured)")
    for r in ami_rows:
        r["modes - baseline"] = r["failure modes"] - r["baseline kmeans"]
        r["patterns - baseline"] = r["patterns"] - r["baseline kmeans"]
    for r in p5_rows:
        r["gain"] = r["hindsight"] - r["baseline cosine"]
    out = ["## AMI against labels (one cluster per incident)", "",
           table(ami_rows, ["set", "scope", "n", "classes", "baseline kmeans", "failure modes", "modes - baseline", "patterns", "patterns - baseline"]),
           "", "## Related incidents: precision@5 (neighbour shares a label)", "",
           table(p5_rows, ["set", "scope", "n", "baseline cosine", "hindsight", "gain", "repeats"])]
    if agree_rows:
        out += ["", "## Hand labels: cross-validated agreement (build_info 'failure_modes')", "",
                table([{"set": s, **(c or {"used": "no classifier (too few labels)"})} for s, c in agree_rows],
                      ["set", "labelled", "classes", "folds", "rules_accuracy", "rules_kappa", "model_accuracy", "model_kappa", "used"])]
    out += ["", *[f"- {n}" for n in notes], "", f"({time.perf_counter() - t0:.0f} s)"]
    report = "\n".join(out)
    (OUT / "report.md").write_text(report + "\n")
    return report
