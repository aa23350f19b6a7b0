"""The paper's fitness protocol and the parameter layout at the optimiser boundary."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from hebbkit.runtime import ANT28, ConfigError, NetworkSpec, Policy, WeightInit, load_artifact
from hebbkit.runtime.profile import proprio_profile
from hebbkit.trainer.fitness import (
    ENV_CACHE_CAPACITY,
    EnvCache,
    FitnessProtocol,
    aggregate_fitness,
    cached_env,
    duty_shaped,
    env_key,
    episode_ends,
    run_episode,
)
from hebbkit.trainer.parameters import ParameterLayout
from hebbkit.trainer.train_config import TaskConfig

ROOT = Path(__file__).resolve().parents[2]


def test_layout_ravels_and_unravels_by_name():
    layout = ParameterLayout.of(NetworkSpec())
    assert layout.size == 61_440 and layout.names == ("coefficients/0", "coefficients/1", "coefficients/2")
    flat = np.random.default_rng(0).standard_normal(layout.size)
    tensors = layout.unravel(flat)
    assert tensors["coefficients/1"].shape == (128, 64, 5)
    np.testing.assert_allclose(layout.ravel(tensors), flat, rtol=1e-6)
    artifact = layout.to_artifact(flat, ANT28, 0.0165)
    np.testing.assert_allclose(layout.from_artifact(artifact), flat, rtol=1e-6)
    with pytest.raises(ConfigError, match="61440 entries"):
        layout.unravel(flat[:-1])


def test_static_layout_evolves_the_weights_themselves():
    spec = NetworkSpec(rule="static", init=WeightInit("stored"))
    layout = ParameterLayout.of(spec)
    assert layout.size == 28 * 128 + 128 * 64 + 64 * 8 and layout.names[0] == "initial_weights/0"
    flat = np.random.default_rng(1).standard_normal(layout.size)
    policy = Policy(layout.to_artifact(flat, ANT28, 0.0165), seed=5)
    np.testing.assert_allclose(policy.weights[0], flat[: 28 * 128].reshape(28, 128), rtol=1e-6)
    with pytest.raises(ConfigError, match="stored"):
        ParameterLayout.of(NetworkSpec(rule="static"))


class ScriptedPolicy:
    """Stands in for a Policy to drive the protocol deterministically (counts its steps)."""

    def __init__(self, action):
        self.action, self.steps = np.asarray(action, dtype=np.float32), 0

    def reset(self, seed):
        self.steps = 0

    def step(self, observation):
        self.steps += 1
        return self.action


def test_burn_in_counts_towards_the_episode_and_the_network_is_not_stepped():
    protocol = FitnessProtocol(morphologies=("standard",), max_steps=300, early_stop_after=1000)
    policy = ScriptedPolicy(np.zeros(8))
    result = run_episode(None, protocol, "standard", seed=0, policy=policy)
    assert result.steps == 300 and policy.steps == 300 - 40


def test_early_stop_never_before_step_200_then_on_termination():
    """Zero actions: the ant terminates at step 20, but the episode only stops once past step 200."""
    protocol = FitnessProtocol(morphologies=("standard",), max_steps=1000)
    result = run_episode(None, protocol, "standard", seed=0, policy=ScriptedPolicy(np.zeros(8)))
    assert result.steps == 201


def test_fitness_is_the_summed_progress_after_burn_in():
    protocol = FitnessProtocol(morphologies=("standard",), max_steps=120, early_stop_after=1000)
    distances: list[float] = []
    action = np.array([0.5, -0.5, 0.5, 0.5, -0.5, 0.5, -0.5, -0.5])
    result = run_episode(None, protocol, "standard", seed=3, policy=ScriptedPolicy(action),
                         record_distance=distances)
    env = cached_env(protocol, "standard")
    env.reset(seed=3)
    expected = 0.0
    for step in range(1, 121):
        _, _, _, _, info = env.step(np.zeros(8, np.float32) if step <= 40 else action.astype(np.float32))
        if step > 40:
            expected += info["progress"]
    assert result.fitness == pytest.approx(expected) and len(distances) == 80


def test_same_seed_same_fitness():
    spec = NetworkSpec()
    layout = ParameterLayout.of(spec)
    artifact = layout.to_artifact(np.random.default_rng(0).standard_normal(layout.size), ANT28, 0.0165)
    protocol = FitnessProtocol(morphologies=("standard",), max_steps=150)
    first = run_episode(artifact, protocol, "damaged_right_front", seed=4)
    again = run_episode(artifact, protocol, "damaged_right_front", seed=4)
    other = run_episode(artifact, protocol, "damaged_right_front", seed=5)
    assert first == again and first.fitness != other.fitness


class FakeEnv:
    """Stands in for an env in cache tests: remembers what it was built for and whether it was closed."""

    def __init__(self, morphology):
        self.morphology, self.closed = morphology, False

    def close(self):
        self.closed = True


class FakeEnvProtocol(FitnessProtocol):
    """The paper's protocol with envs that cost nothing to build."""

    def make_env(self, morphology):
        return FakeEnv(morphology)


