"""creme_lib.promoters.baselines: k-mer counts and the ridge baseline."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from creme_lib.promoters.baselines import KmerRidge, kmer_counts
from creme_lib.promoters.data import encode_sequences


def test_kmer_counts_match_a_string_count():
    seqs = ["ACGTACGTAA", "TTTTNAAAAC"]
    counts = kmer_counts(encode_sequences(seqs), k=2)
    assert counts.shape == (2, 16)
    for row, s in zip(counts, seqs):
        for c, kmer in enumerate("".join(p) for p in itertools.product("ACGT", repeat=2)):
            want = sum(s[i:i + 2] == kmer for i in range(len(s) - 1))
            assert row[c] == want, (s, kmer)
    assert counts[1].sum() == 9 - 2  # the two 2-mers through the N are not counted


def test_kmer_counts_bad_input():
    x = encode_sequences(["ACGT"])
    with pytest.raises(ValueError, match="k must be"):
        kmer_counts(x, k=0)
    with pytest.raises(ValueError, match="no 6-mers"):
        kmer_counts(x, k=6)


def test_ridge_recovers_a_planted_kmer_effect():
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 40)) for _ in range(600)]
    x = encode_sequences(seqs)
    y = np.array([s.count("GA") * 1.0 - s.count("TT") * 0.5 for s in seqs]) + rng.normal(0, 0.1, 600)
    ridge = KmerRidge(k=2, alphas=(0.01, 1.0, 100.0)).fit(x[:500], y[:500], x[500:], y[500:])
    pred = ridge.predict(x[500:])
    assert np.corrcoef(pred, y[500:])[0, 1] > 0.98
    col = {"".join(p): i for i, p in enumerate(itertools.product("ACGT", repeat=2))}
    # k-mer counts are collinear (they sum to L - k + 1), so single coefficients are only
    # fixed up to shared shifts; the planted k-mers must still stand out at both ends.
    assert np.argmax(ridge.coef) == col["GA"] and np.argmin(ridge.coef) == col["TT"]
    truth = np.array([s.count("GA") - s.count("TT") * 0.5 for s in seqs[500:]])
    assert np.corrcoef(pred, truth)[0, 1] > 0.99
    assert ridge.alpha in (0.01, 1.0) and set(ridge.val_pearson) == {0.01, 1.0, 100.0}
    with pytest.raises(RuntimeError, match="before fit"):
        KmerRidge().predict(x)
