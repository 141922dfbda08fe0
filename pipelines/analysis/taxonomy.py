"""The failure-mode taxonomy: failure_modes.toml (documented at its top), extended by a team's file.

`load_taxonomy()` reads the bundled file; `load_taxonomy(extra)` merges a team's TOML into it
(lists appended, scalars replaced, `disable` removes modes) and checks the result, so a typo
fails when the build starts, naming the file and the mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipelines.tuning import read_toml

DEFAULT_TAXONOMY = Path(__file__).with_name("failure_modes.toml")
_LIST_FIELDS = ("aliases", "citations", "strong", "weak")
_REQUIRED = ("key", "class", "name", "description")
_SPLIT = re.compile(r"[\s_\-/]+")


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be used; the message names the file and what to fix."""


@dataclass(frozen=True)
class ModeClass:
    key: str
    name: str
    description: str
    primary_weight: float = 1.0


@dataclass(frozen=True)
class Mode:
    key: str
    cls: str
    name: str
    description: str
    aliases: tuple[str, ...]
    citations: tuple[str, ...]
    strong: re.Pattern[str] | None
    weak: re.Pattern[str] | None
    primary_weight: float
    # The phrases (lower case) and, per phrase, word starts of 1-3 letters such that every match
    # holds a word beginning with one of them (None: cannot tell). A sentence is searched only for
    # the phrases whose word starts it holds: the same matches, several times faster
    # (failure_modes.sentence_hits).
    strong_phrases: tuple[str, ...] = ()
    weak_phrases: tuple[str, ...] = ()
    strong_keys: tuple[frozenset[str] | None, ...] = ()
    weak_keys: tuple[frozenset[str] | None, ...] = ()


@dataclass(eq=False)  # hashed by identity: sentence scores are cached per taxonomy
class Taxonomy:
    modes: list[Mode]
    classes: dict[str, ModeClass]
    strong_weight: float
    weak_weight: float
    section_weight: dict[str, float]
    negation: re.Pattern[str] | None
    citations: dict[str, str] = field(default_factory=dict)
    alias: dict[str, str] = field(default_factory=dict)  # normalized label -> mode key
    label_avoid: frozenset[str] = frozenset()  # verbs a pattern label never holds ([labels] avoid)
    # word start (1-3 letters) -> (mode, 0 strong / 1 weak, phrase index) that need it; the
    # phrases that need no particular word (searched in every sentence)
    by_start: dict[str, tuple[tuple[int, int, int], ...]] = field(default_factory=dict)
    anywhere: tuple[tuple[int, int, int], ...] = ()

    def __post_init__(self) -> None:
        index: dict[str, list[tuple[int, int, int]]] = {}
        anywhere = []
        for j, m in enumerate(self.modes):
            for strength, keys in ((0, m.strong_keys), (1, m.weak_keys)):
                for i, ks in enumerate(keys):
                    if ks is None:
                        anywhere.append((j, strength, i))
                    else:
                        for k in ks:
                            index.setdefault(k, []).append((j, strength, i))
        self.by_start = {k: tuple(v) for k, v in index.items()}
        self.anywhere = tuple(anywhere)

    def phrases_of(self, j: int, strength: int) -> tuple[str, ...]:
        m = self.modes[j]
        return m.strong_phrases if strength == 0 else m.weak_phrases

    @property
    def keys(self) -> list[str]:
        return [m.key for m in self.modes]

    def mode(self, key: str) -> Mode:
        return self.modes[self.keys.index(key)]

    def mode_for_label(self, label: str) -> str | None:
        """The mode a hand-written label names ("cert expiry", "DNS", "config-errors"), or None."""
        return self.alias.get(normalize_label(label))

    def section_weight_of(self, where: str) -> float:
        return self.section_weight.get(where, self.section_weight.get("prose", 1.0))


def normalize_label(label: str) -> str:
    return " ".join(_SPLIT.split(str(label).strip().lower())).strip()


try:  # the regex parser, to read which letters a phrase can start with
    import re._constants as _sre
    import re._parser as _sre_parse
except ImportError:  # pragma: no cover - older Pythons name them sre_*
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

PREFIX = 3  # letters of a word start the rules index phrases by
# Words so common that indexing a phrase by them would filter nothing; another word of the phrase is used.
_COMMON = frozenset("a an the no not in on of to at by for with without was were is are be been had has have and or".split())


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


