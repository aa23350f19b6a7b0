"""Batched CarRacing training: every candidate of a generation drives at once, in lockstep.

`EnvpoolEvaluator` scores a generation's jobs (`workers.Job`) in this process: one envpool `CarRacingPool` holds a
car per item (the candidates and the centre), and one `PopulationTwin` steps all their controllers as one batched
torch computation. Episode `k` of every item runs on the track of the item's seed `k` (so an antithetic pair
drives the same track) from the initial weights `Policy.reset(seed)` would draw, under the same protocol as
`fitness.run_episode` (total reward; stop on termination, truncation, or more than `patience` consecutive steps of
negative reward). Cars whose episode ended leave the batch. Results depend only on the jobs (the seeds), not on
threads or batch order: a run on this evaluator resumes and repeats exactly.

The controller is the torch twin of the runtime's step, parity-tested against `Policy.step`
(tests/trainer/test_carracing_envpool.py), whatever `policy_backend` the run names.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch

from hebbkit.runtime.errors import ConfigError

from .envs.carracing_pool import CarRacingPool, import_envpool
from .fitness import FitnessProtocol
from .torch_twin import PopulationTwin
from .workers import ChunkResult, EpisodeItem, Job


def run_batched_episodes(artifacts: Sequence, seeds: Sequence[int], protocol: FitnessProtocol,
                         threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """One episode per artifact, all in lockstep: artifact `i` on the track of `seeds[i]`, from the initial
    weights of `seeds[i]`. Returns the fitness (total reward) and the steps of every episode."""
    if protocol.env != "carracing":
        raise ConfigError(f"the envpool backend runs CarRacing only, not env {protocol.env!r}")
    count = len(artifacts)
    pool = CarRacingPool(seeds, protocol.max_steps, threads)
    twin = PopulationTwin(list(artifacts))
    spec = twin.spec
    initial = [spec.initial_weights(int(seed)) for seed in seeds]
    weights = [torch.tensor(np.stack([w[layer] for w in initial])) for layer in range(spec.n_layers)]
    fitness = np.zeros(count)
    steps = np.zeros(count, dtype=np.int64)
    negative_streak = np.zeros(count, dtype=np.int64)
    active = np.arange(count)
    observations = pool.reset()
    try:
        for step in range(1, protocol.max_steps + 1):
            actions = twin.step(weights, torch.from_numpy(observations)).numpy()
            observations, rewards, terminated, truncated = pool.step(actions, active)
            fitness[active] += rewards
            steps[active] = step
            negative_streak[active] = np.where(rewards < 0, negative_streak[active] + 1, 0)
            stop = truncated | (step > protocol.early_stop_after) & (
                terminated | (negative_streak[active] > protocol.patience))
            if stop.all():
                break
            if stop.any():
                kept = np.flatnonzero(~stop)
                rows = torch.from_numpy(kept)
                twin.keep(rows)
                weights = [w[rows] for w in weights]
                observations = observations[kept]
                active = active[kept]
    finally:
        pool.close()
    return fitness, steps


class EnvpoolEvaluator:
    """Scores a generation's CarRacing jobs in this process on envpool (`threads` C++ threads step the cars;
    torch steps the controllers). Same interface as `workers.LocalEvaluator`."""

    name = "envpool"

    def __init__(self, workers: int | None = None) -> None:
        import_envpool()  # DependencyError with the install command, before the run starts
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.retries = 0

    def run(self, jobs: Sequence[Job]) -> list[ChunkResult]:
        """A result for every item of every job (all jobs of one generation share its mean and protocol)."""
        if not jobs:
            return []
        job = jobs[0]
        items: list[EpisodeItem] = [item for chunk in jobs for item in chunk.items]
        protocol = job.protocol
        artifacts = [job.layout.to_artifact(item.parameters(job.mean), job.profile, job.control_period)
                     for item in items]
        n_episodes = len(protocol.morphologies) * protocol.episodes_per_morphology
        fitness = np.zeros(len(items))
        steps = np.zeros(len(items), dtype=np.int64)
        for episode in range(n_episodes):
            scores, taken = run_batched_episodes(artifacts, [item.seeds[episode] for item in items], protocol,
                                                 self.workers)
            fitness += scores
            steps += taken
        return [ChunkResult(item.slot, float(fitness[index] / n_episodes), int(steps[index]))
                for index, item in enumerate(items)]

    def shutdown(self, terminate: bool = False) -> None:
        """Nothing to release: each generation's pool is closed when its episodes end."""
