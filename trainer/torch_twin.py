"""A torch twin of one control step (the runtime's maths in torch), parity-tested against the NumPy backend.

`TorchTwin`: the same operations as `hebbkit.runtime` (forward pass in float64 rounded once to float32, float32
update with the folded coefficients in the same order), for users who want the rule inside a torch pipeline or on a
GPU. It steps a batch of independent networks of one artifact at once: weights [batch, in, out], observations
[batch, ...]. `PopulationTwin` steps a batch of artifacts (each its own coefficients and front end): training's
batched CarRacing, in float32 throughout (front end, forward pass, a fused update) for speed; per step it stays
within the parity tests' tolerance of the runtime (1e-5 on actions, 1e-6 relative on weights).
"""

from __future__ import annotations

import numpy as np
import torch

from hebbkit.runtime.artifact import PolicyArtifact
from hebbkit.runtime.network import STANDARDIZE_EPSILON
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
    [-1, 1] and the guard never trips for finite coefficients. Standardisation runs in float64 in both twins
    (`_standardize`), so it is exact here too."""

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
                                      dtype=torch.float32, device=device)
                         for i in range(len(spec.frontend.layers))] if spec.frontend is not None else []

    def features(self, observations: torch.Tensor) -> torch.Tensor:
        """The front end's float32 features [batch, n_in]: each network's own convolution kernels, as one grouped
        float32 convolution per layer (the batch's networks are its groups), channels-last in memory (torch's CPU
        max-pool over thousands of channels-first planes is ~10x slower). The max-pool runs before the activation
        (tanh, relu and identity are non-decreasing, so max and activation commute exactly)."""
        if self.spec.frontend is None:
            return observations.to(torch.float32)
        batch = observations.shape[0]
        x = observations.to(torch.float32).reshape(1, -1, *observations.shape[2:])  # [1, batch x channels, h, w]
        x = x.contiguous(memory_format=torch.channels_last)
        for layer, kernels in zip(self.spec.frontend.layers, self.frontend, strict=True):
            grouped = kernels.reshape(-1, *kernels.shape[2:]).contiguous(memory_format=torch.channels_last)
            x = torch.nn.functional.conv2d(x, grouped, stride=layer.stride, groups=batch)
            if layer.pool > 1:  # the activations are non-decreasing: pooling first picks the same value, 4x cheaper
                x = torch.nn.functional.max_pool2d(x, layer.pool)
            x = _ACTIVATIONS[layer.activation](x)
        return x.reshape(batch, -1)

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
        return _plastic_layers(self, weights, pre, plastic, exact=False)


def _action_head(head: tuple[str, ...] | None, output: torch.Tensor) -> torch.Tensor:
    if head is None:
        return output
    action = output.clone()
    for index, name in enumerate(head):
        if name in ("tanh", "sigmoid"):
            action[:, index] = _ACTIVATIONS[name](output[:, index])
    return action


def _standardize(weights: torch.Tensor) -> None:
    """`hebbkit.runtime.network.standardize_layer` for every network of a batch ([batch, in, out], in place), in
    both twins: float64 sums as the last entry of a cumulative sum (sequential, row-major, as the NumPy and C
    twins sum), each weight in float64 rounded once."""
    wide = weights.reshape(weights.shape[0], -1).to(torch.float64)
    count = wide.shape[1]
    mean = wide.cumsum(dim=1)[:, -1:] / count
    wide -= mean
    variance = (wide * wide).cumsum(dim=1)[:, -1:] / count
    wide /= torch.sqrt(variance + STANDARDIZE_EPSILON)
    weights.copy_(wide.reshape(weights.shape))


def _plastic_layers(twin, weights: list[torch.Tensor], pre: torch.Tensor, plastic: bool,
                    exact: bool = True) -> torch.Tensor:
    """The plastic layers of a batch of networks, shared by both twins; `twin.a`..`twin.d` broadcast over the batch
    or hold one network's coefficients per row. `exact`: the runtime's maths (float64 sums rounded once, float32
    update in the NumPy backend's order); else float32 sums and a fused update (two `addcmul`s: about half the
    passes over the weights). Returns the actions."""
    spec = twin.spec
    for layer, activation in enumerate(spec.activations):
        w = weights[layer]
        if exact:
            post = _ACTIVATIONS[activation](torch.bmm(pre.to(torch.float64)[:, None, :],
                                                       w.to(torch.float64))[:, 0, :]).to(torch.float32)
        else:
            post = _ACTIVATIONS[activation](torch.bmm(pre[:, None, :], w)[:, 0, :])
        if plastic and twin.learns:
            if exact:
                delta = twin.a[layer] * post[:, None, :]
                delta += twin.b[layer]
                delta *= pre[:, :, None]
                term = twin.c[layer] * post[:, None, :]
                term += twin.d[layer]
                delta += term
                w += delta
            else:
                term = torch.addcmul(twin.b[layer], twin.a[layer], post[:, None, :])  # a post + b
                w.addcmul_(term, pre[:, :, None])                                     # + (a post + b) pre
                torch.addcmul(twin.d[layer], twin.c[layer], post[:, None, :], out=term)
                w += term                                                             # + c post + d
            if spec.weight_norm == "standardize":
                _standardize(w)
            elif spec.weight_norm == "max":
                flat = w.reshape(w.shape[0], -1)  # max |w| without an |w| copy (torch.aminmax is ~10x slower)
                peak = torch.maximum(flat.amax(dim=1), -flat.amin(dim=1)).clamp_min(torch.finfo(torch.float32).tiny)
                w /= peak[:, None, None]
        pre = post
    return _action_head(spec.action_head, pre)
