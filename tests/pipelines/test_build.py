"""The build: every file loaded or explained, duplicate ids, source paths, incremental reuse."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.build import schema
from pipelines.build.run import BuildError, UsageError, build
from pipelines.parsing.discover import discover
from tests.conftest import SAMPLE_FILES, SAMPLE_IDS, write_corpus

BROKEN_FILES: dict[str, str | bytes] = {
    "broken/binary.md": bytes(range(256)) * 8,
    "broken/latin1.md": "---\nid: INC-0900\n---\n# Caf\xe9 outage\n".encode("latin-1"),
    "broken/empty.md": b"",
    # INC-0101 is the failover of 2024-03-05: a write-up a year later reusing its id is an id clash.
    "zz-duplicate.md": "---\nid: INC-0101\ndate: 2025-03-05\ntitle: Another incident reusing the failover's id\n---\n# Copy\n\nSame id.\n",
    "broken/records.jsonl": '{"id": "INC-0950", "title": "Good record", "summary": "A cron job ran twice."}\n{"id": oops\n',
}


@pytest.fixture(autouse=True)
def fixed_code_version(monkeypatch: pytest.MonkeyPatch) -> None:
    """Other modules may be edited while the suite runs; reuse must not depend on that here."""
    monkeypatch.setattr("pipelines.build.run.code_version", lambda: "test")


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def table_contents(db: Path) -> dict[str, list[str]]:
    """Every table's rows as sorted strings (build_info aside: it records when and which build)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            t: sorted(repr(r) for r in con.execute(f"SELECT * FROM {t}").fetchall())
            for t in schema.TABLES
            if t != "build_info"
        }


def file_of(source_path: str) -> str:
    return source_path.rsplit(":", 1)[0] if source_path.split(":")[-1].isdigit() else source_path


def test_every_file_is_loaded_or_explained(sample_corpus: Path, tmp_path: Path) -> None:
    write_corpus(sample_corpus, BROKEN_FILES)
    (sample_corpus / "diagram.png").write_bytes(b"\x89PNG")
    (sample_corpus / ".hidden.md").write_text("# not read\n")
    db = tmp_path / "h.duckdb"

    result = build([sample_corpus], db, analysis=False, jobs=1)

    seen = {f.source_path for f in discover([sample_corpus]).files}
    assert result.files_seen == len(seen) == len(SAMPLE_FILES) + len(BROKEN_FILES)
    assert result.files_skipped == 1  # the .png; the hidden file is not even counted
    loaded = {file_of(p) for (p,) in rows(db, "SELECT source_path FROM incident_sources")}
    failed = {file_of(p) for (p,) in rows(db, "SELECT source_path FROM ingest_errors")}
    assert loaded | failed == seen
    assert set(SAMPLE_FILES) <= loaded
    assert {"broken/binary.md", "broken/empty.md", "zz-duplicate.md"} <= failed
    # a bad record costs that record only, reported with its line number
    assert rows(db, "SELECT source_path FROM incidents WHERE incident_id = 'INC-0950'") == [("broken/records.jsonl:1",)]
    assert "broken/records.jsonl:2" in {p for (p,) in rows(db, "SELECT source_path FROM ingest_errors")}
    ids = {i for (i,) in rows(db, "SELECT incident_id FROM incidents")}
    assert SAMPLE_IDS <= ids
    assert result.incidents_loaded == len(ids)
    assert all(f["reason"].strip() for f in result.files_failed)
    assert {f["path"] for f in result.files_failed} == {p for (p,) in rows(db, "SELECT source_path FROM ingest_errors")}


def test_second_file_with_an_id_is_an_error_naming_the_first(sample_corpus: Path, tmp_path: Path) -> None:
    write_corpus(sample_corpus, {"zz-duplicate.md": BROKEN_FILES["zz-duplicate.md"]})
    db = tmp_path / "h.duckdb"
    build([sample_corpus], db, analysis=False, jobs=1)

    (path, title), = rows(db, "SELECT source_path, title FROM incidents WHERE incident_id = 'INC-0101'")
    assert path == "2024-03-05-db-failover.md"
    assert "failover" in title.lower()
    (reason,), = rows(db, "SELECT reason FROM ingest_errors WHERE source_path = 'zz-duplicate.md'")
    assert "INC-0101" in reason and "2024-03-05-db-failover.md" in reason


