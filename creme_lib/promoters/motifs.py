"""Motifs of a trained CR network: filters as PWMs, known-motif matches by TOMTOM, and each
motif's role (activating or repressive) per cluster.

PWMs here are position probability matrices of shape ``(4, width)`` (rows ``A, C, G, T``,
columns summing to 1), the layout ``memelite`` and JASPAR use.

* :func:`filter_pwms`: for each feature filter, the best-scoring ``width``-bp window of each
  sequence (its maximum activation), the ``top`` sequences with the highest such maxima,
  their letters counted per position plus ``pseudocount`` and normalized.
* :func:`consensus_pwm`: a PWM from a consensus string (IUPAC ``N`` = uniform): the consensus
  letter gets count 1, every letter ``pseudocount`` more, so with the default 0.1 a
  consensus column is 0.786 / 0.071 / 0.071 / 0.071. :data:`SIGMA70` holds the E. coli
  sigma-70 elements.
* :func:`tomtom_matches`: ``memelite``'s TOMTOM (complete scores, both strands) of queries
  against targets, q-values by Benjamini-Hochberg over each query's targets.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

#: E. coli sigma-70 promoter elements as consensus strings.
SIGMA70: dict[str, str] = {
    "sigma70 -35 box": "TTGACA",
    "sigma70 -10 box": "TATAAT",
    "sigma70 extended -10": "TGNTATAAT",
}
CONSENSUS_PSEUDOCOUNT = 0.1


def check_pwm(pwm: np.ndarray, name: str = "motif") -> np.ndarray:
    """Validate a ``(4, width)`` matrix of counts or probabilities; return it column-normalized.

    Raises
    ------
    ValueError
        For a wrong shape, a negative or non-finite entry, or a column summing to 0 (the
        motif and column are named).
    """
    a = np.asarray(pwm, np.float64)
    if a.ndim != 2 or a.shape[0] != 4 or a.shape[1] < 1:
        raise ValueError(f"{name}: a PWM must be (4, width), got {a.shape}")
    if not np.isfinite(a).all() or (a < 0).any():
        col = int(np.flatnonzero(~np.isfinite(a).all(axis=0) | (a < 0).any(axis=0))[0])
        raise ValueError(f"{name}: column {col} has a negative or non-finite entry: {a[:, col].tolist()}")
    sums = a.sum(axis=0)
    if (sums <= 0).any():
        raise ValueError(f"{name}: column {int(np.flatnonzero(sums <= 0)[0])} sums to zero")
    return a / sums


def consensus_pwm(consensus: str, pseudocount: float = CONSENSUS_PSEUDOCOUNT) -> np.ndarray:
    """``(4, len(consensus))`` probabilities of a consensus over ``ACGTN``."""
    if pseudocount < 0:
        raise ValueError(f"pseudocount must be >= 0, got {pseudocount}")
    cols = []
    for c in consensus.upper():
        if c == "N":
            cols.append(np.full(4, 0.25))
        elif c in "ACGT":
            cols.append(np.eye(4)["ACGT".index(c)] + pseudocount)
        else:
            raise ValueError(f"consensus {consensus!r}: letter {c!r} is not one of ACGTN")
    return check_pwm(np.stack(cols, axis=1), consensus)


def sigma70_pwms(pseudocount: float = CONSENSUS_PSEUDOCOUNT) -> dict[str, np.ndarray]:
    """:data:`SIGMA70` as PWMs."""
    return {name: consensus_pwm(c, pseudocount) for name, c in SIGMA70.items()}


def filter_pwms(activations: np.ndarray, x: np.ndarray, width: int, top: int = 500,
                pseudocount: float = 0.5) -> tuple[list[np.ndarray], pd.DataFrame]:
    """PWMs of the feature filters from their top-activating windows.

    Parameters
    ----------
    activations : numpy.ndarray
        ``(N, P, F)`` filter activations (``P = L - width + 1`` positions).
    x : numpy.ndarray
        One-hot ``(N, L, 4)`` of the same sequences.
    width : int
        Filter width in bp.
    top : int
        Sequences whose best window enters each PWM.
    pseudocount : float
        Added to every count.

    Returns
    -------
    (list of numpy.ndarray, pandas.DataFrame)
        ``F`` PWMs ``(4, width)``, and per filter ``filter, n_sites, mean_max_activation,
        mode_position`` (0-based bp of the window start most often best).
    """
    acts = np.asarray(activations)
    n, p, f = acts.shape
    if x.shape[0] != n or x.shape[1] - width + 1 != p:
        raise ValueError(f"activations {acts.shape} do not fit sequences {x.shape} and width {width}")
    top = min(int(top), n)
    best_pos = acts.argmax(axis=1)  # (N, F)
    best_val = acts.max(axis=1)
    pwms, rows = [], []
    offsets = np.arange(width)
    for j in range(f):
        seqs = np.argsort(-best_val[:, j], kind="stable")[:top]
        windows = x[seqs[:, None], best_pos[seqs, j][:, None] + offsets]  # (top, width, 4)
        pwms.append(check_pwm(windows.sum(axis=0).T + pseudocount, f"filter {j}"))
        rows.append({"filter": j, "n_sites": top, "mean_max_activation": float(best_val[seqs, j].mean()),
                     "mode_position": int(np.bincount(best_pos[seqs, j], minlength=p).argmax())})
    return pwms, pd.DataFrame(rows)


def information_content(pwm: np.ndarray) -> float:
    """Total information content (bits) of a ``(4, width)`` PWM against a uniform background."""
    p = check_pwm(pwm)
    return float((2 + (p * np.log2(np.where(p > 0, p, 1))).sum(axis=0)).sum())


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values of a 1-D array of p-values."""
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty_like(q)
    out[order] = np.minimum(q, 1.0)
    return out


