"""read_toml: every tuning file fails the same way, naming itself and what it is for."""

from pathlib import Path

import pytest

from pipelines.tuning import read_toml


class MyError(Exception):
    pass


def test_a_good_file_is_read(tmp_path: Path) -> None:
    f = tmp_path / "words.toml"
    f.write_text('[weak]\nverbs = ["took", "saw"]\n', encoding="utf-8")
    assert read_toml(f, "the words") == {"weak": {"verbs": ["took", "saw"]}}


def test_a_missing_file_names_itself_and_its_purpose(tmp_path: Path) -> None:
    f = tmp_path / "nope.toml"
    with pytest.raises(ValueError, match=r"nope\.toml: cannot read the severity map \(No such file or directory\)"):
        read_toml(f, "the severity map")


@pytest.mark.parametrize(
    ("data", "detail"),
    [(b"[words\n", "not valid TOML ("), (b"a = 1\n\xff\xfe = 2\n", "not valid TOML (not UTF-8 text")],
)
def test_a_malformed_file_says_so_with_the_hint_and_the_callers_error(tmp_path: Path, data: bytes, detail: str) -> None:
    f = tmp_path / "team.toml"
    f.write_bytes(data)
    with pytest.raises(MyError) as e:
        read_toml(f, "the taxonomy", error=MyError, hint="; fix $TEAM_FILE")
    message = str(e.value)
    assert message.startswith(f"{f}: {detail}") and message.endswith("; fix $TEAM_FILE") and "\n" not in message
