"""Scanning DNA with position weight matrices: log-odds scores of every window on one or both strands, and exact score thresholds for a p-value.

The one scanner of the library: the embedded world's motif occupancy
(:mod:`creme_lib.world.motifs`), the fine-tile step's FIMO-style scan
(:func:`creme_lib.pipeline.fine_tile.motif_hits`) and the promoter spacer analysis
(:mod:`creme_lib.promoters.spacing`) all score windows with :func:`pwm_scores`; each keeps
only its own choice of log-odds (pseudocounts, rounding) and of what counts as a site.

Conventions: sequences are one-hot ``(N, L, 4)`` in ``A, C, G, T`` order, an all-zero row
is an ``N`` and contributes nothing to a score; weights are ``(W, 4)`` (position by letter) or a
stack ``(W, 4, F)`` of ``F`` filters of the same width (pad narrower motifs with zero rows on
the right). The window starting at ``i`` scores
``s[n, i] = sum_k sum_a x[n, i + k, a] * weights[k, a]`` for ``i = 0 .. L - W``.

Scores are summed in float32. With integer weights, or weights that are multiples of a power
of two (the world's 1/64-bit weights), every partial sum is exact, so the result does not
depend on the summation order and equals a brute-force loop exactly. Other weights are
exact to float32 rounding: a single motif ``(W, 4)`` is summed by one fixed einsum, a stack
by a matrix product, and the two may differ in the last bit.
"""

from __future__ import annotations

import numpy as np


def reverse_complement_weights(weights: np.ndarray) -> np.ndarray:
    """Weights of the reverse-complement strand.

    Parameters
    ----------
    weights : numpy.ndarray
        ``(W, 4)`` or ``(W, 4, F)`` in ACGT order.

    Returns
    -------
    numpy.ndarray
        Same shape: positions reversed and ``A<->T``, ``C<->G`` swapped, so scoring the
        forward sequence with them scores the opposite strand of each window.
    """
    return np.asarray(weights)[::-1, ::-1]


