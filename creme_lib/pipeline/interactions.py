"""Steps 09 and 10: greedy higher-order interaction test and sufficiency of the greedy tile sets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from creme_lib.experiments.interactions import greedy_tile_sufficiency
from creme_lib.pipeline.config import PipelineConfig
from creme_lib.pipeline.runtime import load_window, make_engine, tiles_of
from creme_lib.pipeline.tables import (
    _genes_by_id, collect_parts, load_selected_contexts, load_selected_genes, read_cell_table, run_parts,
    write_cell_table,
)
from creme_lib.schemas import columns

# ------------------------------------------------------------ 09 higher-order, 10


def greedy_sequences(cfg: PipelineConfig, optimization: str) -> pd.DataFrame:
    """Contexts of the greedy search: ``min`` enhancing (most enhancing first), ``max`` silencing."""
    ctx = load_selected_contexts(cfg)
    if optimization == "min":
        sel = ctx[ctx.context == "enhancing"].sort_values(["delta_mean", "seq_id"], ascending=[False, True])
    else:
        sel = ctx[ctx.context == "silencing"].sort_values(["delta_mean", "seq_id"], ascending=[True, True])
    return (sel if cfg.max_greedy is None else sel.head(cfg.max_greedy)).reset_index(drop=True)


def run_higher_order(cfg: PipelineConfig) -> dict[str, pd.DataFrame] | None:
    """Step 09: greedy higher-order interaction test, ``min`` and ``max``.

    ``min``: enhancer sets in enhancing contexts; ``max``: silencer sets in silencing
    contexts; :attr:`Preset.n_greedy_rounds <creme_lib.pipeline.config.Preset.n_greedy_rounds>`
    rounds over all tiles, ``n_shuffles`` each.
    Additive and multiplicative hypothetical models from the first round's single-tile
    effects; superadditive / subadditive / additive by MSE (0.1 / 0.05).

    Writes, per direction ``d`` in ``min``, ``max`` (under ``<cell>/greedy_search/``):
    ``{d}_traces.csv`` (``seq_id, cell_line, context, N tiles, greedy, additive,
    multiplicative, mean, single, tile_start, tile_end``), ``{d}_locations.csv``
    (``tile_selected, context, seq_id, cell_line``; one row per tile),
    ``{d}_second_iteration.csv`` (rows ``wt, greedy_it1, greedy_it2, two_cres_shuffled``
    in column ``0``; needs >= 2 rounds) and ``{d}_interactions.csv``.

    Returns
    -------
    dict or None
        ``{"min": traces, "max": traces}``.
    """
    from creme_lib.experiments import higher_order_interaction_test

    _, tiles = tiles_of(cfg)
    rounds = min(cfg.n_greedy_rounds, len(tiles))
    out = {}
    for opt in ("min", "max"):
        seqs = greedy_sequences(cfg, opt)
        by_id = _genes_by_id(seqs)

        def compute(sid: str, opt=opt, by_id=by_id) -> pd.DataFrame:
            g = by_id[sid]
            x = load_window(cfg, g.Chromosome, g.Start, g.Strand)
            res = higher_order_interaction_test(make_engine(cfg), x, tiles, opt, rounds, cfg.n_shuffles, name=sid)
            df = res.to_frame()
            # Activity with each selected tile perturbed alone (round 1), for the second iteration.
            return df.assign(single=np.concatenate([[res.wt], res.single_effects]), context=g.context)

        ids = run_parts(cfg, f"greedy_{opt}", seqs.seq_id, compute)
        if not cfg.collecting:
            continue
        out[opt] = _greedy_tables(cfg, opt, collect_parts(cfg, f"greedy_{opt}", ids), tiles)
    return out if cfg.collecting else None


def _greedy_tables(cfg: PipelineConfig, opt: str, raw: pd.DataFrame, tiles: np.ndarray) -> pd.DataFrame:
    from creme_lib.analysis import classify_interaction, trace_mse

    why = "no enhancing context" if opt == "min" else "no silencing context"
    cols = columns(f"greedy_search/{opt}_traces")
    if raw.empty:
        traces = pd.DataFrame(columns=cols)
    else:
        traces = raw.rename(columns={"round": "N tiles", "Fold change over WT": "greedy"}).assign(cell_line=cfg.cell_line)[cols]
    write_cell_table(cfg, f"greedy_search/{opt}_traces", traces, why)
    loc, second, inter = [], [], []
    for sid, g in traces.groupby("seq_id", sort=True):
        chosen = {(int(a), int(b)) for a, b in zip(g.tile_start, g.tile_end) if a >= 0}
        ctx = g["context"].iloc[0]
        loc.append(pd.DataFrame({"tile_selected": [int((int(a), int(b)) in chosen) for a, b in tiles],
                                 "context": ctx, "seq_id": sid, "cell_line": cfg.cell_line}))
        m = g["mean"].to_numpy()
        s = g["single"].to_numpy()
        if len(m) >= 3:
            second.append(pd.DataFrame({"0": [m[0], m[1], s[2], m[2]], "context": ctx, "seq_id": sid, "cell_line": cfg.cell_line},
                                       index=["wt", "greedy_it1", "greedy_it2", "two_cres_shuffled"]))
        fc, add = g["greedy"].to_numpy(), g["additive"].to_numpy()
        inter.append({"seq_id": sid, "cell_line": cfg.cell_line, "context": ctx,
                      "interaction": classify_interaction(fc, add, cfg.thresholds, opt),
                      "mse": trace_mse(fc, add)})
    loc_df = pd.concat(loc, ignore_index=True) if loc else pd.DataFrame(columns=columns(f"greedy_search/{opt}_locations"))
    write_cell_table(cfg, f"greedy_search/{opt}_locations", loc_df, why)
    sec = pd.concat(second) if second else pd.DataFrame(columns=columns(f"greedy_search/{opt}_second_iteration"))
    write_cell_table(cfg, f"greedy_search/{opt}_second_iteration", sec, why if not second else "")
    write_cell_table(cfg, f"greedy_search/{opt}_interactions",
                      pd.DataFrame(inter, columns=columns(f"greedy_search/{opt}_interactions")), why)
    return traces


def run_greedy_sufficiency(cfg: PipelineConfig) -> dict[str, pd.DataFrame] | None:
    """Step 10: sufficiency of the greedy tile sets in shuffled backgrounds.

    For each greedy search of step 09: the TSS tile plus the first ``0, 1, ..., R``
    selected tiles, ``Normalized TSS activity`` = mean activity / WT.

    Writes ``<cell>/greedy_search/sufficiency_of_greedy_tiles_{min,max}.csv``
    (``Normalized TSS activity, context, cell_line, seq_id``; rows in ``N tiles`` order).
    """
    tss_tile, _ = tiles_of(cfg)
    out = {}
    for opt in ("min", "max"):
        traces = read_cell_table(cfg, f"greedy_search/{opt}_traces", "09_higher_order")
        genes = load_selected_genes(cfg).set_index("seq_id")
        groups = {sid: g.sort_values("N tiles") for sid, g in traces.groupby("seq_id", sort=True)}

        def compute(sid: str, groups=groups, genes=genes) -> pd.DataFrame:
            g = groups[sid]
            gene = genes.loc[sid]
            engine = make_engine(cfg)
            engine.register(sid, load_window(cfg, gene.Chromosome, gene.Start, gene.Strand))
            chosen = [(int(a), int(b)) for a, b in zip(g.tile_start, g.tile_end) if a >= 0]
            act = greedy_tile_sufficiency(engine, sid, tss_tile, chosen, cfg.n_shuffles)
            wt = float(g["mean"].iloc[0])
            return pd.DataFrame({"N tiles": np.arange(len(act)), "mean": act, "Normalized TSS activity": act / wt,
                                 "context": g["context"].iloc[0], "cell_line": cfg.cell_line, "seq_id": sid})

        ids = run_parts(cfg, f"greedy_sufficiency_{opt}", list(groups), compute)
        if not cfg.collecting:
            continue
        df = collect_parts(cfg, f"greedy_sufficiency_{opt}", ids)
        cols = columns(f"greedy_search/sufficiency_of_greedy_tiles_{opt}")
        df = df[cols] if len(df) else pd.DataFrame(columns=cols)
        write_cell_table(cfg, f"greedy_search/sufficiency_of_greedy_tiles_{opt}", df, "no greedy search")
        out[opt] = df
    return out if cfg.collecting else None
