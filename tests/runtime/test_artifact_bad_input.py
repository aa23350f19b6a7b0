"""Bad artifact files: one corpus of malformed, tampered and oversized files, built in tmp_path from a valid one.

What is guaranteed, for every file of the corpus:
- `load_artifact` raises a subclass of `ArtifactError` (a `HebbkitError`), never MemoryError, TypeError, KeyError,
  OverflowError or a plain ValueError; its message is one line that names the file and what was expected/found;
- `hebbkit inspect` reports it as "validation   FAILED: <error>" in one line and exits 1, without a traceback;
- sizes are checked before data is read: a `.npy` header or a metadata declaration of 13 TiB is refused without
  allocating it, and an undeclared or oversized zip member (64 MB of zeros here) is refused without being read;
- `metadata_sha256` covers every metadata field but itself (so a changed action limit or scale is detected);
  files written before it existed load, verified by their tensor `sha256` as before, with a
  `MissingChecksumWarning` (a `warning` line in `hebbkit inspect`); every shipped artifact carries it;
- physical and metadata fields are bounded even when the checksums match: finite action limits, scales and offsets
  (|x| <= 1e6, low <= high), finite observation scales and offsets, 0 < observation_clip <= 1e6, measurement
  indices in [0, 4095], 0 < control_period <= 60 s, 0 <= init.scale <= 1e3, at most 4,194,304 plastic weights.
"""

from __future__ import annotations

import io
import json
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from hebbkit.runtime import (
    ANT28,
    ArtifactChecksumError,
    ArtifactCorruptError,
    ArtifactError,
    ArtifactSchemaError,
    ArtifactShapeError,
    ArtifactValueError,
    HebbkitError,
    NetworkSpec,
    load_artifact,
    new_artifact,
    read_metadata,
    save_artifact,
)
from hebbkit.runtime.artifact import METADATA_CHECKSUM_KEY, METADATA_KEY, metadata_checksum
from hebbkit.runtime.cli import InspectConfig, run_inspect
from hebbkit.runtime.errors import ArtifactTooLargeError, MissingChecksumWarning

ROOT = Path(__file__).resolve().parents[2]
META = f"{METADATA_KEY}.npy"
TEBIBYTES_13 = 13 * 2**40
BIG_MEMBER = 64 * 2**20  # bytes of zeros in the oversized members (deflated to ~64 kB in the file)

Members = dict[str, bytes]


# ------------------------------------------------------------------------------------------------- builders


def npy(array: np.ndarray) -> bytes:
    """The bytes `numpy.save` writes for `array`."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_header(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    """A version 1.0 `.npy` header alone (no data)."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def read_members(path: Path) -> Members:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_members(path: Path, members: Members, compression: int = zipfile.ZIP_STORED) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate-name case, which is the point
        with zipfile.ZipFile(path, "w", compression) as archive:
            for name, data in members.items():
                archive.writestr(name.split("#")[0], data)  # "#" lets a dict hold the same member name twice
    return path


def metadata_of(members: Members) -> dict:
    return json.loads(np.load(io.BytesIO(members[META])).tobytes())


def json_member(text: str | bytes) -> bytes:
    return npy(np.frombuffer(text.encode() if isinstance(text, str) else text, dtype=np.uint8))


Edit = Callable[[Path, Path], Path]


def metadata_edit(change: Callable[[dict], object], reseal: bool = True) -> Edit:
    """Apply `change` to the metadata (in place, or return the replacement), then record the metadata checksum
    anew if `reseal` (as the buggy writer of such a file would), so that the check under test is reached."""

    def build(base: Path, path: Path) -> Path:
        members = read_members(base)
        metadata = metadata_of(members)
        replaced = change(metadata)
        metadata = metadata if replaced is None else replaced
        if reseal and isinstance(metadata, dict):
            metadata[METADATA_CHECKSUM_KEY] = metadata_checksum(metadata)
        members[META] = json_member(json.dumps(metadata))
        return write_members(path, members)

    return build


def put(keys: tuple[str, ...], value: object, reseal: bool = True) -> Edit:
    """Set metadata[keys[0]][keys[1]]... to `value`."""

    def change(metadata: dict) -> None:
        target = metadata
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return metadata_edit(change, reseal)


