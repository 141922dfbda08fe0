"""A disk that fills up during a rebuild: the previous database survives, and the user is told.

A real full disk needs a mount; instead the rebuild runs in a child process whose file-size
limit (RLIMIT_FSIZE, with SIGXFSZ ignored) makes every write past 300 kB fail with EFBIG, the
same way a full disk fails a write with ENOSPC. Killed builds, unwritable targets and
concurrent builds are covered by tests/pipelines/test_publish.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.build.run import build

ROOT = Path(__file__).resolve().parents[2]
LIMITED_BUILD = r"""
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a failed write, not a killed process
resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))
from pipelines import cli
sys.exit(cli.main(["build", sys.argv[1], "--db", sys.argv[2], "--no-analysis", "--jobs", "1"]))
"""

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")


@pytest.fixture(scope="module")
def full_disk_run(generated_corpus: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("fulldisk")
    corpus = root / "corpus"
    shutil.copytree(generated_corpus / "postmortems", corpus)
    db = root / "h.duckdb"
    build([corpus], db, analysis=False, jobs=1)
    with duckdb.connect(str(db), read_only=True) as con:
        before = con.execute("SELECT value FROM build_info WHERE key = 'build_id'").fetchone()[0], con.execute(
            "SELECT count(*) FROM incidents"
        ).fetchone()[0]
    # A changed corpus, so the rebuild really writes a new database.
    (corpus / "zz-new.md").write_text("---\nid: NEW-1\ntitle: New incident\n---\n# New\n\n## Summary\nSomething broke.\n")
    run = subprocess.run(
        [sys.executable, "-c", LIMITED_BUILD, str(corpus), str(db)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    return db, before, run


def test_full_disk_leaves_the_previous_database(full_disk_run):
    db, (build_id, incidents), run = full_disk_run
    assert run.returncode != 0, "a build that could not write its database must fail"
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT value FROM build_info WHERE key = 'build_id'").fetchone()[0] == build_id
        assert con.execute("SELECT count(*) FROM incidents").fetchone()[0] == incidents
        assert con.execute("SELECT count(*) FROM incidents WHERE incident_id = 'NEW-1'").fetchone()[0] == 0
    assert not list(db.parent.glob(f".{db.name}.staging-*")), "the failed build's staging file is left behind"


def test_full_disk_error_is_clear(full_disk_run):
    db, _, run = full_disk_run
    output = run.stdout + run.stderr
    assert "Traceback" not in output
    assert "error" in output.lower() and str(db.parent) in output  # names the folder to free or change
