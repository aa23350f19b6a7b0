"""The run directory's files as `hebbkit train --resume` reads them: special files and oversized members are refused
before anything is read (issue 28, "Special files"), with a one-line `CheckpointError`.

`checkpoint.npz` and `config.json` are opened only if they are regular files of bounded size; every array's
`.npy` header must announce exactly the data its member holds before that data is allocated or read.
"""

from __future__ import annotations

import io
import os
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hebbkit.trainer.checkpoints import (
    MAX_CHECKPOINT_BYTES,
    CheckpointError,
    load_checkpoint,
    read_npz,
    read_stored_config,
)

SIZE, SEED = 6, 3


def state_arrays() -> dict[str, np.ndarray]:
    mean = np.linspace(-1, 1, SIZE)
    return {"mean": mean, "sigma": np.array(0.1), "learning_rate": np.array(0.2), "generation": np.array(4),
            "seed": np.array(SEED), "adam_m": np.zeros(SIZE), "adam_v": np.zeros(SIZE),
            "best_center_fitness": np.array(12.5), "best_parameters": mean * 2}


def write_npz(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(f"{name}.npy", data)
    return path


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def refused(call, words: str, seconds: float = 30.0) -> None:
    """`call` raises a one-line CheckpointError holding `words`, within `seconds` (a FIFO must not block it)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as error:  # inspected below
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still blocked after {seconds} s"
    assert isinstance(outcome[0], CheckpointError), repr(outcome[0])
    assert words in str(outcome[0]) and "\n" not in str(outcome[0]), str(outcome[0])


@pytest.fixture
def run_dir(tmp_path) -> Path:
    directory = tmp_path / "run"
    directory.mkdir()
    yield directory
    for name in ("checkpoint.npz", "config.json"):  # release a reader a FIFO blocked, if the behaviour failed
        path = directory / name
        if path.is_fifo():
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass


def test_a_checkpoint_reads_back_as_numpy_wrote_it(tmp_path):
    path = tmp_path / "checkpoint.npz"
    np.savez_compressed(path, **state_arrays())
    arrays = read_npz(path, MAX_CHECKPOINT_BYTES)
    assert sorted(arrays) == sorted(state_arrays())
    for name, expected in state_arrays().items():
        assert arrays[name].dtype == expected.dtype and np.array_equal(arrays[name], expected)
    checkpoint = load_checkpoint(path, SIZE, SEED)
    assert checkpoint.best_center_fitness == 12.5 and checkpoint.state.generation == 4


def test_a_fifo_checkpoint_or_config_is_refused_without_blocking(run_dir):
    os.mkfifo(run_dir / "checkpoint.npz")
    refused(lambda: load_checkpoint(run_dir / "checkpoint.npz", SIZE, SEED), "is a FIFO")
    os.mkfifo(run_dir / "config.json")
    refused(lambda: read_stored_config(run_dir), "is a FIFO")


def test_a_directory_as_checkpoint_is_refused(run_dir):
    (run_dir / "checkpoint.npz").mkdir()
    refused(lambda: load_checkpoint(run_dir / "checkpoint.npz", SIZE, SEED), "is a directory")


def test_an_array_header_announcing_terabytes_is_refused_before_allocating(run_dir):
    members = {name: npy(array) for name, array in state_arrays().items()}
    members["adam_m"] = npy_header((2**40,)) + b"\0" * 64  # 8 TiB announced, 64 bytes held
    path = write_npz(run_dir / "checkpoint.npz", members)
    refused(lambda: load_checkpoint(path, SIZE, SEED), "announces 8,796,093,022,208 bytes")


def test_members_that_unpack_past_the_limit_are_refused_unread(run_dir):
    path = run_dir / "checkpoint.npz"
    np.savez_compressed(path, **{**state_arrays(), "adam_m": np.zeros(10**6)})  # 8 MB of zeros deflate to ~8 kB
    with pytest.raises(ValueError, match="unpack to"):
        read_npz(path, path.stat().st_size + 1)
