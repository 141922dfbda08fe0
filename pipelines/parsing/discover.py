"""Find the postmortem files under the corpus paths given to `hindsight build`.

Each file gets a `source_path`: the path relative to the corpus root it was found under, with
POSIX separators (a file given directly is just its name). With several roots, every path is
prefixed with its root's name so the same relative path under two roots cannot collide.
Hidden files and folders (names starting with '.') are never read; files whose suffix the
parser does not handle are counted as skipped, because a corpus folder often holds images,
PDFs and notes that are not postmortems.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# The parser owns the list; this fallback only matters while pipelines/parse.py is missing.
_FALLBACK_SUFFIXES = frozenset({".md", ".markdown", ".json", ".jsonl", ".csv"})


def supported_suffixes() -> frozenset[str]:
    try:
        from pipelines.parsing.files import SUPPORTED_SUFFIXES
    except ImportError:
        return _FALLBACK_SUFFIXES
    return frozenset(s.lower() for s in SUPPORTED_SUFFIXES)


class CorpusNotFound(Exception):
    """A corpus path given on the command line does not exist."""


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute, for reading
    source_path: str  # relative to its corpus root, POSIX separators; the key in every table


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)  # sorted by source_path
    skipped: list[str] = field(default_factory=list)  # unsupported suffix, as source paths


def _root_labels(roots: list[Path]) -> list[str]:
    """Each root's name, lengthened by parent folders only where two roots share a name."""
    parts = [r.resolve().parts for r in roots]
    depth = [1] * len(roots)

    def label(i: int) -> str:
        return "/".join(p for p in parts[i][-depth[i]:] if p != "/") or "root"

    while True:
        groups: dict[str, list[int]] = {}
        for i in range(len(roots)):
            groups.setdefault(label(i), []).append(i)
        clashes = [i for members in groups.values() if len(members) > 1 for i in members if depth[i] < len(parts[i])]
        if not clashes:
            return [label(i) for i in range(len(roots))]
        for i in clashes:
            depth[i] += 1


def _walk(root: Path) -> list[tuple[Path, str]]:
    """(path, path relative to root with POSIX separators) of every non-hidden file, sorted."""
    found: list[tuple[Path, str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        prefix = "" if rel_dir == "." else rel_dir + "/"
        found.extend((Path(dirpath, f), prefix + f) for f in sorted(filenames) if not f.startswith("."))
    return found


def discover(corpus: list[Path], suffixes: frozenset[str] | None = None) -> Discovery:
    """List the files to ingest; raise CorpusNotFound naming every path that does not exist."""
    missing = [str(p) for p in corpus if not p.exists()]
    if missing:
        raise CorpusNotFound(
            "corpus path not found: " + ", ".join(missing) + " (give existing files or folders of postmortems)"
        )
    suffixes = suffixes or supported_suffixes()
    labels = _root_labels(corpus) if len(corpus) > 1 else [""]
    result = Discovery()
    seen: set[Path] = set()
    by_source: dict[str, SourceFile] = {}
    for given, label in zip(corpus, labels):
        root = given.resolve()  # once per root: resolving each of 10,000 files costs seconds
        if root.is_file():
            # A file named explicitly is always attempted: the parser says why if it cannot read it.
            candidates = [(root, label or given.name)]
            explicit = True
        else:
            candidates = [(p, f"{label}/{rel}" if label else rel) for p, rel in _walk(root)]
            explicit = False
        for path, source_path in candidates:
            if path in seen:  # overlapping roots (a folder and a file inside it): read once
                continue
            seen.add(path)
            if not explicit and os.path.splitext(path.name)[1].lower() not in suffixes:
                result.skipped.append(source_path)
                continue
            by_source.setdefault(source_path, SourceFile(path, source_path))
    result.files = sorted(by_source.values(), key=lambda f: f.source_path)
    result.skipped.sort()
    return result
