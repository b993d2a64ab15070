"""Steps 02 and 03: context dependence test, context categories, context swap test."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from creme_lib.analysis import CONTEXTS, OTHER_CONTEXT, classify_context, sample_contexts
from creme_lib.pipeline.config import PipelineConfig
from creme_lib.pipeline.runtime import get_model, load_window, make_engine, tiles_of
from creme_lib.pipeline.tables import (
    _drop_track, _genes_by_id, collect_parts, load_selected_contexts, load_selected_genes, read_cell_table, run_parts,
    selected_contexts_path, write_cell_table,
)
from creme_lib.schemas import columns
from creme_lib.store import atomic_write_csv

# One logger for the whole package, named explicitly (its name shows in the notebooks).
log = logging.getLogger("creme_lib.pipeline")

# ------------------------------------------------------------- 02 context dependence


def run_context_dependence(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 02: context dependence test of every selected gene (``n_shuffles_context``).

    Writes ``<cell>/context_dependence_test.csv``: ``delta_mean, path, wt, std, mean_mut,
    seq_id, context, cell_line`` (``path``: the gene's part, relative to the results root,
    where the paper had its pickle; ``context``: enhancing/neutral/silencing or ``other``).
    """
    from creme_lib.experiments import context_dependence_test

    genes = load_selected_genes(cfg)
    by_id = _genes_by_id(genes)
    tss_tile, _ = tiles_of(cfg)

    def compute(sid: str) -> pd.DataFrame:
        g = by_id[sid]
        engine = make_engine(cfg)
        x = load_window(cfg, g.Chromosome, g.Start, g.Strand)
        return _drop_track(context_dependence_test(engine, x, tss_tile, cfg.n_shuffles_context, name=sid).to_frame())

    ids = run_parts(cfg, "context_dependence", genes.seq_id, compute)
    if not cfg.collecting:
        return None
    df = collect_parts(cfg, "context_dependence", ids)
    ctx = classify_context(df["delta_mean"].to_numpy(), cfg.thresholds, unclassified=OTHER_CONTEXT)
    store = cfg.store()
    df = df.assign(
        path=[store.part(cfg.cell_line, "context_dependence", s).relative_to(store.root).as_posix() for s in df.seq_id],
        context=ctx,
        cell_line=cfg.cell_line,
    )
    df = df[columns("context_dependence_test")]
    write_cell_table(cfg, "context_dependence_test", df)
    return df


def classify_contexts(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 02b: context categories and the sample of at most ``max_per_category`` each.

    Enhancing ``delta_mean > 0.95``, neutral ``|x| < 0.05``, silencing ``< -0.3``;
    :func:`creme_lib.analysis.sample_contexts` with ``random_state=42``.

    Writes ``<cell>_selected_contexts.csv`` (``delta_mean, path, wt, std, mean_mut,
    seq_id, context, cell_line``) and ``<cell>/N_seqs_per_context_category.csv`` (``cell
    line, context category, Number of contexts, Number of contexts after sampling``).
    """
    if not cfg.collecting:
        return None
    table = read_cell_table(cfg, "context_dependence_test", "02_context_dependence")
    sel = sample_contexts(table.drop(columns=["context"]), cfg.thresholds, seed=42)
    sel = sel[columns("selected_contexts")]
    if sel.empty:
        log.warning("%s: no context is enhancing, neutral or silencing; the CRE tests have nothing to test", cfg.cell_line)
    atomic_write_csv(sel, selected_contexts_path(cfg))
    counts = pd.DataFrame(
        {
            "cell line": cfg.cell_line,
            "context category": list(CONTEXTS),
            "Number of contexts": [int((table["context"] == c).sum()) for c in CONTEXTS],
            "Number of contexts after sampling": [int((sel["context"] == c).sum()) for c in CONTEXTS],
        }
    )
    write_cell_table(cfg, "N_seqs_per_context_category", counts)
    return sel


def example_contexts(selected: pd.DataFrame) -> pd.DataFrame:
    """One typical sequence per context category: the sampled context whose ``delta_mean`` is
    nearest its category's median (ties: the first in table order).

    ``selected`` is ``<cell>_selected_contexts.csv``; the result holds one of its rows per
    category that has any, in :data:`creme_lib.analysis.CONTEXTS` order.
    """
    rows = []
    for c in CONTEXTS:
        g = selected[selected["context"] == c]
        if len(g):
            d = (g["delta_mean"] - g["delta_mean"].median()).abs().to_numpy()
            rows.append(g.iloc[int(d.argmin())])
    return pd.DataFrame(rows, columns=selected.columns)


def write_context_examples(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 02c: Fig. 1c's coverage tracks, the wild type and its first context shuffle, of
    one typical context per category (:func:`example_contexts`).

    Writes ``<cell>/example_sequences.csv``: ``WT, MUT`` (the cell line's track over every
    output bin, in bin order), ``name`` (``"enhancing context"``, ...), ``cell_line``; the
    published table's layout plus the cell line.
    """
    from creme_lib.experiments import context_coverage

    if not cfg.collecting:
        return None
    examples = example_contexts(load_selected_contexts(cfg))
    tss_tile, _ = tiles_of(cfg)
    model = get_model(cfg)
    frames = []
    with model.selecting_bins(None):  # every output bin, from the run's own model
        for r in examples.itertuples(index=False):
            x = load_window(cfg, r.Chromosome, r.Start, r.Strand)
            cov = context_coverage(model, x, tss_tile, name=r.seq_id, shuffle=0, seed=cfg.seed)[:, :, 0]
            frames.append(pd.DataFrame({"WT": cov[0], "MUT": cov[1], "name": f"{r.context} context",
                                        "cell_line": cfg.cell_line}))
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns("example_sequences"))
    write_cell_table(cfg, "example_sequences", df[columns("example_sequences")],
                     why_empty="no context fell into any category")
    return df


