"""`hindsight themes`: one block per theme with size, quarters active and recurrences after fixes."""

from __future__ import annotations

import argparse
import json
import sys

from pipelines.analysis.themes import UNCLUSTERED
from pipelines.read import repeats
from pipelines.read.connection import DatabaseProblem, open_database

MAX_SERVICES = 6


def run(args: argparse.Namespace) -> int:
    try:
        con = open_database(args.db)
    except DatabaseProblem as e:
        print(f"hindsight themes: error: {e}", file=sys.stderr)
        return 2
    try:
        records = repeats.theme_summary(con).to_dict(orient="records")
    finally:
        con.close()
    for r in records:
        for key, value in list(r.items()):
            if hasattr(value, "tolist"):
                r[key] = value.tolist()
            elif hasattr(value, "isoformat"):
                r[key] = value.isoformat()[:10]
    if args.json:
        print(json.dumps(records, indent=2, default=str))
        return 0
    if not records:
        print("No themes yet: the corpus has no contributing factors, or the build ran with --no-analysis.")
        return 0
    print(f"{len(records)} themes in {args.db} (incidents of a theme: those it makes up at least 30% of)\n")
    for r in records:
        services = r["services"] or []
        span = f"{str(r['first_seen'])[:10]} to {str(r['last_seen'])[:10]}" if r["first_seen"] else "no dates"
        print(f"#{r['theme_id']:<3} {r['label']}")
        print(
            f"     {r['size']} factors, {r['incidents']} incidents, {r['quarters_active']} quarters active ({span}), "
            f"{r['repeat_incidents']} repeats, recurred after fix: {r['recurred_after_fix']}"
        )
        if r["top_terms"]:
            print(f"     terms: {', '.join(r['top_terms'])}")
        if services:
            print(f"     services: {', '.join(services[:MAX_SERVICES])}{' ...' if len(services) > MAX_SERVICES else ''}")
        if r["representative_text"] and r["theme_id"] != UNCLUSTERED:
            print(f'     e.g. "{r["representative_text"]}"')
        print()
    return 0
