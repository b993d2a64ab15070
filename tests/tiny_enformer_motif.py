"""A tiny SavedModel with TF Hub Enformer's signature *and* the real human head (5,313 tracks).

``tiny_enformer.py``'s stand-in has 7 tracks, so the pipeline's ``enformer`` preset, which
reads the cell line's CAGE track (K562: 5111), cannot run on it. This one has the published
head size, so the preset runs unchanged, and it responds to what CREME perturbs: besides the
binned base composition (which a dinucleotide shuffle keeps) every track sees the GATA sites
(``GATAAG`` on either strand, the K562 enhancers' motif in the embedded world) of the whole
input, weighted by ``exp(-|d| / 20 kb)`` from the output bin:

    y[n, b, t] = pooled[n, b] @ W[:, t] + beta[t] + a[t] * sum_i hits[n, i] exp(-|c_i - c_b| / 20 kb)

with ``a[t] = 1`` on K562's track 5111 and alternating +-0.5 elsewhere; bins ``i`` are the
3,072 input bins of 128 bp, ``c`` bin centres.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tiny_enformer import BIN_SIZE, CROP, N_BINS, PADDED_LENGTH  # noqa: E402

N_TRACKS = 5313
MOTIF = "GATAAG"
DECAY_BP = 20_000.0
N_INPUT_BINS = PADDED_LENGTH // BIN_SIZE  # 3,072


def _filters() -> np.ndarray:
    """``(6, 4, 2)``: the motif and its reverse complement as one-hot filters."""
    idx = {"A": 0, "C": 1, "G": 2, "T": 3}
    fwd = np.eye(4, dtype=np.float32)[[idx[c] for c in MOTIF]]
    return np.stack([fwd, fwd[::-1, ::-1]], axis=-1)


def _decay() -> np.ndarray:
    """``(3072, 896)``: weight of input bin ``i`` for output bin ``b``."""
    centre_in = (np.arange(N_INPUT_BINS) + 0.5) * BIN_SIZE
    centre_out = CROP + (np.arange(N_BINS) + 0.5) * BIN_SIZE
    return np.exp(-np.abs(centre_in[:, None] - centre_out[None, :]) / DECAY_BP).astype(np.float32)


def _heads() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.arange(N_TRACKS, dtype=np.float32)
    w = np.stack([np.cos(t), -np.sin(t), np.sin(2 * t), -np.cos(2 * t)]).astype(np.float32)  # (4, T)
    b = (5.0 + (t % 7)).astype(np.float32)
    a = np.where(t % 2 == 0, 0.5, -0.5).astype(np.float32)
    a[5111] = 1.0
    return w, b, a


class _Model(tf.Module):
    def __init__(self) -> None:
        super().__init__()
        w, b, a = _heads()
        self.w = tf.Variable(w, trainable=False, name="w")
        self.b = tf.Variable(b, trainable=False, name="b")
        self.a = tf.Variable(a, trainable=False, name="a")
        self.filters = tf.Variable(_filters(), trainable=False, name="filters")
        self.decay = tf.Variable(_decay(), trainable=False, name="decay")

    @tf.function(input_signature=[tf.TensorSpec([None, PADDED_LENGTH, 4], tf.float32)])
    def predict_on_batch(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        core = x[:, CROP : PADDED_LENGTH - CROP, :]
        pooled = tf.reduce_mean(tf.reshape(core, [-1, N_BINS, BIN_SIZE, 4]), axis=2)
        score = tf.nn.conv1d(x, self.filters, stride=1, padding="SAME")  # (N, L, 2)
        hits = tf.reduce_sum(tf.nn.relu(score - (len(MOTIF) - 1)), axis=-1)  # 1 at an exact site
        binned = tf.reduce_sum(tf.reshape(hits, [-1, N_INPUT_BINS, BIN_SIZE]), axis=2)  # (N, 3072)
        act = tf.matmul(binned, self.decay)  # (N, 896)
        y = tf.einsum("nbc,ct->nbt", pooled, self.w) + self.b + act[:, :, None] * self.a
        return {"human": y}


def build_motif_enformer(directory: str | os.PathLike) -> Path:
    """Save the stand-in as a SavedModel in ``directory`` (load with ``Enformer(handle=directory)``)."""
    root = tf.Module()
    root.model = _Model()
    path = Path(directory)
    tf.saved_model.save(root, str(path))
    return path
