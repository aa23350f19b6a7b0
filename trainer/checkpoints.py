"""The files of a run directory that make it resumable: config.json, checkpoint.npz and log.csv.

`checkpoint.npz` (the ES state, the best centre so far, the env steps spent and the config) is written atomically
after every generation. A resume checks config.json and log.csv against it: config.json must hold the run's
identity (every option but `RESUMABLE_FIELDS`) as the checkpoint recorded it, and log.csv a valid row for every
generation the checkpoint reached, whose env steps add up to the ones it recorded. `log.csv` has one row per
generation; a run killed between its log row and its checkpoint is cut back to the checkpoint on resume. Anything
damaged or edited is refused with a `CheckpointError` that says what is wrong, and no file is changed; a checkpoint
written before hebbkit recorded its env steps resumes with an `UncheckedCheckpointWarning`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hebbkit.runtime.artifact import MAX_TENSOR_BYTES, atomic_write_bytes, open_regular_file
from hebbkit.runtime.errors import ArtifactError, ConfigError, HebbkitError, HebbkitWarning

from .es import ESState
from .train_config import RESUMABLE_FIELDS, TrainConfig

MAX_CHECKPOINT_BYTES = 16 * MAX_TENSOR_BYTES
"""Largest checkpoint.npz read, as a file and unpacked: four float64 vectors (mean, optimiser moments, best) of the
most parameters an artifact may hold."""
MAX_CONFIG_BYTES = 2**20
"""Largest config.json read (a run's is ~1 kB)."""
LOG_FIELDS = ("generation", "fitness_mean", "fitness_max", "fitness_min", "center_fitness", "best_center_fitness",
              "sigma", "learning_rate", "seconds", "env_steps", "env_steps_per_second", "retries")


class CheckpointError(HebbkitError, ValueError):
    """A checkpoint or run directory cannot be resumed; the message says why."""


class UncheckedCheckpointWarning(HebbkitWarning):
    """A checkpoint written before hebbkit recorded its env steps (or its config): log.csv's count (config.json)
    is taken as it stands. The next checkpoint records them."""


# ------------------------------------------------------------------------------------------------ config.json


def write_config(directory: Path, config: TrainConfig) -> None:
    """The resolved config as RUN_DIR/config.json (flat options)."""
    atomic_write_bytes(directory / "config.json", (json.dumps(config.to_json(), indent=2) + "\n").encode())


def read_stored_config(directory: Path) -> TrainConfig:
    """The config.json of a run directory (CheckpointError if it is missing or damaged)."""
    saved = directory / "config.json"
    if not directory.is_dir() or not saved.exists():
        raise CheckpointError(f"{directory} is not a run directory (no config.json)")
    try:
        with open_regular_file(saved, MAX_CONFIG_BYTES, "run config") as stream:
            data = json.loads(stream.read().decode())
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, found {type(data).__name__}")
        return TrainConfig.from_json(data)
    except ArtifactError as error:
        raise CheckpointError(str(error)) from error
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError, ValueError, ConfigError) as error:
        raise CheckpointError(f"{saved} is damaged: {error}") from error


# --------------------------------------------------------------------------------------------- checkpoint.npz


@dataclass(frozen=True)
class Checkpoint:
    """What a run continues from: the ES state after its last generation, and the best centre so far (its
    fitness on its own episodes and its parameters)."""

    state: ESState
    best_center_fitness: float
    best_parameters: np.ndarray
    env_steps: int | None = None  # env steps of every generation so far; None in checkpoints written before
    config: TrainConfig | None = None  # the run's config when it was written; None in the oldest checkpoints


def save_checkpoint(path: Path, checkpoint: Checkpoint, config: TrainConfig) -> None:
    """Write `checkpoint`, its env steps and the config atomically: a reader never sees half a file."""
    arrays = checkpoint.state.to_arrays()
    arrays["best_center_fitness"] = np.array(checkpoint.best_center_fitness)
    arrays["best_parameters"] = checkpoint.best_parameters
    if checkpoint.env_steps is not None:
        arrays["env_steps"] = np.array(checkpoint.env_steps, dtype=np.int64)
    arrays["config"] = np.frombuffer(json.dumps(config.to_json()).encode(), dtype=np.uint8)
    atomic_savez(path, arrays)


def load_checkpoint(path: Path, size: int, seed: int) -> Checkpoint:
    """The checkpoint at `path`, checked against the run's config: `size` parameters, run seed `seed`, finite."""
    checkpoint = read_checkpoint(path)
    check_checkpoint(checkpoint, path, size, seed)
    return checkpoint


