"""Higher-order interaction test: a greedy search for the tile set with the largest effect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from creme_lib.analysis import PAPER, Thresholds, additive_model, classify_interaction, multiplicative_model
from creme_lib.experiments._common import check_shuffles, prepare, track_index
from creme_lib.inference import Engine
from creme_lib.models.base import Model
from creme_lib.perturb import SeqSpec, keep, shuffled, wild_type
from creme_lib.tiles import check_tiles


def check_disjoint(tiles: np.ndarray, name: str = "tiles") -> None:
    """Raise ``ValueError`` if any two tiles overlap (their perturbations would not compose)."""
    order = np.argsort(tiles[:, 0])
    s = tiles[order]
    clash = np.flatnonzero(s[1:, 0] < s[:-1, 1])
    if clash.size:
        i = clash[0]
        raise ValueError(f"{name} overlap: {s[i].tolist()} and {s[i + 1].tolist()}")


@dataclass
class GreedyResult:
    """Output of :func:`higher_order_interaction_test` for one track.

    Attributes
    ----------
    tiles : numpy.ndarray
        ``(T, 2)`` candidate tiles, bp.
    wt : float
        Wild-type activity.
    order : list of int
        Indices into ``tiles`` in the order the search perturbed them.
    trace : numpy.ndarray
        ``(R + 1,)`` mean activity with 0..R tiles perturbed (``trace[0] = wt``).
    round_preds : list of numpy.ndarray
        Per round, ``(remaining tiles, S)`` activities of every candidate.
    round_candidates : list of numpy.ndarray
        Per round, the indices into ``tiles`` that were candidates.
    """

    seq_id: str
    track: str
    optimization: str
    tiles: np.ndarray
    wt: float
    order: list[int] = field(default_factory=list)
    trace: np.ndarray = field(default_factory=lambda: np.zeros(0))
    round_preds: list[np.ndarray] = field(default_factory=list)
    round_candidates: list[np.ndarray] = field(default_factory=list)

    @property
    def single_effects(self) -> np.ndarray:
        """``(R,)`` activity with each selected tile perturbed alone (from round 1)."""
        first = self.round_preds[0].mean(axis=1)
        pos = {int(t): i for i, t in enumerate(self.round_candidates[0])}
        return np.array([first[pos[t]] for t in self.order])

    @property
    def fold_change(self) -> np.ndarray:
        """``(R + 1,)`` trace over WT."""
        return self.trace / self.wt

    @property
    def additive(self) -> np.ndarray:
        """``(R + 1,)`` fold change over WT of the hypothetical additive model."""
        return additive_model(self.wt, self.single_effects) / self.wt

    @property
    def multiplicative(self) -> np.ndarray:
        """``(R + 1,)`` fold change over WT of the hypothetical multiplicative model."""
        return multiplicative_model(self.wt, self.single_effects) / self.wt

    def interaction(self, rounds: int | None = None, thresholds: Thresholds = PAPER) -> str | None:
        """Superadditive / subadditive / additive / None over the first ``rounds`` rounds."""
        r = len(self.order) if rounds is None else rounds
        return classify_interaction(
            self.fold_change[: r + 1], self.additive[: r + 1], thresholds, self.optimization
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per round (0 = wild type): the selected tile and the three curves."""
        sel = np.array(self.order, dtype=np.int64)
        return pd.DataFrame(
            {
                "seq_id": self.seq_id,
                "track": self.track,
                "optimization": self.optimization,
                "round": np.arange(len(self.trace)),
                "tile_start": np.concatenate([[-1], self.tiles[sel, 0]]),
                "tile_end": np.concatenate([[-1], self.tiles[sel, 1]]),
                "mean": self.trace,
                "Fold change over WT": self.fold_change,
                "additive": self.additive,
                "multiplicative": self.multiplicative,
            }
        )


