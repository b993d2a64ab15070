"""The k-mer ridge regression baseline: counts of every k-mer, one ridge fit, alpha on validation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from creme_lib.sequence import one_hot_to_tokens

ALPHAS = (1.0, 10.0, 100.0, 1_000.0, 10_000.0)


def kmer_counts(x: np.ndarray, k: int = 6) -> np.ndarray:
    """Counts of each of the ``4**k`` k-mers in one-hot sequences.

    Parameters
    ----------
    x : numpy.ndarray
        One-hot ``(N, L, 4)``; k-mers holding an ``N`` (all-zero row) are not counted.
    k : int
        k-mer length in bp, ``1 <= k <= 8``.

    Returns
    -------
    numpy.ndarray
        ``(N, 4**k)`` float32; column ``c`` is the k-mer whose base-4 digits (``A=0 .. T=3``,
        first letter most significant) spell ``c``.
    """
    if not 1 <= int(k) <= 8:
        raise ValueError(f"k must be in [1, 8], got {k}")
    tokens = one_hot_to_tokens(np.asarray(x)).astype(np.int64)  # (N, L)
    n, length = tokens.shape
    if length < k:
        raise ValueError(f"sequences of {length} bp have no {k}-mers")
    windows = np.lib.stride_tricks.sliding_window_view(tokens, k, axis=1)  # (N, L-k+1, k)
    valid = (windows < 4).all(axis=2)
    codes = (windows * (4 ** np.arange(k - 1, -1, -1))).sum(axis=2)
    rows = np.broadcast_to(np.arange(n)[:, None], codes.shape)
    flat = rows[valid] * 4**k + codes[valid]
    return np.bincount(flat, minlength=n * 4**k).reshape(n, 4**k).astype(np.float32)


@dataclass
class KmerRidge:
    """Ridge regression on k-mer counts (features and label centred; the penalty ``alpha``
    chosen on a validation set from ``alphas``).

    Attributes after :meth:`fit`: ``coef`` ``(4**k,)``, ``intercept``, ``alpha``,
    ``val_pearson`` (per alpha).
    """

    k: int = 6
    alphas: tuple[float, ...] = ALPHAS
    coef: np.ndarray | None = None
    intercept: float = 0.0
    alpha: float | None = None
    val_pearson: dict[float, float] = field(default_factory=dict)

    def fit(self, x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray) -> KmerRidge:
        """Fit on ``(N, L, 4)`` / ``(N,)``; keep the alpha with the best validation Pearson r."""
        X = kmer_counts(x, self.k).astype(np.float64)
        mu, ym = X.mean(axis=0), float(np.mean(y))
        Xc = X - mu
        # One eigendecomposition of X'X serves every alpha.
        evals, evecs = np.linalg.eigh(Xc.T @ Xc)
        proj = evecs.T @ (Xc.T @ (np.asarray(y, np.float64) - ym))
        Xv = kmer_counts(x_val, self.k).astype(np.float64) - mu
        best = None
        for a in self.alphas:
            coef = evecs @ (proj / (evals + a))
            pred = Xv @ coef + ym
            r = float(np.corrcoef(pred, y_val)[0, 1])
            self.val_pearson[a] = r
            if best is None or r > best[0]:
                best = (r, a, coef)
        _, self.alpha, coef = best
        self.coef = coef.astype(np.float32)
        self.intercept = ym - float(mu @ coef)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted labels ``(N,)`` of one-hot ``(N, L, 4)``."""
        if self.coef is None:
            raise RuntimeError("KmerRidge.predict before fit")
        return kmer_counts(x, self.k) @ self.coef + np.float32(self.intercept)
