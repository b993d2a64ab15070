"""Enformer's architecture in plain TensorFlow with random weights, for throughput benchmarks only.

The TF Hub model is the only full-size TensorFlow Enformer, and it cannot be fetched offline;
this rebuilds its layer shapes (Avsec et al. 2021, Methods) so that its cost can be measured:

* stem: conv 15 (C/2 channels), residual pointwise conv block, softmax pooling by 2;
* tower: 6 blocks (C/2 ... C channels, multiples of 128): conv block 5, residual conv block 1,
  softmax pooling by 2 (196,608 bp -> 1,536 positions of 128 bp);
* 11 transformer layers: multi-head attention (8 heads, keys 64, values C/8) with relative
  position logits over all 2L-1 offsets, and a 2C-wide feed-forward block, both residual;
* crop to 896 bins, pointwise conv block to 2C, softplus head of 5,313 tracks.

Positional features are random (the real ones are fixed basis functions of the same size), so
the FLOPs and memory traffic are Enformer's, the predictions meaningless. Under ``bf16`` every
matmul and convolution runs in bfloat16; normalizations and softmax in float32.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from creme_lib.models.keras import TFModel
from creme_lib.models.layouts import ENFORMER_LAYOUT


def tower_widths(channels: int, n: int = 6, step: int = 128) -> list[int]:
    """Exponentially spaced widths from C/2 to C, rounded to ``step`` (Enformer: 768 ... 1536)."""
    lo, hi = channels // 2, channels
    w = lo * (hi / lo) ** (np.arange(n) / (n - 1))
    return [int(round(v / step) * step) or step for v in w]


class EnformerTF(tf.Module):
    """``(N, L, 4)`` -> ``(N, 896, tracks)``; see the module docstring."""

    def __init__(self, channels: int = 1536, depth: int = 11, heads: int = 8, n_tracks: int = 5313,
                 seq_length: int = ENFORMER_LAYOUT.seq_length, dtype: tf.DType = tf.float32, seed: int = 0):
        super().__init__()
        self.dtype, self.heads, self.key = dtype, heads, 64
        self.value = channels // heads
        self.n_pos = seq_length // 128
        rng = np.random.default_rng(seed)

        def var(*shape, scale=None):
            scale = scale or 1.0 / np.sqrt(np.prod(shape[:-1]))
            return tf.Variable(rng.normal(0, scale, shape).astype(np.float32), trainable=False)

        step = 128 if channels >= 1024 else 16
        widths = tower_widths(channels, step=step)
        c0 = channels // 2
        self.stem = (var(15, 4, c0), self._block(var, c0, c0, 1), var(c0, c0))
        self.tower, prev = [], c0
        for w in widths:
            self.tower.append((self._block(var, prev, w, 5), self._block(var, w, w, 1), var(w, w)))
            prev = w
        self.layers = [
            dict(q=var(channels, heads * 64), k=var(channels, heads * 64), v=var(channels, heads * self.value),
                 o=var(heads * self.value, channels), rk=var(self.value, heads * 64),
                 ub=var(heads, 64, scale=0.1), vb=var(heads, 64, scale=0.1),
                 f1=var(channels, 2 * channels), f2=var(2 * channels, channels))
            for _ in range(depth)
        ]
        self.pos = tf.constant(rng.normal(0, 1, (2 * self.n_pos - 1, self.value)).astype(np.float32))
        self.final = self._block(var, channels, 2 * channels, 1)
        self.head = (var(2 * channels, n_tracks), tf.Variable(np.zeros(n_tracks, np.float32), trainable=False))

    @staticmethod
    def _block(var, c_in: int, c_out: int, width: int):
        """Batch norm (inference: scale and shift), GELU, convolution."""
        return (tf.Variable(np.ones(c_in, np.float32), trainable=False), tf.Variable(np.zeros(c_in, np.float32), trainable=False),
                var(width, c_in, c_out))

    def _c(self, w: tf.Variable) -> tf.Tensor:
        return tf.cast(w, self.dtype)

    def _conv_block(self, x, blk):
        g, b, w = blk
        x = tf.nn.gelu(x * self._c(g) + self._c(b))
        return tf.nn.conv1d(x, self._c(w), 1, "SAME")

    def _pool(self, x, w):
        n, length, c = tf.shape(x)[0], tf.shape(x)[1], x.shape[-1]
        x = tf.reshape(x, [n, length // 2, 2, c])
        logits = tf.cast(tf.einsum("nlpc,cd->nlpd", x, self._c(w)), tf.float32)
        return tf.reduce_sum(x * tf.cast(tf.nn.softmax(logits, axis=2), self.dtype), axis=2)

    def _attention(self, x, p):
        n, length = tf.shape(x)[0], self.n_pos
        q = tf.reshape(x @ self._c(p["q"]), [n, length, self.heads, self.key]) * (self.key ** -0.5)
        k = tf.reshape(x @ self._c(p["k"]), [n, length, self.heads, self.key])
        v = tf.reshape(x @ self._c(p["v"]), [n, length, self.heads, self.value])
        rk = tf.reshape(self._c(self.pos) @ self._c(p["rk"]), [2 * length - 1, self.heads, self.key])
        content = tf.einsum("nqhd,nkhd->nhqk", q + self._c(p["ub"]), k)
        rel = tf.einsum("nqhd,khd->nhqk", q + self._c(p["vb"]), rk)  # (N, H, L, 2L-1)
        # Relative shift: row i keeps offsets (j - i) for j = 0..L-1.
        rel = tf.reshape(tf.pad(rel, [[0, 0], [0, 0], [0, 0], [1, 0]]), [n, self.heads, 2 * length, length])
        rel = tf.reshape(rel[:, :, 1:], [n, self.heads, length, 2 * length - 1])[:, :, :, length - 1:]
        attn = tf.cast(tf.nn.softmax(tf.cast(content + rel, tf.float32), axis=-1), self.dtype)
        out = tf.reshape(tf.einsum("nhqk,nkhd->nqhd", attn, v), [n, length, self.heads * self.value])
        return out @ self._c(p["o"])

    @staticmethod
    def _ln(x):
        xf = tf.cast(x, tf.float32)
        mu, var = tf.nn.moments(xf, axes=[-1], keepdims=True)
        return tf.cast((xf - mu) * tf.math.rsqrt(var + 1e-3), x.dtype)

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        x = tf.cast(x, self.dtype)
        w0, blk, pw = self.stem
        x = tf.nn.conv1d(x, self._c(w0), 1, "SAME")
        x = self._pool(x + self._conv_block(x, blk), pw)
        for b5, b1, pw in self.tower:
            x = self._conv_block(x, b5)
            x = self._pool(x + self._conv_block(x, b1), pw)
        for p in self.layers:
            x = x + self._attention(self._ln(x), p)
            y = tf.nn.relu(self._ln(x) @ self._c(p["f1"]))
            x = x + y @ self._c(p["f2"])
        crop = (self.n_pos - ENFORMER_LAYOUT.n_bins) // 2
        x = x[:, crop : crop + ENFORMER_LAYOUT.n_bins]
        x = tf.nn.gelu(self._conv_block(x, self.final))
        w, b = self.head
        return tf.nn.softplus(tf.cast(x @ self._c(w), tf.float32) + b)


class EnformerTFModel(TFModel):
    """:class:`EnformerTF` as a creme_lib model (selection inside the ``tf.function``)."""

    def __init__(self, net: EnformerTF, bins, tracks, n_tracks: int = 5313):
        self.net = net
        self.seq_length, self.bin_size, self.n_bins = net.n_pos * 128, 128, ENFORMER_LAYOUT.n_bins
        self.track_names = tuple(str(i) for i in range(n_tracks))
        self._set_selection(bins, tracks)
        self._build_tf_functions()

    def _forward(self, x: tf.Tensor) -> tf.Tensor:
        return self.net(x)
