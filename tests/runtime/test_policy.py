"""Policy: both backends against the reference, determinism, frozen learning, the guard, bad observations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hebbkit.runtime import (
    RULES,
    ConfigError,
    NetworkSpec,
    ObservationError,
    Policy,
    load_policy,
    new_artifact,
    reference_step,
)
from tests.conftest import random_observations

BACKENDS = ["numpy", "onnx"]


def assert_same_weights(got: list[np.ndarray], expected: list[np.ndarray]) -> None:
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
HEAD = ("tanh", "sigmoid", "identity")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("variant", ["ant_style", "carracing_style"])
def test_backends_match_the_reference_step_for_every_rule(backend, rule, variant):
    if variant == "ant_style":
        spec = NetworkSpec(layer_sizes=(6, 5, 3), activations=("tanh", "tanh"), rule=rule)
    else:  # raw output in the update, max-|w| normalisation, squashing action head
        spec = NetworkSpec(layer_sizes=(6, 5, 3), activations=("tanh", "identity"), rule=rule,
                           weight_norm="none" if rule == "static" else "max", action_head=HEAD)
    artifact = new_artifact(spec, seed=5)
    policy = Policy(artifact, backend, seed=2)
    weights = policy.weights
    for observation in random_observations(6, 20, seed=9):
        expected_action, weights = reference_step(spec, weights, list(artifact.coefficients), observation)
        np.testing.assert_allclose(policy.step(observation), expected_action, rtol=1e-5, atol=1e-5)
        for got, expected in zip(policy.weights, weights):
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
        policy.set_weights(weights)  # one step at a time from the reference state: no drift accumulates


@pytest.mark.parametrize("backend", BACKENDS)
def test_same_seed_same_trajectory_different_seed_different(backend, ant_artifact):
    observations = random_observations(28, 50, seed=1)

    def rollout(seed):
        policy = Policy(ant_artifact, backend, seed=seed)
        return np.array([policy.step(o) for o in observations]), policy.weights

    actions_a, weights_a = rollout(7)
    actions_b, weights_b = rollout(7)
    actions_c, _ = rollout(8)
    np.testing.assert_array_equal(actions_a, actions_b)
    for a, b in zip(weights_a, weights_b):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(actions_a, actions_c)


@pytest.mark.parametrize("backend", BACKENDS)
def test_reset_restarts_from_fresh_random_weights(backend, small_artifact):
    policy = Policy(small_artifact, backend, seed=3)
    start = policy.weights
    for observation in random_observations(4, 10, seed=0):
        policy.step(observation)
    assert not np.array_equal(policy.weights[0], start[0])
    policy.reset(3)
    np.testing.assert_array_equal(policy.weights[0], start[0])
    assert policy.stats.steps == 0
    policy.reset(4)
    assert not np.array_equal(policy.weights[0], start[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_plastic_false_leaves_weights_unchanged_but_still_acts(backend, ant_artifact):
    policy = Policy(ant_artifact, backend, seed=0, plastic=False)
    start = policy.weights
    actions = [policy.step(o) for o in random_observations(28, 30, seed=2)]
    assert_same_weights(policy.weights, start)
    # frozen weights: the same observation gives the same action
    observation = random_observations(28, 1, seed=3)[0]
    np.testing.assert_array_equal(policy.step(observation), policy.step(observation))
    assert np.abs(np.array(actions)).sum() > 0
    policy.plastic = True
    policy.step(observation)
    assert not np.array_equal(policy.weights[0], start[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_guard_resets_to_the_initial_weights_when_a_weight_is_nan(backend, small_artifact):
    policy = Policy(small_artifact, backend, seed=0)
    initial = policy.initial_weights
    broken = policy.weights
    broken[1][0, 0] = np.nan
    policy.backend.load_weights(broken)  # as an update gone wrong would leave them (set_weights refuses NaN)
    policy.step(np.ones(4, dtype=np.float32))
    assert policy.stats.guard_resets == 1
    assert_same_weights(policy.weights, initial)


@pytest.mark.parametrize("backend", BACKENDS)
def test_guard_resets_on_infinite_weights_and_on_exceeding_the_norm_bound(backend, small_artifact):
    policy = Policy(small_artifact, backend, seed=0)
    broken = policy.weights
    broken[0][1, 1] = np.inf
    policy.backend.load_weights(broken)  # as an update gone wrong would leave them (set_weights refuses Inf)
    policy.step(np.zeros(4, dtype=np.float32))
    assert policy.stats.guard_resets == 1

    bounded = Policy(small_artifact, backend, seed=0, max_weight_norm=50.0)
    big = bounded.weights
    big[0][:] = 100.0
    bounded.set_weights(big)
    bounded.step(np.zeros(4, dtype=np.float32))
    assert bounded.stats.guard_resets == 1
    assert all(np.linalg.norm(w) < 50 for w in bounded.weights)


def test_default_guard_does_not_trip_on_large_finite_weights(ant_artifact):
    policy = Policy(ant_artifact, "numpy", seed=0)
    large = [np.full_like(w, 5e4) for w in policy.weights]
    policy.set_weights(large)
    policy.step(np.zeros(28, dtype=np.float32))
    assert policy.stats.guard_resets == 0


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("bad", [np.zeros(27), np.zeros((1, 28)), np.zeros(29), 0.0, np.zeros((28, 1))])
def test_wrongly_shaped_observations_raise_and_change_nothing(backend, bad, ant_artifact):
    policy = Policy(ant_artifact, backend, seed=0)
    before = policy.weights
    with pytest.raises(ObservationError, match=r"shape \(28,\)"):
        policy.step(bad)
    assert_same_weights(policy.weights, before)
    assert policy.stats.steps == 0


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_observations_raise_by_default_and_never_reach_the_weights(backend, value, ant_artifact):
    policy = Policy(ant_artifact, backend, seed=0)
    before = policy.weights
    observation = np.zeros(28, dtype=np.float32)
    observation[[3, 17]] = value
    with pytest.raises(ObservationError, match=r"NaN/Inf at indices \[3, 17\]"):
        policy.step(observation)
    assert_same_weights(policy.weights, before)
    assert policy.stats.rejected_observations == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_hold_policy_returns_the_last_action_and_skips_the_update(backend, ant_artifact):
    policy = Policy(ant_artifact, backend, seed=0, nan_policy="hold")
    good = random_observations(28, 1, seed=4)[0]
    last = policy.step(good)
    before = policy.weights
    bad = good.copy()
    bad[0] = np.nan
    held = policy.step(bad)
    np.testing.assert_array_equal(held, last)
    assert_same_weights(policy.weights, before)
    assert policy.stats.rejected_observations == 1 and policy.stats.steps == 1


def test_large_finite_observations_are_not_mistaken_for_non_finite(ant_artifact):
    policy = Policy(ant_artifact, "numpy", seed=0)
    policy.step(np.full(28, 3e38, dtype=np.float32))  # finite; sum of squares would overflow, the check must not
    assert policy.stats.rejected_observations == 0


def test_non_numeric_observations_raise(ant_artifact):
    policy = Policy(ant_artifact, "numpy", seed=0)
    with pytest.raises(ObservationError, match="real numbers"):
        policy.step(np.array(["a"] * 28))


def test_returned_action_is_a_copy(small_artifact):
    policy = Policy(small_artifact, "onnx", seed=0)
    first = policy.step(np.ones(4, dtype=np.float32))
    kept = first.copy()
    policy.step(-np.ones(4, dtype=np.float32))
    np.testing.assert_array_equal(first, kept)


def test_bad_options_raise_config_errors(small_artifact):
    with pytest.raises(ConfigError, match="nan_policy"):
        Policy(small_artifact, nan_policy="ignore")
    with pytest.raises(ConfigError, match="unknown backend 'tflite'"):
        Policy(small_artifact, "tflite")
    with pytest.raises(ConfigError, match="max_weight_norm"):
        Policy(small_artifact, max_weight_norm=0.0)
    with pytest.raises(ConfigError, match="shapes"):
        Policy(small_artifact).set_weights([np.zeros((4, 6))])


def test_load_policy_accepts_a_path(tmp_path, small_artifact):
    from hebbkit.runtime import save_artifact

    path = save_artifact(small_artifact, tmp_path / "p.npz")
    policy = load_policy(path, backend="onnx", seed=1)
    assert policy.backend_name == "onnx" and policy.max_weight_norm == math.inf


@pytest.mark.parametrize("backend", BACKENDS)
def test_static_network_starts_from_its_stored_weights_every_episode(backend, tmp_path):
    from hebbkit.runtime import PolicyArtifact, WeightInit, save_artifact

    spec = NetworkSpec(layer_sizes=(4, 6, 3), activations=("tanh", "tanh"), rule="static",
                       init=WeightInit("stored"))
    stored = [np.full((4, 6), 0.5, np.float32), np.full((6, 3), -0.25, np.float32)]
    base = new_artifact(NetworkSpec(layer_sizes=(4, 6, 3), activations=("tanh", "tanh")), seed=0)
    artifact = PolicyArtifact(spec, tuple(np.zeros((i, o, 0), np.float32) for i, o in spec.layer_shapes),
                              base.profile, 0.01, {}, {f"initial_weights/{i}": w for i, w in enumerate(stored)})
    policy = load_policy(save_artifact(artifact, tmp_path / "static.npz"), backend=backend, seed=123)
    for observation in random_observations(4, 5, seed=0):
        expected, _ = reference_step(spec, stored, list(artifact.coefficients), observation)
        np.testing.assert_allclose(policy.step(observation), expected, atol=1e-6)
    assert_same_weights(policy.weights, stored)
    policy.reset(seed=999)
    assert_same_weights(policy.weights, stored)
