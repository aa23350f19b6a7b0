"""The Hebbian rules of Najarro & Risi (2020), defined once, by a table.

Every rule is a special case of one per-synapse update, with pre = presynaptic activation and post = postsynaptic
activation::

    dw = eta * (A * pre * post + B * pre + C * post + D) + D_out

A rule lists which of these coefficients it evolves, in the order the original work stores them per synapse; the
ones it does not list take their neutral value (eta = 1, everything else 0). `hebbian_update` is the reference
implementation, written literally; the fast backends fold the coefficients once (`fold_coefficients`) and are
parity-tested against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ConfigError

COEFFICIENT_ROLES = ("A", "B", "C", "D", "eta", "D_out")
"""Every coefficient any rule may use: A (pre*post), B (pre), C (post), D (constant inside eta), the learning rate
eta, and D_out (constant outside eta)."""

_NEUTRAL = {"A": 0.0, "B": 0.0, "C": 0.0, "D": 0.0, "eta": 1.0, "D_out": 0.0}


@dataclass(frozen=True)
class Rule:
    """A Hebbian rule: its name and the coefficients it evolves, in per-synapse storage order."""

    name: str
    coefficients: tuple[str, ...]
    formula: str

    @property
    def n_coefficients(self) -> int:
        """Coefficients per synapse (the last axis of a layer's coefficient tensor)."""
        return len(self.coefficients)

    def index(self, role: str) -> int | None:
        """Position of `role` on the coefficient axis, or None if the rule does not evolve it."""
        return self.coefficients.index(role) if role in self.coefficients else None


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("A", ("A",), "A*pre*post"),
        Rule("AD", ("A", "D"), "A*pre*post + D"),
        Rule("AD_lr", ("A", "D", "eta"), "eta*(A*pre*post + D)"),
        Rule("ABC", ("A", "B", "C"), "A*pre*post + B*pre + C*post"),
        Rule("ABC_lr", ("A", "B", "C", "eta"), "eta*(A*pre*post + B*pre + C*post)"),
        Rule("ABCD", ("A", "B", "C", "D"), "A*pre*post + B*pre + C*post + D"),
        Rule("ABCD_lr", ("A", "B", "C", "eta", "D"), "eta*(A*pre*post + B*pre + C*post + D)"),
        Rule("ABCD_lr_D_out", ("A", "B", "C", "eta", "D_out"), "eta*(A*pre*post + B*pre + C*post) + D_out"),
        Rule(
            "ABCD_lr_D_in_and_out",
            ("A", "B", "C", "eta", "D", "D_out"),
            "eta*(A*pre*post + B*pre + C*post + D) + D_out",
        ),
        Rule("static", (), "0 (no plasticity: the weights are evolved directly, the static baseline)"),
    )
}
DEFAULT_RULE = "ABCD_lr"


def get_rule(name: str) -> Rule:
    """Look a rule up by name; unknown names raise `ConfigError` listing the known ones."""
    try:
        return RULES[name]
    except KeyError:
        raise ConfigError(f"unknown Hebbian rule {name!r}; expected one of {sorted(RULES)}") from None


def coefficient(rule: Rule, coefficients: np.ndarray, role: str) -> np.ndarray | float:
    """The [in, out] slice of one role from a layer's [in, out, k] tensor, or its neutral scalar."""
    position = rule.index(role)
    return _NEUTRAL[role] if position is None else coefficients[..., position]


def hebbian_update(
    rule: Rule, weights: np.ndarray, coefficients: np.ndarray, pre: np.ndarray, post: np.ndarray
) -> np.ndarray:
    """Reference update of one layer: returns the new [in, out] weights (the input is not modified).

    `weights` is [in, out], `coefficients` [in, out, rule.n_coefficients], `pre` [in], `post` [out].
    """
    pre_col = pre[:, None]
    post_row = post[None, :]
    A, B, C, D, eta, D_out = (coefficient(rule, coefficients, role) for role in COEFFICIENT_ROLES)
    delta = eta * (A * pre_col * post_row + B * pre_col + C * post_row + D) + D_out
    return (weights + delta).astype(weights.dtype, copy=False)


@dataclass(frozen=True)
class FoldedCoefficients:
    """One layer's rule with eta multiplied in: dw = pre*(a*post + b) + (c*post + d), each [in, out] float32."""

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray


def fold_coefficients(rule: Rule, coefficients: np.ndarray) -> FoldedCoefficients:
    """Fold eta and D_out into four [in, out] float32 arrays for the fast backends (NumPy and ONNX)."""
    shape = coefficients.shape[:2]
    A, B, C, D, eta, D_out = (
        np.broadcast_to(np.asarray(coefficient(rule, coefficients, role), dtype=np.float64), shape)
        for role in COEFFICIENT_ROLES
    )

    def f32(array: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(array, dtype=np.float32)

    return FoldedCoefficients(a=f32(eta * A), b=f32(eta * B), c=f32(eta * C), d=f32(eta * D + D_out))
