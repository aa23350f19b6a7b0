"""A torch twin of one control step (the runtime's maths in torch), parity-tested against the NumPy backend.

Same operations as `hebbkit.runtime` (forward pass in float64 rounded once to float32, float32 update with the
folded coefficients in the same order), for users who want the rule inside a torch pipeline or on a GPU. It steps
a batch of independent networks of one artifact at once: weights [batch, in, out], observations [batch, ...].
`PopulationTwin` steps a batch of artifacts (each its own coefficients and front end): training's batched CarRacing.
"""

from __future__ import annotations

import numpy as np
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
        return _plastic_layers(self, weights, pre, plastic)


class PopulationTwin:
    """Many artifacts of one network (e.g. every candidate of an ES generation), each with its own coefficients
    and front end, stepped as one batched computation: network `i` of the batch runs artifact `i`.

    The same operations as `TorchTwin` (and so as the runtime's NumPy step), with the folded coefficients stacked
    along the batch ([batch, in, out] per layer) and each network's own convolution kernels. Unlike
    `Policy.step` it has no divergence guard: with max-abs weight normalisation (CarRacing) the weights stay in
    [-1, 1] and the guard never trips for finite coefficients."""

    def __init__(self, artifacts: list[PolicyArtifact], device: str = "cpu") -> None:
        if not artifacts:
            raise ValueError("a population twin needs at least one artifact")
        spec = artifacts[0].network
        if any(artifact.network != spec for artifact in artifacts):
            raise ValueError("every artifact of a population twin must have the same network")
        self.spec = spec
        self.size = len(artifacts)
        rule = spec.rule_spec
        self.learns = rule.n_coefficients > 0
        folded = [[fold_coefficients(rule, c) for c in artifact.expanded_coefficients] for artifact in artifacts]
        self.a, self.b, self.c, self.d = (
            [torch.tensor(np.stack([getattr(per_artifact[layer], name) for per_artifact in folded]), device=device)
             for layer in range(spec.n_layers)] for name in "abcd") if self.learns else ([], [], [], [])
        self.frontend = [torch.tensor(np.stack([artifact.static_tensors[f"frontend/{i}"] for artifact in artifacts]),
                                      dtype=torch.float64, device=device)
                         for i in range(len(spec.frontend.layers))] if spec.frontend is not None else []

    def features(self, observations: torch.Tensor) -> torch.Tensor:
        """The front end's float32 features [batch, n_in] (each network's own convolution kernels). Each
        convolution runs network by network (torch's grouped float64 convolution is ~20x slower on the CPU), and
        the max-pool runs before the activation (tanh, relu and identity are non-decreasing, so max and activation
        commute exactly)."""
        if self.spec.frontend is None:
            return observations.to(torch.float32)
        batch = observations.shape[0]
        x = observations.to(torch.float64)
        for layer, kernels in zip(self.spec.frontend.layers, self.frontend, strict=True):
            x = torch.cat([torch.nn.functional.conv2d(x[row:row + 1], kernels[row], stride=layer.stride)
                           for row in range(batch)])
            if layer.pool > 1:  # the activations are non-decreasing: pooling first picks the same value, 4x cheaper
                x = torch.nn.functional.max_pool2d(x, layer.pool)
            x = _ACTIVATIONS[layer.activation](x)
        return x.reshape(batch, -1).to(torch.float32)

    def keep(self, rows: torch.Tensor) -> None:
        """Keep only these networks (indices into the current batch, in order): e.g. drop those whose episode
        ended. The weights passed to `step` must be narrowed the same way."""
        self.a, self.b, self.c, self.d = ([t[rows] for t in tensors] for tensors in (self.a, self.b, self.c, self.d))
        self.frontend = [kernels[rows] for kernels in self.frontend]
        self.size = len(rows)

    @torch.no_grad()
    def step(self, weights: list[torch.Tensor], observations: torch.Tensor, plastic: bool = True) -> torch.Tensor:
        """Act with `weights` ([batch, in, out] per layer, updated in place when plastic) on `observations`
        ([batch, ...], row `i` seen by network `i`); returns the actions [batch, n_out]."""
        pre = self.features(observations)
        return _plastic_layers(self, weights, pre, plastic)


def _action_head(head: tuple[str, ...] | None, output: torch.Tensor) -> torch.Tensor:
    if head is None:
        return output
    action = output.clone()
    for index, name in enumerate(head):
        if name in ("tanh", "sigmoid"):
            action[:, index] = _ACTIVATIONS[name](output[:, index])
    return action


def _plastic_layers(twin, weights: list[torch.Tensor], pre: torch.Tensor, plastic: bool) -> torch.Tensor:
    """The plastic layers of a batch of networks (the runtime's maths: float64 sums rounded once, float32 update in
    the NumPy backend's order), shared by both twins; `twin.a`..`twin.d` broadcast over the batch or hold one
    network's coefficients per row. Returns the actions."""
    spec = twin.spec
    for layer, activation in enumerate(spec.activations):
        w = weights[layer]
        post = _ACTIVATIONS[activation](torch.bmm(pre.to(torch.float64)[:, None, :],
                                                   w.to(torch.float64))[:, 0, :]).to(torch.float32)
        if plastic and twin.learns:
            delta = twin.a[layer] * post[:, None, :]
            delta += twin.b[layer]
            delta *= pre[:, :, None]
            term = twin.c[layer] * post[:, None, :]
            term += twin.d[layer]
            delta += term
            w += delta
            if spec.normalize_weights:
                peak = w.abs().amax(dim=(1, 2), keepdim=True).clamp_min(torch.finfo(torch.float32).tiny)
                w /= peak
        pre = post
    return _action_head(spec.action_head, pre)
