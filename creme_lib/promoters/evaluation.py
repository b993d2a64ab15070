"""Scores of expression predictions: Pearson r, Spearman rho, R^2 and active/inactive AUROC."""

from __future__ import annotations

import numpy as np
from scipy import stats


def auroc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve of binary ``labels`` ``(N,)`` ranked by ``scores`` ``(N,)``.

    Computed as the Mann-Whitney U statistic over ``n_pos * n_neg`` (ties count one half).

    Raises
    ------
    ValueError
        If ``labels`` holds only one class or the shapes differ.
    """
    labels = np.asarray(labels, bool)
    scores = np.asarray(scores, float)
    if labels.shape != scores.shape:
        raise ValueError(f"labels {labels.shape} and scores {scores.shape} differ in shape")
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"AUROC needs both classes, got {n_pos} positives and {n_neg} negatives")
    ranks = stats.rankdata(scores)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def regression_scores(y_true: np.ndarray, y_pred: np.ndarray, active: np.ndarray | None = None) -> dict[str, float]:
    """Pearson r, Spearman rho and R^2 (``1 - SSE / SST``) of predictions ``(N,)``; AUROC too
    when the ``active`` labels ``(N,)`` are given. Constant predictions get NaN correlations.

    Raises
    ------
    ValueError
        On differing shapes, fewer than 3 values or non-finite predictions.
    """
    y_true = np.asarray(y_true, float).reshape(-1)
    y_pred = np.asarray(y_pred, float).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ in shape")
    if y_true.size < 3:
        raise ValueError(f"need at least 3 values to score, got {y_true.size}")
    if not np.isfinite(y_pred).all():
        raise ValueError(f"{int((~np.isfinite(y_pred)).sum())} predictions are NaN or infinite")
    sst = float(((y_true - y_true.mean()) ** 2).sum())
    # A collapsed network predicts one value for every sequence: its correlations are
    # undefined (NaN), not zero, and its R^2 and AUROC still say how bad it is.
    constant = bool(np.ptp(y_pred) == 0)
    out = {
        "pearson_r": np.nan if constant else float(stats.pearsonr(y_true, y_pred)[0]),
        "spearman_rho": np.nan if constant else float(stats.spearmanr(y_true, y_pred)[0]),
        "r2": float(1.0 - ((y_true - y_pred) ** 2).sum() / sst),
        "n": int(y_true.size),
    }
    if active is not None:
        out["auroc_active"] = auroc(active, y_pred)
    return out


def pair_agreement(y: np.ndarray, pairs) -> dict[str, float]:
    """Pearson r of the labels ``y`` ``(N,)`` between the two members of each pair.

    ``pairs`` has columns ``i, j`` (row positions), e.g. from
    :func:`creme_lib.promoters.data.overlapping_pairs`: windows that share almost all of
    their sequence. Their agreement is a rough ceiling for any sequence model's r.
    """
    y = np.asarray(y, float)
    i, j = np.asarray(pairs["i"], int), np.asarray(pairs["j"], int)
    if len(i) < 3:
        raise ValueError(f"need at least 3 pairs, got {len(i)}")
    # Symmetrized: each pair in both orders, so the order of i and j does not matter.
    a, b = np.concatenate([y[i], y[j]]), np.concatenate([y[j], y[i]])
    return {"pearson_r": float(stats.pearsonr(a, b)[0]), "n_pairs": int(len(i))}
