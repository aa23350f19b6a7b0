"""What the ES evolves, as one flat vector at the optimiser boundary, with named ravel/unravel.

A Hebbian network evolves its rule family's coefficient tensors (`coefficients/<l>`, [in, out, k], per synapse; or the
compact `family/...` tensors of a fewer-parameter family, see `hebbkit.runtime.families`), and with stored (evolved)
initial weights also those (`initial_weights/<l>`, [in, out], after the coefficients); the static baseline evolves
its weights only. `ParameterLayout.to_artifact` turns a flat vector into a policy artifact, so every candidate runs
through the same runtime `Policy` a robot uses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from hebbkit.runtime.artifact import PolicyArtifact
from hebbkit.runtime.errors import ConfigError
from hebbkit.runtime.network import NetworkSpec, WeightInit, fan_in_uniform
from hebbkit.runtime.profile import RobotProfile


@dataclass(frozen=True)
class ParameterLayout:
    """Names and shapes of the evolved tensors, in ravel order."""

    network: NetworkSpec
    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]

    @classmethod
    def of(cls, network: NetworkSpec) -> ParameterLayout:
        """The rule's coefficients (none for a static network), then the stored initial weights (evolved), then a
        front end's kernels."""
        if network.rule_spec.n_coefficients == 0 and network.init.distribution != "stored":
            raise ConfigError("a static network evolves its weights: use WeightInit('stored')")
        rule_tensors = network.compact_tensors if network.rule_spec.n_coefficients else []
        names = tuple(tensor.name for tensor in rule_tensors)
        shapes: tuple[tuple[int, ...], ...] = tuple(tensor.shape for tensor in rule_tensors)
        if network.init.distribution == "stored":
            names += tuple(f"initial_weights/{layer}" for layer in range(network.n_layers))
            shapes += tuple(network.layer_shapes)
        if network.frontend is not None:  # the convolutional front end is evolved directly, next to the rule
            names += tuple(f"frontend/{i}" for i in range(len(network.frontend.layers)))
            shapes += tuple(network.frontend.weight_shapes)
        return cls(network, names, shapes)

    @property
    def size(self) -> int:
        """Length of the flat vector (for the Ant with ABCD_lr: 61,440 per synapse, 1,104 per neuron, 2,085 per
        diagonal, each 12,288 more with evolved initial weights; 12,288 for its static baseline)."""
        return sum(math.prod(shape) for shape in self.shapes)

    def unravel(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Named float32 tensors from a flat vector."""
        flat = np.asarray(flat)
        if flat.shape != (self.size,):
            raise ConfigError(f"parameter vector should have {self.size} entries, found {flat.shape}")
        tensors, start = {}, 0
        for name, shape in zip(self.names, self.shapes, strict=True):
            count = math.prod(shape)
            tensors[name] = flat[start:start + count].reshape(shape).astype(np.float32)
            start += count
        return tensors

    def ravel(self, tensors: Mapping[str, np.ndarray]) -> np.ndarray:
        """The flat float64 vector of named tensors (inverse of `unravel`)."""
        parts = []
        for name, shape in zip(self.names, self.shapes, strict=True):
            tensor = np.asarray(tensors[name])
            if tensor.shape != shape:
                raise ConfigError(f"{name} should have shape {shape}, found {tensor.shape}")
            parts.append(tensor.reshape(-1))
        return np.concatenate(parts).astype(np.float64)

    def to_artifact(self, flat: np.ndarray, profile: RobotProfile, control_period: float,
                    provenance: Mapping[str, object] | None = None) -> PolicyArtifact:
        """The policy artifact of one parameter vector."""
        tensors = self.unravel(flat)
        names = [tensor.name for tensor in self.network.compact_tensors]
        static = {name: tensor for name, tensor in tensors.items() if name not in names}
        if self.network.rule_spec.n_coefficients == 0:
            coefficients = tuple(np.zeros((*shape, 0), np.float32) for shape in self.network.layer_shapes)
        else:
            coefficients = tuple(tensors[name] for name in names)
        return PolicyArtifact(self.network, coefficients, profile, control_period, dict(provenance or {}), static)

    def fan_in_uniform(self, rng: np.random.Generator) -> np.ndarray:
        """A starting vector for the static baseline: every weight of layer l drawn U(-1/sqrt(in_l), 1/sqrt(in_l)),
        PyTorch's `nn.Linear` default, which the paper's static baseline starts from; a front end's convolution
        kernels [out, in, k, k] likewise with fan-in in x k x k (`nn.Conv2d`'s default bound). Static weights only;
        the draws are made tensor by tensor in ravel order (a network without front end draws what it always did)."""
        if self.network.rule_spec.n_coefficients != 0:
            raise ConfigError("fan-in-uniform starts static weights only (rule static)")
        parts = []
        for name, shape in zip(self.names, self.shapes, strict=True):
            fan_in = math.prod(shape[1:]) if name.startswith("frontend/") else shape[0]
            parts.append(fan_in_uniform(rng, shape, fan_in).reshape(-1))
        return np.concatenate(parts)

    @property
    def evolved_init(self) -> bool:
        """Whether this is a Hebbian rule whose initial weights are evolved (stored) rather than random."""
        return self.network.init.distribution == "stored" and self.network.rule_spec.n_coefficients > 0

    def with_initial_weights(self, flat: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
        """A float64 copy of `flat` whose `initial_weights/<l>` entries are `weights` (the rest untouched)."""
        result = np.array(flat, dtype=np.float64)
        start = 0
        for name, shape in zip(self.names, self.shapes, strict=True):
            count = math.prod(shape)
            if name.startswith("initial_weights/"):
                result[start:start + count] = np.asarray(weights[int(name.split("/")[1])]).reshape(-1)
            start += count
        return result

    def random_initial_weights(self, rng: np.random.Generator, init: WeightInit | None = None) -> list[np.ndarray]:
        """One draw of the initial weights from a random init (default U(-0.1, 0.1), the paper's per-episode
        init): where evolved initial weights start."""
        init = init or WeightInit()
        return [init.sample(rng, n_in, n_out) for n_in, n_out in self.network.layer_shapes]

    def from_artifact(self, artifact: PolicyArtifact, rng: np.random.Generator | None = None) -> np.ndarray:
        """The flat vector of an artifact of this layout (to continue training from it). The weight normalisation
        may differ (the coefficients are copied as they are). Into evolved initial weights, an artifact whose
        initial weights are random gives its coefficients, and initial weights drawn once from its init with
        `rng` (default: seed 0): where its typical episode begins."""
        source = replace(artifact.network, weight_norm=self.network.weight_norm)
        draws = (self.evolved_init and source.init.distribution != "stored"
                 and source.rule_spec.n_coefficients > 0)
        if draws:
            source = replace(source, init=self.network.init)
        if source != self.network:
            def describe(spec: NetworkSpec) -> str:
                init = ", evolved initial weights" if spec.init.distribution == "stored" else ""
                return f"{'-'.join(map(str, spec.layer_sizes))} {spec.rule} ({spec.family}{init})"
            raise ConfigError(f"its network {describe(artifact.network)} is not this run's {describe(self.network)} "
                              "(or differs in activations, init or front end); choose the artifact of a run with the "
                              "same settings")
        tensors = dict(artifact.static_tensors)
        tensors.update(artifact.coefficient_tensors())
        if draws:
            weights = artifact.network.initial_weights(rng if rng is not None else np.random.default_rng(0))
            tensors.update({f"initial_weights/{layer}": w for layer, w in enumerate(weights)})
        return self.ravel(tensors)
