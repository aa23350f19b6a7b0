"""The torch twin agrees with the NumPy backend: the Ant network (also with standardised weights and with evolved
initial weights) and the CarRacing network, batched."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hebbkit.runtime import ANT28, NetworkSpec, Policy, PolicyArtifact, WeightInit, new_artifact
from hebbkit.runtime.frontend import CARRACING_FRONTEND
from hebbkit.trainer.parameters import ParameterLayout
from hebbkit.trainer.torch_twin import TorchTwin


@pytest.mark.parametrize("task", ["ant", "ant-standardize", "ant-evolved-init", "carracing"])
def test_torch_twin_matches_numpy_over_a_free_running_rollout(task):
    if task.startswith("ant"):
        artifact = ant_artifact(task)
        observations = np.random.default_rng(0).uniform(-5, 5, (1000 if task == "ant-standardize" else 200, 28)
                                                        ).astype(np.float32)
    else:
        spec = NetworkSpec(layer_sizes=(648, 128, 64, 3), activations=("tanh", "tanh", "identity"),
                           weight_norm="max", action_head=("tanh", "sigmoid", "sigmoid"),
                           frontend=CARRACING_FRONTEND)
        artifact = new_artifact(spec, control_period=0.02, seed=0)
        observations = np.random.default_rng(0).random((30, 3, 84, 84)).astype(np.float32)
    seeds = (1, 2, 3)
    policies = [Policy(artifact, "numpy", seed=seed) for seed in seeds]
    if task == "ant-evolved-init":  # every seed starts from the artifact's evolved weights
        assert all(np.array_equal(p.weights[0], policies[0].weights[0]) for p in policies)
    twin = TorchTwin(artifact)
    weights = [torch.tensor(np.stack([p.weights[layer] for p in policies])) for layer in
               range(artifact.network.n_layers)]
    for observation in observations:
        batch = torch.tensor(np.stack([observation] * len(seeds)))
        actions = twin.step(weights, batch).numpy()
        for index, policy in enumerate(policies):
            np.testing.assert_allclose(actions[index], policy.step(observation), atol=1e-5)
    for layer in range(artifact.network.n_layers):
        for index, policy in enumerate(policies):
            expected = policy.weights[layer]
            assert np.abs(weights[layer][index].numpy() - expected).max() <= 1e-6 * np.abs(expected).max()


def ant_artifact(task: str) -> PolicyArtifact:
    """The Ant network: the paper's, with weight_norm "standardize", or with evolved (stored) initial weights."""
    if task == "ant-evolved-init":
        layout = ParameterLayout.of(NetworkSpec(init=WeightInit("stored")))
        flat = np.random.default_rng(5).standard_normal(layout.size) * 0.1
        return layout.to_artifact(flat, ANT28, 0.0165)
    spec = NetworkSpec(weight_norm="standardize") if task == "ant-standardize" else NetworkSpec()
    return new_artifact(spec, profile=ANT28, seed=0)
