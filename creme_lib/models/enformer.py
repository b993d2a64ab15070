"""Enformer (Avsec et al. 2021) from TF Hub, as used by CREME.

The hub model takes ``(N, 393216, 4)`` one-hot sequences and returns a dict of heads
``{'human': (N, 896, 5313), 'mouse': (N, 896, 1643)}``: 896 bins of 128 bp covering the
central 114,688 bp of the input. CREME (Toneyan & Koo 2024) feeds it a 196,608 bp window
padded with 98,304 bp of zeros (``N``) on each side, so the model sees real sequence only
in the middle and the output bins cover window positions 40,960 to 155,648. A gene's TSS
placed at the window centre (98,304) falls between bins 447 and 448 (:data:`TSS_BINS`).

Example
-------
>>> from creme_lib.models.enformer import Enformer, CAGE_TRACKS, TSS_BINS
>>> model = Enformer(tracks=[CAGE_TRACKS["K562"]], bins=list(TSS_BINS))  # doctest: +SKIP
>>> model.predict(x).shape   # x: (N, 196608, 4)                           # doctest: +SKIP
(N, 2, 1)
"""

from __future__ import annotations

import os

# Quiet TF's C++ start-up chatter unless the user asked otherwise.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import warnings  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from typing import Any  # noqa: E402

import tensorflow as tf  # noqa: E402

from creme_lib.models.keras import TFModel  # noqa: E402
from creme_lib.models.layouts import ENFORMER_LAYOUT  # noqa: E402
from creme_lib.models.targets import ENFORMER_HEADS, enformer_track_names  # noqa: E402

#: TF Hub handle of the published model.
ENFORMER_URL = "https://tfhub.dev/deepmind/enformer/1"
#: bp of the window CREME passes to Enformer.
SEQ_LENGTH = ENFORMER_LAYOUT.seq_length
#: bp the hub model takes (the window plus zero padding).
PADDED_LENGTH = 393_216
#: bp per output bin.
BIN_SIZE = ENFORMER_LAYOUT.bin_size
#: Output bins per head.
N_BINS = ENFORMER_LAYOUT.n_bins
#: Human-head CAGE tracks used in the paper (index into the 5,313 tracks).
CAGE_TRACKS: dict[str, int] = {cell: tracks[0] for cell, tracks in ENFORMER_LAYOUT.cage_tracks.items()}
#: The two bins flanking the window centre, where CREME places the TSS.
TSS_BINS: tuple[int, int] = ENFORMER_LAYOUT.tss_bins  # type: ignore[assignment]

def _head_shapes(predict_fn: Any) -> tuple[int | None, dict[str, tuple[int | None, ...]]]:
    """Input length and per-head output shapes from a restored ``tf.function``'s signature.

    Returns ``(None, {})`` when the function carries no usable signature.
    """
    for cf in getattr(predict_fn, "concrete_functions", None) or []:
        try:
            (spec,), _ = cf.structured_input_signature
            outputs = cf.structured_outputs
        except (TypeError, ValueError, AttributeError):
            continue
        if isinstance(outputs, dict):
            length = tf.TensorShape(spec.shape).as_list()[1] if spec.shape.rank == 3 else None
            return length, {k: tuple(tf.TensorShape(v.shape).as_list()) for k, v in outputs.items()}
    return None, {}


