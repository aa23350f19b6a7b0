"""Rule families: hand-computed expansions, counts, artifact round trip, NumPy/ONNX parity, clear errors."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from hebbkit.runtime import (
    ANT28,
    FAMILIES,
    ArtifactChecksumError,
    ArtifactSchemaError,
    ArtifactShapeError,
    ConfigError,
    NetworkSpec,
    Policy,
    PolicyArtifact,
    fold_coefficients,
    get_family,
    get_rule,
    hebbian_update,
    load_artifact,
    new_artifact,
    read_metadata,
    reference_step,
    save_artifact,
    tensor_checksum,
)
from hebbkit.runtime.artifact import METADATA_CHECKSUM_KEY, METADATA_KEY, artifact_to_bytes, metadata_checksum
from hebbkit.runtime.bench import observation_stream
from hebbkit.runtime.errors import MissingChecksumWarning

ROOT = Path(__file__).resolve().parents[2]
ABCD_LR = get_rule("ABCD_lr")

# ------------------------------------------------------------------------------------------------ neuron family

# A 2-2-2 network, rule ABCD_lr. Per neuron, in this package's letters (A: pre*post, B: pre, C: post); input neurons
# carry no C, output neurons no B. Ferigo et al. write the same rule with their A = our B, B = our C, C = our A.
NEURONS = [
    [{"A": 1.0, "B": 0.5, "eta": 0.2, "D": 2.0}, {"A": -1.0, "B": 0.25, "eta": 0.4, "D": -0.5}],
    [{"A": 2.0, "B": -1.0, "C": 0.5, "eta": 0.6, "D": 1.0}, {"A": 0.5, "B": 1.0, "C": -2.0, "eta": 1.0, "D": 3.0}],
    [{"A": 1.5, "C": 0.1, "eta": 0.3, "D": -1.0}, {"A": -0.5, "C": 1.0, "eta": 0.1, "D": 0.5}],
]
ROLES_BY_LAYER = [("A", "B", "eta", "D"), ("A", "B", "C", "eta", "D"), ("A", "C", "eta", "D")]
ACTIVITY = [np.array([0.5, -1.0], np.float32), np.array([2.0, 0.25], np.float32), np.array([-0.5, 1.5], np.float32)]


def neuron_tensors() -> list[np.ndarray]:
    return [np.array([[neuron[role] for role in roles] for neuron in layer], np.float32)
            for layer, roles in zip(NEURONS, ROLES_BY_LAYER, strict=True)]


def neuron_centric_dw(layer: int, i: int, j: int) -> float:
    """Ferigo et al.'s rule for synapse i -> j, literally: ((eta_i + eta_j)/2) * (their A_i o_i + B_j o_j +
    (C_i o_i)(C_j o_j) + D_i D_j), written in this package's letters."""
    pre, post = NEURONS[layer][i], NEURONS[layer + 1][j]
    o_i, o_j = float(ACTIVITY[layer][i]), float(ACTIVITY[layer + 1][j])
    m = (pre["eta"] + post["eta"]) / 2
    return m * (pre["B"] * o_i + post["C"] * o_j + (pre["A"] * o_i) * (post["A"] * o_j) + pre["D"] * post["D"])


def test_neuron_family_stores_what_each_neuron_uses():
    spec = NetworkSpec(layer_sizes=(2, 2, 2), activations=("tanh", "tanh"), family="neuron")
    assert [(t.name, t.shape, t.roles) for t in spec.compact_tensors] == [
        ("family/neurons/0", (2, 4), ROLES_BY_LAYER[0]),
        ("family/neurons/1", (2, 5), ROLES_BY_LAYER[1]),
        ("family/neurons/2", (2, 4), ROLES_BY_LAYER[2]),
    ]
    assert spec.n_coefficients == 5 * 6 - 2 - 2


