"""Motif communities: a graph of motifs whose weighted features co-occur, split by Louvain.

Edge weight: the Pearson correlation, across the sequences of one cluster, of two motifs'
weighted features ``w_i(x) f_i(x)`` and ``w_j(x) f_j(x)``; an edge is kept when it is at
least ``min_corr``. Communities: ``networkx``'s Louvain method on those weights, seeded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def cooccurrence_graph(weighted: np.ndarray, names: list[str] | None = None, min_corr: float = 0.2):
    """A ``networkx.Graph`` of motifs, edges weighted by co-occurrence correlation.

    Parameters
    ----------
    weighted : numpy.ndarray
        ``(N, F)`` weighted features of the sequences of one cluster (or all).
    names : list of str, optional
        Node names (default ``"filter <j>"``).
    min_corr : float
        Smallest correlation kept as an edge, in ``(0, 1]``.
    """
    import networkx as nx

    a = np.asarray(weighted, np.float64)
    if a.ndim != 2 or a.shape[0] < 3:
        raise ValueError(f"weighted features must be (N >= 3, F), got {a.shape}")
    if not 0 < min_corr <= 1:
        raise ValueError(f"min_corr must be in (0, 1], got {min_corr}")
    names = names or [f"filter {j}" for j in range(a.shape[1])]
    if len(names) != a.shape[1]:
        raise ValueError(f"{len(names)} names for {a.shape[1]} motifs")
    keep = a.std(axis=0) > 0
    g = nx.Graph()
    g.add_nodes_from(names)
    if keep.sum() < 2:
        return g
    corr = np.corrcoef(a[:, keep], rowvar=False)
    idx = np.flatnonzero(keep)
    for u in range(len(idx)):
        for v in range(u + 1, len(idx)):
            if corr[u, v] >= min_corr:
                g.add_edge(names[idx[u]], names[idx[v]], weight=float(corr[u, v]))
    return g


def motif_communities(graph, seed: int = 0) -> pd.DataFrame:
    """Louvain communities of a co-occurrence graph.

    Returns
    -------
    pandas.DataFrame
        ``motif, community, degree`` (community 0 is the largest; isolated motifs get a
        community of their own).
    """
    import networkx as nx

    comms = nx.community.louvain_communities(graph, weight="weight", seed=int(seed))
    comms = sorted(comms, key=lambda c: (-len(c), sorted(c)[0]))
    rows = [(m, i, int(graph.degree(m))) for i, c in enumerate(comms) for m in sorted(c)]
    return pd.DataFrame(rows, columns=["motif", "community", "degree"])