class Enformer(TFModel):
    """Enformer on a 196,608 bp window, with on-device head, bin and track selection.

    Parameters
    ----------
    handle : str, path-like or loaded module
        TF Hub URL or local SavedModel directory (loaded with ``tensorflow_hub.load``), or
        an already-loaded module; it must expose ``.model.predict_on_batch(x)`` taking
        ``(N, padded_length, 4)`` float32 and returning a dict of heads.
    head : str
        Output head, ``'human'`` (5,313 tracks) or ``'mouse'`` (1,643) for the real model.
    tracks : int, str or sequence, optional
        Tracks returned by :meth:`~creme_lib.models.base.Model.predict`, by index or name (default all).
    bins : int or sequence of int, optional
        Bins returned by :meth:`~creme_lib.models.base.Model.predict` (default all 896).
    track_names : sequence of str, optional
        Names of the head's tracks. Default: the ``identifier`` column of the Enformer
        target table (:func:`creme_lib.models.targets.enformer_track_names`), or
        ``"0", "1", ...`` with a warning when that table is not available.
    seq_length : int
        bp of the window passed to :meth:`~creme_lib.models.base.Model.predict`; the rest of the model's input length is
        zero padding split equally between both ends.

    Attributes
    ----------
    head : str
    padded_length : int
        Input length of the hub model (393,216 bp).
    pad : int
        Zero bp added on each side (98,304).
    bin_offset : int
        Window position (bp) where output bin 0 starts (40,960 for the real model).

    Raises
    ------
    ValueError
        If the head is unknown, the module does not have the hub signature, the padding
        does not fit, or ``track_names`` (declared or from the table) disagrees with the
        number of tracks the loaded model outputs.

    Notes
    -----
    The whole batch given to :meth:`~creme_lib.models.base.Model.predict` goes to the device in one call; the caller
    (an engine) chooses the batch size. Only the selected ``(N, bins, tracks)`` slice is
    copied back.
    """

    def __init__(
        self,
        handle: Any = ENFORMER_URL,
        head: str = "human",
        tracks: Sequence[int | str] | int | str | None = None,
        bins: Sequence[int] | int | None = None,
        track_names: Sequence[str] | None = None,
        seq_length: int = SEQ_LENGTH,
    ):
        if isinstance(handle, (str, os.PathLike)):
            import tensorflow_hub as hub  # imported lazily: only needed to load

            self.handle = os.fspath(handle)
            self._module = hub.load(self.handle)
        else:
            self.handle = repr(handle)
            self._module = handle
        model = getattr(self._module, "model", None)
        self._predict_on_batch = getattr(model, "predict_on_batch", None)
        if self._predict_on_batch is None:
            raise ValueError(f"{self.handle} has no .model.predict_on_batch; is it Enformer's hub module?")

        padded_length, shapes = _head_shapes(self._predict_on_batch)
        padded_length = padded_length or PADDED_LENGTH
        if not shapes or any(d is None for s in shapes.values() for d in s[1:]):
            # No static signature: learn the heads' shapes from one all-N probe.
            probe = self._predict_on_batch(tf.zeros([1, padded_length, 4], tf.float32))
            shapes = {k: tuple(v.shape.as_list()) for k, v in probe.items()}
        if head not in shapes:
            raise ValueError(f"unknown Enformer head {head!r}; the model has heads {sorted(shapes)}")
        self.head = head
        self.n_bins, n_tracks = int(shapes[head][1]), int(shapes[head][2])
        self.bin_size = BIN_SIZE

        if seq_length <= 0 or seq_length > padded_length or (padded_length - seq_length) % 2:
            raise ValueError(
                f"seq_length={seq_length} bp cannot be zero-padded evenly to the model's {padded_length} bp"
            )
        self.seq_length = int(seq_length)
        self.padded_length = int(padded_length)
        self.pad = (self.padded_length - self.seq_length) // 2
        self.bin_offset = (self.seq_length - self.n_bins * self.bin_size) // 2

        source = "track_names"
        if track_names is None:
            source = f"the Enformer {head!r} target table"
            try:
                track_names = enformer_track_names(head) if head in ENFORMER_HEADS else None
            except FileNotFoundError as err:
                track_names = None
                warnings.warn(f"{err}; naming tracks by index", stacklevel=2)
            if track_names is None:
                track_names = [str(i) for i in range(n_tracks)]
        if len(track_names) != n_tracks:
            raise ValueError(
                f"{source} declares {len(track_names)} tracks but the loaded model's {head!r} "
                f"head outputs {n_tracks} tracks ({self.handle})"
            )
        self.track_names = tuple(str(n) for n in track_names)
        self._set_selection(bins, tracks)
        self._build_tf_functions()

    def _forward(self, x: tf.Tensor) -> tf.Tensor:
        # Zero rows are "N"; the padding is part of the traced graph, so gradients are taken
        # with respect to the unpadded window.
        x = tf.pad(x, [[0, 0], [self.pad, self.pad], [0, 0]])
        return self._predict_on_batch(x)[self.head]
