"""Toy models whose CREME answers are known analytically.

A :class:`SegmentModel` scores a sequence by which *exact* wild-type segments are present at
which positions. A dinucleotide shuffle of a >= 16 bp segment reproduces it with negligible
probability, so every perturbation has an exactly predictable output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creme_lib.models.base import CallableModel
from creme_lib.sequence import one_hot_to_tokens


@dataclass
class Element:
    """A segment of the WT (``src = [start, end)``) that counts with ``weight`` when found at
    ``positions`` (start bp -> weight multiplier; default: only its own start, factor 1)."""

    start: int
    end: int
    weight: float
    positions: dict[int, float] | None = None


def random_tokens(length: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 4, length).astype(np.uint8)


def one_hot(tokens: np.ndarray) -> np.ndarray:
    return np.eye(4, dtype=np.float32)[tokens]


class SegmentModel(CallableModel):
    """activity = base + combine(weights * presence); output (N, n_bins, 1), flat over bins.

    ``combine="sum"`` is additive; ``"product"`` is ``base + prod(w_i * present_i)`` (AND logic).
    """

    def __init__(self, wt: np.ndarray, elements: list[Element], base: float = 1.0,
                 combine: str = "sum", n_bins: int = 4):
        self.wt_tokens = one_hot_to_tokens(wt)
        self.elements = elements
        self.base = base
        self.combine = combine
        self.segments = [self.wt_tokens[e.start:e.end] for e in elements]
        super().__init__(self._score, seq_length=len(wt), n_bins=n_bins, bin_size=len(wt) // n_bins,
                         track_names=["toy"])

    def terms(self, x: np.ndarray) -> np.ndarray:
        """(N, E) weighted presence of each element."""
        tok = one_hot_to_tokens(x)
        out = np.zeros((len(x), len(self.elements)))
        for j, (e, seg) in enumerate(zip(self.elements, self.segments)):
            positions = e.positions or {e.start: 1.0}
            for p, f in positions.items():
                hit = np.all(tok[:, p:p + len(seg)] == seg, axis=1)
                out[:, j] += e.weight * f * hit
        return out

    def _score(self, x: np.ndarray) -> np.ndarray:
        t = self.terms(x)
        act = self.base + (t.sum(1) if self.combine == "sum" else np.prod(t, axis=1))
        return np.repeat(act[:, None, None], self.n_bins, axis=1).astype(np.float32)
