"""Benchmark: the embedded world's ground-truth model and genome generator on this CPU.

Prints the model's throughput (sequences of 196,608 bp per second at batch 8, all 896 bins
and 3 tracks, and the TSS bins only, every sequence scanned whole), against the target of
>= 20 seq/s; the throughput of CREME's tests (necessity, sufficiency, context dependence, 10
shuffles, TSS bins, K562) with full scans, with incremental rescans of the one-hot the engine
used to write, and with incremental rescans of the tokens it now passes, side by side, and
their ratios; and the time to generate the default world (224 genes, ~45 Mb) into a fresh
temporary folder, plus the time to find it in the cache afterwards.

    python benchmarks/bench_world_model.py                 # both
    python benchmarks/bench_world_model.py --skip-world    # model only
    python benchmarks/bench_world_model.py --repeats 10

Timings are medians over repeats of ``time.perf_counter`` blocks, after one warm-up call
(XLA compilation, timed separately). Other processes on the machine slow both down alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

SEQ_LENGTH = 196_608
TARGET_SEQ_PER_S = 20.0


def _sequences(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    tokens = rng.choice(4, (n, SEQ_LENGTH), p=[0.295, 0.205, 0.205, 0.295])
    return np.eye(4, dtype=np.float32)[tokens]


def bench_model(batch: int, repeats: int) -> None:
    t0 = time.perf_counter()
    import tensorflow  # noqa: F401  (timed on its own: the model imports it lazily)

    from creme_lib.world.model import SyntheticModel

    print(f"import TensorFlow: {time.perf_counter() - t0:.1f} s")
    x = _sequences(batch)
    for label, kwargs in (("all 896 bins x 3 tracks", {}), ("TSS bins 447-448, K562", {"bins": [447, 448], "tracks": ["K562"]})):
        model = SyntheticModel(batch_size=batch, incremental=False, **kwargs)  # repeats would hit the rescan cache
        t0 = time.perf_counter()
        model.predict(x)
        warm = time.perf_counter() - t0
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            model.predict(x)
            times.append(time.perf_counter() - t0)
        rate = batch / statistics.median(times)
        ok = "meets" if rate >= TARGET_SEQ_PER_S else "MISSES"
        print(
            f"model, {label}: {rate:6.1f} seq/s at batch {batch} "
            f"(median of {repeats}; warm-up incl. compile {warm:.1f} s) - {ok} the {TARGET_SEQ_PER_S:.0f} seq/s target"
        )


def bench_tests(batch: int, repeats: int) -> None:
    """CREME's tests on one window: full scans vs incremental rescans (identical outputs)."""
    from creme_lib.experiments import context_dependence_test, necessity_test, sufficiency_test
    from creme_lib.tiles import tile_grid
    from creme_lib.world.model import SyntheticModel

    x = _sequences(1, seed=3)[0]
    tss, tiles = tile_grid(SEQ_LENGTH, 5_000)
    runs = {
        "necessity": lambda m: necessity_test(m, x, tiles, 10, name="g", progress=False).mut,
        "sufficiency": lambda m: sufficiency_test(m, x, tss, tiles, 10, name="g", progress=False).mut,
        "context": lambda m: context_dependence_test(m, x, tss, 10, name="g", progress=False).mut,
    }
    class OneHotInput(SyntheticModel):
        """The same model, fed one-hot by the engine (as before tokens were passed)."""

        takes_tokens = False

    sent = {"necessity": 1 + 10 * len(tiles), "sufficiency": 1 + 10 * (1 + len(tiles)), "context": 1 + 10}
    variants = {"full": (OneHotInput, False), "one-hot": (OneHotInput, True), "tokens": (SyntheticModel, True)}
    for test, run in runs.items():
        rates, outs = {}, {}
        for name, (cls, inc) in variants.items():
            model = cls(bins=[447, 448], tracks=["K562"], batch_size=batch, incremental=inc)
            model.predict(x[None])  # compile
            times = []
            for _ in range(repeats):
                model.set_selection([447, 448], ["K562"])  # a fresh rescan cache per repeat
                model.predict(x[None])
                t0 = time.perf_counter()
                outs[name] = run(model)
                times.append(time.perf_counter() - t0)
            rates[name] = sent[test] / statistics.median(times)
        same = all(np.array_equal(outs["full"], o) for o in outs.values())
        print(f"{test} test ({sent[test]} sequences): full scans {rates['full']:6.1f} seq/s, incremental from one-hot "
              f"{rates['one-hot']:6.1f} seq/s, incremental from tokens {rates['tokens']:6.1f} seq/s; tokens / one-hot "
              f"{rates['tokens'] / rates['one-hot']:.2f}x, tokens / full {rates['tokens'] / rates['full']:.1f}x "
              f"({'identical outputs' if same else 'OUTPUTS DIFFER'})")


def bench_world() -> None:
    from creme_lib.world import DEFAULT_CONFIG, generate_world, load_world

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        files = generate_world(tmp, seed=0, config=DEFAULT_CONFIG)
        gen = time.perf_counter() - t0
        t0 = time.perf_counter()
        generate_world(tmp, seed=0, config=DEFAULT_CONFIG)
        hit = time.perf_counter() - t0
        world = load_world(files)
        size = sum(os.path.getsize(p) for p in files.root.rglob("*") if p.is_file())
        n_bp = sum(n for _, n in world.manifest["chromosomes"])
        print(
            f"default world: {len(world.genes)} genes, {len(world.elements)} elements, {n_bp / 1e6:.1f} Mb, "
            f"{size / 1e6:.0f} MB on disk; generated in {gen:.1f} s (TensorFlow import included if first), "
            f"cache hit in {hit * 1e3:.1f} ms"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--skip-world", action="store_true")
    ap.add_argument("--skip-tests", action="store_true")
    args = ap.parse_args()
    print(f"CPU cores visible: {os.cpu_count()}")
    bench_model(args.batch, args.repeats)
    if not args.skip_tests:
        bench_tests(args.batch, max(1, args.repeats // 2))
    if not args.skip_world:
        bench_world()


if __name__ == "__main__":
    main()
