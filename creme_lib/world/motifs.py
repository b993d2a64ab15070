"""Real JASPAR motifs for the embedded world: count matrices, log-odds PWMs, thresholds, scanning.

The 17 count matrices below were copied from the JASPAR 2026 CORE database shipped with
``pyjaspar`` 4.0.0 (``jaspardb().fetch_motif_by_id(matrix_id)``), so the world needs no network
and stays byte-identical across ``pyjaspar`` releases. ``tests/test_world.py`` checks them
against ``pyjaspar`` when it is installed.

From counts to the numbers the model uses (all motifs, fixed):

1. frequencies ``f[k, a] = counts[k, a] / sum_a counts[k, a]`` (``k`` = position, ``a`` in ACGT);
2. mixed with the background ``b = (0.295, 0.205, 0.205, 0.295)`` (41 % GC):
   ``p = (1 - 0.02) f + 0.02 b`` (a 2 % pseudo-frequency, so a mismatch costs at most ~5.7 bits);
3. low-information flanks (information content < 0.3 bits) are trimmed;
4. log-odds ``W[k, a] = log2(p[k, a] / b[a])``, rounded to a multiple of 1/64 bit. With dyadic
   weights and one-hot input every partial sum of a scan is exact in float32, so numpy,
   TensorFlow and XLA give bit-identical scores whatever the summation order;
5. a threshold ``T``: the score exceeded by a random background k-mer with probability
   ``PVALUE = 1e-6`` (exact score distribution by dynamic programming over positions), but at
   least ``MIN_RANGE_BITS = 1`` bit below the best attainable score ``S_max`` so that short
   motifs (TBP, YY1) still have a graded occupancy. In the world's background (first-order
   Markov, 41 % GC, CpG-depleted) the activator and repressor motifs then have 0.2-9
   occupancy-weighted sites per Mb, which the model's cluster gate (>= 2 units within 3.2 kb
   to open at all) turns into essentially no activity in dinucleotide-shuffled controls;
6. occupancy of a site with score ``s``: ``o = floor(256 * clip((s - T) * (1 / (S_max - T)), 0, 1)) / 256``
   (a multiple of 1/256, so sums of occupancies over a 128 bp bin are exact as well).

Scores are computed for both strands; a position's occupancy is the larger of the two. Site
positions are the 0-based start of the ``w``-bp interval the motif covers (on either strand).
The window scores come from the library's one scanner, :func:`creme_lib.motifs.pwm_scores`;
:class:`HitScanner` (numpy, no TensorFlow) finds the generator's stray sites with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from creme_lib.motifs import pvalue_threshold, pwm_scores
from creme_lib.sequence import tokens_to_one_hot

JASPAR_RELEASE = "JASPAR2026"
BACKGROUND = np.array([0.295, 0.205, 0.205, 0.295])
PSEUDO = 0.02
TRIM_IC_BITS = 0.3
SCALE = 64  # weights are multiples of 1/SCALE bit
OCC_LEVELS = 256  # occupancies are multiples of 1/OCC_LEVELS
PVALUE = 1e-6
MIN_RANGE_BITS = 1.0

# name -> (JASPAR matrix id, JASPAR name, counts per position in ACGT order)
_JASPAR_COUNTS: dict[str, tuple[str, str, tuple[tuple[float, float, float, float], ...]]] = {
    "GATA1::TAL1": ("MA0140.3", "GATA1::TAL1", ((206, 807, 159, 3783), (318, 0, 0, 4637), (4955, 0, 0, 0), (0, 0, 0, 4955), (0, 4955, 0, 0), (2049, 63, 55, 2788), (658, 1331, 2214, 752), (963, 1214, 1244, 1534), (1191, 1127, 1520, 1117), (1778, 1130, 990, 1057), (1038, 1237, 1712, 968), (1352, 1142, 1466, 995), (1885, 1033, 820, 1217), (1381, 1237, 1884, 453), (110, 4822, 23, 0), (4659, 0, 0, 296), (160, 890, 3544, 361),)),
    "TAL1::TCF3": ("MA0091.2", "TAL1::TCF3", ((39, 0, 3, 2), (20, 24, 0, 0), (0, 43, 1, 0), (44, 0, 0, 0), (0, 1, 11, 32), (12, 32, 0, 0), (0, 0, 0, 44), (0, 0, 43, 1), (0, 3, 20, 21), (4, 4, 2, 34),)),
    "MYB": ("MA2468.1", "Myb", ((14, 4, 0, 981), (1000, 0, 0, 0), (995, 0, 0, 4), (0, 990, 9, 0), (9, 4, 972, 13), (4, 0, 995, 0), (152, 132, 35, 679), (200, 442, 12, 345), (537, 43, 240, 179),)),
    "SPI1": ("MA0080.7", "Spi1", ((66531, 6863, 22807, 8997), (82280, 5758, 10614, 6546), (81461, 2330, 10220, 11187), (8636, 12201, 79986, 4375), (89952, 2594, 9636, 3016), (4077, 550, 99360, 1211), (2028, 831, 101383, 956), (102012, 1095, 1063, 1028), (99529, 958, 1822, 2889), (7616, 7067, 89140, 1375), (16997, 3716, 5128, 79357), (9972, 6075, 83385, 5766), (23194, 11577, 57669, 12758),)),
    "EBF1": ("MA0154.5", "EBF1", ((2352, 4506, 5497, 33070), (1321, 34665, 1920, 7519), (568, 43256, 371, 1230), (648, 42562, 443, 1772), (2539, 39675, 862, 2349), (34745, 1707, 1723, 7250), (3502, 814, 38728, 2381), (2617, 495, 41651, 662), (1515, 455, 42789, 666), (8856, 2462, 32761, 1346), (31636, 6355, 4957, 2477),)),
    "IRF4": ("MA1419.2", "IRF4", ((364, 45331, 87, 5937), (350, 66, 45331, 31), (45331, 124, 91, 112), (45331, 8, 25, 444), (45331, 6, 4, 8), (187, 45331, 593, 497), (27, 45331, 4, 3801), (57, 6, 45331, 3), (45331, 46, 7, 5), (45331, 11, 23, 1002), (45331, 15, 4, 13), (829, 45331, 4251, 80), (1377, 17589, 253, 27742), (25202, 4640, 5644, 9846),)),
    "FOS::JUN": ("MA1126.2", "FOS::JUN", ((556, 45, 369, 30), (47, 74, 62, 816), (42, 112, 655, 191), (748, 31, 135, 86), (80, 838, 41, 41), (131, 114, 722, 34), (40, 23, 32, 905), (53, 846, 44, 57), (907, 24, 36, 33), (30, 234, 60, 676),)),
    "TEAD1": ("MA0090.3", "TEAD1", ((17689, 19272, 14429, 19008), (16651, 22059, 12053, 19635), (58030, 1248, 9179, 1941), (6096, 61276, 1923, 1103), (68106, 646, 946, 700), (535, 700, 646, 68517), (4976, 622, 1210, 63590), (1348, 66953, 765, 1332), (702, 67635, 374, 1687), (57190, 1729, 2051, 9428), (9124, 6215, 47856, 7203), (13252, 20002, 26525, 10619), (19194, 21358, 16344, 13502),)),
    "NFKB1": ("MA0105.4", "NFKB1", ((8441, 2013, 990, 818), (9, 0, 19047, 5), (0, 3, 19177, 2), (4, 0, 19167, 318), (229, 3, 19458, 27), (12004, 62, 821, 27), (7003, 18, 32, 6744), (22, 1311, 116, 14372), (17, 9574, 4, 130), (497, 9536, 1, 3), (4, 9591, 1, 2), (6, 9642, 2, 8), (1231, 1293, 3348, 9386),)),
    "REST": ("MA0138.3", "REST", ((58, 269, 146, 1124), (76, 1366, 50, 105), (1452, 30, 94, 26), (34, 44, 1516, 10), (122, 978, 323, 182), (1575, 7, 12, 12), (3, 1586, 12, 5), (35, 1481, 20, 70), (913, 201, 162, 329), (219, 375, 124, 886), (39, 7, 1551, 7), (20, 5, 1577, 2), (1406, 112, 34, 51), (13, 1280, 233, 74), (1574, 9, 7, 10), (42, 13, 1530, 9), (205, 1007, 183, 198), (366, 31, 688, 507), (213, 933, 319, 125), (179, 1114, 37, 260),)),
    "GFI1B": ("MA0483.2", "Gfi1B", ((1124, 438, 104, 95), (1761, 0, 0, 0), (1759, 0, 2, 0), (0, 338, 28, 1395), (0, 1761, 0, 0), (1033, 21, 0, 707), (61, 1312, 388, 0), (1116, 0, 1, 644), (57, 1, 1676, 27), (142, 1328, 76, 215),)),
    "BCL6": ("MA0463.3", "BCL6", ((975, 144, 5569, 376), (195, 5787, 106, 149), (354, 257, 71, 5756), (647, 789, 822, 5331), (47, 7, 5, 5831), (1, 5824, 4, 186), (159, 978, 4640, 3168), (5714, 112, 75, 219), (640, 44, 5692, 123), (34, 87, 5791, 204), (5616, 153, 460, 338), (5656, 88, 136, 591), (1568, 1910, 311, 3515),)),
    "HES1": ("MA1099.3", "HES1", ((3321, 3492, 18526, 4239), (5858, 2072, 18526, 8007), (464, 18526, 0, 18), (9446, 0, 9081, 232), (0, 18526, 0, 791), (21, 0, 18526, 0), (253, 4057, 0, 18526), (1, 0, 18526, 53),)),
    "TBP": ("MA0108.3", "TBP", ((16, 46, 18, 309), (352, 0, 2, 35), (3, 10, 2, 374), (354, 0, 5, 30), (268, 0, 0, 121), (360, 3, 20, 6), (222, 2, 44, 121),)),
    "SP1": ("MA0079.5", "SP1", ((1.055, 1.055, 950.422, 47.468), (1.055, 1.055, 996.835, 1.055), (1.055, 1.055, 996.835, 1.055), (1.055, 1.055, 996.835, 1.055), (266.878, 731.013, 1.055, 1.055), (1.055, 1.055, 996.835, 1.055), (1.055, 85.443, 912.447, 1.055), (254.219, 51.688, 659.283, 34.81), (161.392, 1.055, 836.498, 1.055),)),
    "NRF1": ("MA0506.3", "Nrf1", ((1289, 7208, 3330, 902), (744, 1831, 864, 9290), (445, 339, 11841, 104), (408, 11783, 343, 195), (286, 193, 12026, 224), (147, 11838, 510, 234), (4332, 5475, 2514, 408), (128, 577, 446, 11578), (68, 251, 12324, 86), (131, 12143, 201, 254), (274, 576, 11169, 710), (426, 8461, 1008, 2834),)),
    "YY1": ("MA0095.4", "Yy1", ((3123, 33122, 3684, 3419), (41529, 926, 287, 606), (39666, 1447, 1320, 915), (30769, 2536, 8658, 1385), (41506, 746, 712, 384), (689, 241, 708, 41710), (561, 165, 42263, 359), (1597, 971, 39612, 1168),)),
}


MOTIF_NAMES: tuple[str, ...] = tuple(_JASPAR_COUNTS)


@dataclass(frozen=True)
class Motif:
    """One scanning motif.

    Attributes
    ----------
    name : str
        Name used throughout the world (``"GATA1"``, ``"FOS::JUN"``...).
    matrix_id : str
        JASPAR matrix id of the counts.
    weights : numpy.ndarray
        Log2-odds, shape ``(w, 4)`` (ACGT), multiples of 1/64 bit, after flank trimming.
    threshold : float
        Score ``T`` (bits) at which occupancy starts.
    max_score : float
        Best attainable score ``S_max`` (bits).
    probs : numpy.ndarray
        Site probabilities ``(w, 4)`` used to sample planted sites.
    """

    name: str
    matrix_id: str
    weights: np.ndarray
    threshold: float
    max_score: float
    probs: np.ndarray

    @property
    def width(self) -> int:
        return int(self.weights.shape[0])

    @property
    def rc_weights(self) -> np.ndarray:
        """Weights of the reverse-complement strand, shape ``(w, 4)``."""
        return self.weights[::-1, ::-1]

    @property
    def occ_scale(self) -> np.float32:
        """``1 / (S_max - T)`` as float32: the factor every scanner multiplies ``s - T`` by."""
        return np.float32(1.0 / (self.max_score - self.threshold))

    def occupancy(self, score: np.ndarray) -> np.ndarray:
        """Occupancy (see module docstring) of float32 scores, same shape, float32."""
        return occupancy(np.asarray(score, np.float32), np.float32(self.threshold), self.occ_scale)

    def score(self, site: str | np.ndarray) -> float:
        """Best-strand score (bits) of a ``w``-bp site (string or tokens)."""
        tok = _tokens(site)
        if tok.size != self.width:
            raise ValueError(f"{self.name} site must be {self.width} bp, got {tok.size}")
        k = np.arange(self.width)
        return float(max(self.weights[k, tok].sum(), self.rc_weights[k, tok].sum()))


def occupancy(s: np.ndarray, threshold: np.ndarray | np.float32, scale: np.ndarray | np.float32) -> np.ndarray:
    """Thresholded occupancy ``floor(256 * clip((s - T) * scale, 0, 1)) / 256`` in float32.

    Written as a multiply by a float32 constant (never a division) so numpy and the
    TensorFlow model round identically.
    """
    s = np.asarray(s, np.float32)
    z = np.clip((s - np.float32(threshold) if np.ndim(threshold) == 0 else s - threshold) * scale, 0, 1)
    return (np.floor(z.astype(np.float32) * np.float32(OCC_LEVELS)) / np.float32(OCC_LEVELS)).astype(np.float32)


def _tokens(site: str | np.ndarray) -> np.ndarray:
    if isinstance(site, str):
        from creme_lib.sequence import tokenize

        return tokenize(site).astype(np.intp)
    return np.asarray(site, dtype=np.intp)


def _pvalue_threshold(w_int: np.ndarray, pvalue: float) -> int:
    """Smallest integer score ``T`` (1/64 bit units) with P(score > T) <= pvalue under BACKGROUND."""
    # P(score > T) = P(score >= T + 1): one below the shared scanner's ">=" threshold.
    return pvalue_threshold(w_int, BACKGROUND, pvalue) - 1


def _build(name: str, pvalue: float, min_range_bits: float) -> Motif:
    matrix_id, _, counts = _JASPAR_COUNTS[name]
    c = np.asarray(counts, dtype=np.float64)
    f = c / c.sum(axis=1, keepdims=True)
    p = (1 - PSEUDO) * f + PSEUDO * BACKGROUND
    ic = 2 + (p * np.log2(p)).sum(axis=1)
    keep = np.flatnonzero(ic >= TRIM_IC_BITS)
    p = p[keep[0] : keep[-1] + 1]
    w_int = np.round(SCALE * np.log2(p / BACKGROUND)).astype(np.int64)
    smax = int(w_int.max(axis=1).sum())
    t = min(_pvalue_threshold(w_int, pvalue), smax - int(round(min_range_bits * SCALE)))
    return Motif(
        name=name,
        matrix_id=matrix_id,
        weights=w_int / SCALE,
        threshold=t / SCALE,
        max_score=smax / SCALE,
        probs=p / p.sum(axis=1, keepdims=True),
    )


@lru_cache(maxsize=None)
def motif_bank(pvalue: float = PVALUE, min_range_bits: float = MIN_RANGE_BITS) -> dict[str, Motif]:
    """All world motifs by name (built once; see the module docstring for the recipe)."""
    return {n: _build(n, pvalue, min_range_bits) for n in MOTIF_NAMES}


def get_motif(name: str) -> Motif:
    """The :class:`Motif` called ``name``; ``ValueError`` naming the known motifs otherwise."""
    bank = motif_bank()
    if name not in bank:
        raise ValueError(f"unknown motif {name!r}; the world knows {', '.join(MOTIF_NAMES)}")
    return bank[name]


@lru_cache(maxsize=None)
def stacked_filters(
    names: tuple[str, ...] | list[str], pvalue: float = PVALUE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Filters for one conv1d over both strands.

    ``pvalue`` sets the thresholds (the weights do not depend on it): the default gives the
    sites the model's grammar sees, a larger one (``Mechanism.background_pvalue``) the weak
    sites of its background term.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``filters`` of shape ``(W, 4, 2M)`` float32 (motif ``m`` forward at column ``m``, its
        reverse complement at ``M + m``; narrower motifs are zero-padded on the right so every
        filter's position is the start of the site), ``thresholds`` ``(M,)`` and ``scales``
        ``(M,)`` float32.
    """
    names = tuple(names)
    for n in names:
        get_motif(n)  # a clear error for an unknown name
    bank = motif_bank(float(pvalue))
    motifs = [bank[n] for n in names]
    width = max(m.width for m in motifs)
    filt = np.zeros((width, 4, 2 * len(motifs)), np.float32)
    for j, m in enumerate(motifs):
        filt[: m.width, :, j] = m.weights
        filt[: m.width, :, len(motifs) + j] = m.rc_weights
    thr = np.array([m.threshold for m in motifs], np.float32)
    scl = np.array([m.occ_scale for m in motifs], np.float32)
    return filt, thr, scl


