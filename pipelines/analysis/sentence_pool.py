"""Score many distinct sentences against the failure-mode taxonomy in worker processes.

Scoring a sentence (failure_modes.sentence_hits) is pure Python and about 0.1-0.2 CPU-ms; on
a corpus of unique text (every factor of 100,000 incidents) it is the largest single stage of
the analysis, and it is embarrassingly parallel. The workers get chunks of sentences and send
back each sentence's hits in order; the caller scores incidents from that table exactly as it
would from the cache, so the results are the same as the serial path's, whatever the number of
workers.

The workers are forked (pipelines.analysis.forked): they start with the taxonomy and the
imported scorer and re-run nothing of the caller's main module; only the chunks of sentences
and their hits cross a pipe.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipelines.analysis import failure_modes
from pipelines.analysis.failure_modes import Hits
from pipelines.analysis.forked import fork_map
from pipelines.analysis.taxonomy import Taxonomy

# Below this many distinct sentences (~0.15 CPU-ms each), the workers would save a few seconds
# at most: not worth a second process's memory.
MIN_SENTENCES_FOR_POOL = 20_000
MIN_CHUNK, MAX_CHUNK = 1_000, 10_000


def _score_chunk(tax: Taxonomy, chunk: list[str]) -> list[Hits]:
    # The uncached scorer: these sentences are distinct, a cache would only hold memory.
    return [failure_modes.score_one(tax, s) for s in chunk]


def _chunks(items: list[str], jobs: int) -> list[list[str]]:
    # About 8 chunks per worker, so one slow chunk does not leave the others idle at the end.
    size = max(MIN_CHUNK, min(MAX_CHUNK, -(-len(items) // (jobs * 8))))
    return [items[i : i + size] for i in range(0, len(items), size)]


def hits_table(
    tax: Taxonomy, sentences: Iterable[str], jobs: int, *, min_sentences: int | None = None
) -> dict[str, Hits] | None:
    """Every distinct sentence's hits, scored by `jobs` worker processes; None when `jobs` is 1
    or there are fewer than `min_sentences` (default MIN_SENTENCES_FOR_POOL) distinct sentences
    (the caller scores them itself, with its cache), or when a worker died (logged; the serial
    path gives the same results)."""
    distinct = list(dict.fromkeys(sentences))
    if jobs <= 1 or len(distinct) < (MIN_SENTENCES_FOR_POOL if min_sentences is None else min_sentences):
        return None
    chunks = _chunks(distinct, jobs)
    found = fork_map(_score_chunk, tax, chunks, jobs, what="failure-mode scoring")
    if found is None:
        return None
    table: dict[str, Hits] = {}
    same: dict[Hits, Hits] = {}  # one object per distinct result: most are (), or one common phrase
    for chunk, hits_of_chunk in zip(chunks, found):
        for sentence, hits in zip(chunk, hits_of_chunk):
            table[sentence] = same.setdefault(hits, hits)
    return table
