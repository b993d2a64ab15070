"""Exact, uniform dinucleotide shuffles of one-hot DNA.

A dinucleotide shuffle of ``s`` is a sequence with the same length, the same first and
last letter and the same count of every dinucleotide ``XY`` as ``s``. Such sequences are
the Eulerian paths of the transition multigraph of ``s`` (one vertex per letter, one edge
``s[i] -> s[i+1]`` per position). This module samples them **uniformly** with the
algorithm of Altschul & Erickson (1985) as made exact by Kandel et al. (1996):

1. count the edges, ``m[v, w]`` = number of ``vw`` dinucleotides;
2. give every letter ``v`` other than the last one a *last-exit* edge such that these
   edges form a spanning arborescence into the last letter, drawn with probability
   proportional to ``prod_v m[v, parent(v)]`` (the number of labelled edge choices that
   realise it). With at most 3 non-root letters there are only ``4**3`` parent choices, so
   all are enumerated and weighted exactly (the matrix-tree theorem by brute force)
   instead of being sampled by a random walk;
3. permute the remaining out-edges of each letter uniformly and put the last-exit edge last;
4. walk from the first letter, always leaving by the next unused out-edge.

By the BEST theorem every (arborescence, out-edge orders) pair gives a distinct Eulerian
path and every shuffle comes from exactly one pair. With ``f_v`` free edges at ``v`` and
``W`` the total arborescence weight, a shuffle therefore has probability
``prod_v m[v, parent(v)] / W * prod_v (prod_w m'[v, w]! / f_v!)`` where ``m'`` excludes
the tree edge; since ``m * (m - 1)! = m!`` this is ``prod_{v,w} m[v, w]! / (W prod_v f_v!)``,
the same for every shuffle.

**Why not the deeplift ``dinuc_shuffle``.** The function in creme-nn
(``creme.shuffle.dinuc_shuffle``) and, adapted, in tangermeme
(``tangermeme.ersatz.dinucleotide_shuffle``) comes from deeplift: it permutes each
letter's successor list but keeps each letter's *last* successor at its original place.
Every output thus has the input's own last-exit edges, and shuffles with any other
last-exit tree are never produced: for ``AAGTGTCGAGCT`` it reaches 6 of the 60 valid
shuffles (``tests/test_shuffle.py``). The draw is uniform only within that subset.

**N handling.** All-zero rows (``N``) stay where they are and every maximal N-free run is
shuffled on its own. An Euler path keeps a run's first and last letter, so the letters
next to every ``N`` are unchanged and *all* dinucleotide counts of the full sequence,
including those touching ``N``, are preserved exactly. (creme-nn instead treats ``N`` as a
fifth letter and moves it.)

**Randomness.** Each shuffle takes one 64-bit word from the caller's
:class:`numpy.random.Generator` (``bit_generator.random_raw``) and uses it to key a
SplitMix64 stream inside the compiled kernel, so ``n`` shuffles equal ``n`` single calls
on the same generator, and the results do not depend on whether numba is installed (the
same code then runs as plain Python, far slower). Edge permutations use Lemire's exact
bounded integers; the tree is picked with one 53-bit uniform, i.e. exact up to 2**-53.

**Speed.** About 1.1-1.4 ms per 196,608 bp shuffle and 30-50 us per 5 kb tile, 80-120x
and 60-90x faster than creme-nn measured in one process by ``benchmarks/bench_shuffle.py``
(shared, loaded 2-vCPU EPYC VM). The Euler walk dominates: it is latency-bound (one
dependent load per letter). Kernels are ``@njit(cache=True)``: the first call compiles
(~4 s CPU), later processes load numba's on-disk cache (~0.3-0.6 s).
"""

from __future__ import annotations

import functools

import numpy as np

from creme_lib.sequence import N_TOKEN

try:
    from numba import njit
except ImportError:  # pragma: no cover - numba is expected; this keeps results identical

    def njit(*args, **kwargs):
        """Stand-in for numba.njit: plain Python, with uint64 wrap-around made silent."""

        def wrap(f):
            @functools.wraps(f)
            def run(*a):
                with np.errstate(over="ignore"):
                    return f(*a)

            return run

        if args and callable(args[0]):
            return wrap(args[0])
        return wrap


__all__ = ["dinuc_shuffle", "dinuc_shuffle_tokens", "dinuc_shuffle_batch", "shuffle_tile"]

RngLike = np.random.Generator | int | np.integer | None

