"""Recurring patterns inside each failure mode, named by a phrase their members wrote.

Within one mode, each member incident contributes the words around the phrases that fired for
that mode in its evidence sentences (WINDOW words either side). Every 2-4-word run of those
words that contains a fired word is a candidate name ("renewal job", "retries without
backoff", "connection pool"), as long as it neither starts nor ends with a stop word and has
at most one of of/in/on/for/with inside. Greedy cover: the candidate shared by the most
incidents not yet covered, weighted by how specific it is to the mode (sqrt idf; the shorter
phrase between equals),
becomes a pattern of exactly the incidents that contain it; repeat until no candidate covers
MIN_SIZE new incidents (at most MAX_PER_MODE patterns per mode). What is left is the mode's
explicit Unclustered bucket: incidents of the mode with no more specific recurring pattern.

Labels are therefore phrases that occur in every member, deterministic and cheap (linear in the
evidence). A label never just restates the mode's name ("configuration change" in
"Configuration change or misconfiguration"): such phrases are not candidates. It never holds a
person's name (`person_words`) or a service name (a pattern is a kind of failure, seen across
services), and it comes only from phrases that a representable incident
(not restricted) wrote, so a restricted postmortem's words never name a pattern; restricted
incidents still join patterns and count. Two example sentences per pattern, from representable
members, shortest first.

Stable ids: each pattern's mode, label and incident ids are saved with the build; the next
build matches its patterns of a mode to the previous ones by label (same label: same pattern)
or else by the Jaccard overlap of their incidents (Hungarian assignment, at least
MATCH_SIMILARITY); unmatched patterns get fresh ids above every id used before.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipelines.analysis.forked import fork_map
from pipelines.analysis.textfeatures import STOP_WORDS

MIN_SIZE = 2
MAX_PER_MODE = 12
WINDOW = 4  # words either side of the phrase that fired
MATCH_SIMILARITY = 0.5
# Below this many (incident, mode) members the cover of every mode takes a few seconds: one process.
MIN_MEMBERS_FOR_POOL = 20_000
STATE_VERSION = 1
STATE_SUFFIX = "patterns.json"
UNCLUSTERED = -1
UNCLUSTERED_LABEL = "Unclustered"

_MONTHS = frozenset("january february march april may june july august september october november december".split())
_STOP = frozenset(STOP_WORDS) | {"was", "were", "been", "being", "had", "has", "have", "the", "a", "an"} | _MONTHS
_JOINERS = frozenset({"of", "in", "on", "for", "with"})  # the only stop words allowed inside a label
# Letters only: "OOM-killed" is two words everywhere (windows, labels, examples), and the
# label is shown as a member wrote it ("OOM-killed") by _display.
_WORD = re.compile(r"[A-Za-z]+")
_NAME_WORD = re.compile(r"[a-z]+")


@dataclass
class Member:
    """One incident's part in one mode: its evidence (sentence, fired phrase, strong) for the mode."""

    incident_id: str
    evidence: list[tuple[str, str, bool]]
    representable: bool = True


@dataclass
class Pattern:
    pattern_id: int
    mode: str
    label: str
    incidents: list[str]
    examples: list[str]
    phrases: list[str] = field(default_factory=list)  # other phrases most members share
    phrase: str = ""  # the label as matched: lower-case words between single spaces


@dataclass
class PatternResult:
    patterns: list[Pattern]
    unclustered: dict[str, list[str]]  # mode -> incidents of the mode in no pattern
    next_id: int = 1

    def pattern_of(self) -> dict[tuple[str, str], int]:
        """(incident_id, mode) -> pattern id."""
        return {(i, p.mode): p.pattern_id for p in self.patterns for i in p.incidents}

    def state(self) -> dict:
        return {
            "version": STATE_VERSION,
            "next_id": self.next_id,
            "patterns": [{"id": p.pattern_id, "mode": p.mode, "label": p.label, "incidents": p.incidents} for p in self.patterns],
        }


