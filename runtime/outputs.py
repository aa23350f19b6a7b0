"""Where commands write their outputs: several files all or nothing, and folders checked before anything is written.

A command that writes more than one file (`hebbkit export --onnx F --c DIR`) stages every file as a temporary file
beside its target first and renames them into place only once all are staged, so a failure part-way (an unwritable
folder, a full disk) leaves nothing new behind: no partial file, no half of the set, no folder it created.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputPathError


def check_output_folder(folder: Path, flag: str) -> Path:
    """`folder` for writing files into: an existing folder or one that can be created (`OutputPathError` for a
    file, or an empty path)."""
    if not str(folder).strip():
        raise OutputPathError(f"{flag} needs a folder; got an empty path")
    if folder.exists() and not folder.is_dir():
        raise OutputPathError(f"{flag} {folder} is a file; expected a folder (new or existing)")
    return folder


def check_output_file(path: Path, flag: str) -> Path:
    """`path` for writing one file: not a folder, not an empty path, and its folder not a file."""
    if not str(path).strip():
        raise OutputPathError(f"{flag} needs a file name; got an empty path")
    if path.is_dir():
        raise OutputPathError(f"{path} is a folder; expected the path of a file to write ({flag})")
    blocking = next((parent for parent in path.parents if parent.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise OutputPathError(f"{flag} {path}: {blocking} is a file, not a folder")
    return path


@contextmanager
def writing(path: Path, flag: str) -> Iterator[Path]:
    """Around code that writes the one file `path` itself (a plot, a GIF): `path` checked, its folder made, and
    any `OSError` of the block as one `OutputPathError` line naming `flag`."""
    check_output_file(path, flag)
    try:
        make_folder(path.parent)
        yield path
    except OutputPathError as error:
        raise OutputPathError(f"{flag} {path}: {error}") from error
    except OSError as error:
        raise OutputPathError(f"{flag} {path}: cannot write it ({error.strerror or error})") from error


def write_files(files: dict[Path, bytes]) -> list[Path]:
    """Write every file of `files` or none (`OutputPathError` naming the first that could not be staged)."""
    created: list[Path] = []
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            created.extend(make_folder(path.parent))
            staged.append((stage(path, data), path))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        for folder in reversed(created):
            remove_if_empty(folder)
        raise
    for temporary, path in staged:
        os.replace(temporary, path)
    return list(files)


def make_folder(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents; returns those it created, outermost first."""
    missing = [parent for parent in (folder, *folder.parents) if not parent.exists()][::-1]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputPathError(f"cannot create the folder {folder} ({error.strerror or error})") from error
    return missing


def stage(path: Path, data: bytes) -> Path:
    """`data` in a synced temporary file beside `path`, to be renamed over it."""
    if path.is_dir():
        raise OutputPathError(f"{path} is a folder; expected the path of a file to write")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise OutputPathError(f"cannot write {path} ({error.strerror or error})") from error
    temporary = Path(name)
    try:
        os.fchmod(handle, 0o644)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OutputPathError(f"cannot write {path} ({error.strerror or error})") from error
        raise
    return temporary


def remove_if_empty(folder: Path) -> None:
    """Remove `folder` if it is empty (a folder `write_files` created for nothing)."""
    try:
        folder.rmdir()
    except OSError:
        pass
