"""CREME tests, creme_lib vs creme-nn 0.2.5, side by side in one process.

Same cheap Enformer-shaped model, same 196,608 bp sequence, the paper's 5 kb tiles.
Prints wall time, sequences sent to the model and peak allocated memory per test, and
whether the issue's targets are met (necessity and sufficiency >= 10x faster; sufficiency
sends <= 1 + S + T*S sequences; necessity peak extra memory < 0.5 GB).

Run: ``make bench`` (installs creme-nn with --no-deps into .venv first), or
``python benchmarks/bench_tests.py [--shuffles 10] [--skip-memory]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    BIN_SIZE,
    N_BINS,
    SEQ_LENGTH,
    TSS_BINS,
    Counter,
    CremeNNModel,
    cheap_enformer,
    peak_alloc_mb,
    random_sequence,
    timed,
)

from creme_lib import experiments as ex  # noqa: E402
from creme_lib.inference import Engine  # noqa: E402
from creme_lib.models import CallableModel  # noqa: E402
from creme_lib.tiles import tile_grid  # noqa: E402


def ours(counter: Counter, batch_size: int) -> Engine:
    model = CallableModel(cheap_enformer(counter), SEQ_LENGTH, N_BINS, BIN_SIZE, ["gc"], bins=TSS_BINS)
    return Engine(model, batch_size=batch_size, seed=0, progress=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shuffles", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--greedy-rounds", type=int, default=2)
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    try:
        from creme import creme as cn
    except ImportError:
        sys.exit("creme-nn is not installed: pip install --no-deps creme-nn==0.2.5 (make bench does this)")

    from creme_lib.shuffle import dinuc_shuffle

    dinuc_shuffle(random_sequence(1)[:1000], rng=0)  # JIT warm-up outside the timings
    x = random_sequence(0)
    tss, tiles = tile_grid(SEQ_LENGTH, 5000)
    s, t = args.shuffles, len(tiles)
    tiles_list = [list(map(int, r)) for r in tiles]

    cases = {
        "context dependence": (
            lambda m: cn.context_dependence_test(m, x, list(tss), s),
            lambda e: ex.context_dependence_test(e, x, tss, s),
            1 + s,
        ),
        "necessity": (
            lambda m: cn.necessity_test(m, x, tiles_list, s),
            lambda e: ex.necessity_test(e, x, tiles, s),
            1 + t * s,
        ),
        "sufficiency": (
            lambda m: cn.sufficiency_test(m, x, list(tss), tiles_list, s),
            lambda e: ex.sufficiency_test(e, x, tss, tiles, s),
            1 + s + t * s,
        ),
        "distance": (
            lambda m: cn.distance_test(m, x, list(tss), tiles_list[0], [r[0] for r in tiles_list], s, seed=True),
            lambda e: ex.distance_test(e, x, tss, tuple(tiles[0]), tiles[:, 0], s),
            1 + 2 * s + t * s,
        ),
        f"greedy ({args.greedy_rounds} rounds)": (
            lambda m: cn.higher_order_interaction_test(m, x, list(tiles_list), np.argmin, s, args.greedy_rounds),
            lambda e: ex.higher_order_interaction_test(e, x, tiles, "min", args.greedy_rounds, s),
            None,
        ),
    }

    print(f"sequence {SEQ_LENGTH:,} bp, {t} tiles of 5 kb, {s} shuffles, batch {args.batch_size}")
    header = f"{'test':<22}{'creme-nn s':>11}{'ours s':>9}{'speedup':>9}{'seqs c-nn':>11}{'seqs ours':>11}{'bound':>7}"
    print(header)
    print("-" * len(header))
    results = {}
    for name, (run_cn, run_ours, bound) in cases.items():
        c_cn, c_ours = Counter(), Counter()
        m_cn = CremeNNModel(cheap_enformer(c_cn))
        with contextlib.redirect_stderr(io.StringIO()):  # creme-nn's tqdm bars
            t_cn, _ = timed(lambda: run_cn(m_cn))
        t_ours, _ = timed(lambda: run_ours(ours(c_ours, args.batch_size)))
        results[name] = (t_cn, t_ours, c_cn.n, c_ours.n, bound)
        print(
            f"{name:<22}{t_cn:>11.2f}{t_ours:>9.3f}{t_cn / t_ours:>8.1f}x{c_cn.n:>11,}{c_ours.n:>11,}"
            f"{'' if bound is None else f'{bound:,}':>7}"
        )

    mem = None
    if not args.skip_memory:
        c1, c2 = Counter(), Counter()
        m_cn = CremeNNModel(cheap_enformer(c1))
        with contextlib.redirect_stderr(io.StringIO()):
            mem_cn = peak_alloc_mb(lambda: cases["necessity"][0](m_cn))
        mem = (
            mem_cn,
            peak_alloc_mb(lambda: cases["necessity"][1](ours(c2, args.batch_size))),
        )
        print(f"\nnecessity peak allocated memory: creme-nn {mem[0]:,.0f} MB, ours {mem[1]:,.0f} MB "
              f"({mem[0] / mem[1]:.0f}x less)")

    print("\ntargets:")
    for name in ("necessity", "sufficiency"):
        t_cn, t_ours, *_ = results[name]
        print(f"  {name} >= 10x faster: {t_cn / t_ours:.1f}x -> {'MET' if t_cn / t_ours >= 10 else 'NOT MET'}")
    _, _, _, n_ours, bound = results["sufficiency"]
    print(f"  sufficiency sends <= 1 + S + T*S = {bound:,}: {n_ours:,} -> {'MET' if n_ours <= bound else 'NOT MET'}")
    if mem is not None:
        print(f"  necessity peak extra memory < 512 MB: {mem[1]:.0f} MB -> {'MET' if mem[1] < 512 else 'NOT MET'}")


if __name__ == "__main__":
    main()
