"""Rule families in the trainer: the ES searches the compact space; configs, artifacts and the torch twin agree."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hebbkit.runtime import ANT28, ConfigError, NetworkSpec, Policy, load_artifact, save_artifact
from hebbkit.trainer.parameters import ParameterLayout
from hebbkit.trainer.run import TrainConfig, network_for
from hebbkit.trainer.torch_twin import TorchTwin


@pytest.mark.parametrize("family, size, names", [
    ("synapse", 61_440, ("coefficients/0", "coefficients/1", "coefficients/2")),
    ("neuron", 1_104, ("family/neurons/0", "family/neurons/1", "family/neurons/2", "family/neurons/3")),
    ("diagonal", 2_085, ("family/diagonals/0", "family/diagonals/1", "family/diagonals/2")),
])
def test_layout_is_the_compact_parameters(tmp_path, family, size, names):
    layout = ParameterLayout.of(NetworkSpec(family=family))
    assert layout.size == size and layout.names == names
    flat = np.random.default_rng(0).standard_normal(layout.size)
    np.testing.assert_allclose(layout.ravel(layout.unravel(flat)), flat, rtol=1e-6)
    artifact = layout.to_artifact(flat, ANT28, 0.0165)
    assert artifact.network.family == family and artifact.network.n_coefficients == size
    loaded = load_artifact(save_artifact(artifact, tmp_path / "a.npz"))
    np.testing.assert_array_equal(layout.from_artifact(loaded), layout.from_artifact(artifact))
    np.testing.assert_allclose(layout.from_artifact(loaded), flat, rtol=1e-6)
    Policy(loaded, seed=0).step(np.zeros(28, np.float32))


def test_train_config_passes_the_family_to_the_network():
    assert TrainConfig().rule_family == "synapse"
    assert TrainConfig.from_json({"rule": "ABCD_lr"}).rule_family == "synapse"  # a run from before families
    config = TrainConfig(rule_family="neuron")
    assert TrainConfig.from_json(config.to_json()) == config
    network = network_for(config, 28, 8)
    assert network.family == "neuron" and ParameterLayout.of(network).size == 1_104
    carracing = network_for(TrainConfig.from_options({"env": "carracing", "rule_family": "diagonal"}), 0, 3)
    assert carracing.family == "diagonal" and carracing.frontend is not None
    assert ParameterLayout.of(carracing).names[-1].startswith("frontend/")


def test_static_rule_refuses_a_family():
    with pytest.raises(ConfigError, match="rule_family must be 'synapse'"):
        network_for(TrainConfig(rule="static", rule_family="neuron"), 28, 8)
    with pytest.raises(ConfigError, match="unknown rule family 'cluster'"):
        network_for(TrainConfig(rule_family="cluster"), 28, 8)


@pytest.mark.parametrize("family", ["neuron", "diagonal"])
def test_torch_twin_runs_the_expanded_coefficients(family):
    layout = ParameterLayout.of(NetworkSpec(family=family))
    artifact = layout.to_artifact(np.random.default_rng(1).standard_normal(layout.size), ANT28, 0.0165)
    policies = [Policy(artifact, "numpy", seed=seed) for seed in (1, 2)]
    twin = TorchTwin(artifact)
    weights = [torch.tensor(np.stack([p.weights[layer] for p in policies])) for layer in range(3)]
    for observation in np.random.default_rng(0).uniform(-5, 5, (100, 28)).astype(np.float32):
        actions = twin.step(weights, torch.tensor(np.stack([observation] * 2))).numpy()
        for index, policy in enumerate(policies):
            np.testing.assert_allclose(actions[index], policy.step(observation), atol=1e-5)
    for layer in range(3):
        for index, policy in enumerate(policies):
            expected = policy.weights[layer]
            assert np.abs(weights[layer][index].numpy() - expected).max() <= 1e-6 * np.abs(expected).max()