# A whitespace-delimited chunk with a digit, underscore, slash, @, an inner colon or a dot between
# letters is a host, file, region, version or id ("eu-west-1", "limits.json", "pay.example.com"):
# never part of a pattern's name, so it is one empty token (a boundary no phrase spans).
# Everything else gives its runs of letters. One regex pass, the loop only copies.
_TOKEN = re.compile(r"(?<!\S)(?P<np>\S*?(?:[\d_/@]|:(?=\S)|[A-Za-z]\.[A-Za-z])\S*)|(?P<w>[A-Za-z]+)")


@lru_cache(maxsize=1 << 16)  # a sentence is tokenized for its windows, its label and its examples
def _tokens(text: str) -> tuple[tuple[str, int, int], ...]:
    """(lower-case word, start, end) of every word; "" for a chunk that is not prose (a boundary)."""
    return tuple(
        (m.group("w").lower(), m.start(), m.end()) if m.lastgroup == "w" else ("", m.start(), m.end())
        for m in _TOKEN.finditer(text)
    )


def words(text: str) -> list[str]:
    return [w for w, _, _ in _tokens(text)]


@lru_cache(maxsize=1 << 16)
def _joined(text: str) -> str:
    """The sentence's words between single spaces (with one at each end), to find a label in it."""
    return f" {' '.join(words(text))} "


def window(sentence: str, phrase: str, strong: bool = True) -> tuple[str, ...]:
    """The words around the phrase that fired, fired words marked by a leading '*' (strong) or '+'
    (weak): what the pattern is about, without the rest of a long sentence (dates, impact).
    Hosts, files and ids are "" (no name spans them)."""
    tokens = _tokens(sentence)
    at = sentence.lower().find(phrase.lower())
    if at < 0:
        return tuple(w for w, _, _ in tokens)
    end = at + len(phrase)
    fired = [k for k, (w, a, b) in enumerate(tokens) if a < end and b > at]
    if not fired or all(tokens[k][0] == "" for k in fired):
        return ()
    lo, hi = fired[0], fired[-1]
    mark = "*" if strong else "+"
    out = []
    for k in range(max(0, lo - WINDOW), min(len(tokens), hi + 1 + WINDOW)):
        w, a, _ = tokens[k]
        # "~": joined to the word before by a hyphen ("split-horizon"): no name starts or ends inside it.
        glued = "~" if w and k > 0 and tokens[k - 1][0] and tokens[k - 1][2] == a - 1 and sentence[a - 1] == "-" else ""
        out.append((mark if lo <= k <= hi else "") + glued + w if w else "")
    return tuple(out)


def _verb_like(word: str, avoid: frozenset[str]) -> bool:
    """A past tense ("reopened", "assumed") or a listed verb: not part of a name unless it fired."""
    return word in avoid or (len(word) > 4 and word.endswith("ed") and not word.endswith("eed"))


def phrases(win: tuple[str, ...], avoid: frozenset[str] = frozenset()) -> set[str]:
    """Candidate names in one window: 2-4-word runs that include a fired word and end with one, or
    continue it only through of/in/on/for/with. English puts the head noun last, so "instance
    quota", "renewal job", "rollback for configuration" name a thing, while "quota agreed" or
    "overload turned" are the start of a clause. A word that did not fire may not be a verb
    (`_verb_like`, `avoid`)."""
    marked = [w[:1] in "*+" for w in win]
    glued = [w.lstrip("*+")[:1] == "~" for w in win]
    plain = [w.lstrip("*+~") for w in win]
    out = set()
    for n in (2, 3, 4):  # one word mostly restates the mode ("capacity"): a pattern says more
        for i in range(len(plain) - n + 1):
            inside = marked[i : i + n]
            g = plain[i : i + n]
            if not any(w[:1] == "*" for w in win[i : i + n]) or "" in g:
                continue  # a name holds a word of a strong phrase: a weak hint ("responsible") names nothing
            last = max(k for k, m in enumerate(inside) if m)
            if last < n - 1 and plain[i + last + 1] not in _JOINERS:
                continue
            if i + n < len(win) and marked[i + n] and marked[i + n - 1]:
                continue  # cuts a fired phrase in two ("pods ran" of "ran out of memory")
            if glued[i] or (i + n < len(win) and glued[i + n]):
                continue  # cuts a hyphenated word in two ("horizon dns" of "split-horizon DNS")
            if any(not m and _verb_like(w, avoid) for w, m in zip(g, inside)):
                continue  # "clients saw certificate", "reopened connections": a clause, not a name
            if g[0] in _STOP or g[-1] in _STOP or len(g[0]) < 3 or len(g[-1]) < 3:
                continue
            inner = [w for w in g[1:-1] if w in _STOP]
            if len(inner) > 1 or any(w not in _JOINERS for w in inner):
                continue  # "servers to crash", "rollout of the primary" do not read as a name
            out.add(" ".join(g))
    return out


