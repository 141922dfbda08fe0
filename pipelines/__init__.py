"""Hindsight pipelines: parse postmortems, load DuckDB, analyse the corpus.

This package never imports Streamlit; the dashboard reads what it writes.
"""

PARSER_VERSION = "7"  # bump when parsing output changes, so cached rows are re-parsed
# Bump when a table or column that readers use changes: the dashboard and the CLI refuse a
# database built with another schema and say to rebuild it, instead of failing on a missing column.
SCHEMA_VERSION = "5"  # 4: tracker sync on action_items, tracker_records; 5: summary tables (pipelines/build/summaries.py)