# dtypes the kernels read and write directly; anything else (bool, ints, float16) goes via
# float32, which holds 0/1 exactly, rather than costing a JIT compile per dtype.
_NATIVE = {np.dtype(np.float32), np.dtype(np.float64)}

# SplitMix64 (Steele, Lea & Flood 2014) constants. All uint64 so numba never mixes in
# int64 (which it would promote to float64).
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_LOW32 = np.uint64(0xFFFFFFFF)
_TWO32 = np.uint64(1 << 32)
_U11, _U27, _U30, _U31, _U32 = (np.uint64(k) for k in (11, 27, 30, 31, 32))
_MAX_RUN = 1 << 32  # Lemire's 32-bit bounded draw needs every bound below 2**32


# --------------------------------------------------------------------------- kernels
#
# Random numbers come from a SplitMix64 stream (Steele et al. 2014; passes BigCrush)
# keyed by one 64-bit word that the caller's numpy Generator supplies per shuffle.
# Drawing them in-kernel rather than as a float64 array of L numpy draws halves the
# cost of the randomness. The call graph is kept shallow on purpose: numba re-optimises
# every callee inside each caller, so deep helper chains multiply the JIT time.


@njit(cache=True)
def _mix(z):
    """SplitMix64 output function (a bijective 64-bit hash)."""
    z = (z ^ (z >> _U30)) * _MUL1
    z = (z ^ (z >> _U27)) * _MUL2
    return z ^ (z >> _U31)


@njit(cache=True)
def _fisher_yates(seg, state):
    """Uniformly permute ``seg`` in place; returns the advanced stream ``state``.

    Each swap index comes from Lemire's (2019) multiply-shift on a 32-bit half of a
    SplitMix64 output, with his rejection step, so it is exactly uniform (len < 2**32).
    """
    i = seg.shape[0] - 1
    while i > 0:
        state += _GAMMA
        z = _mix(state)
        for half in range(2):  # two 32-bit draws per 64-bit output
            if i <= 0:
                break
            bnd = np.uint64(i + 1)
            prod = ((z >> _U32) if half == 0 else (z & _LOW32)) * bnd
            if (prod & _LOW32) < bnd:  # rare (p = bnd / 2**32): maybe reject and redraw
                thresh = (_TWO32 - bnd) % bnd
                while (prod & _LOW32) < thresh:
                    state += _GAMMA
                    prod = (_mix(state) >> _U32) * bnd
            j = np.int64(prod >> _U32)
            tmp = seg[i]
            seg[i] = seg[j]
            seg[j] = tmp
            i -= 1
    return state


@njit(cache=True)
def _sample_arborescence(m, root, u, parent):
    """Set ``parent[v]``, the last-exit target of each non-root vertex with out-edges.

    Draws the spanning arborescence into ``root`` with probability proportional to
    ``prod_v m[v, parent[v]]`` (the number of labelled edge choices realising it), using
    one uniform ``u`` in [0, 1): all 4**3 parent choices of the three non-root vertices
    are enumerated and weighted, cycles and self-loops getting weight 0. A letter absent
    from the run gets a virtual weight-1 edge to the root so it does not block the tree
    (nothing enters it, so it is never anyone's parent); its parent is reset to -1.
    """
    wt = np.zeros((4, 4))
    present = np.zeros(4, np.bool_)
    others = np.empty(3, np.int64)
    k = 0
    for v in range(4):
        if v != root:
            others[k] = v
            k += 1
            for w in range(4):
                if w != v:
                    wt[v, w] = m[v, w]
                present[v] |= m[v, w] > 0
            if not present[v]:
                wt[v, root] = 1.0
    a, b, c = others[0], others[1], others[2]
    par = np.empty(4, np.int64)
    par[root] = root
    total = 0.0
    chosen = 0
    for sweep in range(2):  # sweep 0 sums the weights, sweep 1 stops at u's combination
        target = u * total
        acc = 0.0
        for code in range(64):
            par[a], par[b], par[c] = code & 3, (code >> 2) & 3, code >> 4
            wgt = wt[a, par[a]] * wt[b, par[b]] * wt[c, par[c]]
            # acyclic <=> every vertex reaches the root within 3 hops (par[root] = root)
            if (
                wgt > 0.0
                and par[par[par[a]]] == root
                and par[par[par[b]]] == root
                and par[par[par[c]]] == root
            ):
                acc += wgt
                chosen = code  # if rounding makes target == total, the last valid one
                if sweep == 1 and target < acc:
                    break
        total = acc
    par[a], par[b], par[c] = chosen & 3, (chosen >> 2) & 3, chosen >> 4
    for v in range(4):
        parent[v] = par[v] if present[v] else -1


