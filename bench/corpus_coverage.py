"""Corpus coverage: what the build fills in on real public postmortem collections (no truth needed).

    python bench/corpus_coverage.py [--corpora DIR] [--json]

Builds each corpus of ../shared/corpora (README there) with `hindsight build ... --no-analysis`
through the command line, then reads the database with DuckDB:

  icco            icco/*.md: front-matter Markdown, one incident per file
  danluu          danluu.jsonl: one-paragraph summaries
  github_status   github_status.jsonl: status-page updates

Per corpus: incidents loaded, ingest errors, and the share of loaded incidents with a severity;
with started_at / detected_at / resolved_at; with at least one service; with a team; with at
least one action item; with at least one timeline event; with a root cause (a `root_cause`
section or at least one contributing factor). These are fill rates, not accuracy: nothing says
the values are right, only how much of each corpus the parser finds anything in.

Skips with a message (exit 0) when the corpora folder is absent, so it runs in a clone without
../shared.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))  # sibling modules when run as a script

from hindsight_db import BuildError, build  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"
SOURCES = {"icco": "icco", "danluu": "danluu.jsonl", "github_status": "github_status.jsonl"}

# One row per corpus: counts of loaded incidents that have each thing.
COVERAGE_SQL = """
WITH
    services AS (SELECT DISTINCT incident_id FROM incident_services),
    actions AS (SELECT DISTINCT incident_id FROM action_items),
    events AS (SELECT DISTINCT incident_id FROM timeline_events),
    causes AS (
        SELECT incident_id FROM sections WHERE kind = 'root_cause'
        UNION
        SELECT incident_id FROM contributing_factors
    ),
    final AS (
        SELECT
            count(*) AS incidents,
            count(i.severity) AS severity,
            count(i.started_at) AS started_at,
            count(i.detected_at) AS detected_at,
            count(i.resolved_at) AS resolved_at,
            count(s.incident_id) AS services,
            count(i.team) AS team,
            count(a.incident_id) AS action_items,
            count(e.incident_id) AS timeline_events,
            count(c.incident_id) AS root_cause
        FROM incidents AS i
        LEFT JOIN services AS s USING (incident_id)
        LEFT JOIN actions AS a USING (incident_id)
        LEFT JOIN events AS e USING (incident_id)
        LEFT JOIN causes AS c USING (incident_id)
    )
SELECT * FROM final
"""
SHARES = ("severity", "started_at", "detected_at", "resolved_at", "services", "team", "action_items",
          "timeline_events", "root_cause")
HEADERS = {"severity": "sev", "started_at": "start", "detected_at": "detect", "resolved_at": "resolve",
           "services": "svc", "team": "team", "action_items": "actions", "timeline_events": "timeline",
           "root_cause": "cause"}


def coverage(db: Path) -> dict[str, Any]:
    """Counts and shares for one built database."""
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute(COVERAGE_SQL)
        row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
        errors = con.execute("SELECT count(*) FROM ingest_errors").fetchone()[0]
    n = row["incidents"]
    return {
        "incidents": n,
        "ingest_errors": errors,
        "shares": {k: round(row[k] / n, 4) if n else None for k in SHARES},
        "counts": {k: row[k] for k in SHARES},
    }


def run(corpora: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="hindsight-coverage-") as tmp:
        for name, rel in SOURCES.items():
            src = corpora / rel
            if not src.exists():
                out[name] = {"skipped": f"{src} not found"}
                continue
            db = Path(tmp) / f"{name}.duckdb"
            t = time.perf_counter()
            summary = build(src, db)
            out[name] = {"source": str(src), **coverage(db), "build_seconds": round(time.perf_counter() - t, 2),
                         "files_seen": summary.get("files_seen")}
    return out


def print_table(results: dict[str, Any]) -> None:
    cols = "".join(f"{HEADERS[k]:>9}" for k in SHARES)
    print(f"{'corpus':<14}{'loaded':>7}{'errors':>7}{cols}")
    for name, r in results.items():
        if "skipped" in r:
            print(f"{name:<14} skipped: {r['skipped']}")
            continue
        shares = "".join(f"{r['shares'][k]:>9.2f}" for k in SHARES)
        print(f"{name:<14}{r['incidents']:>7}{r['ingest_errors']:>7}{shares}")
    print("\nshares of loaded incidents with: sev = a severity; start / detect / resolve = that time;")
    print("svc = a service; team; actions = >= 1 action item; timeline = >= 1 timeline event;")
    print("cause = a root_cause section or a contributing factor")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpora", type=Path, default=CORPORA, help=f"folder of the public corpora (default {CORPORA})")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if not args.corpora.is_dir():
        print(f"corpus_coverage: skipped, {args.corpora} is absent (the public corpora live in ../shared/corpora)")
        return 0
    try:
        results = run(args.corpora)
    except BuildError as exc:
        print(f"corpus_coverage: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"corpora": str(args.corpora), "results": results}))
    else:
        print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
