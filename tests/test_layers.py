"""The architecture the README describes, checked: layers import only downwards, the command
line is the only place that prints or parses arguments, and SQL lives in the read layer (every
query a reader runs) and the build (the only writer)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIPELINES = ROOT / "pipelines"

# layer -> the layers it may import (besides itself and the shared top-level modules).
ALLOWED = {
    "parsing": set(),
    "lint": {"parsing"},
    "analysis": set(),
    "read": {"analysis"},
    "report": {"read"},
    "build": {"parsing", "lint", "analysis", "read"},
    "synthetic": set(),
    "cli": {"parsing", "lint", "analysis", "read", "report", "build", "synthetic"},
}
SHARED = {"model", "quarters", "tuning"}  # pipelines/<name>.py: imported by any layer, import no layer
DASHBOARD_MAY_USE = {"read", "report"} | SHARED
# The renderer shows postmortem Markdown and must see code blocks exactly where the parsers
# see them, so it uses their scanner (parsing/blocks.py: pure text functions, no data access).
DASHBOARD_EXCEPTIONS = {"dashboard/render.py": {"parsing"}}


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _imported(path: Path) -> set[str]:
    """Every pipelines sub-package or shared module `path` imports (including lazy imports)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "pipelines" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_the_tree_shows_the_layers():
    packages = {p.name for p in PIPELINES.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(ALLOWED)
    loose = {p.stem for p in PIPELINES.glob("*.py")} - {"__init__"}
    assert loose == SHARED


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layers_import_only_what_they_may(layer: str):
    wrong = {}
    for path in _modules(PIPELINES / layer):
        bad = _imported(path) - ALLOWED[layer] - SHARED - {layer, "PARSER_VERSION", "SCHEMA_VERSION"}
        if bad:
            wrong[str(path.relative_to(ROOT))] = sorted(bad)
    assert wrong == {}


def test_shared_modules_import_no_layer():
    for name in SHARED:
        assert _imported(PIPELINES / f"{name}.py") <= SHARED, name


def test_the_dashboard_reads_only_through_the_read_and_report_layers():
    wrong = {
        str(p.relative_to(ROOT)): sorted(
            _imported(p) - DASHBOARD_MAY_USE - DASHBOARD_EXCEPTIONS.get(str(p.relative_to(ROOT)), set()) - {"PARSER_VERSION", "SCHEMA_VERSION"}
        )
        for p in _modules(ROOT / "dashboard")
    }
    assert {k: v for k, v in wrong.items() if v} == {}


def test_pipelines_never_import_streamlit():
    offenders = [str(p.relative_to(ROOT)) for p in _modules(PIPELINES) if re.search(r"^\s*(import|from)\s+streamlit\b", p.read_text(), re.M)]
    assert offenders == []


def test_only_the_command_line_prints_or_parses_arguments():
    pattern = re.compile(r"\bprint\(|sys\.std(out|err)\b|\bimport argparse\b|\bargparse\.")
    offenders = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in _modules(PIPELINES)
        if "cli" not in p.relative_to(PIPELINES).parts
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line) and not line.lstrip().startswith("#")
    ]
    assert offenders == []


SQL = re.compile(r"\b(SELECT\b[\s\S]{0,400}?\bFROM|INSERT\s+INTO|DELETE\s+FROM|CREATE\s+(TABLE|VIEW|MACRO)|UPDATE\s+\w+\s+SET|ATTACH\s)\b")


def test_sql_lives_in_the_read_layer_and_the_build():
    offenders = []
    for folder in (PIPELINES, ROOT / "dashboard"):
        for path in _modules(folder):
            rel = path.relative_to(ROOT)
            if rel.parts[:2] in {("pipelines", "read"), ("pipelines", "build")}:
                continue
            if SQL.search(path.read_text()):
                offenders.append(str(rel))
    assert offenders == []


def test_the_sql_check_would_see_a_query():
    assert SQL.search('con.execute("SELECT count(*) FROM incidents")')
    assert SQL.search("x = '''\n  INSERT INTO themes SELECT 1\n'''")
    assert not SQL.search("Select an incident from the list")


def test_tuning_files_are_read_in_one_place():
    """Every TOML file teams tune is read by pipelines.tuning.read_toml, so a broken one fails
    alike everywhere; only front matter and the access map (text, not files) parse TOML."""
    readers = {
        str(p.relative_to(ROOT)) for p in (ROOT / "pipelines").rglob("*.py") if "tomllib" in p.read_text(encoding="utf-8")
    }
    assert readers == {"pipelines/tuning.py", "pipelines/parsing/markdown.py", "pipelines/read/access_groups.py"}
