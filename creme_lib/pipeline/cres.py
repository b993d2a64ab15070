"""Steps 04 to 06: CRE necessity and sufficiency tests, biochemical marks of sufficient CREs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from creme_lib.analysis import classify_tiles
from creme_lib.annotation import window_to_genome
from creme_lib.inference import Engine
from creme_lib.analysis import normalized_cre_effect
from creme_lib.pipeline.config import SEQ_LENGTHS, PipelineConfig
from creme_lib.pipeline.runtime import load_window, make_engine, tiles_of
from creme_lib.pipeline.tables import (
    COORDINATE_COLUMNS, NECESSITY_COLUMNS, SUFFICIENCY_COLUMNS, _drop_track, _genes_by_id, collect_parts,
    load_selected_contexts, load_selected_genes, load_sufficient_cres, run_parts, write_cell_table,
)

# ---------------------------------------------------------- 04 necessity, 05 sufficiency


def _per_context_test(cfg: PipelineConfig, test: str, run: Callable[[Engine, np.ndarray, str], pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    ctx = load_selected_contexts(cfg)
    by_id = _genes_by_id(ctx)

    def compute(sid: str) -> pd.DataFrame:
        g = by_id[sid]
        return _drop_track(run(make_engine(cfg), load_window(cfg, g.Chromosome, g.Start, g.Strand), sid))

    ids = run_parts(cfg, test, ctx.seq_id, compute)
    if not cfg.collecting:
        return None
    return collect_parts(cfg, test, ids), ctx


def cre_coordinates(cfg: PipelineConfig, cres: pd.DataFrame, effect: str) -> pd.DataFrame:
    """Genome coordinates of CRE tiles, as ``CRE_characterization/*_CRE_coordinates.csv``.

    Parameters
    ----------
    cres : pandas.DataFrame
        ``seq_id, tile_start, tile_end, tile class`` and the ``effect`` column.
    """
    genes = load_selected_genes(cfg).set_index("seq_id")
    if cres.empty:
        return pd.DataFrame(columns=COORDINATE_COLUMNS)
    g = genes.loc[cres["seq_id"]]
    a, b = window_to_genome(g["Start"].to_numpy(), g["Strand"].to_numpy(), cres["tile_start"].to_numpy(),
                            cres["tile_end"].to_numpy(), SEQ_LENGTHS[cfg.model])
    return pd.DataFrame(
        {
            "chromosome": g["Chromosome"].to_numpy(),
            "CRE start coordinate": a,
            "CRE end coordinate": b,
            "strand": g["Strand"].to_numpy(),
            "gene": g["gene_name"].to_numpy(),
            "TSS coordinate": g["Start"].to_numpy(),
            "cell line": cfg.cell_line,
            "CRE type": cres["tile class"].to_numpy(),
            "normalized effect": cres[effect].to_numpy(),
        }
    )


def run_necessity(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 04: necessity test (shuffle one tile at a time) of every selected context.

    Writes ``<cell>/necessity_test.csv`` (``NECESSITY_COLUMNS``),
    ``<cell>/necessary_CREs.csv`` (+ ``tile class``: Enhancer if the effect is ``> 0.3``
    in an enhancing context, Silencer if ``< -0.3`` in a silencing one) and
    ``<cell>/CRE_characterization/necessary_CRE_coordinates.csv``.
    """
    from creme_lib.experiments import necessity_test

    _, tiles = tiles_of(cfg)
    got = _per_context_test(
        cfg, "necessity", lambda e, x, sid: necessity_test(e, x, tiles, cfg.n_shuffles, name=sid).to_frame()
    )
    if got is None:
        return None
    df, ctx = got
    if df.empty:
        df = pd.DataFrame(columns=NECESSITY_COLUMNS)
    else:
        df = df.merge(ctx[["seq_id", "context"]], on="seq_id", how="left").assign(cell_line=cfg.cell_line)[NECESSITY_COLUMNS]
    write_cell_table(cfg, "necessity_test", df, "no selected contexts")
    cls = classify_tiles(df["Normalized shuffle effect"].to_numpy(), df["context"].to_numpy(), cfg.thresholds.necessity)
    cres = df[cls != None].assign(**{"tile class": cls[cls != None]})  # noqa: E711
    write_cell_table(cfg, "necessary_CREs", cres, "no tile passes the necessity threshold")
    write_cell_table(cfg, "CRE_characterization/necessary_CRE_coordinates", cre_coordinates(cfg, cres, "Normalized shuffle effect"))
    return df


def run_sufficiency(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 05: sufficiency test (TSS tile + one tile in shuffled backgrounds) of every context.

    ``Normalized CRE effect`` is ``(MUT - CONTROL) / WT`` in enhancing contexts and
    ``(MUT - CONTROL) / CONTROL`` elsewhere, as in the published ``sufficient_CREs.csv``.

    Writes ``<cell>/sufficiency_test.csv`` (``SUFFICIENCY_COLUMNS``),
    ``<cell>/sufficient_CREs.csv`` (+ ``tile class``, threshold 0.3),
    ``<cell>/CRE_characterization/sufficient_CRE_coordinates.csv`` and
    ``<cell>/sufficiency_test_tile_coordinates.csv``.
    """
    from creme_lib.experiments import sufficiency_test

    tss_tile, tiles = tiles_of(cfg)
    got = _per_context_test(
        cfg, "sufficiency",
        lambda e, x, sid: sufficiency_test(e, x, tss_tile, tiles, cfg.n_shuffles, name=sid).to_frame(),
    )
    if got is None:
        return None
    df, ctx = got
    coords = pd.DataFrame(
        {**{str(i): [int(a), int(b)] for i, (a, b) in enumerate(tiles)}, "tss": [int(tss_tile[0]), int(tss_tile[1])]}
    )
    write_cell_table(cfg, "sufficiency_test_tile_coordinates", coords)
    if df.empty:
        df = pd.DataFrame(columns=SUFFICIENCY_COLUMNS)
    else:
        df = df.merge(ctx[["seq_id", "context"]], on="seq_id", how="left").assign(cell_line=cfg.cell_line)
        df["Normalized CRE effect"] = normalized_cre_effect(df)
        df = df[SUFFICIENCY_COLUMNS]
    write_cell_table(cfg, "sufficiency_test", df, "no selected contexts")
    eff = df["Normalized CRE effect"].to_numpy(np.float64)
    cls = classify_tiles(eff, df["context"].to_numpy(), cfg.thresholds.sufficiency)
    cres = df[cls != None].assign(**{"tile class": cls[cls != None]})  # noqa: E711
    write_cell_table(cfg, "sufficient_CREs", cres, "no tile passes the sufficiency threshold")
    write_cell_table(cfg, "CRE_characterization/sufficient_CRE_coordinates", cre_coordinates(cfg, cres, "Normalized CRE effect"))
    return df


# ------------------------------------------------------------------------- 06 marks


def run_cre_marks(cfg: PipelineConfig) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Step 06: bigWig signal and repeat content of sufficient CREs; enhancers vs silencers.

    For every sufficient CRE: mean and max of each ``<cell_line>.<mark>.bw`` track in
    ``bigwig_dir`` over the CRE's genome interval, and its soft-masked (repeat) fraction;
    then two-sided Mann-Whitney U tests between enhancers and silencers
    (:func:`creme_lib.marks.compare_groups`, Bonferroni ``sign``).

    Writes ``<cell>/CRE_characterization/sufficient_CRE_marks.csv`` and
    ``<cell>/CRE_characterization/pvalues_per_TF_for_sufficient_CREs.csv``
    (:func:`~creme_lib.pipeline.tables.merge_tables` recomputes the latter pooling all cell
    lines).

    Raises
    ------
    FileNotFoundError
        If no bigWig folder was given (or found next to the genome) or it has no track
        of the cell line.
    """
    from creme_lib.marks import compare_groups, find_bigwigs, mark_table

    if cfg.bigwig_dir is None:
        raise FileNotFoundError(
            "step 06 needs bigWig tracks: pass bigwig_dir=<folder with '<cell_line>.<mark>.bw' files>"
        )
    bigwigs = find_bigwigs(cfg.bigwig_dir, cfg.cell_line)
    cres = load_sufficient_cres(cfg)
    coords = cre_coordinates(cfg, cres, "Normalized CRE effect")
    coords = coords.assign(seq_id=cres["seq_id"].to_numpy(), tile_start=cres["tile_start"].to_numpy(),
                           tile_end=cres["tile_end"].to_numpy())

    def compute(sid: str) -> pd.DataFrame:
        rows = coords[coords.seq_id == sid]
        iv = pd.DataFrame({"chrom": rows["chromosome"], "start": rows["CRE start coordinate"],
                           "end": rows["CRE end coordinate"]})
        t = mark_table(iv, bigwigs, cfg.genome_fasta)
        return pd.concat([rows.reset_index(drop=True), t.drop(columns=["chrom", "start", "end"]).reset_index(drop=True)], axis=1)

    ids = run_parts(cfg, "cre_marks", coords.seq_id, compute)
    if not cfg.collecting:
        return None
    marks = collect_parts(cfg, "cre_marks", ids)
    if marks.empty:
        cols = list(coords.columns) + [f"{m} ({s})" for m in bigwigs for s in ("mean", "max")] + ["repeat fraction"]
        marks = pd.DataFrame(columns=cols)
    write_cell_table(cfg, "CRE_characterization/sufficient_CRE_marks", marks, "no sufficient CREs")
    mark_cols = [c for c in marks.columns if c.endswith(" (mean)") or c.endswith(" (max)") or c == "repeat fraction"]
    pv = compare_groups(marks.astype({c: float for c in mark_cols}), marks=mark_cols, group="CRE type")
    write_cell_table(cfg, "CRE_characterization/pvalues_per_TF_for_sufficient_CREs", pv)
    return marks, pv
