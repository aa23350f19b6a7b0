"""The paper's fitness protocol for the Ant, as configuration, and the episode runner that applies it.

Each episode starts from fresh random weights and a fresh env seed; the first `burn_in_steps` control steps apply
zero actions (the Ant settles from its drop; they count towards the `max_steps` of the episode and the network is
not stepped); from then on the runtime `Policy` acts and learns every step. Fitness is the sum of the env's
`fitness_term` (the progress reward, i.e. distance walked towards the target) after burn-in. The episode stops at
`max_steps`, or, only after `early_stop_after` steps, on termination or after more than `patience` consecutive
steps of negative progress; where the protocol says so (CarRacing), termination ends it at any step
(`episode_ends`, shared with the batched evaluator). `early_stop_clock` says how "after `early_stop_after` steps"
counts: "env" (ours: env steps from the reset, burn-in included; the negative streak counts from the first policy
step) or "policy" (the seed code's: policy steps from 0 after burn-in, and the streak counts only once the early
stop is armed, so the earliest stops come 41 and 71 policy steps later). The fitness of a candidate aggregates
(`episode_aggregate`: the mean by default, as the paper) `episodes_per_morphology` episodes on every morphology
listed (preset names or bodies as text, e.g. `front_left:lower:0.25+front_right:lower:0.25`).

Gait shaping (training only, off by default): with `foot_duty_bonus` k > 0 an episode's forward progress P > 0
scores P x (1 + k x d), d the duty factor of its least-used foot (the share of policy steps whose observation
reads > 0.5 at that foot's contact entry). A gait that walks as far on every foot outscores one that holds a leg
up; standing on all four feet still scores ~0, and backward progress is left as it is. It needs an observation
with foot contacts (the Ant's `ant28` has them).

Each process keeps the envs it built in an `EnvCache` of at most `ENV_CACHE_CAPACITY` (16), keyed by the protocol's
env settings and the body's canonical spec; the least recently used env is closed when a new one is needed, so
bodies sampled anew every generation do not pile up.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hebbkit.runtime.artifact import PolicyArtifact
from hebbkit.runtime.errors import ConfigError
from hebbkit.runtime.policy import Policy

EPISODE_AGGREGATES = ("mean", "worst-half", "min")
"""How a candidate's episodes make its fitness: their mean (the paper), the mean of the worse half of them (CVaR
at 50%), or the worst one. The last two pay for the bad draws of randomised bodies and actuators, not the average."""


EARLY_STOP_CLOCKS = ("env", "policy")


def check_foot_duty_bonus(bonus: float, env: str) -> None:
    """ConfigError unless the gait-shaping weight is a finite number >= 0, and 0 for an env without feet."""
    if isinstance(bonus, bool) or not isinstance(bonus, (int, float)) or not np.isfinite(bonus) or bonus < 0:
        raise ConfigError(f"foot_duty_bonus must be a finite number >= 0, got {bonus!r}")
    if bonus and env != "quadruped":
        raise ConfigError(f"foot_duty_bonus shapes legged gaits; the {env} env has no feet")


def foot_contact_index(artifact: PolicyArtifact) -> list[int]:
    """The observation entries that report the feet's ground contact, in foot order; ConfigError (one line) when
    the artifact's observation has none."""
    names = list(artifact.profile.observation_names)
    index = [names.index(f"{foot}_contact") for foot in artifact.profile.foot_names if f"{foot}_contact" in names]
    if not index:
        raise ConfigError(f"foot_duty_bonus needs foot contacts in the observation; {artifact.profile.observation!r} "
                          f"of robot {artifact.profile.robot!r} has none (use e.g. ant28 or proprio_contacts)")
    return index


def duty_shaped(progress: float, duty: np.ndarray, bonus: float) -> float:
    """Forward progress scaled by 1 + `bonus` x the least-used foot's duty factor (`duty`: one share in [0, 1] per
    foot); progress <= 0 and bonus 0 pass unchanged."""
    if bonus == 0 or progress <= 0 or len(duty) == 0:
        return progress
    return float(progress * (1.0 + bonus * float(np.min(duty))))