def _word_keys(seq, at_start: bool = True) -> list[frozenset[str]]:
    """For the parsed pattern `seq`: sets of word starts (1-3 letters), each set such that every match
    holds a word beginning with one of them (a literal word, or every branch of a group that starts a word)."""
    found: list[frozenset[str]] = []
    run = ""
    i = 0
    items = list(seq)
    while i < len(items):
        op, av = items[i]
        if op is _sre.LITERAL:
            c = chr(av)
            if _is_word(c):
                if at_start or run:
                    run += c
            else:
                if run:
                    found.append(frozenset({run[:PREFIX]}))
                run, at_start = "", True
            i += 1
            continue
        if run:  # a word ended inside the pattern: what follows is mid-word
            found.append(frozenset({run[:PREFIX]}))
            run, at_start = "", False
        if op is _sre.AT:
            i += 1
            continue
        branches = None
        if at_start and op is _sre.SUBPATTERN:
            branches = [av[-1]]
        elif at_start and op is _sre.BRANCH:
            branches = av[1]
        elif at_start and op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            branches = [av[2]]
        if branches is not None:
            # Each branch must start with a literal word for the group to give a key set.
            if len(branches) == 1:  # a group that always matches: its own words are required too
                found.extend(_word_keys(branches[0], True))
            firsts = [_first_word(b) for b in branches]
            if all(f is not None for f in firsts):
                found.append(frozenset().union(*firsts))
        # After a group a word starts only if it ends with a non-word literal; after an optional
        # group, only if a word also started before it (the group may be absent).
        last = _last_literal(items[i])
        ends_word = last is not None and not _is_word(last)
        optional = op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] == 0
        at_start = ends_word and (at_start or not optional)
        i += 1
    if run:
        found.append(frozenset({run[:PREFIX]}))
    return found


def _first_word(seq) -> frozenset[str] | None:
    """The word starts a match of `seq` begins with (it must begin with a literal word), or None."""
    run = ""
    for op, av in seq:
        if op is _sre.AT:
            continue
        if op is _sre.LITERAL and _is_word(chr(av)):
            run += chr(av)
            if len(run) >= PREFIX:
                return frozenset({run})
            continue
        if run:
            return frozenset({run})
        if op is _sre.SUBPATTERN:
            return _first_word(av[-1])
        if op is _sre.BRANCH:
            out: set[str] = set()
            for b in av[1]:
                sub = _first_word(b)
                if sub is None:
                    return None
                out |= sub
            return frozenset(out)
        if op is _sre.IN and all(o is _sre.LITERAL and _is_word(chr(c)) for o, c in av):
            return frozenset(chr(c) for _, c in av)
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            return _first_word(av[2])
        return None
    return frozenset({run}) if run else None


def _last_literal(item) -> str | None:
    op, av = item
    if op is _sre.LITERAL:
        return chr(av)
    if op is _sre.SUBPATTERN and av[-1]:
        return _last_literal(list(av[-1])[-1])
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[2]:
        return _last_literal(list(av[2])[-1])
    if op is _sre.BRANCH:
        ends = {_last_literal(list(b)[-1]) if b else None for b in av[1]}
        return ends.pop() if len(ends) == 1 else None
    return None


def phrase_keys(pattern: str) -> frozenset[str] | None:
    """Word starts (2-3 letters) such that every match of `pattern` holds a word beginning with one
    of them; None when it has no such word (it is then searched in every sentence). Of the sets
    that hold, the most selective: no common word, longest keys, fewest keys."""
    # Keys of 2-3 letters: a sentence is looked up by the first two and three letters of each word.
    sets = [ks for ks in _word_keys(_sre_parse.parse(pattern.lower())) if min(len(k) for k in ks) >= 2]
    if not sets:
        return None
    return max(sets, key=lambda ks: (not (ks & _COMMON), min(len(k) for k in ks), -len(ks)))


def _alternation(patterns: list[str], where: str) -> re.Pattern[str] | None:
    # Matched against lower-cased text, anchored at a word start: as fast as it gets with `re`
    # (1.4x faster than re.IGNORECASE with a look-behind, same matches).
    if not patterns:
        return None
    for p in patterns:
        try:
            re.compile(p)
        except re.error as e:
            raise TaxonomyError(f"{where}: bad regular expression {p!r}: {e}") from e
    return re.compile(r"\b(?:" + "|".join(f"(?:{p.lower()})" for p in patterns) + ")")


def _read(path: Path) -> dict:
    return read_toml(path, "the taxonomy", error=TaxonomyError)


