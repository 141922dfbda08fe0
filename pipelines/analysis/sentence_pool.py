"""Score many distinct sentences against the failure-mode taxonomy in worker processes.

Scoring a sentence (failure_modes.sentence_hits) is pure Python and about 0.1-0.2 CPU-ms; on
a corpus of unique text (every factor of 100,000 incidents) it is the largest single stage of
the analysis, and it is embarrassingly parallel. The workers get the taxonomy once (pickled,
at start-up) and chunks of sentences, and send back each sentence's hits in order; the caller
scores incidents from that table exactly as it would from the cache, so the results are the
same as the serial path's, whatever the number of workers.

Workers are forked, as the build's parse pool's are: they start at once with the taxonomy and
the imported scorer, and re-run nothing of the caller's main module (spawned workers would
re-import it, running a script without a `__main__` guard twice). The caller's DuckDB
connection is open but idle, and the workers never touch it. Before forking, every object the
parent holds is moved out of the garbage collector's reach (gc.freeze), so a worker's
collections do not write to (and so copy) the parent's pages: each worker's own memory is its
chunk and its results, a few megabytes.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from pipelines.analysis import failure_modes
from pipelines.analysis.failure_modes import Hits
from pipelines.analysis.taxonomy import Taxonomy

log = logging.getLogger(__name__)

# Below this many distinct sentences, starting the workers (an interpreter each, importing
# numpy and pandas: ~1 CPU s) costs more than it saves (~0.15 CPU-ms a sentence).
MIN_SENTENCES_FOR_POOL = 20_000
MIN_CHUNK, MAX_CHUNK = 1_000, 10_000

_tax: Taxonomy | None = None  # the worker's taxonomy, set once by _start


def _start(tax: Taxonomy) -> None:
    global _tax
    _tax = tax


def _score_chunk(chunk: list[str]) -> list[Hits]:
    assert _tax is not None, "worker not initialised"
    # The uncached scorer: these sentences are distinct, a cache would only hold memory.
    return [failure_modes.score_one(_tax, s) for s in chunk]


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
    table: dict[str, Hits] = {}
    same: dict[Hits, Hits] = {}  # one object per distinct result: most are (), or one common phrase
    ctx = multiprocessing.get_context("fork")
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(chunks)), mp_context=ctx, initializer=_start, initargs=(tax,)) as pool:
            for chunk, found in zip(chunks, pool.map(_score_chunk, chunks)):
                for sentence, hits in zip(chunk, found):
                    table[sentence] = same.setdefault(hits, hits)
    except BrokenProcessPool as e:
        log.warning("a failure-mode scoring process died (%s); scoring in this process instead", e)
        return None
    finally:
        gc.unfreeze()
    return table
