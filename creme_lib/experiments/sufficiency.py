"""CRE sufficiency test: one tile with the TSS tile in shuffled backgrounds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from creme_lib.analysis import normalized_tile_effect
from creme_lib.experiments._common import check_shuffles, check_tss_and_tiles, long_frame, prepare
from creme_lib.inference import Engine
from creme_lib.models.base import Model
from creme_lib.perturb import SeqSpec, keep, wild_type


@dataclass
class SufficiencyResult:
    """Output of :func:`sufficiency_test`.

    Attributes
    ----------
    tiles : numpy.ndarray
        ``(T, 2)`` tile coordinates, bp.
    wt : numpy.ndarray
        ``(K,)`` wild-type TSS activity.
    control : numpy.ndarray
        ``(S, K)`` activity of shuffled background ``s`` holding only the TSS tile.
    mut : numpy.ndarray
        ``(T, S, K)`` activity of the same background ``s`` holding the TSS tile and tile ``t``.
        Control and test share backgrounds, so ``mut[t, s] - control[s]`` is a paired
        difference.
    """

    seq_id: str
    track_names: list[str]
    tiles: np.ndarray
    wt: np.ndarray
    control: np.ndarray
    mut: np.ndarray

    @property
    def effect_over_wt(self) -> np.ndarray:
        """``(T, K)`` ``(MUT - CONTROL) / WT`` (the paper normalizes enhancers this way)."""
        return normalized_tile_effect(self.mut.mean(1), self.control.mean(0)[None], self.wt[None])

    @property
    def effect_over_control(self) -> np.ndarray:
        """``(T, K)`` ``(MUT - CONTROL) / CONTROL`` (used for neutral and silencing contexts)."""
        c = self.control.mean(0)[None]
        return normalized_tile_effect(self.mut.mean(1), c, c)

    def to_frame(self) -> pd.DataFrame:
        """One row per (tile, track), columns as the paper's ``sufficiency_test.csv``."""
        t, k = len(self.tiles), len(self.wt)
        return long_frame(
            {"seq_id": [self.seq_id] * t, "tile_start": self.tiles[:, 0], "tile_end": self.tiles[:, 1]},
            {
                "(MUT - CONTROL) / WT": self.effect_over_wt,
                "(MUT - CONTROL) / CONTROL": self.effect_over_control,
                "control": np.broadcast_to(self.control.mean(0), (t, k)),
                "wt": np.broadcast_to(self.wt, (t, k)),
                "mut": self.mut.mean(1),
                "std_mut": self.mut.std(1),
            },
            self.track_names,
        )


def sufficiency_test(
    model: Model | Engine,
    x: np.ndarray | str,
    tss_tile: tuple[int, int],
    tiles: np.ndarray,
    n_shuffles: int = 10,
    name: str = "seq",
    **engine_kwargs,
) -> SufficiencyResult:
    """Is each tile, with the TSS tile alone, enough to restore activity?

    For each shuffle ``s`` one background is drawn (a dinucleotide shuffle of the whole
    window) and shared by the control (TSS tile only) and every tile's test sequence. This
    pairs control and test; creme-nn re-draws the background for every tile, which both
    unpairs them and sends ``1 + 2 T S`` sequences instead of ``1 + S + T S``.

    Parameters
    ----------
    model : Model or Engine
    x : numpy.ndarray or str
        Wild-type window, one-hot ``(L, 4)``.
    tss_tile : (int, int)
        TSS tile ``[start, end)``, bp.
    tiles : array-like
        ``(T, 2)`` tiles, bp; none may overlap the TSS tile.
    n_shuffles : int
        Backgrounds to average over (paper: 10).
    name : str
        Sequence id (enters the seeds).
    """
    engine = prepare(model, x, name, **engine_kwargs)
    s = check_shuffles(n_shuffles)
    tss, tiles = check_tss_and_tiles(engine, tss_tile, tiles)
    bgs = [SeqSpec(name, ("sufficiency", k), (keep(*tss),)) for k in range(s)]
    specs = [wild_type(name), *bgs]
    specs += [bg.with_edits(keep(a, b)) for a, b in tiles for bg in bgs]
    pred = engine.predict(specs, desc=f"sufficiency {name}")
    return SufficiencyResult(
        name,
        engine.model.selected_track_names,
        tiles,
        pred[0],
        pred[1 : 1 + s],
        pred[1 + s :].reshape(len(tiles), s, -1),
    )
