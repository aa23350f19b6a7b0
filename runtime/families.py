"""Rule families: which synapses share a rule's coefficients, defined once, by a table.

A family decides what the ES evolves (its compact tensors) and only *expands* them into the per-synapse
[in, out, k] tensors of the rule (`hebbkit.runtime.rules`), which every backend folds and runs as always
(dw = pre*(a*post + b) + (c*post + d)). No backend, ONNX graph or C kernel knows about families.

- "synapse" (the paper): every synapse evolves its own k coefficients; the compact tensors are the per-synapse ones
  (`coefficients/<l>`, [in, out, k]). 61,440 for the Ant (28-128-64-8) with ABCD_lr.
- "neuron" (neuron-centric Hebbian learning, Ferigo, Cunegatti & Iacca, GECCO 2024): every neuron carries the
  rule's coefficients (`family/neurons/<n>`, [neurons, k_n] for network layer n); the synapse pre -> post takes
  eta = (eta_pre + eta_post)/2, A = A_pre*A_post, B = B_pre, C = C_post, D = D_pre*D_post, D_out = D_out_pre*D_out_post.
  Input neurons carry no C and output neurons no B (never used). 1,104 for the Ant with ABCD_lr.
- "diagonal" (the seed code's first public release): synapse (i, j) of a layer uses rule number i + j, so a layer
  has in + out - 1 rules (`family/diagonals/<l>`, [in + out - 1, k]). 2,085 for the Ant with ABCD_lr.

Letters are this package's (A: pre*post, B: pre, C: post); Ferigo et al. name them C, A and B.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .errors import ConfigError
from .rules import Rule

COEFFICIENT_PREFIX = "coefficients/"
"""Name prefix of the per-synapse tensors (`coefficients/<l>`), the compact tensors of the "synapse" family."""
FAMILY_PREFIX = "family/"
"""Name prefix of the compact tensors of every other family."""


class CompactTensor(NamedTuple):
    """One evolved tensor of a family: its name in the artifact, its shape, and the rule role of each last-axis
    column."""

    name: str
    shape: tuple[int, ...]
    roles: tuple[str, ...]

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class RuleFamily:
    """How a rule's coefficients are shared: the compact tensors it evolves and their expansion per synapse.

    axes: what the compact tensors' axes are, for messages ("[in, out, k]").
    layout(layer_sizes, rule): the compact tensors, in ravel order.
    expander(layer_sizes, rule, tensors): one float32 [in, out, rule.n_coefficients] tensor per weight layer, from
        compact tensors of the right shapes (`expand` checks them first).
    """

    name: str
    axes: str
    layout: Callable[[Sequence[int], Rule], list[CompactTensor]]
    expander: Callable[[Sequence[int], Rule, Sequence[np.ndarray]], list[np.ndarray]]

    def expand(self, layer_sizes: Sequence[int], rule: Rule, tensors: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Per-synapse [in, out, k] float32 tensors from the compact ones; wrong shapes raise `ConfigError`."""
        expected = self.layout(layer_sizes, rule)
        found = [tuple(np.shape(tensor)) for tensor in tensors]
        if found != [tensor.shape for tensor in expected]:
            raise ConfigError(
                f"rule family {self.name!r} on layer sizes {list(layer_sizes)} with rule {rule.name} needs tensors "
                f"{[(t.name, list(t.shape)) for t in expected]}, found shapes {[list(shape) for shape in found]}"
            )
        return self.expander(layer_sizes, rule, tensors)


def _weight_shapes(layer_sizes: Sequence[int]) -> list[tuple[int, int]]:
    return list(itertools.pairwise(layer_sizes))


# ------------------------------------------------------------------------------------------------ synapse


def _synapse_layout(layer_sizes: Sequence[int], rule: Rule) -> list[CompactTensor]:
    return [CompactTensor(f"{COEFFICIENT_PREFIX}{layer}", (n_in, n_out, rule.n_coefficients), rule.coefficients)
            for layer, (n_in, n_out) in enumerate(_weight_shapes(layer_sizes))]


def _synapse_expand(layer_sizes: Sequence[int], rule: Rule, tensors: Sequence[np.ndarray]) -> list[np.ndarray]:
    return [np.ascontiguousarray(tensor, dtype=np.float32) for tensor in tensors]


# ------------------------------------------------------------------------------------------------- neuron

