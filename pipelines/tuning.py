"""Reading the TOML files teams tune: severity maps, word lists, cue phrases, taxonomies,
status maps, thresholds.

Every such file goes through `read_toml`, so a missing, unreadable or malformed one fails the
same way wherever it is read: one error whose message starts with the file's path and says what
the file is for, which the CLI prints as one line.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read_toml(path: Path | str, what: str, *, error: type[Exception] = ValueError, hint: str = "") -> dict[str, Any]:
    """The TOML file `path` as a dict. Raises `error` with "{path}: cannot read {what} (reason)"
    when the file cannot be read, or "{path}: not valid TOML (reason)" and then `hint` when it
    is not UTF-8 TOML."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not valid TOML (not UTF-8 text: {exc.reason} at byte {exc.start}){hint}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML ({exc}){hint}") from None
