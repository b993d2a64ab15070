"""A planted promoter set with a known answer, for the interpretation tests.

Each 150 bp window (TSS at index 120) carries the sigma-70 -35 box TTGACA at [80, 86) and the
-10 box TATAAT at [103, 109): a 17 bp spacer, the -10 box ending 11 bp upstream of the TSS. :func:`grammar_model` is a hand-built activity
model of that grammar: ``1 + 9 * exp(-(spacer - 17)^2 / 4)`` when both exact boxes are present
(the best pair over all placements), 1 + 0.5 per box present otherwise.
"""

from __future__ import annotations

import numpy as np

from creme_lib.models.base import CallableModel
from creme_lib.promoters.data import encode_sequences
from creme_lib.sequence import one_hot_decode

LENGTH, TSS = 150, 120
BOX_35, BOX_10 = "TTGACA", "TATAAT"
AT_35, AT_10 = 80, 103
SPACER = AT_10 - (AT_35 + 6)  # 17


def planted_windows(n: int = 40, seed: int = 0) -> np.ndarray:
    """One-hot ``(n, 150, 4)`` random windows (no chance boxes) with the planted pair."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        s = list("".join(rng.choice(list("ACGT"), LENGTH)))
        s[AT_35:AT_35 + 6] = BOX_35
        s[AT_10:AT_10 + 6] = BOX_10
        seq = "".join(s)
        if seq.count(BOX_35) == 1 and seq.count(BOX_10) == 1:
            out.append(seq)
    return encode_sequences(out)


def _activity(seq: str) -> float:
    a = [i for i in range(len(seq) - 5) if seq[i:i + 6] == BOX_35]
    b = [i for i in range(len(seq) - 5) if seq[i:i + 6] == BOX_10]
    pairs = [j - (i + 6) for i in a for j in b if j - (i + 6) >= 0]
    if pairs:
        return 1.0 + 9.0 * max(np.exp(-((sp - SPACER) ** 2) / 4.0) for sp in pairs)
    return 1.0 + 0.5 * (bool(a) + bool(b))


def grammar_model() -> CallableModel:
    """The hand-built activity model, ``(N, 150, 4) -> (N, 1, 1)``."""

    def fn(x: np.ndarray) -> np.ndarray:
        return np.array([_activity(one_hot_decode(xi)) for xi in x], np.float32)[:, None, None]

    return CallableModel(fn, seq_length=LENGTH, n_bins=1, track_names=["activity"])
