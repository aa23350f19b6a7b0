"""`Policy`: a loaded artifact plus live plastic weights, stepped at the control rate.

    policy = load_policy("models/ant.npz", backend="onnx")
    policy.reset(seed=7)          # fresh random weights, as at every episode start and robot boot
    action = policy.step(obs)     # act with the current weights, then apply the Hebbian update

Observations are checked before they reach the network: a wrong shape always raises `ObservationError`; NaN/Inf
raises too (nan_policy="raise") or returns the previous action without touching the weights (nan_policy="hold").
After every update the guard checks each layer's Frobenius norm: a non-finite norm, or one above
`max_weight_norm`, restores the episode's initial weights and is counted in `stats.guard_resets`.

`step` never returns NaN or Inf. A finite observation can still overflow the forward pass (identity or relu
layers fed values near float32's limit): the step then returns the previous action (zeros right after `reset`),
restores the initial weights if learning (counted in `stats.guard_resets`), counts `stats.overflows` and does not
raise, since the observation itself was valid. Initial weights (`reset`) and `set_weights` must be finite
(`WeightsError`), so the guard only ever restores finite weights.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .artifact import PolicyArtifact, load_artifact
from .backends import StepBackend, make_backend
from .backends.c_backend import BAD_INPUT, BAD_OUTPUT
from .errors import ConfigError, ObservationError, WeightsError
from .network import INIT_GENERATORS

NAN_POLICIES = ("raise", "hold")


@dataclass
class PolicyStats:
    """Counters since the last `reset` (steps) and since construction (the rest)."""

    steps: int = 0
    guard_resets: int = 0
    rejected_observations: int = 0
    overflows: int = 0
    """Steps whose forward pass overflowed to NaN/Inf: the previous action was returned instead."""


class Policy:
    """A Hebbian policy: act, then learn, every `step`. Weights start random at every `reset`.

    backend: "numpy" (reference-speed NumPy) or "onnx" (ONNX Runtime with bound buffers).
    plastic: False freezes learning (weights stay as they are; actions still computed).
    nan_policy: "raise" (default) or "hold" for non-finite observations.
    max_weight_norm: per-layer Frobenius bound of the guard; default inf guards non-finite values only (trained
        Ant rules legitimately reach |w| ~ 5e4).
    init_rng: generator of the initial weights, "numpy" (default) or "pcg32", the one a board running the model
        exported by `hebbkit export --c` draws from: the same integer seed gives the same weights on both.
    """

    def __init__(
        self,
        artifact: PolicyArtifact,
        backend: str = "numpy",
        *,
        seed: int | None = 0,
        plastic: bool = True,
        nan_policy: str = "raise",
        max_weight_norm: float = math.inf,
        init_rng: str = "numpy",
        **backend_options: Any,
    ) -> None:
        if nan_policy not in NAN_POLICIES:
            raise ConfigError(f"nan_policy must be one of {NAN_POLICIES}, got {nan_policy!r}")
        if not max_weight_norm > 0:
            raise ConfigError(f"max_weight_norm must be > 0 (inf to check finiteness only), got {max_weight_norm}")
        self.artifact = artifact
        self.spec = artifact.network
        self.backend: StepBackend = make_backend(artifact, backend, **backend_options)
        self.plastic = plastic
        self.nan_policy = nan_policy
        self.max_weight_norm = float(max_weight_norm)
        if init_rng not in INIT_GENERATORS:
            raise ConfigError(f"init_rng must be one of {INIT_GENERATORS}, got {init_rng!r}")
        self.init_rng = init_rng
        self._max_sq_norm = self.max_weight_norm**2
        self.stats = PolicyStats()
        self._observation = np.zeros(self.spec.observation_shape, dtype=np.float32)
        self._flat_observation = self._observation.reshape(-1)
        self._zeros = np.zeros(self._flat_observation.size, dtype=np.float32)
        self._last_action = np.zeros(self.spec.n_outputs, dtype=np.float32)
        self._action_zeros = np.zeros(self.spec.n_outputs, dtype=np.float32)
        self._initial_weights: list[np.ndarray] = []
        self._stored_weights = stored_initial_weights(artifact)
        # one contiguous vector of every weight, when the backend keeps one: the guard's fast path
        self._flat_weights: np.ndarray | None = getattr(self.backend, "flat_weights", None)
        self._weights_small = getattr(self.backend, "weights_small", None)
        # a backend that checks the observation and the output itself (the C kernel, without front end or head)
        self._checked_step = (self.backend.checked_step  # type: ignore[attr-defined]
                              if getattr(self.backend, "checks_in_kernel", False) else None)
        self.reset(seed)

    @property
    def backend_name(self) -> str:
        return self.backend.name

    def reset(self, seed: int | np.random.Generator | None = None) -> None:
        """Start an episode: draw fresh random initial weights from `seed` (an integer >= 0, a Generator, or None
        for fresh entropy) and clear the last action. Non-finite initial weights raise `WeightsError`."""
        if not (seed is None or isinstance(seed, np.random.Generator)
                or (isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0)):
            raise ConfigError(f"seed must be an integer >= 0 or None, got {seed!r}")
        initial = self.spec.initial_weights(seed, self._stored_weights, self.init_rng)
        _check_finite_weights(initial, "initial weights")
        self._initial_weights = initial
        self.backend.load_weights(self._initial_weights)
        self._last_action[:] = 0.0
        self.stats.steps = 0

    def step(self, observation: np.ndarray) -> np.ndarray:
        """Act on `observation` ([n_in], finite) with the current weights, then update them if plastic."""
        buffer = self._observation
        if np.shape(observation) != buffer.shape:
            raise ObservationError(f"observation should have shape {buffer.shape}, found {np.shape(observation)}")
        try:
            np.copyto(buffer, observation, casting="same_kind")
        except (ValueError, TypeError) as error:
            raise ObservationError(
                f"observation should be real numbers, found dtype "
                f"{getattr(observation, 'dtype', type(observation).__name__)}"
            ) from error
        if self._checked_step is not None:  # the same checks, made by the kernel (no NumPy warnings to silence)
            status = self._checked_step(buffer, self.plastic)
            if status & BAD_INPUT:
                return self._reject_observation()
            if status & BAD_OUTPUT:
                return self._overflowed()
            action = self.backend.output  # type: ignore[attr-defined]
            if self.plastic and not self._kernel_saw_small_weights():
                with np.errstate(over="ignore", invalid="ignore"):
                    self._guard()
            return self._acted(action)
        # Non-finite values are this method's to report (ObservationError, the guard's counter), so NumPy's
        # floating-point warnings are silenced here. finite * 0 == 0 exactly while NaN or Inf * 0 is NaN: one dot
        # product checks every entry without overflowing on large finite values.
        with np.errstate(over="ignore", invalid="ignore"):
            if self._flat_observation.dot(self._zeros) != 0.0:
                return self._reject_observation()
            action = self.backend.step(buffer, self.plastic)
            if action.dot(self._action_zeros) != 0.0:  # the forward pass overflowed: NaN/Inf in the action
                return self._overflowed()
            if self.plastic:
                self._guard()
        return self._acted(action)

    def _reject_observation(self) -> np.ndarray:
        """A non-finite observation: counted; the previous action (nan_policy "hold") or ObservationError."""
        self.stats.rejected_observations += 1
        if self.nan_policy == "hold":
            return self._last_action.copy()
        bad = np.flatnonzero(~np.isfinite(self._flat_observation)).tolist()[:20]
        raise ObservationError(f"observation holds NaN/Inf at indices {bad}; expected finite values")

    def _overflowed(self) -> np.ndarray:
        """The forward pass overflowed: counted, initial weights restored when learning, previous action."""
        self.stats.overflows += 1
        if self.plastic:
            self.stats.guard_resets += 1
            self.backend.load_weights(self._initial_weights)
        return self._last_action.copy()

    def _acted(self, action: np.ndarray) -> np.ndarray:
        self.stats.steps += 1
        np.copyto(self._last_action, action)
        return self._last_action.copy()

    def _kernel_saw_small_weights(self) -> bool:
        """The C kernel saw every weight of this update within 1e15, so every norm is finite: nothing to guard
        when the guard checks finiteness only."""
        return self._max_sq_norm == math.inf and self._weights_small is not None and self._weights_small()

    def _guard(self) -> None:
        if self._kernel_saw_small_weights():
            return
        flat = self._flat_weights
        if flat is not None and self._max_sq_norm == math.inf:
            total = flat.dot(flat)  # a sum of squares: finite only when every layer's is (NaN, Inf and overflow
            if math.isfinite(total):  # fall through to the per-layer check that decides)
                return
        for weights in self.backend.weights:
            flat = weights.reshape(-1)
            squared_norm = flat.dot(flat)
            if not (math.isfinite(squared_norm) and squared_norm <= self._max_sq_norm):
                self.stats.guard_resets += 1
                self.backend.load_weights(self._initial_weights)
                return

    @property
    def weights(self) -> list[np.ndarray]:
        """A copy of the current weights ([in, out] per layer)."""
        return [w.copy() for w in self.backend.weights]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Overwrite the current weights: real, finite, of the network's shapes (else `WeightsError`)."""
        expected = self.spec.layer_shapes
        found = [tuple(np.shape(w)) for w in weights]
        if found != expected:
            raise WeightsError(f"weights should have shapes {expected}, found {found}")
        try:
            with np.errstate(over="ignore"):  # values past float32's range become Inf, refused just below
                converted = [np.asarray(w, dtype=np.float32) for w in weights]
        except (TypeError, ValueError) as error:
            raise WeightsError(f"weights should be real numbers ({type(error).__name__}: {error})") from error
        _check_finite_weights(converted, "weights")
        self.backend.load_weights(converted)

    @property
    def initial_weights(self) -> list[np.ndarray]:
        """The weights this episode started from (copies)."""
        return [w.copy() for w in self._initial_weights]


def _check_finite_weights(weights: list[np.ndarray], what: str) -> None:
    """Raise `WeightsError` naming the first layer that holds NaN/Inf (float32 overflow included)."""
    for layer, matrix in enumerate(weights):
        bad = int(matrix.size - np.count_nonzero(np.isfinite(matrix)))
        if bad:
            raise WeightsError(f"{what} of layer {layer} hold {bad} NaN/Inf values; expected all finite")


def stored_initial_weights(artifact: PolicyArtifact) -> list[np.ndarray] | None:
    """The artifact's stored initial weights (`static/initial_weights/<l>`), or None for random ones."""
    if artifact.network.init.distribution != "stored":
        return None
    return [artifact.static_tensors[f"initial_weights/{layer}"] for layer in range(artifact.network.n_layers)]


def load_policy(
    source: str | os.PathLike | PolicyArtifact, backend: str = "numpy", **options: Any
) -> Policy:
    """Load and validate an artifact (path or object) and wrap it in a `Policy` on `backend`."""
    artifact = source if isinstance(source, PolicyArtifact) else load_artifact(source)
    return Policy(artifact, backend, **options)
