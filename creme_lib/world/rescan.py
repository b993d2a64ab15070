"""Incremental motif scanning: a sequence's binned occupancy from a similar sequence's, rescanning only the bins a change reaches.

A CREME test sends hundreds of sequences that differ from one another in a few tiles: the
necessity test shuffles one 5 kb tile of the wild type at a time, the sufficiency test pastes
one tile into a shuffled background, a greedy search shuffles one more tile per round. The
world's model depends on a sequence only through its binned motif occupancy ``h`` (input
bins of 128 bp x motifs), and a changed base at position ``c`` can change only the scores of
windows starting in ``[c - W + 1, c]`` (``W`` the widest motif). :class:`ScanCache` keeps the
tokens and ``h`` of recent sequences, finds the one closest to a new sequence, and rescans
only the input bins whose windows touch a changed base.

Scores of the world's motifs are multiples of 1/64 bit and occupancies multiples of 1/256
(:mod:`creme_lib.world.motifs`), so every sum is exact in float32: the rescanned ``h`` is
bit-identical to a full scan's, whatever the summation order, and so is the model's output.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from creme_lib.world.mechanism import BIN_SIZE
from creme_lib.world.motifs import best_strand_scores, occupancy

#: A sequence is rescanned from a cached one only when at most this many input bins change
#: (32 kb); beyond it one full TensorFlow scan is faster than the numpy rescan.
MAX_RESCAN_BINS = 256
#: A cached sequence is compared base by base only when it agrees with the new one at this
#: fraction of a sparse sample of positions (a shuffled background agrees at ~30 %).
MIN_SAMPLE_AGREEMENT = 0.8
_SAMPLE_STEP = 97


def changed_bins(tokens: np.ndarray, ref: np.ndarray, width: int) -> np.ndarray:
    """Input bins whose scan windows touch a base where ``tokens`` and ``ref`` differ.

    Parameters
    ----------
    tokens, ref : numpy.ndarray
        Tokens ``(L,)`` (``L`` a multiple of 128 bp).
    width : int
        Widest motif (bp, at most 128): a change at ``c`` reaches windows starting at
        ``c - width + 1 .. c``, which lie in at most two bins.

    Returns
    -------
    numpy.ndarray
        Sorted bin indices (int64).
    """
    if not 1 <= width <= BIN_SIZE:
        raise ValueError(f"width must be 1..{BIN_SIZE} bp, got {width}")
    c = np.flatnonzero(tokens != ref)
    mark = np.zeros(tokens.shape[0] // BIN_SIZE, bool)
    mark[np.maximum(c - width + 1, 0) // BIN_SIZE] = True
    mark[c // BIN_SIZE] = True
    return np.flatnonzero(mark)


def similar(tokens: np.ndarray, ref: np.ndarray) -> bool:
    """Whether two sequences agree at :data:`MIN_SAMPLE_AGREEMENT` of a sparse sample of positions (cheap)."""
    return bool((tokens[::_SAMPLE_STEP] == ref[::_SAMPLE_STEP]).mean() >= MIN_SAMPLE_AGREEMENT)


def _runs(bins: np.ndarray) -> list[tuple[int, int]]:
    """Contiguous runs ``[b0, b1)`` of sorted bin indices."""
    if bins.size == 0:
        return []
    cut = np.flatnonzero(np.diff(bins) > 1) + 1
    return [(int(r[0]), int(r[-1]) + 1) for r in np.split(bins, cut)]


class ScanCache:
    """Recent sequences' binned occupancies, and rescans of new sequences from the closest one.

    Parameters
    ----------
    filters : numpy.ndarray
        ``(W, 4, 2M)`` stacked forward and reverse-complement filters
        (:func:`~creme_lib.world.motifs.stacked_filters`).
    levels : sequence of (numpy.ndarray, numpy.ndarray)
        ``(thresholds, scales)``, each ``(M,)`` float32, per occupancy level kept (the
        grammar's sites; the weak sites of the shuffle noise).
    capacity : int
        Sequences kept (least recently used dropped first): enough for the context swap
        test's targets (every target's wild type is a reference for its swaps).
    """

    def __init__(self, filters: np.ndarray, levels, capacity: int = 128):
        self.filters = np.asarray(filters, np.float32)
        self.width = int(self.filters.shape[0])
        self.m = int(self.filters.shape[2]) // 2
        self.levels = [(np.asarray(t, np.float32), np.asarray(s, np.float32)) for t, s in levels]
        self.capacity = int(capacity)
        self._refs: OrderedDict[int, tuple[np.ndarray, list[np.ndarray]]] = OrderedDict()
        self._next = 0

    def __len__(self) -> int:
        return len(self._refs)

    def add(self, tokens: np.ndarray, hs: list[np.ndarray]) -> None:
        """Keep a sequence's tokens ``(L,)`` and its occupancies (one ``(L // 128, M)`` per level)."""
        self._refs[self._next] = (np.array(tokens, np.uint8), [np.array(h, np.float32) for h in hs])
        self._next += 1
        while len(self._refs) > self.capacity:
            self._refs.popitem(last=False)

    def rescan_bins(self, tokens: np.ndarray, ref: np.ndarray, max_bins: int = MAX_RESCAN_BINS) -> np.ndarray | None:
        """The bins to rescan ``tokens`` from ``ref`` (:func:`changed_bins`), or ``None`` when more than ``max_bins``
        (or when a sparse sample already says the two are unrelated)."""
        if not similar(tokens, ref):
            return None
        bins = changed_bins(tokens, ref, self.width)
        return bins if bins.size <= max_bins else None

    def nearest(self, tokens: np.ndarray, max_bins: int = MAX_RESCAN_BINS) -> tuple[int, np.ndarray] | None:
        """The cached sequence needing the fewest rescanned bins, if any needs at most ``max_bins``.

        Returns
        -------
        (int, numpy.ndarray) or None
            Its key and the bins to rescan (:func:`changed_bins`).
        """
        best = None
        for key in reversed(self._refs):
            bins = self.rescan_bins(tokens, self._refs[key][0], max_bins)
            if bins is not None and (best is None or bins.size < best[1].size):
                best = (key, bins)
                if bins.size <= 48:  # one tile and its edges: no cached sequence does much better
                    break
        return best

    def rescan(self, tokens: np.ndarray, key: int, bins: np.ndarray) -> list[np.ndarray]:
        """Occupancies of ``tokens``: the cached sequence ``key``'s with ``bins`` rescanned."""
        self._refs.move_to_end(key)
        hs = [h.copy() for h in self._refs[key][1]]
        for b0, b1 in _runs(bins):
            best = best_strand_scores(tokens, b0 * BIN_SIZE, b1 * BIN_SIZE, self.filters)
            for h, (thr, scl) in zip(hs, self.levels):
                h[b0:b1] = occupancy(best, thr, scl).reshape(b1 - b0, BIN_SIZE, self.m).sum(axis=1)
        return hs


__all__ = ["ScanCache", "changed_bins", "similar", "MAX_RESCAN_BINS", "MIN_SAMPLE_AGREEMENT"]