# -------------------------------------------------------------------- 03 context swap


def swap_contexts(cfg: PipelineConfig) -> pd.DataFrame:
    """The contexts entering the swap test: up to ``swap_per_category`` per category.

    The first ones of each category in ``seq_id`` order (the sample is already random).
    """
    ctx = load_selected_contexts(cfg)
    if cfg.swap_per_category is None:
        return ctx.sort_values("seq_id").reset_index(drop=True)
    parts = [g.sort_values("seq_id").head(cfg.swap_per_category) for _, g in ctx.groupby("context", sort=True)]
    return pd.concat(parts).reset_index(drop=True) if parts else ctx.iloc[:0]


def run_context_swap(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 03: every swap TSS pasted into every swap context (one part per source TSS).

    Writes ``<cell>/context_swap_test.csv``: ``source_seq_id, target_seq_id, wt_source,
    wt_target, mut, Normalized context effect`` (``(MUT - WT_source) / WT_source``),
    ``source context, target context, cell_line``.
    """
    from creme_lib.experiments import context_swap_test

    ctx = swap_contexts(cfg)
    by_id = _genes_by_id(ctx)
    ids = sorted(ctx.seq_id)
    tss_tile, _ = tiles_of(cfg)
    state: dict[str, Any] = {}

    def compute(sid: str) -> pd.DataFrame:
        if "engine" not in state:  # register every context once, shared by all sources
            engine = make_engine(cfg)
            for t in ids:
                g = by_id[t]
                engine.register(t, load_window(cfg, g.Chromosome, g.Start, g.Strand))
            state["engine"] = engine
        engine = state["engine"]
        g = by_id[sid]
        # Every target is registered already; re-registering the source is a no-op.
        x = {sid: load_window(cfg, g.Chromosome, g.Start, g.Strand)}
        return _drop_track(context_swap_test(engine, x, tss_tile, sources=[sid], targets=ids).to_frame())

    run_parts(cfg, "context_swap", ids, compute)
    if not cfg.collecting:
        return None
    df = collect_parts(cfg, "context_swap", ids)
    cat = dict(zip(ctx.seq_id, ctx.context))
    if not df.empty:
        df = df.assign(
            **{
                "source context": df.source_seq_id.map(cat),
                "target context": df.target_seq_id.map(cat),
                "cell_line": cfg.cell_line,
            }
        )
    else:
        df = pd.DataFrame(columns=columns("context_swap_test"))
    write_cell_table(cfg, "context_swap_test", df, "no selected contexts")
    return df
