"""The world's ground-truth model behind the published models' interfaces: stand-ins for the ``borzoi`` and ``enformer`` presets.

:func:`borzoi_sized_model` takes Borzoi's window (``(N, 524288, 4)``) and returns Borzoi's
output layout (6,144 bins of 32 bp over the central 196,608 bp), computed by
:class:`~creme_lib.world.model.SyntheticModel` on the central 196,608 bp: each of its 128 bp
bins becomes four 32 bp bins (Borzoi bins ``1280 + 4j`` to ``1283 + 4j`` for world bin ``j``);
bins outside its 114,688 bp of output are 0. Borzoi's TSS bins 3068-3075 are world bins 447
and 448. Sequence beyond the central 196,608 bp is invisible to it, so the outer tiles of a
Borzoi-sized grid never matter: it checks the preset's sizes, tile grid, tables and file names,
not Borzoi's biology. Use it as ``--config overrides="{model_factory:
creme_lib.world.standin:borzoi_sized_model, max_n_fraction: 1.0}"`` (the world's windows are
196,608 bp apart, so a 524,288 bp window reaches past the chromosome ends).

:func:`enformer_sized_model` is the world's model itself under the ``enformer`` preset, so two
fresh runs on the world (``results/enformer``, ``results/borzoi``) feed the Enformer-versus-Borzoi
page (Extended Data Fig. 2) as the paper's two runs do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from creme_lib.models.base import CallableModel
from creme_lib.models.layouts import BORZOI_LAYOUT, ENFORMER_LAYOUT

#: Borzoi output bins per world bin (128 bp / 32 bp).
UPSAMPLE = ENFORMER_LAYOUT.bin_size // BORZOI_LAYOUT.bin_size
#: Window position (bp) of the world model's input start inside Borzoi's window.
INPUT_OFFSET = (BORZOI_LAYOUT.seq_length - ENFORMER_LAYOUT.seq_length) // 2
#: Borzoi output bin of the world model's output bin 0.
FIRST_BIN = (INPUT_OFFSET + ENFORMER_LAYOUT.bin_offset - BORZOI_LAYOUT.bin_offset) // BORZOI_LAYOUT.bin_size


def borzoi_sized_model(cell_line: str, bins: Sequence[int] | None = None, batch_size: int = 4) -> CallableModel:
    """A 524,288 bp model with Borzoi's bins whose activity is the world's (see the module docstring).

    Parameters
    ----------
    cell_line : str
        K562, GM12878 or PC-3: the one output track.
    bins : sequence of int, optional
        Selected Borzoi bins (default all 6,144).
    batch_size : int
        Batch of the world model's compiled call.

    Returns
    -------
    CallableModel
        ``predict``: ``(N, 524288, 4)`` -> ``(N, len(bins), 1)``.
    """
    from creme_lib.world.model import SyntheticModel

    world = SyntheticModel(tracks=[cell_line], batch_size=batch_size)
    lo, span = INPUT_OFFSET, ENFORMER_LAYOUT.seq_length

    def fn(x: np.ndarray) -> np.ndarray:
        inner = world.predict(np.ascontiguousarray(x[:, lo : lo + span]))  # (N, 896, 1)
        out = np.zeros((len(x), BORZOI_LAYOUT.n_bins, 1), np.float32)
        out[:, FIRST_BIN : FIRST_BIN + UPSAMPLE * inner.shape[1]] = np.repeat(inner, UPSAMPLE, axis=1)
        return out

    return CallableModel(
        fn, seq_length=BORZOI_LAYOUT.seq_length, n_bins=BORZOI_LAYOUT.n_bins, bin_size=BORZOI_LAYOUT.bin_size,
        track_names=[f"world:{cell_line}"], bins=bins,
    )


def enformer_sized_model(cell_line: str, bins: Sequence[int] | None = None, batch_size: int = 4):
    """The world's :class:`~creme_lib.world.model.SyntheticModel` for one cell line (Enformer's layout).

    Returns
    -------
    SyntheticModel
        ``predict``: ``(N, 196608, 4)`` -> ``(N, len(bins), 1)``.
    """
    from creme_lib.world.model import SyntheticModel

    return SyntheticModel(bins=None if bins is None else list(bins), tracks=[cell_line], batch_size=batch_size)
