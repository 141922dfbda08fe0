"""`hindsight dashboard`: check the database, then become the Streamlit server on it.

The app finds the database through HINDSIGHT_DB (an absolute path, so it does not depend on
Streamlit's working directory). This module only starts the server; it never imports Streamlit.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import sys
from pathlib import Path

from pipelines.cli.database import BAD_DATABASE, open_for


def app_path() -> Path:
    spec = importlib.util.find_spec("dashboard.app")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("dashboard/app.py is missing; reinstall Hindsight (pip install -e .)")
    return Path(spec.origin)


def port_is_free(port: int) -> bool:
    """Whether a server could listen on `port` now (checked before saying where the dashboard is)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("", port))
        except OSError:
            return False
    return True


def streamlit_command(db_path: Path, port: int) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(app_path()),
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        # No source watching and no forced full GC after each run (.streamlit/config.toml says
        # why); passed here too because that file is only read when the server starts in the
        # project folder.
        "--server.fileWatcherType", "none",
        "--runner.postScriptGC", "false",
    ]


def run(args: argparse.Namespace) -> int:
    db_path = Path(os.path.abspath(args.db))
    con = open_for("dashboard", db_path)  # say what is wrong here, before a browser shows it
    if con is None:
        return BAD_DATABASE
    con.close()
    if not port_is_free(args.port):
        print(f"hindsight dashboard: error: port {args.port} is in use; choose another with --port", file=sys.stderr)
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