def check_episode_aggregate(how: str) -> None:
    """ConfigError unless `how` is one of `EPISODE_AGGREGATES`."""
    if how not in EPISODE_AGGREGATES:
        raise ConfigError(f"episode_aggregate must be one of {', '.join(EPISODE_AGGREGATES)}, got {how!r}")


def aggregate_fitness(scores: Sequence[float] | np.ndarray, how: str = "mean") -> float:
    """A candidate's fitness from its episodes' `scores` (see `EPISODE_AGGREGATES`); worst-half takes the lower
    ceil(n / 2) scores, so one episode is its own fitness under every aggregate. The mean is summed in episode
    order, as training always summed it, so runs resumed across this code score their candidates bit for bit."""
    check_episode_aggregate(how)
    values = [float(score) for score in scores]
    if not values:
        raise ValueError("a candidate's fitness needs at least one episode")
    if how == "mean":
        total = 0.0
        for value in values:
            total += value
        return total / len(values)
    ordered = sorted(values)
    if how == "min":
        return ordered[0]
    worse_half = ordered[:(len(ordered) + 1) // 2]
    return sum(worse_half) / len(worse_half)


@dataclass(frozen=True)
class FitnessProtocol:
    """How one candidate is scored (defaults: the paper's Ant protocol)."""

    env: str = "quadruped"  # "quadruped" (QuadrupedEnv) or "carracing" (CarRacing-v3, pixels)
    robot: str = "ant"
    observation: str = "ant28"
    actuation: str = "torque"
    morphologies: tuple[str, ...] = ("standard", "damaged_right_front")
    episodes_per_morphology: int = 1
    max_steps: int = 1000
    burn_in_steps: int = 40
    early_stop_after: int = 200
    patience: int = 30
    fitness_term: str = "progress"
    walk_speed: float = 0.3  # m/s over `walk_window` steps: "the ant walks" (evaluation only)
    walk_window: int = 10
    perturbations: dict = field(default_factory=dict)  # Perturbations(**this); events as dicts
    randomization: tuple = ()  # ((field, (low, high)), ...): domain randomisation, drawn every episode
    episode_aggregate: str = "mean"  # how the episodes make the fitness: EPISODE_AGGREGATES
    termination_ends_episode: bool = False  # CarRacing: an env that terminated must not be stepped on (the Ant's
    # termination, a low torso, is only an early-stop signal after `early_stop_after`, as in the paper)
    early_stop_clock: str = "env"  # EARLY_STOP_CLOCKS: how `early_stop_after` counts (module docstring)
    foot_duty_bonus: float = 0.0  # gait shaping (module docstring); 0: the fitness is the summed progress

    def __post_init__(self) -> None:
        if self.early_stop_clock not in EARLY_STOP_CLOCKS:
            raise ConfigError(f"early_stop_clock must be one of {', '.join(EARLY_STOP_CLOCKS)}, "
                              f"got {self.early_stop_clock!r}")
        check_foot_duty_bonus(self.foot_duty_bonus, self.env)

    @classmethod
    def carracing(cls, max_steps: int, episodes: int = 1, early_stop: bool = True) -> FitnessProtocol:
        """The paper's CarRacing protocol: total reward, one body, no burn-in; the episode ends on termination (the
        car left the playfield), and with `early_stop` also after more than 20 consecutive steps of negative
        reward."""
        return cls(env="carracing", morphologies=("standard",), episodes_per_morphology=episodes,
                   max_steps=max_steps, burn_in_steps=0, early_stop_after=0 if early_stop else max_steps,
                   patience=20, fitness_term="reward", termination_ends_episode=True)

    def make_env(self, morphology: str, render_mode: str | None = None):
        """A fresh env for one morphology: a preset name or a body as text, e.g. `front_left:lower:0.25` (see
        `hebbkit.trainer.envs.morphology`). CarRacing has one body: `morphology` is ignored there. `render_mode`:
        None, or "rgb_array" for videos."""
        if self.env == "carracing":
            from hebbkit.trainer.envs.carracing import CarRacingPixels

            return CarRacingPixels(max_episode_steps=self.max_steps, render_mode=render_mode)
        from hebbkit.trainer.envs import QuadrupedEnv

        return QuadrupedEnv(**self.env_options(morphology), render_mode=render_mode)

    def env_options(self, morphology: str) -> dict:
        from hebbkit.trainer.envs import Perturbations
        from hebbkit.trainer.envs.perturbations import RandomizedPerturbations, perturbation_fields

        options = perturbation_fields(self.perturbations)
        perturbations = Perturbations(**options)
        if self.randomization:
            fixed = tuple((key, value) for key, value in options.items() if key not in dict(self.randomization))
            perturbations = RandomizedPerturbations(tuple(self.randomization), fixed)  # type: ignore[assignment]
        return {"robot": self.robot, "observation": self.observation, "actuation": self.actuation,
                "morphology": morphology, "max_episode_steps": self.max_steps, "perturbations": perturbations}


@dataclass(frozen=True)
class EpisodeResult:
    """One episode: fitness (summed progress), steps run, env steps simulated, first step the robot walked, and
    (when tracked) the largest joint-limit excess in rad over every step."""

    fitness: float
    steps: int
    walk_step: int | None
    morphology: str
    seed: int
    joint_limit_excess: float | None = None


class EnvCache:
    """At most `capacity` envs by key; asking for one more closes (`env.close()`) and forgets the least recently
    used. Training on bodies sampled every generation asks for new envs without end: this bounds what a worker
    process holds (each env is a PyBullet client and a temporary folder of model files)."""

    def __init__(self, capacity: int = 16) -> None:
        if capacity < 1:
            raise ValueError(f"an env cache holds at least 1 env, got capacity={capacity}")
        self.capacity = capacity
        self._envs: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, build: Callable[[], Any]):
        """The env stored under `key`, or `build()` stored under it (evicting the least recently used beyond
        `capacity`). An env handed out stays valid until `capacity` other keys have been asked for."""
        if key in self._envs:
            self._envs.move_to_end(key)
            return self._envs[key]
        env = build()
        self._envs[key] = env
        while len(self._envs) > self.capacity:
            _, evicted = self._envs.popitem(last=False)
            evicted.close()
        return env

    def clear(self) -> None:
        """Close and forget every env."""
        while self._envs:
            _, env = self._envs.popitem(last=False)
            env.close()

    def keys(self) -> list:
        """Keys, least recently used first."""
        return list(self._envs)

    def __len__(self) -> int:
        return len(self._envs)


