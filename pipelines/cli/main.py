"""`hindsight COMMAND ...`: the argument parser, and dispatch to one module per command.

Each command module (pipelines/cli/<command>.py) turns arguments into calls on the layers and
formats what they return; it is imported only when its command runs, so `hindsight lint` in a
pre-commit hook does not pay for scikit-learn.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

DB_ENV = "HINDSIGHT_DB"
DEFAULT_DB = Path("data/hindsight.duckdb")


def default_db() -> Path:
    """--db's default: $HINDSIGHT_DB when set, else data/hindsight.duckdb."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def _db_option(p: argparse.ArgumentParser, verb: str) -> None:
    p.add_argument("--db", type=Path, default=default_db(), help=f"database to {verb} (default: ${DB_ENV} or {DEFAULT_DB})")


def _json_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hindsight",
        description="Turn a corpus of incident postmortems into failure modes, recurring patterns, trends and follow-up.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples(
            "hindsight build data/sample/postmortems",
            "hindsight dashboard",
            "hindsight related --text 'connection pool exhausted after deploy'",
            "hindsight lint postmortems/ --fail-on error",
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_: str, examples: tuple[str, ...]) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=_examples(*examples),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(command_module=f"pipelines.cli.{name}")
        return p

    p = add(
        "build",
        "Parse every postmortem under CORPUS, load DuckDB, run the analysis and publish atomically.",
        (
            "hindsight build data/sample/postmortems",
            "hindsight build postmortems/ exports/incidents.jsonl --db /tmp/h.duckdb --json",
            "hindsight build postmortems/ --taxonomy team-failure-modes.toml",
            "hindsight build postmortems/ --catalog catalog-info.yaml",
            "hindsight build postmortems/ --tracker jira.csv --tracker github_issues.json",
        ),
    )
    p.add_argument("corpus", nargs="+", type=Path, metavar="CORPUS", help="files or folders of postmortems")
    _db_option(p, "publish")
    p.add_argument(
        "--catalog", action="append", type=Path, default=[], metavar="FILE",
        help="Backstage catalog (catalog-info.yaml) naming services and teams; repeatable. "
        "A catalog-info.yaml at the top of a CORPUS folder is read without this option",
    )
    p.add_argument(
        "--tracker", action="append", type=Path, default=[], metavar="FILE",
        help="tracker export whose issues are matched to action items (Jira CSV, `gh issue list --json ...`, "
        "incident.io follow-ups JSON, Dispatch task CSV; recognised by content); repeatable. Default: "
        "$HINDSIGHT_TRACKER, files separated by the path separator. See docs/tracker.md",
    )
    p.add_argument("--json", action="store_true", help="print one JSON summary object instead of text")
    p.add_argument(
        "--taxonomy", type=Path, default=None, metavar="FILE",
        help="your failure modes (TOML) extending the bundled taxonomy (see pipelines/analysis/failure_modes.toml)",
    )
    p.add_argument("--no-analysis", action="store_true", help="load only; skip failure modes, patterns, repeats and related incidents")
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="worker processes for parsing and, on large corpora, the analysis (default: CPU count)")

    p = add(
        "generate",
        "Write a realistic synthetic postmortem corpus plus truth.jsonl (the generator's ground truth).",
        ("hindsight generate --out /tmp/corpus --count 400 --seed 7",),
    )
    p.add_argument("--out", type=Path, required=True, help="folder to write (created if missing)")
    p.add_argument("--count", type=int, default=400, help="number of postmortems (default: 400)")
    p.add_argument("--seed", type=int, default=42, help="random seed; the same seed gives the same corpus")

    p = add(
        "dashboard",
        "Start the Streamlit dashboard on a built database.",
        ("hindsight dashboard", "hindsight dashboard --db /tmp/h.duckdb --port 8600"),
    )
    _db_option(p, "read")
    p.add_argument("--port", type=int, default=8501, help="port on localhost (default: 8501)")

    p = add(
        "themes",
        "List failure modes (incidents, quarters active, repeats, recurrences after fixes) and the recurring patterns inside each.",
        ("hindsight themes", "hindsight themes --json"),
    )
    _db_option(p, "read")
    _json_option(p)

    p = add(
        "followups",
        "The open and overdue action items by team, for a weekly follow-up meeting (statuses from the tracker "
        "where the build was given --tracker; never ranked by person). HINDSIGHT_TODAY=YYYY-MM-DD pins 'today'.",
        (
            "hindsight followups",
            "hindsight followups --overdue --team platform --format markdown",
            "hindsight followups --format csv > followups.csv",
        ),
    )
    p.add_argument("--format", choices=("table", "csv", "json", "markdown"), default="table")
    p.add_argument("--team", action="append", default=[], metavar="TEAM", help="only this team's items; repeatable")
    p.add_argument("--overdue", action="store_true", help="only items past their due date")
    _db_option(p, "read")

    p = add(
        "related",
        "Find past incidents similar to a description or to an existing incident, and why they match.",
        (
            "hindsight related --text 'TLS certificate expired on the edge proxy'",
            "hindsight related --incident INC-2024-031 -k 5 --json",
        ),
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--text", help="describe what you are seeing")
    what.add_argument("--incident", metavar="ID", help="an incident id already in the database")
    p.add_argument("-k", type=int, default=10, help="how many to show (default: 10)")
    _db_option(p, "read")
    _json_option(p)

    p = add(
        "lint",
        "Check postmortems for completeness, blameless language, RCA depth and owned, dated action items.",
        (
            "hindsight lint postmortems/2024-03-05-db-failover.md",
            "hindsight lint postmortems/ --format json --fail-on error",
        ),
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--fail-on", choices=("warning", "error"), default="error", help="exit non-zero at or above this severity (default: error)")
    p.add_argument("--rules", type=Path, default=None, help="extra blameless-language rules (TOML) to add to the defaults")

    p = add(
        "report",
        "Write the quarterly reliability review as Markdown or standalone HTML.",
        ("hindsight report", "hindsight report --quarter 2026Q3 --format html -o review.html --redact"),
    )
    p.add_argument(
        "--quarter", default=None,
        help="e.g. 2026Q3 (default: the last complete quarter with incidents, as on the dashboard; "
        "HINDSIGHT_TODAY=YYYY-MM-DD pins 'today')",
    )
    p.add_argument("--format", choices=("md", "html"), default="md")
    p.add_argument("-o", "--output", type=Path, default=None, help="file to write (default: stdout)")
    _db_option(p, "read")
    p.add_argument("--redact", action="store_true", help="replace emails, IPs, owner names and hostnames with placeholders")

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = importlib.import_module(args.command_module)
    try:
        return int(command.run(args) or 0)
    except BrokenPipeError:
        # `hindsight themes | head` closed the pipe: not an error. Point stdout at devnull
        # so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
