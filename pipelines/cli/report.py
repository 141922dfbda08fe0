"""`hindsight report`: the quarterly review as Markdown on stdout, or a file with -o."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb

from pipelines.quarters import as_of_today, parse_quarter
from pipelines.cli.database import BAD_DATABASE, open_for
from pipelines.report import review as rv
from pipelines.report.render import make_report


def _fail(message: str, code: int = 2) -> int:
    print(f"hindsight report: error: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    quarter = None
    if args.quarter is not None:
        try:
            quarter = parse_quarter(args.quarter)
        except ValueError as e:
            return _fail(str(e))
    con = open_for("report", args.db)
    if con is None:
        return BAD_DATABASE
    try:
        quarters = rv.available_quarters(con)
        if not quarters:
            return _fail(f"{args.db} holds no dated incidents, so there is no quarter to review", 1)
        if quarter is None:  # like the dashboard's review page: the last complete quarter with data
            quarter = rv.pick_default(quarters, as_of_today())
        if not quarters[0] <= quarter <= quarters[-1]:
            return _fail(f"no incidents dated in {quarter}; the database covers {quarters[0]} to {quarters[-1]}", 1)
        text = make_report(con, quarter, args.format, redact=args.redact)
    except duckdb.Error as e:
        return _fail(f"cannot read {args.db} ({e}); is it a Hindsight database? Rebuild it with hindsight build", 1)
    finally:
        con.close()
    out: Path | None = args.output
    if out is None:
        sys.stdout.write(text)
        return 0
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    except OSError as e:
        return _fail(f"cannot write {out}: {e.strerror or e}; choose another -o path", 1)
    print(f"wrote the {quarter} review to {out} ({args.format})", file=sys.stderr)
    return 0
