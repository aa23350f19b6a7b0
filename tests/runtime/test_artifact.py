"""The policy artifact: round trip, and a typed, explanatory error for every way a file can be bad."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from hebbkit.runtime import (
    ANT28,
    ArtifactChecksumError,
    ArtifactCorruptError,
    ArtifactError,
    ArtifactNotFoundError,
    ArtifactSchemaError,
    ArtifactShapeError,
    ArtifactValueError,
    NetworkSpec,
    PolicyArtifact,
    load_artifact,
    load_policy,
    new_artifact,
    read_metadata,
    save_artifact,
    tensor_checksum,
)
from hebbkit.runtime.artifact import METADATA_CHECKSUM_KEY, METADATA_KEY, metadata_checksum


def rewrite(path, source, *, metadata=None, tensors=None):
    """Write a new npz at `path` from `source`'s members, with replaced metadata and/or tensors. The metadata
    checksum is recorded anew (as the buggy writer of such a file would), so that the check under test is reached."""
    with np.load(source, allow_pickle=False) as archive:
        members = {name: archive[name] for name in archive.files}
    current = json.loads(members.pop(METADATA_KEY).tobytes())
    if metadata is not None:
        current = metadata(current)
    current[METADATA_CHECKSUM_KEY] = metadata_checksum(current)
    if tensors is not None:
        members = tensors(members)
    members[METADATA_KEY] = np.frombuffer(json.dumps(current).encode(), dtype=np.uint8)
    with open(path, "wb") as stream:
        np.savez(stream, **members)
    return path


@pytest.fixture
def saved(tmp_path, ant_artifact):
    return save_artifact(ant_artifact, tmp_path / "ant.npz")


def test_round_trip_is_bit_identical_with_equal_metadata(saved, ant_artifact):
    loaded = load_artifact(saved)
    for got, expected in zip(loaded.coefficients, ant_artifact.coefficients):
        assert got.dtype == np.float32
        assert got.tobytes() == expected.tobytes()
    assert loaded.metadata() == ant_artifact.metadata()
    assert loaded.network == ant_artifact.network
    assert loaded.profile == ANT28
    assert read_metadata(saved)["sha256"] == ant_artifact.sha256()


def test_metadata_carries_everything_a_consumer_needs(saved):
    metadata = read_metadata(saved)
    assert metadata["format"] == "hebbkit-policy" and metadata["schema_version"] == 1
    assert metadata["network"] == {
        "layer_sizes": [28, 128, 64, 8], "activations": ["tanh", "tanh", "tanh"], "rule": "ABCD_lr",
        "init": {"distribution": "uniform", "scale": 0.1}, "normalize_weights": False, "action_head": None,
        "frontend": None,
    }
    assert metadata["n_coefficients"] == 61_440
    assert metadata["profile"]["joint_names"][:2] == ["hip_1", "ankle_1"]
    assert metadata["control_period"] == 0.0165
    assert {"command", "seed", "git_commit", "generations", "fitness", "created"} <= set(metadata["provenance"])
    assert metadata["tensors"]["coefficients/1"] == {"shape": [128, 64, 5], "dtype": "float32"}


def test_static_tensors_round_trip(tmp_path):
    spec = NetworkSpec(layer_sizes=(4, 3), activations=("tanh",))
    base = new_artifact(spec, seed=0)
    conv = np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2)
    artifact = PolicyArtifact(spec, base.coefficients, base.profile, 0.02, {}, {"conv0": conv})
    loaded = load_artifact(save_artifact(artifact, tmp_path / "c.npz"))
    np.testing.assert_array_equal(loaded.static_tensors["conv0"], conv)


def test_the_file_is_not_a_pickle(saved):
    with zipfile.ZipFile(saved) as archive:
        names = archive.namelist()
    assert all(name.endswith(".npy") for name in names)
    with np.load(saved, allow_pickle=False) as archive:
        assert all(archive[name].dtype != object for name in archive.files)


def test_saving_is_atomic_and_leaves_no_temporary_files(tmp_path, ant_artifact):
    save_artifact(ant_artifact, tmp_path / "a.npz")
    save_artifact(ant_artifact, tmp_path / "a.npz")  # overwrite in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz"]


def test_save_refuses_non_finite_coefficients(tmp_path, small_artifact):
    bad = small_artifact.coefficients[0].copy()
    bad[0, 0, 0] = np.nan
    broken = PolicyArtifact(small_artifact.network, (bad, small_artifact.coefficients[1]), small_artifact.profile,
                            0.01)
    with pytest.raises(ArtifactValueError, match="coefficients/0 holds 1 non-finite"):
        save_artifact(broken, tmp_path / "bad.npz")
    assert not (tmp_path / "bad.npz").exists()


def test_profile_must_match_the_network():
    with pytest.raises(ArtifactShapeError, match="28 observations, the network expects 4 inputs"):
        new_artifact(NetworkSpec(layer_sizes=(4, 8), activations=("tanh",)), profile=ANT28)


# ------------------------------------------------------------------------------------------- corruption cases


def test_missing_file(tmp_path):
    with pytest.raises(ArtifactNotFoundError, match="no policy artifact at"):
        load_artifact(tmp_path / "nope.npz")


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(ArtifactCorruptError, match="is a directory"):
        load_artifact(tmp_path)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_truncated_file(tmp_path, saved, keep):
    data = saved.read_bytes()
    path = tmp_path / "truncated.npz"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ArtifactCorruptError, match="truncated, damaged or of another format"):
        load_artifact(path)


def test_flipped_bytes_inside_a_tensor(tmp_path, saved):
    data = bytearray(saved.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the largest tensor's data
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(data))
    with pytest.raises((ArtifactCorruptError, ArtifactChecksumError)):
        load_artifact(path)


def test_not_an_npz_at_all(tmp_path):
    path = tmp_path / "model.npz"
    path.write_text("this is not a zip file")
    with pytest.raises(ArtifactCorruptError, match=r"cannot read as a \.npz"):
        load_artifact(path)


def test_npz_without_metadata(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(ArtifactSchemaError, match="no '__metadata__' member"):
        load_artifact(path)


def test_metadata_that_is_not_json(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, **{METADATA_KEY: np.frombuffer(b"{not json", dtype=np.uint8)})
    with pytest.raises(ArtifactCorruptError, match="not valid UTF-8 JSON"):
        load_artifact(path)


def test_checksum_mismatch(tmp_path, saved):
    def tamper(members):
        members["coefficients/2"] = members["coefficients/2"] * 1.0001
        return members

    path = rewrite(tmp_path / "tampered.npz", saved, tensors=tamper)
    with pytest.raises(ArtifactChecksumError, match="modified or damaged after it was written"):
        load_artifact(path)


@pytest.mark.parametrize("version, hint", [(4, "newer hebbkit"), (0, "reads 1, 2 and 3"), ("1", "reads 1, 2 and 3"),
                                           (None, "reads 1, 2 and 3"), (True, "reads 1, 2 and 3")])
def test_unknown_schema_version(tmp_path, saved, version, hint):
    path = rewrite(tmp_path / "v.npz", saved, metadata=lambda m: {**m, "schema_version": version})
    with pytest.raises(ArtifactSchemaError, match=hint):
        load_artifact(path)


def test_wrong_format_name(tmp_path, saved):
    path = rewrite(tmp_path / "f.npz", saved, metadata=lambda m: {**m, "format": "something-else"})
    with pytest.raises(ArtifactSchemaError, match="format should be 'hebbkit-policy'"):
        load_artifact(path)


def test_missing_metadata_field(tmp_path, saved):
    def drop(metadata):
        del metadata["network"]["rule"]
        return metadata

    path = rewrite(tmp_path / "d.npz", saved, metadata=drop)
    with pytest.raises(ArtifactSchemaError, match="malformed metadata"):
        load_artifact(path)


def test_shapes_that_disagree_with_the_metadata(tmp_path, saved):
    def resize(metadata):
        metadata["network"]["layer_sizes"] = [28, 100, 64, 8]
        return metadata

    path = rewrite(tmp_path / "s.npz", saved, metadata=resize)
    with pytest.raises(ArtifactShapeError, match=r"coefficients/0 should be \[in, out, k\] = \[28, 100, 5\]"):
        load_artifact(path)


def test_tensor_shape_differs_from_its_declaration(tmp_path, saved):
    def swap(members):
        members["coefficients/2"] = members["coefficients/2"][:, :4]
        return members

    path = rewrite(tmp_path / "t.npz", saved, tensors=swap)
    with pytest.raises(ArtifactShapeError, match=r"should be float32 \[64, 8, 5\], found float32 \[64, 4, 5\]"):
        load_artifact(path)


def test_wrong_dtype(tmp_path, saved):
    def widen(members):
        members["coefficients/0"] = members["coefficients/0"].astype(np.float64)
        return members

    path = rewrite(tmp_path / "w.npz", saved, tensors=widen)
    with pytest.raises(ArtifactShapeError, match="found float64"):
        load_artifact(path)


def test_missing_tensor(tmp_path, saved):
    def drop(members):
        del members["coefficients/1"]
        return members

    path = rewrite(tmp_path / "m.npz", saved, tensors=drop)
    with pytest.raises(ArtifactShapeError, match="metadata declares tensors"):
        load_artifact(path)


def test_non_finite_coefficients_with_a_valid_checksum(tmp_path, saved):
    def poison(members):
        members["coefficients/1"] = members["coefficients/1"].copy()
        members["coefficients/1"][3, 4, 0] = np.inf
        return members

    def rechecksum(metadata):
        with np.load(tmp_path / "n.npz", allow_pickle=False) as archive:
            tensors = {n: archive[n] for n in archive.files if n != METADATA_KEY}
        return {**metadata, "sha256": tensor_checksum(tensors)}

    rewrite(tmp_path / "n.npz", saved, tensors=poison)
    path = rewrite(tmp_path / "n2.npz", tmp_path / "n.npz", metadata=rechecksum)
    with pytest.raises(ArtifactValueError, match="coefficients/1 holds 1 non-finite values"):
        load_artifact(path)


def test_every_artifact_error_is_a_value_error_and_load_policy_raises_them_too(tmp_path):
    path = tmp_path / "x.npz"
    path.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ArtifactError) as caught:
        load_policy(path)
    assert isinstance(caught.value, ValueError)


def test_checksum_depends_on_names_shapes_and_values():
    a = np.zeros((2, 3), np.float32)
    base = tensor_checksum({"x": a})
    assert tensor_checksum({"y": a}) != base
    assert tensor_checksum({"x": a.reshape(3, 2)}) != base
    assert tensor_checksum({"x": a + 1}) != base
    assert tensor_checksum({"x": a.copy()}) == base
