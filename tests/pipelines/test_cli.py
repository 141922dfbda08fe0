"""The `hindsight` command line: help with examples everywhere, build summaries, dashboard launch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import cli
from pipelines.cli import dashboard as serve
from tests.conftest import SAMPLE_FILES, require, write_corpus

COMMANDS = sorted(cli.build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]


@pytest.fixture(autouse=True)
def fixed_code_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipelines.build.run.code_version", lambda: "test")


def test_top_level_help_lists_commands_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert {"build", "generate", "dashboard"} <= set(COMMANDS)
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"hindsight {command}" in out


def test_installed_entry_point_runs() -> None:
    exe = Path(sys.executable).with_name("hindsight")
    require(exe.exists(), "the hindsight entry point is not installed in this environment (make test installs it)")
    out = subprocess.run([str(exe), "build", "--help"], capture_output=True, text=True, check=True).stdout
    assert "--no-analysis" in out


def test_build_json_summary(sample_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_corpus(sample_corpus, {"bad/empty.md": b"", "bad/garbage.md": bytes(range(256)) * 4})
    db = tmp_path / "out" / "h.duckdb"

    code = cli.main(["build", str(sample_corpus), "--db", str(db), "--json", "--no-analysis", "--jobs", "1"])

    assert code == 0
    out = capsys.readouterr().out
    summary = json.loads(out)  # exactly one JSON object, nothing else on stdout
    assert {"files_seen", "incidents_loaded", "files_failed", "seconds"} <= set(summary)
    assert summary["files_seen"] == len(SAMPLE_FILES) + 2
    assert summary["incidents_loaded"] == 5
    assert {f["path"] for f in summary["files_failed"]} == {"bad/empty.md", "bad/garbage.md"}
    assert all(f["reason"] for f in summary["files_failed"])
    assert summary["seconds"] > 0 and summary["published"] is True
    assert db.exists()


def test_build_text_summary(sample_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_corpus(sample_corpus, {"bad/empty.md": b""})
    code = cli.main(["build", str(sample_corpus), "--db", str(tmp_path / "h.duckdb"), "--no-analysis", "--jobs", "1"])
    assert code == 0
    out = capsys.readouterr().out
    assert f"Loaded 5 incidents from {len(SAMPLE_FILES) + 1} files" in out
    assert "1 failed" in out and "bad/empty.md" in out and "ingest_errors" in out


def test_build_without_a_corpus_fails_without_publishing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "h.duckdb"
    code = cli.main(["build", str(tmp_path / "missing"), "--db", str(db), "--json"])
    assert code == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["published"] is False
    assert "missing" in captured.err
    assert not db.exists()


def test_build_catalog_option_is_repeatable_and_a_bad_one_exits_2(sample_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "catalog-info.yaml"
    good.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: checkout, title: Checkout}\nspec: {owner: 'group:payments'}\n",
        encoding="utf-8",
    )
    other = tmp_path / "teams.yaml"
    other.write_text("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: payments}\nspec: {profile: {displayName: Payments}}\n", encoding="utf-8")
    db = tmp_path / "h.duckdb"
    args = ["build", str(sample_corpus), "--db", str(db), "--json", "--no-analysis", "--jobs", "1"]
    assert cli.main([*args, "--catalog", str(good), "--catalog", str(other)]) == 0
    assert json.loads(capsys.readouterr().out)["published"] is True

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: checkout\nowner: payments\n", encoding="utf-8")
    assert cli.main([*args, "--catalog", str(bad)]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"published": False, "error": captured.err.removeprefix("error: ").strip()}
    assert f"{bad}:1: document has no `apiVersion: backstage.io/...` and `kind`, so this is not a Backstage catalog" in captured.err


def test_build_progress_bar_only_on_a_terminal(sample_corpus: Path, tmp_path: Path) -> None:
    # Not a TTY here: stderr must stay free of progress-bar control sequences.
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "build", str(sample_corpus), "--db", str(tmp_path / "h.duckdb"), "--no-analysis"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stderr and "Loaded 5 incidents" in proc.stdout


@pytest.mark.parametrize("verb", ["dashboard", "themes", "related", "report", "followups"])
def test_every_reader_refuses_a_missing_database_alike(verb: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One line naming the command and what to do, and the same exit status, whichever reads it."""
    extra = ["--text", "disk full"] if verb == "related" else []
    assert cli.main([verb, "--db", str(tmp_path / "none.duckdb"), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"hindsight {verb}: error: ") and "hindsight build" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_dashboard_command_runs_streamlit_headless(tmp_path: Path) -> None:
    command = serve.streamlit_command(tmp_path / "h.duckdb", 8765)
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert command[4].endswith("app.py") and Path(command[4]).exists()
    flags = dict(zip(command[5::2], command[6::2]))
    assert flags == {"--server.port": "8765", "--server.headless": "true", "--browser.gatherUsageStats": "false",
                     "--server.fileWatcherType": "none", "--runner.postScriptGC": "false"}  # see .streamlit/config.toml


def test_dashboard_passes_the_absolute_db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    from pipelines.build.schema import create_schema

    db = tmp_path / "h.duckdb"
    with duckdb.connect(str(db)) as con:
        create_schema(con)
    calls = []
    monkeypatch.setattr(serve, "streamlit_command", lambda db_path, port: ["streamlit", str(port)])
    monkeypatch.setattr(serve.os, "execve", lambda exe, cmd, env: calls.append((cmd, env)))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["dashboard", "--db", "h.duckdb", "--port", "8600"]) == 0
    (cmd, env), = calls
    assert cmd == ["streamlit", "8600"] and env["HINDSIGHT_DB"] == str(db)


def test_db_defaults_to_the_environment_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HINDSIGHT_DB", str(tmp_path / "env.duckdb"))
    args = cli.build_parser().parse_args(["build", "corpus"])
    assert args.db == tmp_path / "env.duckdb"
    monkeypatch.delenv("HINDSIGHT_DB")
    assert cli.build_parser().parse_args(["dashboard"]).db == cli.DEFAULT_DB


def test_build_shows_a_progress_bar_on_a_terminal(sample_corpus: Path, tmp_path: Path) -> None:
    import os
    import pty

    master, slave = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "build", str(sample_corpus), "--db", str(tmp_path / "h.duckdb"), "--no-analysis"],
            stdout=subprocess.PIPE,
            stderr=slave,
            text=True,
            env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO once the terminal's other end is closed and drained
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    assert proc.returncode == 0
    terminal = b"".join(chunks).decode(errors="replace")
    assert "Parsing" in terminal
    assert "Loaded 5 incidents" in proc.stdout


def test_dashboard_on_a_busy_port_says_so_before_announcing_a_url(tmp_path: Path, capsys, monkeypatch) -> None:
    import socket

    import duckdb

    from pipelines.build.schema import create_schema

    db = tmp_path / "h.duckdb"
    with duckdb.connect(str(db)) as con:
        create_schema(con)
    monkeypatch.setattr(serve.os, "execve", lambda *a: pytest.fail("must not start streamlit on a busy port"))
    with socket.socket() as busy:
        busy.bind(("", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["dashboard", "--db", str(db), "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"port {port} is in use" in err and "http://" not in err


def test_dashboard_on_a_file_that_is_not_a_database(tmp_path: Path, capsys) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# notes\n" * 10)
    assert cli.main(["dashboard", "--db", str(notes)]) == 2
    err = capsys.readouterr().err
    assert "not a DuckDB database file" in err and "Traceback" not in err
