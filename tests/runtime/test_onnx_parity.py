"""NumPy vs ONNX Runtime on the Ant network (28-128-64-8, ABCD_lr): one step, and 1,000-step rollouts.

Tolerance: actions within 1e-5 absolute, updated weights within 1e-6 of the layer's largest |w|, at every step,
also over a free-running 1,000-step rollout (the NumPy and ONNX trajectories are never re-synchronised).

Why that holds in float32: both backends run the same float32 update operations in the same order, and both
compute the forward pass (MatMul, activation) in float64 and round it once to float32. A float32 MatMul would not
do: OpenBLAS and MLAS sum 128 terms of |w| up to 1e4 in different orders, and the plastic dynamics feed that 1-ulp
difference back (post depends on W, the next dW on post) until the trajectories part (measured: actions apart by
up to 2.0 within 1,000 steps). With the float64 forward pass the two backends measured bit-identical over 1,000
steps for six coefficient seeds; the tolerances above leave room for another CPU's libm or an FMA contraction.
"""

from __future__ import annotations

import numpy as np
import pytest

from hebbkit.runtime import ANT28, NetworkSpec, Policy, new_artifact
from hebbkit.runtime.bench import observation_stream

ACTION_ATOL = 1e-5
WEIGHT_RTOL = 1e-6


def assert_close(numpy_policy: Policy, onnx_policy: Policy, action_numpy, action_onnx) -> None:
    np.testing.assert_allclose(action_onnx, action_numpy, rtol=0, atol=ACTION_ATOL)
    for got, expected in zip(onnx_policy.backend.weights, numpy_policy.backend.weights):
        assert np.abs(got - expected).max() <= WEIGHT_RTOL * np.abs(expected).max()


def test_one_step_from_many_random_states_up_to_5e4(ant_artifact):
    rng = np.random.default_rng(0)
    numpy_policy = Policy(ant_artifact, "numpy", seed=0)
    onnx_policy = Policy(ant_artifact, "onnx", seed=0)
    for _ in range(300):
        magnitude = 10 ** rng.uniform(-1, np.log10(5e4))
        state = [(rng.uniform(-1, 1, shape) * magnitude).astype(np.float32)
                 for shape in ant_artifact.network.layer_shapes]
        numpy_policy.set_weights(state)
        onnx_policy.set_weights(state)
        observation = rng.uniform(-5, 5, 28).astype(np.float32)
        assert_close(numpy_policy, onnx_policy, numpy_policy.step(observation), onnx_policy.step(observation))


@pytest.mark.parametrize("coefficient_seed", [0, 1, 2])
def test_free_running_1000_step_rollout(coefficient_seed):
    artifact = new_artifact(NetworkSpec(), profile=ANT28, seed=coefficient_seed)
    numpy_policy, onnx_policy = (Policy(artifact, backend, seed=3) for backend in ("numpy", "onnx"))
    for observation in observation_stream(28, 1000, seed=coefficient_seed):
        assert_close(numpy_policy, onnx_policy, numpy_policy.step(observation), onnx_policy.step(observation))
    # the state really grew as the Ant's does within an episode, and stayed finite without the guard acting
    assert max(np.abs(w).max() for w in numpy_policy.weights) > 1e3
    assert numpy_policy.stats.guard_resets == onnx_policy.stats.guard_resets == 0


@pytest.mark.parametrize("coefficient_seed", [0, 1])
def test_free_running_1000_step_rollout_with_standardized_weights(coefficient_seed):
    """weight_norm "standardize": both backends sum each layer's mean and variance in float64 in row-major order
    (a CumSum in the graph) and round each weight once, so the same tolerance holds; every layer stays at mean 0
    and standard deviation 1 instead of growing."""
    artifact = new_artifact(NetworkSpec(weight_norm="standardize"), profile=ANT28, seed=coefficient_seed)
    numpy_policy, onnx_policy = (Policy(artifact, backend, seed=3) for backend in ("numpy", "onnx"))
    for observation in observation_stream(28, 1000, seed=coefficient_seed):
        assert_close(numpy_policy, onnx_policy, numpy_policy.step(observation), onnx_policy.step(observation))
    for weights in numpy_policy.weights:
        assert abs(float(weights.mean())) < 1e-5 and abs(float(weights.std()) - 1) < 1e-3
    assert numpy_policy.stats.guard_resets == onnx_policy.stats.guard_resets == 0
