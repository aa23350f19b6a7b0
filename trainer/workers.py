"""Where candidates are evaluated: a local process pool or a Ray cluster. Both run the same `evaluate_chunk`.

Workers receive seeds, not noise vectors: a chunk (`Job`) carries the generation's mean once plus each
candidate's seed key and sign; the worker rebuilds the parameters, turns them into a policy artifact and runs the
runtime `Policy` in its own cached envs. Results are therefore identical on every backend for the same seed. A
worker that dies mid-generation (killed process, lost node) costs a retry of its chunk, never the run or a wrong
fitness. Anything with the `Evaluator` interface can score a generation (e.g. in-process, for benchmarks).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from hebbkit.runtime.errors import DependencyError, HebbkitError
from hebbkit.runtime.profile import RobotProfile

from .es import Candidate
from .fitness import FitnessProtocol, aggregate_fitness, run_episode
from .parameters import ParameterLayout
from .pool import THREAD_VARIABLES, limit_threads, process_pool, stop_pool


class WorkerFailureError(HebbkitError, RuntimeError):
    """A chunk failed on every retry."""


@dataclass(frozen=True)
class EpisodeItem:
    """What one slot of a generation is scored on: a candidate, or the ES mean itself (the centre: candidate None,
    slot `len(candidates)`), and the seeds of its episodes (one per morphology and episode, in protocol order)."""

    slot: int
    candidate: Candidate | None
    seeds: tuple[int, ...]

    def parameters(self, mean: np.ndarray) -> np.ndarray:
        """The flat parameters this item scores: the candidate's, or the mean for the centre."""
        return mean if self.candidate is None else self.candidate.parameters(mean)


@dataclass(frozen=True)
class ChunkResult:
    """The fitness of one slot (its episodes aggregated: the protocol's `episode_aggregate`) and the env steps its
    episodes took."""

    slot: int
    fitness: float
    env_steps: int


@dataclass(frozen=True)
class Job:
    """One chunk of work, the retry unit: items of one generation and all a worker needs to score them."""

    mean: np.ndarray
    layout: ParameterLayout
    profile: RobotProfile
    control_period: float
    protocol: FitnessProtocol
    items: tuple[EpisodeItem, ...]
    policy_backend: str = "numpy"  # the runtime backend that steps each candidate's controller


class Evaluator(Protocol):
    """Scores the jobs of a generation. `workers` sizes the chunks; `retries` counts chunks run again after a
    worker died (logged per generation)."""

    name: str
    workers: int
    retries: int

    def run(self, jobs: Sequence[Job]) -> list[ChunkResult]:
        """A result for every item of every job, in any order."""
        ...

    def shutdown(self, terminate: bool = False) -> None:
        """Release the workers; `terminate`: at once, abandoning running chunks (Ctrl-C)."""
        ...


def evaluate_chunk(job: Job) -> list[ChunkResult]:
    """A result for every item of the job: its fitness aggregates the protocol's episodes (`aggregate_fitness`)."""
    results = []
    for item in job.items:
        artifact = job.layout.to_artifact(item.parameters(job.mean), job.profile, job.control_period)
        scores: list[float] = []
        steps = 0
        for morphology in job.protocol.morphologies:
            for _ in range(job.protocol.episodes_per_morphology):
                episode = run_episode(artifact, job.protocol, morphology, int(item.seeds[len(scores)]),
                                      backend=job.policy_backend)
                scores.append(episode.fitness)
                steps += episode.steps
        results.append(ChunkResult(item.slot, aggregate_fitness(scores, job.protocol.episode_aggregate), steps))
    return results


ChunkFunction = Callable[[Job], list[ChunkResult]]


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
            self._pool = process_pool(self.workers)
        return self._pool

    def run(self, jobs: Sequence[Job]) -> list[ChunkResult]:
        """Evaluate every job; returns the results of all their items."""
        attempts = {index: 0 for index in range(len(jobs))}
        results: list[ChunkResult] = []
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
            stop_pool(self._pool, terminate)
            self._pool = None


class RayStartError(HebbkitError):
    """Ray could not start or join the cluster asked for (`--ray-address`)."""


def ray_start_problem(address: str | None, error: Exception) -> str:
    """One line on why `ray.init` failed, and what to do."""
    detail = next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__)
    if address:
        return (f"--ray-address {address}: cannot join a Ray cluster ({detail}); start one (ray start --head) or "
                "leave --ray-address unset for a local Ray instance")
    return f"the ray backend could not start a local Ray instance ({detail}); use --executor local"


class RayEvaluator:
    """Ray tasks on a cluster (`address="auto"` joins a running one) or a local Ray instance. Ray retries a task
    whose worker died (`max_retries`)."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None,
                 chunk_function: ChunkFunction = evaluate_chunk, max_attempts: int = 3) -> None:
        try:
            import ray
        except ImportError as error:
            raise DependencyError("the ray backend needs Ray: pip install 'hebbkit[ray]'") from error
        self._ray = ray
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            options = {"address": address} if address else {"num_cpus": max(1, workers or os.cpu_count() or 1)}
            limit_threads()
            try:
                ray.init(**options, include_dashboard=False, logging_level=40, log_to_driver=False,
                         runtime_env={"env_vars": {variable: "1" for variable in THREAD_VARIABLES}})
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise RayStartError(ray_start_problem(address, error)) from error
        self.workers = int(ray.cluster_resources().get("CPU", 1))

        def evaluate_with_mean(job: Job, mean: np.ndarray) -> list[ChunkResult]:
            return chunk_function(replace(job, mean=mean))

        self._remote = ray.remote(num_cpus=1, max_retries=max_attempts - 1, retry_exceptions=False)(
            evaluate_with_mean)
        self.retries = 0

    def run(self, jobs: Sequence[Job]) -> list[ChunkResult]:
        if not jobs:
            return []
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


def make_evaluator(backend: str, workers: int | None, ray_address: str | None) -> Evaluator:
    """The evaluator for `--backend`."""
    if backend == "local":
        return LocalEvaluator(workers)
    if backend == "ray":
        return RayEvaluator(ray_address, workers)
    raise HebbkitError(f"unknown backend {backend!r}; expected 'local' or 'ray'")
