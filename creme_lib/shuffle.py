"""Exact, uniform dinucleotide shuffles of one-hot DNA.

A dinucleotide shuffle of ``s`` is a sequence with the same length, the same first and
last letter and the same count of every dinucleotide ``XY`` as ``s``. Such sequences are
the Eulerian paths of the transition multigraph of ``s`` (one vertex per letter, one
edge ``s[i] -> s[i+1]`` per position), and this module samples them **uniformly**, by
the algorithm of Altschul & Erickson (1985) in the form of Kandel et al. (1996):

1. count the edges: ``m[v, w]`` = number of ``vw`` dinucleotides;
2. give every vertex ``v`` other than the last letter a *last-exit* edge so that these
   edges form a spanning arborescence rooted at the last letter, drawn with probability
   proportional to ``prod_v m[v, parent(v)]`` (the number of labelled edges that realise
   it). With at most 3 non-root vertices there are at most ``3**3 = 27`` candidate parent
   assignments, so they are enumerated and weighted exactly (the matrix-tree theorem by
   brute force) rather than sampled by a random walk;
3. shuffle the remaining out-edges of each vertex uniformly and put the last-exit edge last;
4. walk the Eulerian path from the first letter, leaving each vertex by its next unused
   out-edge.

By the BEST theorem every (arborescence, edge orders) pair gives a distinct Eulerian path
and every dinucleotide shuffle arises from exactly one pair; with the weights above each
shuffle has the same probability ``prod_v prod_w m[v, w]! / prod_v (out(v) - 1)! ...``
(a constant), i.e. the draw is uniform over all valid shuffles.

**Why not the deeplift ``dinuc_shuffle``.** The function used by creme-nn
(``creme.shuffle.dinuc_shuffle``) and tangermeme comes from deeplift: it permutes each
letter's successor list but keeps each letter's *last* successor fixed at its original
position. The last-exit tree of every output is therefore the input's own, so shuffles
with any other last-exit tree (e.g. ``ACAGC`` from ``AGACC``... in general most trees)
can never be produced, and the ones it does produce are not weighted as the uniform
distribution would. ``tests/test_shuffle.py`` shows this on a 10 bp example.

**N handling.** All-zero rows (``N``) stay where they are. Every maximal N-free run is
shuffled on its own; an Eulerian path keeps a run's first and last letter, so the
letters next to every ``N`` are unchanged and *all* dinucleotide counts of the full
sequence, including those touching ``N``, are preserved exactly. (creme-nn instead treats
``N`` as a fifth letter and moves it around.)

**Randomness.** Each shuffle of an ``L`` bp sequence draws exactly ``rng.random(L)``
(one float64 per position, whether used or not), so ``n`` shuffles from one generator
equal ``n`` single shuffles drawn in turn from the same generator, and results do not
depend on whether numba is installed.

The Euler walk runs in numba (``@njit(cache=True)``, compiled on first use); without
numba the same code runs as plain Python (identical results, ~100x slower).
"""

from __future__ import annotations

import functools

import numpy as np

from creme_lib.sequence import N_TOKEN

try:
    from numba import njit
except ImportError:  # pragma: no cover - numba is a declared dependency

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

# dtypes the kernels read/write directly; anything else (e.g. float16) goes via float32.
_NATIVE = {np.dtype(t) for t in (np.float32, np.float64, np.uint8, np.int8, np.int32, np.int64, np.bool_)}

# SplitMix64 (Steele, Lea & Flood 2014) constants. All uint64 so numba never mixes in
# int64 (which it would promote to float64).
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_LOW32 = np.uint64(0xFFFFFFFF)
_TWO32 = np.uint64(1 << 32)
_U11, _U27, _U30, _U31, _U32 = (np.uint64(k) for k in (11, 27, 30, 31, 32))
_MAX_RUN = 1 << 32  # Lemire's 32-bit bounded draw needs every bound below 2**32
_AHEAD = 16  # Fisher-Yates steps the shuffle stays ahead of the walk in each list


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
def _fy_step(edges, lo, q, f, state):
    """Step ``q`` of a forward Fisher-Yates shuffle of ``edges[lo:lo + f]``.

    Swaps slot ``q`` with a uniform slot in ``[q, f)``, after which slot ``q`` is final.
    The index comes from Lemire's (2019) multiply-shift of a 32-bit draw with his rejection
    step, so it is exactly uniform (``f < 2**32``). Returns the advanced stream ``state``.
    """
    bnd = np.uint64(f - q)
    state += _GAMMA
    prod = (_mix(state) >> _U32) * bnd
    if (prod & _LOW32) < bnd:  # rare (p = bnd / 2**32): maybe reject and redraw
        thresh = (_TWO32 - bnd) % bnd
        while (prod & _LOW32) < thresh:
            state += _GAMMA
            prod = (_mix(state) >> _U32) * bnd
    i = lo + q
    j = i + np.int64(prod >> _U32)
    tmp = edges[i]
    edges[i] = edges[j]
    edges[j] = tmp
    return state


