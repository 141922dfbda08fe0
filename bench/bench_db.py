"""The 10,000-incident database the dashboard and load benchmarks share, built once and cached."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def ensure_db(count: int, seed: int) -> Path:
    """Generate and build a corpus of `count` postmortems unless bench/out already has it."""
    db = OUT / f"dashboard-{count}.duckdb"
    if db.exists():
        return db
    corpus = OUT / f"corpus-{count}"
    OUT.mkdir(parents=True, exist_ok=True)
    hindsight = [sys.executable, "-m", "pipelines.cli"]
    if not (corpus / "postmortems").exists():
        subprocess.run([*hindsight, "generate", "--out", str(corpus), "--count", str(count), "--seed", str(seed)], check=True, cwd=ROOT)
    subprocess.run([*hindsight, "build", str(corpus / "postmortems"), "--db", str(db)], check=True, cwd=ROOT)
    return db


def latest_incident(db: Path) -> str:
    """The newest incident a default viewer may open (for the incident page's URL)."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT incident_id FROM incidents WHERE NOT restricted ORDER BY incident_date DESC NULLS LAST LIMIT 1"
        ).fetchone()[0]
