"""TensorFlow backends: a common base (:class:`TFModel`) and :class:`KerasModel`.

Both select bins and tracks with ``tf.gather`` *inside* a ``tf.function``, so only the
selected slice ``(N, len(bins), len(tracks))`` is copied from the accelerator to the host.
The selection indices are passed as tensors, so changing ``bins``/``tracks`` does not
retrace the function.
"""

from __future__ import annotations

import os

# Quiet TF's C++ start-up chatter unless the user asked otherwise.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from abc import abstractmethod  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from creme_lib.models.base import Model, resolve_bins, resolve_tracks  # noqa: E402
from creme_lib.sequence import check_one_hot  # noqa: E402


class TFModel(Model):
    """Base of TensorFlow-backed models.

    Subclasses set the :class:`~creme_lib.models.base.Model` attributes, implement
    ``_forward`` (a traceable map ``(N, seq_length, 4) -> (N, n_bins, n_tracks)``) and
    call ``_build_tf_functions`` once ``seq_length`` is known.
    """

    @abstractmethod
    def _forward(self, x: tf.Tensor) -> tf.Tensor:
        """Full output ``(N, n_bins, n_tracks)`` float32 of a batch ``(N, seq_length, 4)``."""

    def _build_tf_functions(self) -> None:
        x_spec = tf.TensorSpec([None, self.seq_length, 4], tf.float32)
        idx = tf.TensorSpec([None], tf.int32)
        self._select_fn = tf.function(self._forward_selected, input_signature=[x_spec, idx, idx])
        self._grad_fn = tf.function(self._grad_selected, input_signature=[x_spec, idx, idx])

    def _forward_selected(self, x: tf.Tensor, bins: tf.Tensor, tracks: tf.Tensor) -> tf.Tensor:
        out = self._forward(x)
        return tf.gather(tf.gather(out, bins, axis=1), tracks, axis=2)

    def _grad_selected(self, x: tf.Tensor, bins: tf.Tensor, tracks: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = self._forward_selected(x, bins, tracks)
            # Sequences in a batch are independent at inference, so the gradient of the sum
            # of per-sequence means is each sequence's own gradient.
            objective = tf.reduce_sum(tf.reduce_mean(y, axis=[1, 2]))
        return tape.gradient(objective, x)

    @staticmethod
    def _indices(a: np.ndarray) -> tf.Tensor:
        return tf.constant(np.asarray(a, dtype=np.int32))

    def _predict(self, x: np.ndarray) -> np.ndarray:
        bins, tracks = self._indices(self.bins), self._indices(self.tracks)
        return self._select_fn(tf.constant(x, tf.float32), bins, tracks).numpy()

    def input_gradients(
        self,
        x: np.ndarray,
        bins: Sequence[int] | int | None = None,
        tracks: Sequence[int | str] | int | str | None = None,
    ) -> np.ndarray:
        """Gradient of the mean selected output with respect to the one-hot input.

        Parameters
        ----------
        x : numpy.ndarray
            One-hot ``(N, seq_length, 4)`` or a single ``(seq_length, 4)``.
        bins : int or sequence of int, optional
            Output bins to average; default the model's selection ``bins``.
        tracks : int, str or sequence, optional
            Tracks (indices or names) to average; default the model's ``tracks``.

        Returns
        -------
        numpy.ndarray
            ``(N, seq_length, 4)`` float32: ``d mean_{bins, tracks} y[n] / d x[n, p, c]``
            (``N = 1`` for a single sequence). For Enformer the gradient is with respect to
            the 196,608 bp window, not the zero padding.
        """
        x = np.asarray(x)
        if x.ndim == 2:
            x = x[None]
        x = check_one_hot(x, length=self.seq_length, batch=True)
        b = self.bins if bins is None else resolve_bins(bins, self.n_bins)
        t = self.tracks if tracks is None else resolve_tracks(tracks, self.track_names)
        return self._grad_fn(tf.constant(x, tf.float32), self._indices(b), self._indices(t)).numpy()


def _static_shape(tensor_like: Any) -> tuple[int | None, ...] | None:
    """Shape of a (Keras) symbolic tensor as a tuple, ``None`` where unknown."""
    shape = getattr(tensor_like, "shape", None)
    if shape is None:
        return None
    try:
        return tuple(tf.TensorShape(shape).as_list())
    except (TypeError, ValueError):
        return None


class KerasModel(TFModel):
    """Wrap a Keras model ``(N, L, 4) -> (N, n_bins, n_tracks)`` or ``(N, n_tracks)``.

    Works with ``tf_keras`` (Keras 2) and Keras 3 on the TensorFlow backend.

    Parameters
    ----------
    model : keras.Model
        Single input of shape ``(None, L, 4)``; single output of rank 3
        ``(None, n_bins, n_tracks)`` or rank 2 ``(None, n_tracks)`` (one bin).
    bin_size : int
        bp per output bin (informational; 1 by default).
    track_names : sequence of str, optional
        Names of the output tracks; default ``"0", "1", ...``.
    bins, tracks : optional
        Selection returned by :meth:`~creme_lib.models.base.Model.predict` (bins by index; tracks by index or name).
    seq_length : int, optional
        Input length in bp; needed only if the model's input length is ``None``.

    Raises
    ------
    ValueError
        If the input is not ``(None, L, 4)``, the output rank is not 2 or 3, the model has
        several inputs/outputs, or ``track_names`` has the wrong length.

    Notes
    -----
    When the output shape is not static, one probe call on an all-zero sequence finds it.
    """

    def __init__(
        self,
        model: Any,
        bin_size: int = 1,
        track_names: Sequence[str] | None = None,
        bins: Sequence[int] | int | None = None,
        tracks: Sequence[int | str] | int | str | None = None,
        seq_length: int | None = None,
    ):
        self.keras_model = model
        inputs = getattr(model, "inputs", None) or []
        if len(inputs) > 1:
            raise ValueError(f"KerasModel needs a single-input model, got {len(inputs)} inputs")
        in_shape = _static_shape(inputs[0]) if inputs else None
        if in_shape is not None:
            if len(in_shape) != 3 or in_shape[2] != 4:
                raise ValueError(f"model input must be (None, L, 4) one-hot, got {in_shape}")
            if in_shape[1] is not None:
                if seq_length is not None and int(seq_length) != in_shape[1]:
                    raise ValueError(f"seq_length={seq_length} but the model input is {in_shape}")
                seq_length = in_shape[1]
        if seq_length is None:
            raise ValueError("the model's input length is unknown; pass seq_length (bp)")
        if int(seq_length) <= 0 or int(bin_size) <= 0:
            raise ValueError(f"seq_length and bin_size must be positive, got {seq_length}, {bin_size}")
        self.seq_length = int(seq_length)
        self.bin_size = int(bin_size)

        outputs = getattr(model, "outputs", None) or []
        if len(outputs) > 1:
            raise ValueError(f"KerasModel needs a single-output model, got {len(outputs)} outputs")
        out_shape = _static_shape(outputs[0]) if outputs else None
        if out_shape is None or any(d is None for d in out_shape[1:]):
            # Subclassed or length-agnostic model: run it once to learn the output shape.
            probe = model(tf.zeros([1, self.seq_length, 4], tf.float32), training=False)
            if isinstance(probe, (list, tuple, dict)):
                raise ValueError(f"KerasModel needs a single-output model, got a {type(probe).__name__}")
            out_shape = (None, *tf.TensorShape(probe.shape).as_list()[1:])
        if len(out_shape) == 3:
            self._rank2 = False
            self.n_bins, n_tracks = int(out_shape[1]), int(out_shape[2])
        elif len(out_shape) == 2:
            self._rank2 = True  # (N, tracks): a single bin
            self.n_bins, n_tracks = 1, int(out_shape[1])
        else:
            raise ValueError(
                f"model output must be (N, bins, tracks) or (N, tracks), "
                f"got rank {len(out_shape)}: {out_shape}"
            )

        if track_names is None:
            track_names = [str(i) for i in range(n_tracks)]
        if len(track_names) != n_tracks:
            raise ValueError(f"{len(track_names)} track_names given but the model outputs {n_tracks} tracks")
        self.track_names = tuple(str(n) for n in track_names)
        self._set_selection(bins, tracks)
        self._build_tf_functions()

    def _forward(self, x: tf.Tensor) -> tf.Tensor:
        out = tf.cast(self.keras_model(x, training=False), tf.float32)
        return out[:, None, :] if self._rank2 else out
