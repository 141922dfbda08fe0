"""Dashboard speed: every page rendered server-side (AppTest) on a 10,000-incident database.

    python bench/dashboard.py [--count 10000] [--seed 11] [--db PATH] [--target 1.5]

Builds the database once (generate + build) under bench/out/ unless --db is given. For each
page it clears every Streamlit cache and renders the page in a fresh AppTest session (cold:
all queries run), then renders it again in the same session (warm: cached). Python imports are
paid once before timing starts, as a running server pays them once at start-up (app.py
imports the search stack in a background thread on its first run). Prints one
line per page and exits non-zero if any cold render exceeds the target.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from bench_db import ensure_db, latest_incident  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
APP = str(ROOT / "dashboard" / "app.py")

# page file, query params, a widget to drive after the first render (for the search page)
PAGES: list[tuple[str, dict[str, str]]] = [
    ("overview", {}),
    ("trends", {}),
    ("themes", {}),
    ("repeats", {}),
    ("action_items", {}),
    ("data_quality", {}),
    ("related", {}),
    ("incident", {"incident": "__latest__"}),
    ("review", {}),
]
SEARCH_TEXT = "database connection pool exhausted after a deploy, checkout errors"


def render(page: str, query: dict[str, str]) -> tuple[float, float, float, list[str]]:
    """(cold wall seconds, cold CPU seconds, warm wall seconds, problems) for one page.

    CPU time (all threads of this process: the script thread and DuckDB's) is reported beside
    wall time because a shared, busy machine inflates wall time; on an idle machine the two
    are close."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query)
    if page != "overview":
        at.switch_page(f"pages/{page}.py")
    t0, c0 = time.perf_counter(), time.process_time()
    at.run()
    if page == "related":  # the search itself is the page's work
        at.text_area(key="related_text").input(SEARCH_TEXT).run()
    cold, cold_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    at.run()
    warm = time.perf_counter() - t0
    problems = [f"exception: {e.value}" for e in at.exception] + [f"error: {e.value}" for e in at.error]
    if not at.title:
        problems.append("no title rendered")
    return cold, cold_cpu, warm, problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--db", type=Path, default=None, help="an existing database (skips generate + build)")
    ap.add_argument("--target", type=float, default=1.5, help="seconds allowed per cold page render")
    args = ap.parse_args()

    db = args.db or ensure_db(args.count, args.seed)
    os.environ["HINDSIGHT_DB"] = str(db.resolve())
    latest = latest_incident(db)
    pages = [(p, {k: (latest if v == "__latest__" else v) for k, v in q.items()}) for p, q in PAGES]
    pages = [(p, q) for p, q in pages if (ROOT / "dashboard" / "pages" / f"{p}.py").exists()]

    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        n = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
    render("overview", {})  # pay Python imports once, as a server does at start-up
    import pipelines.analysis.related  # noqa: F401  (app.py imports it in the background on first run)

    print(f"database: {db} ({n} incidents); cores: {os.cpu_count()}; load average: {os.getloadavg()[0]:.1f}")
    print(f"{'page':<14} {'cold wall (s)':>13} {'cold CPU (s)':>12} {'warm wall (s)':>13}  status")
    slow = 0
    for page, query in pages:
        cold, cold_cpu, warm, problems = render(page, query)
        ok = cold <= args.target and not problems
        slow += not ok
        status = "ok" if ok else ("; ".join(problems) or f"over {args.target} s")
        print(f"{page:<14} {cold:>13.2f} {cold_cpu:>12.2f} {warm:>13.2f}  {status}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
