"""Context dependence and context swap tests (TSS-level perturbations)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from creme_lib.analysis import context_effect
from creme_lib.experiments._common import check_shuffles, check_tss, check_whole, long_frame, prepare
from creme_lib.inference import Engine
from creme_lib.models.base import Model
from creme_lib.perturb import Paste, SeqSpec, keep, wild_type


@dataclass
class ContextDependenceResult:
    """Output of :func:`context_dependence_test` (activities per selected track ``K``).

    Attributes
    ----------
    wt : numpy.ndarray
        ``(K,)`` TSS activity of the wild type.
    mut : numpy.ndarray
        ``(S, K)`` TSS activity with only the TSS tile kept in shuffle ``s`` of the context.
    """

    seq_id: str
    track_names: list[str]
    wt: np.ndarray
    mut: np.ndarray

    @property
    def mean_mut(self) -> np.ndarray:
        return self.mut.mean(axis=0)

    @property
    def std_mut(self) -> np.ndarray:
        return self.mut.std(axis=0)

    @property
    def effect(self) -> np.ndarray:
        """``(K,)`` normalized context effect ``(WT - mean MUT) / WT`` (``delta_mean``)."""
        return context_effect(self.wt, self.mean_mut)

    def to_frame(self) -> pd.DataFrame:
        """One row per track, columns as the paper's ``context_dependence_test.csv``."""
        return long_frame(
            {"seq_id": [self.seq_id]},
            {
                "delta_mean": self.effect[None],
                "wt": self.wt[None],
                "std": self.std_mut[None],
                "mean_mut": self.mean_mut[None],
            },
            self.track_names,
        )


def context_dependence_test(
    model: Model | Engine,
    x: np.ndarray | str,
    tss_tile: tuple[int, int],
    n_shuffles: int = 10,
    name: str = "seq",
    **engine_kwargs,
) -> ContextDependenceResult:
    """How much does the sequence context drive the TSS? (paper: 100 shuffles)

    The TSS tile is kept and the rest of the window is replaced by ``n_shuffles``
    dinucleotide shuffles of the whole sequence. Sends ``1 + n_shuffles`` sequences.

    Parameters
    ----------
    model : Model or Engine
        The model, or an engine that already holds other predictions of this gene.
    x : numpy.ndarray or str
        One-hot ``(L, 4)`` window (or its string), ``L`` = model input length in bp.
    tss_tile : (int, int)
        TSS tile ``[start, end)`` in bp.
    n_shuffles : int
        Shuffled contexts to average over.
    name : str
        Sequence id (enters the seeds: the same id and seed give the same shuffles).
    """
    engine = prepare(model, x, name, **engine_kwargs)
    s = check_shuffles(n_shuffles)
    tss = check_tss(engine, tss_tile)
    specs = [wild_type(name)] + [_context_shuffle(name, tss, k) for k in range(s)]
    pred = engine.predict(specs, desc=f"context dependence {name}")
    return ContextDependenceResult(name, engine.model.selected_track_names, pred[0], pred[1:])


def _context_shuffle(name: str, tss: tuple[int, int], k: int) -> SeqSpec:
    """Shuffle ``k`` of the context dependence test: the TSS tile kept in a shuffled window."""
    return SeqSpec(name, ("context", k), (keep(*tss),))


def context_coverage(
    model: Model,
    x: np.ndarray | str,
    tss_tile: tuple[int, int],
    name: str = "seq",
    shuffle: int = 0,
    seed: int = 0,
) -> np.ndarray:
    """Predicted coverage of the wild type and of one shuffled context (Fig. 1c).

    The shuffled sequence is shuffle ``shuffle`` of :func:`context_dependence_test` with the
    same ``name`` and ``seed`` (the TSS tile kept, the rest dinucleotide-shuffled): one of the
    shuffles that test averages into ``mean_mut``.

    Parameters
    ----------
    model : Model
        Predicting the bins to draw (e.g. all 896 of Enformer's output:
        :meth:`~creme_lib.models.base.Model.selecting_bins`).
    x : numpy.ndarray or str
        One-hot ``(L, 4)`` window (or its string).
    tss_tile : (int, int)
        TSS tile ``[start, end)`` in bp.
    name : str
        Sequence id (enters the seeds, as in :func:`context_dependence_test`).
    shuffle : int
        Which of that test's shuffles (0-based).
    seed : int
        The engine's global seed (the run's ``seed``).

    Returns
    -------
    numpy.ndarray
        ``(2, B, K)`` float32: wild type, then the shuffled context; ``B`` the model's
        selected bins, ``K`` its selected tracks.
    """
    engine = prepare(model, x, name, seed=seed, progress=False)
    tss = check_tss(engine, tss_tile)
    k = check_whole(shuffle, "shuffle", 0)
    x2 = np.stack([engine.one_hot(wild_type(name)), engine.one_hot(_context_shuffle(name, tss, k))])
    return np.asarray(engine.model.predict(x2), np.float32)


