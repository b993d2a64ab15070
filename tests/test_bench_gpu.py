"""benchmarks/bench_gpu.py runs on a CPU-only machine: the GPU part skips, the CPU part measures CREME's share."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("enformer_pytorch")
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_gpu_benchmark_runs_on_the_cpu():
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2"}
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_gpu.py"), "--cpu-dim", "96", "--cpu-depth", "1",
           "--shuffles", "1", "--batch-sizes", "1", "--check-gpu-code"]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout
    assert "GPU: skipped (torch sees no CUDA GPU)" in out
    # The GPU section's code ran on the CPU at the small size: PyTorch and TensorFlow rows, both precisions.
    for backend in ("torch", "tf"):
        for precision in ("fp32", "bf16"):
            assert re.search(rf"^{backend}\s+{precision}\s+1\s+[0-9.]+", out, flags=re.M), (backend, precision, out)
    assert re.search(r"Checked Necessity Test \(fp32\): 39 sequences .* CREME's share of wall time [0-9.]+%", out)
    per_seq = float(re.search(r"TFLOP, ([0-9.]+) s per sequence", out).group(1))
    n = int(re.search(r"costs nothing: (\d+) sequences", out).group(1))
    share = float(re.search(r"CPU cost: ([0-9.]+)%", out).group(1))
    assert n == 38 + 1  # 38 tiles x 1 shuffle + the wild type
    assert per_seq > 0 and 0 < share < 100
