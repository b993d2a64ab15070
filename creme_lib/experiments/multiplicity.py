"""CRE multiplicity test: add copies of one CRE at the best free positions."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from creme_lib.experiments._common import check_shuffles, check_tss_and_cre, check_tss_and_tiles, prepare, track_index
from creme_lib.experiments.interactions import check_disjoint
from creme_lib.inference import Engine
from creme_lib.models.base import Model
from creme_lib.perturb import SeqSpec, keep, move


@dataclass
class MultiplicityResult:
    """Output of :func:`multiplicity_test` for one track.

    Attributes
    ----------
    control_tss : float
        Mean activity of the backgrounds with the TSS tile only.
    control : float
        Mean activity with the TSS tile and the CRE at its original place (the normalizer).
    positions : list of int
        Start positions (bp) chosen for copies 1..C, in order.
    trace : numpy.ndarray
        ``(C,)`` mean activity with 1..C copies placed.
    round_preds : list of numpy.ndarray
        Per copy, ``(candidate positions, S)`` activities.
    """

    seq_id: str
    track: str
    optimization: str
    cre_tile: tuple[int, int]
    control_tss: float
    control: float
    positions: list[int] = field(default_factory=list)
    trace: np.ndarray = field(default_factory=lambda: np.zeros(0))
    round_preds: list[np.ndarray] = field(default_factory=list)

    @property
    def normalized(self) -> np.ndarray:
        """``(C,)`` activity over the control (TSS + CRE at its original place)."""
        return self.trace / self.control

    def to_frame(self) -> pd.DataFrame:
        c = len(self.trace)
        return pd.DataFrame(
            {
                "seq_id": self.seq_id,
                "track": self.track,
                "optimization": self.optimization,
                "tile_start": self.cre_tile[0],
                "tile_end": self.cre_tile[1],
                "n_copies": np.arange(1, c + 1),
                "position": self.positions,
                "mean": self.trace,
                "control": self.control,
                "control_tss": self.control_tss,
                "Normalized TSS effect": self.normalized,
            }
        )


def multiplicity_test(
    model: Model | Engine,
    x: np.ndarray | str,
    tss_tile: tuple[int, int],
    cre_tile: tuple[int, int],
    positions: np.ndarray,
    n_copies: int = 10,
    optimization: str = "max",
    n_shuffles: int = 10,
    track: int | str = 0,
    name: str = "seq",
    **engine_kwargs,
) -> MultiplicityResult:
    """How does activity grow with copies of one CRE? (``"max"`` for enhancers, ``"min"`` silencers)

    In ``S`` shuffled backgrounds holding the TSS tile, each round places one more copy of
    the CRE at the candidate position that moves the mean activity most, keeping earlier
    copies. Sends ``2 S + S * sum(candidates per round)`` sequences.

    Parameters
    ----------
    tss_tile, cre_tile : (int, int)
        ``[start, end)``, bp.
    positions : array-like
        ``(P,)`` candidate start positions, bp; copies may not overlap the TSS tile or
        each other.
    n_copies : int
        Copies to place (at most ``P``).
    """
    if optimization not in ("min", "max"):
        raise ValueError(f"optimization must be 'min' or 'max', got {optimization!r}")
    engine = prepare(model, x, name, **engine_kwargs)
    s = check_shuffles(n_shuffles)
    tss, cre = check_tss_and_cre(engine, tss_tile, cre_tile)
    width = cre[1] - cre[0]
    positions = np.atleast_1d(np.asarray(positions, dtype=np.int64))
    slots = check_tss_and_tiles(engine, tss, np.stack([positions, positions + width], 1))[1]
    check_disjoint(slots, "copy positions")
    if not 1 <= n_copies <= len(positions):
        raise ValueError(f"n_copies must be in [1, {len(positions)}], got {n_copies}")
    ti = track_index(engine, track)
    pick = np.argmax if optimization == "max" else np.argmin

    bgs = [SeqSpec(name, ("multiplicity", k), (keep(*tss),)) for k in range(s)]
    base = engine.predict([*bgs, *(b.with_edits(keep(*cre)) for b in bgs)])[:, ti]
    res = MultiplicityResult(
        name, engine.model.selected_track_names[ti], optimization, cre, float(base[:s].mean()), float(base[s:].mean())
    )
    placed: tuple = ()
    remaining = [int(p) for p in positions]
    trace = []
    for c in range(n_copies):
        specs = [b.with_edits(*placed, move(cre[0], cre[1], p)) for p in remaining for b in bgs]
        preds = engine.predict(specs, desc=f"multiplicity {name} copy {c + 1}")[:, ti].reshape(len(remaining), s)
        means = preds.mean(axis=1)
        best = int(pick(means))
        placed = placed + (move(cre[0], cre[1], remaining[best]),)
        res.positions.append(remaining.pop(best))
        res.round_preds.append(preds)
        trace.append(float(means[best]))
    res.trace = np.array(trace)
    return res