@njit(cache=True, inline="always")
def _shuffle_seq(t, out, state):
    """Uniform dinucleotide shuffle of each maximal N-free run of ``t`` (L,) into ``out``.

    N (token 4) stays in place. ``state`` is the stream position, returned advanced.
    """
    n = t.shape[0]
    has_n = False
    for i in range(n):  # vectorised; lets N-free input (the usual case) skip the run scan
        has_n |= t[i] >= 4
    s = 0
    while s < n:
        if t[s] >= 4:
            out[s] = t[s]
            s += 1
            continue
        e = n
        if has_n:
            e = s + 1
            while e < n and t[e] < 4:
                e += 1
        if e - s <= 2:  # first and last letter fix the whole run
            for i in range(s, e):
                out[i] = t[i]
            s = e
            continue

        # (a) dinucleotide counts m[v, w]; four interleaved histograms so that repeated
        # dinucleotides do not serialise on store-to-load forwarding.
        h = np.zeros((4, 16), np.int64)
        i = s
        while i + 4 < e:
            h[0, t[i] * 4 + t[i + 1]] += 1
            h[1, t[i + 1] * 4 + t[i + 2]] += 1
            h[2, t[i + 2] * 4 + t[i + 3]] += 1
            h[3, t[i + 3] * 4 + t[i + 4]] += 1
            i += 4
        while i < e - 1:
            h[0, t[i] * 4 + t[i + 1]] += 1
            i += 1
        m = np.empty((4, 4), np.int64)
        width = 1
        for v in range(4):
            for w in range(4):
                k = 4 * v + w
                m[v, w] = h[0, k] + h[1, k] + h[2, k] + h[3, k]
            width = max(width, m[v, 0] + m[v, 1] + m[v, 2] + m[v, 3])

        # (b) last-exit edges forming a random arborescence into the last letter.
        parent = np.empty(4, np.int64)
        parent[:] = -1
        state += _GAMMA
        _sample_arborescence(m, t[e - 1], np.float64(_mix(state) >> _U11) * 2.0**-53, parent)

        # (c) out-edge list of v in edges[v]: the non-tree edges uniformly permuted
        # (uniform over labelled orders, hence over distinct multiset orders), then the
        # last-exit edge.
        edges = np.empty((4, width), np.uint8)
        for v in range(4):
            p = 0
            for w in range(4):
                for _ in range(m[v, w] - (1 if parent[v] == w else 0)):
                    edges[v, p] = w
                    p += 1
            if parent[v] >= 0:
                edges[v, p] = parent[v]
            state = _fisher_yates(edges[v, :p], state)

        # (d) the Euler walk: leave each vertex by its next unused out-edge. The loop is
        # latency-bound, so the four read positions live in bit fields of registers rather
        # than in memory (~1.4x faster): 16-bit fields in one word when every list is
        # shorter than 2**16, else 32-bit fields in two words.
        cur = np.int64(t[s])
        out[s] = cur
        if width < 65536:
            pos = np.uint64(0)
            for i in range(s + 1, e):
                sh = np.uint64(cur * 16)
                nxt = np.int64(edges[cur, np.int64((pos >> sh) & np.uint64(0xFFFF))])
                pos += np.uint64(1) << sh
                out[i] = nxt
                cur = nxt
        else:
            pos01 = np.uint64(0)  # lists of A and C
            pos23 = np.uint64(0)  # lists of G and T
            for i in range(s + 1, e):
                sh = np.uint64((cur & 1) * 32)
                k = np.int64(((pos23 if cur >= 2 else pos01) >> sh) & _LOW32)
                nxt = np.int64(edges[cur, k])
                if cur >= 2:
                    pos23 += np.uint64(1) << sh
                else:
                    pos01 += np.uint64(1) << sh
                out[i] = nxt
                cur = nxt
        s = e
    return state


@njit(cache=True)
def _shuffle_many(t, keys, out):
    """Token rows ``t`` (B, L), or one row (1, L) shared by all, into ``out`` (B, L)."""
    for b in range(out.shape[0]):
        _shuffle_seq(t[b if t.shape[0] > 1 else 0], out[b], keys[b])