@njit(cache=True)
def _sample_arborescence(m, root, u, parent):
    """Fill ``parent[v]`` (last-exit target of v) for every non-root vertex with out-edges.

    Draws the arborescence rooted at ``root`` with probability proportional to
    ``prod_v m[v, parent[v]]`` from one uniform ``u`` in [0, 1) by enumerating all
    candidate parent assignments (at most 3**3).
    """
    verts = np.empty(3, np.int64)
    nv = 0
    for v in range(4):
        if v != root and m[v, 0] + m[v, 1] + m[v, 2] + m[v, 3] > 0:
            verts[nv] = v
            nv += 1
    # Self-loops can never be tree edges; every other out-neighbour is a candidate.
    cand = np.empty((3, 3), np.int64)
    nc = np.zeros(3, np.int64)
    ncombo = 1
    for a in range(nv):
        for w in range(4):
            if w != verts[a] and m[verts[a], w] > 0:
                cand[a, nc[a]] = w
                nc[a] += 1
        ncombo *= nc[a]
    # float64 weights: products reach (L/3)**3, more than int64 holds for long runs.
    weights = np.zeros(ncombo)
    total = 0.0
    for c in range(ncombo):
        r = c
        for a in range(nv):
            parent[verts[a]] = cand[a, r % nc[a]]
            r //= nc[a]
        wgt = 1.0
        for a in range(nv):  # every vertex must reach the root in < 4 hops (no cycle)
            x = verts[a]
            for _ in range(4):
                if x != root:
                    x = parent[x]
            wgt *= m[verts[a], parent[verts[a]]] if x == root else 0.0
        weights[c] = wgt
        total += wgt
    target = u * total
    chosen = -1
    acc = 0.0
    for c in range(ncombo):
        if weights[c] > 0.0:
            chosen = c  # the last valid combo absorbs any rounding at the top end
            acc += weights[c]
            if target < acc:
                break
    for a in range(nv):
        parent[verts[a]] = cand[a, chosen % nc[a]]
        chosen //= nc[a]


