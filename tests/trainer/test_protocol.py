"""The paper's fitness protocol and the parameter layout at the optimiser boundary."""

from __future__ import annotations

import numpy as np
import pytest

from hebbkit.runtime import ANT28, ConfigError, NetworkSpec, Policy, WeightInit
from hebbkit.trainer.parameters import ParameterLayout
from hebbkit.trainer.protocol import FitnessProtocol, cached_env, run_episode


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