def test_neuron_family_hand_computed_synapses():
    # layer 0, synapse 0 -> 1: m = (0.2 + 1.0)/2 = 0.6; A: 1*0.5 * 0.5*0.25 = 0.0625, B: 0.5*0.5 = 0.25,
    # C: -2*0.25 = -0.5, D: 2*3 = 6; dw = 0.6 * 5.8125 = 3.4875
    assert neuron_centric_dw(0, 0, 1) == pytest.approx(3.4875)
    # layer 0, synapse 1 -> 0: m = 0.5; A: (-1*-1)*(2*2) = 4, B: 0.25*-1, C: 0.5*2, D: -0.5*1; dw = 0.5 * 4.25
    assert neuron_centric_dw(0, 1, 0) == pytest.approx(2.125)
    spec = NetworkSpec(layer_sizes=(2, 2, 2), activations=("tanh", "tanh"), family="neuron")
    expanded = spec.expand_coefficients(neuron_tensors())
    assert [c.shape for c in expanded] == spec.coefficient_shapes
    zeros = np.zeros((2, 2), np.float32)
    for layer, coefficients in enumerate(expanded):
        pre, post = ACTIVITY[layer], ACTIVITY[layer + 1]
        expected = np.array([[neuron_centric_dw(layer, i, j) for j in range(2)] for i in range(2)])
        np.testing.assert_allclose(hebbian_update(ABCD_LR, zeros, coefficients, pre, post), expected, rtol=1e-6)
        folded = fold_coefficients(ABCD_LR, coefficients)
        np.testing.assert_allclose(pre[:, None] * (folded.a * post + folded.b) + (folded.c * post + folded.d),
                                   expected, rtol=1e-6)


def test_neuron_family_folds_as_the_architecture_says():
    spec = NetworkSpec(layer_sizes=(2, 2, 2), activations=("tanh", "tanh"), family="neuron")
    for layer, coefficients in enumerate(spec.expand_coefficients(neuron_tensors())):
        folded = fold_coefficients(ABCD_LR, coefficients)
        pre, post = NEURONS[layer], NEURONS[layer + 1]
        m = np.array([[(p["eta"] + q["eta"]) / 2 for q in post] for p in pre])
        np.testing.assert_allclose(folded.a, m * np.array([[p["A"] * q["A"] for q in post] for p in pre]), rtol=1e-6)
        np.testing.assert_allclose(folded.b, m * np.array([[p["B"] for _ in post] for p in pre]), rtol=1e-6)
        np.testing.assert_allclose(folded.c, m * np.array([[q["C"] for q in post] for _ in pre]), rtol=1e-6)
        np.testing.assert_allclose(folded.d, m * np.array([[p["D"] * q["D"] for q in post] for p in pre]), rtol=1e-6)


def test_a_hidden_neuron_acts_in_both_of_its_layers():
    spec = NetworkSpec(layer_sizes=(2, 2, 2), activations=("tanh", "tanh"), family="neuron")
    before = spec.expand_coefficients(neuron_tensors())
    changed = neuron_tensors()
    changed[1][0, ROLES_BY_LAYER[1].index("eta")] += 1.0  # hidden neuron 0: post in layer 0, pre in layer 1
    after = spec.expand_coefficients(changed)
    eta = ABCD_LR.index("eta")
    np.testing.assert_allclose(after[0][:, 0, eta] - before[0][:, 0, eta], 0.5)
    np.testing.assert_allclose(after[1][0, :, eta] - before[1][0, :, eta], 0.5)
    np.testing.assert_array_equal(after[0][:, 1], before[0][:, 1])
    np.testing.assert_array_equal(after[1][1], before[1][1])


# ---------------------------------------------------------------------------------------------- diagonal family


@pytest.mark.parametrize("rule", ["A", "AD_lr", "ABCD_lr", "ABCD_lr_D_in_and_out"])
def test_diagonal_family_shares_a_rule_along_each_diagonal(rule):
    spec = NetworkSpec(layer_sizes=(3, 4, 2), activations=("tanh", "tanh"), rule=rule, family="diagonal")
    k = get_rule(rule).n_coefficients
    assert [t.shape for t in spec.compact_tensors] == [(3 + 4 - 1, k), (4 + 2 - 1, k)]
    rng = np.random.default_rng(0)
    compact = [rng.standard_normal(t.shape).astype(np.float32) for t in spec.compact_tensors]
    for (n_in, n_out), rules, coefficients in zip(spec.layer_shapes, compact, spec.expand_coefficients(compact),
                                                  strict=True):
        assert coefficients.shape == (n_in, n_out, k)
        for i in range(n_in):
            for j in range(n_out):
                np.testing.assert_array_equal(coefficients[i, j], rules[i + j])
        assert len(np.unique(coefficients.reshape(-1, k), axis=0)) == n_in + n_out - 1