def _stem(word: str) -> str:
    word = word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
    return word[:5]


def name_stems(name: str, key: str = "") -> frozenset[str]:
    """Stems of a mode's name and key: a label made only of these restates the mode."""
    return frozenset(_stem(w) for w in _NAME_WORD.findall(f"{name} {key.replace('_', ' ')}".lower()) if w not in _STOP)


def is_tautology(phrase: str, stems: frozenset[str]) -> bool:
    content = [w for w in phrase.split() if w not in _STOP]
    return bool(content) and all(_stem(w) in stems for w in content)


MAX_EXAMPLE_CANDIDATES = 50  # member sentences looked at for the two examples (the shortest of them)


def _display(label: str, sentences) -> str:
    """The label as a member wrote it ("DNS resolver", not "dns resolver"), first letter upper case."""
    pattern = re.compile(r"\b" + r"[^A-Za-z]{1,3}".join(re.escape(w) for w in label.split()) + r"\b", re.IGNORECASE)
    shown = label
    for s in sentences:
        m = pattern.search(s)
        if m and re.fullmatch(r"[A-Za-z' -]+", m.group(0)):
            shown = " ".join(m.group(0).split())
            break
    return shown[:1].upper() + shown[1:]


def _is_name(label: str, members: list[Member]) -> bool:
    """Whether members write the phrase as a proper name: every word Capitalized wherever it occurs,
    and not only because it starts the sentence ("Stack Overflow was offline")."""
    pattern = re.compile(r"\b" + r"[^A-Za-z]{1,3}".join(re.escape(w) for w in label.split()) + r"\b", re.IGNORECASE)
    seen = mid_sentence = 0
    for m in members:
        for sentence, _, _ in m.evidence:
            for hit in pattern.finditer(sentence):
                if not all(w[:1].isupper() and w[1:].islower() for w in re.findall(r"[A-Za-z]+", hit.group(0))):
                    return False
                seen += 1
                mid_sentence += hit.start() > 0
    return seen > 0 and mid_sentence > 0


def _contains(sentence: str, label: str) -> bool:
    return label.split(" ", 1)[0] in sentence.lower() and f" {label} " in _joined(sentence)


def _shown_sentences(label: str, members: list[Member]):
    """Member sentences holding the label, from incidents anyone may read, in member order."""
    for m in members:
        if m.representable:
            for sentence, _, _ in m.evidence:
                if _contains(sentence, label):
                    yield sentence


def _examples(label: str, members: list[Member]) -> list[str]:
    seen: list[str] = []
    for sentence in _shown_sentences(label, members):
        if sentence not in seen:
            seen.append(sentence)
            if len(seen) >= MAX_EXAMPLE_CANDIDATES:
                break
    # The shortest two: the pattern in the fewest words.
    return sorted(seen, key=lambda s: (len(s), s))[:2]


def service_mask(names: list[str]) -> re.Pattern[str] | None:
    """Service names ("checkout-api"), to be blanked out of evidence before phrases are taken: a
    pattern is a kind of failure seen across services, so no label names one. A name matches as
    written and with its words joined by a hyphen, an underscore or spaces ("pull-requests" also
    masks "Pull Requests"), in any case."""
    names = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
    if not names:
        return None
    words = [re.split(r"[-_\s]+", n) for n in names]
    alternatives = [r"[-_\s]+".join(map(re.escape, w)) for w in words]
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", re.IGNORECASE)


@lru_cache(maxsize=1 << 17)  # templated and copy-pasted evidence repeats: take its phrases once
def _candidates(
    sentence: str, phrase: str, strong: bool, services: re.Pattern[str] | None, avoid: frozenset[str]
) -> frozenset[str]:
    """Candidate names one evidence sentence offers for the phrase that fired in it."""
    if services is not None:
        sentence = services.sub(" svc.name ", sentence)  # a dotted word: a boundary no phrase spans
    return frozenset(phrases(window(sentence, phrase, strong), avoid))


