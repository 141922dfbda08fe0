"""The `hindsight` command line: argument parsing and output formatting, nothing else.

Each command's work lives in its layer (build, lint, analysis, read, report, synthetic); the
modules here turn arguments into calls and the returned data into text, JSON or CSV.
"""

from pipelines.cli.main import DEFAULT_DB, build_parser, main

__all__ = ["DEFAULT_DB", "build_parser", "main"]
