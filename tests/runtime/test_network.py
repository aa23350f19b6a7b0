"""The plastic network: spec validation, initial weights, reference step order, normalisation, action head."""

from __future__ import annotations

import numpy as np
import pytest

from hebbkit.runtime import ConfigError, NetworkSpec, WeightInit, get_rule, hebbian_update, reference_step
from hebbkit.runtime.network import apply_activation


def test_default_spec_is_the_papers_ant_network():
    spec = NetworkSpec()
    assert spec.layer_sizes == (28, 128, 64, 8)
    assert spec.layer_shapes == [(28, 128), (128, 64), (64, 8)]
    assert spec.coefficient_shapes == [(28, 128, 5), (128, 64, 5), (64, 8, 5)]
    assert spec.init == WeightInit("uniform", 0.1)


def test_spec_roundtrips_through_its_dict_form():
    spec = NetworkSpec(layer_sizes=(5, 7, 3), activations=("relu", "identity"), rule="AD",
                       init=WeightInit("normal", 0.3), weight_norm="max",
                       action_head=("tanh", "sigmoid", "identity"))
    assert NetworkSpec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"layer_sizes": (28,)}, ">= 2 positive sizes"),
        ({"activations": ("tanh",)}, "expected 3 activations"),
        ({"activations": ("tanh", "tanh", "swish")}, "unknown activation 'swish'"),
        ({"rule": "nope"}, "unknown Hebbian rule"),
        ({"action_head": ("tanh",)}, "one transform per output"),
    ],
)
def test_invalid_specs_raise_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        NetworkSpec(**kwargs)


def test_invalid_weight_inits_raise_config_errors():
    with pytest.raises(ConfigError, match="unknown weight init 'beta'"):
        WeightInit("beta")
    with pytest.raises(ConfigError, match="scale must be finite"):
        WeightInit("uniform", float("nan"))


def test_uniform_init_is_seeded_and_in_range():
    spec = NetworkSpec()
    first, again, other = spec.initial_weights(3), spec.initial_weights(3), spec.initial_weights(4)
    for a, b, c in zip(first, again, other):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
        assert a.min() >= -0.1 and a.max() <= 0.1 and a.std() > 0.05


@pytest.mark.parametrize("distribution, scale, check", [
    ("normal", 0.5, lambda w, n_in, n_out: abs(w.std() - 0.5) < 0.05),
    ("xavier_uniform", 1.0, lambda w, n_in, n_out: np.abs(w).max() <= np.sqrt(6 / (n_in + n_out)) + 1e-7),
    ("zero", 0.1, lambda w, n_in, n_out: not w.any()),
])
def test_other_init_distributions(distribution, scale, check):
    init = WeightInit(distribution, scale)
    weights = init.sample(np.random.default_rng(0), 128, 64)
    assert weights.shape == (128, 64) and check(weights, 128, 64)


def test_reference_step_acts_before_it_learns():
    spec = NetworkSpec(layer_sizes=(2, 2), activations=("tanh",), rule="A")
    weights = [np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)]
    coefficients = [np.full((2, 2, 1), 0.5, dtype=np.float32)]
    observation = np.array([0.3, -0.2], dtype=np.float32)
    action, updated = reference_step(spec, weights, coefficients, observation)
    # the action uses the weights as they were before this step's update
    np.testing.assert_allclose(action, np.tanh(observation), rtol=1e-6)
    expected = weights[0] + 0.5 * np.outer(observation, np.tanh(observation))
    np.testing.assert_allclose(updated[0], expected, rtol=1e-6)
    np.testing.assert_array_equal(weights[0], np.eye(2))  # pure


def test_identity_output_feeds_the_raw_output_to_the_update_and_the_head_squashes_the_action():
    spec = NetworkSpec(layer_sizes=(2, 3), activations=("identity",), rule="A",
                       action_head=("tanh", "sigmoid", "identity"))
    weights = [np.array([[2.0, -1.0, 3.0], [0.0, 1.0, 1.0]], dtype=np.float32)]
    coefficients = [np.ones((2, 3, 1), dtype=np.float32)]
    observation = np.array([1.0, 0.5], dtype=np.float32)
    raw = observation @ weights[0]  # [2, -0.5, 3.5]
    action, updated = reference_step(spec, weights, coefficients, observation)
    np.testing.assert_allclose(action, [np.tanh(2.0), 1 / (1 + np.exp(0.5)), 3.5], rtol=1e-6)
    np.testing.assert_allclose(updated[0], weights[0] + np.outer(observation, raw), rtol=1e-6)


def test_normalisation_divides_each_layer_by_its_max_abs_weight():
    spec = NetworkSpec(layer_sizes=(2, 2), activations=("tanh",), rule="AD", weight_norm="max")
    weights = [np.array([[1.0, -4.0], [2.0, 0.0]], dtype=np.float32)]
    coefficients = [np.stack([np.zeros((2, 2)), np.ones((2, 2))], axis=-1).astype(np.float32)]  # A=0, D=1
    _, updated = reference_step(spec, weights, coefficients, np.zeros(2, dtype=np.float32))
    np.testing.assert_allclose(updated[0], np.array([[2.0, -3.0], [3.0, 1.0]]) / 3.0, rtol=1e-6)


def test_activations():
    values = np.array([-2.0, 0.0, 3.0], dtype=np.float32)
    np.testing.assert_allclose(apply_activation("sigmoid", values), 1 / (1 + np.exp(-values)), rtol=1e-6)
    np.testing.assert_array_equal(apply_activation("relu", values), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(apply_activation("identity", values), values)
    with pytest.raises(ConfigError):
        apply_activation("gelu", values)


def test_update_of_a_rule_without_eta_uses_eta_one():
    rule = get_rule("AD")
    coefficients = np.stack([np.ones((1, 1)), np.full((1, 1), 0.5)], axis=-1).astype(np.float32)
    updated = hebbian_update(rule, np.zeros((1, 1), np.float32), coefficients, np.array([2.0]), np.array([3.0]))
    assert updated[0, 0] == pytest.approx(6.5)