ENV_CACHE_CAPACITY = 16
_ENVS = EnvCache(ENV_CACHE_CAPACITY)


def env_key(protocol: FitnessProtocol, morphology: str) -> tuple:
    """What makes two envs interchangeable: the protocol's env settings and the body's canonical spec (so a preset
    and any spelling of the same body share one env; CarRacing ignores the morphology)."""
    if protocol.env == "carracing":
        body = morphology
    else:
        from hebbkit.trainer.envs.morphology import resolve_morphology

        body = resolve_morphology(morphology).spec
    return (protocol.env, protocol.robot, protocol.observation, protocol.actuation, body, protocol.max_steps,
            json.dumps(protocol.perturbations, sort_keys=True), repr(protocol.randomization))


def cached_env(protocol: FitnessProtocol, morphology: str, cache: EnvCache | None = None):
    """The env for (protocol, morphology) from `cache` (default: this process's, at most `ENV_CACHE_CAPACITY` envs):
    worker processes reuse envs across tasks. `morphology`: a preset name or a body as text."""
    return (cache if cache is not None else _ENVS).get(env_key(protocol, morphology),
                                                        lambda: protocol.make_env(morphology))


def run_episode(artifact: PolicyArtifact, protocol: FitnessProtocol, morphology: str, seed: int,
                policy: Policy | None = None, record_distance: list[float] | None = None,
                backend: str = "numpy", env: Any = None,
                on_step: Callable[[int, Any], None] | None = None,
                track_joint_limits: bool = False) -> EpisodeResult:
    """One episode of `artifact` under `protocol` from `seed` (env seed and initial-weight seed), stepped by a
    `Policy` on `backend` (or the given `policy`, reset to `seed`), on the cached env of (protocol, morphology) or
    the given `env` (e.g. one that renders). `on_step(step, env)` runs after the reset (step 0) and every step
    (e.g. `envs.video.GifFrames`). `track_joint_limits`: record the largest joint-limit excess (legged robots;
    evaluation only, training skips the cost)."""
    env = env if env is not None else cached_env(protocol, morphology)
    if policy is None:
        policy = Policy(artifact, backend, seed=seed)
    else:
        policy.reset(seed)
    observation, _ = env.reset(seed=seed)
    if on_step is not None:
        on_step(0, env)
    zeros = np.zeros(env.action_space.shape, dtype=np.float32)
    fitness = 0.0
    negative_streak = 0
    walk_step = None
    xs: list[float] = []
    joint_limit_excess = 0.0 if track_joint_limits else None
    contact_index = foot_contact_index(artifact if artifact is not None else policy.artifact) \
        if protocol.foot_duty_bonus else []
    feet_down = np.zeros(len(contact_index))
    policy_steps = 0
    step = 0
    for step in range(1, protocol.max_steps + 1):
        burn_in = step <= protocol.burn_in_steps
        if contact_index and not burn_in:  # the feet on the ground in the observation the policy acts on
            feet_down += np.asarray(observation, dtype=np.float64).reshape(-1)[contact_index] > 0.5
            policy_steps += 1
        action = zeros if burn_in else policy.step(observation)
        observation, reward, terminated, truncated, info = env.step(action)
        if joint_limit_excess is not None:
            joint_limit_excess = max(joint_limit_excess, env.joint_limit_excess())
        if on_step is not None:
            on_step(step, env)
        position = info.get("torso_position")
        if position is not None:
            xs.append(position[0])
        if burn_in:
            continue
        gain = float(reward) if protocol.fitness_term == "reward" else info[protocol.fitness_term]
        fitness += gain
        if record_distance is not None:
            record_distance.append(fitness)
        if walk_step is None and len(xs) > protocol.walk_window:
            speed = (xs[-1] - xs[-1 - protocol.walk_window]) / (protocol.walk_window * env.dt)
            if speed > protocol.walk_speed:
                walk_step = step - protocol.burn_in_steps
        negative_streak = negative_streak + 1 if gain < 0 and counts_negative_streak(protocol, step) else 0
        if episode_ends(protocol, step, terminated, truncated, negative_streak):
            break
    if contact_index and policy_steps:
        fitness = duty_shaped(fitness, feet_down / policy_steps, protocol.foot_duty_bonus)
    return EpisodeResult(float(fitness), step, walk_step, morphology, seed, joint_limit_excess)


