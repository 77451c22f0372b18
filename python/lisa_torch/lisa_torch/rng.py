"""The Swift trainer's seeded draws (Numerics/SeededGenerator.swift, LiSA/Ops.swift GaussianRNG), so that both
trainers start from the same initial weights for the same --seed.

SplitMix64 is counter based: draw k (0-based) is mix(seed + (k + 1)·γ), so a block of draws is one vectorised
expression. Box–Muller takes two draws per normal: u1 = max(unit(2j), 1e-300), u2 = unit(2j + 1),
z = sqrt(−2 ln u1)·cos(2π u2), computed in float64 and rounded to float32, as in Swift."""
from __future__ import annotations

import numpy as np

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


class GaussianRNG:
    """Standard normal float32 draws, stream-identical to Swift's `GaussianRNG(seed:)`."""

    def __init__(self, seed: int):
        self.seed = np.uint64(seed % (1 << 64))
        self.drawn = 0          # uint64 draws consumed so far

    def _uniform(self, n: int) -> np.ndarray:
        k = np.arange(self.drawn + 1, self.drawn + 1 + n, dtype=np.uint64)
        self.drawn += n
        with np.errstate(over="ignore"):
            z = self.seed + k * _GAMMA
            z = (z ^ (z >> np.uint64(30))) * _M1
            z = (z ^ (z >> np.uint64(27))) * _M2
            z = z ^ (z >> np.uint64(31))
        return (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53

    def normal(self, n: int) -> np.ndarray:
        """n draws, float32 (each uses two uniforms, u1 then u2)."""
        u = self._uniform(2 * n).reshape(n, 2)
        u1 = np.maximum(u[:, 0], 1e-300)
        return (np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u[:, 1])).astype(np.float32)


def layer_seed(seed: int, index: int) -> int:
    """`LocalKDTrainer`'s per-layer seed: seed &* 1_000_003 &+ index (wrapping UInt64)."""
    return (seed * 1_000_003 + index) % (1 << 64)
