"""The process pool every local evaluation runs on: spawned workers, one thread each.

Training (`workers.LocalEvaluator`) and evaluation episodes (`episodes.run_episodes`) both spread their work over
such a pool. Workers are spawned, not forked (no PyBullet client or thread state is inherited), and each one runs
a single BLAS/OpenMP thread: the parallelism is the processes, and N threads per worker on N cores would only
oversubscribe them. Ray workers get the same limit through `THREAD_VARIABLES`. A worker ends when the process that
started it does (`hebbkit.runtime.lifetime.end_with_parent`): a SIGKILLed `hebbkit train` leaves no workers behind.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from hebbkit.runtime.lifetime import end_with_parent

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
"""Environment variables that cap the threads of the numerical libraries a worker loads."""


def limit_threads() -> None:
    """One thread per numerical library in this process and the processes it starts from now on."""
    for variable in THREAD_VARIABLES:
        os.environ[variable] = "1"


def start_worker(parent: int) -> None:
    """A worker's start: one thread per numerical library, and an end with `parent` (SIGTERM when it ends)."""
    limit_threads()
    end_with_parent(parent=parent)


def process_pool(workers: int | None) -> ProcessPoolExecutor:
    """A pool of `workers` spawned processes (None: one per core), one thread each, ending with this process."""
    limit_threads()  # inherited by the spawned workers before they import NumPy
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=start_worker,
                               initargs=(os.getpid(),))


def stop_pool(pool: ProcessPoolExecutor, terminate: bool = False) -> None:
    """Stop `pool` without waiting; `terminate` kills its workers at once instead of letting running tasks finish
    (Ctrl-C must not wait for a long chunk)."""
    if terminate:
        processes = getattr(pool, "_processes", None) or {}  # private, but the only handle on the workers
        for process in list(processes.values()):
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
