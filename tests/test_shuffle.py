"""Tests for creme_lib.shuffle: exact dinucleotide preservation and uniform sampling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from creme_lib.sequence import one_hot_decode, one_hot_encode, tokens_to_one_hot
from creme_lib.shuffle import dinuc_shuffle, dinuc_shuffle_batch, dinuc_shuffle_tokens, shuffle_tile

REPO = Path(__file__).resolve().parents[1]


def dinucs(tokens: np.ndarray) -> np.ndarray:
    """5 x 5 counts of adjacent token pairs, N (4) included."""
    m = np.zeros((5, 5), np.int64)
    np.add.at(m, (tokens[:-1], tokens[1:]), 1)
    return m


def tokens_of(x: np.ndarray) -> np.ndarray:
    return np.where(x.any(-1), x.argmax(-1), 4).astype(np.uint8)


def assert_valid_shuffle(orig: np.ndarray, shuf: np.ndarray) -> None:
    """Same length, N positions, dinucleotide counts and first/last letter of every run."""
    assert shuf.shape == orig.shape
    assert np.array_equal(dinucs(shuf), dinucs(orig))
    assert np.array_equal(shuf == 4, orig == 4)
    assert np.array_equal(np.bincount(shuf, minlength=5), np.bincount(orig, minlength=5))
    if orig.size:
        assert shuf[0] == orig[0] and shuf[-1] == orig[-1]
    # letters next to each N are kept: that is what makes N-touching counts exact
    n_pos = np.flatnonzero(orig == 4)
    for side in (n_pos - 1, n_pos + 1):
        side = side[(side >= 0) & (side < orig.size)]
        assert np.array_equal(shuf[side], orig[side])


def all_shuffles(seq: str) -> list[str]:
    """Every distinct sequence with the dinucleotide counts and first letter of ``seq``."""
    t = ["ACGT".index(c) for c in seq]
    m = np.zeros((4, 4), int)
    for a, b in zip(t, t[1:]):
        m[a, b] += 1
    found, path = [], [t[0]]

    def extend(cur: int) -> None:
        if len(path) == len(t):
            found.append("".join("ACGT"[i] for i in path))
            return
        for w in range(4):
            if m[cur, w]:
                m[cur, w] -= 1
                path.append(w)
                extend(w)
                path.pop()
                m[cur, w] += 1

    extend(t[0])
    return found


def deeplift_shuffle(seq: str, rng: np.random.Generator) -> str:
    """Reference of the deeplift/creme-nn scheme: each letter's successor list is
    permuted except its LAST entry, which stays at its original place."""
    t = np.array(["ACGT".index(c) for c in seq])
    nexts = {}
    for a in range(4):
        idx = np.flatnonzero(t[:-1] == a) + 1
        if len(idx):
            idx[:-1] = idx[:-1][rng.permutation(len(idx) - 1)]
        nexts[a] = list(idx)
    cur, out = 0, [t[0]]
    for _ in range(len(t) - 1):
        cur = nexts[t[cur]].pop(0)
        out.append(t[cur])
    return "".join("ACGT"[i] for i in out)


def chi2_pvalue(counts: list[int]) -> float:
    stats = pytest.importorskip("scipy.stats")
    return float(stats.chisquare(counts).pvalue)


# --------------------------------------------------------------------------- preservation


def test_random_sequences_preserve_counts():
    rng = np.random.default_rng(0)
    for k in range(200):
        t = rng.integers(0, 4, int(rng.integers(0, 400))).astype(np.uint8)
        if k % 2:
            t[rng.random(t.size) < 0.1] = 4
        if k % 5 == 0:
            t[t < 4] %= 2  # two-letter alphabet
        assert_valid_shuffle(t, dinuc_shuffle_tokens(t, rng=k))
        assert_valid_shuffle(t, tokens_of(dinuc_shuffle(tokens_to_one_hot(t), rng=k)))


@pytest.mark.parametrize(
    "seq",
    ["", "A", "N", "AC", "NA", "AN", "ACG", "AAAAAAAA", "ACACACACAC", "AACCAACCAC", "GGGGGTTTTT",
     "NNNN", "NACGTN", "ANCNG", "ACGNNNTTAGCANA", "TTTTNAAAANCCCC", "GCGCGCATATNNAT"],
)
def test_edge_cases(seq):
    t = one_hot_encode(seq)
    for seed in range(5):
        assert_valid_shuffle(tokens_of(t), tokens_of(dinuc_shuffle(t, rng=seed)))


def test_single_letter_and_forced_sequences_are_unchanged():
    for seq in ["AAAAAAAAAA", "ACACACACA", "ACGTACGT", "ANNNNC"]:
        t = one_hot_encode(seq)
        assert one_hot_decode(dinuc_shuffle(t, rng=1)) == seq


def test_long_skewed_sequence():
    # out-lists of >= 2**16 edges take the 32-bit branch of the Euler walk
    t = np.zeros(200_000, np.uint8)
    t[::7], t[::13], t[-1] = 1, 2, 3
    s = dinuc_shuffle_tokens(t, rng=3)
    assert_valid_shuffle(t, s)
    assert not np.array_equal(s, t)


def test_enformer_length_with_n_runs():
    rng = np.random.default_rng(5)
    t = rng.integers(0, 4, 196_608).astype(np.uint8)
    t[:1000] = 4
    t[50_000:50_100] = 4
    t[rng.integers(0, t.size, 50)] = 4
    assert_valid_shuffle(t, tokens_of(dinuc_shuffle(tokens_to_one_hot(t), rng=0)))


# --------------------------------------------------------------------------- randomness


def test_determinism_and_seed_independence():
    x = tokens_to_one_hot(np.random.default_rng(1).integers(0, 4, 1000))
    assert np.array_equal(dinuc_shuffle(x, rng=0), dinuc_shuffle(x, rng=0))  # 0 is a real seed
    assert not np.array_equal(dinuc_shuffle(x, rng=0), dinuc_shuffle(x, rng=1))
    a = dinuc_shuffle(x, n=4, rng=np.random.default_rng(9))
    g = np.random.default_rng(9)
    assert np.array_equal(a, np.stack([dinuc_shuffle(x, rng=g) for _ in range(4)]))
    assert len({one_hot_decode(s) for s in a}) == 4
    # same stream whatever the entry point
    g1, g2 = np.random.default_rng(4), np.random.default_rng(4)
    via_one_hot = tokens_of(dinuc_shuffle(x, rng=g1))
    assert np.array_equal(via_one_hot, dinuc_shuffle_tokens(tokens_of(x), rng=g2))
    batch = np.stack([x, x[::-1, ::-1]])
    assert np.array_equal(dinuc_shuffle_batch(batch, rng=3), dinuc_shuffle_batch(batch, rng=3))


def test_unseeded_calls_differ():
    x = tokens_to_one_hot(np.random.default_rng(1).integers(0, 4, 1000))
    assert not np.array_equal(dinuc_shuffle(x), dinuc_shuffle(x))


def test_uniform_over_all_shuffles():
    # 60 valid shuffles in 6 last-exit trees of sizes 6, 6, 12, 12, 12, 12: a sampler that
    # weighted trees equally (or fixed the tree, as deeplift does) would fail this.
    seq = "AAGTGTCGAGCT"
    valid = all_shuffles(seq)
    assert len(valid) == 60
    draws = dinuc_shuffle(one_hot_encode(seq), n=300 * len(valid), rng=2024)
    counts = Counter(one_hot_decode(d) for d in draws)
    assert set(counts) == set(valid)
    assert chi2_pvalue([counts[v] for v in valid]) > 1e-3


def test_uniform_with_unequal_tree_sizes():
    seq = "ATACCATGGCC"  # 12 shuffles, trees of sizes 1, 1, 2, 2, 2, 4
    valid = all_shuffles(seq)
    counts = Counter(one_hot_decode(d) for d in dinuc_shuffle(one_hot_encode(seq), n=6000, rng=7))
    assert set(counts) == set(valid)
    assert chi2_pvalue([counts[v] for v in valid]) > 1e-3


def test_n_runs_are_shuffled_independently_and_uniformly():
    left, right = "CATCACTTC", "TTTCCCGTTC"
    pairs = [(a, b) for a in all_shuffles(left) for b in all_shuffles(right)]
    assert len(pairs) == 144
    draws = dinuc_shuffle(one_hot_encode(left + "N" + right), n=100 * len(pairs), rng=11)
    counts = Counter(tuple(one_hot_decode(d).split("N")) for d in draws)
    assert set(counts) == set(pairs)
    assert chi2_pvalue([counts[p] for p in pairs]) > 1e-3


def test_deeplift_scheme_misses_shuffles():
    seq = "AAGTGTCGAGCT"
    valid = set(all_shuffles(seq))
    rng = np.random.default_rng(0)
    reached = {deeplift_shuffle(seq, rng) for _ in range(3000)}
    assert reached < valid  # a strict subset: 6 of the 60
    assert len(reached) == 6
    ours = {one_hot_decode(d) for d in dinuc_shuffle(one_hot_encode(seq), n=3000, rng=0)}
    assert ours == valid


def test_pure_python_fallback_gives_identical_results():
    code = (
        "import json, numpy as np\n"
        "from creme_lib.shuffle import dinuc_shuffle_tokens\n"
        "t = np.random.default_rng(3).integers(0, 5, 300).astype(np.uint8)\n"
        "print(json.dumps([dinuc_shuffle_tokens(t, rng=s).tolist() for s in range(3)]))\n"
    )
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONPATH=str(REPO))
    res = subprocess.run([sys.executable, "-W", "ignore", "-c", code], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=120, check=True)
    t = np.random.default_rng(3).integers(0, 5, 300).astype(np.uint8)
    assert json.loads(res.stdout) == [dinuc_shuffle_tokens(t, rng=s).tolist() for s in range(3)]


# --------------------------------------------------------------------------- shapes and dtypes


DTYPES = [np.float32, np.float64, np.float16, np.uint8, np.int64, np.bool_]


@pytest.mark.parametrize("dtype", DTYPES)
def test_shapes_and_dtypes(dtype):
    x = tokens_to_one_hot(np.random.default_rng(2).integers(0, 5, 50)).astype(dtype)
    one = dinuc_shuffle(x, rng=0)
    assert one.shape == (50, 4) and one.dtype == dtype
    many = dinuc_shuffle(x, n=3, rng=0)
    assert many.shape == (3, 50, 4) and many.dtype == dtype
    assert np.array_equal(many[0], one)
    assert dinuc_shuffle(x, n=0, rng=0).shape == (0, 50, 4)
    batch = dinuc_shuffle_batch(np.stack([x, x]), rng=0)
    assert batch.shape == (2, 50, 4) and batch.dtype == dtype
    assert dinuc_shuffle_batch(np.zeros((0, 50, 4), dtype), rng=0).shape == (0, 50, 4)
    tok = dinuc_shuffle_tokens(tokens_of(x), rng=0)
    assert tok.shape == (50,) and tok.dtype == np.uint8


def test_input_is_not_modified_and_non_contiguous_input():
    x = tokens_to_one_hot(np.random.default_rng(3).integers(0, 4, 300))
    keep = x.copy()
    dinuc_shuffle(x, rng=0)
    shuffle_tile(x, 10, 200, rng=0)
    assert np.array_equal(x, keep)
    rc = x[::-1, ::-1]  # reverse-complement view
    assert_valid_shuffle(tokens_of(rc), tokens_of(dinuc_shuffle(rc, rng=0)))


def test_shuffle_tile():
    x = tokens_to_one_hot(np.random.default_rng(4).integers(0, 4, 2000))
    y = shuffle_tile(x, 500, 1500, rng=1)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert np.array_equal(y[:500], x[:500]) and np.array_equal(y[1500:], x[1500:])
    assert not np.array_equal(y, x)
    assert_valid_shuffle(tokens_of(x), tokens_of(y))  # whole-sequence counts kept too
    assert np.array_equal(shuffle_tile(x, 7, 7, rng=1), x)
    assert np.array_equal(shuffle_tile(x, 500, 1500, rng=1), y)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("shape", [(10,), (10, 5), (2, 10, 4), (10, 3)])
def test_wrong_shapes_raise(shape):
    with pytest.raises(ValueError, match=r"\(L, 4\)"):
        dinuc_shuffle(np.zeros(shape, np.float32))
    with pytest.raises(ValueError, match=r"\(L, 4\)"):
        shuffle_tile(np.zeros(shape, np.float32), 0, 1)


def test_wrong_batch_shape_raises():
    with pytest.raises(ValueError, match=r"\(N, L, 4\)"):
        dinuc_shuffle_batch(np.zeros((10, 4), np.float32))


BAD_ROWS = [[1, 1, 0, 0], [0.5, 0, 0, 0], [np.nan, 0, 0, 0], [0, 0, -1, 0], [0, 2, 0, 0]]


@pytest.mark.parametrize("row", BAD_ROWS)
def test_non_one_hot_rows_raise(row):
    x = one_hot_encode("ACGTACGT")
    x[5] = row
    with pytest.raises(ValueError, match="position 5"):
        dinuc_shuffle(x, rng=0)
    with pytest.raises(ValueError, match="sequence 1, position 5"):
        dinuc_shuffle_batch(np.stack([one_hot_encode("ACGTACGT"), x]), rng=0)


def test_other_bad_arguments():
    x = one_hot_encode("ACGTACGT")
    with pytest.raises(ValueError, match="tokens"):
        dinuc_shuffle_tokens(np.array([0, 1, 5]), rng=0)
    with pytest.raises(ValueError, match=r"\(L,\)"):
        dinuc_shuffle_tokens(np.zeros((2, 3), np.uint8), rng=0)
    with pytest.raises(ValueError, match="tile"):
        shuffle_tile(x, 4, 9, rng=0)
    with pytest.raises(ValueError, match="tile"):
        shuffle_tile(x, 5, 4, rng=0)
    with pytest.raises(ValueError, match="n must"):
        dinuc_shuffle(x, n=-1)
    with pytest.raises(TypeError, match="rng"):
        dinuc_shuffle(x, rng=np.random.RandomState(0))
