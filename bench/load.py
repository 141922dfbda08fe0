"""Load: N concurrent dashboard sessions against a real server on localhost, for a bounded time.

    python bench/load.py [--sessions 20] [--seconds 60] [--think S] [--baseline REF] [--db PATH]
                         [--count 10000 --seed 11]

Starts `streamlit run dashboard/app.py` on a free 127.0.0.1 port (never another host) and
opens N websocket sessions, each speaking Streamlit's own protocol as a browser tab does: it
asks for a page (BackMsg.rerun_script with the page name and URL query string) and waits for
the server's `script_finished`. Each session walks every page, starting at a different one,
until the time is up, pausing between clicks for an exponentially distributed think time of
mean --think seconds (0: click again at once, a worst case no team produces). Page time =
request sent -> script finished, i.e. the whole server-side render (queries, charts,
serialisation) under contention, the first (cold-cache) visits included.

Reports throughput (renders per second of the run), p50/p95/max per page, the server's CPU
seconds per render (its user + system time from /proc, all threads, over the renders it
served), errors, and the machine's load average (the machine may be shared: a load above the
core count inflates every wall time). With --baseline REF the same load first runs against the
code of git revision REF (exported with `git archive` under bench/out/baseline-SHA/, serving a
database that code built from the same corpus), then against this tree, and the ratios are
printed: compare those, not absolute times from another day.

An error is an exception or st.error element, a page that is not found or fails to compile, a
page slower than --page-timeout, or a dropped connection. Prints p50/p95/max per page and
overall; exits 1 on any error of this tree's run (a baseline's errors are printed, not failed
on). Defaults to the 10,000-incident database of bench/dashboard.py
(bench/out/dashboard-10000.duckdb), generating and building it when missing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bench_db import OUT, ensure_db, latest_incident  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
MAX_SESSIONS, MAX_SECONDS = 100, 600  # bounded by design: this is a benchmark, not a stress tool


def _pages(incident_id: str) -> list[tuple[str, str]]:
    """(page url path, query string) in the order a session visits them; "" is the default page."""
    return [
        ("", ""),
        ("trends", "sev=SEV1&sev=SEV2"),
        ("themes", ""),
        ("repeats", ""),
        ("action_items", ""),
        ("data_quality", ""),
        ("related", ""),
        ("incident", f"incident={incident_id}"),
        ("review", ""),
    ]


@dataclass
class Stats:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    label: str
    stats: Stats
    wall: float
    cpu: float  # server CPU seconds during the timed run
    load: tuple[float, float]  # 1-minute load average at start and end

    @property
    def renders(self) -> int:
        return sum(len(ts) for ts in self.stats.times.values())

    @property
    def throughput(self) -> float:
        return self.renders / self.wall if self.wall else 0.0

    @property
    def everything(self) -> list[float]:
        return [t for ts in self.stats.times.values() for t in ts]


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process `pid`, all its threads (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, port: int, timeout: float = 60, root: Path = ROOT) -> subprocess.Popen:
    # PYTHONPATH: a baseline tree's own `pipelines` must win over the one installed in the venv.
    env = dict(os.environ, HINDSIGHT_DB=str(db), PYTHONPATH=str(root))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(root / "dashboard" / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
        if proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError("the dashboard did not start; run `hindsight dashboard --db DB` to see why")


async def render(ws, page: str, query: str, page_timeout: float) -> tuple[float, list[str]]:
    """Ask for one page in this session; seconds until the script finished, and problems seen."""
    from streamlit.proto.Alert_pb2 import Alert
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = BackMsg()
    msg.rerun_script.page_name = page
    msg.rerun_script.query_string = query
    problems: list[str] = []
    page = page or "overview"
    start = time.perf_counter()
    await ws.send(msg.SerializeToString())
    async with asyncio.timeout(page_timeout):
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(await ws.recv())
            kind = fm.WhichOneof("type")
            if kind == "page_not_found":
                problems.append(f"{page}: page not found")
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                if el.WhichOneof("type") == "exception":
                    problems.append(f"{page}: exception {el.exception.type}: {el.exception.message[:200]}")
                elif el.WhichOneof("type") == "alert" and el.alert.format == Alert.ERROR:
                    problems.append(f"{page}: error box {el.alert.body[:200]}")
            elif kind == "script_finished":
                if fm.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the app asked for a rerun (e.g. it set a query parameter): keep waiting
                if fm.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    problems.append(f"{page}: compile error")
                return time.perf_counter() - start, problems


async def session(n: int, url: str, pages: list[tuple[str, str]], until: float, page_timeout: float, stats: Stats,
                  think: float = 0.0, seed: int = 0) -> None:
    import websockets

    i = n
    rng = random.Random(seed * 1000 + n)  # the same think times for the baseline and this tree
    try:
        async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=30, ping_interval=None) as ws:
            if think:  # viewers arrive spread out, not all in the same millisecond
                await asyncio.sleep(min(rng.expovariate(1 / think), max(until - time.monotonic(), 0)))
            while time.monotonic() < until:
                if i != n and think:
                    pause = rng.expovariate(1 / think)
                    if time.monotonic() + pause >= until:
                        return
                    await asyncio.sleep(pause)
                page, query = pages[i % len(pages)]
                i += 1
                try:
                    seconds, problems = await render(ws, page, query, page_timeout)
                except TimeoutError:
                    stats.errors.append(f"session {n}: {page or 'overview'} took over {page_timeout:.0f} s")
                    return
                stats.times[page or "overview"].append(seconds)
                stats.errors += [f"session {n}: {p}" for p in problems]
    except Exception as e:  # noqa: BLE001 - any failure of a session is a finding, reported below
        stats.errors.append(f"session {n}: {type(e).__name__}: {e}")


async def _visit_all(url: str, pages: list[tuple[str, str]], page_timeout: float, stats: Stats) -> None:
    import websockets

    async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=30, ping_interval=None) as ws:
        for page, query in pages:
            _, problems = await render(ws, page, query, page_timeout)
            stats.errors += [f"warm-up: {p}" for p in problems]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return statistics.quantiles(ordered, n=100, method="inclusive")[q - 1] if len(ordered) > 1 else ordered[0]


def run_load(label: str, root: Path, db: Path, pages: list[tuple[str, str]], args: argparse.Namespace) -> RunResult:
    """Start a server of the code in `root` on `db`, warm it up, and run the timed load."""
    port = free_port()
    server = start_server(db, port, root=root)
    stats = Stats()
    try:
        url = f"ws://127.0.0.1:{port}/_stcore/stream"

        async def run_all() -> None:
            until = time.monotonic() + args.seconds
            await asyncio.gather(*(session(n, url, pages, until, args.page_timeout, stats, args.think, args.seed)
                                   for n in range(args.sessions)))

        if not args.no_warmup:
            # One visitor loads every page once first, as a server that has been up a while has
            # imported its modules; query caches stay cold for the other filters and sessions.
            warm = Stats()
            t0 = time.perf_counter()
            asyncio.run(_visit_all(url, pages, args.page_timeout * 3, warm))
            stats.errors += warm.errors
            print(f"[{label}] warm-up: every page once in {time.perf_counter() - t0:.1f} s")
        load0, cpu0, t0 = os.getloadavg()[0], process_cpu(server.pid), time.perf_counter()
        asyncio.run(run_all())
        wall, cpu = time.perf_counter() - t0, process_cpu(server.pid) - cpu0
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    return RunResult(label, stats, wall, cpu, (load0, os.getloadavg()[0]))


def report(r: RunResult, pages: list[tuple[str, str]], args: argparse.Namespace, db: Path) -> None:
    think = f", think {args.think:g} s" if args.think else ", no think time"
    print(f"\n[{r.label}] {args.sessions} sessions for {args.seconds:.0f} s{think} on {db.name} "
          f"({r.wall:.0f} s wall, the last pages finish after the deadline)")
    print(f"{'page':<14}{'renders':>8}{'p50 s':>8}{'p95 s':>8}{'max s':>8}")
    for page, _ in pages:
        page = page or "overview"
        ts = r.stats.times.get(page, [])
        if ts:
            print(f"{page:<14}{len(ts):>8}{pct(ts, 50):>8.2f}{pct(ts, 95):>8.2f}{max(ts):>8.2f}")
    everything = r.everything
    if everything:
        print(f"{'all':<14}{len(everything):>8}{pct(everything, 50):>8.2f}{pct(everything, 95):>8.2f}{max(everything):>8.2f}")
    per_render = r.cpu / r.renders if r.renders else float("nan")
    print(f"throughput: {r.throughput:.2f} pages/s; server CPU per render: {per_render:.3f} s "
          f"({r.cpu:.0f} CPU s over {r.renders} renders); load average {r.load[0]:.1f} -> {r.load[1]:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"errors: {len(r.stats.errors)}")
    for e in r.stats.errors[:20]:
        print(f"  {e}")


def baseline_tree(ref: str) -> Path:
    """The code of git revision `ref`, exported once under bench/out/baseline-SHA/ (no worktree
    registration, nothing in the repository changes)."""
    sha = subprocess.run(["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    tree = OUT / f"baseline-{sha[:12]}"
    if not (tree / "dashboard" / "app.py").exists():
        partial = tree.with_name(tree.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", sha], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(partial)], input=archive, check=True)
        partial.rename(tree)
    return tree


def baseline_db(tree: Path, corpus_db: Path) -> Path:
    """A database built by the baseline's own code from the same corpus as `corpus_db` (its
    schema may differ from this tree's), built once and cached in the baseline tree."""
    db = tree / "bench" / "out" / corpus_db.name
    if db.exists():
        return db
    corpus = OUT / corpus_db.name.replace("dashboard-", "corpus-").replace(".duckdb", "") / "postmortems"
    db.parent.mkdir(parents=True, exist_ok=True)
    print(f"building the baseline's database with its own code (once): {db}")
    subprocess.run([sys.executable, "-m", "pipelines.cli", "build", str(corpus), "--db", str(db)], cwd=tree,
                   env=dict(os.environ, PYTHONPATH=str(tree)), check=True, stdout=subprocess.DEVNULL)
    return db


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--think", type=float, default=0.0, help="mean think time between clicks, exponential (s); 0: none")
    ap.add_argument("--baseline", metavar="REF", default=None,
                    help="also run the same load against git revision REF first (e.g. main) and print the ratios")
    ap.add_argument("--baseline-db", type=Path, default=None, help="the database the baseline serves (default: built by its code)")
    ap.add_argument("--db", type=Path, default=None, help="database to serve (default: the 10,000-incident bench DB)")
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--page-timeout", type=float, default=60, help="a page slower than this is an error (s)")
    ap.add_argument("--no-warmup", action="store_true", help="time the server's very first renders too")
    args = ap.parse_args(argv)
    if not (1 <= args.sessions <= MAX_SESSIONS and 1 <= args.seconds <= MAX_SECONDS and 0 <= args.think <= MAX_SECONDS):
        ap.error(f"--sessions must be 1..{MAX_SESSIONS}, --seconds 1..{MAX_SECONDS} and --think 0..{MAX_SECONDS}")

    sys.path.insert(0, str(ROOT))
    db = args.db or ensure_db(args.count, args.seed)
    pages = _pages(latest_incident(db))
    results: list[tuple[RunResult, Path]] = []
    if args.baseline:
        tree = baseline_tree(args.baseline)
        bdb = args.baseline_db or baseline_db(tree, db)
        results.append((run_load(f"baseline {args.baseline}", tree, bdb, _pages(latest_incident(bdb)), args), bdb))
    results.append((run_load("this tree", ROOT, db, pages, args), db))
    for r, rdb in results:
        report(r, pages, args, rdb)
    if len(results) == 2:
        (b, _), (o, _) = results
        be, oe = b.everything, o.everything
        if be and oe and o.renders and b.renders:
            print(f"\nratio this tree / baseline {args.baseline}: throughput x{o.throughput / b.throughput:.2f}, "
                  f"p50 x{pct(oe, 50) / pct(be, 50):.2f}, p95 x{pct(oe, 95) / pct(be, 95):.2f}, "
                  f"CPU per render x{(o.cpu / o.renders) / (b.cpu / b.renders):.2f}")
    ours = results[-1][0]  # the baseline's errors are reported above; they are not this tree's failures
    return 1 if ours.stats.errors or not ours.everything else 0


if __name__ == "__main__":
    sys.exit(main())
