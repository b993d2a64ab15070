"""Benchmark: creme-nn's ``dinuc_shuffle`` vs ``creme_lib.shuffle`` in one process.

Target: ours at least 50x faster, one shuffle at a time, on a 196,608 bp (Enformer)
sequence and on 5 kb tiles. Both get the same random sequence. Our JIT warm-up (compile,
or load from numba's on-disk cache) is timed separately and excluded from the table.

    python benchmarks/bench_shuffle.py           # warm-up as it comes (cache if present)
    python benchmarks/bench_shuffle.py --cold    # empty numba cache: true compile time

Needs creme-nn (``pip install --no-deps creme-nn==0.2.5``; its shuffle module imports
only numpy). Timings: median over repeats of ``time.perf_counter`` blocks, with the two
implementations' repeats interleaved so that load from other processes hits both alike.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

SEQ_LEN = 196_608
TILE = 5_000
TARGET = 50.0


def _median_ms(fns: dict, number: dict, repeats: int) -> dict:
    """Median ms per call of each ``fns[name]()``, repeats interleaved across names."""
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(number[name]):
                fn()
            times[name].append((time.perf_counter() - t0) / number[name] * 1e3)
    return {name: statistics.median(v) for name, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--cold" in argv:  # must be set before numba is imported
        os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="numba-cold-")

    import creme.shuffle as creme_shuffle
    import numba

    from creme_lib import shuffle as ours
    from creme_lib.sequence import tokens_to_one_hot

    rng = np.random.default_rng(2024)
    x = tokens_to_one_hot(rng.integers(0, 4, SEQ_LEN))  # (L, 4) float32
    tiles = [x[i : i + TILE] for i in range(0, SEQ_LEN - TILE + 1, TILE)]  # 39 tiles

    # JIT warm-up: the first call compiles (or loads cached machine code).
    t0, c0 = time.perf_counter(), time.process_time()
    ours.dinuc_shuffle(x[:100], rng=0)
    warm, warm_cpu = time.perf_counter() - t0, time.process_time() - c0
    hits = getattr(getattr(ours._shuffle_one_hot, "stats", None), "cache_hits", None)
    how = "loaded from numba cache" if hits else "compiled (cache miss)"

    legacy_rng = np.random.RandomState(0)
    gen = np.random.default_rng(0)

    def creme_tiles():
        for t in tiles:
            creme_shuffle.dinuc_shuffle(t, rng=legacy_rng)

    def ours_tiles():
        for t in tiles:
            ours.dinuc_shuffle(t, rng=gen)

    full = _median_ms(
        {
            "creme": lambda: creme_shuffle.dinuc_shuffle(x, rng=legacy_rng),
            "ours": lambda: ours.dinuc_shuffle(x, rng=gen),
        },
        {"creme": 2, "ours": 40},
        repeats=7,
    )
    # each block shuffles all 39 tiles one at a time; report per tile
    tile = _median_ms({"creme": creme_tiles, "ours": ours_tiles}, {"creme": 1, "ours": 20}, 7)
    tile = {k: v / len(tiles) for k, v in tile.items()}
    batch = _median_ms(
        {
            "creme": lambda: creme_shuffle.dinuc_shuffle(x, num_shufs=10, rng=legacy_rng),
            "ours": lambda: ours.dinuc_shuffle(x, n=10, rng=gen),
        },
        {"creme": 1, "ours": 5},
        repeats=5,
    )
    tss_tile = lambda: ours.shuffle_tile(x, 95_804, 100_804, rng=gen)  # noqa: E731
    in_place = _median_ms({"ours": tss_tile}, {"ours": 200}, 7)

    print(f"numpy {np.__version__}, numba {numba.__version__}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"JIT warm-up (first call, excluded below): {warm:.2f} s wall, {warm_cpu:.2f} s CPU, {how}")
    print()
    print(f"{'input':<28}{'creme-nn ms':>12}{'ours ms':>10}{'speedup':>9}  >= {TARGET:.0f}x")
    rows = [(f"{SEQ_LEN:,} bp, 1 shuffle", full), (f"{TILE:,} bp tile, 1 shuffle", tile),
            (f"{SEQ_LEN:,} bp, batch of 10", batch)]
    met = True
    for label, r in rows:
        ratio = r["creme"] / r["ours"]
        ok = ratio >= TARGET
        if "batch" not in label:
            met &= ok
        verdict = "yes" if ok else "NO"
        print(f"{label:<28}{r['creme']:>12.3f}{r['ours']:>10.3f}{ratio:>8.0f}x  {verdict}")
    label = "shuffle_tile in 196,608 bp"
    print(f"{label:<28}{'':>12}{in_place['ours']:>10.3f}   (copy of x + 5 kb shuffle)")
    print()
    print(f"50x target on both single-shuffle sizes: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
