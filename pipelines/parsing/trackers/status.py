"""Tracker statuses to Hindsight's four (tracker_status.toml), loaded once.

`tracker_words()` is the bundled file plus a team's file named by $HINDSIGHT_TRACKER_STATUS: its
words move to the status it lists them under, so a custom Jira workflow ("Awaiting deploy",
"Parked") is one TOML line, not code.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipelines.model import ACTION_STATUSES
from pipelines.tuning import read_toml

DEFAULT_STATUS_PATH = Path(__file__).with_name("tracker_status.toml")
STATUS_ENV = "HINDSIGHT_TRACKER_STATUS"
_TABLES = ("status", "resolution", "status_category")


@dataclass(frozen=True)
class TrackerWords:
    status: dict[str, str]  # normalised status name -> open | in_progress | done | wont_fix
    resolution: dict[str, str]
    status_category: dict[str, str]
    fuzzy_threshold: float
    created_before_incident_days: int
    created_after_incident_days: int


_SEPARATORS = re.compile(r"[\s_\-]+")
_LABEL_PREFIX = re.compile(r"^(?:status|state|workflow)\s*[/:]\s*")


def normalise(name: str) -> str:
    """'In_Progress', 'in-progress', ' In  progress ' -> 'in progress'; curly apostrophes straightened."""
    return _SEPARATORS.sub(" ", name.replace("\u2019", "'").strip().casefold()).strip()


def load_tracker_words(extra: Path | str | None = None) -> TrackerWords:
    """The bundled map (tracker_status.toml), with a team's file applied on top when given."""
    tables: dict[str, dict[str, str]] = {t: {} for t in _TABLES}
    matching: dict[str, Any] = {}
    for path in [DEFAULT_STATUS_PATH] + ([Path(extra)] if extra else []):
        cfg = read_toml(path, "the tracker status map")
        for table in _TABLES:
            for status, words in cfg.get(table, {}).items():
                if status not in ACTION_STATUSES:
                    raise ValueError(f"{path}: [{table}] keys are {', '.join(ACTION_STATUSES)}, not {status!r}")
                if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                    raise ValueError(f"{path}: [{table}] {status} must be a list of strings")
                for word in words:
                    tables[table][normalise(word)] = status
        matching.update(cfg.get("matching", {}))
    threshold = float(matching.get("fuzzy_threshold", 0.6))
    if not 0 < threshold <= 1:
        raise ValueError(f"[matching] fuzzy_threshold must be in (0, 1], not {threshold}")
    return TrackerWords(
        status=tables["status"],
        resolution=tables["resolution"],
        status_category=tables["status_category"],
        fuzzy_threshold=threshold,
        created_before_incident_days=int(matching.get("created_before_incident_days", 2)),
        created_after_incident_days=int(matching.get("created_after_incident_days", 90)),
    )


@lru_cache(maxsize=4)
def _cached(extra: str | None, stamp: tuple[int, int] | None) -> TrackerWords:
    return load_tracker_words(extra)


def tracker_words() -> TrackerWords:
    """The map in force: bundled, plus $HINDSIGHT_TRACKER_STATUS when set (re-read when that file changes)."""
    extra = os.environ.get(STATUS_ENV) or None
    try:
        st = os.stat(extra) if extra else None
    except OSError:
        st = None  # load_tracker_words says the file cannot be read
    return _cached(extra, (st.st_mtime_ns, st.st_size) if st else None)


def status_of(name: str | None, words: TrackerWords | None = None) -> str | None:
    """A status or label as a tracker writes it -> one of ACTION_STATUSES, or None when unknown."""
    if not name:
        return None
    w = words or tracker_words()
    key = normalise(name)
    return w.status.get(key) or w.status.get(_LABEL_PREFIX.sub("", key))
