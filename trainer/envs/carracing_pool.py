"""CarRacing-v3 on envpool (C++, ~10x Gymnasium's Box2D + pygame env): many cars stepped as one batch.

For training only: Gymnasium's `CarRacing-v3` (`CarRacingPixels`) stays the env scores are reported on. Each car
of a pool gets its own track seed (`env_seed`), so the two candidates of an antithetic pair can drive the same track;
a car's first track depends on its seed alone (the pool's size, threads and the other cars do not matter). The
observations are the same 96x96x3 uint8 frames and go through the same `preprocess`. How the two envs differ
(track generation from the seed, rendering) is measured in docs/carracing.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from hebbkit.runtime.errors import DependencyError

from .carracing import CARRACING_PROFILE, CONTROL_PERIOD, observation_space, preprocess

ENVPOOL_INSTALL = "pip install envpool==1.2.5 (or: pip install 'hebbkit[train]')"


def import_envpool() -> Any:
    """The envpool module, or `DependencyError` saying how to install it."""
    try:
        import envpool
    except ImportError as error:
        raise DependencyError(f"the envpool CarRacing backend needs envpool: {ENVPOOL_INSTALL}") from error
    return envpool


class CarRacingPool:
    """`len(seeds)` CarRacing-v3 cars in one envpool instance, car `i` on the track of `seeds[i]`.

    `reset()` returns the preprocessed first observations [n, 3, 84, 84]; `step(actions, cars)` steps only the
    listed cars (indices into the pool) and returns their preprocessed observations, rewards, terminated and
    truncated flags. A car that terminated or was truncated must not be stepped again (envpool would start a new
    episode on it)."""

    def __init__(self, seeds: Sequence[int], max_steps: int = 1000, threads: int = 1) -> None:
        envpool = import_envpool()
        self.size = len(seeds)
        self._env = envpool.make_gymnasium("CarRacing-v3", num_envs=self.size, batch_size=self.size,
                                           num_threads=max(1, min(threads, self.size)),
                                           env_seed=[int(seed) % 2**31 for seed in seeds],
                                           max_episode_steps=max_steps)

    def reset(self) -> np.ndarray:
        frames, _ = self._env.reset()
        return preprocess_batch(frames)

    def step(self, actions: np.ndarray, cars: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Step the listed cars; their preprocessed observations, rewards, terminated and truncated flags, in
        `cars` order."""
        self.send(actions, cars)
        return self.receive(cars)

    def send(self, actions: np.ndarray, cars: np.ndarray) -> None:
        """Start stepping the listed cars (envpool's threads run them while this thread goes on)."""
        self._env.send(np.asarray(actions, np.float32), np.asarray(cars, np.int32))

    def receive(self, cars: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Wait for the cars of the last `send` (the same `cars`); what `step` returns."""
        frames, rewards, terminated, truncated, info = self._env.recv()
        position = {int(car): row for row, car in enumerate(info["env_id"])}
        rows = np.array([position[int(car)] for car in cars], dtype=np.int64)
        return (preprocess_batch(frames[rows]), np.asarray(rewards, np.float64)[rows], np.asarray(terminated)[rows],
                np.asarray(truncated)[rows])

    def close(self) -> None:
        self._env.close()


class CarRacingPoolEnv(gym.Env):
    """One envpool car behind Gymnasium's env API, for evaluating a shipped driver on envpool's CarRacing-v3 with
    the runtime's own `Policy` (`hebbkit eval --carracing-env envpool`), as `CarRacingPixels` does on Gymnasium's.

    envpool seeds a car when it is built, so `reset(seed=s)` builds a fresh one-car pool on the track of seed `s`
    (the track the training's batched evaluator gives an item of seed `s`); `reset()` without a seed draws the next
    track's seed from the env's own generator. The episode is truncated after `max_steps` steps; stepping on after the
    end starts no new episode: it raises."""

    def __init__(self, max_steps: int = 1000) -> None:
        import_envpool()  # DependencyError now, not at the first reset
        self.max_steps = max_steps
        self.observation_space = observation_space()
        self.action_space = gym.spaces.Box(np.array(CARRACING_PROFILE.action_low, np.float32),
                                           np.array(CARRACING_PROFILE.action_high, np.float32))
        self.profile = CARRACING_PROFILE
        self.dt = CONTROL_PERIOD
        self._pool: CarRacingPool | None = None
        self._seed = 0
        self._ended = True

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        if seed is not None:
            self._seed = int(seed)
        elif self._pool is not None:
            self._seed = int(self.np_random.integers(0, 2**31))
        self.close()
        self._pool = CarRacingPool([self._seed], self.max_steps)
        self._ended = False
        return self._pool.reset()[0], {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        if self._pool is None or self._ended:
            raise RuntimeError("CarRacingPoolEnv.step after the episode ended or before reset(): call reset()")
        observations, rewards, terminated, truncated = self._pool.step(np.asarray(action, np.float32)[None],
                                                                       np.array([0]))
        self._ended = bool(terminated[0] or truncated[0])
        return observations[0], float(rewards[0]), bool(terminated[0]), bool(truncated[0]), {}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def preprocess_batch(frames: np.ndarray) -> np.ndarray:
    """[n, 96, 96, 3] uint8 -> [n, 3, 84, 84] float32 in [0, 1], each frame through `preprocess`."""
    return np.stack([preprocess(frame) for frame in frames]) if len(frames) else np.zeros((0, 3, 84, 84), np.float32)
