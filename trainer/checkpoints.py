"""The files of a run directory that make it resumable: config.json, checkpoint.npz and log.csv.

`checkpoint.npz` (the ES state, the best centre so far and the config) is written atomically after every
generation; loading it checks that it belongs to the config beside it. `log.csv` has one row per generation; a run
killed between its log row and its checkpoint is cut back to the checkpoint on resume. Anything damaged is refused
with a `CheckpointError` that says what is wrong.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hebbkit.runtime.artifact import atomic_write_bytes
from hebbkit.runtime.errors import ConfigError, HebbkitError

from .es import ESState
from .train_config import TrainConfig

LOG_FIELDS = ("generation", "fitness_mean", "fitness_max", "fitness_min", "center_fitness", "best_center_fitness",
              "sigma", "learning_rate", "seconds", "env_steps", "env_steps_per_second", "retries")


class CheckpointError(HebbkitError, ValueError):
    """A checkpoint or run directory cannot be resumed; the message says why."""


# ------------------------------------------------------------------------------------------------ config.json


def write_config(directory: Path, config: TrainConfig) -> None:
    """The resolved config as RUN_DIR/config.json (flat options)."""
    (directory / "config.json").write_text(json.dumps(config.to_json(), indent=2) + "\n")


def read_stored_config(directory: Path) -> TrainConfig:
    """The config.json of a run directory (CheckpointError if it is missing or damaged)."""
    saved = directory / "config.json"
    if not directory.is_dir() or not saved.exists():
        raise CheckpointError(f"{directory} is not a run directory (no config.json)")
    try:
        data = json.loads(saved.read_text())
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, found {type(data).__name__}")
        return TrainConfig.from_json(data)
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


def save_checkpoint(path: Path, checkpoint: Checkpoint, config: TrainConfig) -> None:
    """Write `checkpoint` (and the config, for the record) atomically: a reader never sees half a file."""
    arrays = checkpoint.state.to_arrays()
    arrays["best_center_fitness"] = np.array(checkpoint.best_center_fitness)
    arrays["best_parameters"] = checkpoint.best_parameters
    arrays["config"] = np.frombuffer(json.dumps(config.to_json()).encode(), dtype=np.uint8)
    atomic_savez(path, arrays)


def load_checkpoint(path: Path, size: int, seed: int) -> Checkpoint:
    """The checkpoint at `path`, checked against the run's config: `size` parameters, run seed `seed`, finite."""
    if not path.exists():
        raise CheckpointError(f"no checkpoint.npz in {path.parent}: nothing to resume (did generation 1 finish?)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        state = ESState.from_arrays(arrays)
        best_center_fitness = float(arrays["best_center_fitness"])
    except (OSError, ValueError, TypeError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise CheckpointError(f"{path} is damaged or not a hebbkit checkpoint ({type(error).__name__}: "
                              f"{error}); the previous generation's exports latest.npz/best.npz are intact") \
            from error
    if state.mean.shape != (size,):
        raise CheckpointError(f"{path} holds a mean of shape {state.mean.shape}, the config needs ({size},)")
    if not np.isfinite(state.mean).all():
        raise CheckpointError(f"{path} holds a non-finite ES mean: not resumable")
    if state.seed != seed:
        raise CheckpointError(f"{path} was written by a run with seed {state.seed}, config.json says {seed}: the "
                              "two files do not belong together")
    best = np.array(arrays.get("best_parameters", state.mean))
    if best.shape != (size,):
        raise CheckpointError(f"{path} holds best parameters of shape {best.shape}, expected ({size},)")
    if state.adam_m.shape != state.mean.shape or state.adam_v.shape != state.mean.shape:
        raise CheckpointError(f"{path} holds optimiser moments of shapes {state.adam_m.shape}, "
                              f"{state.adam_v.shape}; expected {state.mean.shape}")
    return Checkpoint(state, best_center_fitness, best)


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
        """Keep the header and the first `generations` rows (a killed run may have logged past its checkpoint)."""
        if not self.path.exists():
            return
        rows = self.path.read_text().splitlines()
        self.path.write_text("\n".join(rows[: generations + 1]) + "\n")

    def env_steps(self) -> int:
        """Env steps of every logged generation (the run's spent budget)."""
        if not self.path.exists():
            return 0
        with self.path.open(newline="") as stream:
            return sum(int(row["env_steps"]) for row in csv.DictReader(stream))
