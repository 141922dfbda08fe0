"""Which files a build reads, and the source_path each one gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.parsing.discover import CorpusNotFound, discover
from tests.conftest import write_corpus


def paths(found) -> list[str]:
    return [f.source_path for f in found.files]


def test_walks_sorted_skipping_hidden_and_counting_other_files(tmp_path: Path) -> None:
    root = write_corpus(
        tmp_path / "pm",
        {
            "b.md": "x",
            "a/2024/c.MD": "x",
            "exports/all.jsonl": "{}",
            "exports/all.csv": "id\n",
            "notes.txt": "x",
            "diagram.png": b"\x89PNG",
            ".draft.md": "x",
            ".git/config.md": "x",
            "a/.cache/d.md": "x",
        },
    )
    found = discover([root])
    assert paths(found) == ["a/2024/c.MD", "b.md", "exports/all.csv", "exports/all.jsonl"]
    assert found.skipped == ["diagram.png", "notes.txt"]
    assert all(f.path.is_absolute() and f.path.exists() for f in found.files)


def test_a_file_argument_is_its_name_and_always_attempted(tmp_path: Path) -> None:
    note = write_corpus(tmp_path, {"deep/er/incident-notes.txt": "x"}) / "deep/er/incident-notes.txt"
    assert paths(discover([note])) == ["incident-notes.txt"]


def test_several_roots_are_prefixed_with_distinguishing_names(tmp_path: Path) -> None:
    write_corpus(tmp_path, {"east/pm/a.md": "x", "west/pm/a.md": "x", "exports/x.jsonl": "{}"})
    found = discover([tmp_path / "east/pm", tmp_path / "west/pm", tmp_path / "exports/x.jsonl"])
    assert paths(found) == ["east/pm/a.md", "west/pm/a.md", "x.jsonl"]


def test_overlapping_roots_read_each_file_once(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "pm", {"a.md": "x", "sub/b.md": "x"})
    found = discover([root, root / "sub" / "b.md"])
    assert paths(found) == ["pm/a.md", "pm/sub/b.md"]


def test_missing_paths_are_all_named(tmp_path: Path) -> None:
    with pytest.raises(CorpusNotFound) as err:
        discover([tmp_path / "one", tmp_path, tmp_path / "two"])
    assert "one" in str(err.value) and "two" in str(err.value)
