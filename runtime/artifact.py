"""The policy artifact: trained coefficient tensors plus the JSON metadata that makes them usable on a robot.

One `.npz` file (a zip of `.npy` members, read with `allow_pickle=False`, so loading never executes code):

- `coefficients/<layer>`: float32 [in, out, k] per plastic layer (k = coefficients per synapse of the rule), or,
  for a rule family other than "synapse", the family's compact tensors `family/...` (`hebbkit.runtime.families`);
- `static/<name>`: optional float32 tensors that are evolved directly and not plastic (e.g. a conv front end);
- `__metadata__`: uint8 bytes of UTF-8 JSON (see `docs/artifact.md`), including `sha256` over every tensor and
  `metadata_sha256` over the metadata itself (files written before it existed carry `sha256` only).

`load_artifact` checks every member's size against the metadata before reading it, validates everything, and
raises a typed `ArtifactError` that says what was expected and found.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import math
import os
import stat
import tempfile
import tokenize
import warnings
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import IO, BinaryIO

import numpy as np

from .artifact_schema import check_metadata, declared_tensors
from .errors import (
    ArtifactChecksumError,
    ArtifactCorruptError,
    ArtifactError,
    ArtifactNotFoundError,
    ArtifactSchemaError,
    ArtifactShapeError,
    ArtifactTooLargeError,
    ArtifactValueError,
    ConfigError,
    MissingChecksumWarning,
    OutputPathError,
)
from .families import DEFAULT_FAMILY
from .network import NetworkSpec
from .profile import RobotProfile, generic_profile, image_profile

FORMAT_NAME = "hebbkit-policy"
SCHEMA_VERSION = 3
"""The newest schema this hebbkit writes and reads. Version 2 adds `network.family` and the `family/...` tensors,
version 3 `network.weight_norm` ("standardize"); every file is written as the oldest version that holds it
(`schema_version_of`), so older readers keep reading what they can run and refuse the rest."""
READABLE_SCHEMA_VERSIONS = (1, 2, 3)
METADATA_KEY = "__metadata__"
METADATA_CHECKSUM_KEY = "metadata_sha256"
"""The metadata field holding the sha256 of the rest of the metadata (`metadata_checksum`). An added field, not a
new schema version: readers that predate it ignore it and keep reading new files."""
STATIC_PREFIX = "static/"
PROVENANCE_FIELDS = ("command", "seed", "git_commit", "generations", "fitness", "created")
MAX_CONTROL_PERIOD = 60.0
"""Longest control period accepted, in seconds (the Ant's is 0.0165)."""
MAX_METADATA_BYTES = 4 * 2**20
"""Largest `__metadata__` member read (the shipped models' are ~5 kB)."""
MAX_TENSOR_BYTES = 256 * 2**20
"""Largest total size of the tensors a file may declare (the CarRacing model's are 1.8 MB)."""
MAX_FILE_BYTES = 2 * (MAX_TENSOR_BYTES + MAX_METADATA_BYTES)
"""Largest artifact file opened: twice what its members may hold, room for the zip's own records."""
MAX_NPY_HEADER_BYTES = 10_000
"""Largest `.npy` header read (NumPy's own default limit)."""
_STORED_DTYPES: dict[str, np.dtype] = {"tensor": np.dtype("<f4"), "metadata": np.dtype("u1")}


@dataclass(frozen=True)
class PolicyArtifact:
    """Everything a runtime needs to run a trained rule: network spec, coefficients, robot profile, provenance.

    coefficients: the rule family's evolved tensors, in `network.compact_tensors` order: for the "synapse" family one
        float32 [in, out, k] tensor per plastic layer, k in the rule's storage order. The backends run
        `expanded_coefficients`.
    static_tensors: directly evolved, non-plastic tensors by name (empty for the Ant).
    control_period: seconds between control steps the rule was trained at (0.0165 for the Ant).
    provenance: how it was made: command, seed, git_commit, generations, fitness, created (and any extra keys).
    """

    network: NetworkSpec
    coefficients: tuple[np.ndarray, ...]
    profile: RobotProfile
    control_period: float
    provenance: Mapping[str, object] = field(default_factory=dict)
    static_tensors: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "coefficients", tuple(np.ascontiguousarray(c, dtype=np.float32) for c in self.coefficients)
        )
        object.__setattr__(
            self,
            "static_tensors",
            {name: np.ascontiguousarray(t, dtype=np.float32) for name, t in self.static_tensors.items()},
        )
        object.__setattr__(self, "provenance", dict(self.provenance))

    @cached_property
    def expanded_coefficients(self) -> tuple[np.ndarray, ...]:
        """One float32 [in, out, k] tensor per plastic layer, expanded from the family's compact `coefficients` (the
        same arrays for the "synapse" family): what the backends fold and run."""
        return tuple(self.network.expand_coefficients(self.coefficients))

    def coefficient_tensors(self) -> dict[str, np.ndarray]:
        """The evolved coefficient tensors by their name in the file (`coefficients/<l>` or `family/...`)."""
        names = [tensor.name for tensor in self.network.compact_tensors]
        if len(names) != len(self.coefficients):
            raise ArtifactShapeError(
                f"rule family {self.network.family!r} on layer sizes {list(self.network.layer_sizes)} needs "
                f"{len(names)} coefficient tensors {names}, found {len(self.coefficients)}"
            )
        return dict(zip(names, self.coefficients, strict=True))

    def tensors(self) -> dict[str, np.ndarray]:
        """Every tensor by its name in the file."""
        named = self.coefficient_tensors()
        named.update({f"{STATIC_PREFIX}{name}": t for name, t in self.static_tensors.items()})
        return named

    def sha256(self) -> str:
        """Checksum over the tensors (see `tensor_checksum`)."""
        return tensor_checksum(self.tensors())

    def metadata(self) -> dict:
        """The JSON metadata block as it is written to the file, `metadata_sha256` last."""
        metadata = {
            "format": FORMAT_NAME,
            "schema_version": schema_version_of(self.network),
            "network": self.network.to_dict(),
            "n_coefficients": self.network.n_coefficients,
            "profile": self.profile.to_dict(),
            "control_period": self.control_period,
            "provenance": dict(self.provenance),
            "tensors": {
                name: {"shape": list(t.shape), "dtype": "float32"} for name, t in sorted(self.tensors().items())
            },
            "sha256": self.sha256(),
        }
        metadata[METADATA_CHECKSUM_KEY] = metadata_checksum(metadata)
        return metadata

    def validate(self) -> None:
        """Raise an `ArtifactError` if tensors, spec and profile disagree or hold non-finite values."""
        _check_coefficient_shapes(self.network, self.coefficient_tensors())
        _check_finite(self.tensors())
        frontend = self.network.frontend
        if frontend is not None:
            for index, kernel_shape in enumerate(frontend.weight_shapes):
                kernel = self.static_tensors.get(f"frontend/{index}")
                if kernel is None or tuple(kernel.shape) != kernel_shape:
                    found = None if kernel is None else list(kernel.shape)
                    raise ArtifactShapeError(f"frontend weights static/frontend/{index} should be "
                                             f"{list(kernel_shape)}, found {found}")
            if self.profile.n_observations not in (1, math.prod(frontend.input_shape)):
                raise ArtifactShapeError(f"profile {self.profile.name!r} should describe one image observation "
                                         f"{list(frontend.input_shape)}, it lists {self.profile.n_observations}")
        elif self.profile.n_observations != self.network.n_inputs:
            raise ArtifactShapeError(
                f"profile {self.profile.name!r} has {self.profile.n_observations} observations, "
                f"the network expects {self.network.n_inputs} inputs"
            )
        if self.profile.n_actions != self.network.n_outputs:
            raise ArtifactShapeError(
                f"profile {self.profile.name!r} has {self.profile.n_actions} actions, "
                f"the network has {self.network.n_outputs} outputs"
            )
        if self.network.init.distribution == "stored":
            for layer, shape in enumerate(self.network.layer_shapes):
                stored = self.static_tensors.get(f"initial_weights/{layer}")
                if stored is None or tuple(stored.shape) != shape:
                    raise ArtifactShapeError(
                        f"stored initial weights static/initial_weights/{layer} should be {list(shape)}, found "
                        f"{None if stored is None else list(stored.shape)}"
                    )
        try:
            period = float(self.control_period)
        except (TypeError, ValueError):
            period = math.nan
        if not 0 < period <= MAX_CONTROL_PERIOD:
            raise ArtifactValueError(f"control_period must be a number of seconds in (0, {MAX_CONTROL_PERIOD:g}], "
                                     f"found {self.control_period!r}")