def pwm_scores(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Log-odds score of every full window of one-hot sequences, forward strand.

    Parameters
    ----------
    x : numpy.ndarray
        One-hot ``(N, L, 4)`` (all-zero rows are ``N``: they add 0).
    weights : numpy.ndarray
        ``(W, 4)`` for one motif or ``(W, 4, F)`` for ``F`` filters; ``W <= L``.

    Returns
    -------
    numpy.ndarray
        float32 ``(N, L - W + 1)`` for ``(W, 4)`` weights, ``(N, L - W + 1, F)`` for a stack;
        entry ``i`` is the window ``[i, i + W)``.

    Raises
    ------
    ValueError
        If ``x`` is not ``(N, L, 4)``, the weights are not ``(W, 4[, F])``, or ``W > L``.
    """
    x = np.asarray(x, np.float32)
    w = np.asarray(weights)
    if x.ndim != 3 or x.shape[2] != 4:
        raise ValueError(f"sequences must be one-hot (N, L, 4), got {x.shape}")
    if w.ndim not in (2, 3) or w.shape[1] != 4 or w.shape[0] < 1:
        raise ValueError(f"weights must be (W, 4) or (W, 4, F), got {w.shape}")
    width = w.shape[0]
    if x.shape[1] < width:
        raise ValueError(f"sequences {x.shape} are shorter than the {width} bp motif")
    if w.ndim == 2:
        # One motif: an einsum with contiguous (4, W) float32 weights, one fixed summation
        # order, so non-dyadic weights (the promoter PWMs) always round the same way.
        win = np.lib.stride_tricks.sliding_window_view(x, width, axis=1)  # (N, P, 4, W), a view
        return np.einsum("npcw,cw->np", win, np.ascontiguousarray(w.T, np.float32))
    # A stack: one matrix product of the (N P, 4 W) windows with the (4 W, F) filters, many
    # times faster than the einsum for many filters; exact for integer or dyadic weights
    # whatever order BLAS sums in.
    n, p = x.shape[0], x.shape[1] - width + 1
    win = np.lib.stride_tricks.sliding_window_view(x, width, axis=1)  # (N, P, 4, W), a view
    cols = win.reshape(n * p, 4 * width)  # a copy: 16 W bytes per position
    filt = np.ascontiguousarray(w.transpose(1, 0, 2), np.float32).reshape(4 * width, w.shape[2])
    return (cols @ filt).reshape(n, p, w.shape[2])


def both_strand_scores(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Scores of every window on the forward and the reverse-complement strand.

    Parameters
    ----------
    x : numpy.ndarray
        One-hot ``(N, L, 4)``.
    weights : numpy.ndarray
        ``(W, 4)`` or ``(W, 4, F)``. Every filter of a stack must be ``W`` wide: reversing a
        filter padded with zero rows would move its padding to the left (the world's
        :func:`~creme_lib.world.motifs.stacked_filters` places each reverse complement itself).

    Returns
    -------
    numpy.ndarray
        float32 ``(N, L - W + 1, 2)`` for ``(W, 4)`` weights or ``(N, L - W + 1, 2, F)`` for a
        stack; index 0 of the strand axis is the forward strand, 1 the reverse complement.
    """
    w = np.asarray(weights)
    stacked = np.stack([w, reverse_complement_weights(w)], axis=-1)  # (W, 4, [F,] 2)
    if w.ndim == 2:
        return pwm_scores(x, stacked)
    s = pwm_scores(x, stacked.reshape(w.shape[0], 4, -1))  # (N, P, F * 2), filter-major
    return s.reshape(*s.shape[:2], w.shape[2], 2).swapaxes(2, 3)


def best_strand(x: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The better of the two strands' scores per window, and which strand it was.

    Parameters
    ----------
    x : numpy.ndarray
        One-hot ``(N, L, 4)``.
    weights : numpy.ndarray
        ``(W, 4)`` or ``(W, 4, F)``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``best`` float32 and ``strand`` int8 (+1 forward, -1 reverse complement; ties go to
        the forward strand), both ``(N, L - W + 1)`` or ``(N, L - W + 1, F)``.
    """
    s = both_strand_scores(x, weights)
    fwd, rev = s[:, :, 0], s[:, :, 1]
    return np.maximum(fwd, rev), np.where(fwd >= rev, 1, -1).astype(np.int8)


def complete_windows(x: np.ndarray, width: int) -> np.ndarray:
    """Windows of ``width`` bp that contain no ``N`` (all-zero row).

    Parameters
    ----------
    x : numpy.ndarray
        One-hot ``(N, L, 4)``.
    width : int
        Window width ``W`` (bp).

    Returns
    -------
    numpy.ndarray
        bool ``(N, L - W + 1)``.
    """
    known = np.asarray(x).sum(axis=2) > 0  # (N, L)
    return np.lib.stride_tricks.sliding_window_view(known, width, axis=1).all(axis=2)


def score_distribution(weights: np.ndarray, background: np.ndarray) -> tuple[np.ndarray, int]:
    """Exact distribution of the score of a random window under an iid background.

    Parameters
    ----------
    weights : numpy.ndarray
        Integer weights ``(W, 4)`` (scores in the weights' units, e.g. 1/64 bit).
    background : numpy.ndarray
        Letter probabilities ``(4,)`` (ACGT).

    Returns
    -------
    (numpy.ndarray, int)
        ``pmf`` float64 ``(S,)`` with ``pmf[i] = P(score = offset + i)``, and ``offset``, the
        lowest attainable score (dynamic programming over positions, as FIMO).
    """
    w = np.asarray(weights, np.int64)
    bg = np.asarray(background, np.float64)
    dist = np.ones(1)
    offset = 0
    for row in w:
        rmin, rmax = int(row.min()), int(row.max())
        step = np.zeros(rmax - rmin + 1)
        np.add.at(step, row - rmin, bg)
        dist = np.convolve(dist, step)
        offset += rmin
    return dist, offset


def score_survival(weights: np.ndarray, background: np.ndarray) -> tuple[np.ndarray, int]:
    """``P(score >= s)`` of a random window under an iid background.

    Parameters
    ----------
    weights : numpy.ndarray
        Integer weights ``(W, 4)``.
    background : numpy.ndarray
        Letter probabilities ``(4,)``.

    Returns
    -------
    (numpy.ndarray, int)
        ``sf`` float64 ``(S,)`` with ``sf[i] = P(score >= offset + i)`` and ``offset`` (see
        :func:`score_distribution`).
    """
    pmf, offset = score_distribution(weights, background)
    return np.cumsum(pmf[::-1])[::-1], offset


def pvalue_threshold(weights: np.ndarray, background: np.ndarray, pvalue: float) -> int:
    """Smallest integer score ``s`` with ``P(score >= s) <= pvalue`` under an iid background.

    Parameters
    ----------
    weights : numpy.ndarray
        Integer weights ``(W, 4)``.
    background : numpy.ndarray
        Letter probabilities ``(4,)``.
    pvalue : float
        Tail probability.

    Returns
    -------
    int
        The threshold in the weights' units; one above the best attainable score if no score
        is that rare.
    """
    return survival_threshold(*score_survival(weights, background), pvalue)


def survival_threshold(sf: np.ndarray, offset: int, pvalue: float) -> int:
    """:func:`pvalue_threshold` from an already computed :func:`score_survival` ``(sf, offset)``."""
    ok = np.flatnonzero(sf <= pvalue)
    return int(ok[0] + offset) if ok.size else int(offset + len(sf))


__all__ = [
    "best_strand",
    "both_strand_scores",
    "complete_windows",
    "pvalue_threshold",
    "pwm_scores",
    "reverse_complement_weights",
    "score_distribution",
    "score_survival",
    "survival_threshold",
]
