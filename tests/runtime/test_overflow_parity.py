"""One overflow semantics on every backend (issue 28): when a finite observation overflows a relu network's forward
pass (Inf - Inf = NaN inside a layer), NumPy (the reference), ONNX Runtime and the C kernel all hold the previous
action, count `stats.overflows` and restore the initial weights; none turns the NaN into a fresh action."""

from __future__ import annotations

import numpy as np
import pytest

from hebbkit.runtime import NetworkSpec, Policy, WeightInit, generic_profile, new_artifact

BACKENDS = ["numpy", "onnx", "c"]
FLOAT32_MAX = float(np.finfo(np.float32).max)


def relu_policy(backend: str, plastic: bool = True) -> Policy:
    """2-2-1 relu network whose first layer sends a large input to +Inf on both units and whose second layer
    subtracts them: Inf - Inf = NaN before the last relu. [1, 0.5] gives the action 0.5."""
    spec = NetworkSpec(layer_sizes=(2, 2, 1), activations=("relu", "relu"), init=WeightInit("zero"))
    policy = Policy(new_artifact(spec, profile=generic_profile(2, 1), seed=0), backend, seed=0, plastic=plastic)
    policy.set_weights([np.array([[2.0, 2.0], [0.0, 1.0]], np.float32), np.array([[-1.0], [1.0]], np.float32)])
    return policy


GOOD = np.array([1.0, 0.5], np.float32)
OVERFLOW = np.array([FLOAT32_MAX, 0.0], np.float32)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_relu_overflow_holds_the_previous_action_and_counts_on_every_backend(backend):
    policy = relu_policy(backend, plastic=False)
    held = policy.step(GOOD)
    assert held[0] == 0.5
    np.testing.assert_array_equal(policy.step(OVERFLOW), held)
    assert (policy.stats.overflows, policy.stats.guard_resets, policy.stats.steps) == (1, 0, 1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_relu_overflow_while_learning_restores_the_initial_weights_on_every_backend(backend):
    policy = relu_policy(backend)
    np.testing.assert_array_equal(policy.step(OVERFLOW), np.zeros(1, np.float32))  # right after reset: zeros
    assert (policy.stats.overflows, policy.stats.guard_resets, policy.stats.steps) == (1, 1, 0)
    for got, initial in zip(policy.weights, policy.initial_weights, strict=True):
        np.testing.assert_array_equal(got, initial)


@pytest.mark.parametrize("plastic", [False, True])
def test_every_backend_steps_the_overflow_case_as_numpy_does(plastic):
    policies = {backend: relu_policy(backend, plastic) for backend in BACKENDS}
    observations = [np.array(o, np.float32) for o in ([1.0, 0.5], [FLOAT32_MAX, 0.0], [0.3, 0.2], [FLOAT32_MAX, 1.0])]
    for observation in observations:
        actions = {backend: policy.step(observation) for backend, policy in policies.items()}
        for backend in BACKENDS[1:]:
            np.testing.assert_array_equal(actions[backend], actions["numpy"], err_msg=backend)
    reference = policies["numpy"].stats
    for backend in BACKENDS[1:]:
        stats = policies[backend].stats
        assert (stats.overflows, stats.guard_resets, stats.steps) == (
            reference.overflows, reference.guard_resets, reference.steps), backend