def schema_version_of(network: NetworkSpec) -> int:
    """The oldest schema version that holds `network`: 3 with weight_norm "standardize" (older readers would run it
    without), 2 with a rule family other than "synapse", else 1."""
    if network.weight_norm == "standardize":
        return 3
    return 1 if network.family == DEFAULT_FAMILY else 2


def tensor_checksum(tensors: Mapping[str, np.ndarray]) -> str:
    """sha256 over tensors in name order: for each, name, dtype, shape (as UTF-8 text lines), then raw bytes."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = np.ascontiguousarray(tensors[name])
        header = f"{name}\n{tensor.dtype.newbyteorder('<').str}\n{list(tensor.shape)}\n"
        digest.update(header.encode())
        digest.update(tensor.astype(tensor.dtype.newbyteorder("<"), copy=False).tobytes())
    return digest.hexdigest()


def metadata_checksum(metadata: Mapping[str, object]) -> str:
    """sha256 over every metadata field but `metadata_sha256`, as canonical JSON: the UTF-8 bytes of
    `json.dumps(fields, sort_keys=True, separators=(",", ":"))` (ASCII escapes; numbers as Python writes them).

    The fields include `sha256`, so with the tensors checked against it the whole file is covered. The fields are
    normalised through one JSON round trip first, so the writer's tuples and the reader's lists hash alike.
    """
    fields = {key: value for key, value in metadata.items() if key != METADATA_CHECKSUM_KEY}
    canonical = json.dumps(json.loads(json.dumps(fields)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def new_artifact(
    network: NetworkSpec,
    coefficients: list[np.ndarray] | None = None,
    *,
    profile: RobotProfile | None = None,
    control_period: float = 0.0165,
    seed: int = 0,
    provenance: Mapping[str, object] | None = None,
) -> PolicyArtifact:
    """Build an artifact; without `coefficients` (the family's compact tensors), draws them N(0, 1) from `seed` (the
    paper's ES initialisation).

    A freshly drawn rule is untrained: its provenance says so.
    """
    static: dict[str, np.ndarray] = {}
    if coefficients is None:
        rng = np.random.default_rng(seed)
        coefficients = [rng.standard_normal(tensor.shape).astype(np.float32) for tensor in network.compact_tensors]
        if network.frontend is not None:
            static = {f"frontend/{i}": rng.standard_normal(shape).astype(np.float32) * 0.3
                      for i, shape in enumerate(network.frontend.weight_shapes)}
        base = {"command": "new_artifact (untrained: coefficients ~ N(0, 1))", "seed": seed, "generations": 0}
    else:
        base = {}
    base.update(provenance or {})
    base.setdefault("git_commit", current_git_commit())
    base.setdefault("fitness", None)
    base.setdefault("created", _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
    artifact = PolicyArtifact(
        network=network,
        coefficients=tuple(coefficients),
        profile=profile or (generic_profile(network.n_inputs, network.n_outputs) if network.frontend is None
                            else image_profile(network.n_outputs)),
        control_period=control_period,
        provenance=base,
        static_tensors=static,
    )
    artifact.validate()
    return artifact


def current_git_commit(folder: str | os.PathLike | None = None) -> str | None:
    """The commit hash of the git checkout holding `folder` (default: this package), "+dirty" if modified; None
    outside a checkout or without git."""
    import subprocess

    where = Path(folder) if folder is not None else Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5)
        if commit.returncode != 0:
            return None
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=where,
                                capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return commit.stdout.strip() + ("+dirty" if status.stdout.strip() else "")


def save_artifact(artifact: PolicyArtifact, path: str | os.PathLike) -> Path:
    """Validate and write atomically (temporary file in the same folder, then rename). Returns the path."""
    artifact.validate()
    return atomic_write_bytes(Path(path), artifact_to_bytes(artifact))


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to a temporary file beside `path`, fsync, then rename over `path`: readers see the old file or
    the new one, never a partial one, whatever kills the writer. A folder at `path`, or a folder that cannot be
    created or written, raises `OutputPathError` (also an `OSError`)."""
    if path.is_dir():
        raise OutputPathError(f"{path} is a folder; expected the path of a file to write")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputPathError(f"cannot write {path}: cannot create its folder {path.parent} "
                              f"({error.strerror or error})") from error
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise OutputPathError(f"cannot write {path}: {error.strerror or error}") from error
    try:
        os.fchmod(handle, 0o644)  # mkstemp's 0600 would hide models and checkpoints from other users
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OutputPathError(f"cannot write {path}: {error.strerror or error}") from error
        raise
    return path


def read_metadata(path: str | os.PathLike) -> dict:
    """Read only the JSON metadata, as it is in the file (not validated; its size is capped)."""
    metadata, _ = _read_members(Path(path), tensors=False)
    return metadata


def load_artifact(path: str | os.PathLike) -> PolicyArtifact:
    """Read and fully validate an artifact. Raises a subclass of `ArtifactError` on any problem."""
    path = Path(path)
    metadata, arrays = _read_members(path, tensors=True)
    artifact = artifact_from_parts(metadata, arrays, source=str(path))
    if METADATA_CHECKSUM_KEY not in metadata:
        warnings.warn(f"{path}: no {METADATA_CHECKSUM_KEY} (written before hebbkit recorded one): its tensors are "
                      "verified, an edit of its metadata within the field bounds is not; load and save it again to "
                      "add the checksum", MissingChecksumWarning, stacklevel=2)
    return artifact


def artifact_from_parts(metadata: dict, arrays: Mapping[str, np.ndarray], source: str = "<memory>") -> PolicyArtifact:
    """Validate metadata and tensors read from a file (or elsewhere) and assemble the artifact."""
    _check_metadata(metadata, source)
    try:
        network = NetworkSpec.from_dict(metadata["network"])
        profile = RobotProfile.from_dict(metadata["profile"])
    except ConfigError as error:
        raise ArtifactSchemaError(f"{source}: invalid metadata: {error}") from error
    except (KeyError, TypeError, ValueError, OverflowError) as error:  # kinds are checked: a safety net
        raise ArtifactSchemaError(f"{source}: malformed metadata ({type(error).__name__}: {error})") from error
    control_period = float(metadata["control_period"])
    provenance = dict(metadata.get("provenance") or {})
    declared = declared_tensors(metadata)

    found = sorted(arrays)
    if sorted(declared) != found:
        raise ArtifactShapeError(
            f"{source}: metadata declares tensors {sorted(declared)}, the file holds {found}"
        )
    for name, array in arrays.items():
        if array.shape != declared[name] or array.dtype != np.float32:
            raise ArtifactShapeError(
                f"{source}: tensor {name!r} should be float32 {list(declared[name])}, "
                f"found {array.dtype} {list(array.shape)}"
            )
    coefficient_tensors = {n: a for n, a in arrays.items() if not n.startswith(STATIC_PREFIX)}
    _check_coefficient_shapes(network, coefficient_tensors, source)
    if metadata["n_coefficients"] != network.n_coefficients:
        raise ArtifactSchemaError(f"{source}: n_coefficients is {metadata['n_coefficients']}, the network and its "
                                  f"tensors hold {network.n_coefficients}")

    actual_sha = tensor_checksum(arrays)
    if actual_sha != metadata["sha256"]:
        raise ArtifactChecksumError(
            f"{source}: sha256 of the tensors is {actual_sha}, the metadata records {metadata['sha256']}; "
            "the file was modified or damaged after it was written"
        )
    _check_finite(arrays, source)
    artifact = PolicyArtifact(
        network=network,
        coefficients=tuple(coefficient_tensors[tensor.name] for tensor in network.compact_tensors),
        profile=profile,
        control_period=control_period,
        provenance=provenance,
        static_tensors={n[len(STATIC_PREFIX):]: a for n, a in arrays.items() if n.startswith(STATIC_PREFIX)},
    )
    try:
        artifact.validate()
    except ArtifactError as error:
        raise type(error)(f"{source}: {error}") from error
    return artifact


def with_provenance(artifact: PolicyArtifact, **updates: object) -> PolicyArtifact:
    """A copy of `artifact` with provenance fields added or replaced."""
    return replace(artifact, provenance={**artifact.provenance, **updates})


def _check_metadata(metadata: dict, source: str) -> None:
    """Format and schema version, then the metadata checksum (if the file has one), then every field's JSON kind."""
    _check_schema(metadata, source)
    if METADATA_CHECKSUM_KEY in metadata:
        recorded = metadata[METADATA_CHECKSUM_KEY]
        actual = metadata_checksum(metadata)
        if recorded != actual:
            raise ArtifactChecksumError(
                f"{source}: sha256 of the metadata is {actual}, the metadata records {repr(recorded)[:80]}; "
                "the file was modified or damaged after it was written"
            )
    try:
        check_metadata(metadata)
    except ArtifactSchemaError as error:
        raise ArtifactSchemaError(f"{source}: malformed metadata: {error}") from error


def _read_members(path: Path, tensors: bool) -> tuple[dict, dict[str, np.ndarray]]:
    """The metadata and (if `tensors`) every declared tensor. Sizes are checked before anything is read: the
    metadata member against `MAX_METADATA_BYTES`; each tensor member against the shape the metadata declares for
    it, and their total against `MAX_TENSOR_BYTES`; members the metadata does not declare are refused unread."""
    source = str(path)
    arrays: dict[str, np.ndarray] = {}
    try:
        with open_regular_file(path, MAX_FILE_BYTES) as stream, zipfile.ZipFile(stream) as archive:
            members = _npy_members(archive, source)
            if METADATA_KEY not in members:
                raise ArtifactSchemaError(
                    f"{path}: no {METADATA_KEY!r} member; found {sorted(members)}. Not a hebbkit policy artifact?"
                )
            raw = _read_npy(archive, members[METADATA_KEY], f"{path}: {METADATA_KEY}", "metadata", None)
            metadata = _parse_metadata(raw, source)
            if not tensors:
                return metadata, arrays
            _check_metadata(metadata, source)
            declared = declared_tensors(metadata)
            held = sorted(name for name in members if name != METADATA_KEY)
            if sorted(declared) != held:
                raise ArtifactShapeError(f"{path}: metadata declares tensors {sorted(declared)}, the file holds {held}")
            total = sum(math.prod(shape) for shape in declared.values()) * 4
            if total > MAX_TENSOR_BYTES:
                raise ArtifactTooLargeError(f"{path}: the metadata declares {total:,} bytes of tensors; at most "
                                            f"{MAX_TENSOR_BYTES:,} are read")
            for name in held:
                arrays[name] = _read_npy(archive, members[name], f"{path}: tensor {name!r}", "tensor", declared[name])
    except ArtifactError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError, NotImplementedError) as error:
        raise ArtifactCorruptError(  # NotImplementedError: zipfile's word for an unsupported zip version
            f"{path}: cannot read as a .npz policy artifact ({type(error).__name__}: {error}); "
            "the file is truncated, damaged or of another format"
        ) from error
    return metadata, arrays


_FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def open_regular_file(path: str | os.PathLike, max_bytes: int, kind: str = "policy artifact") -> BinaryIO:
    """`path` opened for binary reading if it is a regular file (symlinks followed) of at most `max_bytes`.

    Anything else is refused before it is opened (a FIFO would block for ever, /dev/zero read without end, a serial
    port reset the board it drives), and checked again on the open descriptor, in case the path was swapped in
    between. Raises `ArtifactNotFoundError`, `ArtifactCorruptError` (not a regular file, cannot be opened) or
    `ArtifactTooLargeError`; `kind` names the expected file in their messages.
    """
    path = Path(path)
    try:
        _check_regular_file(path, os.stat(path), max_bytes, kind)
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except (FileNotFoundError, NotADirectoryError):
        raise ArtifactNotFoundError(f"no {kind} at {path}") from None
    except OSError as error:
        raise ArtifactCorruptError(f"cannot open {path}: {error.strerror or error}") from None
    try:
        _check_regular_file(path, os.fstat(descriptor), max_bytes, kind)
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def _check_regular_file(path: Path, info: os.stat_result, max_bytes: int, kind: str) -> None:
    """Raise unless `info` describes a regular file of at most `max_bytes`."""
    if not stat.S_ISREG(info.st_mode):
        found = next((words for test, words in _FILE_KINDS if test(info.st_mode)), "not a regular file")
        raise ArtifactCorruptError(f"{path} is {found}; expected a {kind} file (refused without reading it)")
    if info.st_size > max_bytes:
        raise ArtifactTooLargeError(f"{path} holds {info.st_size:,} bytes; a {kind} file is at most {max_bytes:,} "
                                    "(refused without reading it)")


