"""`hindsight generate`: write the synthetic corpus and say what was written."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pipelines.synthetic.generate import generate


def run(args: argparse.Namespace) -> int:
    if args.count < 1:
        print(f"hindsight generate: --count must be at least 1 (got {args.count})", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        summary = generate(Path(args.out), args.count, args.seed)
    except FileExistsError as exc:
        print(f"hindsight generate: {exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {summary.incidents} incident{'s' if summary.incidents != 1 else ''} ({summary.markdown_files} Markdown files, "
        f"{summary.export_records} export records) to {summary.out / 'postmortems'} "
        f"and truth to {summary.out / 'truth.jsonl'} in {time.perf_counter() - t0:.1f} s"
    )
    return 0