def test_the_env_cache_keeps_the_most_recently_used_and_closes_the_rest():
    cache = EnvCache(capacity=3)
    built = {key: cache.get(key, lambda key=key: FakeEnv(key)) for key in "abc"}
    assert cache.get("a", lambda: FakeEnv("again")) is built["a"]  # a hit refreshes "a"
    built["d"] = cache.get("d", lambda: FakeEnv("d"))  # evicts "b", the least recently used
    assert cache.keys() == ["c", "a", "d"] and built["b"].closed
    assert not any(built[key].closed for key in "acd")
    cache.clear()
    assert len(cache) == 0 and all(env.closed for env in built.values())
    with pytest.raises(ValueError, match="at least 1"):
        EnvCache(0)


def test_cached_env_is_bounded_and_keyed_by_the_canonical_body():
    cache = EnvCache(ENV_CACHE_CAPACITY)
    protocol = FakeEnvProtocol(morphologies=("standard",))
    bodies = [f"rear_left:lower:{0.5 + index / 100:g}" for index in range(40)]
    envs = [cached_env(protocol, body, cache) for body in bodies]
    assert len(cache) == ENV_CACHE_CAPACITY == 16
    assert [env.closed for env in envs] == [True] * 24 + [False] * 16
    preset = cached_env(protocol, "damaged_left_front", cache)
    assert cached_env(protocol, " front_left : lower : 0.250", cache) is preset  # one body, one env
    assert cached_env(protocol, "front_left:lower:0.25", cache) is preset
    assert cached_env(FakeEnvProtocol(max_steps=10), "front_left:lower:0.25", cache) is not preset
    assert env_key(protocol, "damaged_left_front")[4] == "front_left:lower:0.25"


def test_a_custom_body_builds_a_real_env_through_the_protocol():
    protocol = FitnessProtocol(morphologies=("front_left:lower:0.25+front_right:lower:0.25",), max_steps=60)
    env = cached_env(protocol, protocol.morphologies[0])
    assert env.morphology.spec == "front_left:lower:0.25+front_right:lower:0.25"
    result = run_episode(None, protocol, protocol.morphologies[0], seed=0, policy=ScriptedPolicy(np.zeros(8)))
    assert result.steps == 60 and result.morphology == protocol.morphologies[0]


def test_one_event_parser_for_the_protocol_and_the_sim_node():
    import pytest

    from hebbkit.trainer.envs import Perturbations, ScheduledEvent
    from hebbkit.trainer.envs.perturbations import perturbation_fields, perturbations_from_dict
    from hebbkit.trainer.fitness import FitnessProtocol

    options = {"ground_friction": 0.5, "events": [{"step": 30, "kind": "push", "force": (0.0, 50.0, 0.0)},
                                                  {"step": 10, "kind": "break_segment", "leg": "front_left"}]}
    expected = Perturbations(ground_friction=0.5, events=(ScheduledEvent(10, "break_segment", leg="front_left"),
                                                          ScheduledEvent(30, "push", force=(0.0, 50.0, 0.0))))
    assert perturbations_from_dict(options) == expected
    assert perturbation_fields({})["events"] == ()
    protocol = FitnessProtocol(perturbations=options)
    assert protocol.env_options("standard")["perturbations"] == expected
    with pytest.raises(TypeError):
        perturbations_from_dict({"events": [{"step": 1, "kind": "push", "colour": "red"}]})
    with pytest.raises(TypeError):
        perturbations_from_dict({"events": 5})


def test_episode_aggregates_mean_worst_half_and_min():
    scores = [300.0, -20.0, 100.0, 500.0, 40.0]
    assert aggregate_fitness(scores) == pytest.approx(184.0)  # the paper's mean
    assert aggregate_fitness(scores, "worst-half") == pytest.approx((-20.0 + 40.0 + 100.0) / 3)  # lower ceil(5/2)
    assert aggregate_fitness(scores, "min") == -20.0
    assert aggregate_fitness([300.0, 100.0], "worst-half") == 100.0
    assert aggregate_fitness([1e16, -1e16, 1.0]) == 1.0 / 3  # summed in episode order, as training always did
    for how in ("mean", "worst-half", "min"):
        assert aggregate_fitness([7.5], how) == 7.5  # one episode is its own fitness
    with pytest.raises(ConfigError, match="episode_aggregate must be one of mean, worst-half, min, got 'max'"):
        aggregate_fitness(scores, "max")
    with pytest.raises(ValueError, match="at least one episode"):
        aggregate_fitness([], "min")


