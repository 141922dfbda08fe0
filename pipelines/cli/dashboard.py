"""`hindsight dashboard`: run the Streamlit app on a built database.

The app finds the database through HINDSIGHT_DB (an absolute path, so it does not depend on
Streamlit's working directory). This module only starts the server; it never imports Streamlit.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path


def app_path() -> Path:
    spec = importlib.util.find_spec("dashboard.app")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("dashboard/app.py is missing; reinstall Hindsight (pip install -e .)")
    return Path(spec.origin)


def streamlit_command(db_path: Path, port: int) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(app_path()),
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]


def cli_main(args) -> int:
    db_path = Path(os.path.abspath(args.db))
    if not db_path.is_file():
        print(
            f"error: no database at {db_path}; build one first, e.g.\n"
            f"  hindsight build data/sample/postmortems --db {args.db}",
            file=sys.stderr,
        )
        return 1
    try:
        command = streamlit_command(db_path, args.port)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"Hindsight dashboard on http://localhost:{args.port} (database {db_path}); Ctrl+C to stop", file=sys.stderr)
    sys.stderr.flush()
    # Become the Streamlit server (no wrapper process), so Ctrl+C and kill reach it directly.
    os.execve(command[0], command, dict(os.environ, HINDSIGHT_DB=str(db_path)))
    return 0  # not reached
