"""A tiny, analytically checkable stand-in for Enformer's TF Hub SavedModel.

No network is available in tests, so the real weights (about 1 GB) cannot be fetched. This
module builds a SavedModel with the *same calling convention* as
``https://tfhub.dev/deepmind/enformer/1``:

* the loaded object has a ``.model`` attribute whose ``predict_on_batch(x)`` is a
  ``tf.function`` with input signature ``TensorSpec([None, 393216, 4], float32)``;
* it returns a dict of heads ``{'human': (N, 896, H), 'mouse': (N, 896, M)}``;
* output bin ``b`` covers 128 bp of the central 114,688 bp of the 393,216 bp input, i.e.
  input positions ``139264 + 128 * b`` to ``139264 + 128 * (b + 1)`` (Enformer crops
  139,264 bp, 1,088 bins of 128 bp, on each side).

What it computes (cheap and linear, so values *and* gradients are known in closed form):

.. math::

    y[n, b, t] = \\sum_c \\bar{x}[n, b, c] \\, W[c, t] + \\beta[t],
    \\qquad \\bar{x}[n, b, c] = \\frac{1}{128} \\sum_{p \\in \\text{bin } b} x[n, p, c]

with per-head weights ``W`` of shape ``(4, H)`` and bias ``beta`` of shape ``(H,)`` given by
:func:`head_weights`. :func:`expected_output` is the same formula in numpy.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

PADDED_LENGTH = 393_216  # bp the hub model takes
N_BINS = 896  # output bins, 128 bp each
BIN_SIZE = 128  # bp
CROP = 139_264  # bp cropped on each side of the padded input: (393216 - 896*128) / 2
HEADS = {"human": 7, "mouse": 3}  # tracks per head (real model: 5313 and 1643)


def head_weights(head: str) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic weights of one head.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``W`` of shape ``(4, H)`` (one row per base A, C, G, T) and bias ``(H,)``, float32.
        Distinct, non-zero values so that every track (and head) is distinguishable.
    """
    n = HEADS[head]
    offset = 0.0 if head == "human" else 10.0
    w = (np.arange(4 * n, dtype=np.float32).reshape(4, n) + 1.0 + offset) / 10.0
    w[1::2] *= -1.0  # signs alternate between bases, so "more C" lowers a track
    b = np.arange(n, dtype=np.float32) * 0.5 + offset
    return w.astype(np.float32), b.astype(np.float32)


class _Model(tf.Module):
    """The object found at ``hub.load(...).model``."""

    def __init__(self) -> None:
        super().__init__()
        # Variables (not constants) so that the SavedModel carries them like real weights.
        self.w = {h: tf.Variable(head_weights(h)[0], trainable=False, name=f"w_{h}") for h in HEADS}
        self.b = {h: tf.Variable(head_weights(h)[1], trainable=False, name=f"b_{h}") for h in HEADS}

    @tf.function(input_signature=[tf.TensorSpec([None, PADDED_LENGTH, 4], tf.float32)])
    def predict_on_batch(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        # Only the central 114,688 bp reach the output, like Enformer's crop layer.
        core = x[:, CROP : PADDED_LENGTH - CROP, :]
        pooled = tf.reduce_mean(tf.reshape(core, [-1, N_BINS, BIN_SIZE, 4]), axis=2)  # (N, 896, 4)
        return {h: tf.einsum("nbc,ct->nbt", pooled, self.w[h]) + self.b[h] for h in HEADS}


def build_tiny_enformer(directory: str | os.PathLike) -> Path:
    """Save the stand-in as a SavedModel in ``directory`` and return that path.

    Load it with ``tensorflow_hub.load(str(directory))`` (or pass the directory as
    ``Enformer(handle=...)``).
    """
    root = tf.Module()
    root.model = _Model()
    path = Path(directory)
    tf.saved_model.save(root, str(path))
    return path


def expected_output(x_padded: np.ndarray, head: str = "human") -> np.ndarray:
    """The stand-in's output in numpy.

    Parameters
    ----------
    x_padded : numpy.ndarray
        ``(N, 393216, 4)`` input as the hub model sees it (already padded).
    head : str
        ``'human'`` or ``'mouse'``.

    Returns
    -------
    numpy.ndarray
        ``(N, 896, H)`` float64.
    """
    w, b = head_weights(head)
    core = np.asarray(x_padded, dtype=np.float64)[:, CROP : PADDED_LENGTH - CROP]
    pooled = core.reshape(len(core), N_BINS, BIN_SIZE, 4).mean(axis=2)
    return pooled @ w.astype(np.float64) + b


def track_names(head: str = "human") -> list[str]:
    """Names for the stand-in's tracks, e.g. ``['human_0', ..., 'human_6']``."""
    return [f"{head}_{i}" for i in range(HEADS[head])]