def read_checkpoint(path: Path) -> Checkpoint:
    """The checkpoint at `path` as written (`check_checkpoint` checks it against a run)."""
    if not path.exists():
        raise CheckpointError(f"no checkpoint.npz in {path.parent}: nothing to resume (did generation 1 finish?)")
    try:
        arrays = read_npz(path, MAX_CHECKPOINT_BYTES)
        state = ESState.from_arrays(arrays)
        best_center_fitness = float(arrays["best_center_fitness"])
        env_steps = int(arrays["env_steps"]) if "env_steps" in arrays else None
        if env_steps is not None and env_steps < 0:
            raise ValueError(f"env_steps {env_steps} is negative")
        config = recorded_config(arrays["config"]) if "config" in arrays else None
    except ArtifactError as error:  # not a regular file, or too large: refused before reading
        raise CheckpointError(str(error)) from error
    except (OSError, ValueError, TypeError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise CheckpointError(f"{path} is damaged or not a hebbkit checkpoint ({type(error).__name__}: "
                              f"{error}); the previous generation's exports latest.npz/best.npz are intact") \
            from error
    best = np.array(arrays.get("best_parameters", state.mean))
    return Checkpoint(state, best_center_fitness, best, env_steps, config)


def recorded_config(data: np.ndarray) -> TrainConfig:
    """The config a checkpoint recorded (its `config` member: config.json's text as bytes)."""
    try:
        values = json.loads(data.tobytes().decode())
    except UnicodeDecodeError as error:
        raise ValueError(f"its config is not UTF-8 text ({error})") from error
    if not isinstance(values, dict):
        raise ValueError(f"its config is not a JSON object ({type(values).__name__})")
    return TrainConfig.from_json(values)


def check_checkpoint(checkpoint: Checkpoint, path: Path, size: int, seed: int) -> None:
    """CheckpointError unless the checkpoint fits a run of `size` parameters and seed `seed` and its mean is finite."""
    state = checkpoint.state
    if state.mean.shape != (size,):
        raise CheckpointError(f"{path} holds a mean of shape {state.mean.shape}, the config needs ({size},)")
    if not np.isfinite(state.mean).all():
        raise CheckpointError(f"{path} holds a non-finite ES mean: not resumable")
    if state.seed != seed:
        raise CheckpointError(f"{path} was written by a run with seed {state.seed}, config.json says {seed}: the "
                              "two files do not belong together")
    if checkpoint.best_parameters.shape != (size,):
        raise CheckpointError(f"{path} holds best parameters of shape {checkpoint.best_parameters.shape}, "
                              f"expected ({size},)")
    if state.adam_m.shape != state.mean.shape or state.adam_v.shape != state.mean.shape:
        raise CheckpointError(f"{path} holds optimiser moments of shapes {state.adam_m.shape}, "
                              f"{state.adam_v.shape}; expected {state.mean.shape}")


def identity(config: TrainConfig) -> dict:
    """What makes a run this run: every option but the `RESUMABLE_FIELDS` and where it lives."""
    return {name: value for name, value in config.options().items()
            if name not in (*RESUMABLE_FIELDS, "resume", "run_dir")}


def check_config_matches(checkpoint: Checkpoint, stored: TrainConfig, directory: Path) -> None:
    """CheckpointError if config.json's identity differs from the config the checkpoint recorded (config.json was
    edited, or the files come from different runs)."""
    if checkpoint.config is None:
        warnings.warn(f"{directory / 'checkpoint.npz'} records no config (written by an older hebbkit): "
                      "config.json is taken as it stands", UncheckedCheckpointWarning, stacklevel=2)
        return
    recorded, found = identity(checkpoint.config), identity(stored)
    changed = [name for name in recorded if recorded[name] != found[name]]
    if changed:
        detail = ", ".join(f"{name} {found[name]!r} (checkpoint: {recorded[name]!r})" for name in changed)
        raise CheckpointError(f"{directory / 'config.json'} does not match checkpoint.npz: {detail}; only "
                              f"{', '.join(RESUMABLE_FIELDS)} may change between sessions (by flag). Restore "
                              "config.json, or start a new run (--run-dir) to change the others")


def read_npz(path: Path, max_bytes: int) -> dict[str, np.ndarray]:
    """Every array of the .npz file at `path` (no pickles). A special file, a file past `max_bytes`, members that
    unpack past `max_bytes` and an array whose header announces more data than its member holds are refused
    before their data is read (`ArtifactError` for the file, `ValueError` for its contents)."""
    with open_regular_file(path, max_bytes, "checkpoint") as stream, zipfile.ZipFile(stream) as archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        unpacked = sum(info.file_size for info in members)
        if unpacked > max_bytes:
            raise ValueError(f"its members unpack to {unpacked:,} bytes; at most {max_bytes:,} are read")
        return {info.filename.removesuffix(".npy"): _read_npy_member(archive, info) for info in members}


def _read_npy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """One `.npy` member, its data read only once its header's size agrees with the member's."""
    with archive.open(info) as stream:
        version = np.lib.format.read_magic(stream)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"member {info.filename!r}: .npy format version {version} (expected 1.0 or 2.0)")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
            np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(stream)
        if dtype.hasobject:
            raise ValueError(f"member {info.filename!r} holds Python objects; a checkpoint holds numbers")
        n_bytes = math.prod(shape) * dtype.itemsize
        if n_bytes != info.file_size - stream.tell():
            raise ValueError(f"member {info.filename!r} announces {n_bytes:,} bytes of data and holds "
                             f"{info.file_size - stream.tell():,}")
        data = bytearray(stream.read(n_bytes))
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")