def mode_patterns(
    mode: str,
    members: list[Member],
    stems: frozenset[str],
    person_words: frozenset[str] = frozenset(),
    services: re.Pattern[str] | None = None,
    avoid: frozenset[str] = frozenset(),
) -> tuple[list[tuple[str, list[int], list[str]]], list[int]]:
    """Greedy phrase cover inside one mode: ([(label, member indexes, other phrases)], uncovered indexes)."""
    cand: list[set[str]] = []
    for m in members:
        found: set[str] = set()
        for sentence, phrase, strong in m.evidence:
            found |= _candidates(sentence, phrase, strong, services, avoid)
        cand.append(found)
    df = Counter(p for c in cand for p in c)
    shown_by = Counter(p for c, m in zip(cand, members) if m.representable for p in c)
    eligible = {
        p
        for p, n in df.items()
        if n >= MIN_SIZE
        and shown_by[p]
        and not is_tautology(p, stems)
        and not (set(p.split()) & person_words)
    }
    n_all = len(members)
    left = set(range(len(members)))
    found_patterns: list[tuple[str, list[int], list[str]]] = []
    # Uncovered incidents per candidate, kept up to date as incidents are covered: each member's
    # phrases are counted in and out once, so the cover stays linear in the evidence.
    cover = Counter(p for c in cand for p in c if p in eligible)
    holders: dict[str, list[int]] = {}
    for k, c in enumerate(cand):
        for p in c:
            if p in eligible:
                holders.setdefault(p, []).append(k)
    spec = {p: math.sqrt(math.log((1 + n_all) / (1 + df[p])) + 1) for p in cover}
    while len(found_patterns) < MAX_PER_MODE and cover:
        # Most incidents (weighted by specificity) first; between equals the shorter phrase reads better.
        best = max(cover, key=lambda p: (cover[p] * spec[p], -p.count(" "), p))
        if cover[best] < MIN_SIZE:
            break
        if _is_name(best, [members[k] for k in holders[best][:20]]):
            del cover[best]  # "Stack Overflow", "Cloud Spanner": a company or product, not a kind of failure
            continue
        idx = [k for k in holders[best] if k in left]
        left -= set(idx)
        for k in idx:
            for p in cand[k]:
                if p in cover:
                    cover[p] -= 1
                    if cover[p] <= 0:
                        del cover[p]
        shared = Counter(p for k in idx for p in cand[k] if p != best and p in eligible)
        others = [p for p, c in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0])) if c >= MIN_SIZE][:5]
        found_patterns.append((best, idx, others))
    return found_patterns, sorted(left)


def _match_previous(mode: str, new: list[tuple[str, set[str]]], previous: dict | None) -> list[int | None]:
    """Previous pattern id for each new (label, incidents) of one mode, or None."""
    old = [p for p in (previous or {}).get("patterns", []) if p.get("mode") == mode]
    if not new or not old:
        return [None] * len(new)
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    sim = np.zeros((len(new), len(old)))
    for r, (label, members) in enumerate(new):
        for c, o in enumerate(old):
            if str(o.get("label", "")).lower() == label.lower():
                sim[r, c] = 1.0
            else:
                theirs = set(o.get("incidents", []))
                sim[r, c] = len(members & theirs) / max(1, len(members | theirs))
    rows, cols = linear_sum_assignment(-sim)
    out: list[int | None] = [None] * len(new)
    for r, c in zip(rows, cols):
        if sim[r, c] >= MATCH_SIMILARITY:
            out[r] = int(old[c]["id"])
    return out


@dataclass
class _CoverInputs:
    """What the greedy cover of every mode reads (shared, read-only, by forked workers)."""

    members_by_mode: dict[str, list[Member]]
    mode_names: dict[str, str]
    person_words: frozenset[str]
    services: re.Pattern[str] | None
    avoid: frozenset[str]


def _cover(inputs: _CoverInputs, mode: str) -> tuple[list[tuple[str, list[int], list[str]]], list[int]]:
    return mode_patterns(mode, inputs.members_by_mode[mode], name_stems(inputs.mode_names.get(mode, mode), mode),
                         inputs.person_words, inputs.services, inputs.avoid)


