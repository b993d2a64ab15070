"""Throughput of the Enformer architecture on a GPU, and the share of wall time CREME spends outside the model.

Run: ``python benchmarks/bench_gpu.py [--batch-sizes 1 2 4 8] [--tf-savedmodel DIR]``.

1. GPU (skipped cleanly without CUDA): the Enformer architecture at the published size (1,536
   channels, 11 transformer layers) with random weights, 196,608 bp, sequences per second at
   fp32 and bf16 over batch sizes, in PyTorch (``enformer-pytorch``) and TensorFlow
   (``_enformer_tf.py``, the same layer shapes); FLOPs per sequence counted by
   ``torch.utils.flop_counter`` and the fraction of the GPU's dense-bf16 peak reached. With
   ``--tf-savedmodel`` (a local copy of the TF Hub model) also the real hub model through
   :class:`creme_lib.models.enformer.Enformer`.
2. GPU: a Necessity Test (38 tiles x ``--shuffles``) through
   :class:`creme_lib.models.enformer_torch.EnformerTorch` in bf16 (fp32 in the CPU check); CREME's share is the wall
   time not spent in the model call (building sequences, host-to-device copies, bookkeeping).
3. CPU (always): the Enformer architecture's CPU time per sequence (``--cpu-dim``, 1,536 =
   full size, about a minute on 2 cores) and CREME's own time per sequence in the same
   Necessity Test with a model that costs nothing; CREME's share with a model of Enformer's
   CPU cost is ``own / (own + model)``.

Targets (issue 12), where a GPU is lent: >= 30% of the bf16 roofline and CREME's share < 5%.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from _common import random_sequence  # noqa: E402

from creme_lib.experiments import necessity_test  # noqa: E402
from creme_lib.inference import Engine  # noqa: E402
from creme_lib.models.base import CallableModel  # noqa: E402
from creme_lib.models.layouts import ENFORMER_LAYOUT  # noqa: E402
from creme_lib.tiles import tile_grid  # noqa: E402

#: Dense bf16 tensor-core peaks (FLOP/s) by a substring of the device name.
BF16_PEAK = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12, "A10G": 70e12, "L4": 121e12}
TRACK, BINS = ENFORMER_LAYOUT.cage_tracks["K562"][0], list(ENFORMER_LAYOUT.tss_bins)


def enformer_net(dim: int = 1536, depth: int = 11, seed: int = 0) -> torch.nn.Module:
    """``enformer_pytorch.Enformer`` with random weights (published size by default)."""
    from enformer_pytorch import Enformer

    torch.manual_seed(seed)
    # The tower's widths are rounded to 128 channels at the published size; smaller test sizes need finer steps.
    step = 128 if dim == 1536 else 16
    return Enformer.from_hparams(dim=dim, depth=depth, heads=8, output_heads=dict(human=5313), target_length=896,
                                 dim_divisible_by=step).eval()


def flops_per_sequence(net: torch.nn.Module, device: torch.device) -> float:
    """FLOPs of one 196,608 bp forward pass (matmuls and convolutions)."""
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.from_numpy(random_sequence(1)[None]).to(device)
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        net(x)
    return float(counter.get_total_flops())


def throughput(model, batch: int, repeats: int = 3) -> float:
    """Sequences per second of ``model.predict`` on a batch of random windows (after one warm-up)."""
    x = np.stack([random_sequence(s) for s in range(batch)])
    model.predict(x)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(repeats):
        model.predict(x)
    return batch * repeats / (time.perf_counter() - t0)


def creme_share(model, shuffles: int, batch: int) -> tuple[float, float, int]:
    """(wall s, model s, sequences) of a Necessity Test on one random window."""
    _, tiles = tile_grid(ENFORMER_LAYOUT.seq_length, 5_000)
    eng = Engine(model, batch_size=batch, seed=0, progress=False)
    t0 = time.perf_counter()
    necessity_test(eng, random_sequence(3), tiles, n_shuffles=shuffles, name="bench")
    wall = time.perf_counter() - t0
    return wall, eng.stats.model_seconds, eng.stats.predicted


def gpu_part(args, device: str = "cuda", dim: int = 1536, depth: int = 11) -> None:
    """The GPU section; ``--check-gpu-code`` runs it on the CPU at a small size (to test it without a GPU)."""
    from creme_lib.models.enformer_torch import EnformerTorch

    name = torch.cuda.get_device_name(0) if device == "cuda" else f"CPU (code-path check, dim {dim}, depth {depth})"
    peak = next((v for k, v in BF16_PEAK.items() if k in name), None)
    net = enformer_net(dim, depth).to(device)
    repeats = 3 if device == "cuda" else 1  # the CPU check shows the code runs; its speed means nothing
    flops = flops_per_sequence(net, torch.device(device))
    roof = peak / flops if peak else float("nan")
    print(f"GPU: {name}; Enformer (PyTorch, random weights) {flops / 1e12:.2f} TFLOP per sequence; "
          f"dense-bf16 roofline {roof:.0f} seq/s" + ("" if peak else " (peak of this GPU unknown)"))
    print(f"{'backend':<10} {'precision':<9} {'batch':>5} {'seq/s':>8} {'of roofline':>11}")
    for precision in ("fp32", "bf16"):
        model = EnformerTorch(net, tracks=[TRACK], bins=BINS, track_names=[str(i) for i in range(5313)],
                              device=device, precision=precision)
        for b in args.batch_sizes:
            try:
                sps = throughput(model, b, repeats)
            except torch.OutOfMemoryError:
                print(f"{'torch':<10} {precision:<9} {b:>5} {'OOM':>8}")
                if device == "cuda":
                    torch.cuda.empty_cache()
                break
            print(f"{'torch':<10} {precision:<9} {b:>5} {sps:>8.1f} {sps / roof:>10.1%}")
    import tensorflow as tf
    from _enformer_tf import EnformerTF, EnformerTFModel

    for precision, dtype in (("fp32", tf.float32), ("bf16", tf.bfloat16)):
        tfm = EnformerTFModel(EnformerTF(channels=dim, depth=depth, dtype=dtype), bins=BINS, tracks=[TRACK])
        for b in args.batch_sizes:
            try:
                sps = throughput(tfm, b, repeats)
            except tf.errors.ResourceExhaustedError:
                print(f"{'tf':<10} {precision:<9} {b:>5} {'OOM':>8}")
                break
            print(f"{'tf':<10} {precision:<9} {b:>5} {sps:>8.1f} {sps / roof:>10.1%}")
        del tfm
    if args.tf_savedmodel:
        from creme_lib.models.enformer import Enformer

        hub = Enformer(args.tf_savedmodel, tracks=[TRACK], bins=BINS)
        for b in args.batch_sizes:
            sps = throughput(hub, b)
            print(f"{'tf-hub':<10} {'fp32':<9} {b:>5} {sps:>8.1f} {sps / roof:>10.1%}")
    # A CPU without bf16 units runs bf16 convolutions ~20x slower than fp32 (22 s per sequence at
    # dim 96): the check's Necessity Test runs in fp32 there; the bf16 rows above cover that path.
    nec_precision = "bf16" if device == "cuda" else "fp32"
    model = EnformerTorch(net, tracks=[TRACK], bins=BINS, track_names=[str(i) for i in range(5313)],
                          device=device, precision=nec_precision)
    wall, in_model, n = creme_share(model, args.shuffles, max(args.batch_sizes))
    print(f"{'GPU' if device == 'cuda' else 'Checked'} Necessity Test ({nec_precision}): {n} sequences in {wall:.1f} s, "
          f"{n / wall:.1f} seq/s; CREME's share of wall time {1 - in_model / wall:.1%} (target < 5%)")


def cpu_part(args) -> None:
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    net = enformer_net(args.cpu_dim, args.cpu_depth)
    flops = flops_per_sequence(net, torch.device("cpu"))
    x = torch.from_numpy(random_sequence(2)[None])
    t0 = time.perf_counter()
    with torch.inference_mode():
        net(x)
    per_seq = time.perf_counter() - t0
    full = "published size" if (args.cpu_dim, args.cpu_depth) == (1536, 11) else f"dim {args.cpu_dim}, depth {args.cpu_depth}"
    print(f"CPU: Enformer ({full}) {flops / 1e12:.3f} TFLOP, {per_seq:.2f} s per sequence "
          f"({flops / per_seq / 1e9:.0f} GFLOP/s on {torch.get_num_threads()} threads)")

    free = CallableModel(lambda a: np.zeros((len(a), ENFORMER_LAYOUT.n_bins, 1), np.float32),
                         seq_length=ENFORMER_LAYOUT.seq_length, n_bins=ENFORMER_LAYOUT.n_bins,
                         bin_size=ENFORMER_LAYOUT.bin_size, bins=BINS)
    wall, _, n = creme_share(free, args.shuffles, 8)
    own = wall / n
    print(f"CPU Necessity Test with a model that costs nothing: {n} sequences in {wall:.2f} s, "
          f"{own * 1e3:.1f} ms of CREME's own time per sequence")
    print(f"CREME's share of wall time with a model of this Enformer's CPU cost: {100 * own / (own + per_seq):.3g}%")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    ap.add_argument("--shuffles", type=int, default=10, help="shuffles of the Necessity Test (paper: 10)")
    ap.add_argument("--tf-savedmodel", default=None, help="local TF Hub Enformer SavedModel for a tf-hub row")
    ap.add_argument("--cpu-dim", type=int, default=1536, help="channels of the Enformer timed on the CPU")
    ap.add_argument("--cpu-depth", type=int, default=11, help="transformer layers of the Enformer timed on the CPU")
    ap.add_argument("--check-gpu-code", action="store_true",
                    help="without a GPU, run the GPU section on the CPU at --cpu-dim/--cpu-depth (tests it)")
    args = ap.parse_args()
    if torch.cuda.is_available():
        gpu_part(args)
    else:
        print("GPU: skipped (torch sees no CUDA GPU)")
        if args.check_gpu_code:
            gpu_part(args, "cpu", args.cpu_dim, args.cpu_depth)
    cpu_part(args)


if __name__ == "__main__":
    main()
