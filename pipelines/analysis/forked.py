"""Map a function over tasks in forked worker processes that share the caller's data, read-only.

The analysis has three stages whose work splits into independent pieces over large, read-only
inputs: scoring distinct sentences (sentence_pool), finding patterns per failure mode
(patterns.find_patterns) and searching each incident's top-10 neighbours (related.top_related).
Pickling those inputs to workers would cost more than the work, so the workers are forked:
they start with everything the caller holds, by reference to the same memory pages, and only
the tasks (small: a chunk of sentences, a mode key, a range of rows) and their results cross
a pipe. `fork_map` stores the function and the shared data in this module's globals just
before the pool forks, so neither needs to be picklable.

Before forking, every object the caller holds is moved out of the garbage collector's reach
(gc.freeze): a worker's collections would otherwise write to, and so copy, the caller's pages.
Each worker's own memory is then its task's inputs and results.

Results come back in task order, so a caller that merges them as the serial loop would gets
the same answer whatever the number of workers. When forking is not possible (no `fork` on
this platform), `jobs` is 1, or a worker died, `fork_map` returns None and the caller runs its
serial loop: the same results, slower.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# The function and data of the pool being forked; a worker inherits them at fork. One pool at
# a time per process (the lock), so they are never overwritten under a running pool.
_fn: Callable[[Any, Any], Any] | None = None
_shared: Any = None
_one_pool = threading.Lock()


def _call(task: Any) -> Any:
    assert _fn is not None, "not a forked worker"
    return _fn(_shared, task)


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def fork_map(fn: Callable[[Any, T], R], shared: Any, tasks: Sequence[T], jobs: int, *, what: str) -> list[R] | None:
    """[fn(shared, task) for task in tasks], computed by up to `jobs` forked worker processes.

    `fn` must only read `shared`. Returns None, having computed nothing, when `jobs` <= 1,
    there are fewer than two tasks, forking is not available, or a worker died (logged with
    `what`, the stage's name); the caller then does the work itself."""
    global _fn, _shared
    if jobs <= 1 or len(tasks) < 2 or not can_fork():
        return None
    with _one_pool:
        _fn, _shared = fn, shared
        gc.freeze()
        try:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx) as pool:
                return list(pool.map(_call, tasks))
        except BrokenProcessPool as e:
            log.warning("a worker process for %s died (%s); doing it in this process instead", what, e)
            return None
        finally:
            _fn, _shared = None, None
            gc.unfreeze()
