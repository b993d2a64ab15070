r"""The ground-truth model of the embedded world: Enformer's interface, our regulatory logic.

:class:`SyntheticModel` takes Enformer's input (one-hot ``(N, 196608, 4)``, or tokens ``(N, 196608)``
through :meth:`~creme_lib.models.base.Model.predict_tokens`, which the engine uses) and returns
Enformer's output layout, 896 bins of 128 bp over the central 114,688 bp (40,960 bp cropped on
each side), for three CAGE-like tracks, in this order:

========  =================================
index     track name
========  =================================
0         ``"CAGE:K562 ENCODE, biol_"``
1         ``"CAGE:GM12878 ENCODE, biol_"``
2         ``"CAGE:PC-3 ENCODE, biol_"``
========  =================================

(cell-line names, ``"K562"``, ``"GM12878"``, ``"PC-3"``, are accepted as track selectors too).
The TSS of a gene window sits at bp 98,304, i.e. between output bins 447 and 448.

Motif wiring (JASPAR 2026 matrix ids; the channel decides how two enhancers combine):

=========  =======================  ======================  ====================  ==========================
line       additive (``lin``)       superadditive (coop)    subadditive (sat)     repressors (silencers)
=========  =======================  ======================  ====================  ==========================
K562       GATA1::TAL1 MA0140.3     TAL1::TCF3 MA0091.2     MYB MA2468.1          REST MA0138.3, GFI1B MA0483.2
GM12878    SPI1 MA0080.7            EBF1 MA0154.5           IRF4 MA1419.2         REST, BCL6 MA0463.3
PC-3       FOS::JUN MA1126.2        TEAD1 MA0090.3          NFKB1 MA0105.4        REST, HES1 MA1099.3
=========  =======================  ======================  ====================  ==========================

Core promoter (all lines): TBP MA0108.3, SP1 MA0079.5, NRF1 MA0506.3, YY1 MA0095.4.
KLF1 is not used (its GC box is SP1's, so every CpG-island promoter would be a K562 enhancer),
nor are GATA1 alone, STAT5, FOXA1 or SNAI2: their short, degenerate matrices pass a strict
threshold tens of times per Mb of random sequence, and dinucleotide-shuffled controls would
then carry activity of their own.

Mechanism
---------
All parameters live in :class:`~creme_lib.world.mechanism.Mechanism`; defaults in brackets.
``x`` is the one-hot input, positions ``i`` (bp), input bins ``b = 0..1535`` (128 bp),
output bins ``j = 0..895`` (output bin ``j`` is input bin ``j + 320``), cell lines ``c``.

1. **Motif scan** (one ``conv1d``, 17 JASPAR motifs x 2 strands = 34 filters of width 20).
   Log2-odds PWM score of the site starting at ``i`` on either strand,
   ``s_m^\pm(i) = sum_k W_m^\pm[k, x_{i+k}]`` (see :mod:`creme_lib.world.motifs`), and the
   thresholded occupancy

   .. math:: o_m(i) = \lfloor 256\,\mathrm{clip}((\max_\pm s_m^\pm(i) - T_m) / (S^{max}_m - T_m), 0, 1)\rfloor / 256

   with ``T_m`` the score a random background site exceeds with probability 1e-6 (at least
   1 bit below the best score). Binned: ``h_m(b) = sum_{i in bin b} o_m(i)``.

2. **Motif grammar gate** (an isolated site does nothing; a cluster makes an element).
   For the activator motifs ``E_c`` of line ``c``,
   ``G_c(b) = clip((sum_{|b'-b|<=r} sum_{m in E_c} h_m(b') - g_lo) / (g_hi - g_lo), 0, 1)``
   [``r = 12`` bins, ``g_lo = 2``, ``g_hi = 4``], and likewise ``G^S_c`` for the repressors
   ``S_c``. Gated activity per channel ``k`` in {lin, coop, sat}:
   ``a^k_c(b) = G_c(b) * beta * sum_{m in E_c, channel(m)=k} h_m(b)`` [``beta = 6``];
   repression ``q_c(b) = G^S_c(b) * rho * sum_{m in S_c} h_m(b)`` [``rho = 0.5``].

3. **Distance decay** from output bin ``j``:
   ``K(b, j) = exp(-128 |b - (j + 320)| / lambda)`` [``lambda = 40,000`` bp].

4. **Channels** (how two enhancers combine; this is what makes pairs additive,
   superadditive or subadditive):

   * additive: ``Lin_c(j) = sum_b a^lin_c(b) K(b, j)``;
   * superadditive: ``U = sum_b a^coop_c(b) K(b, j)``,
     ``V = sum_b a^coop_c(b) (sum_{|b'-b|<=p} a^coop_c(b')) K(b, j)^2`` [``p = 12`` bins],
     ``Coop_c(j) = U + gamma/2 * max(U^2 - V, 0)`` [``gamma = 0.05``]; for elements ``e``
     more than ``p`` bins apart with distance-weighted drives ``U_e`` this is
     ``sum_e U_e + gamma * sum_{e<f} U_e U_f`` (a product term for co-occurring enhancers;
     one element alone has none);
   * subadditive: ``Sat_c(j) = S_max (1 - exp(-sum_b a^sat_c(b) K(b, j) / S_max))``
     [``S_max = 40``];
   * ``D_c(j) = Lin_c + Coop_c + Sat_c`` (enhancer drive, dimensionless),
     ``R_c(j) = exp(-sum_b q_c(b) K(b, j))`` (silencers multiply).

   * background (off unless ``background_weight > 0``, see
     :meth:`~creme_lib.world.mechanism.Mechanism.with_shuffle_noise`), a log gain
     ``B_c(j) = w_bg sum_b (sum_{m in E_c} h^weak_m(b) - sum_{m in S_c} h^weak_m(b)) exp(-128 |b - (j + 320)| / lambda_bg)``
     with ``h^weak`` the occupancy of step 1 at the weak threshold ``T^weak_m`` (background
     p-value ``1e-4``) and no gate [``lambda_bg = 20,000`` bp]. Weak sites occur by chance in
     any sequence, so each dinucleotide shuffle of a tile changes ``B``: the world's
     *shuffle noise*, of the same relative size in every context.

5. **Promoter-intrinsic activity** (cell-line independent, from core-promoter motifs
   TBP, SP1, NRF1, YY1 within ``+-1`` input bin of the output bin):
   ``A(j) = alpha * max(sum_{|b-(j+320)|<=1} sum_{m in P} h_m(b) - theta_p, 0)``
   [``alpha = 1``, ``theta_p = 1``].

6. **Output** ``y_c(j) = A(j) (1 + D_c(j)) R_c(j) exp(B_c(j)) + eps`` [``eps = 0.01``; ``B = 0``
   with the noise off]: CAGE-like signal at
   bins with a promoter (the TSS bins 447/448 of a world gene window) and ``eps`` elsewhere.
   A gene with no active element in ``c`` gives ``A`` whatever its context (neutral), one with
   strong active enhancers ``A (1 + D)`` with ``D >> 1`` (enhancing), one with silencers
   ``A R`` with ``R < 1`` (silencing).

The weights are multiples of 1/64 bit and occupancies of 1/256, so the scan and the binned
occupancy are exact in float32: the model is deterministic and equal to the numpy reference
:func:`creme_lib.world.mechanism.output_from_bin_occupancy` up to float32 rounding of the head.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from creme_lib.models.base import Model
from creme_lib.world.mechanism import (
    BIN_SIZE,
    CELL_LINES,
    CHANNELS,
    DEFAULT_MECHANISM,
    N_BINS,
    N_INPUT_BINS,
    SEQ_LENGTH,
    TRACK_NAMES,
    Mechanism,
)
from creme_lib.sequence import one_hot_to_tokens, tokens_to_one_hot
from creme_lib.world.motifs import OCC_LEVELS, stacked_filters
from creme_lib.world.rescan import ScanCache


def _tf():
    import tensorflow as tf

    return tf


class SyntheticModel(Model):
    """Ground-truth model of the embedded world (see the module docstring for the mechanism).

    Parameters
    ----------
    bins : sequence of int, optional
        Output bins to return (default all 896); e.g. ``[447, 448]`` for the TSS.
    tracks : sequence of int or str, optional
        Tracks to return, by index, track name or cell-line name (default all three).
    mechanism : Mechanism, optional
        Regulatory parameters (default: the embedded world's).
    batch_size : int
        Sequences per compiled call; the last batch is zero-padded so only one shape is
        ever compiled (results do not depend on how a request is batched).
    jit_compile : bool
        Compile the forward pass with XLA (faster on CPU).
    incremental : bool
        Rescan only the input bins in which a sequence differs from a recently scanned one
        (:class:`~creme_lib.world.rescan.ScanCache`); the output is bit-identical to a full
        scan's, several times faster for CREME's tests. ``False`` scans every sequence whole.

    Attributes
    ----------
    seq_length, bin_size, n_bins : int
        196,608 bp, 128 bp, 896 bins.
    track_names : tuple of str
        ``("CAGE:K562 ENCODE, biol_", "CAGE:GM12878 ENCODE, biol_", "CAGE:PC-3 ENCODE, biol_")``.
    """

    seq_length = SEQ_LENGTH
    bin_size = BIN_SIZE
    n_bins = N_BINS

    def __init__(
        self,
        bins: Sequence[int] | int | None = None,
        tracks: Sequence[int | str] | int | str | None = None,
        mechanism: Mechanism | None = None,
        batch_size: int = 8,
        jit_compile: bool = True,
        incremental: bool = True,
    ):
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.mechanism = DEFAULT_MECHANISM if mechanism is None else mechanism
        self.track_names = self.mechanism.track_names
        self.cell_lines = self.mechanism.cell_lines
        self.batch_size = int(batch_size)
        self.jit_compile = bool(jit_compile)
        self.incremental = bool(incremental)
        self.set_selection(bins, tracks)

    # -- selection ---------------------------------------------------------------------------
    def _set_selection(self, bins, tracks) -> None:
        # Cell-line names are friendlier selectors than Enformer-style descriptions.
        if tracks is not None:
            single = isinstance(tracks, (str, int, np.integer))
            items = [tracks] if single else list(tracks)
            tracks = [TRACK_NAMES.get(t, t) if isinstance(t, str) else t for t in items]
        super()._set_selection(bins, tracks)

    def set_selection(self, bins=None, tracks=None) -> None:
        """Change the returned bins and tracks (recompiles the forward pass for the new bins)."""
        self._set_selection(bins, tracks)
        self._fn = None

    def _select_bins(self, bins) -> None:
        self.set_selection(bins, self.tracks)

    # -- forward -----------------------------------------------------------------------------
    def _used_motifs(self) -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
        """Motifs that reach the selected tracks, and the wiring matrices restricted to them.

        The scan costs time in proportion to the number of filters, and a CREME run
        usually selects one cell line's track: scanning only its activators, repressors and
        the core-promoter motifs roughly halves the cost. Columns of unselected cell lines
        become meaningless but are never returned.
        """
        mech = self.mechanism
        mats = mech.matrices()
        lines = np.asarray(self.tracks)  # tracks are in cell-line order
        used = mats["prom"] != 0
        for key in ("act", "lin", "coop", "sat", "rep_mask", "rep"):
            used = used | (mats[key][:, lines] != 0).any(axis=1)
        names = tuple(n for n, u in zip(mech.motif_names, used) if u)
        return names, {k: v[used] for k, v in mats.items()}

    def _build(self):
        tf = _tf()
        mech = self.mechanism
        names, mats = self._used_motifs()
        filt, thr, scl = stacked_filters(names)
        width, _, f2 = filt.shape
        m = f2 // 2
        kern = mech.kernel(self.bins)  # (NB, B)
        band = mech.promoter_band(self.bins)
        c = {k: tf.constant(v) for k, v in mats.items()}
        filt_t = tf.constant(filt)
        levels = [(thr, scl)]
        if mech.background_weight:
            levels.append(stacked_filters(names, mech.background_pvalue)[1:])
            kern_bg_t = tf.constant(mech.background_kernel(self.bins))
        levels_t = [(tf.constant(t), tf.constant(v)) for t, v in levels]
        kern_t, kern2_t, band_t = tf.constant(kern), tf.constant(kern * kern), tf.constant(band)
        track_idx = tf.constant(self.tracks, dtype=tf.int32)
        r_gate, r_pair = int(mech.gate_radius), int(mech.pair_radius)
        lo, hi = np.float32(mech.gate_low), np.float32(mech.gate_high)

        def box(a, radius):
            # (B, NB, C) window sum along bins via a ones-kernel conv per channel.
            n, nb, ch = tf.shape(a)[0], tf.shape(a)[1], tf.shape(a)[2]
            flat = tf.reshape(tf.transpose(a, [0, 2, 1]), [-1, nb, 1])
            ones = tf.ones([2 * radius + 1, 1, 1], a.dtype)
            out = tf.nn.conv1d(flat, ones, 1, "SAME")
            return tf.transpose(tf.reshape(out, [n, ch, nb]), [0, 2, 1])

        def gate(h, mask):
            win = box(tf.einsum("bnm,mc->bnc", h, mask), r_gate)
            return tf.clip_by_value((win - lo) / (hi - lo), 0.0, 1.0)

        def dist(v, k):
            return tf.einsum("bnc,nj->bjc", v, k)

        def scan(x):
            xp = tf.pad(x, [[0, 0], [0, width - 1], [0, 0]])
            s = tf.nn.conv1d(xp, filt_t, 1, "VALID")  # (B, L, 2M) exact dyadic scores
            best = tf.maximum(s[..., :m], s[..., m:])
            out = []
            for thr_, scl_ in levels_t:  # the grammar's sites, then (noise on) the weak sites
                z = tf.clip_by_value((best - thr_) * scl_, 0.0, 1.0)
                occ = tf.floor(z * float(OCC_LEVELS)) / float(OCC_LEVELS)
                out.append(tf.reduce_sum(tf.reshape(occ, [-1, N_INPUT_BINS, BIN_SIZE, m]), axis=2))  # (B, NB, M)
            return tuple(out)

        def head(h, *weak):
            g_act, g_rep = gate(h, c["act"]), gate(h, c["rep_mask"])
            a = {k: g_act * tf.einsum("bnm,mc->bnc", h, c[k]) for k in CHANNELS}
            q = g_rep * tf.einsum("bnm,mc->bnc", h, c["rep"])
            lin = dist(a["lin"], kern_t)
            u = dist(a["coop"], kern_t)
            v = dist(a["coop"] * box(a["coop"], r_pair), kern2_t)
            coop = u + 0.5 * mech.coop_gain * tf.nn.relu(u * u - v)
            sat = mech.sat_max * (1.0 - tf.exp(-dist(a["sat"], kern_t) / mech.sat_max))
            drive = lin + coop + sat
            rep = tf.exp(-dist(q, kern_t))
            if weak:  # weak sites, ungated: the term a dinucleotide shuffle changes at random
                signed = tf.einsum("bnm,mc->bnc", weak[0], c["act"] - c["rep_mask"])
                rep = rep * tf.exp(mech.background_weight * dist(signed, kern_bg_t))
            p = tf.einsum("bn,nj->bj", tf.einsum("bnm,m->bn", h, c["prom"]), band_t)[..., None]
            A = mech.promoter_gain * tf.nn.relu(p - mech.promoter_threshold)
            y = A * (1.0 + drive) * rep + mech.floor  # (B, bins, C)
            return tf.gather(y, track_idx, axis=2)

        bs = self.batch_size
        x_sig = [tf.TensorSpec([bs, SEQ_LENGTH, 4], tf.float32)]
        h_sig = [tf.TensorSpec([bs, N_INPUT_BINS, m], tf.float32)] * len(levels)
        scan_fn = tf.function(scan, input_signature=x_sig, jit_compile=self.jit_compile)
        head_fn = tf.function(head, input_signature=h_sig, jit_compile=self.jit_compile)
        return scan_fn, head_fn, ScanCache(filt, levels)

    def _padded(self, fn, arrays: list[np.ndarray]) -> list[np.ndarray]:
        """``fn`` over batches of ``arrays`` (first axis), the last batch zero-padded."""
        n, bs = arrays[0].shape[0], self.batch_size
        out: list[list[np.ndarray]] = []
        for i in range(0, n, bs):
            chunk = [a[i : i + bs] for a in arrays]
            k = chunk[0].shape[0]
            if k < bs:
                chunk = [np.concatenate([a, np.zeros((bs - k, *a.shape[1:]), np.float32)]) for a in chunk]
            res = fn(*[np.ascontiguousarray(a, dtype=np.float32) for a in chunk])
            res = res if isinstance(res, (tuple, list)) else (res,)
            out.append([r.numpy()[:k] for r in res])
        return [np.concatenate(parts) for parts in zip(*out)]

    def _occupancy(self, tokens: np.ndarray) -> list[np.ndarray]:
        """Binned occupancies ``(N, 1536, M)`` per level of tokens ``(N, L)``: rescanned from a
        similar recent sequence where one is cached, else one whole scan of the one-hot."""
        scan_fn, _, cache = self._compiled()
        if not self.incremental:
            return self._padded(scan_fn, [tokens_to_one_hot(tokens)])
        hs: list[np.ndarray | None] = [None] * tokens.shape[0]
        todo = list(range(tokens.shape[0]))
        while todo:
            full: list[int] = []
            wait: list[int] = []
            for i in todo:
                hit = cache.nearest(tokens[i])
                if hit is not None:
                    # Only whole scans become references: the wild types and shuffled backgrounds
                    # that a test's other sequences are edits of stay in the cache longest.
                    hs[i] = cache.rescan(tokens[i], *hit)
                elif any(cache.rescan_bins(tokens[i], tokens[j]) is not None for j in full[-4:]):
                    wait.append(i)  # close to a sequence about to be scanned: rescan from it next round
                else:
                    full.append(i)
            if full:
                got = self._padded(scan_fn, [tokens_to_one_hot(tokens[full])])
                for k, i in enumerate(full):
                    hs[i] = [g[k] for g in got]
                    cache.add(tokens[i], hs[i])
            todo = wait
        return [np.stack([h[level] for h in hs]) for level in range(len(hs[0]))]

    def _compiled(self):
        """``(scan, head, rescan cache)`` of the current selection, built on first use."""
        if self._fn is None:
            self._fn = self._build()
        return self._fn

    def _predict(self, x: np.ndarray) -> np.ndarray:
        scan_fn, head_fn, _ = self._compiled()
        if self.incremental:
            try:
                tokens = one_hot_to_tokens(x)
            except ValueError:  # not exact one-hot (soft input): scanned whole, nothing to reuse
                tokens = None
            if tokens is not None:
                return self._predict_tokens(tokens)
        return self._padded(head_fn, self._padded(scan_fn, [x]))[0]

    def _predict_tokens(self, tokens: np.ndarray) -> np.ndarray:
        _, head_fn, _ = self._compiled()
        return self._padded(head_fn, self._occupancy(tokens))[0]


__all__ = ["SyntheticModel", "CELL_LINES", "TRACK_NAMES"]