def _npy_members(archive: zipfile.ZipFile, source: str) -> dict[str, zipfile.ZipInfo]:
    """The archive's `.npy` members by array name (folder entries skipped); anything else is refused."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        if info.is_dir():
            continue
        if not info.filename.endswith(".npy"):
            raise ArtifactCorruptError(f"{source}: member {info.filename!r} is not a .npy array; a policy artifact "
                                       "holds .npy members only")
        name = info.filename[: -len(".npy")]
        if name in members:
            raise ArtifactCorruptError(f"{source}: member {info.filename!r} appears twice")
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ArtifactCorruptError(f"{source}: member {info.filename!r} is encrypted or compressed with method "
                                       f"{info.compress_type}; expected plain or deflated (as numpy.savez writes)")
        members[name] = info
    return members


def _read_npy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, kind: str,
              shape: tuple[int, ...] | None) -> np.ndarray:
    """One `.npy` member: its header first (at most `MAX_NPY_HEADER_BYTES`), then its data only once the header's
    dtype and shape are what is expected and the member's size in the zip is exactly header + data. `kind`:
    "tensor" (float32 of the declared `shape`) or "metadata" (1-D uint8, at most `MAX_METADATA_BYTES`)."""
    dtype = _STORED_DTYPES[kind]
    data_limit = MAX_METADATA_BYTES if shape is None else math.prod(shape) * dtype.itemsize
    with archive.open(info) as stream:
        found_shape, fortran_order, found_dtype = _read_npy_header(stream, label)
        if kind == "metadata" and (found_dtype != dtype or len(found_shape) != 1):
            raise ArtifactSchemaError(f"{label} should be 1-D uint8 JSON bytes, found {found_dtype} "
                                      f"{list(found_shape)}")
        if kind == "tensor" and (found_dtype != dtype or tuple(found_shape) != shape):
            expected = list(shape or ())
            raise ArtifactShapeError(f"{label} should be float32 {expected}, found {found_dtype} {list(found_shape)}")
        n_bytes = math.prod(found_shape) * dtype.itemsize
        if n_bytes > data_limit:
            raise ArtifactTooLargeError(f"{label} holds {n_bytes:,} bytes of data; at most {data_limit:,} are read")
        held = info.file_size - stream.tell()
        if held != n_bytes:
            problem = ArtifactTooLargeError if held > n_bytes else ArtifactCorruptError
            raise problem(f"{label}: its header announces {n_bytes:,} bytes of data, the member holds {held:,}; "
                          "refused before reading them")
        data = stream.read(n_bytes)
        if len(data) != n_bytes or stream.read(1):  # reading to the end also checks the member's CRC-32
            raise ArtifactCorruptError(f"{label}: expected {n_bytes:,} bytes of data, found {len(data):,}")
    return np.frombuffer(bytearray(data), dtype=dtype).reshape(found_shape, order="F" if fortran_order else "C")


def _read_npy_header(stream: IO[bytes], label: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype from a `.npy` header (versions 1.0 and 2.0, at most `MAX_NPY_HEADER_BYTES`)."""
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(stream, MAX_NPY_HEADER_BYTES)
        if version == (2, 0):
            return np.lib.format.read_array_header_2_0(stream, MAX_NPY_HEADER_BYTES)
    except (ValueError, SyntaxError, tokenize.TokenError) as error:  # NumPy tokenizes the header's Python literal
        raise ArtifactCorruptError(f"{label}: not a valid .npy header ({type(error).__name__}: "
                                   f"{str(error)[:200]})") from error
    raise ArtifactCorruptError(f"{label}: .npy format version {version} is not supported (1.0 or 2.0)")