def scan(
    x: np.ndarray, names: tuple[str, ...] | list[str] = MOTIF_NAMES, pvalue: float = PVALUE
) -> tuple[np.ndarray, np.ndarray]:
    """Numpy reference scan of a one-hot sequence (exactly what the TensorFlow model computes).

    Parameters
    ----------
    x : numpy.ndarray
        One-hot ``(L, 4)``; sites running off the right end see all-zero rows.
    names : sequence of str
        Motifs to scan.
    pvalue : float
        Background p-value of the occupancy thresholds (see :func:`stacked_filters`).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``occ`` ``(L, M)`` float32 best-strand occupancy and ``strand`` ``(L, M)`` int8
        (+1 forward, -1 reverse complement: the strand with the higher score).
    """
    from creme_lib.sequence import one_hot_to_tokens

    return scan_tokens(one_hot_to_tokens(np.asarray(x)), names, pvalue)


def scan_tokens(
    tokens: np.ndarray, names: tuple[str, ...] | list[str] = MOTIF_NAMES, pvalue: float = PVALUE
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`scan` for tokens ``(L,)`` (``A, C, G, T, N`` = ``0..4``)."""
    filt, thr, scl = stacked_filters(tuple(names), float(pvalue))
    width, _, f2 = filt.shape
    m = f2 // 2
    # Sites running off the right end see N (all-zero rows), so every position gets a score.
    # With dyadic weights the float32 sums are exact in any order (identical to the TensorFlow conv).
    tok = np.concatenate([np.asarray(tokens, dtype=np.intp), np.full(width - 1, 4, np.intp)])
    s = pwm_scores(tokens_to_one_hot(tok)[None], filt)[0]  # (L, 2M)
    fwd, rev = s[:, :m], s[:, m:]
    best = np.maximum(fwd, rev)
    strand = np.where(fwd >= rev, 1, -1).astype(np.int8)
    return occupancy(best, thr, scl), strand


def best_strand_scores(tokens: np.ndarray, start: int, stop: int, filters: np.ndarray) -> np.ndarray:
    """Best-strand scores of the windows starting at ``start .. stop - 1`` of tokens ``(L,)``.

    ``filters`` are :func:`stacked_filters`' ``(W, 4, 2M)``; windows running off the right end
    see N (all-zero rows), as in :func:`scan`. Returns float32 ``(stop - start, M)``.
    """
    width, m = filters.shape[0], filters.shape[2] // 2
    seg = np.full(stop - start + width - 1, 4, np.uint8)
    part = tokens[start : stop + width - 1]
    seg[: part.shape[0]] = part
    s = pwm_scores(tokens_to_one_hot(seg)[None], filters)[0]  # (stop - start, 2M)
    return np.maximum(s[:, :m], s[:, m:])


class HitScanner:
    """Positions whose best-strand score exceeds the motif's threshold ``T`` (the genome
    generator's search for stray sites; numpy, so generating a world needs no TensorFlow).

    Scores are exact (dyadic weights), so the hit set is the one the model's conv would find.

    Parameters
    ----------
    names : sequence of str
        Motifs to scan.
    chunk : int
        Positions scored per block (bounds memory: ``chunk x 2M`` float32 scores).
    """

    def __init__(self, names: Sequence[str], chunk: int = 1 << 16):
        self.filters, self.thresholds, _ = stacked_filters(tuple(names))
        self.width = self.filters.shape[0]
        self.m = self.filters.shape[2] // 2
        self.chunk = int(chunk)

    def hits(self, tokens: np.ndarray) -> np.ndarray:
        """``(K, 2)`` int64 ``[position, motif index]`` of every above-threshold site start in
        tokens ``(L,)``, sorted by position then motif; sites running off the right end see N."""
        n = tokens.shape[0]
        out = []
        for start in range(0, n, self.chunk):
            stop = min(start + self.chunk, n)
            pos, j = np.nonzero(best_strand_scores(tokens, start, stop, self.filters) > self.thresholds)
            out.append(np.stack([pos + start, j], axis=1).astype(np.int64))
        return np.concatenate(out) if out else np.zeros((0, 2), np.int64)


def sample_site(motif: Motif, rng: np.random.Generator, min_occupancy: float = 0.6, max_tries: int = 100_000) -> np.ndarray:
    """Draw a site from the motif's probabilities whose occupancy is at least ``min_occupancy``.

    Returns tokens ``(w,)`` in the motif's forward orientation. Rejection sampling in vectorised
    blocks, so the result depends only on ``rng``.

    Raises
    ------
    RuntimeError
        If no site reaches ``min_occupancy`` within ``max_tries`` draws.
    """
    need = motif.threshold + min_occupancy * (motif.max_score - motif.threshold)
    cum = np.cumsum(motif.probs, axis=1)
    k = np.arange(motif.width)
    drawn = 0
    while drawn < max_tries:
        u = rng.random((512, motif.width))
        tok = (u[:, :, None] > cum[None, :, :3]).sum(axis=2)
        fwd = motif.weights[k, tok].sum(axis=1)
        rev = motif.rc_weights[k, tok].sum(axis=1)
        ok = np.flatnonzero(np.maximum(fwd, rev) >= need)
        if ok.size:
            return tok[ok[0]].astype(np.uint8)
        drawn += 512
    raise RuntimeError(f"could not sample a {motif.name} site with occupancy >= {min_occupancy}")