@dataclass
class ContextSwapResult:
    """Output of :func:`context_swap_test`.

    Attributes
    ----------
    sources, targets : list of str
        Sequence ids; the TSS tile of ``sources[i]`` was pasted into ``targets[j]``.
    wt_source : numpy.ndarray
        ``(I, K)`` wild-type activity of each source.
    wt_target : numpy.ndarray
        ``(J, K)`` wild-type activity of each target.
    swap : numpy.ndarray
        ``(I, J, K)`` activity of source TSS ``i`` in target context ``j``.
    """

    sources: list[str]
    targets: list[str]
    track_names: list[str]
    wt_source: np.ndarray
    wt_target: np.ndarray
    swap: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per (source, target, track).

        ``Normalized context effect`` is ``(MUT - WT_source) / WT_source``: how much the
        new context changes the source TSS's activity relative to its own context.
        """
        i, j = len(self.sources), len(self.targets)
        src = np.repeat(np.asarray(self.sources, dtype=object), j)
        tgt = np.tile(np.asarray(self.targets, dtype=object), i)
        wt_s = np.repeat(self.wt_source, j, axis=0)
        wt_t = np.tile(self.wt_target, (i, 1))
        mut = self.swap.reshape(i * j, -1)
        return long_frame(
            {"source_seq_id": src, "target_seq_id": tgt},
            {
                "wt_source": wt_s,
                "wt_target": wt_t,
                "mut": mut,
                "Normalized context effect": (mut - wt_s) / wt_s,
            },
            self.track_names,
        )


def context_swap_test(
    model: Model | Engine,
    sequences: Mapping[str, np.ndarray | str],
    tss_tile: tuple[int, int],
    sources: Sequence[str] | None = None,
    targets: Sequence[str] | None = None,
    **engine_kwargs,
) -> ContextSwapResult:
    """Paste each source's TSS tile into each target context at the same position.

    Parameters
    ----------
    model : Model or Engine
    sequences : mapping of id -> one-hot ``(L, 4)`` or string
        All sequences involved; registered with the engine under their ids.
    tss_tile : (int, int)
        TSS tile ``[start, end)`` in bp, the same for all sequences.
    sources, targets : sequence of str, optional
        Ids to use (default: all, i.e. all-vs-all including each TSS in its own context).

    Returns
    -------
    ContextSwapResult
        Sends ``I * J`` sequences plus the wild types (a source placed in its own context
        is its wild type, predicted once).
    """
    if not sequences:
        raise ValueError("context_swap_test needs at least one sequence")
    engine = None
    for sid, x in sequences.items():
        engine = prepare(model if engine is None else engine, x, sid, **({} if engine else engine_kwargs))
    assert engine is not None
    sources = list(sequences) if sources is None else list(sources)
    targets = list(sequences) if targets is None else list(targets)
    for sid in (*sources, *targets):
        engine.tokens(sid)
    tss = check_tss(engine, tss_tile)
    wt_s = engine.predict([wild_type(s) for s in sources])
    wt_t = engine.predict([wild_type(t) for t in targets])
    specs = [
        wild_type(t) if s == t else SeqSpec(t, None, (Paste(tss[0], tss[1], s),)) for s in sources for t in targets
    ]
    swap = engine.predict(specs, desc="context swap").reshape(len(sources), len(targets), -1)
    return ContextSwapResult(sources, targets, engine.model.selected_track_names, wt_s, wt_t, swap)
