"""Batched CarRacing training: every candidate of a generation drives at once, in lockstep.

`EnvpoolEvaluator` scores a generation's jobs (`workers.Job`) in this process: envpool `CarRacingPool`s hold a
car per item (the candidates and the centre), and `PopulationTwin`s step their controllers as one batched torch
computation (per `Lane`: two lanes of one envpool thread each overlap the controllers with the env steps).
Episode `k` of every item runs on the track of the item's seed `k` (so an antithetic pair drives the same track)
from the initial weights `Policy.reset(seed)` would draw, under the same protocol as `fitness.run_episode` (total
reward; stop on termination, truncation, or more than `patience` consecutive steps of negative reward). Cars whose
episode ended leave the batch. Results depend only on the jobs (the seeds), not on threads or batch order: a run on
this evaluator resumes and repeats exactly.

The controller is the torch twin of the runtime's step, parity-tested against `Policy.step`
(tests/trainer/test_carracing_envpool.py), whatever runtime `backend` the run names.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch

from hebbkit.runtime.errors import ConfigError
from hebbkit.runtime.policy import stored_initial_weights

from .envs.carracing_pool import CarRacingPool, import_envpool
from .fitness import FitnessProtocol, aggregate_fitness, counts_negative_streak, episode_ends
from .torch_twin import PopulationTwin
from .workers import ChunkResult, EpisodeItem, Job


class Lane:
    """Some of the cars of a batched episode: their envpool pool, their controllers (`PopulationTwin`), weights and
    running scores. A lane is stepped in two halves, `act` (controllers, then envpool starts the env step) and
    `settle` (wait for the env, score, drop the cars whose episode ended), so that the controllers of one lane run
    while the env of another steps."""

    def __init__(self, artifacts: Sequence, seeds: Sequence[int], protocol: FitnessProtocol, threads: int) -> None:
        self.protocol = protocol
        self.count = len(artifacts)
        self.pool = CarRacingPool(seeds, protocol.max_steps, threads)
        self.twin = PopulationTwin(list(artifacts))
        spec = self.twin.spec
        initial = [spec.initial_weights(int(seed), stored_initial_weights(artifact))  # as Policy.reset(seed)
                   for artifact, seed in zip(artifacts, seeds, strict=True)]
        self.weights = [torch.tensor(np.stack([w[layer] for w in initial])) for layer in range(spec.n_layers)]
        self.fitness = np.zeros(self.count)
        self.steps = np.zeros(self.count, dtype=np.int64)
        self.negative_streak = np.zeros(self.count, dtype=np.int64)
        self.active = np.arange(self.count)
        self.observations = self.pool.reset()

    @property
    def running(self) -> bool:
        return len(self.active) > 0

    def act(self) -> None:
        """Step the controllers on the current observations and start the env step of every running car."""
        actions = self.twin.step(self.weights, torch.from_numpy(self.observations)).numpy()
        self.pool.send(actions, self.active)

    def settle(self, step: int) -> None:
        """Wait for the env step started by `act` (the `step`-th of the episode), score it, and drop the cars whose
        episode ended (termination, truncation, or the protocol's early stop)."""
        protocol = self.protocol
        observations, rewards, terminated, truncated = self.pool.receive(self.active)
        self.fitness[self.active] += rewards
        self.steps[self.active] = step
        counting = counts_negative_streak(protocol, step)
        streak = np.where((rewards < 0) & counting, self.negative_streak[self.active] + 1, 0)
        self.negative_streak[self.active] = streak
        stop = np.broadcast_to(episode_ends(protocol, step, terminated, truncated, streak), streak.shape)
        if stop.any():
            kept = np.flatnonzero(~stop)
            rows = torch.from_numpy(kept)
            self.twin.keep(rows)
            self.weights = [w[rows] for w in self.weights]
            observations = observations[kept]
            self.active = self.active[kept]
        self.observations = observations

    def close(self) -> None:
        self.pool.close()


def run_batched_episodes(artifacts: Sequence, seeds: Sequence[int], protocol: FitnessProtocol,
                         threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """One episode per artifact, all in lockstep: artifact `i` on the track of `seeds[i]`, from the initial
    weights of `seeds[i]`. Returns the fitness (total reward) and the steps of every episode. With `threads` >= 2
    the cars are split into two lanes of one envpool thread each: this thread steps one lane's controllers while
    the other lane's envs step. Every car's result depends only on its artifact and seed."""
    if protocol.env != "carracing":
        raise ConfigError(f"the envpool backend runs CarRacing only, not env {protocol.env!r}")
    count = len(artifacts)
    n_lanes = 2 if threads >= 2 and count >= 2 else 1
    members = [list(range(lane, count, n_lanes)) for lane in range(n_lanes)]
    lanes: list[Lane] = []
    try:
        for rows in members:
            lanes.append(Lane([artifacts[row] for row in rows], [seeds[row] for row in rows], protocol,
                              max(1, threads // n_lanes)))
        steps_of = dict.fromkeys(range(len(lanes)), 0)
        lanes[0].act()
        steps_of[0] = 1
        while any(lane.running for lane in lanes):
            for index, lane in enumerate(lanes):  # settle one lane and start its next step; the other's env runs
                if steps_of[index] > 0:
                    lane.settle(steps_of[index])
                if lane.running:
                    lane.act()
                    steps_of[index] += 1
                else:
                    steps_of[index] = 0
    finally:
        for lane in lanes:
            lane.close()
    fitness = np.zeros(count)
    steps = np.zeros(count, dtype=np.int64)
    for rows, lane in zip(members, lanes, strict=True):
        fitness[rows] = lane.fitness
        steps[rows] = lane.steps
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
        # in slot order: the two candidates of an antithetic pair are built one after the other (one noise draw)
        items: list[EpisodeItem] = sorted((item for chunk in jobs for item in chunk.items), key=lambda i: i.slot)
        protocol = job.protocol
        artifacts = [job.layout.to_artifact(item.parameters(job.mean), job.profile, job.control_period)
                     for item in items]
        n_episodes = len(protocol.morphologies) * protocol.episodes_per_morphology
        scores = np.zeros((n_episodes, len(items)))
        steps = np.zeros(len(items), dtype=np.int64)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # the batch is many small tensors: more torch threads only contend with envpool's
        try:
            for episode in range(n_episodes):
                scores[episode], taken = run_batched_episodes(artifacts, [item.seeds[episode] for item in items],
                                                              protocol, self.workers)
                steps += taken
        finally:
            torch.set_num_threads(threads)
        return [ChunkResult(item.slot, aggregate_fitness(scores[:, index], protocol.episode_aggregate),
                            int(steps[index]))
                for index, item in enumerate(items)]

    def shutdown(self, terminate: bool = False) -> None:
        """Nothing to release: each generation's pool is closed when its episodes end."""
