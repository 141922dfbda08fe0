"""Scaling benchmark: seconds, CPU seconds and peak memory per stage for growing corpora.

For each size N (default 1,000 / 10,000 / 30,000 / 100,000 incidents) it takes a corpus from
`hindsight generate` (cached under bench/out/, the same folders bench/ingest.py uses) and runs,
each in a fresh child process:

  1. the ingest half of `hindsight build` (`build(..., analysis=False, jobs=1)`): parse and lint
     every file in this one process (jobs=1, so all parse and lint CPU is counted here; a real
     build spreads it over the cores), then load, resolve and publish;
  2. the analysis half on a copy of that database (`pipelines.build.analyse.run`, exactly what
     `hindsight build` runs after loading).

Stages reported: parse, lint, load (load + resolve + duplicates + checkpoint + publish),
failure modes and patterns (reading sentences, scoring modes, patterns, repeats) and related
index (TF-IDF of whole documents, top-10 neighbours, saving the index). Per stage:

  * wall seconds and CPU seconds (process user + system time between stage boundaries, plus
    that of the analysis's worker processes, reaped inside their stage; lint is
    timed per call inside the parse loop and subtracted from parse);
  * peak RSS during the stage: the kernel's high-water mark (VmHWM) is reset at each stage
    boundary through /proc/self/clear_refs, so each figure is that stage's own peak (it includes
    what earlier stages left resident). Lint runs inside the parse loop, so it shares parse's peak;
  * the growth exponent of CPU seconds from the previous size: CPU ~ N^k (1.0 = linear).

CPU seconds are the figure to compare: the reference machine has 2 cores shared with other jobs,
so wall time includes waiting; the load average is printed with every run.

Target (issue 14): 100,000 incidents analysed (failure modes, patterns and related index) in
<= 180 s with < 4 GB peak.

    python bench/scaling.py                         # 1k, 10k, 30k, 100k (about 30 min)
    python bench/scaling.py --sizes 1000 10000      # a quick subset
    python bench/scaling.py --sizes 100000 --table-only   # print the table from cached results
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
SIZES = (1_000, 10_000, 30_000, 100_000)
TARGET_ANALYSIS_SECONDS = 180.0
TARGET_PEAK_GB = 4.0
STAGES = ("parse", "lint", "load", "failure modes + patterns", "related index")
# Which recorded laps make up each reported stage (names from build/run.py and build/analyse.py).
LAPS = {
    "load": ("hash", "load", "resolve", "analysis", "publish"),
    "failure modes + patterns": ("read", "failure_modes", "patterns", "repeats"),
    "related index": ("documents", "related", "save"),
}


# --------------------------------------------------------------------------- measuring


def _hwm_kib() -> int:
    """This process's peak resident set since the last reset (VmHWM), KiB."""
    return int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1))


def _reset_hwm() -> None:
    # Writing 5 resets the peak RSS to the current RSS (Linux >= 4.0).
    Path("/proc/self/clear_refs").write_text("5")


def _cpu() -> float:
    """CPU seconds of this process and of its finished children: the analysis's
    worker processes (pipelines/analysis/forked.py) are reaped when their pool closes,
    inside the stage that used them, so their CPU is counted in that stage."""
    return time.process_time() + _workers_cpu()


