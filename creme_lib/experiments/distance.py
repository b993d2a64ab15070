"""TSS-CRE distance test: move one CRE tile across the window in fixed backgrounds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from creme_lib.experiments._common import check_shuffles, check_tss_and_cre, check_tss_and_tiles, long_frame, prepare
from creme_lib.inference import Engine
from creme_lib.models.base import Model
from creme_lib.perturb import SeqSpec, keep, move, wild_type


@dataclass
class DistanceResult:
    """Output of :func:`distance_test`.

    Attributes
    ----------
    cre_tile : (int, int)
        The CRE's original ``[start, end)``, bp.
    positions : numpy.ndarray
        ``(P,)`` start positions (bp) where the CRE was placed.
    distance : numpy.ndarray
        ``(P,)`` signed distance in bp from the TSS tile centre to the placed CRE's centre
        (negative = upstream in the window's orientation).
    wt : numpy.ndarray
        ``(K,)`` wild-type activity.
    control_tss : numpy.ndarray
        ``(S, K)`` background ``s`` with the TSS tile only.
    control : numpy.ndarray
        ``(S, K)`` background ``s`` with the TSS tile and the CRE at its original place.
    mut : numpy.ndarray
        ``(P, S, K)`` background ``s`` with the TSS tile and the CRE at position ``p``.
        All positions share the same ``S`` backgrounds.
    """

    seq_id: str
    track_names: list[str]
    cre_tile: tuple[int, int]
    positions: np.ndarray
    distance: np.ndarray
    wt: np.ndarray
    control_tss: np.ndarray
    control: np.ndarray
    mut: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per (position, track).

        ``Fold change over original position`` is MUT / (MUT with the CRE at its original
        place); the paper's ``Fold change over control`` (MUT over its maximum across
        positions) is :func:`creme_lib.analysis.fold_change_over_max` of ``mut``. ``Normalized CRE
        effect`` is (MUT - TSS-only control) / WT and ``Normalized CRE effect (control)`` the
        same over the TSS-only control, the paper's normalizations for enhancers and silencers.
        """
        p, k = len(self.positions), len(self.wt)
        mut = self.mut.mean(1)
        ctl = np.broadcast_to(self.control.mean(0), (p, k))
        ctl_tss = np.broadcast_to(self.control_tss.mean(0), (p, k))
        return long_frame(
            {
                "seq_id": [self.seq_id] * p,
                "tile_start": [self.cre_tile[0]] * p,
                "tile_end": [self.cre_tile[1]] * p,
                "position": self.positions,
                "distance_bp": self.distance,
                "Binned distance (Kb)": np.round(self.distance / 5000.0) * 5.0,
            },
            {
                "mut": mut,
                "std_mut": self.mut.std(1),
                "control": ctl,
                "control_tss": ctl_tss,
                "wt": np.broadcast_to(self.wt, (p, k)),
                "Fold change over original position": mut / ctl,
                "Normalized CRE effect": (mut - ctl_tss) / self.wt[None],
                "Normalized CRE effect (control)": (mut - ctl_tss) / ctl_tss,
            },
            self.track_names,
        )


def distance_test(
    model: Model | Engine,
    x: np.ndarray | str,
    tss_tile: tuple[int, int],
    cre_tile: tuple[int, int],
    positions: np.ndarray,
    n_shuffles: int = 10,
    name: str = "seq",
    **engine_kwargs,
) -> DistanceResult:
    """How does a CRE's effect depend on its distance to the TSS?

    Each of ``S`` backgrounds is drawn once and reused at every position, so the curve
    over positions is not confounded by background noise.

    Parameters
    ----------
    x : numpy.ndarray or str
        Wild-type window, one-hot ``(L, 4)``.
    tss_tile, cre_tile : (int, int)
        ``[start, end)``, bp.
    positions : array-like
        ``(P,)`` start positions, bp, for the CRE; a placed CRE may not overlap the TSS tile.
    n_shuffles : int
        Backgrounds (paper: 10).
    """
    engine = prepare(model, x, name, **engine_kwargs)
    s = check_shuffles(n_shuffles)
    tss, cre = check_tss_and_cre(engine, tss_tile, cre_tile)
    positions = np.atleast_1d(np.asarray(positions, dtype=np.int64))
    width = cre[1] - cre[0]
    check_tss_and_tiles(engine, tss, np.stack([positions, positions + width], 1))
    bgs = [SeqSpec(name, ("distance", k), (keep(*tss),)) for k in range(s)]
    specs = [wild_type(name), *bgs, *(bg.with_edits(keep(*cre)) for bg in bgs)]
    specs += [bg.with_edits(move(cre[0], cre[1], int(p))) for p in positions for bg in bgs]
    pred = engine.predict(specs, desc=f"distance {name}")
    tss_center = (tss[0] + tss[1]) / 2
    return DistanceResult(
        name,
        engine.model.selected_track_names,
        cre,
        positions,
        positions + width / 2 - tss_center,
        pred[0],
        pred[1 : 1 + s],
        pred[1 + s : 1 + 2 * s],
        pred[1 + 2 * s :].reshape(len(positions), s, -1),
    )