def raw_metadata(text: str | bytes) -> Edit:
    """Replace the metadata member's JSON bytes verbatim."""

    def build(base: Path, path: Path) -> Path:
        members = read_members(base)
        members[META] = json_member(text)
        return write_members(path, members)

    return build


def scale_literal(literal: str) -> Edit:
    """`network.init.scale` written as the JSON number `literal` (resealed as it parses)."""

    def build(base: Path, path: Path) -> Path:
        members = read_members(base)
        metadata = metadata_of(members)
        metadata["network"]["init"]["scale"] = json.loads(literal)
        metadata[METADATA_CHECKSUM_KEY] = metadata_checksum(metadata)
        text = json.dumps(metadata).replace('"scale": Infinity', f'"scale": {literal}')
        members[META] = json_member(text)
        return write_members(path, members)

    return build


def members_edit(change: Callable[[Members], None], compression: int = zipfile.ZIP_STORED) -> Edit:
    def build(base: Path, path: Path) -> Path:
        members = read_members(base)
        change(members)
        return write_members(path, members, compression)

    return build


def streamed_member(base: Path, path: Path, name: str, head: bytes, zeros: int) -> Path:
    """`base`'s members plus member `name` = `head` followed by `zeros` zero bytes, deflated, written in chunks."""
    write_members(path, read_members(base))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive, archive.open(name, "w", force_zip64=True) as out:
        out.write(head)
        chunk = bytes(2**20)
        for _ in range(zeros // len(chunk)):
            out.write(chunk)
    return path


def drop_member(name: str) -> Callable[[Members], None]:
    return lambda members: members.pop(name) and None


def set_member(name: str, data: bytes) -> Callable[[Members], None]:
    return lambda members: members.__setitem__(name, data)


# ------------------------------------------------------------------------------------------------- the corpus

ANT_ACTIONS = len(ANT28.action_names)

CASES: list[tuple[str, Edit, type[ArtifactError], str]] = [
    # the metadata checksum: any change after writing is detected
    ("action_high 1 -> 9", put(("profile", "action_high"), [9.0] * ANT_ACTIONS, reseal=False),
     ArtifactChecksumError, "sha256 of the metadata"),
    ("action_scale inf", put(("profile", "action_scale"), [float("inf")] * ANT_ACTIONS, reseal=False),
     ArtifactChecksumError, "sha256 of the metadata"),
    ("control_period changed", put(("control_period",), 0.02, reseal=False),
     ArtifactChecksumError, "modified or damaged after it was written"),
    ("provenance changed", put(("provenance", "fitness"), 1e9, reseal=False),
     ArtifactChecksumError, "sha256 of the metadata"),
    ("metadata checksum replaced", put((METADATA_CHECKSUM_KEY,), "0" * 64, reseal=False),
     ArtifactChecksumError, "sha256 of the metadata"),
    ("tensor checksum replaced", put(("sha256",), "0" * 64), ArtifactChecksumError, "sha256 of the tensors"),
    # the JSON kind of every field read
    ("tensor shape null", put(("tensors", "coefficients/0", "shape"), None),
     ArtifactSchemaError, r"field tensors\['coefficients/0'\].shape should be a list of integers >= 0, found None"),
    ("tensor shape negative", put(("tensors", "coefficients/0", "shape"), [-28, 6, 5]),
     ArtifactSchemaError, "should be a list of integers >= 0"),
    ("tensor dtype float64", put(("tensors", "coefficients/0", "dtype"), "float64"),
     ArtifactSchemaError, r"dtype should be \"float32\""),
    ("tensors as a list", put(("tensors",), ["coefficients/0", "coefficients/1"]),
     ArtifactSchemaError, "field tensors should be an object, found"),
    ("n_coefficients as a string", put(("n_coefficients",), "1000"),
     ArtifactSchemaError, "field n_coefficients should be an integer >= 0, found '1000' \\(str\\)"),
    ("n_coefficients wrong", put(("n_coefficients",), 7), ArtifactSchemaError, "n_coefficients is 7, the network"),
    ("network as a list", put(("network",), [28, 6, 8]), ArtifactSchemaError, "field network should be an object"),
    ("profile as a list", put(("profile",), ["ant28"]), ArtifactSchemaError, "field profile should be an object"),
    ("provenance as a list", put(("provenance",), [1, 2]), ArtifactSchemaError, "field provenance should be null"),
    ("network field missing", metadata_edit(lambda m: m["network"].pop("activations") and None),
     ArtifactSchemaError, "field network.activations is missing"),
    ("layer size a float", put(("network", "layer_sizes"), [28, 6.5, 8]),
     ArtifactSchemaError, "network.layer_sizes should be a list of integers"),
    ("layer sizes huge", put(("network", "layer_sizes"), [28, 10**6, 10**6, 8]),
     ArtifactSchemaError, "plastic weights; at most 4,194,304"),
    ("activations a string", put(("network", "activations"), "tanh"),
     ArtifactSchemaError, "network.activations should be a list of strings"),
    ("unknown rule", put(("network", "rule"), "ABCDE"), ArtifactSchemaError, "unknown Hebbian rule"),
    ("action head a number", put(("network", "action_head"), 3), ArtifactSchemaError, "network.action_head"),
    ("sha256 not hexadecimal", put(("sha256",), "not-a-digest"), ArtifactSchemaError, "64 lowercase hexadecimal"),
    ("frontend pool 0", put(("network", "frontend"), {"input_shape": [3, 8, 8], "layers": [
        {"in_channels": 3, "out_channels": 2, "kernel": 3, "pool": 0}]}),
     ArtifactSchemaError, "conv layer sizes must be integers >= 1"),
    ("frontend layer unknown field", put(("network", "frontend"), {"input_shape": [3, 8, 8], "layers": [
        {"in_channels": 3, "out_channels": 2, "kernel": 3, "dilation": 2}]}),
     ArtifactSchemaError, r"layers\[0\] has unknown fields \['dilation'\]"),
    ("frontend image huge", put(("network", "frontend"), {"input_shape": [3, 10**5, 10**5], "layers": []}),
     ArtifactSchemaError, "exceeds 4,194,304 entries"),
    # bounds on the initial weights and the control period
    ("init scale 1e39", put(("network", "init", "scale"), 1e39),
     ArtifactSchemaError, r"scale must be finite and in \[0, 1000\], got 1e\+39"),
    ("init scale 1e4", put(("network", "init", "scale"), 1e4), ArtifactSchemaError, "scale must be finite"),
    ("init scale negative", put(("network", "init", "scale"), -0.1), ArtifactSchemaError, "scale must be finite"),
    ("init scale NaN", put(("network", "init", "scale"), float("nan")), ArtifactSchemaError, "got nan"),
    ("init scale a string", put(("network", "init", "scale"), "0.1"),
     ArtifactSchemaError, "network.init.scale should be a number"),
    ("init scale 1e999 literal", scale_literal("1e999"), ArtifactSchemaError, "scale must be finite .* got inf"),
    ("control_period 0", put(("control_period",), 0), ArtifactValueError, r"control_period must be .* found 0\.0"),
    ("control_period negative", put(("control_period",), -0.01), ArtifactValueError, "control_period must be"),
    ("control_period inf", put(("control_period",), float("inf")), ArtifactValueError, "found inf"),
    ("control_period NaN", put(("control_period",), float("nan")), ArtifactValueError, "found nan"),
    ("control_period an hour", put(("control_period",), 3600.0), ArtifactValueError, r"in \(0, 60\]"),
    ("control_period a string", put(("control_period",), "0.0165"),
     ArtifactSchemaError, "field control_period should be a number"),
    # bounds on the robot profile's physical fields
    ("action_scale inf, resealed", put(("profile", "action_scale"), [float("inf")] * ANT_ACTIONS),
     ArtifactSchemaError, r"action_scale must be finite with \|x\| <= 1e\+06, found \[inf"),
    ("action_low NaN", put(("profile", "action_low"), [float("nan")] * ANT_ACTIONS),
     ArtifactSchemaError, "action_low must be finite"),
    ("action_offset 1e7", put(("profile", "action_offset"), [1e7] * ANT_ACTIONS),
     ArtifactSchemaError, "action_offset must be finite"),
    ("action_low above action_high", put(("profile", "action_low"), [2.0] * ANT_ACTIONS),
     ArtifactSchemaError, r"action_low > action_high at entries \[0, 1"),
    ("action_high too short", put(("profile", "action_high"), [1.0] * (ANT_ACTIONS - 1)),
     ArtifactSchemaError, "action_high has 7 entries, expected 8"),
    ("action_high a string", put(("profile", "action_high"), ["1"] * ANT_ACTIONS),
     ArtifactSchemaError, "profile.action_high should be null or a list of numbers"),
    ("observation_scale inf", metadata_edit(lambda m: m["profile"]["observation_scale"].__setitem__(3, float("inf"))),
     ArtifactSchemaError, r"observation_scale must be finite .* at \[3\]"),
    ("observation_offset NaN", metadata_edit(lambda m: m["profile"]["observation_offset"].__setitem__(0, float("nan"))),
     ArtifactSchemaError, "observation_offset must be finite"),
    ("observation_clip 0", put(("profile", "observation_clip"), 0), ArtifactSchemaError, "observation_clip must be"),
    ("observation_clip inf", put(("profile", "observation_clip"), float("inf")),
     ArtifactSchemaError, "observation_clip must be"),
    ("measurement index -1", metadata_edit(lambda m: m["profile"]["observation_sources"].__setitem__(
        9, ["joint_position", -1])), ArtifactSchemaError, r"indices must be in \[0, 4095\]"),
    ("measurement index 10**9", metadata_edit(lambda m: m["profile"]["observation_sources"].__setitem__(
        9, ["joint_position", 10**9])), ArtifactSchemaError, r"indices must be in \[0, 4095\]"),
    ("observation names a string", put(("profile", "observation_names"), "abc"),
     ArtifactSchemaError, "profile.observation_names should be a list of strings"),
    # the metadata's bytes
    ("metadata not UTF-8", raw_metadata(b"\xff\xfe{}"), ArtifactCorruptError, "not valid UTF-8 JSON"),
    ("metadata nested 100,000 deep", raw_metadata("[" * 100_000 + "]" * 100_000),
     ArtifactCorruptError, "not valid UTF-8 JSON"),
    ("integer of 5,000 digits", raw_metadata('{"n_coefficients": ' + "9" * 5000 + "}"),
     ArtifactCorruptError, "not valid UTF-8 JSON"),
    ("metadata a JSON array", raw_metadata("[1, 2]"), ArtifactSchemaError, "should be a JSON object, found list"),
    ("metadata member float32", members_edit(set_member(META, npy(np.zeros(4, np.float32)))),
     ArtifactSchemaError, "should be 1-D uint8 JSON bytes, found float32"),
    # sizes, checked before reading
    ("npy header declares 13 TiB", members_edit(set_member("coefficients/0.npy", npy_header((TEBIBYTES_13 // 4,))
                                                           + bytes(64))),
     ArtifactShapeError, r"'coefficients/0' should be float32 \[28, 6, 5\], found float32 \[3573412790272\]"),
    ("metadata declares 13 TiB", metadata_edit(lambda m: m["tensors"]["coefficients/0"].__setitem__(
        "shape", [TEBIBYTES_13 // 4])), ArtifactTooLargeError, "declares 14,293,651,162,048 bytes of tensors; at most"),
    ("metadata header declares 13 TiB", members_edit(set_member(META, npy_header((TEBIBYTES_13,), "|u1"))),
     ArtifactTooLargeError, "holds 14,293,651,161,088 bytes of data; at most 4,194,304"),
    ("tensor member truncated", members_edit(lambda m: m.__setitem__("coefficients/0.npy",
                                                                     m["coefficients/0.npy"][:-100])),
     ArtifactCorruptError, "announces 3,360 bytes of data, the member holds 3,260"),
    ("tensor member with trailing bytes", members_edit(lambda m: m.__setitem__("coefficients/0.npy",
                                                                               m["coefficients/0.npy"] + bytes(8))),
     ArtifactTooLargeError, "announces 3,360 bytes of data, the member holds 3,368"),
    ("tensor member of object dtype", members_edit(set_member("coefficients/1.npy", npy_header((6, 8, 5), "|O"))),
     ArtifactShapeError, r"should be float32 \[6, 8, 5\], found object"),
    ("tensor member float64", members_edit(lambda m: m.__setitem__("coefficients/1.npy",
                                                                   npy(np.zeros((6, 8, 5)))),),
     ArtifactShapeError, r"should be float32 \[6, 8, 5\], found float64 \[6, 8, 5\]"),
    ("undeclared extra member", members_edit(set_member("extra.npy", npy(np.zeros(3, np.float32)))),
     ArtifactShapeError, r"metadata declares tensors \['coefficients/0', 'coefficients/1'\], the file holds"),
    ("declared member missing", members_edit(drop_member("coefficients/1.npy")),
     ArtifactShapeError, "metadata declares tensors"),
    ("member not .npy", members_edit(set_member("README.txt", b"hello")), ArtifactCorruptError, "not a .npy array"),
    ("member twice", members_edit(lambda m: m.__setitem__("coefficients/1.npy#2", m["coefficients/1.npy"])),
     ArtifactCorruptError, "appears twice"),
    ("member bzip2-compressed", members_edit(lambda m: None, compression=zipfile.ZIP_BZIP2),
     ArtifactCorruptError, "compressed with method 12"),
    ("npy magic damaged", members_edit(lambda m: m.__setitem__("coefficients/1.npy", b"\x93NUMPX" +
                                                               m["coefficients/1.npy"][6:])),
     ArtifactCorruptError, r"'coefficients/1': not a valid .npy header \(ValueError: the magic string"),
    ("npy header not a literal", members_edit(set_member("coefficients/1.npy",
                                                         b"\x93NUMPY\x01\x00\x10\x00{'descr': (    \n")),
     ArtifactCorruptError, r"not a valid .npy header \(TokenError"),
]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A valid artifact with the Ant's full robot profile on a small network (28-6-8, ABCD_lr)."""
    spec = NetworkSpec(layer_sizes=(28, 6, 8), activations=("tanh", "tanh"))
    return save_artifact(new_artifact(spec, profile=ANT28, seed=0), tmp_path / "base.npz")


@pytest.mark.parametrize("name, edit, error, message", CASES, ids=[case[0] for case in CASES])
def test_every_bad_file_raises_its_typed_error_in_one_line(tmp_path, base, name, edit, error, message):
    path = edit(base, tmp_path / "bad.npz")
    with pytest.raises(error, match=message) as caught:
        load_artifact(path)
    assert isinstance(caught.value, HebbkitError)
    text = str(caught.value)
    assert "\n" not in text and text.startswith(str(path)), text


@pytest.mark.parametrize("name, edit, error, message", CASES, ids=[case[0] for case in CASES])
def test_inspect_reports_every_bad_file_in_one_line_and_exits_1(tmp_path, base, capsys, name, edit, error, message):
    path = edit(base, tmp_path / "bad.npz")
    assert run_inspect(InspectConfig(artifact=path)) == 1
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if line.startswith("validation")]
    assert failed == [failed[0]] and failed[0].startswith(f"validation   FAILED: {error.__name__}: ")
    assert run_inspect(InspectConfig(artifact=path, json=True)) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and report["problem"].startswith(error.__name__)


def test_the_base_file_of_the_corpus_is_valid(base):
    artifact = load_artifact(base)
    assert read_metadata(base)[METADATA_CHECKSUM_KEY] == metadata_checksum(artifact.metadata())


# ---------------------------------------------------------------------------------- memory: refused unread


def peak_bytes_while_refusing(path: Path, error: type[ArtifactError]) -> int:
    tracemalloc.start()
    try:
        with pytest.raises(error):
            load_artifact(path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_undeclared_64_mb_member_is_refused_without_being_read(tmp_path, base):
    path = streamed_member(base, tmp_path / "extra.npz", "extra.npy", npy_header((BIG_MEMBER // 4,)), BIG_MEMBER)
    assert path.stat().st_size < 2 * 2**20  # a small file that inflates to 64 MB
    assert peak_bytes_while_refusing(path, ArtifactShapeError) < 4 * 2**20


def test_a_declared_member_inflated_by_64_mb_is_refused_before_its_data_is_read(tmp_path, base):
    members = read_members(base)
    del members["coefficients/0.npy"]
    write_members(tmp_path / "rest.npz", members)
    path = streamed_member(tmp_path / "rest.npz", tmp_path / "inflated.npz", "coefficients/0.npy",
                           npy_header((28, 6, 5)), BIG_MEMBER)
    (tmp_path / "rest.npz").unlink()
    assert peak_bytes_while_refusing(path, ArtifactTooLargeError) < 4 * 2**20


def test_a_13_tib_header_is_refused_without_allocating_it(tmp_path, base):
    path = members_edit(set_member("coefficients/0.npy", npy_header((TEBIBYTES_13 // 4,))))(base, tmp_path / "x.npz")
    assert peak_bytes_while_refusing(path, ArtifactShapeError) < 4 * 2**20


def test_metadata_members_are_capped_before_they_are_read(tmp_path, base, monkeypatch):
    import hebbkit.runtime.artifact as artifact_module

    monkeypatch.setattr(artifact_module, "MAX_METADATA_BYTES", 1000)
    with pytest.raises(ArtifactTooLargeError, match="at most 1,000 are read"):
        read_metadata(base)


# ---------------------------------------------------------------------------------- what still loads


def test_a_rezipped_file_with_folder_entries_and_deflate_loads_unchanged(tmp_path, base):
    members = read_members(base)
    rezipped = {"coefficients/": b"", **members}  # `zip -r` adds folder entries
    path = tmp_path / "rezipped.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in rezipped.items():
            archive.writestr(name, data)
    assert load_artifact(path).metadata() == load_artifact(base).metadata()


def test_fortran_order_tensors_load_with_the_same_values(tmp_path, base):
    members = read_members(base)
    values = np.load(io.BytesIO(members["coefficients/0.npy"]))
    members["coefficients/0.npy"] = npy(np.asfortranarray(values))
    loaded = load_artifact(write_members(tmp_path / "fortran.npz", members))
    np.testing.assert_array_equal(loaded.coefficients[0], values)


SHIPPED_ARTIFACTS = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "models").rglob("*.npz")
                           if path.name != "checkpoint.npz")  # checkpoint.npz: ES state, not an artifact


@pytest.mark.parametrize("shipped", SHIPPED_ARTIFACTS)
def test_shipped_artifacts_carry_and_verify_both_checksums(shipped, capsys):
    """Every shipped artifact (models and their checkpoints' best/latest) records `metadata_sha256`: the files
    that predated it were saved again, tensors bit-identical (issue 28). None warns on load."""
    path = ROOT / shipped
    assert METADATA_CHECKSUM_KEY in read_metadata(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_artifact(path)
    assert run_inspect(InspectConfig(artifact=path)) == 0
    output = capsys.readouterr().out
    assert "validation   OK (tensor and metadata checksums match" in output and "warning" not in output


def test_a_file_without_a_metadata_checksum_loads_with_a_warning(tmp_path, base, capsys):
    old = metadata_edit(lambda m: m.pop(METADATA_CHECKSUM_KEY) and None, reseal=False)(base, tmp_path / "old.npz")
    with pytest.warns(MissingChecksumWarning, match="no metadata_sha256"):
        load_artifact(old)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run_inspect(InspectConfig(artifact=old)) == 0  # inspect shows it as a line, not a Python warning
    output = capsys.readouterr().out
    assert "validation   OK (tensor checksum matches" in output
    assert f"warning      {old}: no metadata_sha256 (written before hebbkit recorded one)" in output


def test_older_files_without_a_metadata_checksum_still_get_their_fields_bounded(tmp_path, base):
    def legacy(metadata: dict) -> None:
        del metadata[METADATA_CHECKSUM_KEY]
        metadata["profile"]["action_scale"] = [float("inf")] * ANT_ACTIONS

    legacy_valid = metadata_edit(lambda m: m.pop(METADATA_CHECKSUM_KEY) and None, reseal=False)
    with pytest.warns(MissingChecksumWarning):
        assert load_artifact(legacy_valid(base, tmp_path / "old.npz")).profile == ANT28
    with pytest.raises(ArtifactSchemaError, match="action_scale must be finite"):
        load_artifact(metadata_edit(legacy, reseal=False)(base, tmp_path / "old_bad.npz"))


def test_new_files_record_a_metadata_checksum_that_covers_every_field_but_itself(base):
    metadata = read_metadata(base)
    assert metadata[METADATA_CHECKSUM_KEY] == metadata_checksum(metadata)
    for key in [key for key in metadata if key != METADATA_CHECKSUM_KEY]:
        changed = {**metadata, key: "changed"}
        assert metadata_checksum(changed) != metadata[METADATA_CHECKSUM_KEY], key
