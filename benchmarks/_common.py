"""Shared set-up of the benchmarks: a cheap Enformer-shaped model and timing helpers."""

from __future__ import annotations

import os
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SEQ_LENGTH, N_BINS, BIN_SIZE, CROP = 196_608, 896, 128, 40_960
TSS_BINS = [447, 448]


def random_sequence(seed: int = 0) -> np.ndarray:
    """A random one-hot ``(196608, 4)`` float32 window (41% GC)."""
    rng = np.random.default_rng(seed)
    tokens = rng.choice(4, SEQ_LENGTH, p=[0.295, 0.205, 0.205, 0.295])
    return np.eye(4, dtype=np.float32)[tokens]


class Counter:
    """Counts sequences passed to a model function."""

    def __init__(self) -> None:
        self.n = 0


def cheap_enformer(counter: Counter) -> Callable[[np.ndarray], np.ndarray]:
    """``(N, 196608, 4) -> (N, 896, 1)``: GC fraction per 128 bp bin of the central 114,688 bp.

    Its cost (~0.1 ms per sequence) is small next to a real Enformer, so the benchmark
    measures what CREME's own code costs around the model.
    """

    def fn(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        counter.n += x.shape[0]
        gc = x[:, CROP:-CROP, 1] + x[:, CROP:-CROP, 2]
        return gc.reshape(x.shape[0], N_BINS, BIN_SIZE).mean(-1)[..., None]

    return fn


class CremeNNModel:
    """The same function behind creme-nn's model interface (``predict`` + ``seq_length``),
    returning the TSS bins as creme-nn's Enformer wrapper does."""

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray]):
        self.fn = fn
        self.seq_length = SEQ_LENGTH

    def predict(self, x: np.ndarray) -> np.ndarray:
        if x.ndim == 2:
            x = x[None]
        return self.fn(x)[:, TSS_BINS, :]


def timed(fn: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Best wall time in s over ``repeat`` runs, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_alloc_mb(fn: Callable[[], object]) -> float:
    """Peak Python/numpy heap allocated while ``fn`` runs, MB (tracemalloc)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
