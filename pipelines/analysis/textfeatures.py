"""Text features for incident prose: one scikit-learn Pipeline, built here and nowhere else.

Incident text is full of tokens that are unique per incident but say nothing about *why* it
happened: hostnames, IPs, version strings, ticket ids, durations. Left alone they dominate
TF-IDF (rare terms get the highest idf) and push near-identical failures apart. They are
rewritten to placeholder words first, so "db-07.prod failed over at 03:12" and "db-02.prod
failed over at 11:40" look alike. Words every postmortem uses (incident, outage, customers,
minutes ...) are stop words for the same reason.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import Normalizer

# Order matters: the broad shapes (URLs, emails) go before the pieces they contain.
_CASE_SENSITIVE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"https?://\S+"), " xurl "),
    (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), " xemail "),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), " xuuid "),
    # Ticket ids are upper case by convention (JIRA-1234, INC-2024-031); match before lowercasing.
    (re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d+(?:-\d+)*\b"), " xticket "),
)
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?::\d+)?\b"), " xip "),
    (re.compile(r"\b(?:[0-9a-f]{1,4}:){3,7}[0-9a-f]{1,4}\b"), " xip "),
    (re.compile(r"\bv?\d+(?:\.\d+){1,3}(?:[-+][a-z0-9.]+)?\b"), " xversion "),
    (re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm|utc|z)?\b"), " xclock "),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:t[\d:.]+z?)?\b"), " xdate "),
    # Hostnames: at least two dots (db-01.prod.example.com) or a name ending in digits (web-03).
    (re.compile(r"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+){2,}\b"), " xhost "),
    (re.compile(r"\b[a-z]+(?:-[a-z]+)*-\d+[a-z0-9]*\b"), " xhost "),
    (re.compile(r"\b[0-9a-f]{7,40}\b(?<![0-9]{7})"), " xhex "),
    (
        re.compile(
            r"\b\d+(?:\.\d+)?\s*(?:ms|msec|millis(?:econds?)?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|weeks?)\b"
        ),
        " xduration ",
    ),
    (re.compile(r"\b\d+(?:\.\d+)?\s*%"), " xpercent "),
    (re.compile(r"\b\d+(?:[.,]\d+)*(?:k|m|gb|mb|kb|tb|gib|mib|rps|qps)?\b"), " xnum "),
)

# Words that appear in nearly every postmortem, whatever went wrong.
DOMAIN_STOP_WORDS = frozenset(
    """
    incident incidents outage outages service services customer customers user users minute minutes
    hour hours second seconds day days engineer engineers team teams issue issues problem problems
    impact impacted affected affecting caused cause causing causes due resulted result resulting
    led lead leading began started start starting occurred occur happened time times following
    including approximately around roughly later earlier eventually initially postmortem
    investigation investigated identified noticed observed oncall on-call page paged sev sev1 sev2
    sev3 sev4 utc pm am error errors failure failures failed fail failing production prod
    team's we our us did didn does just also however additionally period
    ms msec sec secs min mins hr hrs week weeks month months
    xnum xduration xpercent xclock xdate xurl xemail xuuid xhex xticket xservice
    """.split()
)
# Every word the normalizer writes in place of an incident-specific token.
PLACEHOLDERS = frozenset(
    "xurl xemail xuuid xticket xip xversion xclock xdate xhost xhex xduration xpercent xnum xservice".split()
)
STOP_WORDS = sorted(ENGLISH_STOP_WORDS | DOMAIN_STOP_WORDS)
TOKEN_PATTERN = r"(?u)\b[a-z][a-z0-9_]+\b"


def normalize_incident_text(text: str) -> str:
    """Lowercase and replace hostnames, IPs, versions, numbers, durations and ticket ids by placeholder words."""
    for pattern, repl in _CASE_SENSITIVE_RULES:
        text = pattern.sub(repl, text)
    text = text.lower()
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return text


_CHUNK = re.compile(r"[^\s,;()\[\]{}\"'`<>|*=]+")
_TOKEN = re.compile(TOKEN_PATTERN)
_STOP = frozenset(STOP_WORDS)


_NEEDS_REWRITE = re.compile(r"[\d.@:/]")  # every rewrite rule needs one of these characters


@lru_cache(maxsize=1 << 18)
def _chunk_tokens(chunk: str) -> tuple[str, ...]:
    chunk = chunk.rstrip(".:!?")
    if chunk.isalpha():  # the common case: a plain word
        word = chunk.lower()
        return () if word in _STOP or len(word) < 2 else (word,)
    text = normalize_incident_text(chunk) if _NEEDS_REWRITE.search(chunk) else chunk.lower()
    return tuple(t for t in _TOKEN.findall(text) if t not in _STOP)


# The analyzer's own pieces, for tfidf_matrix (which must tokenize exactly as `analyze` does).
CHUNK = _CHUNK
chunk_tokens = _chunk_tokens


def analyze(text: str, ngram_range: tuple[int, int] = (1, 2)) -> list[str]:
    """Tokens and word n-grams of incident text, as the vectorizer sees them.

    Same result as normalize_incident_text + TOKEN_PATTERN + STOP_WORDS + n-grams, but the
    rewriting runs once per distinct whitespace-separated chunk (cached), not as a dozen regex
    passes over every document: 100,000 postmortems tokenize in seconds, not minutes.
    """
    tokens: list[str] = []
    for chunk in _CHUNK.findall(text):
        tokens.extend(_chunk_tokens(chunk))
    lo, hi = ngram_range
    out = tokens if lo == 1 else []
    for n in range(max(2, lo), hi + 1):
        if n == 2:  # the common case, without slicing
            out = out + [a + " " + b for a, b in zip(tokens, tokens[1:])]
        else:
            out = out + [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return out


class IncidentAnalyzer:
    """`analyze` as a picklable callable with its n-gram range, for TfidfVectorizer(analyzer=...)."""

    def __init__(self, ngram_range: tuple[int, int] = (1, 2)) -> None:
        self.ngram_range = tuple(ngram_range)

    def __call__(self, text: str) -> list[str]:
        return analyze(text, self.ngram_range)

    def __repr__(self) -> str:
        return f"IncidentAnalyzer(ngram_range={self.ngram_range})"


def make_vectorizer(
    *,
    ngram_range: tuple[int, int] = (1, 2),
    min_df: int | float = 2,
    max_df: float = 0.5,
    max_features: int | None = None,
) -> TfidfVectorizer:
    """Word TF-IDF over normalized incident text; sublinear tf so one repeated word does not dominate."""
    return TfidfVectorizer(
        analyzer=IncidentAnalyzer(ngram_range),
        min_df=min_df,
        max_df=max_df,
        max_features=max_features,
        sublinear_tf=True,
        dtype=np.float32,
    )


def make_text_pipeline(
    *,
    ngram_range: tuple[int, int] = (1, 2),
    min_df: int | float = 2,
    max_df: float = 0.5,
    max_features: int | None = None,
    char_ngrams: bool = False,
    svd_components: int | None = None,
    random_state: int = 0,
) -> Pipeline:
    """The one text pipeline: TF-IDF (+ optional char n-grams) then optional LSA (TruncatedSVD + L2 Normalizer).

    Rows come out L2-normalized either way, so a dot product is a cosine similarity.
    """
    words = make_vectorizer(ngram_range=ngram_range, min_df=min_df, max_df=max_df, max_features=max_features)
    steps: list[tuple[str, object]] = []
    if char_ngrams:
        # Character n-grams inside word boundaries catch spelling variants (timeout / time-out / timeouts).
        chars = TfidfVectorizer(
            preprocessor=normalize_incident_text,
            analyzer="char_wb",
            ngram_range=(3, 5),
            min_df=min_df,
            max_df=max_df,
            sublinear_tf=True,
            dtype=np.float32,
        )
        steps.append(("tfidf", FeatureUnion([("words", words), ("chars", chars)])))
        steps.append(("l2", Normalizer()))
    else:
        steps.append(("tfidf", words))
    if svd_components:
        steps.append(("svd", TruncatedSVD(n_components=svd_components, random_state=random_state, algorithm="randomized", n_iter=5)))
        steps.append(("normalize", Normalizer(copy=False)))
    return Pipeline(steps)

