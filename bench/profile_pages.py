"""Where a page render's CPU goes: cProfile of one cold and one warm render of each page.

    python bench/profile_pages.py [--db PATH] [--pages overview,trends] [--top 12] [--out DIR]

Renders each page server-side with Streamlit's AppTest on the 10,000-incident bench database
(bench/bench_db.py), like bench/dashboard.py: cold = every Streamlit cache cleared first (all
queries run), warm = a second session on the same filters (what the 19 other viewers of a
shared link pay). For each it prints the CPU seconds and the share taken by a few buckets
(DuckDB queries, Altair spec building and validation, Arrow serialisation of tables, the
cache's pickling, the rest), then the top functions by cumulative time. With --out the raw
.prof files are kept for `python -m pstats` or snakeviz.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

from bench_db import ensure_db, latest_incident  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
APP = str(ROOT / "dashboard" / "app.py")
PAGES = ["overview", "trends", "themes", "repeats", "action_items", "data_quality", "related", "incident", "review"]

# bucket -> substrings of "file:function" whose cumulative time is attributed to it; only entry
# points count (frames none of whose callers match), so nested calls are not counted twice.
# The buckets can overlap a little (a query run inside a chart builder), so "rest" is floored at 0.
BUCKETS = {
    "duckdb queries": ("pipelines/read/",),
    "charts: Altair build+validate": ("dashboard/charts.py:", "/altair/"),
    "arrow serialise": ("dataframe_util.py:convert_pandas_df_to_arrow_bytes", "dataframe_util.py:convert_anything_to_arrow_bytes"),
    "cache pickle": ("caching/cache_data_api.py:read_result", "caching/cache_data_api.py:write_result"),
}


def _render(page: str, query: dict[str, str]):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query)
    if page != "overview":
        at.switch_page(f"pages/{page}.py")
    return at


def _bucket_seconds(stats: pstats.Stats) -> dict[str, float]:
    out = dict.fromkeys(BUCKETS, 0.0)
    for (file, _line, fn), (_cc, _nc, _tt, ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        key = f"{file}:{fn}"
        for bucket, needles in BUCKETS.items():
            if any(n in key for n in needles):
                # count only entry points: frames whose callers are outside the bucket
                inside = any(any(n in f"{c[0]}:{c[2]}" for n in needles) for c in callers)
                if not inside:
                    out[bucket] += ct
    return out


_CURRENT: list[cProfile.Profile] = []


def _profile_script_thread() -> None:
    """AppTest runs the page in its own thread, which a profiler enabled here would not see:
    run that thread's body under the current profiler instead."""
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    original = LocalScriptRunner._run_script_thread

    def profiled(self) -> None:
        if not _CURRENT:
            return original(self)
        _CURRENT[-1].enable()
        try:
            return original(self)
        finally:
            _CURRENT[-1].disable()

    LocalScriptRunner._run_script_thread = profiled


def profile(page: str, query: dict[str, str], warm: bool, top: int, out: Path | None) -> tuple[float, dict[str, float], str]:
    import streamlit as st

    if not warm:
        st.cache_data.clear()
        st.cache_resource.clear()
    at = _render(page, query)
    # Timed in process CPU seconds, as the CPU s column: on a shared machine wall time would
    # count the waits for a core, and the buckets would not add up to the render's CPU.
    prof = cProfile.Profile(time.process_time)
    _CURRENT[:] = [prof]
    c0 = time.process_time()
    at.run()
    cpu = time.process_time() - c0
    _CURRENT.clear()
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].value}")
    if out is not None:
        prof.dump_stats(str(out / f"{page}-{'warm' if warm else 'cold'}.prof"))
    stats = pstats.Stats(prof)
    buf = io.StringIO()
    stats.stream = buf  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(r"hindsight|pipelines|dashboard|altair|streamlit/elements|pandas/io|duckdb", top)
    return cpu, _bucket_seconds(stats), buf.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--top", type=int, default=0, help="also print the top N functions by cumulative time")
    ap.add_argument("--out", type=Path, default=None, help="keep the .prof files here")
    args = ap.parse_args()
    db = args.db or ensure_db(10_000, 11)
    os.environ["HINDSIGHT_DB"] = str(db.resolve())
    latest = latest_incident(db)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    _profile_script_thread()
    profile("overview", {}, False, 0, None)  # imports paid once, as a server pays them at start-up
    import pipelines.analysis.related  # noqa: F401

    print(f"database: {db.name}; load average {os.getloadavg()[0]:.1f}; CPU seconds of one render (all threads)")
    print(f"{'page':<13}{'state':<6}{'CPU s':>7}" + "".join(f"{b:>31}" for b in BUCKETS) + f"{'rest':>8}")
    for page in args.pages.split(","):
        query = {"incident": latest} if page == "incident" else {}
        for warm in (False, True):
            cpu, buckets, text = profile(page, query, warm, args.top, args.out)
            rest = max(cpu - sum(buckets.values()), 0.0)
            print(f"{page:<13}{'warm' if warm else 'cold':<6}{cpu:>7.2f}" + "".join(f"{v:>31.2f}" for v in buckets.values()) + f"{rest:>8.2f}")
            if args.top:
                print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
