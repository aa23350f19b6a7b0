"""A convolutional front end whose weights are evolved directly (not plastic), for pixel observations.

The paper's CarRacing network: 3x84x84 image -> conv 3->6 (kernel 3, stride 1) -> tanh -> maxpool 2 -> conv 6->8
(kernel 5, stride 2) -> tanh -> maxpool 2 -> flatten (8x9x9 = 648) -> the plastic layers. No biases (1,362
weights). Computed in float64 and rounded once to float32, like the plastic forward pass, so every backend agrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .errors import ConfigError

MAX_IMAGE_SIZE = 2**22
"""Largest image a front end accepts, in entries (C x H x W; CarRacing's 3x84x84 is 21,168)."""


@dataclass(frozen=True)
class ConvLayer:
    """One convolution (no bias, no padding), an activation, then a max-pool of `pool` x `pool` (1: none)."""

    in_channels: int
    out_channels: int
    kernel: int
    stride: int = 1
    activation: str = "tanh"
    pool: int = 2

    def __post_init__(self) -> None:
        sizes = {name: getattr(self, name) for name in ("in_channels", "out_channels", "kernel", "stride", "pool")}
        bad = {name: value for name, value in sizes.items()
               if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1}
        if bad:
            raise ConfigError(f"conv layer sizes must be integers >= 1, got {bad}")

    def output_shape(self, shape: tuple[int, int, int]) -> tuple[int, int, int]:
        channels, height, width = shape
        if channels != self.in_channels:
            raise ConfigError(f"conv expects {self.in_channels} input channels, gets {channels}")
        height = (height - self.kernel) // self.stride + 1
        width = (width - self.kernel) // self.stride + 1
        if height < 1 or width < 1:
            raise ConfigError(f"input {shape} is smaller than the {self.kernel}x{self.kernel} kernel")
        return self.out_channels, height // self.pool, width // self.pool

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        return (self.out_channels, self.in_channels, self.kernel, self.kernel)


@dataclass(frozen=True)
class Frontend:
    """The convolutional front end: input image shape (channels, height, width) and its layers."""

    input_shape: tuple[int, int, int]
    layers: tuple[ConvLayer, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_shape", tuple(int(v) for v in self.input_shape))
        object.__setattr__(self, "layers", tuple(self.layers))
        if len(self.input_shape) != 3 or min(self.input_shape) < 1:
            raise ConfigError(f"frontend input_shape should be 3 positive sizes [C, H, W], "
                              f"got {list(self.input_shape)}")
        if math.prod(self.input_shape) > MAX_IMAGE_SIZE:
            raise ConfigError(f"frontend input_shape {list(self.input_shape)} exceeds {MAX_IMAGE_SIZE:,} entries")
        for layer in self.layers:
            if layer.activation not in ("tanh", "identity", "relu"):
                raise ConfigError(f"unknown frontend activation {layer.activation!r}")
        self.output_shape  # validates the chain  # noqa: B018

    @property
    def output_shape(self) -> tuple[int, int, int]:
        shape = self.input_shape
        for layer in self.layers:
            shape = layer.output_shape(shape)
        return shape

    @property
    def output_size(self) -> int:
        return math.prod(self.output_shape)

    @property
    def weight_shapes(self) -> list[tuple[int, int, int, int]]:
        return [layer.weight_shape for layer in self.layers]

    @property
    def n_weights(self) -> int:
        return sum(math.prod(shape) for shape in self.weight_shapes)

    def to_dict(self) -> dict:
        return {"input_shape": list(self.input_shape), "layers": [layer.__dict__ for layer in self.layers]}

    @classmethod
    def from_dict(cls, data: dict) -> Frontend:
        return cls(tuple(data["input_shape"]), tuple(ConvLayer(**layer) for layer in data["layers"]))


CARRACING_FRONTEND = Frontend((3, 84, 84), (ConvLayer(3, 6, 3, 1), ConvLayer(6, 8, 5, 2)))
"""The paper's CarRacing front end: 648 features, 1,362 weights."""


def frontend_forward(frontend: Frontend, weights: list[np.ndarray], image: np.ndarray) -> np.ndarray:
    """The flattened float32 features of one image [C, H, W] (computed in float64, rounded once)."""
    x = np.asarray(image, dtype=np.float64)
    for layer, kernel in zip(frontend.layers, weights, strict=True):
        windows = sliding_window_view(x, (layer.kernel, layer.kernel), axis=(1, 2))[:, ::layer.stride, ::layer.stride]
        # windows: [C_in, H_out, W_out, k, k] -> output [C_out, H_out, W_out]
        x = np.einsum("chwij,ocij->ohw", windows, np.asarray(kernel, dtype=np.float64), optimize=True)
        if layer.activation == "tanh":
            np.tanh(x, out=x)
        elif layer.activation == "relu":
            np.maximum(x, 0.0, out=x)
        if layer.pool > 1:
            channels, height, width = x.shape
            h, w = height // layer.pool, width // layer.pool
            x = x[:, :h * layer.pool, :w * layer.pool].reshape(channels, h, layer.pool, w, layer.pool).max(axis=(2, 4))
    return x.reshape(-1).astype(np.float32)
