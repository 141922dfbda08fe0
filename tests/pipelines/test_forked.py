"""fork_map: results in task order from forked workers that read the caller's data in place."""

import os
import threading

from pipelines.analysis import forked


def _square_plus(shared, task):
    # `shared` holds a lock, which cannot be pickled: the workers can only have it by fork.
    return task * task + shared["offset"], os.getpid()


def test_results_come_back_in_task_order_from_other_processes():
    shared = {"offset": 7, "lock": threading.Lock()}
    found = forked.fork_map(_square_plus, shared, list(range(40)), jobs=2, what="a test")
    assert found is not None
    assert [v for v, _ in found] == [k * k + 7 for k in range(40)]
    assert os.getpid() not in {pid for _, pid in found}  # computed by workers, not here
    assert forked._shared is None and forked._fn is None  # nothing of this call is kept


def test_one_job_or_one_task_runs_nothing():
    assert forked.fork_map(_square_plus, {"offset": 0}, [1, 2, 3], jobs=1, what="a test") is None
    assert forked.fork_map(_square_plus, {"offset": 0}, [1], jobs=2, what="a test") is None


def _die(shared, task):
    if task == 3:
        os._exit(1)
    return task


def test_a_dead_worker_gives_none_so_the_caller_does_the_work():
    assert forked.fork_map(_die, None, list(range(6)), jobs=2, what="a test") is None