@njit(cache=True)
def _shuffle_one_hot(x, keys, out):
    """Validate, shuffle and re-encode in one compiled call (keeps 5 kb tiles cheap).

    ``x`` flat one-hot (1 or B, 4 L), ``keys`` (B,) uint64, ``out`` (B, 4 L). Returns the
    flat index ``b * L + i`` of the first non-one-hot row, or -1.
    """
    nb, n = x.shape[0], x.shape[1] // 4
    toks = np.empty((nb, n), np.uint8)
    for b in range(nb):
        xb, tb = x[b], toks[b]
        # Flat indexing and a branch-free body let LLVM vectorise this (~5x faster than
        # x[i, j]). Valid rows: every entry 0 or 1 (NaN is neither), at most one 1.
        bad = np.uint32(0)
        for i in range(n):
            a, c, g, u = xb[4 * i], xb[4 * i + 1], xb[4 * i + 2], xb[4 * i + 3]
            h0, h1 = np.uint32(a == 1), np.uint32(c == 1)
            h2, h3 = np.uint32(g == 1), np.uint32(u == 1)
            hot = h0 + h1 + h2 + h3
            zero = np.uint32(a == 0) + np.uint32(c == 0) + np.uint32(g == 0) + np.uint32(u == 0)
            bad |= (np.uint32(4) - hot - zero) | (hot >> np.uint32(1))
            tb[i] = np.uint8(h1 + np.uint32(2) * h2 + np.uint32(3) * h3 + np.uint32(4 * (hot == 0)))
        if bad:  # only now look for the offending row
            for i in range(n):
                hot = 0
                for j in range(4 * i, 4 * i + 4):
                    if xb[j] != 0 and xb[j] != 1:
                        hot = 2
                    elif xb[j] == 1:
                        hot += 1
                if hot > 1:
                    return b * n + i
    res = np.empty(n, np.uint8)
    for b in range(out.shape[0]):
        _shuffle_seq(toks[b if nb > 1 else 0], res, keys[b])
        ob = out[b]
        for i in range(n):  # writes every entry, so out can come from np.empty
            r = res[i]
            ob[4 * i], ob[4 * i + 1], ob[4 * i + 2], ob[4 * i + 3] = r == 0, r == 1, r == 2, r == 3
    return -1


# --------------------------------------------------------------------------- helpers


def _as_rng(rng: RngLike) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))  # 0 is a real seed here, unlike creme-nn
    raise TypeError(f"rng must be a numpy Generator, int seed or None, got {type(rng).__name__}")


def _keys(rng: RngLike, count: int, length: int) -> np.ndarray:
    """One 64-bit stream key per shuffle, drawn in order from the caller's generator."""
    if length >= _MAX_RUN:
        raise ValueError(f"sequences must be shorter than 2**32 bp, got {length} bp")
    return _as_rng(rng).bit_generator.random_raw(count).astype(np.uint64, copy=False)


def _shuffle_checked(x: np.ndarray, count: int, rng: RngLike) -> np.ndarray:
    """``count`` shuffles of one-hot ``x`` (1 or B, L, 4) -> (count, L, 4), dtype of ``x``."""
    work = np.ascontiguousarray(x if x.dtype in _NATIVE else x.astype(np.float32))
    keys = _keys(rng, count, x.shape[1])
    out = np.empty((count,) + x.shape[1:], work.dtype)
    flat = 4 * x.shape[1]  # explicit sizes: reshape cannot infer -1 for empty arrays
    bad = _shuffle_one_hot(work.reshape(x.shape[0], flat), keys, out.reshape(count, flat))
    if bad >= 0:
        b, i = divmod(int(bad), x.shape[1])
        raise ValueError(
            f"x is not one-hot at sequence {b}, position {i}: row {work[b, i].tolist()} "
            "(need values 0/1 with at most one 1 per row; N = all zeros)"
        )
    return out.astype(x.dtype, copy=False)


def _check_shape(x: np.ndarray, ndim: int, shape: str) -> None:
    if x.ndim != ndim or x.shape[-1] != 4:
        raise ValueError(f"expected a one-hot array of shape {shape}, got shape {x.shape}")


# --------------------------------------------------------------------------- public API


