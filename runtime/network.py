"""The plastic feed-forward network: its specification, activations and per-episode initial weights.

Weights are stored [in, out] (row-vector products, `pre @ W`), the layout the ONNX twin uses too. A control step
first acts with the current weights, then updates every layer with this step's pre/post activations. Weights,
coefficients and activations are float32; the forward pass is computed in float64 and rounded once
(`forward_layer`), so that every backend sees the same activations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import ConfigError
from .families import DEFAULT_FAMILY, CompactTensor, RuleFamily, get_family
from .frontend import Frontend, frontend_forward
from .rules import DEFAULT_RULE, Rule, get_rule, hebbian_update

ACTIVATIONS = ("tanh", "identity", "sigmoid", "relu")
"""Per-layer activations. The activated output is both the next layer's input and the `post` of the update."""

ACTION_HEADS = ("identity", "tanh", "sigmoid")
"""Per-dimension transforms from the last layer's output to the action (CarRacing: tanh, sigmoid, sigmoid)."""

INIT_DISTRIBUTIONS = ("uniform", "normal", "xavier_uniform", "zero", "stored")

INIT_GENERATORS = ("numpy", "pcg32")
"""Random generators of the initial weights: NumPy's default (PCG64 via `default_rng`) or the portable PCG32 that
an exported C model runs on a board (`hebbkit.runtime.pcg32`)."""

WEIGHT_NORMS = ("none", "max", "standardize")
"""What happens to each layer's weights after every Hebbian update: nothing; division by the layer's largest |w| (the
paper's CarRacing setting); or standardisation to zero mean and unit variance (`standardize_layer`, Leung et al.
2025)."""

STANDARDIZE_EPSILON = 1e-5
"""Added to a layer's variance before the square root, in float64 (`standardize_layer`)."""

MAX_INIT_SCALE = 1e3
"""Largest `WeightInit.scale`: initial weights stay far inside float32's range (the paper uses 0.1)."""

MAX_SYNAPSES = 2**22
"""Largest number of plastic weights (sum of in x out over the layers): 4,194,304, 340x the Ant's 12,288 and 50x
the CarRacing network's; it bounds what a file can make a runtime allocate (weights, expanded coefficients)."""


