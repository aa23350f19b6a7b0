"""The models the repository ships in `models/`, found from any working folder.

`hebbkit demo` and `hebbkit ros-demo` default to `models/ant-robust/model.npz`, a path relative to the checkout. A
relative path that is not in the working folder is also looked up in the checkout this package runs from (an
editable install or the source tree); a wheel holds no `models/`, so there the commands name `--model`.
"""

from __future__ import annotations

from pathlib import Path

from .errors import ArtifactNotFoundError

DEFAULT_MODEL = Path("models/ant-robust/model.npz")
"""The best shipped Ant model, relative to the checkout."""
CHECKOUT = Path(__file__).resolve().parents[1]
"""The folder that holds `runtime/` (and `models/`) in a checkout or an editable install."""


def locate_model(path: Path) -> Path | None:
    """`path` if it is a file; else, for a relative path, the same path in the checkout; else None."""
    if path.is_file():
        return path
    candidate = CHECKOUT / path
    if not path.is_absolute() and candidate.is_file():
        return candidate
    return None


def find_model(path: Path, flag: str = "--model") -> Path:
    """`locate_model(path)`, or `ArtifactNotFoundError` in one line naming `flag`."""
    found = locate_model(path)
    if found is None:
        where = "" if path.is_absolute() else f" (in the working folder, nor in {CHECKOUT})"
        raise ArtifactNotFoundError(f"no model at {path}{where}: give one with {flag} PATH (a run's best.npz, or "
                                    "models/*/model.npz of a hebbkit checkout)")
    return found
