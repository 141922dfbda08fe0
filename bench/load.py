"""Load: N concurrent dashboard sessions against a real server on localhost, for a bounded time.

    python bench/load.py [--sessions 20] [--seconds 60] [--db PATH] [--count 10000 --seed 11]

Starts `streamlit run dashboard/app.py` on a free 127.0.0.1 port (never another host) and
opens N websocket sessions, each speaking Streamlit's own protocol as a browser tab does: it
asks for a page (BackMsg.rerun_script with the page name and URL query string) and waits for
the server's `script_finished`. Each session walks every page, starting at a different one,
until the time is up. Page time = request sent -> script finished, i.e. the whole server-side
render (queries, charts, serialisation) under contention, the first (cold-cache) visits included.

An error is an exception or st.error element, a page that is not found or fails to compile, a
page slower than --page-timeout, or a dropped connection. Prints p50/p95/max per page and
overall; exits 1 on any error. Defaults to the 10,000-incident database of bench/dashboard.py
(bench/out/dashboard-10000.duckdb), generating and building it when missing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bench_db import ensure_db, latest_incident  # bench/ is on sys.path when run as a script

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, port: int, timeout: float = 60) -> subprocess.Popen:
    env = dict(os.environ, HINDSIGHT_DB=str(db))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
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


async def session(n: int, url: str, pages: list[tuple[str, str]], until: float, page_timeout: float, stats: Stats) -> None:
    import websockets

    i = n
    try:
        async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=30, ping_interval=None) as ws:
            while time.monotonic() < until:
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--db", type=Path, default=None, help="database to serve (default: the 10,000-incident bench DB)")
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--page-timeout", type=float, default=60, help="a page slower than this is an error (s)")
    ap.add_argument("--no-warmup", action="store_true", help="time the server's very first renders too")
    args = ap.parse_args(argv)
    if not (1 <= args.sessions <= MAX_SESSIONS and 1 <= args.seconds <= MAX_SECONDS):
        ap.error(f"--sessions must be 1..{MAX_SESSIONS} and --seconds 1..{MAX_SECONDS}")

    sys.path.insert(0, str(ROOT))
    db = args.db or ensure_db(args.count, args.seed)
    pages = _pages(latest_incident(db))
    port = free_port()
    server = start_server(db, port)
    stats = Stats()
    try:
        url = f"ws://127.0.0.1:{port}/_stcore/stream"

        async def run_all() -> None:
            until = time.monotonic() + args.seconds
            await asyncio.gather(*(session(n, url, pages, until, args.page_timeout, stats) for n in range(args.sessions)))

        if not args.no_warmup:
            # One visitor loads every page once first, as a server that has been up a while has
            # imported its modules; query caches stay cold for the other filters and sessions.
            warm = Stats()
            t0 = time.perf_counter()
            asyncio.run(_visit_all(url, pages, args.page_timeout * 3, warm))
            stats.errors += warm.errors
            print(f"warm-up: every page once in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        asyncio.run(run_all())
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()

    everything = [t for ts in stats.times.values() for t in ts]
    print(f"{args.sessions} sessions for {args.seconds:.0f} s on {db.name} ({wall:.0f} s wall, the last pages finish after the deadline)")
    print(f"{'page':<14}{'renders':>8}{'p50 s':>8}{'p95 s':>8}{'max s':>8}")
    for page, _ in pages:
        page = page or "overview"
        ts = stats.times.get(page, [])
        if ts:
            print(f"{page:<14}{len(ts):>8}{pct(ts, 50):>8.2f}{pct(ts, 95):>8.2f}{max(ts):>8.2f}")
    if everything:
        print(f"{'all':<14}{len(everything):>8}{pct(everything, 50):>8.2f}{pct(everything, 95):>8.2f}{max(everything):>8.2f}")
    print(f"errors: {len(stats.errors)}")
    for e in stats.errors[:20]:
        print(f"  {e}")
    return 1 if stats.errors or not everything else 0


if __name__ == "__main__":
    sys.exit(main())
