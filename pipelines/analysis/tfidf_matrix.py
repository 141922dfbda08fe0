"""Word 1-2 gram TF-IDF of many incident documents, without building an n-gram string per word.

The same matrix, vocabulary and idf as `textfeatures.make_vectorizer(...).fit(sample)` followed
by `.transform(all documents)` (tests/pipelines/test_tfidf_matrix.py checks this against
scikit-learn), at a fraction of the CPU on large corpora:

- every document is tokenized once (`textfeatures.chunk_tokens`, the analyzer's own rules), to an
  array of token ids; scikit-learn's vectorizer tokenizes the vocabulary sample a second time;
- a bigram is the integer pair of its two token ids (numpy, whole blocks of documents at once),
  never the string "a b", and counting is a sparse matrix sum, not a Python dict per document.
  At 100,000 postmortems that was most of the analysis' time (docs/performance.md#scaling).

Only the kept vocabulary (tens of thousands of terms) is ever turned back into strings.
"""

from __future__ import annotations

from itertools import chain
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from pipelines.analysis.textfeatures import CHUNK, chunk_tokens

BLOCK = 4096  # documents per block: bounds the memory of the code arrays


def _token_ids(texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(token per id, every document's token ids concatenated, document start offsets)."""
    ids: dict[str, int] = {}
    known: dict[str, tuple[int, ...]] = {}  # plain-word chunks only: bounded by the vocabulary
    get = known.get
    out: list[np.ndarray] = []
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    for d, text in enumerate(texts):
        chunks = CHUNK.findall(text)
        parts = [get(c) for c in chunks]  # the common case, without a Python call per chunk
        if None in parts:
            for k, got in enumerate(parts):
                if got is None:
                    c = chunks[k]
                    got = parts[k] = tuple([ids.setdefault(t, len(ids)) for t in chunk_tokens(c)])
                    if c.isalpha():
                        known[c] = got
        seq = np.fromiter(chain.from_iterable(parts), dtype=np.int32)
        out.append(seq)
        offsets[d + 1] = offsets[d] + len(seq)
    tokens = [""] * len(ids)
    for t, i in ids.items():
        tokens[i] = t
    return tokens, (np.concatenate(out) if out else np.zeros(0, np.int32)), offsets


def _codes(seq: np.ndarray, offsets: np.ndarray, lo: int, hi: int, n_tokens: int, ngram_max: int) -> tuple[np.ndarray, np.ndarray]:
    """(document row, feature code) of every unigram and bigram of documents lo..hi-1.

    A unigram's code is its token id t; a bigram's is n_tokens * (1 + a) + b, above every unigram."""
    a, b = offsets[lo], offsets[hi]
    tok = seq[a:b].astype(np.int64)
    doc = np.repeat(np.arange(lo, hi, dtype=np.int64), np.diff(offsets[lo : hi + 1]))
    rows, codes = [doc], [tok]
    if ngram_max >= 2 and len(tok) > 1:
        same = doc[1:] == doc[:-1]  # a bigram never spans two documents
        rows.append(doc[1:][same])
        codes.append(n_tokens * (1 + tok[:-1][same]) + tok[1:][same])
    return np.concatenate(rows), np.concatenate(codes)


def _counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values ascending, how often each occurs), by sorting."""
    values = np.sort(values)
    if not len(values):
        return values, np.zeros(0, np.int64)
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    return values[starts], np.diff(np.append(starts, len(values)))


def _term(code: int, tokens: list[str], n_tokens: int) -> str:
    if code < n_tokens:
        return tokens[code]
    a, b = divmod(code - n_tokens, n_tokens)
    return tokens[a] + " " + tokens[b]


def fit_transform(
    texts: list[str], ngram_range: tuple[int, int], min_df: float, max_df: float, sample_step: int = 1
) -> tuple[dict[str, int], np.ndarray, sp.csr_matrix]:
    """(vocabulary term -> column, idf float32, L2-normalized float32 TF-IDF of every text).

    Vocabulary and idf come from texts[::sample_step], with scikit-learn's rules: terms in at
    least min_df and at most max_df of those documents (a float is a share), columns in term
    order, smooth idf; tf is sublinear (1 + log count). Raises ValueError when no term is left,
    as scikit-learn does.
    """
    if tuple(ngram_range) not in ((1, 1), (1, 2)):
        raise ValueError(f"ngram_range {ngram_range}: only (1, 1) and (1, 2) are supported")
    ngram_max = ngram_range[1]
    tokens, seq, offsets = _token_ids(texts)
    n_tokens = max(len(tokens), 1)
    n = len(texts)

    # Document frequency on the sample: each (document, code) pair once.
    sample = np.arange(0, n, sample_step)
    n_sample = len(sample)
    df_codes = []
    span = n_tokens * (1 + n_tokens) + n_tokens  # every code is below this
    for start in range(0, n_sample, BLOCK):
        docs = sample[start : start + BLOCK]
        parts = [_codes(seq, offsets, int(d), int(d) + 1, n_tokens, ngram_max) for d in docs] if sample_step > 1 \
            else [_codes(seq, offsets, int(docs[0]), int(docs[-1]) + 1, n_tokens, ngram_max)]
        rows = np.concatenate([p[0] for p in parts]) - int(docs[0])
        codes = np.concatenate([p[1] for p in parts])
        pairs = np.sort(rows * span + codes)
        if len(pairs):
            pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]  # each (document, code) once
        df_codes.append(pairs % span)
    all_codes, dfs = _counts(np.concatenate(df_codes) if df_codes else np.zeros(0, np.int64))
    high = max_df if isinstance(max_df, Integral) else max_df * n_sample
    low = min_df if isinstance(min_df, Integral) else min_df * n_sample
    if high < low:
        raise ValueError("max_df corresponds to < documents than min_df")
    keep = (dfs <= high) & (dfs >= low)
    if not keep.any():
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    kept_codes, kept_df = all_codes[keep], dfs[keep]
    terms = [_term(int(c), tokens, n_tokens) for c in kept_codes]
    order = sorted(range(len(terms)), key=terms.__getitem__)  # scikit-learn: columns in term order
    column_of_kept = np.empty(len(order), dtype=np.int64)
    column_of_kept[order] = np.arange(len(order))
    vocabulary = {terms[k]: c for c, k in enumerate(order)}

    # Smooth idf in float32, exactly as TfidfTransformer.fit computes it for a float32 matrix.
    df = np.empty(len(order), dtype=np.float32)
    df[column_of_kept] = kept_df.astype(np.float32)
    df += 1.0
    idf = np.full_like(df, fill_value=n_sample + 1, dtype=np.float32)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0

    blocks = []
    for lo in range(0, n, BLOCK):
        hi = min(n, lo + BLOCK)
        rows, codes = _codes(seq, offsets, lo, hi, n_tokens, ngram_max)
        pos = np.searchsorted(kept_codes, codes)
        pos[pos >= len(kept_codes)] = 0
        hit = kept_codes[pos] == codes if len(kept_codes) else np.zeros(len(codes), bool)
        counts = sp.csr_matrix(
            (np.ones(int(hit.sum()), dtype=np.float32), (rows[hit] - lo, column_of_kept[pos[hit]])),
            shape=(hi - lo, len(order)),
            dtype=np.float32,
        )
        counts.sum_duplicates()  # also sorts each row's columns
        blocks.append(counts)
    X = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((0, len(order)), dtype=np.float32)
    np.log(X.data, X.data)
    X.data += 1.0
    X.data *= idf[X.indices]
    X = normalize(X, norm="l2", copy=False)
    return vocabulary, idf, sp.csr_matrix(X, dtype=np.float32)
