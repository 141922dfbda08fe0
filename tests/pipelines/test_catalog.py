"""Reading a Backstage catalog (pipelines/parsing/catalog.py) and giving it to a build."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.build.run import UsageError, build
from pipelines.parsing.catalog import CatalogError, Component, Group, merge_catalogs, read_catalog

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "catalog"
COMPONENT = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\nspec:\n  owner: {owner}\n"


def test_the_fixture_catalog() -> None:
    cat = read_catalog((FIXTURE / "catalog-info.yaml").read_text(encoding="utf-8"), "catalog-info.yaml")
    assert set(cat.components) == {"ticketing-api", "berth-planner", "fare-engine", "k8s-harbour", "notify"}
    assert cat.components["ticketing-api"] == Component("ticketing-api", "Ticketing API", "voyages", ("the ticket service",))
    # owner forms: group:default/x, a bare name (a Group in Backstage), a user (no team)
    assert cat.components["berth-planner"].owner == "voyages"
    assert cat.components["fare-engine"].owner == "revenue"
    assert cat.components["notify"].owner is None
    assert cat.groups["platform-ops"] == Group("platform-ops", "Platform Operations", None, ("ops", "the ops crew"))
    assert "booking" not in cat.components  # a System is valid Backstage, and not a service


def test_an_entity_named_twice_keeps_its_first_definition() -> None:
    a = read_catalog(COMPONENT.format(name="api", owner="group:core"), "a.yaml")
    b = read_catalog(COMPONENT.format(name="api", owner="group:web") + "---\n" + COMPONENT.format(name="db", owner="dba"), "b.yaml")
    merged = merge_catalogs([a, b])
    assert {n: c.owner for n, c in merged.components.items()} == {"api": "core", "db": "dba"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: Component\nmetadata:\n  name: [unclosed\n", "cat.yaml:4: not valid YAML"),
        (COMPONENT.format(name="api", owner="group:core") + "---\nspec: {a: 1}\n  bad: indent\n", "cat.yaml:9: not valid YAML"),
        ("services:\n  - checkout\n  - search\n", "cat.yaml:1: document has no `apiVersion: backstage.io/...` and `kind`"),
        ("version: '3'\nservices: {web: {image: nginx}}\n", "not a Backstage catalog"),
        ("- just\n- a list\n", "cat.yaml:1: a catalog document must be a mapping"),
        (COMPONENT.format(name="api", owner="x") + "---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {}\n", "cat.yaml:8: Group entity without metadata.name"),
        ("# only a comment\n", "cat.yaml: holds no catalog entities"),
    ],
)
def test_a_file_that_is_not_a_backstage_catalog_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(CatalogError) as err:
        read_catalog(text, "cat.yaml")
    assert message in str(err.value)
    assert "fix the catalog or leave it out of the build" in str(err.value)


def _corpus(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE / "corpus", tmp_path / "corpus"))


def test_a_broken_catalog_stops_the_build_and_publishes_nothing(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    db = tmp_path / "h.duckdb"
    build([corpus], db, analysis=False, jobs=1)
    before = db.read_bytes()
    bad = tmp_path / "catalog-info.yaml"
    bad.write_text("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\n  title: 'open\n", encoding="utf-8")

    with pytest.raises(UsageError) as err:
        build([corpus], db, catalogs=[bad], analysis=False, jobs=1)

    assert f"{bad}:6: not valid YAML (found unexpected end of stream)" in str(err.value) and "nothing was published" in str(err.value)
    assert err.value.exit_code == 2
    assert db.read_bytes() == before
    with pytest.raises(UsageError, match="cannot read the catalog"):
        build([corpus], tmp_path / "new.duckdb", catalogs=[tmp_path / "missing.yaml"], analysis=False, jobs=1)
    assert not (tmp_path / "new.duckdb").exists()


def test_a_catalog_at_the_corpus_root_is_read_without_the_option(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    db = tmp_path / "h.duckdb"
    build([corpus], db, analysis=False, jobs=1)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT team FROM incidents WHERE incident_id = 'INC-950'").fetchone() == ("Platform Operations team",)  # as written

    shutil.copy(FIXTURE / "catalog-info.yaml", corpus / "catalog-info.yaml")
    result = build([corpus], db, analysis=False, jobs=1)

    # A catalog needs no file parsed again; only the two write-ups of INC-912 are, as always (their
    # rows in the previous database are merged ones).
    assert result.files_parsed == 2 and result.files_reused == result.files_seen - 2
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT team FROM incidents WHERE incident_id = 'INC-950'").fetchone() == ("platform-ops",)
        (catalogs,), = con.execute("SELECT value FROM build_info WHERE key = 'catalogs'").fetchall()
    assert "catalog-info.yaml" in catalogs

    (corpus / "catalog-info.yaml").write_text("kind: Component\n", encoding="utf-8")
    with pytest.raises(UsageError, match="sits at the corpus root"):
        build([corpus], db, analysis=False, jobs=1)
