"""Paths that are not artifact files: refused before they are opened, and no read goes unbounded.

Guaranteed (issue 28, "Special files"): `load_artifact`, `read_metadata` and so `hebbkit inspect` refuse a
directory, FIFO, character or block device or socket with a one-line `ArtifactCorruptError` without opening it
(a FIFO would block for ever, /dev/zero be read without end, a serial port reset its board), check the open
descriptor again, and refuse a regular file over `MAX_FILE_BYTES` before reading it. Symlinks to artifacts load.
"""

from __future__ import annotations

import io
import os
import resource
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hebbkit.runtime import NetworkSpec, load_artifact, new_artifact, read_metadata, save_artifact
from hebbkit.runtime.artifact import MAX_FILE_BYTES, open_regular_file
from hebbkit.runtime.errors import ArtifactCorruptError, ArtifactNotFoundError, ArtifactTooLargeError

MEMORY_LIMIT = 2 * 2**30
"""Address space of the `hebbkit inspect` subprocesses: a reader without bounds fails instead of eating the host."""


def finishes(call: Callable[[], object], seconds: float = 30.0) -> BaseException | None:
    """Run `call` in a thread; the error it raised (None if none). Fails if it is still blocked after `seconds`."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as error:  # the test inspects whatever was raised
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still blocked after {seconds} s"
    return outcome[0]


@pytest.fixture
def fifo(tmp_path) -> Iterator[Path]:
    path = tmp_path / "model.npz"
    os.mkfifo(path)
    yield path
    try:  # release a reader that blocked on it (the behaviour under test failed), so the thread ends
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass


@pytest.fixture
def unix_socket(tmp_path) -> Iterator[Path]:
    path = tmp_path / "model.npz"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    yield path
    server.close()


def refused_in_one_line(call: Callable[[], object], kind: type[Exception], words: str) -> None:
    error = finishes(call)
    assert isinstance(error, kind), repr(error)
    assert words in str(error) and "\n" not in str(error), str(error)


@pytest.mark.parametrize("reader", [load_artifact, read_metadata])
def test_a_fifo_is_refused_without_blocking(fifo, reader):
    refused_in_one_line(lambda: reader(fifo), ArtifactCorruptError, "is a FIFO")


@pytest.mark.parametrize("reader", [load_artifact, read_metadata])
def test_a_socket_and_a_directory_are_refused(unix_socket, tmp_path, reader):
    refused_in_one_line(lambda: reader(unix_socket), ArtifactCorruptError, "is a socket")
    refused_in_one_line(lambda: reader(tmp_path), ArtifactCorruptError, "is a directory")


def test_a_character_device_is_refused_before_it_is_opened(monkeypatch):
    """/dev/null stands for any device here (/dev/zero is tried in a memory-limited subprocess below)."""
    opened: list[object] = []

    def recorder(real: Callable[..., object]) -> Callable[..., object]:
        return lambda path, *args, **kwargs: opened.append(path) or real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", recorder(os.open))
    monkeypatch.setattr(io, "open", recorder(io.open))
    refused_in_one_line(lambda: load_artifact("/dev/null"), ArtifactCorruptError, "is a character device")
    refused_in_one_line(lambda: read_metadata("/dev/null"), ArtifactCorruptError, "is a character device")
    assert opened == []  # a serial port is never opened (opening one resets many boards)


def test_a_file_past_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.npz"
    with open(path, "wb") as stream:
        stream.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk space, no reading
    refused_in_one_line(lambda: load_artifact(path), ArtifactTooLargeError, f"at most {MAX_FILE_BYTES:,}")


def test_missing_files_and_symlinks(tmp_path):
    artifact = new_artifact(NetworkSpec(layer_sizes=(3, 2), activations=("tanh",)), seed=0)
    path = save_artifact(artifact, tmp_path / "model.npz")
    (tmp_path / "link.npz").symlink_to(path)
    assert load_artifact(tmp_path / "link.npz").sha256() == artifact.sha256()
    (tmp_path / "dangling.npz").symlink_to(tmp_path / "gone.npz")
    refused_in_one_line(lambda: load_artifact(tmp_path / "dangling.npz"), ArtifactNotFoundError, "no policy artifact")
    refused_in_one_line(lambda: load_artifact(path / "inside"), ArtifactNotFoundError, "no policy artifact")
    with open_regular_file(path, MAX_FILE_BYTES) as stream:
        assert stream.read(2) == b"PK"


def limited_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_hebbkit_inspect_of_a_special_file_is_one_line_and_exit_1(target, request):
    """In a subprocess with a memory limit and a timeout: a reader without bounds fails the test, not the host."""
    path = str(request.getfixturevalue("fifo")) if target == "fifo" else target
    result = subprocess.run([sys.executable, "-m", "hebbkit.trainer.cli", "inspect", path], capture_output=True,
                            text=True, timeout=120, preexec_fn=limited_memory)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert f"validation   FAILED: ArtifactCorruptError: {path} is a " in result.stdout
