"""A Hebbian rule with evolved initial weights (`WeightInit("stored")` beside a rule, `initial_weights/<l>` in the
artifact): every backend boots from the stored weights whatever the seed, learns from there as the others do, and
returns to them on reset and when the guard trips. The exported C model and the torch twin are checked in
`test_c_export.py` and `tests/trainer/test_torch_twin.py`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hebbkit.runtime import ANT28, NetworkSpec, Policy, PolicyArtifact, WeightInit, load_artifact, save_artifact
from hebbkit.runtime.bench import observation_stream

BACKENDS = ("numpy", "onnx", "c")
MODELS = Path(__file__).resolve().parents[2] / "models"


def evolved_init_artifact(weight_norm: str = "none", seed: int = 0) -> PolicyArtifact:
    """The Ant network, ABCD_lr with N(0, 1) coefficients and U(-0.1, 0.1) stored initial weights."""
    network = NetworkSpec(init=WeightInit("stored"), weight_norm=weight_norm)
    rng = np.random.default_rng(seed)
    coefficients = tuple(rng.standard_normal(shape).astype(np.float32) for shape in network.coefficient_shapes)
    stored = {f"initial_weights/{layer}": rng.uniform(-0.1, 0.1, shape).astype(np.float32)
              for layer, shape in enumerate(network.layer_shapes)}
    artifact = PolicyArtifact(network, coefficients, ANT28, 0.0165, static_tensors=stored)
    artifact.validate()
    return artifact


def stored_weights(artifact: PolicyArtifact) -> list[np.ndarray]:
    return [artifact.static_tensors[f"initial_weights/{layer}"] for layer in range(artifact.network.n_layers)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_boots_and_resets_to_the_stored_weights(backend):
    artifact = evolved_init_artifact()
    policy = Policy(artifact, backend, seed=11, max_weight_norm=1e20)
    for got, expected in zip(policy.weights, stored_weights(artifact), strict=True):
        np.testing.assert_array_equal(got, expected)
    for observation in observation_stream(28, 5, seed=0):
        policy.step(observation)
    assert any(not np.array_equal(got, expected) for got, expected in zip(policy.weights, stored_weights(artifact)))
    policy.reset(12345)  # another seed: the same start
    for got, expected in zip(policy.weights, stored_weights(artifact), strict=True):
        np.testing.assert_array_equal(got, expected)
    policy.set_weights([np.full_like(w, 1e30) for w in policy.weights])  # the guard restores the stored start
    policy.step(np.zeros(28, np.float32))
    assert policy.stats.guard_resets == 1
    for got, expected in zip(policy.weights, stored_weights(artifact), strict=True):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("weight_norm", ["none", "standardize"])
def test_free_running_ant_rollout_agrees_on_every_backend(weight_norm):
    """1,000 free-running steps from the stored weights: the parity tests' tolerance (actions 1e-5, weights 1e-6 of
    the layer's largest |w|) between NumPy, ONNX Runtime and the C kernel."""
    artifact = evolved_init_artifact(weight_norm, seed=2)
    policies = {backend: Policy(artifact, backend, seed=backend_seed) for backend_seed, backend in enumerate(BACKENDS)}
    for observation in observation_stream(28, 1000, seed=3):
        expected = policies["numpy"].step(observation).copy()
        for backend in ("onnx", "c"):
            np.testing.assert_allclose(policies[backend].step(observation), expected, rtol=0, atol=1e-5)
            for got, want in zip(policies[backend].weights, policies["numpy"].weights, strict=True):
                assert np.abs(got - want).max() <= 1e-6 * np.abs(want).max()
    assert all(policy.stats.guard_resets == 0 for policy in policies.values())


def test_the_artifact_round_trips_and_inspect_names_the_init(tmp_path, capsys):
    from hebbkit.trainer.cli import main

    artifact = evolved_init_artifact("standardize")
    path = save_artifact(artifact, tmp_path / "evolved.npz")
    loaded = load_artifact(path)
    assert loaded.network == artifact.network and loaded.network.init.distribution == "stored"
    for got, expected in zip(stored_weights(loaded), stored_weights(artifact), strict=True):
        np.testing.assert_array_equal(got, expected)
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "init         evolved, stored in the artifact (static/initial_weights/<l>)" in out
    assert "then the rule adapts them" in out and "weight norm standardize" in out
    assert main(["inspect", str(MODELS / "ant-robust" / "model.npz")]) == 0
    assert "init         random, drawn every episode and boot: uniform scale 0.1" in capsys.readouterr().out
