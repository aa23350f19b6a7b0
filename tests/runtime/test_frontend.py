"""The convolutional front end (CarRacing): shapes, the paper's counts, NumPy vs torch vs ONNX Runtime."""

from __future__ import annotations

import numpy as np
import pytest

from hebbkit.runtime import (
    ArtifactShapeError,
    NetworkSpec,
    ObservationError,
    Policy,
    load_artifact,
    new_artifact,
    save_artifact,
)
from hebbkit.runtime.artifact import PolicyArtifact
from hebbkit.runtime.errors import ConfigError
from hebbkit.runtime.frontend import CARRACING_FRONTEND, ConvLayer, Frontend, frontend_forward
from hebbkit.runtime.network import reference_step

HEAD = ("tanh", "sigmoid", "sigmoid")


def carracing_spec() -> NetworkSpec:
    return NetworkSpec(layer_sizes=(648, 128, 64, 3), activations=("tanh", "tanh", "identity"),
                       weight_norm="max", action_head=HEAD, frontend=CARRACING_FRONTEND)


def test_the_papers_counts():
    assert CARRACING_FRONTEND.output_shape == (8, 9, 9) and CARRACING_FRONTEND.n_weights == 1_362
    assert carracing_spec().n_coefficients == 456_640


def test_frontend_matches_torch_conv2d():
    torch = pytest.importorskip("torch")  # the `train` extra, installed by make test
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(shape).astype(np.float32) for shape in CARRACING_FRONTEND.weight_shapes]
    image = rng.random((3, 84, 84)).astype(np.float32)
    x = torch.tensor(image[None], dtype=torch.float64)
    for layer, kernel in zip(CARRACING_FRONTEND.layers, weights):
        x = torch.nn.functional.conv2d(x, torch.tensor(kernel, dtype=torch.float64), stride=layer.stride)
        x = torch.nn.functional.max_pool2d(torch.tanh(x), 2)
    np.testing.assert_allclose(frontend_forward(CARRACING_FRONTEND, weights, image), x.reshape(-1).numpy(),
                               atol=1e-6)


def test_numpy_and_onnx_agree_with_the_reference_and_each_other():
    artifact = new_artifact(carracing_spec(), control_period=0.02, seed=0)
    policies = [Policy(artifact, backend, seed=1) for backend in ("numpy", "onnx")]
    frontend_weights = [artifact.static_tensors[f"frontend/{i}"] for i in range(2)]
    weights = policies[0].weights
    rng = np.random.default_rng(0)
    for _ in range(10):  # one step at a time from the reference state
        image = rng.random((3, 84, 84)).astype(np.float32)
        expected, weights = reference_step(carracing_spec(), weights, list(artifact.coefficients), image,
                                           frontend_weights)
        for policy in policies:
            np.testing.assert_allclose(policy.step(image), expected, atol=1e-5)
            for got, want in zip(policy.weights, weights):
                assert np.abs(got - want).max() <= 1e-6 * np.abs(want).max()
            policy.set_weights(weights)
    free = [Policy(artifact, backend, seed=2) for backend in ("numpy", "onnx")]
    for _ in range(50):  # free-running
        image = rng.random((3, 84, 84)).astype(np.float32)
        actions = [policy.step(image) for policy in free]
        np.testing.assert_allclose(actions[1], actions[0], atol=1e-5)


def test_images_are_validated_and_the_artifact_round_trips(tmp_path):
    artifact = new_artifact(carracing_spec(), control_period=0.02, seed=3)
    loaded = load_artifact(save_artifact(artifact, tmp_path / "car.npz"))
    assert loaded.network == carracing_spec()
    np.testing.assert_array_equal(loaded.static_tensors["frontend/1"], artifact.static_tensors["frontend/1"])
    policy = Policy(loaded, seed=0)
    with pytest.raises(ObservationError, match=r"shape \(3, 84, 84\)"):
        policy.step(np.zeros((84, 84, 3), np.float32))
    image = np.zeros((3, 84, 84), np.float32)
    image[1, 2, 3] = np.nan
    with pytest.raises(ObservationError, match="NaN/Inf"):
        policy.step(image)
    broken = PolicyArtifact(artifact.network, artifact.coefficients, artifact.profile, 0.02, {},
                            {"frontend/0": artifact.static_tensors["frontend/0"]})
    with pytest.raises(ArtifactShapeError, match="static/frontend/1"):
        broken.validate()


def test_inconsistent_frontends_are_refused():
    with pytest.raises(ConfigError, match="648 features"):
        NetworkSpec(layer_sizes=(100, 3), activations=("tanh",), frontend=CARRACING_FRONTEND)
    with pytest.raises(ConfigError, match="input channels"):
        Frontend((3, 84, 84), (ConvLayer(3, 6, 3), ConvLayer(4, 8, 5, 2)))
