"""A host build of a model exported by `hebbkit export --c` (gcc, ctypes): the test harness of the export."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hebbkit.runtime import PolicyArtifact
from hebbkit.runtime.c_export import export_c

FLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "-fPIC", "-shared", "-ffp-contract=off",
         "-fno-fast-math")


class ExportedModel:
    """The exported C model compiled for the host: init (PCG32 weights), step, observe, command, weights."""

    def __init__(self, artifact: PolicyArtifact, folder: Path, seed: int) -> None:
        compiler = shutil.which("gcc") or shutil.which("cc")
        if compiler is None:
            pytest.skip("no host C compiler")
        export_c(artifact, folder)
        library = folder / "model.so"
        sources = sorted(str(path) for path in folder.glob("*.c"))
        subprocess.run([compiler, *FLAGS, "-o", str(library), *sources, "-lm"], check=True, capture_output=True)
        self.library = ctypes.CDLL(str(library))
        self.library.hebb_model_init.argtypes = (ctypes.c_void_p, ctypes.c_uint64)
        self.library.hebb_model_reset.argtypes = (ctypes.c_void_p, ctypes.c_uint64)
        self.library.hebb_model_step.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)
        self.library.hebb_model_step.restype = ctypes.POINTER(ctypes.c_float)
        self.library.hebb_model_weights.argtypes = (ctypes.c_void_p,)
        self.library.hebb_model_weights.restype = ctypes.POINTER(ctypes.c_float)
        self.library.hebb_model_command.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
        self.library.hebb_model_observe.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
        size = ctypes.c_uint32.in_dll(self.library, "hebb_model_struct_bytes").value
        self._memory = np.zeros(size // 8 + 1, dtype=np.float64)  # 8-byte aligned
        self.pointer = self._memory.ctypes.data
        self.spec = artifact.network
        self.library.hebb_model_init(self.pointer, seed)
        n_weights = sum(n_in * n_out for n_in, n_out in self.spec.layer_shapes)
        flat = np.ctypeslib.as_array(self.library.hebb_model_weights(self.pointer), shape=(n_weights,))
        self._flat_weights = flat
        self.weights = []  # views into the model's RAM
        start = 0
        for n_in, n_out in self.spec.layer_shapes:
            self.weights.append(flat[start:start + n_in * n_out].reshape(n_in, n_out))
            start += n_in * n_out
        self._observation = np.zeros(self.spec.layer_sizes[0], dtype=np.float32)

    def step(self, observation: np.ndarray, plastic: bool = True) -> np.ndarray:
        np.copyto(self._observation, observation)
        action = self.library.hebb_model_step(self.pointer, self._observation.ctypes.data, 1 if plastic else 0)
        return np.ctypeslib.as_array(action, shape=(self.spec.n_outputs,)).copy()

    def set_weights(self, weights: list[np.ndarray]) -> None:
        for target, values in zip(self.weights, weights, strict=True):
            np.copyto(target, values)

    def command(self, action: np.ndarray) -> np.ndarray:
        values = np.ascontiguousarray(action, dtype=np.float32)
        command = np.zeros_like(values)
        self.library.hebb_model_command(values.ctypes.data, command.ctypes.data)
        return command