def merge(base: dict, extra: dict, where: str = "taxonomy") -> dict:
    """`extra` (a team's file) over `base`, as documented at the top of failure_modes.toml."""
    out = {k: v for k, v in base.items()}
    scoring = dict(base.get("scoring", {}))
    for key, value in extra.get("scoring", {}).items():
        if key == "negation":
            scoring[key] = list(scoring.get(key, [])) + list(value)
        elif key == "section_weight":
            scoring[key] = {**scoring.get(key, {}), **value}
        else:
            scoring[key] = value
    out["scoring"] = scoring
    out["citations"] = {**base.get("citations", {}), **extra.get("citations", {})}
    out["labels"] = {"avoid": list(base.get("labels", {}).get("avoid", [])) + list(extra.get("labels", {}).get("avoid", []))}
    classes = {k: dict(v) for k, v in base.get("classes", {}).items()}
    for key, value in extra.get("classes", {}).items():
        classes[key] = {**classes.get(key, {}), **value}
    out["classes"] = classes
    modes = {m["key"]: dict(m) for m in base.get("modes", [])}
    for m in extra.get("modes", []):
        if "key" not in m:
            raise TaxonomyError(f"{where}: every [[modes]] block needs a key")
        old = modes.get(m["key"], {})
        new = dict(old)
        for name, value in m.items():
            new[name] = list(old.get(name, [])) + list(value) if name in _LIST_FIELDS else value
        modes[m["key"]] = new
    disabled = set(extra.get("disable", [])) | set(base.get("disable", []))
    unknown = disabled - set(modes)
    if unknown:
        raise TaxonomyError(f"{where}: disable names modes that do not exist: {', '.join(sorted(unknown))}")
    out["modes"] = [m for k, m in modes.items() if k not in disabled]
    out["disable"] = []
    return out


def build_taxonomy(data: dict, where: str = "taxonomy") -> Taxonomy:
    """A Taxonomy from the parsed (and merged) TOML, checked."""
    sc = data.get("scoring", {})
    for key in ("strong_weight", "weak_weight", "section_weight"):
        if key not in sc:
            raise TaxonomyError(f"{where}: [scoring] needs {key}")
    classes: dict[str, ModeClass] = {}
    for key, c in data.get("classes", {}).items():
        if "name" not in c:
            raise TaxonomyError(f"{where}: class {key!r} needs a name")
        classes[key] = ModeClass(key, c["name"], c.get("description", ""), float(c.get("primary_weight", 1.0)))
    citations = dict(data.get("citations", {}))
    modes: list[Mode] = []
    alias: dict[str, str] = {}
    for m in data.get("modes", []):
        label = f"{where}: mode {m.get('key', '?')!r}"
        unknown_fields = sorted(set(m) - set(_REQUIRED) - set(_LIST_FIELDS))
        if unknown_fields:
            raise TaxonomyError(
                f"{label}: unknown field(s) {', '.join(unknown_fields)} (TOML puts every key after a [[modes]] "
                "line into that mode: write top-level keys such as `disable` before the first table)"
            )
        missing = [f for f in _REQUIRED if not m.get(f)]
        if missing:
            raise TaxonomyError(f"{label} needs {', '.join(missing)}")
        if m["class"] not in classes:
            raise TaxonomyError(f"{label}: unknown class {m['class']!r} (known: {', '.join(classes)})")
        unknown = [c for c in m.get("citations", []) if c not in citations]
        if unknown:
            raise TaxonomyError(f"{label}: unknown citations {', '.join(unknown)} (add them under [citations])")
        if not m.get("strong") and not m.get("weak"):
            raise TaxonomyError(f"{label} needs at least one strong or weak phrase")
        modes.append(
            Mode(
                m["key"], m["class"], m["name"], m["description"], tuple(m.get("aliases", [])),
                tuple(m.get("citations", [])), _alternation(m.get("strong", []), label),
                _alternation(m.get("weak", []), label), classes[m["class"]].primary_weight,
                tuple(p.lower() for p in m.get("strong", [])), tuple(p.lower() for p in m.get("weak", [])),
                tuple(phrase_keys(p) for p in m.get("strong", [])), tuple(phrase_keys(p) for p in m.get("weak", [])),
            )
        )
        for a in [m["key"], *m.get("aliases", [])]:
            norm = normalize_label(a)
            if alias.setdefault(norm, m["key"]) != m["key"]:
                raise TaxonomyError(f"{label}: alias {a!r} already names mode {alias[norm]!r}")
    if not modes:
        raise TaxonomyError(f"{where}: no failure modes left")
    negation = [str(n).lower() for n in sc.get("negation", [])]
    return Taxonomy(
        modes,
        classes,
        float(sc["strong_weight"]),
        float(sc["weak_weight"]),
        {str(k): float(v) for k, v in sc["section_weight"].items()},
        re.compile("|".join(re.escape(n) for n in negation)) if negation else None,
        citations,
        alias,
        frozenset(str(w).lower() for w in data.get("labels", {}).get("avoid", [])),
    )


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    return build_taxonomy(_read(DEFAULT_TAXONOMY), str(DEFAULT_TAXONOMY))


def load_taxonomy(extra: Path | str | None = None) -> Taxonomy:
    """The bundled taxonomy, extended by a team's TOML file when given."""
    if extra is None:
        return default_taxonomy()
    return build_taxonomy(merge(_read(DEFAULT_TAXONOMY), _read(Path(extra)), str(extra)), str(extra))