@njit(cache=True)
def _shuffle_seq(t, out, edges, state):
    """Uniform dinucleotide shuffle of each maximal N-free run of ``t`` (L,) into ``out``.

    N (token 4) stays in place. ``edges`` is uint8 scratch of length >= L; ``state`` is
    the stream position, returned advanced.
    """
    n = t.shape[0]
    s = 0
    while s < n:
        if t[s] >= 4:
            out[s] = t[s]
            s += 1
            continue
        e = s + 1
        while e < n and t[e] < 4:
            e += 1
        if e - s <= 2:  # first and last letter fix the whole run
            for i in range(s, e):
                out[i] = t[i]
            s = e
            continue

        # (a) dinucleotide counts. Byte-wide counters packed into two uint64 keep the
        # hot loop in registers (and vectorisable); they are flushed every 255 letters.
        m = np.zeros((4, 4), np.int64)
        i = s
        while i < e - 1:
            stop = min(i + 255, e - 1)
            lo8 = np.uint64(0)
            hi8 = np.uint64(0)
            for k in range(i, stop):
                code = np.uint64(t[k] * 4 + t[k + 1])
                one = np.uint64(1) << ((code & np.uint64(7)) * np.uint64(8))
                upper = code >> np.uint64(3)  # 0 for codes 0-7, 1 for 8-15
                lo8 += one & (upper - np.uint64(1))
                hi8 += one & (np.uint64(0) - upper)
            for k in range(8):
                m[k >> 2, k & 3] += np.int64((lo8 >> np.uint64(8 * k)) & np.uint64(255))
                m[2 + (k >> 2), k & 3] += np.int64((hi8 >> np.uint64(8 * k)) & np.uint64(255))
            i = stop

        # (b) last-exit edges forming a random arborescence into the last letter.
        parent = np.empty(4, np.int64)
        parent[:] = -1
        state += _GAMMA
        _sample_arborescence(m, t[e - 1], np.float64(_mix(state) >> _U11) * 2.0**-53, parent)

        # (c) out-edge list of v in edges[lo[v]:lo[v] + out(v)]: its free (non-tree) edges,
        # to be uniformly permuted by forward Fisher-Yates (uniform over labelled orders,
        # hence over distinct multiset orders), then the last-exit edge.
        lo = np.empty(4, np.int64)
        free = np.empty(4, np.int64)
        done = np.empty(4, np.int64)  # Fisher-Yates steps done per list
        p = 0
        for v in range(4):
            lo[v] = p
            for w in range(4):
                for _ in range(m[v, w] - (1 if parent[v] == w else 0)):
                    edges[p] = w
                    p += 1
            free[v] = p - lo[v]
            if parent[v] >= 0:
                edges[p] = parent[v]
                p += 1
            done[v] = min(_AHEAD, free[v] - 1)
            for q in range(done[v]):
                state = _fy_step(edges, lo[v], q, free[v], state)

        # (d) the Euler walk: leave each vertex by its next unused out-edge. Two dependent
        # loads per letter make this loop latency-bound, so the Fisher-Yates steps ride
        # along in its shadow: each visit to v consumes slot k of v's list and finalises
        # slot k + _AHEAD (forward Fisher-Yates only touches slots >= the one it finalises),
        # so the slot read is always final. Steps per list stay in order, each with a fresh
        # draw, so the permutation is the same uniform one as shuffling up front.
        off = lo.copy()
        cur = t[s]
        out[s] = cur
        for i in range(s + 1, e):
            nxt = edges[off[cur]]
            off[cur] += 1
            q = done[cur]
            if q < free[cur] - 1:
                state = _fy_step(edges, lo[cur], q, free[cur], state)
                done[cur] = q + 1
            out[i] = nxt
            cur = nxt
        s = e
    return state


@njit(cache=True)
def _shuffle_many(t, keys, out):
    """Token rows ``t`` (B, L), or one row (1, L) shared by all, into ``out`` (B, L)."""
    edges = np.empty(t.shape[1], np.uint8)
    for b in range(out.shape[0]):
        _shuffle_seq(t[b if t.shape[0] > 1 else 0], out[b], edges, keys[b])


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
            h0, h1, h2, h3 = np.uint32(a == 1), np.uint32(c == 1), np.uint32(g == 1), np.uint32(u == 1)
            hot = h0 + h1 + h2 + h3
            zero = np.uint32(a == 0) + np.uint32(c == 0) + np.uint32(g == 0) + np.uint32(u == 0)
            bad |= (np.uint32(4) - hot - zero) | (hot >> np.uint32(1))
            tb[i] = np.uint8(h1 + np.uint32(2) * h2 + np.uint32(3) * h3 + np.uint32(4) * np.uint32(hot == 0))
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
    edges = np.empty(n, np.uint8)
    for b in range(out.shape[0]):
        _shuffle_seq(toks[b if nb > 1 else 0], res, edges, keys[b])
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
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")


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
    bad = _shuffle_one_hot(work.reshape(x.shape[0], -1), keys, out.reshape(count, -1))
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
        seed); ``None`` draws from a fresh unseeded generator. Consumes ``rng.random(L)``.

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
    if tokens.size and (not np.issubdtype(tokens.dtype, np.integer) or tokens.min() < 0 or tokens.max() > N_TOKEN):
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
        uses the ``i``-th ``rng.random(L)`` draw, so ``n`` shuffles equal ``n`` calls.

    Returns
    -------
    numpy.ndarray
        ``(L, 4)`` if ``n`` is None else ``(n, L, 4)``, same dtype as ``x``. Letter and
        dinucleotide counts, first/last letter and all ``N`` positions are preserved.

    Raises
    ------
    ValueError
        If ``x`` is not ``(L, 4)``, has non-one-hot rows, or ``n`` is negative.
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
        Generator or seed; sequence ``i`` uses the ``i``-th ``rng.random(L)`` draw.

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
        Generator or seed; consumes ``rng.random(end - start)``.

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
        raise ValueError(f"tile [{start}, {end}) is not inside [0, {x.shape[0]}) of x with shape {x.shape}")
    out = x.copy()
    out[start:end] = dinuc_shuffle(x[start:end], rng=rng)
    return out
