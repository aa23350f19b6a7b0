"""Backends that run one control step: act with the current weights, then apply the Hebbian update.

All keep the plastic weights in buffers they own (`weights` returns live [in, out] views) and are parity-tested
against `hebbkit.runtime.network.reference_step`.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from ..artifact import PolicyArtifact
from ..errors import ConfigError

BACKENDS = ("numpy", "onnx", "c")


class StepBackend(Protocol):
    """What `Policy` needs from a backend."""

    name: str

    @property
    def weights(self) -> list[np.ndarray]:
        """The current weights, as live float32 [in, out] views (do not keep them across steps)."""
        ...

    def load_weights(self, weights: list[np.ndarray]) -> None:
        """Copy `weights` into the backend's buffers."""
        ...

    def step(self, observation: np.ndarray, plastic: bool) -> np.ndarray:
        """One control step on a validated float32 [n_in] observation; returns a live [n_out] action view."""
        ...


def make_backend(artifact: PolicyArtifact, backend: str, **options: Any) -> StepBackend:
    """Instantiate a backend by name ("numpy", "onnx" or "c"); the ONNX one imports onnxruntime only now, the C one
    compiles its kernel on first use."""
    if backend == "numpy":
        from .numpy_backend import NumpyBackend

        return NumpyBackend(artifact, **options)
    if backend == "onnx":
        from .onnx_backend import OnnxBackend

        return OnnxBackend(artifact, **options)
    if backend == "c":
        from .c_backend import CBackend

        return CBackend(artifact, **options)
    raise ConfigError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
