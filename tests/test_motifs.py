"""creme_lib.motifs, the one PWM scanner: scores against a brute-force loop, strands, N handling,
exact score distributions and p-value thresholds, and the world's hit scanner built on it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from creme_lib.motifs import (
    best_strand,
    both_strand_scores,
    complete_windows,
    pvalue_threshold,
    pwm_scores,
    reverse_complement_weights,
    score_distribution,
    score_survival,
)


def _one_hot(tokens: np.ndarray) -> np.ndarray:
    """Tokens ``(N, L)`` in 0..4 -> one-hot ``(N, L, 4)``; token 4 (N) is an all-zero row."""
    return np.concatenate([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])[tokens]


def _brute(tokens: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Loop over sequences, positions and motif offsets; N adds 0. ``(N, L - W + 1[, F])`` float64."""
    n, length = tokens.shape
    width = weights.shape[0]
    out = np.zeros((n, length - width + 1) + weights.shape[2:])
    for s in range(n):
        for i in range(length - width + 1):
            for k in range(width):
                if tokens[s, i + k] < 4:
                    out[s, i] += weights[k, tokens[s, i + k]]
    return out


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 4, (3, 60))
    tokens[rng.random(tokens.shape) < 0.05] = 4
    return tokens, _one_hot(tokens), rng


def test_scores_equal_a_brute_force_loop(data):
    tokens, x, rng = data
    # Dyadic weights (multiples of 1/64, as in the world): float32 sums are exact.
    dyadic = rng.integers(-400, 200, (7, 4)) / 64
    s = pwm_scores(x, dyadic)
    assert s.shape == (3, 54) and s.dtype == np.float32
    np.testing.assert_array_equal(s, _brute(tokens, dyadic))
    # Integer weights (the fine-tile scan's units of 0.1 bit): exact too.
    ints = rng.integers(-70, 20, (9, 4))
    np.testing.assert_array_equal(pwm_scores(x, ints), _brute(tokens, ints))
    # Arbitrary float weights: equal up to float32 rounding.
    w = rng.normal(size=(5, 4))
    np.testing.assert_allclose(pwm_scores(x, w), _brute(tokens, w), rtol=0, atol=1e-5)
    # A stack of filters scores like each filter alone.
    stack = rng.integers(-300, 100, (6, 4, 3)) / 64
    s3 = pwm_scores(x, stack)
    assert s3.shape == (3, 55, 3)
    for f in range(3):
        np.testing.assert_array_equal(s3[..., f], _brute(tokens, stack[..., f]))


def test_reverse_strand_is_the_forward_scan_of_the_reverse_complement(data):
    tokens, x, rng = data
    w = rng.integers(-400, 200, (8, 4)) / 64
    both = both_strand_scores(x, w)
    assert both.shape == (3, 53, 2)
    np.testing.assert_array_equal(both[..., 0], _brute(tokens, w))
    rc_tokens = np.where(tokens == 4, 4, 3 - tokens)[:, ::-1]
    # Window i on the reverse strand is window L - W - i of the reverse-complement sequence.
    np.testing.assert_array_equal(both[..., 1], _brute(rc_tokens, w)[:, ::-1])
    np.testing.assert_array_equal(reverse_complement_weights(reverse_complement_weights(w)), w)
    best, strand = best_strand(x, w)
    np.testing.assert_array_equal(best, both.max(axis=-1))
    np.testing.assert_array_equal(strand, np.where(both[..., 0] >= both[..., 1], 1, -1))
    # Stacks: filter f of the stack gives the same two strands as filter f alone.
    stack = rng.integers(-300, 100, (8, 4, 2)) / 64
    s = both_strand_scores(x, stack)
    assert s.shape == (3, 53, 2, 2)
    for f in range(2):
        np.testing.assert_array_equal(s[..., f], both_strand_scores(x, stack[..., f]))


def test_complete_windows_exclude_n(data):
    tokens, x, _ = data
    ok = complete_windows(x, 5)
    want = np.array([[(tokens[s, i : i + 5] < 4).all() for i in range(56)] for s in range(3)])
    np.testing.assert_array_equal(ok, want)


def test_bad_shapes_raise():
    x = np.zeros((1, 4, 4), np.float32)
    with pytest.raises(ValueError, match="shorter"):
        pwm_scores(x, np.zeros((5, 4)))
    with pytest.raises(ValueError, match="one-hot"):
        pwm_scores(np.zeros((4, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="weights"):
        pwm_scores(x, np.zeros((4, 2)))


def test_score_distribution_and_pvalue_threshold_are_exact():
    rng = np.random.default_rng(1)
    w = rng.integers(-6, 4, (5, 4))
    bg = np.array([0.3, 0.2, 0.2, 0.3])
    pmf, off = score_distribution(w, bg)
    # Brute force over all 4^5 windows.
    want: dict[int, float] = {}
    for site in itertools.product(range(4), repeat=5):
        s = int(w[np.arange(5), site].sum())
        want[s] = want.get(s, 0.0) + float(np.prod(bg[list(site)]))
    assert off == min(want) and off + len(pmf) - 1 == max(want)
    for s, p in want.items():
        assert pmf[s - off] == pytest.approx(p, abs=1e-15)
    sf, off2 = score_survival(w, bg)
    assert off2 == off and sf[0] == pytest.approx(1.0)
    for p in (1e-1, 1e-2, 1e-3):
        t = pvalue_threshold(w, bg, p)
        tail = sum(v for s, v in want.items() if s >= t)
        assert tail <= p + 1e-15
        assert sum(v for s, v in want.items() if s >= t - 1) > p
    # No score is as rare as 1e-9: the threshold is above the best score.
    assert pvalue_threshold(w, bg, 1e-9) == max(want) + 1


def test_world_hit_scanner_equals_the_occupancy_scan():
    from creme_lib.world.motifs import MOTIF_NAMES, HitScanner, get_motif, scan_tokens

    rng = np.random.default_rng(2)
    tokens = rng.integers(0, 4, 30_000).astype(np.uint8)
    # Plant best sites so there are hits, one hanging off the right end.
    for j, name in enumerate(MOTIF_NAMES):
        m = get_motif(name)
        tokens[1_000 * (j + 1) : 1_000 * (j + 1) + m.width] = m.weights.argmax(axis=1)
    tmax = get_motif("REST")
    tokens[-tmax.width + 2 :] = tmax.weights.argmax(axis=1)[: tmax.width - 2]
    hits = HitScanner(MOTIF_NAMES, chunk=4_096).hits(tokens)
    # The same hits from the numpy scan's scores: best-strand score > T, sites padded with N.
    from creme_lib.world.motifs import stacked_filters

    filt, thr, _ = stacked_filters(MOTIF_NAMES)
    x = _one_hot(np.concatenate([tokens, np.full(filt.shape[0] - 1, 4, np.uint8)])[None].astype(np.intp))
    s = pwm_scores(x, filt)[0]
    m = len(MOTIF_NAMES)
    want = np.stack(np.nonzero(np.maximum(s[:, :m], s[:, m:]) > thr), axis=1)
    np.testing.assert_array_equal(hits, want)
    assert len({int(j) for j in hits[:, 1]}) == m  # every planted motif is found
    # Every position with occupancy > 0 is a hit (occupancy starts above T).
    occ, _ = scan_tokens(tokens, MOTIF_NAMES)
    occupied = {tuple(h) for h in np.stack(np.nonzero(occ > 0), axis=1).tolist()}
    assert occupied <= {tuple(h) for h in hits.tolist()}
