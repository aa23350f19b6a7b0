"""Where candidates are evaluated: a local process pool or a Ray cluster. Both run the same `evaluate_chunk`.

Workers receive seeds, not noise vectors: a chunk carries the generation's mean once plus each candidate's seed key
and sign; the worker rebuilds the parameters, turns them into a policy artifact and runs the runtime `Policy` in
its own cached envs. Results are therefore identical on every backend for the same seed. A worker that dies
mid-generation (killed process, lost node) costs a retry of its chunk, never the run or a wrong fitness.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np

from hebbkit.runtime.errors import HebbkitError
from hebbkit.runtime.profile import RobotProfile

from .es import Candidate
from .parameters import ParameterLayout
from .protocol import FitnessProtocol, run_episode

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


class WorkerFailureError(HebbkitError, RuntimeError):
    """A chunk failed on every retry."""


@dataclass(frozen=True)
class Job:
    """One chunk of work: candidates (or the centre, with candidate None) and their episode seeds."""

    mean: np.ndarray
    layout: ParameterLayout
    profile: RobotProfile
    control_period: float
    protocol: FitnessProtocol
    items: tuple[tuple[int, Candidate | None, tuple[int, ...]], ...]  # (slot, candidate, episode seeds)
    policy_backend: str = "numpy"  # the runtime backend that steps each candidate's controller


def evaluate_chunk(job: Job) -> list[tuple[int, float, int]]:
    """(slot, fitness, env steps) for every item of the job: fitness averages the protocol's episodes."""
    results = []
    for slot, candidate, seeds in job.items:
        parameters = job.mean if candidate is None else candidate.parameters(job.mean)
        artifact = job.layout.to_artifact(parameters, job.profile, job.control_period)
        fitness, steps, index = 0.0, 0, 0
        for morphology in job.protocol.morphologies:
            for _ in range(job.protocol.episodes_per_morphology):
                episode = run_episode(artifact, job.protocol, morphology, int(seeds[index]),
                                      backend=job.policy_backend)
                fitness += episode.fitness
                steps += episode.steps
                index += 1
        results.append((slot, fitness / index, steps))
    return results


ChunkFunction = Callable[[Job], list[tuple[int, float, int]]]


def _limit_threads() -> None:
    for variable in THREAD_VARIABLES:
        os.environ[variable] = "1"


class LocalEvaluator:
    """A pool of worker processes on this machine, one thread each; rebuilt and retried if a worker dies."""

    name = "local"

    def __init__(self, workers: int | None = None, chunk_function: ChunkFunction = evaluate_chunk,
                 max_attempts: int = 3) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.chunk_function = chunk_function
        self.max_attempts = max_attempts
        self.retries = 0
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            import multiprocessing

            _limit_threads()
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_limit_threads)
        return self._pool

    def run(self, jobs: Sequence[Job]) -> list[tuple[int, float, int]]:
        """Evaluate every job; returns all (slot, fitness, steps) results."""
        attempts = {index: 0 for index in range(len(jobs))}
        results: list[tuple[int, float, int]] = []
        pending = set(attempts)
        while pending:
            pool = self._executor()
            futures = {pool.submit(self.chunk_function, jobs[index]): index for index in sorted(pending)}
            for index in pending:
                attempts[index] += 1
            broken = False
            remaining = set(futures)
            while remaining:
                done, remaining = wait(remaining, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        results.extend(future.result())
                        pending.discard(futures[future])
                    except BrokenProcessPool:
                        broken = True
            if broken:
                self.shutdown()
                self.retries += len(pending)
                exhausted = [index for index in pending if attempts[index] >= self.max_attempts]
                if exhausted:
                    raise WorkerFailureError(f"chunks {exhausted} failed {self.max_attempts} times: a worker died each "
                                        "time (out of memory? killed?)")
        return results

    def shutdown(self, terminate: bool = False) -> None:
        """Stop the pool; `terminate` kills the workers at once instead of letting running chunks finish (Ctrl-C)."""
        if self._pool is not None:
            if terminate:
                for process in list(getattr(self._pool, "_processes", {}).values()):
                    process.terminate()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


class RayEvaluator:
    """Ray tasks on a cluster (`address="auto"` joins a running one) or a local Ray instance. Ray retries a task
    whose worker died (`max_retries`)."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None,
                 chunk_function: ChunkFunction = evaluate_chunk, max_attempts: int = 3) -> None:
        try:
            import ray
        except ImportError as error:
            raise HebbkitError("the ray backend needs Ray: pip install 'hebbkit[ray]'") from error
        self._ray = ray
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            options = {"address": address} if address else {"num_cpus": max(1, workers or os.cpu_count() or 1)}
            _limit_threads()
            ray.init(**options, include_dashboard=False, logging_level=40, log_to_driver=False,
                     runtime_env={"env_vars": {variable: "1" for variable in THREAD_VARIABLES}})
        self.workers = int(ray.cluster_resources().get("CPU", 1))
        def evaluate_with_mean(job: Job, mean: np.ndarray) -> list[tuple[int, float, int]]:
            from dataclasses import replace

            return chunk_function(replace(job, mean=mean))

        self._remote = ray.remote(num_cpus=1, max_retries=max_attempts - 1, retry_exceptions=False)(
            evaluate_with_mean)
        self.retries = 0

    def run(self, jobs: Sequence[Job]) -> list[tuple[int, float, int]]:
        if not jobs:
            return []
        from dataclasses import replace

        mean_reference = self._ray.put(jobs[0].mean)  # shipped once per generation, resolved by Ray in the task
        placeholder = np.zeros(0)
        futures = [self._remote.remote(replace(job, mean=placeholder), mean_reference) for job in jobs]
        try:
            chunks = self._ray.get(futures)
        except self._ray.exceptions.RayError as error:
            raise WorkerFailureError(f"a Ray task failed on every retry: {error}") from error
        return [result for chunk in chunks for result in chunk]

    def shutdown(self, terminate: bool = False) -> None:
        if self._owns_ray and self._ray.is_initialized():
            self._ray.shutdown()


def make_evaluator(backend: str, workers: int | None, ray_address: str | None):
    """The evaluator for `--backend`."""
    if backend == "local":
        return LocalEvaluator(workers)
    if backend == "ray":
        return RayEvaluator(ray_address, workers)
    raise HebbkitError(f"unknown backend {backend!r}; expected 'local' or 'ray'")