def _workers_cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def _workers_peak_kib() -> int:
    """The largest peak RSS of any finished child (a worker's RSS includes the pages it shares
    with the parent after fork, so this overstates what it adds)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


class StageRecorder(dict):
    """A timings dict that also records CPU seconds and peak RSS of every stage written to it.

    build/run.py and build/analyse.py write `timings[name] = wall seconds` at the end of each
    stage; at that moment this records the CPU used and the RSS high-water mark since the
    previous stage ended, then resets the mark for the next stage.
    """

    def __init__(self) -> None:
        super().__init__()
        self.cpu: dict[str, float] = {}
        self.workers_cpu: dict[str, float] = {}
        self.peak_kib: dict[str, int] = {}
        self._cpu0 = _cpu()
        self._workers0 = _workers_cpu()
        _reset_hwm()

    def __setitem__(self, name: str, seconds: float) -> None:
        now = _cpu()
        self.cpu[name] = self.cpu.get(name, 0.0) + now - self._cpu0
        self.workers_cpu[name] = self.workers_cpu.get(name, 0.0) + _workers_cpu() - self._workers0
        self.peak_kib[name] = max(self.peak_kib.get(name, 0), _hwm_kib())
        super().__setitem__(name, seconds)
        self._cpu0 = _cpu()
        self._workers0 = _workers_cpu()
        _reset_hwm()

    def as_json(self) -> dict:
        return {"wall": dict(self), "cpu": self.cpu, "workers_cpu": self.workers_cpu, "peak_kib": self.peak_kib,
                "workers_peak_kib": _workers_peak_kib()}


def child_ingest(corpus: str, db: str) -> None:
    """Parse (jobs=1, lint timed apart) and load `corpus` into `db`, without analysis."""
    from pipelines.build import parse_pool, run

    lint = {"cpu": 0.0, "wall": 0.0, "calls": 0}

    def timed_linter():
        inner = real_linter()
        if inner is None:
            return None

        def lint_incident(inc):
            c, t = _cpu(), time.perf_counter()
            try:
                return inner(inc)
            finally:
                lint["cpu"] += _cpu() - c
                lint["wall"] += time.perf_counter() - t
                lint["calls"] += 1

        return lint_incident

    real_linter = parse_pool._linter
    parse_pool._linter = timed_linter
    recorder = StageRecorder()

    class Laps(run._Laps):
        def __init__(self) -> None:
            super().__init__()
            self.times = recorder

    run._Laps = Laps
    result = run.build([Path(corpus)], Path(db), analysis=False, jobs=1)
    print(json.dumps({"stages": recorder.as_json(), "lint": lint, "incidents": result.incidents_loaded, "files": result.files_seen}))


def child_analysis(db: str) -> None:
    """The analysis step of a build on a database loaded without it."""
    import duckdb

    from pipelines.build import analyse

    recorder = StageRecorder()
    con = duckdb.connect(db)
    t = time.perf_counter()
    analyse.run(con, Path(f"{db}.bench"), timings=recorder)
    total = time.perf_counter() - t
    factors = con.execute("SELECT count(*) FROM contributing_factors").fetchone()[0]
    con.close()
    print(json.dumps({"stages": recorder.as_json(), "seconds": total, "factors": factors, "cpus": os.cpu_count()}))


def run_child(args: list[str]) -> dict:
    """Run this file with `args` in a fresh process; its JSON plus wall, CPU, peak and load average."""
    load_before = os.getloadavg()[0]
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child {args} failed")
    res = json.loads(out.strip().splitlines()[-1])
    res["process"] = {
        "wall": time.perf_counter() - t,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_kib": usage.ru_maxrss,
        "load_average": [load_before, os.getloadavg()[0]],
    }
    return res


# --------------------------------------------------------------------------- one size


def measure(n: int, seed: int, label: str = "", analysis_only: bool = False, replicate: bool = False) -> dict:
    from bench.ingest import corpus_for

    db = OUT / f"scaling-{n}.duckdb"
    ingest_json = OUT / f"scaling-{n}.ingest.json"
    if replicate and n > 10_000:
        # The 10,000 database copied n / 10,000 times (bench/themes.py replicated_db): no parse
        # or load to measure, the analysis sees n incidents.
        from bench.themes import replicated_db

        if not (OUT / "scaling-10000.duckdb").exists():
            raise SystemExit("--replicate copies bench/out/scaling-10000.duckdb: run --sizes 10000 first")
        db = replicated_db(OUT / "scaling-10000.duckdb", n // 10_000)
        ingest = None
    elif analysis_only and db.exists() and ingest_json.exists():
        # The ingest half is not what changed: reuse its database and figures.
        ingest = json.loads(ingest_json.read_text())
    else:
        corpus = corpus_for(n, seed)
        for old in OUT.glob(f"scaling-{n}.duckdb*"):
            if old.is_file():
                old.unlink()
        print(f"== {n:,} incidents: ingest (parse jobs=1) ...", flush=True)
        ingest = run_child(["--child-ingest", str(corpus), str(db)])
        ingest_json.write_text(json.dumps(ingest, indent=2))
    print(f"== {n:,} incidents: analysis ...", flush=True)
    work = OUT / f"scaling-{n}{label}-analysed.duckdb"
    for old in OUT.glob(f"scaling-{n}{label}-analysed.duckdb*"):
        if old.is_file():
            old.unlink()
    shutil.copy(db, work)
    analysis = run_child(["--child-analysis", str(work)])
    stages = _stages(ingest, analysis)
    result = {
        "size": n,
        "seed": seed,
        "replicated": ingest is None,
        "incidents": ingest["incidents"] if ingest else n,
        "files": ingest["files"] if ingest else None,
        "factors": analysis["factors"],
        "stages": stages,
        "analysis": {
            "wall": analysis["seconds"],
            "cpu": sum(stages[s]["cpu"] for s in ("failure modes + patterns", "related index")),
            # Each stage reset the high-water mark, so the process peak is the largest stage peak.
            "peak_kib": max([analysis["process"]["peak_kib"], *analysis["stages"]["peak_kib"].values()]),
            "process": analysis["process"],
        },
        "ingest_process": ingest["process"] if ingest else None,
        "raw": {"ingest": ingest and ingest["stages"], "analysis": analysis["stages"], "lint": ingest and ingest["lint"]},
        "cpus": os.cpu_count(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    (OUT / f"scaling-{n}{label}.json").write_text(json.dumps(result, indent=2))
    return result


def _stages(ingest: dict | None, analysis: dict) -> dict[str, dict | None]:
    ana = analysis["stages"]

    def total(rec: dict, laps: tuple[str, ...]) -> dict:
        present = [lap for lap in laps if lap in rec["wall"]]
        return {
            "wall": sum(rec["wall"][lap] for lap in present),
            "cpu": sum(rec["cpu"][lap] for lap in present),
            "peak_kib": max((rec["peak_kib"][lap] for lap in present), default=0),
        }

    modes, related = total(ana, LAPS["failure modes + patterns"]), total(ana, LAPS["related index"])
    if ingest is None:
        return {"parse": None, "lint": None, "load": None, "failure modes + patterns": modes, "related index": related}
    ing, lint = ingest["stages"], ingest["lint"]
    parse = total(ing, ("parse",))
    return {
        "parse": {"wall": parse["wall"] - lint["wall"], "cpu": parse["cpu"] - lint["cpu"], "peak_kib": parse["peak_kib"]},
        "lint": {"wall": lint["wall"], "cpu": lint["cpu"], "peak_kib": None},
        "load": total(ing, LAPS["load"]),
        "failure modes + patterns": modes,
        "related index": related,
    }


# --------------------------------------------------------------------------- report


def _exponent(a: float, b: float, na: int, nb: int) -> str:
    if a <= 0.05 or b <= 0.05:  # too small to say anything
        return ""
    return f"{math.log(b / a) / math.log(nb / na):.2f}"


def table(results: list[dict]) -> str:
    results = sorted(results, key=lambda r: r["size"])
    lines = [
        "| incidents | stage | wall s | CPU s | peak RSS | CPU growth k (N^k; replicated: from 10,000) |",
        "|---|---|---|---|---|---|",
    ]
    by_size = {r["size"]: r for r in results if not r.get("replicated")}
    last = None
    for r in results:
        # A replicated size grows from its source, the 10,000 corpus, not from the size before it.
        prev = by_size.get(10_000) if r.get("replicated") else last
        for stage in STAGES:
            s = r["stages"][stage]
            if s is None:
                lines.append(f"| {r['size']:,} | {stage} | not measured (replicated corpus) | | | |")
                continue
            peak = "(in parse)" if s["peak_kib"] is None else f"{s['peak_kib'] / 2**20:.2f} GB"
            k = _exponent(prev["stages"][stage]["cpu"], s["cpu"], prev["size"], r["size"]) if prev and prev["stages"][stage] else ""
            lines.append(f"| {r['size']:,} | {stage} | {s['wall']:.1f} | {s['cpu']:.1f} | {peak} | {k} |")
        a = r["analysis"]
        k = _exponent(prev["analysis"]["cpu"], a["cpu"], prev["size"], r["size"]) if prev else ""
        ok = a["cpu"] <= TARGET_ANALYSIS_SECONDS and a["peak_kib"] / 2**20 < TARGET_PEAK_GB
        lines.append(
            f"| {r['size']:,} | **analysis total** ({'within' if ok else 'OVER'} 180 s / 4 GB) | "
            f"{a['wall']:.1f} | {a['cpu']:.1f} | {a['peak_kib'] / 2**20:.2f} GB | {k} |"
        )
        last = r
    notes = []
    for r in results:
        la = (r["ingest_process"] or {}).get("load_average", []) + r["analysis"]["process"]["load_average"]
        source = "the 10,000 corpus replicated" if r.get("replicated") else f"{r['files']:,} files"
        raw = r["raw"]["analysis"]
        workers = sum(raw.get("workers_cpu", {}).values())
        scoring = (
            f"; of its analysis CPU, {workers:.1f} s in worker processes "
            f"(failure-mode scoring, patterns, related search; each at most {raw['workers_peak_kib'] / 2**20:.2f} GB RSS, shared pages included)"
            if workers else ""
        )
        notes.append(
            f"{r['size']:,}: {source}, {r['incidents']:,} incidents, {r['factors']:,} factors; "
            f"load average {min(la):.1f}-{max(la):.1f} on {r['cpus']} CPUs; measured {r['measured_at']}{scoring}"
        )
    return "\n".join(lines) + "\n\n" + "\n".join(notes)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--seed", type=int, default=11, help="generator seed (bench/ingest.py's default)")
    ap.add_argument("--table-only", action="store_true", help="print the table from bench/out/scaling-N.json, run nothing")
    ap.add_argument("--analysis-only", action="store_true", help="reuse the cached ingest database and figures, rerun the analysis")
    ap.add_argument(
        "--replicate", action="store_true",
        help="sizes above 10,000: analyse the 10,000 database copied N/10,000 times (no parse or load measured)",
    )
    ap.add_argument("--label", default="", help="suffix of the results file (scaling-N<label>.json), e.g. -before")
    ap.add_argument("--child-ingest", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--child-analysis", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_ingest:
        child_ingest(*args.child_ingest)
        return 0
    if args.child_analysis:
        child_analysis(args.child_analysis)
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    for n in args.sizes:
        cached = OUT / f"scaling-{n}{args.label}.json"
        if args.table_only:
            if cached.exists():
                results.append(json.loads(cached.read_text()))
            continue
        results.append(measure(n, args.seed, args.label, args.analysis_only, args.replicate))
        print(table(results), flush=True)
    print("\n" + table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
