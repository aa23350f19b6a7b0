"""Weight normalisation after every update (`NetworkSpec.weight_norm`): "none", "max" (divide by the largest |w|,
unchanged from the boolean `normalize_weights`) and "standardize" (zero mean, unit variance, Leung et al. 2025).

Standardisation is defined once (`standardize_layer`: float64 sums in row-major order, each weight in float64
rounded once); the NumPy, ONNX and C backends must give the same weights one step at a time (here) and over a
free-running Ant rollout (`test_onnx_parity.py`, `test_c_backend.py`), as must the torch twin
(`tests/trainer/test_torch_twin.py`) and the exported C model (`test_c_export.py`). The artifact keeps
`normalize_weights` for "none" and "max" (older readers read those files as before) and adds `weight_norm` with
schema version 3 for "standardize" (older readers refuse it)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from hebbkit.runtime import ANT28, ConfigError, NetworkSpec, Policy, load_artifact, new_artifact, save_artifact
from hebbkit.runtime.artifact import METADATA_CHECKSUM_KEY, METADATA_KEY, metadata_checksum, schema_version_of
from hebbkit.runtime.errors import ArtifactSchemaError
from hebbkit.runtime.network import STANDARDIZE_EPSILON, reference_step, standardize_layer
from tests.conftest import random_observations

BACKENDS = ("numpy", "onnx", "c")
MODELS = Path(__file__).resolve().parents[2] / "models"


def literal_standardize(matrix: np.ndarray) -> np.ndarray:
    """The definition written out: sequential float64 sums in row-major order, each weight rounded once."""
    values = [float(v) for v in matrix.reshape(-1)]
    total = 0.0
    for value in values:
        total += value
    mean = total / len(values)
    squares = 0.0
    for value in values:
        squares += (value - mean) * (value - mean)
    deviation = math.sqrt(squares / len(values) + STANDARDIZE_EPSILON)
    return np.array([(value - mean) / deviation for value in values], dtype=np.float32).reshape(matrix.shape)


@pytest.mark.parametrize("magnitude", [1e-3, 1.0, 3e5, 1e30])
def test_standardize_layer_is_the_literal_definition_bit_for_bit(magnitude):
    rng = np.random.default_rng(int(math.log10(magnitude)) + 40)
    matrix = (rng.standard_normal((64, 8)) * magnitude * 10 ** rng.uniform(-3, 3, (64, 8))).astype(np.float32)
    expected = literal_standardize(matrix)
    got = standardize_layer(matrix)
    assert got is matrix  # in place
    np.testing.assert_array_equal(got, expected)
    assert abs(float(np.float64(got).mean())) < 1e-6 and abs(float(np.float64(got).std()) - 1) < 1e-3


def test_standardize_layer_keeps_a_constant_layer_finite_and_refuses_a_view():
    constant = np.full((3, 4), 7.0, dtype=np.float32)
    np.testing.assert_array_equal(standardize_layer(constant), np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        standardize_layer(np.ones((4, 4), np.float32)[:, :2])


def test_the_reference_step_standardises_every_layer_after_its_update():
    spec = NetworkSpec(layer_sizes=(5, 7, 3), activations=("tanh", "tanh"), weight_norm="standardize")
    artifact = new_artifact(spec, seed=1)
    weights = spec.initial_weights(2)
    _, updated = reference_step(spec, weights, list(artifact.expanded_coefficients), np.ones(5, np.float32))
    _, unnormalised = reference_step(NetworkSpec(layer_sizes=(5, 7, 3), activations=("tanh", "tanh")), weights,
                                     list(artifact.expanded_coefficients), np.ones(5, np.float32))
    for got, raw in zip(updated, unnormalised, strict=True):
        np.testing.assert_array_equal(got, literal_standardize(raw))


def test_weight_norm_is_checked():
    with pytest.raises(ConfigError, match="unknown weight_norm 'l2'"):
        NetworkSpec(weight_norm="l2")
    with pytest.raises(ConfigError, match="static network does not learn"):
        NetworkSpec(rule="static", weight_norm="standardize")


@pytest.mark.parametrize("rule", ["A", "ABC", "ABCD_lr", "ABCD_lr_D_in_and_out"])
def test_one_step_agrees_on_every_backend_with_the_reference(rule):
    """From identical weights, one step per backend: float32 tolerance against the literal reference (which does
    not fold eta, so it rounds differently) and the parity tests' tolerance between the backends."""
    spec = NetworkSpec(layer_sizes=(5, 7, 3), activations=("tanh", "sigmoid"), rule=rule, weight_norm="standardize")
    artifact = new_artifact(spec, seed=3)
    policies = {backend: Policy(artifact, backend, seed=0) for backend in BACKENDS}
    rng = np.random.default_rng(4)
    for observation in random_observations(5, 30, seed=5):
        state = [(rng.uniform(-1, 1, shape) * 10 ** rng.uniform(-1, 2)).astype(np.float32)
                 for shape in spec.layer_shapes]
        action, expected = reference_step(spec, state, list(artifact.expanded_coefficients), observation)
        results = {}
        for backend, policy in policies.items():
            policy.set_weights(state)
            results[backend] = (policy.step(observation).copy(), policy.weights)
            np.testing.assert_allclose(results[backend][0], action, rtol=1e-5, atol=1e-6)
            for got, want in zip(results[backend][1], expected, strict=True):
                np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
        for backend in ("onnx", "c"):
            np.testing.assert_allclose(results[backend][0], results["numpy"][0], rtol=0, atol=1e-5)
            for got, want in zip(results[backend][1], results["numpy"][1], strict=True):
                assert np.abs(got - want).max() <= 1e-6 * np.abs(want).max()