def atomic_savez(path: Path, arrays: dict) -> None:
    """np.savez_compressed into `path` atomically (temporary file, fsync, rename)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # unused optimiser state (zeros for SGD) costs nothing
    atomic_write_bytes(path, buffer.getvalue())


# ---------------------------------------------------------------------------------------------------- log.csv


class TrainingLog:
    """RUN_DIR/log.csv: one row (`LOG_FIELDS`) per generation."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "log.csv"

    def append(self, row: dict) -> None:
        """Add one generation's row (the header first, in a new file)."""
        new = not self.path.exists()
        with self.path.open("a", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=LOG_FIELDS, lineterminator="\n")
            if new:
                writer.writeheader()
            writer.writerow(row)

    def truncate(self, generations: int) -> None:
        """Keep the header and the first `generations` rows (a killed run may have logged past its checkpoint);
        rewritten atomically, and only when there is something to cut."""
        if not self.path.exists():
            return
        rows = self.path.read_text().splitlines()
        if len(rows) > generations + 1:
            atomic_write_bytes(self.path, ("\n".join(rows[: generations + 1]) + "\n").encode())

    def generation_scoring(self, center_fitness: float) -> int | None:
        """The first logged generation whose centre scored `center_fitness` (None without log.csv or such a row)."""
        if not self.path.exists():
            return None
        with self.path.open() as stream:
            for row in csv.DictReader(stream):
                if float(row["center_fitness"]) == center_fitness:
                    return int(row["generation"])
        return None

    def checked_env_steps(self, checkpoint: Checkpoint) -> int:
        """The env steps the run has spent, once log.csv is checked against `checkpoint`: a valid row for each of
        its generations (rows past it are a killed run's, cut on resume), adding up to its recorded env steps.
        CheckpointError otherwise; a checkpoint that records none: log.csv's sum, with a warning."""
        generations = checkpoint.state.generation
        logged = sum(self.generation_steps(generations))
        if checkpoint.env_steps is None:
            warnings.warn(f"{self.path.parent / 'checkpoint.npz'} records no env-step count (written by an older "
                          f"hebbkit): the budget counts log.csv's {logged:,}", UncheckedCheckpointWarning,
                          stacklevel=2)
            return logged
        if logged != checkpoint.env_steps:
            raise CheckpointError(f"{self.path}'s generations 1-{generations} add up to {logged:,} env steps, "
                                  f"checkpoint.npz recorded {checkpoint.env_steps:,}: log.csv was edited or comes "
                                  "from another run. Restore it to resume (nothing was changed)")
        return logged

    def generation_steps(self, generations: int) -> list[int]:
        """The env steps of generations 1..`generations` as log.csv holds them (CheckpointError if it is missing,
        damaged or holds fewer)."""
        if generations and not self.path.is_file():
            raise CheckpointError(f"{self.path} is missing; checkpoint.npz is at generation {generations}. Restore it "
                                  "to resume (nothing was changed)")
        if not generations:
            return []
        try:
            lines = self.path.read_bytes().decode().splitlines()
            rows = list(csv.reader(lines[: generations + 1]))
        except (UnicodeDecodeError, csv.Error) as error:
            raise CheckpointError(f"{self.path} is damaged ({error}). Restore it to resume (nothing was changed)") \
                from error
        if not rows or tuple(rows[0]) != LOG_FIELDS:
            raise CheckpointError(f"{self.path} is damaged: its header is not {','.join(LOG_FIELDS)}. Restore it "
                                  "to resume (nothing was changed)")
        if len(rows) - 1 < generations:
            raise CheckpointError(f"{self.path} holds {len(rows) - 1} generations, checkpoint.npz is at generation "
                                  f"{generations}: log.csv was cut or damaged. Restore it to resume (nothing was "
                                  "changed)")
        return [self._row_steps(row, number) for number, row in enumerate(rows[1:], start=1)]

    def _row_steps(self, row: list[str], generation: int) -> int:
        """The env steps of log.csv's row for `generation`, checked (CheckpointError names the line)."""
        problem = None
        if len(row) != len(LOG_FIELDS):
            problem = f"{len(row)} fields, expected {len(LOG_FIELDS)}"
        else:
            values = dict(zip(LOG_FIELDS, row, strict=True))
            if values["generation"] != str(generation):
                problem = f"generation {values['generation']!r}, expected {generation}"
            elif not values["env_steps"].isdigit():
                problem = f"env_steps {values['env_steps']!r} is not a count"
        if problem:
            raise CheckpointError(f"{self.path} line {generation + 1} is damaged ({problem}). Restore it to resume "
                                  "(nothing was changed)")
        return int(values["env_steps"])