def _mode_covers(inputs: _CoverInputs, jobs: int) -> dict[str, tuple[list[tuple[str, list[int], list[str]]], list[int]]]:
    """mode -> mode_patterns' answer, for every mode; largest modes first to the workers, so the
    last one to finish is a small one."""
    modes = sorted(inputs.members_by_mode, key=lambda m: -len(inputs.members_by_mode[m]))
    found = None
    if sum(len(v) for v in inputs.members_by_mode.values()) >= MIN_MEMBERS_FOR_POOL:
        found = fork_map(_cover, inputs, modes, jobs, what="patterns")
    if found is None:
        found = [_cover(inputs, mode) for mode in modes]
    return dict(zip(modes, found))


def find_patterns(
    members_by_mode: dict[str, list[Member]],
    mode_names: dict[str, str],
    *,
    previous: dict | None = None,
    person_words: frozenset[str] = frozenset(),
    service_names: list[str] = (),
    avoid: frozenset[str] = frozenset(),
    jobs: int = 1,
) -> PatternResult:
    """Patterns of every mode (modes in `members_by_mode` order), with ids kept from `previous`.

    `person_words` (owners' name words) and `service_names` never appear in a label; neither do
    verbs that did not fire (`avoid`: the taxonomy's [labels] list, plus past tenses).
    From MIN_MEMBERS_FOR_POOL members, the modes are searched by `jobs` forked worker processes
    (each mode's patterns depend on its members alone, so the result is the same)."""
    services = service_mask(list(service_names))
    covers = _mode_covers(_CoverInputs(members_by_mode, mode_names, person_words, services, avoid), jobs)
    drafts: list[tuple[str, str, list[Member], list[str]]] = []  # mode, label, members, other phrases
    unclustered: dict[str, list[str]] = {}
    ids: list[int | None] = []
    for mode, members in members_by_mode.items():
        found, left = covers[mode]
        mine = [(label, [members[k] for k in idx], others) for label, idx, others in found]
        ids += _match_previous(mode, [(label, {m.incident_id for m in ms}) for label, ms, _ in mine], previous)
        drafts += [(mode, label, ms, others) for label, ms, others in mine]
        if left:
            unclustered[mode] = [members[k].incident_id for k in left]
    next_id = max([int((previous or {}).get("next_id", 1))] + [i + 1 for i in ids if i is not None])
    # Fresh ids: biggest pattern first, so a first build reads 1, 2, 3 ... by size.
    order = sorted(range(len(drafts)), key=lambda i: (-len(drafts[i][2]), drafts[i][0], drafts[i][1]))
    taken = {i for i in ids if i is not None}
    final: dict[int, int] = {}
    for i in order:
        if ids[i] is not None:
            final[i] = ids[i]
        else:
            while next_id in taken:
                next_id += 1
            final[i] = next_id
            taken.add(next_id)
            next_id += 1
    patterns = []
    for i in order:
        mode, label, ms, others = drafts[i]
        patterns.append(
            Pattern(final[i], mode, _display(label, _shown_sentences(label, ms)), [m.incident_id for m in ms],
                    _examples(label, ms), others, label)
        )
    return PatternResult(patterns, unclustered, next_id)


def sentence_pattern(pattern_labels: list[tuple[int, str]], sentence: str) -> int:
    """The first pattern (id, Pattern.phrase) whose phrase the sentence contains, else UNCLUSTERED."""
    for pid, label in pattern_labels:
        if _contains(sentence, label):
            return pid
    return UNCLUSTERED


def clear_caches() -> None:
    """Forget cached tokenizations (a long-lived process builds many corpora)."""
    _tokens.cache_clear()
    _joined.cache_clear()
    _candidates.cache_clear()


def load_state(path: Path | None) -> dict | None:
    if path is None or not path.exists():
        return None
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # an unreadable previous state only costs id stability, never the build
    return state if isinstance(state, dict) and state.get("version") == STATE_VERSION else None


def save_state(path: Path, state: dict) -> None:
    path.write_text(json.dumps(state, separators=(",", ":")))