def tomtom_matches(queries: Mapping[str, np.ndarray], targets: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """TOMTOM of every query against every target.

    Returns
    -------
    pandas.DataFrame
        ``query, target, pvalue, qvalue, offset, overlap, strand`` (``"+"`` or ``"-"``), one
        row per pair, sorted by query then p-value.
    """
    from memelite import tomtom

    qn, tn = list(queries), list(targets)
    if not qn or not tn:
        raise ValueError(f"need queries and targets, got {len(qn)} and {len(tn)}")
    Q = [check_pwm(queries[k], k) for k in qn]
    T = [check_pwm(targets[k], k) for k in tn]
    p, _, offsets, overlaps, strands = tomtom(Q, T)
    rows = []
    for i, q in enumerate(qn):
        qv = _bh(np.asarray(p[i], float))
        for j, t in enumerate(tn):
            rows.append((q, t, float(p[i, j]), float(qv[j]), int(offsets[i, j]), int(overlaps[i, j]),
                         "-" if int(strands[i, j]) else "+"))
    df = pd.DataFrame(rows, columns=["query", "target", "pvalue", "qvalue", "offset", "overlap", "strand"])
    return df.sort_values(["query", "pvalue"], kind="stable").reset_index(drop=True)


def motif_roles(weights: np.ndarray, weighted: np.ndarray, labels: np.ndarray, names: list[str] | None = None) -> pd.DataFrame:
    """Each motif's role per cluster, from the context weights and weighted features.

    Parameters
    ----------
    weights, weighted : numpy.ndarray
        ``w(x)`` and ``w(x) * f(x)``, ``(N, F)`` each.
    labels : numpy.ndarray
        ``(N,)`` cluster of each sequence.
    names : list of str, optional
        Motif names (default ``"filter <j>"``).

    Returns
    -------
    pandas.DataFrame
        ``cluster, motif, mean_weight, mean_contribution, role, rank``: ``role`` is
        ``"activating"`` for a positive mean weight and ``"repressive"`` for a negative one;
        ``rank`` 1 is the largest ``|mean_contribution|`` in the cluster.
    """
    w, wf, labels = np.asarray(weights), np.asarray(weighted), np.asarray(labels)
    if w.shape != wf.shape or w.shape[0] != labels.shape[0]:
        raise ValueError(f"weights {w.shape}, weighted {wf.shape} and labels {labels.shape} disagree")
    names = names or [f"filter {j}" for j in range(w.shape[1])]
    rows = []
    for c in np.unique(labels):
        m = labels == c
        mw, mc = w[m].mean(axis=0), wf[m].mean(axis=0)
        rank = np.argsort(np.argsort(-np.abs(mc), kind="stable"), kind="stable") + 1
        for j, name in enumerate(names):
            rows.append((int(c), name, float(mw[j]), float(mc[j]), "activating" if mw[j] > 0 else "repressive", int(rank[j])))
    return pd.DataFrame(rows, columns=["cluster", "motif", "mean_weight", "mean_contribution", "role", "rank"])
