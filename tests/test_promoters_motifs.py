"""creme_lib.promoters.motifs, .clusters and .communities on planted cases."""

from __future__ import annotations

import numpy as np
import pytest
from planted_promoters import AT_10, AT_35, planted_windows

from creme_lib.promoters import clusters, communities, motifs


@pytest.fixture(scope="module")
def jaspar():
    from creme_lib.pipeline.fine_tile import jaspar_pwms

    return jaspar_pwms()


def test_consensus_pwm_and_checks():
    p = motifs.consensus_pwm("TAN")
    np.testing.assert_allclose(p[:, 0], [0.1 / 1.4, 0.1 / 1.4, 0.1 / 1.4, 1.1 / 1.4])
    np.testing.assert_allclose(p[:, 2], 0.25)
    with pytest.raises(ValueError, match="'U'"):
        motifs.consensus_pwm("TAU")
    with pytest.raises(ValueError, match="column 1 sums to zero"):
        motifs.check_pwm(np.array([[1, 0], [0, 0], [0, 0], [0, 0]]), "m")
    with pytest.raises(ValueError, match="column 0 has a negative"):
        motifs.check_pwm(np.array([[-1, 1], [1, 0], [1, 0], [1, 0]]), "m")
    assert motifs.information_content(motifs.consensus_pwm("ACGT", 0.0)) == pytest.approx(8.0)


def test_planted_filters_match_sigma70_by_tomtom(jaspar):
    x = planted_windows(60)
    n, p = len(x), 150 - 6 + 1
    acts = np.random.default_rng(0).uniform(0, 0.2, size=(n, p, 2))
    acts[:, AT_35, 0] = 1.0  # filter 0 fires on the -35 box, filter 1 on the -10 box
    acts[:, AT_10, 1] = 1.0
    pwms, info = motifs.filter_pwms(acts, x, width=6, top=50)
    assert info["mode_position"].tolist() == [AT_35, AT_10]
    assert motifs.information_content(pwms[0]) > 10
    m = motifs.tomtom_matches({"filter 0": pwms[0], "filter 1": pwms[1]}, {**motifs.sigma70_pwms(), **jaspar})
    sigma = m[m.target.str.startswith("sigma70")].groupby("query").head(1).set_index("query")
    assert sigma.loc["filter 0", "target"] == "sigma70 -35 box" and sigma.loc["filter 0", "pvalue"] < 1e-3
    assert sigma.loc["filter 1", "target"] == "sigma70 -10 box" and sigma.loc["filter 1", "pvalue"] < 1e-2
    top = m.groupby("query").head(5)
    # TATAAT's best match of all is the sigma-70 -10 box; TTGACA's are MEIS1-3 (vertebrate
    # homeobox motifs with a TGACA core), then the -35 box: a real similarity, not an error.
    assert m.groupby("query").head(1).set_index("query").loc["filter 1", "target"] == "sigma70 -10 box"
    assert "sigma70 -35 box" in top[top["query"] == "filter 0"]["target"].tolist()


def test_motif_roles():
    labels = np.array([0, 0, 1, 1])
    w = np.array([[2.0, -1.0], [2.0, -1.0], [-3.0, 0.5], [-3.0, 0.5]])
    f = np.array([[1.0, 0.1], [1.0, 0.1], [1.0, 2.0], [1.0, 2.0]])
    r = motifs.motif_roles(w, w * f, labels, names=["a", "b"]).set_index(["cluster", "motif"])
    assert r.loc[(0, "a"), "role"] == "activating" and r.loc[(0, "b"), "role"] == "repressive"
    assert r.loc[(0, "a"), "rank"] == 1 and r.loc[(1, "a"), "rank"] == 1 and r.loc[(1, "b"), "rank"] == 2
    assert r.loc[(1, "b"), "mean_contribution"] == pytest.approx(1.0)


def test_clusters_find_planted_groups():
    rng = np.random.default_rng(0)
    centres = np.array([[5, 0, 0, 0], [0, 5, 0, 0], [0, 0, 5, 0]], float)
    feats = np.concatenate([c + rng.normal(0, 0.5, size=(m, 4)) for c, m in zip(centres, (60, 40, 20))])
    res = clusters.cluster_sequences(feats, ks=range(2, 6), seed=0)
    assert res.k == 3 and res.silhouette["k"].tolist() == [2, 3, 4, 5]
    assert np.bincount(res.labels).tolist() == [60, 40, 20]  # ordered by size
    assert res.embedding.shape == (120, 2) and 0 < res.explained.sum() <= 1
    y = np.where(res.labels == 0, 1.0, 0.0) + rng.normal(0, 0.1, 120)
    table, p = clusters.expression_by_cluster(res.labels, y)
    assert table["n"].tolist() == [60, 40, 20] and p < 1e-6
    with pytest.raises(ValueError, match="cluster counts must be in"):
        clusters.cluster_sequences(feats[:5], ks=[5])


def test_communities_of_cooccurring_motifs():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(200, 1)), rng.normal(size=(200, 1))
    wf = np.concatenate([a, a + 0.1 * rng.normal(size=(200, 1)), b, b + 0.1 * rng.normal(size=(200, 1)),
                         rng.normal(size=(200, 1))], axis=1)
    g = communities.cooccurrence_graph(wf, names=list("ABCDE"), min_corr=0.5)
    assert set(map(frozenset, g.edges())) == {frozenset("AB"), frozenset("CD")}
    comm = communities.motif_communities(g, seed=0).set_index("motif")["community"]
    assert comm["A"] == comm["B"] != comm["C"] == comm["D"] and comm["E"] not in (comm["A"], comm["C"])
    with pytest.raises(ValueError, match="min_corr"):
        communities.cooccurrence_graph(wf, min_corr=0)
