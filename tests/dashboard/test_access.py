"""Restricted postmortems: hidden from anonymous and unlisted viewers, shown to allowed signed-in users.

INC-4 in the fixture DB is restricted to the "security" group (tests/dashboard/conftest.py).
AppTest lets a test set `st.user` through `at.user`; only `is_logged_in: True` counts as signed in.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

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
