"""Bad input to a running policy: one corpus of extreme observations, bad weights, seeds and options.

What is guaranteed:
- `Policy.step` never returns NaN or Inf, on any backend (NumPy, ONNX Runtime, C). When a finite observation
  overflows the forward pass (identity or relu layers fed values near float32's limit), the step returns the
  previous action (zeros right after `reset`), restores the episode's initial weights if learning
  (`stats.guard_resets`), counts `stats.overflows`, and does not raise (the observation was valid); frozen
  weights (`plastic=False`) stay as they are;
- the weights are finite after every step, and the guard only ever restores finite weights: `reset` refuses
  non-finite initial weights and `set_weights` non-finite, non-real or misshapen ones, with `WeightsError` (a
  `ConfigError`, a `HebbkitError`), leaving the current weights unchanged;
- a seed must be None, a Generator or an integer >= 0 (`ConfigError`);
- weight inits are bounded (0 <= scale <= 1e3) and networks hold at most 4,194,304 plastic weights
  (`ConfigError`), so drawing initial weights can neither overflow float32 nor exhaust memory;
- robot profiles refuse non-finite or out-of-range physical numbers (`ConfigError`), so `command_from_action`
  of a finite action is finite.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hebbkit.runtime import (
    ANT28,
    ConfigError,
    HebbkitError,
    NetworkSpec,
    Policy,
    PolicyArtifact,
    RobotProfile,
    WeightInit,
    load_policy,
    new_artifact,
)
from hebbkit.runtime.errors import WeightsError
from hebbkit.runtime.profile import ant28_profile
from tests.conftest import random_observations

BACKENDS = ["numpy", "onnx", "c"]
FLOAT32_MAX = float(np.finfo(np.float32).max)

EXTREME_OBSERVATIONS = {
    "1e36": np.full(28, 1e36, np.float32),
    "-1e36": np.full(28, -1e36, np.float32),
    "float32 max": np.full(28, FLOAT32_MAX, np.float32),
    "alternating float32 max": np.where(np.arange(28) % 2, FLOAT32_MAX, -FLOAT32_MAX).astype(np.float32),
    "one entry 1e38": np.where(np.arange(28) == 5, 1e38, 0.5).astype(np.float32),
}


def unbounded_artifact(activation: str, seed: int = 1) -> PolicyArtifact:
    """The Ant network with `activation` on every layer (no tanh to saturate), coefficients N(0, 1)."""
    return new_artifact(NetworkSpec(activations=(activation,) * 3), profile=ANT28, seed=seed)


# ------------------------------------------------------------------------------------ never a non-finite action


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("activation", ["identity", "relu"])
@pytest.mark.parametrize("name", sorted(EXTREME_OBSERVATIONS))
def test_extreme_finite_observations_never_give_a_non_finite_action(backend, activation, name):
    policy = Policy(unbounded_artifact(activation), backend, seed=0)
    policy.set_weights([np.random.default_rng(2).normal(0, 100, w.shape).astype(np.float32) for w in policy.weights])
    good = random_observations(28, 1, seed=0)[0]
    previous = policy.step(good)
    for _ in range(3):
        overflows = policy.stats.overflows
        action = policy.step(EXTREME_OBSERVATIONS[name])
        assert np.isfinite(action).all(), action
        assert all(np.isfinite(w).all() for w in policy.weights)
        if policy.stats.overflows > overflows:  # the forward pass overflowed: the previous action was held
            np.testing.assert_array_equal(action, previous)
        previous = action
    assert np.isfinite(policy.step(good)).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_overflow_holds_the_previous_action_restores_the_initial_weights_and_counts(backend):
    policy = Policy(unbounded_artifact("identity"), backend, seed=0)
    large = [np.random.default_rng(2).normal(0, 100, w.shape).astype(np.float32) for w in policy.weights]
    policy.set_weights(large)
    held = policy.step(random_observations(28, 1, seed=0)[0])
    action = policy.step(EXTREME_OBSERVATIONS["1e36"])
    np.testing.assert_array_equal(action, held)
    assert policy.stats.overflows == 1 and policy.stats.guard_resets == 1 and policy.stats.steps == 1
    for got, initial in zip(policy.weights, policy.initial_weights, strict=True):
        np.testing.assert_array_equal(got, initial)


def test_an_overflow_right_after_reset_returns_zeros():
    policy = Policy(unbounded_artifact("identity"), "numpy", seed=0)
    policy.set_weights([np.full(w.shape, 100.0, np.float32) for w in policy.weights])
    np.testing.assert_array_equal(policy.step(EXTREME_OBSERVATIONS["1e36"]), np.zeros(8, np.float32))
    assert policy.stats.overflows == 1


def test_an_overflow_with_frozen_weights_leaves_them_as_they_are():
    policy = Policy(unbounded_artifact("relu"), "numpy", seed=0, plastic=False)
    large = [np.full(w.shape, 100.0, np.float32) for w in policy.weights]
    policy.set_weights(large)
    np.testing.assert_array_equal(policy.step(EXTREME_OBSERVATIONS["1e36"]), np.zeros(8, np.float32))
    assert policy.stats.overflows == 1 and policy.stats.guard_resets == 0
    for got, expected in zip(policy.weights, large, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_nan_policy_raise_does_not_raise_on_an_overflow_of_a_finite_observation():
    policy = Policy(unbounded_artifact("identity"), "numpy", seed=0, nan_policy="raise")
    policy.set_weights([np.full(w.shape, 100.0, np.float32) for w in policy.weights])
    assert np.isfinite(policy.step(EXTREME_OBSERVATIONS["float32 max"])).all()
    assert policy.stats.rejected_observations == 0


def test_the_shipped_ant_model_stays_finite_on_extreme_observations():
    from pathlib import Path

    policy = load_policy(Path(__file__).resolve().parents[2] / "models" / "ant-paper" / "model.npz", seed=0)
    for observation in EXTREME_OBSERVATIONS.values():
        assert np.isfinite(policy.step(observation)).all()
        assert all(np.isfinite(w).all() for w in policy.weights)


# ------------------------------------------------------------------------------------ weights: always finite


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 1e39])
def test_set_weights_refuses_non_finite_values_and_keeps_the_current_weights(backend, value, small_artifact):
    policy = Policy(small_artifact, backend, seed=0)
    before = policy.weights
    bad = [w.astype(np.float64) for w in policy.weights]
    bad[1][2, 1] = value  # 1e39 is finite in float64, Inf in float32
    with pytest.raises(WeightsError, match="weights of layer 1 hold 1 NaN/Inf values"):
        policy.set_weights(bad)
    for got, expected in zip(policy.weights, before, strict=True):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("bad, message", [
    ([np.zeros((4, 6))], "shapes"),
    ([np.zeros((4, 6)), np.zeros((6, 4))], "shapes"),
    ([np.full((4, 6), "x"), np.zeros((6, 3))], "real numbers"),
])
def test_set_weights_refuses_wrong_shapes_and_non_numbers(bad, message, small_artifact):
    with pytest.raises(WeightsError, match=message) as caught:
        Policy(small_artifact, seed=0).set_weights(bad)
    assert isinstance(caught.value, ConfigError) and isinstance(caught.value, HebbkitError)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_reset_refuses_non_finite_initial_weights(value):
    spec = NetworkSpec(layer_sizes=(4, 3), activations=("tanh",), rule="static", init=WeightInit("stored"))
    stored = np.zeros((4, 3), np.float32)
    stored[0, 0] = value
    artifact = PolicyArtifact(spec, (np.zeros((4, 3, 0), np.float32),), new_artifact(
        NetworkSpec(layer_sizes=(4, 3), activations=("tanh",))).profile, 0.01, {}, {"initial_weights/0": stored})
    with pytest.raises(WeightsError, match="initial weights of layer 0 hold 1 NaN/Inf values"):
        Policy(artifact, seed=0)


def test_the_guard_restores_only_finite_weights(small_artifact):
    policy = Policy(small_artifact, seed=0)
    broken = policy.weights
    broken[0][0, 0] = np.inf
    policy.backend.load_weights(broken)  # as an update gone wrong would leave them
    policy.step(np.ones(4, np.float32))
    assert policy.stats.guard_resets == 1
    assert all(np.isfinite(w).all() for w in policy.weights)


# ------------------------------------------------------------------------------------ seeds and options


@pytest.mark.parametrize("seed", [-1, -2**40, 1.5, "7", True, [1, 2]])
def test_reset_refuses_bad_seeds_and_keeps_the_episode(seed, small_artifact):
    policy = Policy(small_artifact, seed=3)
    before = policy.weights
    with pytest.raises(ConfigError, match="seed must be an integer >= 0 or None"):
        policy.reset(seed)
    for got, expected in zip(policy.weights, before, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_reset_accepts_none_numpy_integers_and_generators(small_artifact):
    policy = Policy(small_artifact, seed=None)
    policy.reset(np.int64(5))
    first = policy.weights
    policy.reset(np.random.default_rng(5))
    np.testing.assert_array_equal(policy.weights[0], first[0])


@pytest.mark.parametrize("scale", [1e39, 1e4, -0.1, math.nan, math.inf])
def test_weight_init_scales_are_bounded(scale):
    with pytest.raises(ConfigError, match=r"scale must be finite and in \[0, 1000\]"):
        WeightInit("normal", scale)


@pytest.mark.parametrize("distribution", ["uniform", "normal", "xavier_uniform"])
def test_a_negative_zero_init_scale_draws_zeros(distribution):
    assert not WeightInit(distribution, -0.0).sample(np.random.default_rng(0), 3, 2).any()  # NumPy refuses -0.0


def test_the_largest_init_scale_draws_finite_float32_weights():
    weights = NetworkSpec(init=WeightInit("normal", 1e3)).initial_weights(0)
    assert all(np.isfinite(w).all() and w.dtype == np.float32 for w in weights)


def test_networks_are_bounded_in_size():
    with pytest.raises(ConfigError, match="at most 4,194,304 are supported"):
        NetworkSpec(layer_sizes=(28, 100_000, 100_000, 8))
    NetworkSpec(layer_sizes=(28, 2048, 2000, 8))  # 4,155,392 plastic weights: allowed


# ------------------------------------------------------------------------------------ the robot profile


@pytest.mark.parametrize("field_name", ["action_low", "action_high", "action_scale", "action_offset"])
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e7])
def test_profiles_refuse_non_finite_or_huge_action_numbers(field_name, value):
    data = ANT28.to_dict()
    data[field_name] = [value] * ANT28.n_actions
    with pytest.raises(ConfigError, match=f"{field_name} must be finite"):
        RobotProfile.from_dict(data)


@pytest.mark.parametrize("field_name", ["observation_scale", "observation_offset"])
@pytest.mark.parametrize("value", [math.inf, math.nan, -1e7])
def test_profiles_refuse_non_finite_or_huge_observation_numbers(field_name, value):
    data = ANT28.to_dict()
    data[field_name] = [*data[field_name][:-1], value]
    with pytest.raises(ConfigError, match=f"{field_name} must be finite .* at \\[27\\]"):
        RobotProfile.from_dict(data)


@pytest.mark.parametrize("index", [-1, 4096, 10**12])
def test_profiles_refuse_measurement_indices_out_of_range(index):
    data = ANT28.to_dict()
    data["observation_sources"] = [*data["observation_sources"][:-1], ["foot_contact", index]]
    with pytest.raises(ConfigError, match=r"indices must be in \[0, 4095\]"):
        RobotProfile.from_dict(data)


def test_commands_of_extreme_finite_actions_are_finite():
    profile = ant28_profile(torque_per_action=1e6)
    unclipped = RobotProfile.from_dict({**profile.to_dict(), "action_low": None, "action_high": None})
    for action in (np.full(8, FLOAT32_MAX), np.full(8, -FLOAT32_MAX)):
        assert np.isfinite(profile.command_from_action(action)).all()
        assert np.isfinite(unclipped.command_from_action(action)).all()
