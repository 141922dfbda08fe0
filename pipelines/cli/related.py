"""`hindsight related`: a table of similar incidents and why each matched, or JSON.

The command line has no sign-in, so it reads as the anonymous viewer: a restricted match is
shown as "restricted incident" with its score only.
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from pipelines.read.access import ANONYMOUS
from pipelines.cli.database import BAD_DATABASE, open_for
from pipelines.read.related import RestrictedIncident, load_related_index, search


def _or_none(value: object) -> object:
    return None if value is None or pd.isna(value) else value


def _fail(message: str) -> int:
    print(f"hindsight related: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    con = open_for("related", args.db)
    if con is None:
        return BAD_DATABASE
    try:
        index = load_related_index(con, args.db)
        if index is None:
            return _fail(f"{args.db} has no related-incident index; rebuild it with `hindsight build` (without --no-analysis)")
        if args.incident is not None and index.row(args.incident) is None:
            return _fail(f"no incident {args.incident!r} in {args.db}; `hindsight related --text '...'` searches by description")
        try:
            results = search(con, index, ANONYMOUS, text=args.text, incident_id=args.incident, k=args.k, hidden="mask")
        except RestrictedIncident:
            return _fail(
                f"{args.incident} is a restricted incident; the command line reads as an anonymous viewer, "
                "so use the dashboard signed in as someone allowed to read it"
            )
    finally:
        con.close()
    rows = [
        {
            "rank": int(r.rank),
            "incident_id": _or_none(r.incident_id),
            "title": r.title,
            "date": r.incident_date.isoformat() if r.visible and not pd.isna(r.incident_date) else None,
            "severity": _or_none(r.severity),
            "restricted": not r.visible,
            "score": float(r.score),
            "shared_terms": list(r.shared_terms),
            "shared_modes": list(r.shared_modes),
            "shared_services": list(r.shared_services),
        }
        for r in results.itertuples(index=False)
    ]
    if args.json:
        query = {"incident": args.incident} if args.incident else {"text": args.text}
        print(json.dumps({"query": query, "results": rows}, indent=2, default=str))
        return 0
    if not rows:
        print("No similar incidents found.")
        return 0
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Related incidents", show_lines=True)
    for col in ("#", "incident", "score", "why it matched"):
        table.add_column(col, overflow="fold")
    for r in rows:
        why = []
        if r["shared_terms"]:
            why.append("terms: " + ", ".join(r["shared_terms"]))
        if r["shared_modes"]:
            why.append("failure modes: " + "; ".join(r["shared_modes"]))
        if r["shared_services"]:
            why.append("services: " + ", ".join(r["shared_services"]))
        # Titles and terms are document text: escape them so "[...]" is not read as markup.
        head = escape(f"{r['incident_id'] or ''}\n{r['title'] or ''}") + (f"\n[dim]{r['date']} {r['severity'] or ''}[/dim]" if r["date"] else "")
        table.add_row(str(r["rank"]), head, f"{r['score']:.3f}", escape("\n".join(why)))
    Console().print(table)
    return 0
