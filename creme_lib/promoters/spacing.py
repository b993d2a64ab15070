"""Distance constraints between motifs: spacings of best sites, and the sigma-70 spacer.

Sites are scored with log-odds PWMs against a uniform background
(``sum_k log2(p[c, k] / 0.25)`` over the window's letters), forward strand only: the windows
are oriented in the direction of transcription, and so are the sigma-70 elements.

The *spacer* of a promoter is the number of bp between the end of its -35 box and the start
of its -10 box; :func:`spacer_lengths` takes, for each sequence, the placement of the two
boxes that maximizes their summed score over the allowed spacers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from creme_lib.motifs import pwm_scores
from creme_lib.promoters.motifs import check_pwm


def log_odds(pwm: np.ndarray, floor: float = 1e-3) -> np.ndarray:
    """``(4, width)`` log2 odds against a uniform background (probabilities floored at ``floor``)."""
    return np.log2(np.maximum(check_pwm(pwm), floor) / 0.25)


def spacer_lengths(x: np.ndarray, pwm_35: np.ndarray, pwm_10: np.ndarray, spacers=range(12, 23),
                   tss_index: int | None = None) -> pd.DataFrame:
    """Best -35 / -10 placement per sequence over the allowed spacers.

    Parameters
    ----------
    x : numpy.ndarray
        One-hot ``(N, L, 4)``.
    pwm_35, pwm_10 : numpy.ndarray
        ``(4, w35)`` and ``(4, w10)`` PWMs.
    spacers : iterable of int
        Allowed spacer lengths in bp.
    tss_index : int, optional
        If given, the -10 box must end 3 to 20 bp upstream of this index (0-based bp of the
        TSS in the window; sigma-70 -10 boxes end about 7 bp upstream of the +1).

    Returns
    -------
    pandas.DataFrame
        ``spacer, start_35, start_10, score`` per sequence (bp, 0-based; score in bits).

    Raises
    ------
    ValueError
        If no placement of the two boxes with the shortest spacer fits in the window.
    """
    spacers = sorted(int(s) for s in spacers)
    w35, w10 = np.asarray(pwm_35).shape[1], np.asarray(pwm_10).shape[1]
    n, length = np.asarray(x).shape[:2]
    if not spacers or spacers[0] < 0 or w35 + spacers[-1] + w10 > length:
        raise ValueError(f"spacers {spacers[0] if spacers else None}-{spacers[-1] if spacers else None} bp with "
                         f"{w35} + {w10} bp boxes run out of the {length} bp window")
    s35, s10 = pwm_scores(x, log_odds(pwm_35).T), pwm_scores(x, log_odds(pwm_10).T)  # (N, positions)
    best = np.full(n, -np.inf)
    out = np.zeros((n, 3), np.int64)
    for sp in spacers:
        # -35 box at p, -10 box at p + w35 + sp.
        last = length - (w35 + sp + w10)
        p = np.arange(last + 1)
        q = p + w35 + sp
        if tss_index is not None:
            ok = (q + w10 <= tss_index - 3) & (q + w10 >= tss_index - 20)
            p, q = p[ok], q[ok]
            if not len(p):
                continue
        score = s35[:, p] + s10[:, q]  # (N, positions)
        j = score.argmax(axis=1)
        val = score[np.arange(n), j]
        better = val > best
        best[better] = val[better]
        out[better] = np.stack([np.full(better.sum(), sp), p[j[better]], q[j[better]]], axis=1)
    if not np.isfinite(best).all():
        raise ValueError(f"no placement of the boxes fits tss_index={tss_index} with spacers {spacers}")
    return pd.DataFrame({"spacer": out[:, 0], "start_35": out[:, 1], "start_10": out[:, 2], "score": best})


def site_spacing(activations: np.ndarray, i: int, j: int) -> np.ndarray:
    """Start-to-start bp from filter ``i``'s best site to filter ``j``'s, per sequence:
    ``(N, P, F)`` activations -> ``(N,)`` int (positive: ``j`` downstream of ``i``)."""
    best = np.asarray(activations).argmax(axis=1)
    return (best[:, j] - best[:, i]).astype(np.int64)


def spacing_contrast(spacing: np.ndarray, both_high: np.ndarray) -> pd.DataFrame:
    """Counts of each spacing in sequences where both motifs carry high weight and elsewhere.

    Returns
    -------
    pandas.DataFrame
        ``spacing, n_high, n_other, frac_high, frac_other``.
    """
    spacing, both_high = np.asarray(spacing), np.asarray(both_high, bool)
    if spacing.shape != both_high.shape:
        raise ValueError(f"spacing {spacing.shape} and mask {both_high.shape} differ in shape")
    values = np.arange(spacing.min(), spacing.max() + 1)
    hi = pd.Series(spacing[both_high]).value_counts().reindex(values, fill_value=0)
    lo = pd.Series(spacing[~both_high]).value_counts().reindex(values, fill_value=0)
    return pd.DataFrame({"spacing": values, "n_high": hi.to_numpy(), "n_other": lo.to_numpy(),
                         "frac_high": hi.to_numpy() / max(1, hi.sum()), "frac_other": lo.to_numpy() / max(1, lo.sum())})


def pair_spacings(activations: np.ndarray, weighted: np.ndarray, pairs: list[tuple[int, int]],
                  quantile: float = 0.75) -> pd.DataFrame:
    """Spacing of the best sites of each motif pair, where both carry high weight and elsewhere.

    Parameters
    ----------
    activations : numpy.ndarray
        ``(N, P, F)`` filter activations.
    weighted : numpy.ndarray
        ``(N, F)`` weighted features; "high" is ``|w f|`` at or above its ``quantile`` for both
        (no such sequence: NaN spacing).
    pairs : list of (int, int)
        Filter indices.

    Returns
    -------
    pandas.DataFrame
        Per pair: ``i, j, n_high, mode_high`` (bp, start of ``j`` minus start of ``i``),
        ``frac_high_at_mode`` and ``frac_other_at_mode`` (fractions of the two groups of
        sequences with that spacing).
    """
    wf = np.abs(np.asarray(weighted))
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    thr = np.quantile(wf, quantile, axis=0)
    rows = []
    for i, j in pairs:
        sp = site_spacing(activations, i, j)
        both = (wf[:, i] >= thr[i]) & (wf[:, j] >= thr[j])
        if not both.any():
            rows.append((i, j, 0, np.nan, np.nan, np.nan))
            continue
        c = spacing_contrast(sp, both)
        top = c.sort_values(["frac_high", "spacing"], ascending=[False, True]).iloc[0]
        rows.append((i, j, int(both.sum()), int(top.spacing), float(top.frac_high), float(top.frac_other)))
    return pd.DataFrame(rows, columns=["i", "j", "n_high", "mode_high", "frac_high_at_mode", "frac_other_at_mode"])