def test_a_chunk_scores_each_candidate_by_its_protocols_aggregate():
    """The worker's chunk fitness is the chosen aggregate of exactly the episodes `run_episode` plays alone."""
    from dataclasses import replace

    from hebbkit.trainer.workers import EpisodeItem, Job, evaluate_chunk

    spec = NetworkSpec(layer_sizes=(28, 16, 8), activations=("tanh", "tanh"))
    layout = ParameterLayout.of(spec)
    mean = np.random.default_rng(3).standard_normal(layout.size) * 0.1
    protocol = FitnessProtocol(morphologies=("standard", "damaged_right_front"), episodes_per_morphology=2,
                               max_steps=60, burn_in_steps=5)
    seeds = (11, 12, 13, 14)
    artifact = layout.to_artifact(mean, ANT28, 0.0165)
    alone = [run_episode(artifact, protocol, body, seed).fitness
             for body, seed in zip(("standard", "standard", "damaged_right_front", "damaged_right_front"), seeds,
                                   strict=True)]
    assert len(set(alone)) == 4
    for how in ("mean", "worst-half", "min"):
        job = Job(mean, layout, ANT28, 0.0165, replace(protocol, episode_aggregate=how),
                  (EpisodeItem(0, None, seeds),))
        (result,) = evaluate_chunk(job)
        assert result.fitness == pytest.approx(aggregate_fitness(alone, how), rel=1e-9)


class LeavesThePlayfield:
    """CarRacing's behaviour off the playfield, in miniature: -0.1 a step, then -100 and terminated at step 5, and
    -100 again for every step taken after that (Gymnasium does not stop a terminated env from stepping)."""

    action_space = type("Box", (), {"shape": (3,)})()

    def reset(self, seed=None):
        self.t = 0
        return np.zeros((3, 84, 84), np.float32), {}

    def step(self, action):
        self.t += 1
        over = self.t >= 5
        return np.zeros((3, 84, 84), np.float32), -100.0 if over else -0.1, over, False, {}


@pytest.mark.parametrize("early_stop", [True, False])
def test_a_terminated_car_is_not_driven_on_with_or_without_the_early_stop(early_stop):
    """Evaluation runs CarRacing without the early stop; termination still ends the episode (before, a car that
    left the playfield collected -100 for every remaining step: scores of -80,000)."""
    protocol = FitnessProtocol.carracing(max_steps=50, early_stop=early_stop)
    result = run_episode(None, protocol, "standard", seed=0, policy=ScriptedPolicy(np.zeros(3)),
                         env=LeavesThePlayfield())
    assert result.steps == 5 and result.fitness == pytest.approx(-100.4)


def test_episode_end_rule_is_one_for_one_episode_and_for_a_batch_of_cars():
    ant, car = FitnessProtocol(max_steps=1000), FitnessProtocol.carracing(max_steps=1000, early_stop=False)
    cases = [(step, terminated, truncated, streak) for step in (10, 201, 1000) for terminated in (False, True)
             for truncated in (False, True) for streak in (0, 31)]
    for protocol in (ant, car):
        for step in (10, 201, 1000):
            rows = [case for case in cases if case[0] == step]
            batch = episode_ends(protocol, step, np.array([r[1] for r in rows]), np.array([r[2] for r in rows]),
                                 np.array([r[3] for r in rows]))
            single = [bool(episode_ends(protocol, *row)) for row in rows]
            assert list(batch) == single
    assert not episode_ends(ant, 10, True, False, 0)  # the Ant's early termination is ignored before step 200
    assert episode_ends(ant, 201, True, False, 0) and episode_ends(ant, 201, False, False, 31)
    assert episode_ends(car, 10, True, False, 0)  # CarRacing: always, early stop or not
    assert not episode_ends(car, 10, False, False, 31)  # no early stop: a negative streak goes on
    assert episode_ends(car, 1000, False, False, 0) and episode_ends(ant, 10, False, True, 0)


class WalksBackwards:
    """An Ant-like env in miniature that loses progress every step and, with `falls`, reports termination (a low
    torso) from the first step on."""

    action_space = type("Box", (), {"shape": (8,)})()

    def __init__(self, falls: bool):
        self.falls = falls

    def reset(self, seed=None):
        return np.zeros(28, np.float32), {}

    def step(self, action):
        return np.zeros(28, np.float32), 0.0, self.falls, False, {"progress": -0.1}