def _parse_metadata(raw: np.ndarray, source: str) -> dict:
    """The metadata JSON object from its bytes."""
    try:
        metadata = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ArtifactCorruptError(f"{source}: metadata is not valid UTF-8 JSON ({type(error).__name__}: "
                                   f"{str(error)[:200]})") from error
    if not isinstance(metadata, dict):
        raise ArtifactSchemaError(f"{source}: metadata should be a JSON object, found {type(metadata).__name__}")
    return metadata


def _check_schema(metadata: dict, source: str) -> None:
    if metadata.get("format") != FORMAT_NAME:
        raise ArtifactSchemaError(
            f"{source}: format should be {FORMAT_NAME!r}, found {repr(metadata.get('format'))[:60]}"
        )
    version = metadata.get("schema_version")
    if type(version) is not int or version not in READABLE_SCHEMA_VERSIONS:
        hint = " (written by a newer hebbkit: upgrade)" if isinstance(version, int) and version > SCHEMA_VERSION else ""
        *older, newest = map(str, READABLE_SCHEMA_VERSIONS)
        readable = f"{', '.join(older)} and {newest}"
        raise ArtifactSchemaError(
            f"{source}: schema_version {repr(version)[:60]} is not supported; this hebbkit reads {readable}{hint}"
        )