def test_diagonal_family_update_is_the_rule_numbered_i_plus_j():
    spec = NetworkSpec(layer_sizes=(2, 2), activations=("tanh",), family="diagonal")
    rules = np.array([[1.0, 0.5, -1.0, 0.1, 0.2], [2.0, 0.0, 1.0, 1.0, -0.5], [0.5, -0.5, 0.25, 2.0, 1.0]],
                     np.float32)  # A, B, C, eta, D of rules 0, 1, 2
    (coefficients,) = spec.expand_coefficients([rules])
    pre, post = ACTIVITY[0], ACTIVITY[1]
    expected = np.array([[rules[i + j][3] * (rules[i + j][0] * pre[i] * post[j] + rules[i + j][1] * pre[i]
                                             + rules[i + j][2] * post[j] + rules[i + j][4]) for j in range(2)]
                         for i in range(2)])
    # synapse (0, 0), rule 0: 0.1 * (1*0.5*2 + 0.5*0.5 - 1*2 + 0.2) = 0.1 * -0.55
    assert expected[0, 0] == pytest.approx(-0.055)
    updated = hebbian_update(ABCD_LR, np.zeros((2, 2), np.float32), coefficients, pre, post)
    np.testing.assert_allclose(updated, expected, rtol=1e-6)


# --------------------------------------------------------------------------------------------- counts and table


def test_ant_counts_per_family():
    assert NetworkSpec().n_coefficients == 61_440
    assert NetworkSpec(family="neuron").n_coefficients == 5 * (28 + 128 + 64 + 8) - 28 - 8 == 1_104
    assert NetworkSpec(family="diagonal").n_coefficients == (155 + 191 + 71) * 5 == 2_085
    for family in FAMILIES:  # every family runs the same per-synapse tensors
        assert NetworkSpec(family=family).coefficient_shapes == [(28, 128, 5), (128, 64, 5), (64, 8, 5)]


def test_neuron_family_with_rules_other_than_abcd_lr():
    sizes = (28, 128, 64, 8)
    assert NetworkSpec(rule="A", family="neuron").n_coefficients == sum(sizes)
    assert NetworkSpec(rule="AD_lr", family="neuron").n_coefficients == 3 * sum(sizes)
    assert NetworkSpec(rule="ABCD_lr_D_in_and_out", family="neuron").n_coefficients == 6 * sum(sizes) - 28 - 8


def test_synapse_family_expands_to_its_own_tensors(small_artifact):
    assert small_artifact.network.family == "synapse"
    assert all(e is c for e, c in zip(small_artifact.expanded_coefficients, small_artifact.coefficients,
                                      strict=True))


def test_unknown_family_names_the_known_ones():
    with pytest.raises(ConfigError, match=r"unknown rule family 'cluster'; expected one of \['diagonal', 'neuron', "
                                          r"'synapse'\]"):
        NetworkSpec(family="cluster")
    with pytest.raises(ConfigError, match="diagonal"):
        get_family("per-layer")


def test_a_static_network_has_no_family():
    with pytest.raises(ConfigError, match="family must be 'synapse'"):
        NetworkSpec(rule="static", family="neuron")


def test_spec_dict_names_the_family_only_when_it_is_not_synapse():
    assert "family" not in NetworkSpec().to_dict()
    spec = NetworkSpec(family="diagonal")
    assert spec.to_dict()["family"] == "diagonal"
    assert NetworkSpec.from_dict(spec.to_dict()) == spec


def test_expanding_a_wrongly_shaped_tensor_is_a_config_error():
    spec = NetworkSpec(layer_sizes=(2, 2, 2), activations=("tanh", "tanh"), family="neuron")
    tensors = neuron_tensors()
    tensors[0] = np.zeros((2, 5), np.float32)
    with pytest.raises(ConfigError, match=r"'family/neurons/0', \[2, 4\]"):
        spec.expand_coefficients(tensors)


# ------------------------------------------------------------------------------------------------- the artifact


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_artifact_round_trip(tmp_path, family):
    artifact = new_artifact(NetworkSpec(family=family), profile=ANT28, seed=4)
    path = save_artifact(artifact, tmp_path / f"{family}.npz")
    loaded = load_artifact(path)
    assert loaded.network == artifact.network and loaded.network.family == family
    assert loaded.metadata() == artifact.metadata()
    for got, expected in zip(loaded.coefficients, artifact.coefficients, strict=True):
        assert got.tobytes() == expected.tobytes()
    for got, expected in zip(loaded.expanded_coefficients, artifact.expanded_coefficients, strict=True):
        assert got.tobytes() == expected.tobytes()
    metadata = read_metadata(path)
    assert metadata["n_coefficients"] == NetworkSpec(family=family).n_coefficients
    assert sorted(metadata["tensors"]) == sorted(t.name for t in artifact.network.compact_tensors)
    assert metadata["schema_version"] == (1 if family == "synapse" else 2)
    assert metadata["network"].get("family", "synapse") == family