def test_source_paths_are_relative_posix_and_prefixed_for_several_roots(sample_corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    build([sample_corpus], db, analysis=False, jobs=1)
    paths = {p for (p,) in rows(db, "SELECT source_path FROM incidents")}
    assert "teams/search/2024-06-11-index-rollout.md" in paths
    assert all(not p.startswith("/") and "\\" not in p for p in paths)

    other = write_corpus(tmp_path / "more", {"extra.md": "---\nid: INC-0300\n---\n# Extra\n\nBody.\n"})
    build([sample_corpus, other, sample_corpus / "exports" / "incidents.jsonl"], db, analysis=False, jobs=1)
    paths = {p for (p,) in rows(db, "SELECT source_path FROM incidents")}
    assert "corpus/teams/search/2024-06-11-index-rollout.md" in paths
    assert "more/extra.md" in paths
    # the JSONL was found under the first root already: read once, under that name
    assert any(p.startswith("corpus/exports/incidents.jsonl") for p in paths)


def test_file_argument_source_path_is_its_name(sample_corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    build([sample_corpus / "2024-03-05-db-failover.md"], db, analysis=False, jobs=1)
    assert rows(db, "SELECT source_path FROM incidents") == [("2024-03-05-db-failover.md",)]


def test_unchanged_rebuild_is_identical_and_skips_parsing(sample_corpus: Path, tmp_path: Path) -> None:
    write_corpus(sample_corpus, BROKEN_FILES)
    db = tmp_path / "h.duckdb"
    first = build([sample_corpus], db, analysis=False, jobs=1)
    before = table_contents(db)

    again = build([sample_corpus], db, analysis=False, jobs=1)

    assert again.files_parsed == 0 and again.files_reused == first.files_seen
    assert table_contents(db) == before
    assert again.files_failed == first.files_failed
    assert again.build_id != first.build_id
    (build_id,), = rows(db, "SELECT value FROM build_info WHERE key = 'build_id'")
    assert build_id == again.build_id


def test_changing_one_file_reparses_only_that_file(sample_corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    first = build([sample_corpus], db, analysis=False, jobs=1)
    target = sample_corpus / "teams/search/2024-06-11-index-rollout.md"
    target.write_text(target.read_text().replace("Search index rollout", "Search index migration"))

    second = build([sample_corpus], db, analysis=False, jobs=1)

    assert second.files_parsed == 1
    assert second.files_reused == first.files_seen - 1
    (title,), = rows(db, "SELECT title FROM incidents WHERE incident_id = 'INC-0102'")
    assert "migration" in title
    # the reused rows are all there, identical to a from-scratch build
    fresh = tmp_path / "fresh.duckdb"
    build([sample_corpus], fresh, analysis=False, jobs=1)
    assert table_contents(db) == table_contents(fresh)


def test_removed_files_disappear_and_a_duplicate_loads_once_its_twin_is_gone(sample_corpus: Path, tmp_path: Path) -> None:
    write_corpus(sample_corpus, {"zz-duplicate.md": BROKEN_FILES["zz-duplicate.md"]})
    db = tmp_path / "h.duckdb"
    build([sample_corpus], db, analysis=False, jobs=1)
    (sample_corpus / "2024-03-05-db-failover.md").unlink()
    (sample_corpus / "notes-cert-expiry.md").unlink()

    result = build([sample_corpus], db, analysis=False, jobs=1)

    assert rows(db, "SELECT source_path FROM incidents WHERE incident_id = 'INC-0101'") == [("zz-duplicate.md",)]
    assert rows(db, "SELECT count(*) FROM ingest_errors") == [(0,)]
    assert not rows(db, "SELECT 1 FROM incidents WHERE source_path = 'notes-cert-expiry.md'")
    assert result.files_parsed == 1  # only the former duplicate: its rows were never stored


def test_parallel_parse_matches_in_process_parse(tmp_path: Path) -> None:
    files = {
        f"pm/{i:03d}.md": f"---\nid: INC-{i:04d}\ntitle: Incident {i}\nseverity: SEV{1 + i % 4}\n---\n"
        f"# Incident {i}\n\n## Summary\nCache node {i} ran out of memory.\n\n## Root cause\n- Eviction was off.\n"
        for i in range(60)
    }
    corpus = write_corpus(tmp_path / "c", files)
    one = build([corpus], tmp_path / "one.duckdb", analysis=False, jobs=1)
    two = build([corpus], tmp_path / "two.duckdb", analysis=False, jobs=2)
    assert one.incidents_loaded == two.incidents_loaded == 60
    assert table_contents(tmp_path / "one.duckdb") == table_contents(tmp_path / "two.duckdb")


def test_missing_corpus_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nope"):
        build([tmp_path / "nope"], tmp_path / "h.duckdb")
    assert not (tmp_path / "h.duckdb").exists()


def test_nothing_loadable_publishes_nothing_and_keeps_the_old_db(sample_corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    build([sample_corpus], db, analysis=False, jobs=1)
    before = table_contents(db)
    bad = write_corpus(tmp_path / "bad", {"a.md": b"", "b.md": b""})
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "photo.jpg").write_bytes(b"\xff\xd8")

    with pytest.raises(BuildError, match="none of the 2 files"):
        build([bad], db, analysis=False, jobs=1)
    with pytest.raises(BuildError, match="no postmortem files found"):
        build([empty], db, analysis=False, jobs=1)
    assert table_contents(db) == before


def test_build_info_records_the_build(sample_corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    result = build([sample_corpus], db, analysis=False, jobs=1)
    info = dict(rows(db, "SELECT key, value FROM build_info"))
    assert info["build_id"] == result.build_id
    assert info["artifacts_prefix"] == f"{db}.{result.build_id}"
    assert info["taxonomy"] == "bundled" and info["analysis"] == "skipped"
    assert str(sample_corpus) in info["corpus_roots"]
    for key in ("parser_version", "built_at", "corpus_hash", "code_version"):
        assert info[key]


TEAM_TAXONOMY = """
[[modes]]
key = "flag_service"
class = "change"
name = "Feature-flag service failure"
description = "The flag service itself failed."
strong = ["flag service"]
"""


def test_a_team_taxonomy_is_used_and_editing_it_redoes_the_analysis(sample_corpus: Path, tmp_path: Path) -> None:
    team = tmp_path / "team.toml"
    team.write_text(TEAM_TAXONOMY)
    db = tmp_path / "h.duckdb"
    build([sample_corpus], db, jobs=1, taxonomy=team)
    assert ("Feature-flag service failure",) in rows(db, "SELECT name FROM failure_modes")
    info = dict(rows(db, "SELECT key, value FROM build_info"))
    assert info["taxonomy"] == str(team) and json.loads(info["failure_modes"])["taxonomy"] == str(team)
    assert build([sample_corpus], db, jobs=1, taxonomy=team).analysis == "reused"
    team.write_text('disable = ["attack_abuse"]\n' + TEAM_TAXONOMY)  # top-level keys come before tables
    again = build([sample_corpus], db, jobs=1, taxonomy=team)
    assert again.analysis == "ran" and ("attack_abuse",) not in rows(db, "SELECT mode FROM failure_modes")
    team.write_text("[[modes]]\nkey = 'x'\n")
    with pytest.raises(UsageError, match="--taxonomy: .*team.toml"):
        build([sample_corpus], db, jobs=1, taxonomy=team)


def test_generated_corpus_round_trip(built_db: Path, generated_corpus: Path) -> None:
    import json

    truth = [json.loads(line) for line in (generated_corpus / "truth.jsonl").read_text().splitlines() if line]
    ids = {i for (i,) in rows(built_db, "SELECT incident_id FROM incidents")}
    assert ids == {t["incident_id"] for t in truth}
    assert rows(built_db, "SELECT count(*) FROM ingest_errors") == [(0,)]
    assert rows(built_db, "SELECT value FROM build_info WHERE key = 'analysis'") == [("ran",)]


@pytest.mark.slow
def test_unchanged_rebuild_reuses_the_analysis_and_a_change_reruns_it(
    built_db: Path, generated_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = dict(rows(built_db, "SELECT key, value FROM build_info"))
    assert info["analysis"] == "ran"
    # Rebuild a copy of the shared fixture database as if the same code made both builds.
    monkeypatch.setattr("pipelines.build.run.code_version", lambda: info["code_version"])
    db = tmp_path / "h.duckdb"
    db.write_bytes(built_db.read_bytes())
    corpus = tmp_path / "corpus"
    import shutil

    shutil.copytree(generated_corpus / "postmortems", corpus)
    before = table_contents(db)

    again = build([corpus], db, jobs=2)

    assert again.analysis == "reused" and again.files_parsed == 0
    assert table_contents(db) == before
    assert dict(rows(db, "SELECT key, value FROM build_info"))["artifacts_prefix"] == info["artifacts_prefix"]

    victim = sorted(corpus.rglob("*.md"))[0]
    victim.write_text(victim.read_text(encoding="utf-8") + "\nReviewed again.\n", encoding="utf-8")
    changed = build([corpus], db, jobs=2)
    assert changed.analysis == "ran" and changed.files_parsed == 1
    assert rows(db, "SELECT count(*) FROM themes")[0][0] > 0
    assert rows(db, "SELECT count(*) FROM contributing_factors WHERE theme_id IS NULL")[0][0] == 0


def test_code_version_covers_modules_in_sub_packages(tmp_path: Path) -> None:
    """An edit to a module deep in a sub-package must invalidate reused rows, as one at the top does."""
    from pipelines.build.reuse import code_version

    pkg = tmp_path / "pkg"
    (pkg / "parsing" / "deeper").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    deep = pkg / "parsing" / "deeper" / "timeline.py"
    deep.write_text("A = 1\n")
    (pkg / "parsing" / "rules.toml").write_text("x = 1\n")
    before = code_version(pkg)

    deep.write_text("A = 2\n")
    after_edit = code_version(pkg)
    (pkg / "parsing" / "rules.toml").write_text("x = 2\n")
    after_toml = code_version(pkg)
    deep.rename(pkg / "parsing" / "timeline.py")  # same bytes, moved up a level
    after_move = code_version(pkg)
    (pkg / "notes.txt").write_text("not code")

    assert len({before, after_edit, after_toml, after_move}) == 4
    assert code_version(pkg) == after_move
