"""Clusters of sequences by their weighted features ``w(x) * f(x)``, a 2-D embedding, and
expression per cluster.

Method: each feature (column) is standardized (constant columns are dropped), k-means
(k-means++ initialization, ``n_init`` restarts, seeded) is run for each candidate ``k``, and
the ``k`` with the highest mean silhouette (Euclidean, on a seeded subsample of at most
``silhouette_sample`` rows) is kept; the whole curve is returned so a page can show it.
The embedding is the first two principal components of the standardized features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from creme_lib.seeding import derive_rng


@dataclass(frozen=True)
class Clustering:
    """Result of :func:`cluster_sequences`.

    Attributes
    ----------
    labels : numpy.ndarray
        ``(N,)`` int cluster of each sequence, ``0 .. k - 1``, ordered by decreasing size.
    k : int
        The chosen number of clusters.
    silhouette : pandas.DataFrame
        ``k, silhouette`` for every candidate.
    embedding : numpy.ndarray
        ``(N, 2)`` first two principal components of the standardized features.
    explained : numpy.ndarray
        ``(2,)`` fraction of variance of each component.
    """

    labels: np.ndarray
    k: int
    silhouette: pd.DataFrame
    embedding: np.ndarray
    explained: np.ndarray


def standardize(features: np.ndarray) -> np.ndarray:
    """Columns of ``(N, F)`` scaled to mean 0, SD 1; constant columns dropped."""
    a = np.asarray(features, np.float64)
    if a.ndim != 2:
        raise ValueError(f"features must be (N, F), got {a.shape}")
    sd = a.std(axis=0)
    keep = sd > 0
    return (a[:, keep] - a[:, keep].mean(axis=0)) / sd[keep]


def cluster_sequences(features: np.ndarray, ks: Sequence[int] = range(2, 9), seed: int = 0,
                      n_init: int = 4, silhouette_sample: int = 3_000) -> Clustering:
    """Cluster sequences by k-means on standardized ``(N, F)`` features, ``k`` by silhouette.

    Raises
    ------
    ValueError
        If a candidate ``k`` is below 2 or not below the number of sequences.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    z = standardize(features)
    n = z.shape[0]
    ks = [int(k) for k in ks]
    bad = [k for k in ks if not 2 <= k < n]
    if not ks or bad:
        raise ValueError(f"cluster counts must be in [2, {n - 1}] for {n} sequences, got {bad or ks}")
    rng = derive_rng(seed, "promoters", "clusters")
    sample = np.sort(rng.choice(n, size=min(n, silhouette_sample), replace=False))
    fits, curve = {}, []
    for k in ks:
        km = KMeans(n_clusters=k, n_init=n_init, random_state=int(rng.integers(2**31))).fit(z)
        fits[k] = km.labels_
        s = silhouette_score(z[sample], km.labels_[sample]) if len(set(km.labels_[sample])) > 1 else -1.0
        curve.append({"k": k, "silhouette": float(s)})
    curve = pd.DataFrame(curve)
    best = int(curve.loc[curve["silhouette"].idxmax(), "k"])
    labels = _by_size(fits[best])
    u, s, vt = np.linalg.svd(z - z.mean(axis=0), full_matrices=False)
    emb = u[:, :2] * s[:2]
    explained = (s[:2] ** 2) / (s**2).sum()
    return Clustering(labels, best, curve, emb, explained)


def _by_size(labels: np.ndarray) -> np.ndarray:
    """Relabel clusters 0, 1, ... by decreasing size (ties by first label)."""
    ids, counts = np.unique(labels, return_counts=True)
    order = ids[np.lexsort((ids, -counts))]
    remap = {int(c): i for i, c in enumerate(order)}
    return np.array([remap[int(c)] for c in labels], dtype=np.int64)


def expression_by_cluster(labels: np.ndarray, y: np.ndarray) -> tuple[pd.DataFrame, float]:
    """Per-cluster n, mean and median of ``y`` ``(N,)``, and the Kruskal-Wallis p-value."""
    labels, y = np.asarray(labels), np.asarray(y, float)
    if labels.shape != y.shape:
        raise ValueError(f"labels {labels.shape} and y {y.shape} differ in shape")
    df = pd.DataFrame({"cluster": labels, "y": y})
    table = df.groupby("cluster")["y"].agg(n="size", mean="mean", median="median").reset_index()
    groups = [g["y"].to_numpy() for _, g in df.groupby("cluster")]
    p = float(stats.kruskal(*groups).pvalue) if len(groups) > 1 else float("nan")
    return table, p