def dinuc_shuffle_tokens(tokens: np.ndarray, rng: RngLike = None) -> np.ndarray:
    """Uniform dinucleotide shuffle of a token sequence (the core of this module).

    Parameters
    ----------
    tokens : numpy.ndarray
        Shape ``(L,)``, integer values in ``0..4`` (``A, C, G, T, N``).
    rng : numpy.random.Generator or int, optional
        Generator, or a seed for :func:`numpy.random.default_rng` (``0`` is a valid
        seed); ``None`` draws from a fresh unseeded generator. Takes one 64-bit word.

    Returns
    -------
    numpy.ndarray
        Shape ``(L,)`` ``uint8``: same first/last letter and dinucleotide counts in every
        N-free run, ``N`` (4) at the same positions.

    Raises
    ------
    ValueError
        If ``tokens`` is not 1-D or holds values outside ``0..4``.
    """
    tokens = np.asarray(tokens)
    if tokens.ndim != 1:
        raise ValueError(f"expected tokens of shape (L,), got shape {tokens.shape}")
    if tokens.size and (
        not np.issubdtype(tokens.dtype, np.integer) or tokens.min() < 0 or tokens.max() > N_TOKEN
    ):
        raise ValueError("tokens must be integers in 0..4 (A, C, G, T, N)")
    t = tokens.astype(np.uint8).reshape(1, -1)
    out = np.empty_like(t)
    _shuffle_many(t, _keys(rng, 1, t.shape[1]), out)
    return out[0]


def dinuc_shuffle(x: np.ndarray, n: int | None = None, rng: RngLike = None) -> np.ndarray:
    """Uniform dinucleotide shuffle(s) of one one-hot sequence.

    Parameters
    ----------
    x : numpy.ndarray
        One-hot ``(L, 4)`` (ACGT columns, all-zero rows are ``N``), any numeric dtype.
    n : int, optional
        Number of shuffles; ``None`` returns a single ``(L, 4)`` shuffle.
    rng : numpy.random.Generator or int, optional
        Generator or seed (``0`` is a valid seed); ``None`` is unseeded. Shuffle ``i``
        uses the ``i``-th 64-bit word of ``rng``, so ``n`` shuffles equal ``n`` calls.

    Returns
    -------
    numpy.ndarray
        ``(L, 4)`` if ``n`` is None else ``(n, L, 4)``, same dtype as ``x``. Letter and
        dinucleotide counts, first/last letter and all ``N`` positions are preserved.

    Raises
    ------
    ValueError
        If ``x`` is not ``(L, 4)``, has non-one-hot rows, or ``n`` is negative.
    TypeError
        If ``rng`` is neither a Generator, an int nor None.
    """
    x = np.asarray(x)
    _check_shape(x, 2, "(L, 4)")
    if n is not None and (not isinstance(n, (int, np.integer)) or n < 0):
        raise ValueError(f"n must be a non-negative integer or None, got {n!r}")
    res = _shuffle_checked(x[None], 1 if n is None else int(n), rng)
    return res[0] if n is None else res


def dinuc_shuffle_batch(x: np.ndarray, rng: RngLike = None) -> np.ndarray:
    """Shuffle every sequence of a batch once.

    Parameters
    ----------
    x : numpy.ndarray
        One-hot batch ``(N, L, 4)``.
    rng : numpy.random.Generator or int, optional
        Generator or seed; sequence ``i`` uses the ``i``-th 64-bit word of ``rng``.

    Returns
    -------
    numpy.ndarray
        ``(N, L, 4)``, same dtype as ``x``.

    Raises
    ------
    ValueError
        If ``x`` is not ``(N, L, 4)`` or has non-one-hot rows.
    """
    x = np.asarray(x)
    _check_shape(x, 3, "(N, L, 4)")
    return _shuffle_checked(x, x.shape[0], rng)


def shuffle_tile(x: np.ndarray, start: int, end: int, rng: RngLike = None) -> np.ndarray:
    """Copy of ``x`` with the tile ``[start, end)`` dinucleotide-shuffled (necessity test).

    The tile's first and last letters stay, so dinucleotides across the tile borders
    (and around any ``N`` inside it) are preserved too.

    Parameters
    ----------
    x : numpy.ndarray
        One-hot ``(L, 4)``.
    start, end : int
        Tile bounds in bp, 0-based half-open, ``0 <= start <= end <= L``.
    rng : numpy.random.Generator or int, optional
        Generator or seed; takes one 64-bit word, as :func:`dinuc_shuffle`.

    Returns
    -------
    numpy.ndarray
        ``(L, 4)``, same dtype as ``x``; identical to ``x`` outside the tile.

    Raises
    ------
    ValueError
        If ``x`` is not ``(L, 4)``, the bounds are out of range, or the tile is not one-hot.
    """
    x = np.asarray(x)
    _check_shape(x, 2, "(L, 4)")
    if not 0 <= start <= end <= x.shape[0]:
        raise ValueError(f"tile [{start}, {end}) is not inside x of shape {x.shape}")
    out = x.copy()
    out[start:end] = dinuc_shuffle(x[start:end], rng=rng)
    return out
