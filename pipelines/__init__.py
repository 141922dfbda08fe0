"""Hindsight pipelines: parse postmortems, load DuckDB, analyse the corpus.

This package never imports Streamlit; the dashboard reads what it writes.
"""

PARSER_VERSION = "4"  # bump when parsing output changes, so cached rows are re-parsed
