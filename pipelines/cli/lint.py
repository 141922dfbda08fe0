"""`hindsight lint`: findings as `path:line: rule: message [severity]` lines, or one JSON object."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable

from pipelines.lint import blameless
from pipelines.lint.checks import SEVERITY_RANK, lint_paths
from pipelines.parsing.discover import CorpusNotFound


def run(args: argparse.Namespace) -> int:
    """Exit 0 when nothing is at or above --fail-on, 1 when something is, 2 for bad arguments."""
    try:
        rules = blameless.load_rules(args.rules) if args.rules else blameless.default_rules()
    except (OSError, ValueError) as exc:
        print(f"hindsight lint: cannot read rules {args.rules}: {exc}", file=sys.stderr)
        return 2
    try:
        reports, errors = lint_paths(list(args.paths), rules)
    except CorpusNotFound as exc:
        print(f"hindsight lint: {exc}", file=sys.stderr)
        return 2
    threshold = SEVERITY_RANK[args.fail_on]
    counts = {"error": len(errors), "warning": 0, "info": 0}
    for report in reports:
        for f in report["findings"]:
            counts[f["severity"]] += 1
    failing = bool(errors) or any(
        SEVERITY_RANK[f["severity"]] >= threshold for report in reports for f in report["findings"]
    )
    if args.format == "json":
        payload = {
            "incidents": reports,
            "errors": [{"path": p, "reason": r} for p, r in errors],
            "counts": counts,
            "failed": failing,
        }
        sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
    else:
        for line in text_lines(reports, errors):
            sys.stdout.write(line + "\n")
        scores = sorted(r["completeness"] for r in reports)
        median = scores[len(scores) // 2] if scores else 0
        print(
            f"{len(reports)} postmortem{'s' if len(reports) != 1 else ''} checked: "
            f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} info; "
            f"completeness median {median}/100",
            file=sys.stderr,
        )
    return 1 if failing else 0


def text_lines(reports: list[dict], errors: list[tuple[str, str]]) -> Iterable[str]:
    for path, reason in errors:
        yield f"{path}: ingest/error: {reason} [error]"
    for report in reports:
        for f in report["findings"]:
            # Lines inside an export record's embedded text mean nothing in the file.
            where = f"{report['path']}:{f['line']}" if f["line"] and not report["record"] else report["path"]
            yield f"{where}: {f['rule']}: {f['message']} [{f['severity']}]"
