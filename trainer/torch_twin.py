"""A torch twin of one control step (the runtime's maths in torch), parity-tested against the NumPy backend.

Same operations as `hebbkit.runtime` (forward pass in float64 rounded once to float32, float32 update with the
folded coefficients in the same order), for users who want the rule inside a torch pipeline or on a GPU. It steps
a batch of independent networks at once: weights [batch, in, out], observations [batch, ...].
"""

from __future__ import annotations

import torch

from hebbkit.runtime.artifact import PolicyArtifact
from hebbkit.runtime.rules import fold_coefficients

_ACTIVATIONS = {"tanh": torch.tanh, "identity": lambda x: x, "sigmoid": torch.sigmoid, "relu": torch.relu}


class TorchTwin:
    """One artifact's step in torch, for a batch of plastic networks."""

    def __init__(self, artifact: PolicyArtifact, device: str = "cpu") -> None:
        spec = artifact.network
        self.spec = spec
        rule = spec.rule_spec
        self.learns = rule.n_coefficients > 0
        folded = [fold_coefficients(rule, c) for c in artifact.expanded_coefficients]
        self.a, self.b, self.c, self.d = ([torch.tensor(getattr(f, name), device=device) for f in folded]
                                          for name in "abcd")
        self.frontend = [torch.tensor(artifact.static_tensors[f"frontend/{i}"], dtype=torch.float64, device=device)
                         for i in range(len(spec.frontend.layers))] if spec.frontend is not None else []

    def features(self, observations: torch.Tensor) -> torch.Tensor:
        if self.spec.frontend is None:
            return observations.to(torch.float32)
        x = observations.to(torch.float64)
        for layer, kernel in zip(self.spec.frontend.layers, self.frontend, strict=True):
            x = _ACTIVATIONS[layer.activation](torch.nn.functional.conv2d(x, kernel, stride=layer.stride))
            if layer.pool > 1:
                x = torch.nn.functional.max_pool2d(x, layer.pool)
        return x.reshape(x.shape[0], -1).to(torch.float32)

    @torch.no_grad()
    def step(self, weights: list[torch.Tensor], observations: torch.Tensor, plastic: bool = True) -> torch.Tensor:
        """Act with `weights` (updated in place when plastic); returns the actions [batch, n_out]."""
        pre = self.features(observations)
        for layer, activation in enumerate(self.spec.activations):
            w = weights[layer]
            post = _ACTIVATIONS[activation](torch.bmm(pre.to(torch.float64)[:, None, :],
                                                       w.to(torch.float64))[:, 0, :]).to(torch.float32)
            if plastic and self.learns:
                delta = self.a[layer] * post[:, None, :]
                delta += self.b[layer]
                delta *= pre[:, :, None]
                term = self.c[layer] * post[:, None, :]
                term += self.d[layer]
                delta += term
                w += delta
                if self.spec.normalize_weights:
                    peak = w.abs().amax(dim=(1, 2), keepdim=True).clamp_min(torch.finfo(torch.float32).tiny)
                    w /= peak
            pre = post
        if self.spec.action_head is None:
            return pre
        action = pre.clone()
        for index, head in enumerate(self.spec.action_head):
            if head in ("tanh", "sigmoid"):
                action[:, index] = _ACTIVATIONS[head](pre[:, index])
        return action
