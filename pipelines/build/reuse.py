"""What an incremental rebuild may take from the previously published database.

`source_files` records each file's content hash, its incident ids and its parser errors. A
file may be reused when its bytes are unchanged and the same code wrote the previous build:
`pipelines.PARSER_VERSION` plus a digest of the pipelines package sources, so an edited
parser never serves stale rows. `corpus_digest` covers the code, the options and every
file's hash: when it matches the previous build's, nothing at all has changed.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb

import pipelines
from pipelines.parsing.discover import SourceFile
from pipelines.build.parse_pool import content_hash
from pipelines.read.connection import open_read_only

log = logging.getLogger(__name__)


class NotOurDatabase(Exception):
    """The --db path holds something other than a Hindsight database; do not replace it."""


@dataclass
class PreviousBuild:
    path: Path
    info: dict[str, str]
    same_code: bool  # written by this code version, so its rows can be reused
    _files: dict | None = None

    @property
    def artifacts_prefix(self) -> Path | None:
        prefix = self.info.get("artifacts_prefix")
        return Path(prefix) if prefix else None

    @property
    def files(self) -> dict[str, tuple[str, list[str], list[tuple[str, str]], bool]]:
        """source_path -> (content hash, incident ids, parser errors, reusable); read on first use,
        since an unchanged corpus is recognised from build_info alone."""
        if self._files is None:
            with open_read_only(self.path) as con:
                rows = con.execute(
                    "SELECT source_path, content_hash, incident_ids, errors, reusable FROM source_files"
                ).fetchall()
            self._files = {
                sp: (h, list(ids or []), [(e["source_path"], e["reason"]) for e in (errs or [])], bool(reusable))
                for sp, h, ids, errs, reusable in rows
            }
        return self._files


CODE_SUFFIXES = (".py", ".toml", ".sql")


def code_version(package_dir: Path | None = None) -> str:
    """PARSER_VERSION plus a digest of every source file under the pipelines package, sub-packages
    included: any code edit, anywhere in the tree, invalidates reuse. Paths are hashed relative to
    the package, so moving a module between sub-packages changes the digest too."""
    h = hashlib.blake2b(digest_size=8)
    pkg = package_dir or Path(pipelines.__file__).parent
    for p in sorted(pkg.rglob("*")):
        if p.suffix in CODE_SUFFIXES and p.is_file() and "__pycache__" not in p.parts:
            h.update(p.relative_to(pkg).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return f"{pipelines.PARSER_VERSION}+{h.hexdigest()}"


def read_previous(db_path: Path, version: str) -> PreviousBuild | None:
    """The published database's build info; None when there is none yet.

    Raises NotOurDatabase rather than let the build replace a file that is not a Hindsight database: `--db notes.md`
    is a typo, and publishing over it would destroy the file.
    """
    try:
        with db_path.open("rb") as f:
            header = f.read(12)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise NotOurDatabase(f"cannot read the existing {db_path}: {e.strerror}; choose another --db") from e
    if not header:
        return None  # an empty file holds nothing to lose
    not_ours = f"{db_path} exists and is not a Hindsight database, so the build will not replace it"
    if header[8:12] != b"DUCK":
        raise NotOurDatabase(f"{not_ours}; choose another --db, or delete the file if it is not needed")
    try:
        with open_read_only(db_path) as con:
            info = dict(con.execute("SELECT key, value FROM build_info").fetchall())
    except duckdb.Error as e:
        raise NotOurDatabase(
            f"{not_ours} ({str(e).splitlines()[0]}); choose another --db, or delete the file if it is not needed"
        ) from e
    same_code = info.get("code_version") == version
    if not same_code:
        log.info("previous database was built by other code: parsing every file")
    return PreviousBuild(db_path, info, same_code)


def hash_files(files: list[SourceFile]) -> dict[str, tuple[str, int]]:
    hashes = {}
    for f in files:
        try:
            data = f.path.read_bytes()
        except OSError:
            continue  # parse_source reports it
        hashes[f.source_path] = (content_hash(data), len(data))
    return hashes


def corpus_digest(version: str, taxonomy: str | None, analysis: bool, hashes: dict[str, tuple[str, int]]) -> str:
    """What decides a build's tables: code version, a team taxonomy's content hash, the options
    and every file's content."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{version}\0{taxonomy}\0{analysis}\0".encode())
    for sp in sorted(hashes):
        h.update(f"{sp}\0{hashes[sp][0]}\0".encode())
    return h.hexdigest()
