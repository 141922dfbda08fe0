from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.read.access_groups import EMPTY, AccessConfigError, load_access_map, parse_access_map

ROOT = Path(__file__).resolve().parents[2]


def test_example_file_parses_and_maps_emails_and_domains():
    m = load_access_map(ROOT / "access.example.toml")
    assert m.groups_for("Alice@Example.com") == ("security",)
    assert m.groups_for("someone@legal.example.com") == ("legal",)
    assert m.groups_for("mallory@example.com") == ()
    assert m.groups_for(None) == () and m.groups_for("not-an-email") == ()


def test_domain_wildcard_does_not_match_lookalike_domains():
    m = parse_access_map('[groups]\nlegal = ["*@legal.example.com"]\n')
    assert m.groups_for("eve@evil-legal.example.com") == ()
    assert m.groups_for("eve@legal.example.com.evil.io") == ()


def test_missing_file_means_no_groups(tmp_path):
    assert load_access_map(tmp_path / "absent.toml") is EMPTY


def test_env_var_names_the_file(tmp_path, monkeypatch):
    f = tmp_path / "a.toml"
    f.write_text('[groups]\nops = ["o@example.com"]\n')
    monkeypatch.setenv("HINDSIGHT_ACCESS", str(f))
    assert load_access_map().groups_for("o@example.com") == ("ops",)


def test_edited_file_is_reread(tmp_path):
    f = tmp_path / "a.toml"
    f.write_text('[groups]\nops = ["o@example.com"]\n')
    assert load_access_map(f).groups_for("o@example.com") == ("ops",)
    f.write_text('[groups]\nops = []\n')
    import os

    os.utime(f, ns=(1, 1))  # force a different mtime even on coarse clocks
    assert load_access_map(f).groups_for("o@example.com") == ()


@pytest.mark.parametrize(
    "text, message",
    [
        ("[groups\n", "not valid TOML"),
        ('groups = "x"\n', "must be a table"),
        ('[groups]\nops = "o@example.com"\n', "list of email strings"),
        ('[groups]\nops = ["everyone"]\n', "not emails"),
        ('[groups]\nops = ["*"]\n', "not emails"),
    ],
)
def test_malformed_file_is_a_clear_error(tmp_path, text, message):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(AccessConfigError, match=message) as e:
        load_access_map(f)
    assert str(f) in str(e.value)
