"""Publish a database file atomically, one build at a time.

The dashboard keeps the published file open read-only, and DuckDB's file lock would block a
writer of that same file. So a build writes `.<name>.staging-<pid>` in the same folder (same
filesystem, so the rename is atomic), checkpoints and closes it, fsyncs it and renames it over
the target. A reader that has the old file open keeps reading the old inode; new connections
see the new file. A build killed at any point leaves the target untouched; its staging file is
removed by the next build.

Builds of the same target take an exclusive `flock` on `.<name>.lock`; the kernel releases it
when the holder dies, so a killed build never leaves a lock held. The holder removes the file
when it is done (succeeded or failed), and a waiter that locked a file just removed opens the
new one, so no `.<name>.lock` is left beside the database.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path



log = logging.getLogger(__name__)


class PublishError(Exception):
    """The target cannot be written; the message names the path and what to do."""


def staging_path(db_path: Path) -> Path:
    return db_path.with_name(f".{db_path.name}.staging-{os.getpid()}")


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(f".{db_path.name}.lock")


def prepare_target_dir(db_path: Path) -> None:
    """Create the database's folder if needed and fail early, clearly, if it is not writable."""
    folder = db_path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PublishError(f"cannot create the database folder {folder}: {e.strerror}; choose another --db") from e
    if not folder.is_dir():
        raise PublishError(f"{folder} is not a folder; choose another --db")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PublishError(
            f"cannot write to the database folder {folder} (permission denied); "
            "fix its permissions or choose another --db"
        )
    if db_path.is_dir():
        raise PublishError(f"{db_path} is a folder; give --db a file path such as {db_path / 'hindsight.duckdb'}")


def _open_lock(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise PublishError(f"cannot create the build lock {path}: {e.strerror}; choose another --db") from e


def _still_the_lock_file(fd: int, path: Path) -> bool:
    """True if `path` still names the file `fd` locked: the previous holder removes the lock file
    on its way out, and a lock on a removed file keeps nobody else out."""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


@contextmanager
def build_lock(db_path: Path, timeout: float = 600.0) -> Iterator[None]:
    """Hold the exclusive build lock for `db_path`, waiting up to `timeout` seconds for it.

    The lock file is removed when the holder is done, whether its build succeeded or failed, so
    no `.<name>.lock` is left next to the database; only a killed build leaves one (unlocked,
    harmless, removed by the next build).
    """
    path = lock_path(db_path)
    deadline = time.monotonic() + timeout
    told = False
    while True:
        fd = _open_lock(path)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as e:
                    if e.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                if time.monotonic() >= deadline:
                    raise PublishError(
                        f"another build of {db_path} is still running (pid {holder}, lock {path}); "
                        f"gave up after {timeout:.0f} s; wait for it to finish and run the build again"
                    )
                if not told:
                    log.warning("waiting for another build of %s (pid %s) to finish...", db_path, holder)
                    told = True
                time.sleep(0.1)
        except BaseException:
            os.close(fd)
            raise
        if _still_the_lock_file(fd, path):
            break
        os.close(fd)  # we locked a file its previous holder had just removed: take the new one
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        try:
            if _still_the_lock_file(fd, path):
                path.unlink(missing_ok=True)  # while still holding it, so no one can be between open and flock on it
        finally:
            os.close(fd)  # closing releases the flock


def remove_stale_staging(db_path: Path) -> list[Path]:
    """Delete staging files left by killed builds. Call only while holding the build lock."""
    mine = staging_path(db_path).name
    removed = []
    for p in db_path.parent.glob(f".{glob_escape(db_path.name)}.staging-*"):
        if not p.name.startswith(mine):
            p.unlink(missing_ok=True)
            removed.append(p)
    if removed:
        log.info("removed %d stale staging file(s) left by an interrupted build", len(removed))
    return removed


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _fsync_path(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(staging: Path, db_path: Path) -> None:
    """Atomically replace `db_path` with the closed, checkpointed `staging` file."""
    _fsync_path(staging)
    wal = db_path.with_name(db_path.name + ".wal")
    if wal.exists():
        # A WAL left by someone who opened the published file read-write would be replayed
        # onto the new file and corrupt it.
        log.warning("removing %s left over from a writer of the previous database", wal)
        wal.unlink()
    os.replace(staging, db_path)
    _fsync_path(db_path.parent, directory=True)


_ARTIFACT = re.compile(r"\.([0-9a-f]{12})(?:[._-]|$)")


def artifact_build_id(db_path: Path, file: Path) -> str | None:
    """The build id in an artifact file name `<db name>.<build id>...`, else None."""
    if not file.name.startswith(db_path.name + "."):
        return None
    m = _ARTIFACT.match(file.name[len(db_path.name):])
    return m.group(1) if m else None


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def remove_unreferenced_artifacts(db_path: Path, keep_build_ids: set[str]) -> list[Path]:
    """Delete model files of builds other than `keep_build_ids`. Call while holding the lock.

    Keep the previous build's files too: a dashboard still holding the old database open
    may load them lazily after this build has published.
    """
    removed = []
    for p in db_path.parent.iterdir():
        build_id = artifact_build_id(db_path, p)
        if build_id is not None and build_id not in keep_build_ids:
            _remove(p)
            removed.append(p)
    return removed


def remove_build_artifacts(db_path: Path, build_id: str) -> None:
    """Delete the model files of one build (that was not published)."""
    for p in db_path.parent.iterdir():
        if artifact_build_id(db_path, p) == build_id:
            _remove(p)
