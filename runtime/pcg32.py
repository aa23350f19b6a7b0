"""PCG32 (O'Neill's permuted congruential generator, XSH RR 64/32) and the portable uniform initial weights that the
board's firmware draws at every boot: the same integers and the same float32 values in C (`kernel/hebb_rng.c`) and
here, so a host `Policy(..., init_rng="pcg32")` and a board seeded alike start from identical weights.

Generator: state' = state * 6364136223846793005 + increment (mod 2^64); output = rotate_right(uint32(((state >> 18)
^ state) >> 27), state >> 59), computed from the state before the step. Seeding from a 64-bit `seed`:
increment = (STREAM << 1) | 1, state = 0, one step, state += seed, one step.

Uniform float: from one output x, u = x >> 8 (24 bits), v = (2u + 1 - 2^24) * 2^-24, an odd multiple of 2^-24 in
(-1, 1), exact in float32 and symmetric about 0; the weight is float32(bound) * v, one float32 rounding. Weights are
drawn layer by layer, row-major ([in][out]); xavier_uniform's bound is float32(scale * sqrt(6 / (in + out))).
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ConfigError

MULTIPLIER = 6364136223846793005
STREAM = 0x5EED
"""The generator's fixed stream (sequence) constant; the increment is (STREAM << 1) | 1."""
MASK64 = (1 << 64) - 1
PCG32_DISTRIBUTIONS = ("uniform", "xavier_uniform", "zero")
_BLOCK = 1024


class Pcg32:
    """PCG32 XSH RR with 64-bit state; `next_uint32` for one output, `uint32_array` for many (vectorised)."""

    def __init__(self, seed: int) -> None:
        if not (isinstance(seed, int | np.integer) and not isinstance(seed, bool) and 0 <= int(seed) <= MASK64):
            raise ConfigError(f"a pcg32 seed must be an integer in [0, 2^64), got {seed!r}")
        self.increment = ((STREAM << 1) | 1) & MASK64
        self.state = 0
        self.next_uint32()
        self.state = (self.state + int(seed)) & MASK64
        self.next_uint32()

    def next_uint32(self) -> int:
        old = self.state
        self.state = (old * MULTIPLIER + self.increment) & MASK64
        return _output(old)

    def uint32_array(self, count: int) -> np.ndarray:
        """The next `count` outputs as uint32 (the same as `count` calls of `next_uint32`)."""
        states = np.empty(count, dtype=np.uint64)
        first = min(count, _BLOCK)
        state = self.state
        for index in range(first):
            states[index] = state
            state = (state * MULTIPLIER + self.increment) & MASK64
        # s[n + B] = A * s[n] + C (mod 2^64) with A = M^B, C = inc * (M^(B-1) + ... + 1): one block from the last.
        jump_mul, jump_add = 1, 0
        for _ in range(_BLOCK):
            jump_mul, jump_add = (jump_mul * MULTIPLIER) & MASK64, (jump_add * MULTIPLIER + self.increment) & MASK64
        with np.errstate(over="ignore"):
            for start in range(_BLOCK, count, _BLOCK):
                stop = min(start + _BLOCK, count)
                previous = states[start - _BLOCK:stop - _BLOCK]
                states[start:stop] = previous * np.uint64(jump_mul) + np.uint64(jump_add)
        if count > _BLOCK:
            last = int(states[count - 1])
            state = (last * MULTIPLIER + self.increment) & MASK64
        self.state = state
        return _output_array(states)


def _output(state: int) -> int:
    xorshifted = (((state >> 18) ^ state) >> 27) & 0xFFFFFFFF
    rotation = state >> 59
    return ((xorshifted >> rotation) | (xorshifted << ((-rotation) & 31))) & 0xFFFFFFFF


def _output_array(states: np.ndarray) -> np.ndarray:
    xorshifted = (((states >> np.uint64(18)) ^ states) >> np.uint64(27)).astype(np.uint32)
    rotation = (states >> np.uint64(59)).astype(np.uint32)
    left = (np.uint32(32) - rotation) & np.uint32(31)
    return (xorshifted >> rotation) | (xorshifted << left)


def symmetric_unit(outputs: np.ndarray) -> np.ndarray:
    """float32 values in (-1, 1) from uint32 outputs: (2 * (x >> 8) + 1 - 2^24) * 2^-24, exact in float32."""
    top = (outputs >> np.uint32(8)).astype(np.int64)
    return ((2 * top + 1 - (1 << 24)).astype(np.float32) * np.float32(2.0**-24)).astype(np.float32)


def init_bound(distribution: str, scale: float, n_in: int, n_out: int) -> np.float32:
    """The float32 half-width of one layer's uniform initial weights (what the exported C holds per layer)."""
    if distribution == "uniform":
        return np.float32(scale)
    if distribution == "xavier_uniform":
        return np.float32(scale * math.sqrt(6.0 / (n_in + n_out)))
    if distribution == "zero":
        return np.float32(0.0)
    raise ConfigError(f"the pcg32 initial weights support {PCG32_DISTRIBUTIONS}, not {distribution!r} (a normal "
                      "init would need the same libm on board and host)")


def pcg32_weights(distribution: str, scale: float, shapes: list[tuple[int, int]], seed: int) -> list[np.ndarray]:
    """Initial weights per layer, drawn from one PCG32 seeded with `seed`, layer by layer, row-major."""
    generator = Pcg32(seed)
    weights = []
    for n_in, n_out in shapes:
        bound = init_bound(distribution, scale, n_in, n_out)
        unit = symmetric_unit(generator.uint32_array(n_in * n_out))
        weights.append((bound * unit).astype(np.float32).reshape(n_in, n_out))
    return weights