def apply_activation(name: str, values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Apply a named activation (see `ACTIVATIONS`), in place into `out` when given."""
    if out is None:
        out = np.empty_like(values)
    if name == "tanh":
        return np.tanh(values, out=out)
    if name == "identity":
        if out is not values:
            np.copyto(out, values)
        return out
    if name == "sigmoid":
        np.negative(values, out=out)
        np.exp(out, out=out)
        out += 1.0
        return np.reciprocal(out, out=out)
    if name == "relu":
        return np.maximum(values, 0.0, out=out)
    raise ConfigError(f"unknown activation {name!r}; expected one of {ACTIVATIONS}")


@dataclass(frozen=True)
class WeightInit:
    """Distribution of the random initial weights drawn at every episode start (and every robot boot).

    `scale` is the half-width for "uniform" (U[-scale, scale], the paper's 0.1), the standard deviation for
    "normal", and the gain for "xavier_uniform" (U[-g*sqrt(6/(in+out)), +...]); "zero" ignores it. "stored" means
    the initial weights are not random but stored in the artifact (`initial_weights/<l>`): the static baseline.
    """

    distribution: str = "uniform"
    scale: float = 0.1

    def __post_init__(self) -> None:
        if self.distribution not in INIT_DISTRIBUTIONS:
            raise ConfigError(
                f"unknown weight init {self.distribution!r}; expected one of {INIT_DISTRIBUTIONS}"
            )
        if not (math.isfinite(self.scale) and 0 <= self.scale <= MAX_INIT_SCALE):
            raise ConfigError(f"weight init scale must be finite and in [0, {MAX_INIT_SCALE:g}], got {self.scale!r}")
        if self.scale == 0:
            object.__setattr__(self, "scale", 0.0)  # not -0.0, which NumPy's samplers refuse

    def sample(self, rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
        """Draw one [n_in, n_out] float32 weight matrix."""
        if self.distribution == "uniform":
            values = rng.uniform(-self.scale, self.scale, size=(n_in, n_out))
        elif self.distribution == "normal":
            values = rng.normal(0.0, self.scale, size=(n_in, n_out))
        elif self.distribution == "xavier_uniform":
            bound = self.scale * math.sqrt(6.0 / (n_in + n_out))
            values = rng.uniform(-bound, bound, size=(n_in, n_out))
        elif self.distribution == "zero":
            values = np.zeros((n_in, n_out))
        else:
            raise ConfigError("'stored' initial weights come from the artifact, not from a distribution")
        return values.astype(np.float32)


@dataclass(frozen=True)
class NetworkSpec:
    """Everything that defines the plastic network apart from its coefficients.

    layer_sizes: neurons per layer, input first (the Ant: 28, 128, 64, 8).
    activations: one per weight layer; the activated output is the `post` of that layer's update.
    rule: name of the Hebbian rule (see `hebbkit.runtime.rules.RULES`).
    init: the per-episode random initial weights.
    weight_norm: after every update, "none", "max" (divide each layer by its max |w|, the paper's CarRacing
        setting) or "standardize" (each layer to zero mean, unit variance; `standardize_layer`).
    action_head: optional per-output transform to the action; None means the last activation is the action.
    frontend: optional convolutional front end (its weights are evolved directly, stored as static tensors).
    family: which synapses share the rule's coefficients (see `hebbkit.runtime.families.FAMILIES`).
    """

    layer_sizes: tuple[int, ...] = (28, 128, 64, 8)
    activations: tuple[str, ...] = ("tanh", "tanh", "tanh")
    rule: str = DEFAULT_RULE
    init: WeightInit = field(default_factory=WeightInit)
    weight_norm: str = "none"
    action_head: tuple[str, ...] | None = None
    frontend: Frontend | None = None
    family: str = DEFAULT_FAMILY

    def __post_init__(self) -> None:
        object.__setattr__(self, "layer_sizes", tuple(int(size) for size in self.layer_sizes))
        object.__setattr__(self, "activations", tuple(self.activations))
        if self.action_head is not None:
            object.__setattr__(self, "action_head", tuple(self.action_head))
        if len(self.layer_sizes) < 2 or any(size < 1 for size in self.layer_sizes):
            raise ConfigError(f"layer_sizes needs >= 2 positive sizes, got {list(self.layer_sizes)}")
        synapses = sum(n_in * n_out for n_in, n_out in self.layer_shapes)
        if synapses > MAX_SYNAPSES:
            raise ConfigError(f"layer_sizes {list(self.layer_sizes)} make {synapses:,} plastic weights; at most "
                              f"{MAX_SYNAPSES:,} are supported")
        if len(self.activations) != self.n_layers:
            raise ConfigError(
                f"expected {self.n_layers} activations (one per weight layer), got {len(self.activations)}"
            )
        for name in self.activations:
            if name not in ACTIVATIONS:
                raise ConfigError(f"unknown activation {name!r}; expected one of {ACTIVATIONS}")
        if self.action_head is not None:
            if len(self.action_head) != self.layer_sizes[-1]:
                raise ConfigError(
                    f"action_head needs one transform per output ({self.layer_sizes[-1]}), "
                    f"got {len(self.action_head)}"
                )
            for name in self.action_head:
                if name not in ACTION_HEADS:
                    raise ConfigError(f"unknown action head {name!r}; expected one of {ACTION_HEADS}")
        if self.frontend is not None and self.frontend.output_size != self.layer_sizes[0]:
            raise ConfigError(f"the frontend outputs {self.frontend.output_size} features, layer_sizes starts with "
                              f"{self.layer_sizes[0]}")
        get_family(self.family)  # an unknown name raises, listing the known ones
        if self.weight_norm not in WEIGHT_NORMS:
            raise ConfigError(f"unknown weight_norm {self.weight_norm!r}; expected one of {WEIGHT_NORMS}")
        if get_rule(self.rule).n_coefficients == 0:
            if self.weight_norm != "none":
                raise ConfigError(f"a static network does not learn, so weight_norm {self.weight_norm!r} does not "
                                  "apply to it")
            if self.family != DEFAULT_FAMILY:
                raise ConfigError(f"a static network has no rule to share: its family must be {DEFAULT_FAMILY!r}, "
                                  f"got {self.family!r}")

    @property
    def n_layers(self) -> int:
        """Number of plastic weight matrices."""
        return len(self.layer_sizes) - 1

    @property
    def layer_shapes(self) -> list[tuple[int, int]]:
        """[in, out] shape of every weight matrix."""
        return list(zip(self.layer_sizes[:-1], self.layer_sizes[1:], strict=True))

    @property
    def rule_spec(self) -> Rule:
        """The `Rule` named by `rule`."""
        return get_rule(self.rule)

    @property
    def family_spec(self) -> RuleFamily:
        """The `RuleFamily` named by `family`."""
        return get_family(self.family)

    @property
    def coefficient_shapes(self) -> list[tuple[int, int, int]]:
        """[in, out, k] shape of every layer's per-synapse coefficient tensor (what the backends run)."""
        k = self.rule_spec.n_coefficients
        return [(n_in, n_out, k) for n_in, n_out in self.layer_shapes]

    @property
    def compact_tensors(self) -> list[CompactTensor]:
        """The evolved coefficient tensors of the family (names, shapes, roles), in ravel order."""
        return self.family_spec.layout(self.layer_sizes, self.rule_spec)

    @property
    def n_coefficients(self) -> int:
        """Total number of evolved coefficients (for the Ant with ABCD_lr: 61,440 per synapse, 1,104 per neuron,
        2,085 per diagonal)."""
        return sum(tensor.size for tensor in self.compact_tensors)

    def expand_coefficients(self, compact: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Per-synapse float32 [in, out, k] tensors (`coefficient_shapes`) from the family's compact ones."""
        return self.family_spec.expand(self.layer_sizes, self.rule_spec, compact)

    @property
    def n_inputs(self) -> int:
        """Entries of the plastic network's input (the frontend's features, if there is a frontend)."""
        return self.layer_sizes[0]

    @property
    def observation_shape(self) -> tuple[int, ...]:
        """Shape of one observation: the frontend's image shape, or (n_inputs,)."""
        return self.frontend.input_shape if self.frontend is not None else (self.layer_sizes[0],)

    @property
    def n_outputs(self) -> int:
        return self.layer_sizes[-1]

    def initial_weights(
        self, seed: int | np.random.Generator | None, stored: list[np.ndarray] | None = None,
        generator: str = "numpy",
    ) -> list[np.ndarray]:
        """Initial weights for one episode: random, layer by layer from one explicit seed, or copies of `stored`
        for the "stored" init (the seed is then irrelevant).

        generator: "numpy" (default, `np.random.default_rng(seed)`) or "pcg32", the portable generator a board
        running an exported model draws from (`hebbkit.runtime.pcg32`; uniform, xavier_uniform and zero inits;
        `seed` must then be an integer)."""
        if generator not in INIT_GENERATORS:
            raise ConfigError(f"unknown initial-weight generator {generator!r}; expected one of {INIT_GENERATORS}")
        if self.init.distribution == "stored":
            if stored is None:
                raise ConfigError("this network's initial weights are stored in its artifact; none were given")
            return [np.array(w, dtype=np.float32) for w in stored]
        if generator == "pcg32":
            from .pcg32 import pcg32_weights

            if not isinstance(seed, int | np.integer) or isinstance(seed, bool):
                raise ConfigError(f"the pcg32 initial weights need an integer seed, got {seed!r}")
            return pcg32_weights(self.init.distribution, self.init.scale, self.layer_shapes, int(seed))
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return [self.init.sample(rng, n_in, n_out) for n_in, n_out in self.layer_shapes]

    def to_dict(self) -> dict:
        """JSON-ready form (stored in the artifact's metadata); `family` only when it is not "synapse" and
        `weight_norm` only when the boolean `normalize_weights` (true: "max") cannot say it, so the metadata of
        the networks older hebbkit versions know is what it always was."""
        data = {
            "layer_sizes": list(self.layer_sizes),
            "activations": list(self.activations),
            "rule": self.rule,
            "init": {"distribution": self.init.distribution, "scale": self.init.scale},
            "normalize_weights": self.weight_norm == "max",
            "action_head": None if self.action_head is None else list(self.action_head),
            "frontend": None if self.frontend is None else self.frontend.to_dict(),
        }
        if self.weight_norm not in ("none", "max"):
            data["weight_norm"] = self.weight_norm
        if self.family != DEFAULT_FAMILY:
            data["family"] = self.family
        return data

    @classmethod
    def from_dict(cls, data: dict) -> NetworkSpec:
        """Inverse of `to_dict`; raises `ConfigError` (or KeyError/TypeError) on malformed input."""
        init = data["init"]
        return cls(
            layer_sizes=tuple(data["layer_sizes"]),
            activations=tuple(data["activations"]),
            rule=data["rule"],
            init=WeightInit(distribution=init["distribution"], scale=float(init["scale"])),
            weight_norm=weight_norm_from_dict(data),
            action_head=None if data.get("action_head") is None else tuple(data["action_head"]),
            frontend=None if data.get("frontend") is None else Frontend.from_dict(data["frontend"]),
            family=data.get("family", DEFAULT_FAMILY),
        )


def weight_norm_from_dict(data: dict) -> str:
    """The weight normalisation of a network's metadata: `weight_norm` if given (schema 3), else the boolean
    `normalize_weights` of every older file (true: "max", false: "none"); the two must not disagree."""
    flag = bool(data["normalize_weights"])
    mode = data.get("weight_norm")
    if mode is None:
        return "max" if flag else "none"
    if flag and mode != "max":
        raise ConfigError(f"normalize_weights true contradicts weight_norm {mode!r}")
    return mode


def apply_action_head(head: Sequence[str] | None, output: np.ndarray) -> np.ndarray:
    """The action from the last layer's activated output (a copy, float32)."""
    action = np.array(output, dtype=np.float32)
    if head is None:
        return action
    for index, name in enumerate(head):
        if name == "tanh":
            action[index] = np.tanh(action[index])
        elif name == "sigmoid":
            action[index] = 1.0 / (1.0 + np.exp(-action[index]))
    return action


def reference_step(
    spec: NetworkSpec, weights: list[np.ndarray], coefficients: list[np.ndarray], observation: np.ndarray,
    frontend_weights: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """One control step with the reference maths: act with `weights`, then return the updated weights.

    Pure (inputs are not modified); slow and literal on purpose. Every backend is tested against it.
    """
    rule = spec.rule_spec
    if spec.frontend is not None:
        pre = frontend_forward(spec.frontend, frontend_weights or [], observation)
    else:
        pre = np.asarray(observation, dtype=np.float32)
    new_weights = []
    for layer, (activation, matrix) in enumerate(zip(spec.activations, weights, strict=True)):
        post = forward_layer(activation, pre, matrix)
        updated = hebbian_update(rule, matrix, coefficients[layer], pre, post)
        if spec.weight_norm == "max":
            updated = normalize_by_max_abs(updated)
        elif spec.weight_norm == "standardize":
            updated = standardize_layer(updated.copy())
        new_weights.append(updated)
        pre = post
    return apply_action_head(spec.action_head, pre), new_weights


def forward_layer(activation: str, pre: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """post = act(pre @ W), computed in float64 and rounded once to float32.

    Every backend does this, so their `post` values agree exactly instead of depending on each BLAS library's
    float32 summation order (which the plastic dynamics would amplify over an episode).
    """
    wide = apply_activation(activation, pre.astype(np.float64) @ weights.astype(np.float64))
    return wide.astype(np.float32)


def fan_in_uniform(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    """A float64 tensor drawn U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's `nn.Linear` / `nn.Conv2d` default bound,
    where the paper's static networks start. The one draw the trainer's static start and `hebbkit new --rule static`
    share."""
    return rng.uniform(-1.0, 1.0, size=shape) / math.sqrt(fan_in)


def normalize_by_max_abs(matrix: np.ndarray) -> np.ndarray:
    """Divide a weight matrix by its largest |w| (unchanged when all zero)."""
    peak = np.max(np.abs(matrix))
    return matrix / peak if peak > 0 else matrix


def standardize_layer(matrix: np.ndarray, wide: np.ndarray | None = None, sums: np.ndarray | None = None) -> np.ndarray:
    """Standardise a float32 weight matrix in place: W <- (W - mean) / sqrt(var + 1e-5), over all its weights.

    The one definition every twin follows (ONNX graph, C kernel, torch twin): mean and population variance in
    float64, each a sequential sum in row-major order (a cumulative sum, whose order NumPy, ONNX Runtime and torch
    fix, unlike their pairwise or vectorised reductions), then each weight computed in float64 and rounded once.
    `wide` (float64, the matrix's size) and `sums` (float64, flat, the matrix's size) are optional scratch buffers.
    Returns `matrix`, which must be C-contiguous."""
    if not matrix.flags.c_contiguous:
        raise ValueError("standardize_layer works in place on a C-contiguous matrix")
    count = matrix.size
    wide = np.empty(count, dtype=np.float64) if wide is None else wide.reshape(-1)
    sums = np.empty(count, dtype=np.float64) if sums is None else sums.reshape(-1)
    np.copyto(wide, matrix.reshape(-1))
    np.cumsum(wide, out=sums)
    mean = sums[-1] / count
    wide -= mean
    np.multiply(wide, wide, out=sums)
    np.cumsum(sums, out=sums)
    wide /= np.sqrt(sums[-1] / count + STANDARDIZE_EPSILON)
    np.copyto(matrix.reshape(-1), wide, casting="same_kind")
    return matrix
