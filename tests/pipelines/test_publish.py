"""Publishing: readers keep working, killed builds leave the old database, builds take turns."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.build.run import BuildError, build
from pipelines.build.publish import build_lock, remove_unreferenced_artifacts
from pipelines.read.connection import open_read_only
from tests.conftest import write_corpus
from tests.pipelines.test_build import table_contents

ROOT = Path(__file__).resolve().parents[2]


def corpus_of(root: Path, n: int, tag: str) -> Path:
    return write_corpus(
        root,
        {
            f"{i:02d}.md": f"---\nid: {tag}-{i}\ntitle: {tag} incident {i}\n---\n# {tag} {i}\n\n## Summary\nA disk filled up.\n"
            for i in range(n)
        },
    )


def count(db: Path) -> int:
    with open_read_only(db) as con:
        return con.execute("SELECT count(*) FROM incidents").fetchone()[0]


def start_build(corpus: Path, db: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "build", str(corpus), "--db", str(db), "--no-analysis", "--jobs", "1", "--json"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(proc: subprocess.Popen, needle: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 0.2)
        if ready:
            line = proc.stderr.readline()
            seen += line
            if needle in line:
                return
            if not line and proc.poll() is not None:
                break
    proc.kill()
    raise AssertionError(f"build never printed {needle!r}; stderr so far:\n{seen}")


def test_reader_keeps_the_old_file_and_new_connections_see_the_new_one(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    build([corpus_of(tmp_path / "a", 3, "A")], db, analysis=False, jobs=1)
    reader = duckdb.connect(str(db), read_only=True)  # what the dashboard holds
    try:
        build([corpus_of(tmp_path / "b", 5, "B")], db, analysis=False, jobs=1)
        assert reader.execute("SELECT count(*) FROM incidents").fetchone()[0] == 3
        assert count(db) == 5
    finally:
        reader.close()
    with duckdb.connect(str(db), read_only=True) as fresh:
        assert fresh.execute("SELECT count(*) FROM incidents").fetchone()[0] == 5


@pytest.mark.parametrize("stage", ["parsed", "loaded", "staged"])
def test_killed_build_leaves_the_previous_database(tmp_path: Path, stage: str) -> None:
    db = tmp_path / "h.duckdb"
    build([corpus_of(tmp_path / "a", 3, "A")], db, analysis=False, jobs=1)
    before = table_contents(db)

    proc = start_build(corpus_of(tmp_path / "b", 4, "B"), db, HINDSIGHT_TEST_PAUSE_AT=stage)
    wait_for_line(proc, f"paused at {stage}")
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    assert table_contents(db) == before
    leftovers = list(tmp_path.glob(".h.duckdb.staging-*"))
    assert leftovers or stage == "parsed"  # the staging file exists once loading started
    build([tmp_path / "b"], db, analysis=False, jobs=1)
    assert count(db) == 4
    assert not list(tmp_path.glob(".h.duckdb.staging-*"))


def test_concurrent_builds_take_turns(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    a, b = corpus_of(tmp_path / "a", 3, "A"), corpus_of(tmp_path / "b", 4, "B")
    release = tmp_path / "release"
    # the first build holds the lock until the second says it is waiting: no race with a slow start
    first = start_build(a, db, HINDSIGHT_TEST_PAUSE_AT="locked", HINDSIGHT_TEST_PAUSE_UNTIL=str(release))
    wait_for_line(first, "paused at locked")
    second = start_build(b, db)
    wait_for_line(second, "waiting for another build")
    release.touch()
    out2, err2 = second.communicate(timeout=60)
    out1, _ = first.communicate(timeout=60)
    assert first.returncode == 0 and second.returncode == 0, err2
    assert count(db) == 4  # the second build waited, then published last


def test_lock_wait_is_bounded(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    corpus = corpus_of(tmp_path / "a", 2, "A")
    with build_lock(db):
        with pytest.raises(BuildError, match="another build .* still running"):
            build([corpus], db, analysis=False, jobs=1, lock_timeout=0.3)
    assert not db.exists()


def test_no_lock_file_is_left_behind_by_a_build_that_succeeds_or_fails(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    build([corpus_of(tmp_path / "a", 2, "A")], db, analysis=False, jobs=1)
    assert not (tmp_path / ".h.duckdb.lock").exists()
    other = tmp_path / "other.duckdb"
    other.write_text("not a database, and not ours to replace")
    with pytest.raises(BuildError):
        build([tmp_path / "a"], other, analysis=False, jobs=1)
    assert other.read_text().startswith("not a database")
    assert not (tmp_path / ".other.duckdb.lock").exists()


def test_a_waiter_never_removes_the_holders_lock(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    with build_lock(db):
        with pytest.raises(BuildError):
            build([corpus_of(tmp_path / "a", 2, "A")], db, analysis=False, jobs=1, lock_timeout=0.2)
        assert (tmp_path / ".h.duckdb.lock").exists()  # still held, still there
        with pytest.raises(BuildError, match="still running"):  # and still keeps others out
            build([tmp_path / "a"], db, analysis=False, jobs=1, lock_timeout=0.2)
    assert not (tmp_path / ".h.duckdb.lock").exists()


def test_unwritable_target_is_a_clear_error(tmp_path: Path) -> None:
    corpus = corpus_of(tmp_path / "a", 2, "A")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(BuildError, match="not-a-folder"):
        build([corpus], blocker / "h.duckdb", analysis=False, jobs=1)
    if os.geteuid() == 0:
        return  # root writes anywhere; the permission case below cannot be exercised
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(BuildError, match="cannot write to the database folder .*ro"):
            build([corpus], locked / "h.duckdb", analysis=False, jobs=1)
    finally:
        locked.chmod(0o700)


def test_old_artifacts_are_removed_and_current_ones_kept(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    for name in ("h.duckdb.0123456789ab.themes.joblib", "h.duckdb.fedcba987654.related.npz", "h.duckdb.bak", "other.txt"):
        (tmp_path / name).write_text("x")
    removed = remove_unreferenced_artifacts(db, keep_build_ids={"fedcba987654"})
    assert [p.name for p in removed] == ["h.duckdb.0123456789ab.themes.joblib"]
    assert {p.name for p in tmp_path.iterdir()} == {"h.duckdb.fedcba987654.related.npz", "h.duckdb.bak", "other.txt"}

    result = build([corpus_of(tmp_path / "a", 2, "A")], db, analysis=False, jobs=1)
    # the build keeps only its own files (it has no previous build to keep)
    assert not (tmp_path / "h.duckdb.fedcba987654.related.npz").exists()
    assert (tmp_path / "h.duckdb.bak").exists()
    assert result.build_id


def test_failed_analysis_publishes_nothing_and_removes_its_model_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "h.duckdb"
    build([corpus_of(tmp_path / "a", 2, "A")], db, analysis=False, jobs=1)
    before = table_contents(db)

    class BrokenAnalysis:
        @staticmethod
        def run(con, artifacts_prefix: Path, n_themes=None, **kwargs) -> None:
            Path(f"{artifacts_prefix}.themes.joblib").write_text("half-written")
            raise ValueError("empty vocabulary")

    monkeypatch.setattr("pipelines.build.analyse.run", BrokenAnalysis.run)
    with pytest.raises(BuildError, match="analysis failed .*empty vocabulary.*--no-analysis"):
        build([corpus_of(tmp_path / "b", 3, "B")], db, jobs=1)
    assert table_contents(db) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file() and p.name.startswith("h.duckdb")) == ["h.duckdb"]


def test_a_file_that_is_not_a_hindsight_database_is_not_replaced(tmp_path: Path) -> None:
    corpus = corpus_of(tmp_path / "a", 2, "A")
    notes = tmp_path / "notes.md"
    notes.write_text("# my notes\n")
    with pytest.raises(BuildError, match="not a Hindsight database"):
        build([corpus], notes, analysis=False, jobs=1)
    assert notes.read_text() == "# my notes\n"

    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE precious AS SELECT 42 AS answer")
    with pytest.raises(BuildError, match="not a Hindsight database"):
        build([corpus], other, analysis=False, jobs=1)
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.execute("SELECT answer FROM precious").fetchone() == (42,)
