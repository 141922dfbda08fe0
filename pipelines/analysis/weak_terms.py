"""Terms that carry no meaning about a failure ("took", "new", "July"): never a related-incident feature.

The list is data (weak_terms.toml, documented there); this module loads it and decides whether
a TF-IDF term (a word or a two-word n-gram) is weak: every word in it is a weak word or one of
the placeholder words the text normalizer writes (xversion, xhost...).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pipelines.analysis.textfeatures import PLACEHOLDERS
from pipelines.tuning import read_toml

WEAK_TERMS_FILE = Path(__file__).with_name("weak_terms.toml")


@lru_cache(maxsize=1)
def weak_words(path: Path = WEAK_TERMS_FILE) -> frozenset[str]:
    """Every word listed under [weak] in `path`, lower-cased."""
    table = read_toml(path, "the weak terms").get("weak", {})
    return frozenset(str(w).strip().lower() for words in table.values() for w in words if str(w).strip())


def is_weak(term: str) -> bool:
    """True when no word of `term` says anything about what failed."""
    words = term.split()
    return bool(words) and all(w in PLACEHOLDERS or w in weak_words() for w in words)
