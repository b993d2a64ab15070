"""creme_lib.promoters.evaluation: scores against scipy and hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from creme_lib.promoters.evaluation import auroc, pair_agreement, regression_scores


def test_auroc_by_hand():
    # Positives at scores 3 and 1, negatives at 2 and 0: of 4 pairs, 3 are ordered right.
    assert auroc(np.array([1, 0, 1, 0]), np.array([3.0, 2.0, 1.0, 0.0])) == 0.75
    assert auroc(np.array([1, 0]), np.array([1.0, 1.0])) == 0.5  # a tie counts one half
    with pytest.raises(ValueError, match="both classes"):
        auroc(np.array([1, 1]), np.array([0.0, 1.0]))


def test_regression_scores_match_scipy():
    rng = np.random.default_rng(1)
    y = rng.normal(size=200)
    p = y + rng.normal(size=200)
    s = regression_scores(y, p, active=y > 0.5)
    assert s["pearson_r"] == pytest.approx(stats.pearsonr(y, p)[0])
    assert s["spearman_rho"] == pytest.approx(stats.spearmanr(y, p)[0])
    assert s["r2"] == pytest.approx(1 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2))
    assert s["n"] == 200 and 0.5 < s["auroc_active"] <= 1
    with pytest.raises(ValueError, match="NaN or infinite"):
        regression_scores(y, np.where(np.arange(200) == 3, np.nan, p))
    flat = regression_scores(y, np.full(200, 0.3), active=y > 0.5)
    assert np.isnan(flat["pearson_r"]) and np.isnan(flat["spearman_rho"]) and flat["auroc_active"] == 0.5
    with pytest.raises(ValueError, match="differ in shape"):
        regression_scores(y, p[:-1])


def test_pair_agreement():
    y = np.array([0.0, 0.1, 1.0, 1.2, 2.0, 2.1])
    pairs = pd.DataFrame({"i": [0, 2, 4], "j": [1, 3, 5]})
    r = pair_agreement(y, pairs)
    a, b = np.r_[y[[0, 2, 4]], y[[1, 3, 5]]], np.r_[y[[1, 3, 5]], y[[0, 2, 4]]]
    assert r == {"pearson_r": pytest.approx(stats.pearsonr(a, b)[0]), "n_pairs": 3}
    with pytest.raises(ValueError, match="at least 3 pairs"):
        pair_agreement(y, pairs.iloc[:2])
