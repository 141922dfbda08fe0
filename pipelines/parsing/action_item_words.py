"""The words and patterns action items are read with (action_items.toml), loaded once.

`item_words()` is the default file plus a team's file named by $HINDSIGHT_ACTION_ITEMS: its status
words move to the status it lists them under, its pattern lists are appended.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipelines.model import ACTION_STATUSES
from pipelines.tuning import read_toml

DEFAULT_ITEMS_PATH = Path(__file__).with_name("action_items.toml")
ITEMS_ENV = "HINDSIGHT_ACTION_ITEMS"


@dataclass(frozen=True)
class ItemWords:
    statuses: dict[str, str]  # lower-cased word or phrase -> status
    status_word: re.Pattern[str]  # any status word, whole
    done_phrases: re.Pattern[str]
    prose: dict[str, re.Pattern[str]]  # status -> commitment pattern
    not_items: re.Pattern[str]
    announce: re.Pattern[str]
    mention_before: re.Pattern[str]


def _alternation(patterns: list[str], where: str) -> re.Pattern[str]:
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise ValueError(f"{where}: bad regular expression {p!r}: {exc}") from None
    return re.compile("|".join(f"(?:{p})" for p in patterns) if patterns else r"(?!)")


def load_item_words(extra: Path | str | None = None) -> ItemWords:
    """The default words (action_items.toml), with a team's file applied on top when given."""
    statuses: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for path in [DEFAULT_ITEMS_PATH] + ([Path(extra)] if extra else []):
        cfg = read_toml(path, "the action-item words")
        for status, words in cfg.get("status", {}).items():
            if status not in ACTION_STATUSES:
                raise ValueError(f"{path}: [status] keys are {', '.join(ACTION_STATUSES)}, not {status!r}")
            for w in words:
                statuses[str(w).strip().lower().replace("’", "'")] = status
        for table in ("status_phrases", "prose", "tickets"):
            for key, values in cfg.get(table, {}).items():
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    raise ValueError(f"{path}: [{table}] {key} must be a list of strings")
                lists.setdefault(f"{table}.{key}", []).extend(values)
    words = sorted(statuses, key=len, reverse=True)
    status_word = re.compile(r"(?<![\w'])(" + "|".join(re.escape(w) for w in words) + r")(?![\w'])", re.I)
    return ItemWords(
        statuses=statuses,
        status_word=status_word,
        done_phrases=_alternation(lists.get("status_phrases.done", []), "[status_phrases] done"),
        prose={s: _alternation(lists.get(f"prose.{s}", []), f"[prose] {s}") for s in ("done", "in_progress", "open")},
        not_items=_alternation(lists.get("prose.not_items", []), "[prose] not_items"),
        announce=_alternation(lists.get("prose.announce", []), "[prose] announce"),
        mention_before=_alternation(lists.get("tickets.mention_before", []), "[tickets] mention_before"),
    )


@lru_cache(maxsize=1)
def item_words() -> ItemWords:
    """The words parsing uses: action_items.toml plus the file named by $HINDSIGHT_ACTION_ITEMS."""
    return load_item_words(os.environ.get(ITEMS_ENV) or None)
