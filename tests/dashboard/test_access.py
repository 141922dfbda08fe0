"""Restricted postmortems: hidden from anonymous and unlisted viewers, shown to allowed signed-in users.

INC-4 in the fixture DB is restricted to the "security" group (tests/dashboard/conftest.py).
AppTest lets a test set `st.user` through `at.user`; only `is_logged_in: True` counts as signed in.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import require
from tests.dashboard.conftest import SECRET_FACTOR, SECRET_OWNER, SECRET_TITLE

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
SECRETS = (SECRET_TITLE, SECRET_OWNER, SECRET_FACTOR, "Secret vault summary")


@pytest.fixture(autouse=True)
def _env(fixture_db, tmp_path, monkeypatch):
    access = tmp_path / "access.toml"
    access.write_text('[groups]\nsecurity = ["alice@example.com", "*@sec.example.com"]\n', encoding="utf-8")
    monkeypatch.setenv("HINDSIGHT_DB", str(fixture_db))
    monkeypatch.setenv("HINDSIGHT_ACCESS", str(access))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _run(page: str, user: dict | None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if user is not None:
        at.user = user
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def _text(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.markdown, *at.caption, *at.subheader, *at.info, *at.warning)]
    parts += [df.value.to_string() for df in at.dataframe]
    parts += [str(m.value) for m in at.metric]
    parts += [str(o) for sb in at.selectbox for o in sb.options]
    return "\n".join(map(str, parts))


HIDDEN = [
    pytest.param(None, id="anonymous (AppTest default user, not signed in)"),
    pytest.param({"email": "alice@example.com"}, id="listed email but not signed in"),
    pytest.param({"is_logged_in": True, "email": "mallory@example.com"}, id="signed in, not in the group"),
    pytest.param({"is_logged_in": True, "email": "alice@example.com", "email_verified": False}, id="unverified email"),
    pytest.param({"is_logged_in": True, "email": "eve@evil-sec.example.com"}, id="lookalike domain"),
]
ALLOWED = [
    pytest.param({"is_logged_in": True, "email": "Alice@Example.com"}, id="email listed in the access file"),
    pytest.param({"is_logged_in": True, "email": "dan@sec.example.com"}, id="domain listed in the access file"),
    pytest.param({"is_logged_in": True, "email": "x@example.com", "groups": ["security"]}, id="group claim from the provider"),
]


@pytest.mark.parametrize("user", HIDDEN)
def test_incident_page_hides_restricted_postmortem(user):
    at = _run("pages/incident.py", user, incident="INC-4")
    text = _text(at)
    assert at.title[0].value == "Restricted incident"
    for secret in SECRETS:
        assert secret not in text


@pytest.mark.parametrize("user", ALLOWED)
def test_incident_page_shows_restricted_postmortem_to_allowed_user(user):
    at = _run("pages/incident.py", user, incident="INC-4")
    assert SECRET_TITLE in at.title[0].value
    assert "Secret vault summary" in _text(at)


@pytest.mark.parametrize("user", [HIDDEN[0], HIDDEN[2]])
def test_review_page_hides_restricted_title(user):
    at = _run("pages/review.py", user, quarter="2026Q3")
    text = _text(at)
    assert "restricted incident" in text
    assert SECRET_TITLE not in text


def test_review_page_names_it_for_allowed_user():
    at = _run("pages/review.py", {"is_logged_in": True, "email": "alice@example.com"}, quarter="2026Q3")
    assert SECRET_TITLE in _text(at)
    assert {m.label: m.value for m in at.metric}["Incidents"] == "3"  # same aggregate for everyone


def test_broken_access_file_fails_closed(tmp_path, monkeypatch):
    bad = tmp_path / "bad.toml"
    bad.write_text("[groups\n")
    monkeypatch.setenv("HINDSIGHT_ACCESS", str(bad))
    at = _run("pages/incident.py", {"is_logged_in": True, "email": "alice@example.com"}, incident="INC-4")
    assert at.title[0].value == "Restricted incident"
    assert any("stay hidden" in w.value for w in at.warning)


# ---- no secrets in the repository -------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
SECRET_PATTERNS = [
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\bAKIA[0-9A-Z]{16}\b",  # AWS access key id
    r"\bgh[pousr]_[A-Za-z0-9]{30,}\b",  # GitHub token
    r"(?i)\b(client_secret|cookie_secret|api_key|password)\s*=\s*\"(?!\.\.\.|<|your|xxx|change)[^\"]{12,}\"",
]


def _tracked_files() -> list[Path]:
    import subprocess

    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30).stdout
    except (OSError, subprocess.CalledProcessError):
        out = b""
    require(out, "not a git checkout, so there are no tracked files to check")
    return [ROOT / p for p in out.decode().split("\0") if p]


def test_secrets_file_and_access_file_are_git_ignored():
    import subprocess

    _tracked_files()  # needs a checkout
    for rel in (".streamlit/secrets.toml", ".streamlit/hindsight_access.toml"):
        r = subprocess.run(["git", "check-ignore", "-q", rel], cwd=ROOT, timeout=30)
        assert r.returncode == 0, f"{rel} must be git-ignored"


def test_no_credentials_in_tracked_files():
    import re

    found = []
    for path in _tracked_files():
        if not path.is_file() or path.stat().st_size > 2_000_000 or path.suffix in {".png", ".duckdb", ".npz"}:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        found += [f"{path.relative_to(ROOT)}: {m.group(0)[:40]}" for pat in SECRET_PATTERNS for m in re.finditer(pat, text)]
    assert found == []


# ---- search results and the related CLI on a real build ---------------------------------------


@pytest.mark.slow
def test_related_search_never_returns_restricted_incidents_to_others(built_db: Path, monkeypatch, capsys):
    import json

    import duckdb

    from dashboard import data
    from pipelines import cli
    from pipelines.read.access import ANONYMOUS, Viewer

    with duckdb.connect(str(built_db), read_only=True) as con:
        restricted = con.execute("SELECT incident_id, title, allowed_groups FROM incidents WHERE restricted").fetchall()
    assert restricted, "the generated corpus must hold restricted incidents: did the parser stop reading `restricted:`?"
    monkeypatch.setenv("HINDSIGHT_DB", str(built_db))
    st.cache_data.clear()
    st.cache_resource.clear()
    assert data.has_search_index(), "the build with analysis must have a related-incident index"
    for incident_id, title, groups in restricted:
        # Searching with the restricted incident's own title is the surest way to surface it.
        for viewer in (ANONYMOUS, Viewer(email="nobody@example.com", groups=("payments",))):
            hits = data.search_related(viewer, text=title, k=20)
            assert incident_id not in set(hits["incident_id"]) and title not in set(hits["title"])
        allowed = data.search_related(Viewer(email="sec@example.com", groups=tuple(groups)), text=title, k=20)
        assert incident_id in set(allowed["incident_id"])
        # The CLI has no sign-in: a restricted match is masked.
        assert cli.main(["related", "--text", title, "--db", str(built_db), "-k", "20", "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        rows = doc["results"] if isinstance(doc, dict) else doc
        assert title not in json.dumps(rows)  # (the query itself is echoed back: the user typed it)
        masked = [r for r in rows if r.get("incident_id") == incident_id]
        assert all(r["title"] == "restricted incident" and not r["shared_terms"] for r in masked)
    st.cache_data.clear()
    st.cache_resource.clear()
