"""CRE necessity test: shuffle one tile of the wild type at a time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from creme_lib.analysis import context_effect
from creme_lib.experiments._common import check_shuffles, long_frame, prepare
from creme_lib.inference import Engine
from creme_lib.models.base import Model
from creme_lib.perturb import SeqSpec, shuffled, wild_type
from creme_lib.tiles import check_tiles


@dataclass
class NecessityResult:
    """Output of :func:`necessity_test`.

    Attributes
    ----------
    tiles : numpy.ndarray
        ``(T, 2)`` tile coordinates, bp.
    wt : numpy.ndarray
        ``(K,)`` wild-type TSS activity.
    mut : numpy.ndarray
        ``(T, S, K)`` activity with tile ``t`` dinucleotide-shuffled (shuffle ``s``).
    """

    seq_id: str
    track_names: list[str]
    tiles: np.ndarray
    wt: np.ndarray
    mut: np.ndarray

    @property
    def effect(self) -> np.ndarray:
        """``(T, K)`` normalized shuffle effect ``(WT - mean MUT) / WT``.

        Positive: the tile is needed for activity (an enhancer); negative: a silencer.
        """
        return context_effect(self.wt[None], self.mut.mean(axis=1))

    def to_frame(self) -> pd.DataFrame:
        """One row per (tile, track), columns as the paper's ``necessity_test.csv``."""
        t = len(self.tiles)
        return long_frame(
            {"seq_id": [self.seq_id] * t, "tile_start": self.tiles[:, 0], "tile_end": self.tiles[:, 1]},
            {
                "Normalized shuffle effect": self.effect,
                "wt": np.broadcast_to(self.wt, (t, len(self.wt))),
                "mean_mut": self.mut.mean(axis=1),
                "std_mut": self.mut.std(axis=1),
            },
            self.track_names,
        )


def necessity_test(
    model: Model | Engine,
    x: np.ndarray | str,
    tiles: np.ndarray,
    n_shuffles: int = 10,
    name: str = "seq",
    **engine_kwargs,
) -> NecessityResult:
    """Is each tile needed? Dinucleotide-shuffle it in the wild type, one tile at a time.

    Sends ``1 + T * S`` sequences, built one batch at a time (creme-nn materializes all
    ``T x S x L x 4`` float64 mutants first: ~2.4 GB for Enformer's 38 tiles x 10 shuffles).

    Parameters
    ----------
    model : Model or Engine
    x : numpy.ndarray or str
        Wild-type window, one-hot ``(L, 4)``.
    tiles : array-like
        ``(T, 2)`` tiles ``[start, end)`` in bp (typically from :func:`creme_lib.tiles.tile_grid`).
    n_shuffles : int
        Shuffles per tile (paper: 10).
    name : str
        Sequence id (enters the seeds).
    """
    engine = prepare(model, x, name, **engine_kwargs)
    s = check_shuffles(n_shuffles)
    tiles = check_tiles(tiles, engine.seq_length)
    specs = [wild_type(name)]
    specs += [SeqSpec(name, None, (shuffled(a, b, ("necessity", k)),)) for a, b in tiles for k in range(s)]
    pred = engine.predict(specs, desc=f"necessity {name}")
    return NecessityResult(
        name, engine.model.selected_track_names, tiles, pred[0], pred[1:].reshape(len(tiles), s, -1)
    )
