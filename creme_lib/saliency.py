"""Gradient-based attribution maps for TF-backed models.

CREME itself is perturbation-based; saliency maps are a cheap first look at which positions
a model is sensitive to (e.g. to compare with CREME's tile importance).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from creme_lib.models.base import Model


def gradient_x_input(
    model: Model,
    x: np.ndarray,
    bins: Sequence[int] | int | None = None,
    tracks: Sequence[int | str] | int | str | None = None,
) -> np.ndarray:
    """Gradient x input attribution of the mean selected prediction.

    Parameters
    ----------
    model : Model
        A differentiable backend of this package, i.e. one with ``input_gradients``
        (:class:`~creme_lib.models.enformer.Enformer`,
        :class:`~creme_lib.models.keras.KerasModel`).
    x : numpy.ndarray
        One-hot ``(N, seq_length, 4)`` or a single ``(seq_length, 4)``.
    bins, tracks : optional
        Output bins / tracks averaged into the scalar being explained; default the model's
        current selection.

    Returns
    -------
    numpy.ndarray
        ``(N, seq_length)`` float32 (``N = 1`` for a single sequence): at each position the
        gradient times the input summed over the 4 bases, i.e. for one-hot input the
        gradient at the observed base (0 at ``N``). Units: output units per base.

    Raises
    ------
    TypeError
        If the model is not differentiable through this package (no ``input_gradients``).
    """
    # Duck typing keeps this module free of a TensorFlow import.
    grad_fn = getattr(model, "input_gradients", None)
    if not callable(grad_fn):
        raise TypeError(
            f"gradient_x_input needs a TF-backed model (Enformer, KerasModel); got {type(model).__name__}"
        )
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:
        x = x[None]
    grads = np.asarray(grad_fn(x, bins=bins, tracks=tracks), dtype=np.float32)
    return (grads * x).sum(axis=-1)
