"""Which groups a signed-in person belongs to, from a small TOML file the operator keeps.

Restricted postmortems name the groups allowed to read them (`allowed_groups: [security]`).
Identity providers rarely send useful group claims, so Hindsight maps emails to groups itself:

    # .streamlit/hindsight_access.toml   (or the file named by $HINDSIGHT_ACCESS)
    [groups]
    security  = ["alice@example.com", "bob@example.com"]
    sre-leads = ["*@sre.example.com"]           # everyone at that domain

Members are exact emails (case-insensitive) or `*@domain`. A missing file means nobody gets
extra groups (restricted incidents stay hidden); a malformed file raises AccessConfigError
naming the file and the problem, and the dashboard then fails closed. See access.example.toml.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ACCESS_ENV = "HINDSIGHT_ACCESS"
DEFAULT_ACCESS_FILE = Path(".streamlit/hindsight_access.toml")


class AccessConfigError(Exception):
    """The access file exists but cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class AccessMap:
    # group -> member patterns, lower-cased
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def groups_for(self, email: str | None) -> tuple[str, ...]:
        if not email or "@" not in email:
            return ()
        email = email.strip().lower()
        domain = email.rsplit("@", 1)[1]
        return tuple(
            group
            for group, members in sorted(self.groups.items())
            if email in members or f"*@{domain}" in members
        )


EMPTY = AccessMap()


def access_path() -> Path:
    return Path(os.environ.get(ACCESS_ENV) or DEFAULT_ACCESS_FILE)


def parse_access_map(text: str, source: str = "access file") -> AccessMap:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise AccessConfigError(f"{source}: not valid TOML ({e}); see access.example.toml") from e
    table = doc.get("groups", {})
    if not isinstance(table, dict):
        raise AccessConfigError(f"{source}: [groups] must be a table of group = [emails]; see access.example.toml")
    groups: dict[str, tuple[str, ...]] = {}
    for group, members in table.items():
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise AccessConfigError(f"{source}: group {group!r} must be a list of email strings")
        bad = [m for m in members if "@" not in m or (m.startswith("*") and not m.startswith("*@"))]
        if bad:
            raise AccessConfigError(f"{source}: group {group!r} has entries that are not emails or *@domain: {bad[:3]}")
        groups[group.strip().lower()] = tuple(m.strip().lower() for m in members)
    return AccessMap(groups)


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> AccessMap:  # mtime in the key: an edited file is re-read
    return parse_access_map(Path(path).read_text(encoding="utf-8"), path)


def load_access_map(path: Path | None = None) -> AccessMap:
    path = path or access_path()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return EMPTY
    except OSError as e:
        raise AccessConfigError(f"{path}: cannot read ({e.strerror})") from e
    try:
        return _load(str(path), mtime)
    except (OSError, UnicodeDecodeError) as e:
        raise AccessConfigError(f"{path}: cannot read ({e})") from e
