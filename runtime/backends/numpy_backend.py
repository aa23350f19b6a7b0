"""NumPy backend: the rule with folded coefficients, in place, no temporaries per step.

Per layer: post = f32(act(f64(pre) @ f64(W))); W += pre_col * (a * post + b) + (c * post + d), the same operations
in the same order as the ONNX twin (forward in float64, rounded once; update in float32), so the two agree bit for
bit in practice (see `hebbkit.runtime.onnx_graph`).
"""

from __future__ import annotations

import numpy as np

from ..artifact import PolicyArtifact
from ..frontend import frontend_forward
from ..network import apply_activation, standardize_layer
from ..rules import fold_coefficients

_TINY = np.finfo(np.float32).tiny


class NumpyBackend:
    """Runs the plastic network with NumPy in preallocated buffers."""

    name = "numpy"

    def __init__(self, artifact: PolicyArtifact) -> None:
        spec = artifact.network
        rule = spec.rule_spec
        self._spec = spec
        self._folded = [fold_coefficients(rule, c) for c in artifact.expanded_coefficients]
        has = set(rule.coefficients)
        self._use_b = "B" in has
        self._use_c = "C" in has
        self._use_d = bool(has & {"D", "D_out"})
        self._learns = rule.n_coefficients > 0
        # every layer's weights are a view into one buffer, so the policy's guard checks them in one product
        self._flat_weights = np.zeros(sum(n_in * n_out for n_in, n_out in spec.layer_shapes), dtype=np.float32)
        offsets = np.cumsum([0] + [n_in * n_out for n_in, n_out in spec.layer_shapes])
        self._weights = [self._flat_weights[start:stop].reshape(shape) for start, stop, shape in
                         zip(offsets[:-1], offsets[1:], spec.layer_shapes, strict=True)]
        self._wide_weights = [np.zeros(shape, dtype=np.float64) for shape in spec.layer_shapes]
        self._wide_pre = [np.zeros(n_in, dtype=np.float64) for n_in, _ in spec.layer_shapes]
        self._wide_post = [np.zeros(n_out, dtype=np.float64) for _, n_out in spec.layer_shapes]
        self._post = [np.zeros(n_out, dtype=np.float32) for _, n_out in spec.layer_shapes]
        self._delta = [np.zeros(shape, dtype=np.float32) for shape in spec.layer_shapes]
        self._sums = [np.zeros(shape, dtype=np.float64) if spec.weight_norm == "standardize" else None
                      for shape in spec.layer_shapes]
        self._term = [np.zeros(shape, dtype=np.float32) for shape in spec.layer_shapes]
        self._action = np.zeros(spec.n_outputs, dtype=np.float32)
        self._frontend_weights = [artifact.static_tensors[f"frontend/{i}"] for i in
                                  range(len(spec.frontend.layers))] if spec.frontend is not None else []
        head = spec.action_head
        self._tanh_mask = None if head is None else np.array([h == "tanh" for h in head])
        self._sigmoid_mask = None if head is None else np.array([h == "sigmoid" for h in head])

    @property
    def weights(self) -> list[np.ndarray]:
        return self._weights

    @property
    def flat_weights(self) -> np.ndarray:
        """Every layer's weights, one after the other, as one float32 vector (the buffer `weights` are views of)."""
        return self._flat_weights

    def load_weights(self, weights: list[np.ndarray]) -> None:
        for buffer, values in zip(self._weights, weights, strict=True):
            np.copyto(buffer, values)

    def step(self, observation: np.ndarray, plastic: bool) -> np.ndarray:
        if self._spec.frontend is not None:
            pre = frontend_forward(self._spec.frontend, self._frontend_weights, observation)
        else:
            pre = observation
        for layer, activation in enumerate(self._spec.activations):
            weights = self._weights[layer]
            post = self._post[layer]
            wide_weights, wide_pre, wide_post = self._wide_weights[layer], self._wide_pre[layer], self._wide_post[layer]
            np.copyto(wide_weights, weights)
            np.copyto(wide_pre, pre)
            np.matmul(wide_pre, wide_weights, out=wide_post)
            if activation != "identity":
                apply_activation(activation, wide_post, out=wide_post)
            np.copyto(post, wide_post)
            if plastic and self._learns:
                self._update(layer, weights, pre, post)
            pre = post
        return self._head(pre)

    def _update(self, layer: int, weights: np.ndarray, pre: np.ndarray, post: np.ndarray) -> None:
        folded = self._folded[layer]
        delta = self._delta[layer]
        np.multiply(folded.a, post, out=delta)
        if self._use_b:
            delta += folded.b
        delta *= pre[:, None]
        if self._use_c:
            term = self._term[layer]
            np.multiply(folded.c, post, out=term)
            if self._use_d:
                term += folded.d
            delta += term
        elif self._use_d:
            delta += folded.d
        weights += delta
        if self._spec.weight_norm == "max":
            weights /= max(float(np.max(np.abs(weights, out=delta))), _TINY)
        elif self._spec.weight_norm == "standardize":  # the forward pass is done: its float64 buffers are free
            standardize_layer(weights, self._wide_weights[layer], self._sums[layer])

    def _head(self, output: np.ndarray) -> np.ndarray:
        if self._tanh_mask is None:
            return output
        action = self._action
        np.copyto(action, output)
        action[self._tanh_mask] = np.tanh(output[self._tanh_mask])
        action[self._sigmoid_mask] = 1.0 / (1.0 + np.exp(-output[self._sigmoid_mask]))
        return action