def _check_coefficient_shapes(network: NetworkSpec, tensors: Mapping[str, np.ndarray], source: str = "") -> None:
    """The coefficient tensors (every tensor but static/*) must be exactly the family's compact tensors."""
    prefix = f"{source}: " if source else ""
    expected = {tensor.name: tensor for tensor in network.compact_tensors}
    if sorted(tensors) != sorted(expected):
        raise ArtifactShapeError(
            f"{prefix}network with {network.n_layers} layers and rule family {network.family!r} needs tensors "
            f"{sorted(expected)} (plus optional {STATIC_PREFIX}*), found {sorted(tensors)}"
        )
    axes = network.family_spec.axes
    for name, tensor in expected.items():
        if tuple(tensors[name].shape) != tensor.shape:
            family = "" if network.family == DEFAULT_FAMILY else f", family {network.family}"
            raise ArtifactShapeError(
                f"{prefix}{name} should be {axes} = {list(tensor.shape)} for layer sizes "
                f"{list(network.layer_sizes)} and rule {network.rule}{family} (k = {tensor.shape[-1]}: "
                f"{', '.join(tensor.roles) or 'none'}), found {list(tensors[name].shape)}"
            )


def _check_finite(tensors: Mapping[str, np.ndarray], source: str = "") -> None:
    prefix = f"{source}: " if source else ""
    for name, tensor in sorted(tensors.items()):
        bad = int(np.size(tensor) - np.count_nonzero(np.isfinite(tensor)))
        if bad:
            raise ArtifactValueError(f"{prefix}{name} holds {bad} non-finite values (NaN/Inf); expected all finite")


def artifact_to_bytes(artifact: PolicyArtifact) -> bytes:
    """The exact bytes `save_artifact` would write (for embedding and tests)."""
    buffer = io.BytesIO()
    payload = dict(artifact.tensors())
    payload[METADATA_KEY] = np.frombuffer(json.dumps(artifact.metadata(), indent=1).encode(), dtype=np.uint8)
    np.savez(buffer, **payload)  # type: ignore[arg-type]
    return buffer.getvalue()