def higher_order_interaction_test(
    model: Model | Engine,
    x: np.ndarray | str,
    tiles: np.ndarray,
    optimization: str = "min",
    n_rounds: int | None = None,
    n_shuffles: int = 10,
    track: int | str = 0,
    name: str = "seq",
    **engine_kwargs,
) -> GreedyResult:
    """Greedy search for the tile set whose joint perturbation moves activity the most.

    Round ``r`` shuffles each remaining tile (``S`` shuffles) on top of the tiles already
    chosen, picks the tile with the lowest (``"min"``: enhancer sets) or highest
    (``"max"``: silencer sets) mean activity, and fixes the shuffle realization closest to
    that mean for the next rounds (as the paper does). Seeds are keyed by tile and shuffle,
    so round ``r`` reuses the same shuffled segments as round ``r - 1``.

    Parameters
    ----------
    x : numpy.ndarray or str
        Wild-type window, one-hot ``(L, 4)``.
    tiles : array-like
        ``(T, 2)`` non-overlapping candidate tiles, bp.
    optimization : {"min", "max"}
    n_rounds : int, optional
        Rounds to run (default: all tiles).
    n_shuffles : int
    track : int or str
        Which selected output track drives the search.
    """
    if optimization not in ("min", "max"):
        raise ValueError(f"optimization must be 'min' or 'max', got {optimization!r}")
    engine = prepare(model, x, name, **engine_kwargs)
    s = check_shuffles(n_shuffles)
    tiles = check_tiles(tiles, engine.seq_length)
    check_disjoint(tiles)
    n_rounds = len(tiles) if n_rounds is None else int(n_rounds)
    if not 1 <= n_rounds <= len(tiles):
        raise ValueError(f"n_rounds must be in [1, {len(tiles)}], got {n_rounds}")
    ti = track_index(engine, track)
    pick = np.argmin if optimization == "min" else np.argmax

    wt = float(engine.predict([wild_type(name)])[0, ti])
    res = GreedyResult(name, engine.model.selected_track_names[ti], optimization, tiles, wt)
    fixed: tuple = ()
    remaining = list(range(len(tiles)))
    trace = [wt]
    for r in range(n_rounds):
        specs = [
            SeqSpec(name, None, fixed + (shuffled(*tiles[t], ("greedy", int(t), k)),))
            for t in remaining
            for k in range(s)
        ]
        preds = engine.predict(specs, desc=f"greedy {name} round {r + 1}")[:, ti].reshape(len(remaining), s)
        means = preds.mean(axis=1)
        best = int(pick(means))
        tile = remaining[best]
        k_star = int(np.argmin(np.abs(preds[best] - means[best])))
        fixed = fixed + (shuffled(*tiles[tile], ("greedy", int(tile), k_star)),)
        res.round_preds.append(preds)
        res.round_candidates.append(np.array(remaining))
        res.order.append(tile)
        trace.append(float(means[best]))
        remaining.pop(best)
    res.trace = np.array(trace)
    return res


def greedy_tile_sufficiency(
    engine: Engine,
    name: str,
    tss_tile: tuple[int, int],
    tiles_in_order: Sequence[tuple[int, int]],
    n_shuffles: int,
) -> np.ndarray:
    """Mean activity of the TSS tile plus the first ``0..R`` greedy tiles in shuffled backgrounds.

    The sufficiency of a greedy search's tile sets (the pipeline's step 10): every set
    keeps the TSS tile and the first ``r`` tiles the search chose, in ``n_shuffles``
    dinucleotide-shuffled backgrounds of the registered sequence ``name`` (seed key
    ``("greedy_sufficiency", k)``, shared by all ``R + 1`` sets so they differ only by
    the tiles kept).

    Parameters
    ----------
    engine : Engine
        Holds the registered sequence ``name``.
    name : str
        The registered window.
    tss_tile : tuple of int
        ``(start, end)`` bp in the window, half-open.
    tiles_in_order : sequence of (int, int)
        The ``R`` tiles in the order the greedy search chose them (bp, half-open).
    n_shuffles : int
        Backgrounds per set.

    Returns
    -------
    numpy.ndarray
        ``(R + 1,)`` mean over the backgrounds of the first track's activity, for
        ``0, 1, ..., R`` tiles kept.
    """
    bgs = [SeqSpec(name, ("greedy_sufficiency", k), (keep(*tss_tile),)) for k in range(n_shuffles)]
    sets = [[keep(*t) for t in tiles_in_order[:r]] for r in range(len(tiles_in_order) + 1)]
    specs = [b.with_edits(*s) for s in sets for b in bgs]
    return engine.predict(specs)[:, 0].reshape(len(sets), n_shuffles).mean(axis=1)