def rewrite(path: Path, source: Path, change, rechecksum: bool = True) -> Path:
    """Copy `source` to `path` with `change(members, metadata)` applied (and the tensor checksum redone if asked;
    the metadata checksum always is, so that the check under test is reached)."""
    with np.load(source, allow_pickle=False) as archive:
        members = {name: archive[name] for name in archive.files}
    metadata = json.loads(members.pop(METADATA_KEY).tobytes())
    change(members, metadata)
    metadata["tensors"] = {n: {"shape": list(a.shape), "dtype": "float32"} for n, a in members.items()}
    if rechecksum:
        metadata["sha256"] = tensor_checksum(members)
    metadata[METADATA_CHECKSUM_KEY] = metadata_checksum(metadata)
    members[METADATA_KEY] = np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8)
    with open(path, "wb") as stream:
        np.savez(stream, **members)
    return path


@pytest.fixture
def saved_neuron(tmp_path) -> Path:
    return save_artifact(new_artifact(NetworkSpec(family="neuron"), profile=ANT28, seed=0), tmp_path / "n.npz")


def test_malformed_compact_tensor_shape_says_what_was_expected(tmp_path, saved_neuron):
    def widen(members, metadata):
        members["family/neurons/0"] = np.zeros((28, 5), np.float32)

    path = rewrite(tmp_path / "wide.npz", saved_neuron, widen)
    with pytest.raises(ArtifactShapeError, match=r"family/neurons/0 should be \[neurons, k\] = \[28, 4\] for layer "
                                                 r"sizes \[28, 128, 64, 8\] and rule ABCD_lr, family neuron "
                                                 r"\(k = 4: A, B, eta, D\), found \[28, 5\]"):
        load_artifact(path)
    artifact = load_artifact(saved_neuron)
    broken = PolicyArtifact(artifact.network, artifact.coefficients[:-1], ANT28, 0.0165)
    with pytest.raises(ArtifactShapeError, match=r"needs 4 coefficient tensors .*found 3"):
        save_artifact(broken, tmp_path / "short.npz")


def test_tensors_of_another_family_are_refused(tmp_path, saved_neuron):
    def per_synapse(members, metadata):
        del members["family/neurons/3"]
        members["coefficients/2"] = np.zeros((64, 8, 5), np.float32)

    path = rewrite(tmp_path / "mixed.npz", saved_neuron, per_synapse)
    with pytest.raises(ArtifactShapeError, match=r"rule family 'neuron' needs tensors \['family/neurons/0', "):
        load_artifact(path)


def test_unknown_family_in_a_file(tmp_path, saved_neuron):
    def rename(members, metadata):
        metadata["network"]["family"] = "cluster"

    path = rewrite(tmp_path / "cluster.npz", saved_neuron, rename)
    with pytest.raises(ArtifactSchemaError, match=r"unknown rule family 'cluster'; expected one of \['diagonal'"):
        load_artifact(path)


def test_the_checksum_covers_the_compact_tensors(tmp_path, saved_neuron):
    def tamper(members, metadata):
        members["family/neurons/2"] = members["family/neurons/2"] * 1.0001

    path = rewrite(tmp_path / "tampered.npz", saved_neuron, tamper, rechecksum=False)
    with pytest.raises(ArtifactChecksumError):
        load_artifact(path)


SHIPPED_SYNAPSE_MODELS = ["ant-paper", "ant-robust", "ant-static", "servo-proprio"]
PROFILE_IDENTITY = {"robot", "observation", "joint_limits"}  # profile fields written since the profile registry


