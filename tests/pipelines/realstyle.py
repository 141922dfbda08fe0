"""The realstyle fixtures (tests/fixtures/realstyle, README there): postmortems in twelve real
house styles with hand-checked truth, loaded the way a build reads them."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from pipelines.model import Incident
from pipelines.parsing.files import parse_file

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "realstyle"
CORPUS = ROOT / "corpus"


@lru_cache(maxsize=None)
def truth() -> dict[str, dict]:
    """Truth records by `file` (`exports/incidents.csv:2` for records)."""
    with (ROOT / "truth.jsonl").open(encoding="utf-8") as fh:
        return {r["file"]: r for r in map(json.loads, fh)}


def name_of(prefix: str) -> str:
    """The truth `file` that starts with `prefix` (a date such as "2024-10-27", or "jsonl:3")."""
    if prefix.startswith(("jsonl:", "csv:")):
        kind, n = prefix.split(":")
        return f"exports/incidents.{kind}:{n}"
    [name] = [f for f in truth() if f.startswith(prefix)]
    return name


@lru_cache(maxsize=None)
def _parsed(path: str) -> tuple[Incident, ...]:
    return tuple(parse_file((CORPUS / path).read_bytes(), path).incidents)


def load(prefix: str) -> Incident:
    """The parsed incident of a fixture file or export record (see `name_of`)."""
    name = name_of(prefix)
    path, _, n = name.partition(":")
    incidents = _parsed(path)
    if not n:
        return incidents[0]
    # Records are numbered from 1 in the truth; every export record of this set loads.
    return incidents[int(n) - 1]


def utc(text: str | None) -> datetime | None:
    """A truth timestamp (`2024-10-27T06:00:00Z`) as the parser's naive UTC datetime."""
    return None if text is None else datetime.fromisoformat(text.replace("Z", ""))
