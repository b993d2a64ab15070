"""Fine-tile search: prune a CRE down to the sub-tiles that carry its effect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from creme_lib.experiments._common import check_shuffles, check_tss_and_cre, prepare, track_index
from creme_lib.inference import Engine
from creme_lib.models.base import Model
from creme_lib.perturb import SeqSpec, keep
from creme_lib.tiles import subtiles

# (window bp, score threshold, sub-tiles removed per iteration): the paper's two stages.
PAPER_STAGES: tuple[tuple[int, float, int], ...] = ((500, 0.9, 1), (50, 0.7, 10))


def merge_intervals(intervals: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """Sort and merge touching or overlapping ``[start, end)`` intervals."""
    out: list[list[int]] = []
    for a, b in sorted((int(a), int(b)) for a, b in intervals):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


@dataclass
class StageResult:
    """One pruning stage: sub-tile window, threshold, and the accepted steps."""

    window: int
    threshold: float
    batch: int
    scores: list[float] = field(default_factory=list)
    bps: list[int] = field(default_factory=list)
    removed: list[tuple[int, int]] = field(default_factory=list)
    kept: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class FineTileResult:
    """Output of :func:`fine_tile_search` for one track.

    Attributes
    ----------
    full : float
        Mean activity with the TSS tile and the whole CRE in the backgrounds (score 1.0).
    control : float
        Mean activity with the TSS tile only.
    stages : list of StageResult
    kept : list of (int, int)
        Sub-tiles (bp, window coordinates) left after the last stage, merged.
    """

    seq_id: str
    track: str
    cre_type: str
    cre_tile: tuple[int, int]
    full: float
    control: float
    stages: list[StageResult] = field(default_factory=list)
    kept: list[tuple[int, int]] = field(default_factory=list)

    def mask(self) -> np.ndarray:
        """``(CRE length,)`` bool: True at bp of the CRE that the search kept."""
        m = np.zeros(self.cre_tile[1] - self.cre_tile[0], dtype=bool)
        for a, b in self.kept:
            m[a - self.cre_tile[0] : b - self.cre_tile[0]] = True
        return m

    def to_frame(self) -> pd.DataFrame:
        """One row per accepted pruning step of every stage."""
        rows = []
        for st in self.stages:
            for i, (sc, bp) in enumerate(zip(st.scores, st.bps)):
                rows.append({"window": st.window, "threshold": st.threshold, "step": i, "score": sc, "bps": bp})
        df = pd.DataFrame(rows, columns=["window", "threshold", "step", "score", "bps"])
        return df.assign(seq_id=self.seq_id, track=self.track, tile_start=self.cre_tile[0], tile_end=self.cre_tile[1])


def fine_tile_search(
    model: Model | Engine,
    x: np.ndarray | str,
    tss_tile: tuple[int, int],
    cre_tile: tuple[int, int],
    stages: Sequence[tuple[int, float, int]] = PAPER_STAGES,
    cre_type: str = "enhancer",
    n_shuffles: int = 10,
    track: int | str = 0,
    name: str = "seq",
    **engine_kwargs,
) -> FineTileResult:
    """Prune a sufficient CRE to the smallest set of sub-tiles that keeps most of its effect.

    In ``S`` backgrounds holding the TSS tile, the CRE is pasted as a set of sub-tiles.
    The *score* is the mean activity with the kept sub-tiles over that with the whole CRE.
    Each stage splits the kept sub-tiles into windows of its size; while the score stays
    above the stage's threshold (below, for silencers), it removes the ``batch`` windows
    whose removal matters least. A removal that would cross the threshold is not applied.

    Parameters
    ----------
    tss_tile, cre_tile : (int, int)
        ``[start, end)``, bp.
    stages : sequence of (window bp, threshold, batch)
        Default: the paper's 500 bp / 0.9 / 1 then 50 bp / 0.7 / 10.
    cre_type : {"enhancer", "silencer"}
    """
    if cre_type not in ("enhancer", "silencer"):
        raise ValueError(f"cre_type must be 'enhancer' or 'silencer', got {cre_type!r}")
    if not stages:
        raise ValueError("at least one pruning stage is needed")
    for w, thr, nb in stages:
        if w <= 0 or nb < 1:
            raise ValueError(f"bad stage (window={w}, threshold={thr}, batch={nb})")
    engine = prepare(model, x, name, **engine_kwargs)
    s = check_shuffles(n_shuffles)
    tss, cre = check_tss_and_cre(engine, tss_tile, cre_tile)
    ti = track_index(engine, track)
    enhancer = cre_type == "enhancer"

    bgs = [SeqSpec(name, ("fine_tile", k), (keep(*tss),)) for k in range(s)]

    def activity(sets: list[list[tuple[int, int]]]) -> np.ndarray:
        specs = [b.with_edits(*(keep(a, e) for a, e in merge_intervals(kept))) for kept in sets for b in bgs]
        return engine.predict(specs, desc=f"fine tiles {name}")[:, ti].reshape(len(sets), s).mean(axis=1)

    control, full = (float(v) for v in activity([[], [cre]]))
    res = FineTileResult(name, engine.model.selected_track_names[ti], cre_type, cre, full, control)
    if full == 0:
        raise ValueError(f"{name}: activity with the whole CRE is 0; the score is undefined")
    kept = [cre]
    for window, threshold, batch in stages:
        st = StageResult(int(window), float(threshold), int(batch))
        cand = [tuple(int(v) for v in w) for a, b in kept for w in subtiles(a, b, int(window))]
        score = float(activity([cand])[0]) / full
        st.scores.append(score)
        st.bps.append(sum(b - a for a, b in cand))

        def above(v: float) -> bool:
            return v > threshold if enhancer else v < threshold

        while cand and above(score):
            without = activity([[c for c in cand if c != drop] for drop in cand])
            # Enhancer: drop the windows whose removal keeps activity highest (least needed).
            order = np.argsort(without)
            drop_idx = order[::-1][:batch] if enhancer else order[:batch]
            drops = {cand[i] for i in drop_idx}
            trial = [c for c in cand if c not in drops]
            new_score = float(activity([trial])[0]) / full
            if not above(new_score):
                break
            cand, score = trial, new_score
            st.removed.extend(sorted(drops))
            st.scores.append(score)
            st.bps.append(sum(b - a for a, b in cand))
        st.kept = list(cand)
        res.stages.append(st)
        kept = cand
    res.kept = merge_intervals(kept)
    return res


def kept_activity(
    engine: Engine,
    name: str,
    tss: tuple[int, int],
    sets: Sequence[Sequence[tuple[int, int]]],
    n_shuffles: int,
) -> np.ndarray:
    """Mean activity with only the TSS tile and each set of intervals kept (the rest shuffled).

    The plan uses the fine-tile search's backgrounds (seed key ``("fine_tile", k)``), so a
    set that :func:`fine_tile_search` already evaluated is memoized by the engine, and
    other choices of bp (saliency, random, motif hits) are scored against the same
    backgrounds as CREME's.

    Parameters
    ----------
    engine : Engine
        Holds the registered sequence ``name``.
    name : str
        The registered window.
    tss : tuple of int
        The TSS tile ``(start, end)``, bp in the window, half-open.
    sets : sequence of sequences of (int, int)
        ``S`` sets of intervals (bp, half-open) to keep; each set's intervals are merged
        first (:func:`merge_intervals`).
    n_shuffles : int
        Backgrounds per set.

    Returns
    -------
    numpy.ndarray
        ``(S,)`` mean over the backgrounds of the first track's activity.
    """
    bgs = [SeqSpec(name, ("fine_tile", k), (keep(*tss),)) for k in range(n_shuffles)]
    specs = [b.with_edits(*(keep(a, e) for a, e in merge_intervals(s))) for s in sets for b in bgs]
    return engine.predict(specs)[:, 0].reshape(len(sets), n_shuffles).mean(axis=1)
