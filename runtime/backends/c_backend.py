"""C backend: the plastic layers run in the C kernel (`runtime/kernel/hebb_kernel.c`), the same source a
firmware build compiles. The host library is built on first use with the system's C compiler (cc, or $CC) into a
per-user cache, so a NumPy-only install keeps working and says how to enable this backend when no compiler exists.

The front end (CarRacing's convolutions) and the action head stay in NumPy (inherited from `NumpyBackend`); the
weights live in the same float32 buffers, so `weights`/`load_weights` behave identically.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..artifact import PolicyArtifact
from ..errors import ConfigError, HebbkitError
from ..frontend import frontend_forward
from ..network import NetworkSpec
from .numpy_backend import NumpyBackend

KERNEL_DIR = Path(__file__).resolve().parents[1] / "kernel"
SOURCES = ("hebb_kernel.c", "hebb_kernel.h")
ACTIVATION_CODES = {"tanh": 0, "identity": 1, "sigmoid": 2, "relu": 3}
USE_B, USE_C, USE_D, NORMALIZE, LEARNS, STANDARDIZE = 1, 2, 4, 8, 16, 32  # hebb_kernel.h's HEBB_* flags
WEIGHT_NORM_FLAGS = {"none": 0, "max": NORMALIZE, "standardize": STANDARDIZE}
BAD_INPUT, BAD_OUTPUT = 1, 2  # hebb_checked_step's status bits
COMPILE_FLAGS = ("-O3", "-std=c99", "-fPIC", "-shared", "-ffp-contract=off", "-fno-fast-math")


class KernelBuildError(HebbkitError, RuntimeError):
    """The C kernel could not be compiled or loaded; the message says how to fix it or what to use instead."""


class _Layer(ctypes.Structure):
    _fields_ = [("n_in", ctypes.c_int32), ("n_out", ctypes.c_int32), ("activation", ctypes.c_int32),
                ("a", ctypes.c_void_p), ("b", ctypes.c_void_p), ("c", ctypes.c_void_p), ("d", ctypes.c_void_p),
                ("weights", ctypes.c_void_p), ("post", ctypes.c_void_p)]


class _Network(ctypes.Structure):
    _fields_ = [("n_layers", ctypes.c_int32), ("flags", ctypes.c_uint32),
                ("layers", ctypes.POINTER(_Layer)), ("scratch", ctypes.c_void_p), ("weights_small", ctypes.c_int32)]


def kernel_flags(spec: NetworkSpec) -> int:
    """The kernel's `hebb_network.flags` for a network: the rule's terms, its weight normalisation, whether it
    learns (shared by this backend and the C export)."""
    has = set(spec.rule_spec.coefficients)
    return ((USE_B if "B" in has else 0) | (USE_C if "C" in has else 0) | (USE_D if has & {"D", "D_out"} else 0)
            | WEIGHT_NORM_FLAGS[spec.weight_norm] | (LEARNS if spec.rule_spec.n_coefficients > 0 else 0))


def cache_dir() -> Path:
    """Where built kernels are kept: $HEBBKIT_CACHE, else $XDG_CACHE_HOME/hebbkit, else ~/.cache/hebbkit."""
    if os.environ.get("HEBBKIT_CACHE"):
        return Path(os.environ["HEBBKIT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hebbkit"


def kernel_library_path() -> Path:
    """The host library of the current kernel source, compiled now if it is not cached yet (atomically, so that
    several worker processes may race to build it)."""
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update((KERNEL_DIR / name).read_bytes())
    digest.update(" ".join(COMPILE_FLAGS).encode())
    target = cache_dir() / f"hebb_kernel-{digest.hexdigest()[:16]}.so"
    if target.exists():
        return target
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        raise KernelBuildError("backend 'c' compiles the C kernel on first use and found no C compiler (cc, gcc, "
                               "clang or $CC): install one (Debian: apt-get install gcc) or use backend='numpy'")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as folder:
        built = Path(folder) / target.name
        command = [compiler, *COMPILE_FLAGS, "-o", str(built), str(KERNEL_DIR / "hebb_kernel.c"), "-lm"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False)
        except OSError as error:
            raise KernelBuildError(f"could not run the C compiler {compiler!r} ({error}): install one (Debian: "
                                   "apt-get install gcc), set $CC, or use backend='numpy'") from error
        if result.returncode != 0:
            raise KernelBuildError(f"compiling the C kernel failed ({' '.join(command)}):\n{result.stderr.strip()}")
        os.replace(built, target)
    return target


_LIBRARY: ctypes.CDLL | None = None


def kernel_library() -> ctypes.CDLL:
    """The loaded kernel (built on first use), shared by every CBackend of the process."""
    global _LIBRARY
    if _LIBRARY is None:
        library = ctypes.CDLL(str(kernel_library_path()))
        library.hebb_step.argtypes = (ctypes.POINTER(_Network), ctypes.c_void_p, ctypes.c_int)
        library.hebb_step.restype = ctypes.c_void_p
        library.hebb_checked_step.argtypes = (ctypes.POINTER(_Network), ctypes.c_void_p, ctypes.c_int)
        library.hebb_checked_step.restype = ctypes.c_int32
        _LIBRARY = library
    return _LIBRARY


class CBackend(NumpyBackend):
    """The NumPy backend's buffers and head, with the plastic layers stepped by the C kernel."""

    name = "c"

    def __init__(self, artifact: PolicyArtifact) -> None:
        super().__init__(artifact)
        spec = artifact.network
        unknown = sorted(set(spec.activations) - set(ACTIVATION_CODES))
        if unknown:
            raise ConfigError(f"the C kernel knows activations {sorted(ACTIVATION_CODES)}, not {unknown}")
        self._library = kernel_library()
        self._input = np.zeros(spec.layer_sizes[0], dtype=np.float32)
        self._scratch = np.zeros(max(spec.layer_sizes[1:]), dtype=np.float64)
        layers = (_Layer * spec.n_layers)()
        for index, (activation, folded) in enumerate(zip(spec.activations, self._folded, strict=True)):
            n_in, n_out = spec.layer_shapes[index]
            layers[index] = _Layer(n_in, n_out, ACTIVATION_CODES[activation], folded.a.ctypes.data,
                                   folded.b.ctypes.data, folded.c.ctypes.data, folded.d.ctypes.data,
                                   self._weights[index].ctypes.data, self._post[index].ctypes.data)
        flags = kernel_flags(spec)
        self._layers = layers  # keeps the array alive for the network's pointer
        self._network = _Network(spec.n_layers, flags, layers, self._scratch.ctypes.data, 0)
        self._network_pointer = ctypes.byref(self._network)
        self._input_pointer = self._input.ctypes.data
        self._bound: tuple[np.ndarray, int] | None = None  # a caller's observation buffer the kernel reads in place

    def weights_small(self) -> bool:
        """True when the last step updated every layer and left every |w| <= 1e15 (the kernel's
        HEBB_SMALL_WEIGHT), so every layer's float32 sum of squares is finite: the policy's guard can then skip
        its own pass when it only guards against non-finite norms."""
        return self._network.weights_small != 0

    def load_weights(self, weights: list[np.ndarray]) -> None:
        super().load_weights(weights)
        self._network.weights_small = 0  # unknown until the next update

    @property
    def checks_in_kernel(self) -> bool:
        """Whether `checked_step` can stand in for the caller's finiteness checks: no front end and no action head
        (their NumPy code would run outside those checks)."""
        return self._spec.frontend is None and self._spec.action_head is None

    def checked_step(self, observation: np.ndarray, plastic: bool) -> int:
        """One step with the kernel's own checks (only where `checks_in_kernel`): 0, or BAD_INPUT (non-finite
        observation: nothing changed), or BAD_OUTPUT (the step ran and its output is non-finite). The action is
        `output` afterwards."""
        if self._bound is not None and self._bound[0] is observation:
            pointer = self._bound[1]
        else:
            pointer = self._pointer_of(observation)
        return int(self._library.hebb_checked_step(self._network_pointer, pointer, 1 if plastic else 0))

    @property
    def output(self) -> np.ndarray:
        """The last step's output (a live view)."""
        return self._post[-1]

    def _pointer_of(self, observation: np.ndarray) -> int:
        """Where the kernel reads the observation: the caller's own float32 buffer (bound, no copy) or a copy."""
        if observation.dtype == np.float32 and observation.flags.c_contiguous and observation.size == self._input.size:
            self._bound = (observation, observation.ctypes.data)
            return self._bound[1]
        np.copyto(self._input, observation.reshape(-1))
        return self._input_pointer

    def step(self, observation: np.ndarray, plastic: bool) -> np.ndarray:
        if self._spec.frontend is not None:
            features = frontend_forward(self._spec.frontend, self._frontend_weights, observation)
            np.copyto(self._input, features, casting="same_kind")
            pointer = self._input_pointer
        elif self._bound is not None and self._bound[0] is observation:
            pointer = self._bound[1]  # `Policy` passes the same float32 buffer every step: no copy
        else:
            pointer = self._pointer_of(observation)
        self._library.hebb_step(self._network_pointer, pointer, 1 if plastic else 0)
        return self._head(self._post[-1])