def early_stop_armed(protocol: FitnessProtocol, step: int) -> bool:
    """Whether the early stop may end an episode after its `step`-th env step: past `early_stop_after` on the
    protocol's `early_stop_clock` (env steps with burn-in, or policy steps counted from 0 after burn-in)."""
    if protocol.early_stop_clock == "policy":
        return step - protocol.burn_in_steps - 1 > protocol.early_stop_after
    return step > protocol.early_stop_after


def counts_negative_streak(protocol: FitnessProtocol, step: int) -> bool:
    """Whether a negative gain at env step `step` extends the negative streak: from the first policy step on the
    "env" clock, only once the early stop is armed on the "policy" clock (the seed code)."""
    return protocol.early_stop_clock == "env" or early_stop_armed(protocol, step)


def episode_ends(protocol: FitnessProtocol, step: int, terminated, truncated, negative_streak):
    """Whether an episode stops after its `step`-th step (after burn-in): truncation, the last step, termination
    where the protocol ends episodes on it (CarRacing), or, past `early_stop_after`, termination or more than
    `patience` consecutive steps of negative gain. Scalars for one episode, or arrays (one entry per car) for the
    batched CarRacing evaluator: one rule for both."""
    return (truncated | (terminated & protocol.termination_ends_episode) | (step >= protocol.max_steps)
            | (early_stop_armed(protocol, step) & (terminated | (negative_streak > protocol.patience))))