@pytest.mark.parametrize(("clock", "falls", "last_step"), [
    ("env", True, 201), ("env", False, 201),  # armed past env step 200; the streak ran from the first policy step
    ("policy", True, 242), ("policy", False, 272),  # the seed code: policy steps 202 and 232 after 40 of burn-in
])
def test_the_early_stop_clock_decides_when_a_backward_walker_is_stopped(clock, falls, last_step):
    protocol = FitnessProtocol(max_steps=1000, early_stop_clock=clock)
    result = run_episode(None, protocol, "standard", seed=0, policy=ScriptedPolicy(np.zeros(8)),
                         env=WalksBackwards(falls))
    assert result.steps == last_step
    assert result.fitness == pytest.approx(-0.1 * (last_step - protocol.burn_in_steps))


def test_an_unknown_early_stop_clock_is_refused_in_one_line():
    with pytest.raises(ConfigError, match="early_stop_clock must be one of env, policy, got 'wall'"):
        FitnessProtocol(early_stop_clock="wall")
    with pytest.raises(ConfigError, match="early_stop_clock must be one of env, policy"):
        TaskConfig(early_stop_clock="wall")
    assert TaskConfig(early_stop_clock="policy").protocol().early_stop_clock == "policy"


class RecordingPolicy(Policy):
    """A real Policy that keeps every observation it acts on."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen: list[np.ndarray] = []

    def step(self, observation):
        self.seen.append(np.array(observation, dtype=np.float64))
        return super().step(observation)


def test_gait_shaping_scales_forward_progress_by_the_least_used_foots_duty_factor():
    """ant-static walks on all four feet, so its least-used foot's duty factor is well above 0."""
    artifact = load_artifact(ROOT / "models" / "ant-static" / "model.npz")
    plain = FitnessProtocol(morphologies=("standard",), max_steps=300, early_stop_after=1000)
    base = run_episode(artifact, plain, "standard", seed=1)
    policy = RecordingPolicy(artifact, "numpy", seed=1)
    shaped = run_episode(artifact, replace(plain, foot_duty_bonus=2.0), "standard", seed=1, policy=policy)
    index = [artifact.profile.observation_names.index(f"{foot}_contact") for foot in artifact.profile.foot_names]
    duty = (np.array(policy.seen)[:, index] > 0.5).mean(axis=0)
    assert len(policy.seen) == 260 and base.fitness > 0 and 0.1 < duty.min() < 1
    assert shaped.fitness == pytest.approx(base.fitness * (1 + 2.0 * duty.min()))
    assert (shaped.steps, shaped.walk_step) == (base.steps, base.walk_step)  # the episode itself is the same


def test_gait_shaping_leaves_backward_progress_and_a_zero_bonus_alone():
    assert duty_shaped(100.0, np.array([0.5, 0.1, 0.8, 0.9]), 2.0) == pytest.approx(120.0)
    assert duty_shaped(-50.0, np.array([0.5, 0.5, 0.5, 0.5]), 2.0) == -50.0
    assert duty_shaped(100.0, np.array([0.5, 0.5, 0.5, 0.5]), 0.0) == 100.0


@pytest.mark.parametrize("bonus, message", [(-1.0, "finite number >= 0"), (float("nan"), "finite number >= 0"),
                                            ("2", "finite number >= 0")])
def test_a_bad_gait_shaping_weight_is_refused_in_one_line(bonus, message):
    with pytest.raises(ConfigError, match=message):
        FitnessProtocol(foot_duty_bonus=bonus)
    with pytest.raises(ConfigError, match=message):
        TaskConfig(foot_duty_bonus=bonus)


def test_gait_shaping_needs_feet():
    with pytest.raises(ConfigError, match="the carracing env has no feet"):
        TaskConfig(env="carracing", foot_duty_bonus=1.0)
    assert TaskConfig(foot_duty_bonus=1.5).protocol().foot_duty_bonus == 1.5
    blind = proprio_profile(["hip", "knee"], [(-1.0, 1.0), (-1.0, 1.0)], robot="servo_quadruped")  # no contacts
    layout = ParameterLayout.of(NetworkSpec(layer_sizes=(blind.n_observations, 4, 2), activations=("tanh", "tanh")))
    artifact = layout.to_artifact(np.zeros(layout.size), blind, 0.02)
    with pytest.raises(ConfigError, match="needs foot contacts in the observation"):
        run_episode(artifact, FitnessProtocol(foot_duty_bonus=1.0), "standard", seed=0)
