"""Every CREME test on one user locus (the locus notebook)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from creme_lib.analysis import PAPER
from creme_lib.pipeline.config import PipelineConfig
from creme_lib.pipeline.runtime import load_window, make_engine, tiles_of


@dataclass
class LocusResults:
    """Every CREME test of one user locus (see :func:`run_locus`)."""

    seq_id: str
    tss_tile: tuple[int, int]
    tiles: np.ndarray
    context_dependence: Any = None
    context_swap: Any = None
    necessity: Any = None
    sufficiency: Any = None
    distance: Any = None
    greedy: Any = None
    multiplicity: Any = None
    fine_tile: Any = None
    cre: tuple[int, int] | None = None
    cre_class: str | None = None
    notes: list[str] = field(default_factory=list)


def run_locus(
    cfg: PipelineConfig,
    chrom: str,
    tss: int,
    strand: str,
    gene_name: str = "locus",
    partners: Sequence[tuple[str, int, str]] = (),
) -> LocusResults:
    """Run every CREME test on one TSS (the locus notebook).

    Context dependence, necessity and sufficiency on all tiles; the strongest sufficient
    tile (by ``|(MUT - CONTROL) / WT|``; the strongest tile if none passes 0.3) then goes
    through the distance, multiplicity and (enhancers) fine-tile tests; the greedy search
    runs ``min`` if the strongest tile enhances, ``max`` otherwise. The context swap test
    needs other TSSs: ``partners`` ``(chrom, tss, strand)`` (skipped, with a note, if empty).

    Raises
    ------
    KeyError
        If ``chrom`` is not in the FASTA.
    ValueError
        If the window is more than ``max_n_fraction`` ``N``.
    """
    from creme_lib.ids import make_seq_id
    from creme_lib.experiments import (
        context_dependence_test, context_swap_test, distance_test, fine_tile_search,
        higher_order_interaction_test, multiplicity_test, necessity_test, sufficiency_test,
    )

    if strand not in ("+", "-"):
        raise ValueError(f"strand must be '+' or '-', got {strand!r}")
    sid = make_seq_id(gene_name, chrom, tss, strand)
    x = load_window(cfg, chrom, tss, strand)
    nfrac = 1.0 - float(x.sum()) / len(x)
    if nfrac > cfg.max_n_fraction:
        raise ValueError(f"the window of {sid} is {nfrac:.1%} N (> {cfg.max_n_fraction:.0%}); pick a TSS farther from the chromosome end")
    engine = make_engine(cfg)
    tss_tile, tiles = tiles_of(cfg)
    res = LocusResults(sid, tss_tile, tiles)
    res.context_dependence = context_dependence_test(engine, x, tss_tile, cfg.n_shuffles_context, name=sid)
    res.necessity = necessity_test(engine, x, tiles, cfg.n_shuffles, name=sid)
    res.sufficiency = sufficiency_test(engine, x, tss_tile, tiles, cfg.n_shuffles, name=sid)
    if partners:
        seqs = {sid: x}
        for c, t, s in partners:
            seqs[make_seq_id("partner", c, t, s)] = load_window(cfg, c, t, s)
        res.context_swap = context_swap_test(engine, seqs, tss_tile)
    else:
        res.notes.append("context swap test skipped: it needs other TSSs (partners)")
    eff = res.sufficiency.effect_over_wt[:, 0]
    best = int(np.argmax(np.abs(eff)))
    res.cre = (int(tiles[best, 0]), int(tiles[best, 1]))
    res.cre_class = "Enhancer" if eff[best] >= 0 else "Silencer"
    if abs(eff[best]) <= PAPER.sufficiency:
        res.notes.append(f"no tile passes the sufficiency threshold; using the strongest tile {res.cre} ({eff[best]:+.2f})")
    res.distance = distance_test(engine, x, tss_tile, res.cre, tiles[:, 0], cfg.n_shuffles, name=sid)
    opt = "min" if res.cre_class == "Enhancer" else "max"
    res.greedy = higher_order_interaction_test(engine, x, tiles, opt, min(cfg.n_greedy_rounds, len(tiles)), cfg.n_shuffles, name=sid)
    res.multiplicity = multiplicity_test(engine, x, tss_tile, res.cre, tiles[:, 0], min(cfg.n_copies, len(tiles)),
                                         "max" if res.cre_class == "Enhancer" else "min", cfg.n_shuffles, name=sid)
    try:
        res.fine_tile = fine_tile_search(engine, x, tss_tile, res.cre, cfg.fine_tile_stages,
                                         "enhancer" if res.cre_class == "Enhancer" else "silencer", cfg.n_shuffles, name=sid)
    except ValueError as err:  # activity 0 with the whole CRE: the score is undefined
        res.notes.append(f"fine-tile search skipped: {err}")
    return res