def test_max_mode_is_the_old_boolean_and_none_and_max_files_are_what_they_were(tmp_path):
    """"none" and "max" write `normalize_weights` (false, true) and no `weight_norm`, at the schema version they
    always had; files with only the boolean load as those modes."""
    for mode, flag, family in (("none", False, "synapse"), ("max", True, "synapse"), ("max", True, "neuron")):
        network = NetworkSpec(layer_sizes=(4, 3), activations=("tanh",), weight_norm=mode, family=family)
        data = network.to_dict()
        assert data["normalize_weights"] is flag and "weight_norm" not in data
        assert NetworkSpec.from_dict(data) == network
        assert schema_version_of(network) == (1 if family == "synapse" else 2)
    shipped = load_artifact(MODELS / "carracing-paper" / "model.npz")
    assert shipped.network.weight_norm == "max"


def test_a_standardized_artifact_is_schema_3_and_round_trips(tmp_path):
    artifact = new_artifact(NetworkSpec(weight_norm="standardize"), profile=ANT28, seed=0)
    metadata = artifact.metadata()
    assert metadata["schema_version"] == 3
    assert metadata["network"]["weight_norm"] == "standardize" and metadata["network"]["normalize_weights"] is False
    path = save_artifact(artifact, tmp_path / "standardized.npz")
    assert load_artifact(path).network.weight_norm == "standardize"


def test_contradicting_or_unknown_modes_in_a_file_are_refused(tmp_path):
    path = save_artifact(new_artifact(NetworkSpec(weight_norm="standardize"), profile=ANT28, seed=0),
                         tmp_path / "a.npz")
    with np.load(path, allow_pickle=False) as archive:
        members = {name: archive[name] for name in archive.files}
    metadata = json.loads(members[METADATA_KEY].tobytes())
    for fields, message in (({"normalize_weights": True}, "contradicts weight_norm 'standardize'"),
                            ({"weight_norm": "l2"}, "unknown weight_norm 'l2'"),
                            ({"weight_norm": 1}, "weight_norm should be a string")):
        edited = {**metadata, "network": {**metadata["network"], **fields}}
        edited[METADATA_CHECKSUM_KEY] = metadata_checksum(edited)  # a consistent file, so the field check is reached
        members[METADATA_KEY] = np.frombuffer(json.dumps(edited).encode(), dtype=np.uint8)
        np.savez(tmp_path / "bad.npz", **members)
        with pytest.raises(ArtifactSchemaError, match=message):
            load_artifact(tmp_path / "bad.npz")
    assert load_artifact(path).network.weight_norm == "standardize"  # the good file stays readable