def assert_rewrites_unchanged(path: Path, tmp_path: Path) -> None:
    """Loading `path` and writing it again keeps every tensor and metadata field; it gains only what newer writers
    add (the metadata checksum, the profile's explicit identity)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingChecksumWarning)  # the files written before it: expected here
        artifact = load_artifact(path)
    shipped = read_metadata(path)
    shipped.pop(METADATA_CHECKSUM_KEY, None)
    rewritten = tmp_path / "rewritten.npz"
    rewritten.write_bytes(artifact_to_bytes(artifact))
    metadata = read_metadata(rewritten)
    assert metadata.pop(METADATA_CHECKSUM_KEY) == metadata_checksum(metadata)
    added = set(metadata["profile"]) - set(shipped["profile"])
    assert added <= PROFILE_IDENTITY
    for key in added:
        metadata["profile"].pop(key)
    assert metadata == shipped  # same fields otherwise, same schema version 1: older readers keep reading it
    with np.load(path) as before, np.load(rewritten) as after:
        assert before.files == after.files
        assert all(before[name].tobytes() == after[name].tobytes() for name in before.files if name != METADATA_KEY)


@pytest.mark.parametrize("model", SHIPPED_SYNAPSE_MODELS)
def test_shipped_models_load_as_synapse_family_and_rewrite_unchanged(model, tmp_path):
    path = ROOT / "models" / model / "model.npz"
    assert load_artifact(path).network.family == "synapse"
    shipped = read_metadata(path)
    assert shipped["schema_version"] == 1 and "family" not in shipped["network"]  # the default family is implicit
    assert_rewrites_unchanged(path, tmp_path)


def test_a_file_written_before_metadata_checksums_and_profile_identity_loads_and_rewrites_unchanged(tmp_path):
    """The oldest schema-1 files (some shipped models were written so) carry neither the metadata checksum nor the
    profile's explicit identity: their fields are validated instead, and nothing else about them changes."""
    current = save_artifact(new_artifact(NetworkSpec(), profile=ANT28, seed=4), tmp_path / "current.npz")
    with np.load(current) as archive:
        members = {name: archive[name] for name in archive.files}
    metadata = json.loads(members[METADATA_KEY].tobytes())
    del metadata[METADATA_CHECKSUM_KEY]
    for key in PROFILE_IDENTITY & set(metadata["profile"]):
        del metadata["profile"][key]
    members[METADATA_KEY] = np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8)
    old = tmp_path / "old.npz"
    with open(old, "wb") as stream:
        np.savez(stream, **members)
    assert_rewrites_unchanged(old, tmp_path)


# ------------------------------------------------------------------------------------------------- the backends


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_onnx_runtime_step_equals_numpy_step(family):
    artifact = new_artifact(NetworkSpec(family=family), profile=ANT28, seed=2)
    numpy_policy, onnx_policy = (Policy(artifact, backend, seed=3) for backend in ("numpy", "onnx"))
    for observation in observation_stream(28, 300, seed=5):
        np.testing.assert_allclose(onnx_policy.step(observation), numpy_policy.step(observation), rtol=0, atol=1e-5)
        for got, expected in zip(onnx_policy.backend.weights, numpy_policy.backend.weights, strict=True):
            assert np.abs(got - expected).max() <= 1e-6 * np.abs(expected).max()
    assert numpy_policy.stats.guard_resets == onnx_policy.stats.guard_resets == 0


@pytest.mark.parametrize("family", ["neuron", "diagonal"])
def test_numpy_backend_equals_the_reference_step_on_expanded_coefficients(family):
    artifact = new_artifact(NetworkSpec(family=family), profile=ANT28, seed=1)
    policy = Policy(artifact, "numpy", seed=0)
    weights = policy.weights
    for observation in observation_stream(28, 50, seed=2):
        expected, weights = reference_step(artifact.network, weights, list(artifact.expanded_coefficients),
                                           observation)
        np.testing.assert_allclose(policy.step(observation), expected, rtol=1e-5, atol=1e-5)
        for got, expected_weights in zip(policy.weights, weights, strict=True):
            np.testing.assert_allclose(got, expected_weights, rtol=1e-5, atol=1e-5 * np.abs(expected_weights).max())
        policy.set_weights(weights)  # one step at a time from the reference state, as in test_policy


def test_onnx_graph_is_the_same_for_every_family():
    from hebbkit.runtime.onnx_graph import build_step_model

    graphs = {family: build_step_model(new_artifact(NetworkSpec(family=family), profile=ANT28, seed=0)).graph
              for family in FAMILIES}
    shapes = {family: ([n.op_type for n in g.node], [(i.name, list(i.dims)) for i in g.initializer])
              for family, g in graphs.items()}
    assert shapes["neuron"] == shapes["diagonal"] == shapes["synapse"]


def test_new_and_inspect_name_the_family_and_its_count(tmp_path, capsys):
    from hebbkit.runtime.cli import InspectConfig, NewConfig, run_inspect, run_new

    path = tmp_path / "neuron.npz"
    assert run_new(NewConfig(output=path, family="neuron")) == 0
    assert "UNTRAINED rule ABCD_lr (neuron family)" in capsys.readouterr().out
    assert run_inspect(InspectConfig(artifact=path)) == 0
    out = capsys.readouterr().out
    assert "rule         ABCD_lr, family neuron, 1,104 coefficients" in out
    assert "coefficients family/neurons/3: mean |c|" in out and "expanded     61,440 per-synapse" in out
    assert "schema v2" in out and "validation   OK" in out
