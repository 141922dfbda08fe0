"""`hindsight themes`: each failure mode with its size, quarters, repeats and recurrences after fixes,
then the recurring patterns inside it and its Unclustered bucket.

Sizes come from the same read queries as the dashboard's Themes page (pipelines.read.themes), so
the two always agree. The command line has no sign-in: it reads as the anonymous viewer, so
example sentences never come from restricted postmortems (they still count).
"""

from __future__ import annotations

import argparse
import json

from pipelines.read.access import ANONYMOUS
from pipelines.cli.database import BAD_DATABASE, open_for
from pipelines.read.scope import NO_FILTERS
from pipelines.read.themes import (
    UNCLUSTERED,
    failure_mode_coverage,
    failure_mode_examples,
    failure_mode_info,
    failure_mode_summary,
    mode_patterns,
)

MAX_SERVICES = 6


def _plain(value: object) -> object:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return value


def _records(df) -> list[dict]:
    return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict(orient="records")]


def run(args: argparse.Namespace) -> int:
    con = open_for("themes", args.db)
    if con is None:
        return BAD_DATABASE
    try:
        modes = _records(failure_mode_summary(con))
        coverage = _records(failure_mode_coverage(con))[0]
        for m in modes:
            m["patterns_list"] = _records(mode_patterns(con, NO_FILTERS, ANONYMOUS, mode=m["mode"]))
            m["examples"] = [r["sentence"] for r in _records(failure_mode_examples(con, viewer=ANONYMOUS, mode=m["mode"], limit=2))]
        info = failure_mode_info(con)
    finally:
        con.close()
    if args.json:
        print(json.dumps({"coverage": coverage, "failure_modes": modes, "analysis": info}, indent=2, default=str))
        return 0
    if not modes:
        print("No failure modes yet: no incident matched the taxonomy, or the build ran with --no-analysis.")
        return 0
    print(
        f"{len(modes)} failure modes in {args.db}: {coverage['with_mode']} of {coverage['incidents']} incidents have one "
        f"({coverage['without_mode']} matched none)\n"
    )
    for m in modes:
        services = m["services"] or []
        span = f"{m['first_seen']} to {m['last_seen']}" if m["first_seen"] else "no dates"
        print(f"{m['name']}  [{m['class_name']}]")
        print(
            f"     {m['incidents']} incidents, {m['quarters_active']} quarters active ({span}), "
            f"{m['repeats']} repeats, recurred after fix: {m['recurred_after_fix']}"
        )
        if services:
            print(f"     services: {', '.join(services[:MAX_SERVICES])}{' ...' if len(services) > MAX_SERVICES else ''}")
        for sentence in m["examples"]:
            print(f'     e.g. "{sentence}"')
        for p in m["patterns_list"]:
            name = "Unclustered (no more specific pattern)" if p["theme_id"] == UNCLUSTERED else p["label"]
            print(f"   - {name}: {p['incidents']} incidents")
            for sentence in (p["examples"] or [])[:2]:
                print(f'       "{sentence}"')
        print()
    if info and info.get("classifier"):
        c = info["classifier"]
        print(
            f"Hand labels on {c['labelled']} incidents ({c['folds']} cross-validation): classifier accuracy "
            f"{c['model_accuracy']:.2f}, kappa {c['model_kappa']:.2f}; rules accuracy {c['rules_accuracy']:.2f}, "
            f"kappa {c['rules_kappa']:.2f}; unlabelled incidents use the {c['used']}."
        )
    return 0