_UNUSED_ON_INPUT = "C"  # post-only: an input neuron is never postsynaptic
_UNUSED_ON_OUTPUT = "B"  # pre-only: an output neuron is never presynaptic

_Neurons = Mapping[str, np.ndarray]

_NEURON_SHARING: dict[str, Callable[[_Neurons, _Neurons, str], np.ndarray]] = {
    "A": lambda pre, post, role: np.multiply.outer(pre[role], post[role]),
    "B": lambda pre, post, role: pre[role][:, None],
    "C": lambda pre, post, role: post[role][None, :],
    "D": lambda pre, post, role: np.multiply.outer(pre[role], post[role]),
    "eta": lambda pre, post, role: np.add.outer(pre[role], post[role]) / 2.0,
    "D_out": lambda pre, post, role: np.multiply.outer(pre[role], post[role]),
}
"""How a synapse's value of each role comes from its neurons' (float64 values by role; broadcast to [in, out])."""


def neuron_roles(rule: Rule, layer: int, n_neuron_layers: int) -> tuple[str, ...]:
    """The roles a neuron of network layer `layer` carries, in the rule's storage order."""
    unused = {_UNUSED_ON_INPUT} if layer == 0 else set()
    if layer == n_neuron_layers - 1:
        unused.add(_UNUSED_ON_OUTPUT)
    return tuple(role for role in rule.coefficients if role not in unused)


def _neuron_layout(layer_sizes: Sequence[int], rule: Rule) -> list[CompactTensor]:
    tensors = []
    for layer, size in enumerate(layer_sizes):
        roles = neuron_roles(rule, layer, len(layer_sizes))
        tensors.append(CompactTensor(f"{FAMILY_PREFIX}neurons/{layer}", (size, len(roles)), roles))
    return tensors


def _neuron_expand(layer_sizes: Sequence[int], rule: Rule, tensors: Sequence[np.ndarray]) -> list[np.ndarray]:
    neurons = []
    for layer, tensor in enumerate(tensors):
        values = np.asarray(tensor, dtype=np.float64)
        neurons.append({role: values[:, column]
                        for column, role in enumerate(neuron_roles(rule, layer, len(layer_sizes)))})
    expanded = []
    for layer, shape in enumerate(_weight_shapes(layer_sizes)):
        pre, post = neurons[layer], neurons[layer + 1]
        roles = [np.broadcast_to(_NEURON_SHARING[role](pre, post, role), shape) for role in rule.coefficients]
        expanded.append(np.ascontiguousarray(np.stack(roles, axis=-1), dtype=np.float32))
    return expanded


# ----------------------------------------------------------------------------------------------- diagonal


def _diagonal_layout(layer_sizes: Sequence[int], rule: Rule) -> list[CompactTensor]:
    return [CompactTensor(f"{FAMILY_PREFIX}diagonals/{layer}", (n_in + n_out - 1, rule.n_coefficients),
                          rule.coefficients)
            for layer, (n_in, n_out) in enumerate(_weight_shapes(layer_sizes))]


def _diagonal_expand(layer_sizes: Sequence[int], rule: Rule, tensors: Sequence[np.ndarray]) -> list[np.ndarray]:
    expanded = []
    for (n_in, n_out), rules in zip(_weight_shapes(layer_sizes), tensors, strict=True):
        rule_number = np.add.outer(np.arange(n_in), np.arange(n_out))  # synapse (i, j) uses rule i + j
        expanded.append(np.ascontiguousarray(np.asarray(rules)[rule_number], dtype=np.float32))
    return expanded


# ------------------------------------------------------------------------------------------------- table

FAMILIES: dict[str, RuleFamily] = {
    family.name: family
    for family in (
        RuleFamily("synapse", "[in, out, k]", _synapse_layout, _synapse_expand),  # the paper
        RuleFamily("neuron", "[neurons, k]", _neuron_layout, _neuron_expand),  # Ferigo et al. 2024
        RuleFamily("diagonal", "[in + out - 1, k]", _diagonal_layout, _diagonal_expand),  # seed code, first release
    )
}
DEFAULT_FAMILY = "synapse"


def get_family(name: str) -> RuleFamily:
    """Look a rule family up by name; unknown names raise `ConfigError` listing the known ones."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise ConfigError(f"unknown rule family {name!r}; expected one of {sorted(FAMILIES)}") from None
