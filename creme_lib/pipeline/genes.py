"""Step 01: TSS activity and gene selection."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from creme_lib.annotation import protein_coding_tss
from creme_lib.ids import seq_ids
from creme_lib.pipeline.config import PipelineConfig
from creme_lib.pipeline.runtime import _extractor, load_window, make_engine
from creme_lib.pipeline.tables import collect_parts, run_parts, selected_genes_path, write_cell_table
from creme_lib.schemas import columns
from creme_lib.store import atomic_write_csv

# One logger for the whole package, named explicitly (its name shows in the notebooks).
log = logging.getLogger("creme_lib.pipeline")

TSS_CHUNK = 64  # TSSs per part of step 01 (one model call per batch, few small files)


def tss_table(cfg: PipelineConfig) -> pd.DataFrame:
    """Protein-coding TSSs of the annotation with ``seq_id`` (see :mod:`creme_lib.annotation`)."""
    if cfg.annotation_gtf is None:
        raise FileNotFoundError("no annotation GTF configured (annotation_gtf=None with require_annotation=False)")
    t = protein_coding_tss(cfg.annotation_gtf)
    return t.assign(seq_id=seq_ids(t).to_numpy())


def select_genes(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 01: wild-type TSS activity of every protein-coding TSS; top genes per cell line.

    Predicts each TSS's window (mean over
    :attr:`Preset.bins <creme_lib.pipeline.config.Preset.bins>` of the cell line's track),
    keeps the most active TSS of each gene (``gene_name``), and selects the ``n_genes``
    most active genes, as the paper's ``filter_tss.py``.

    Writes
    ------
    ``<cell>/tss_activity.csv``
        Every TSS: ``seq_id, Chromosome, Start, gene_name, gene_id, Strand, transcript_id,
        activity, n_fraction``.
    ``<cell>/skipped_tss.csv``
        TSSs skipped because of their window (chromosome missing from the FASTA, or more
        than ``max_n_fraction`` ``N``), with the reason.
    ``<track>_<cell>_selected_genes.csv``
        ``Chromosome, Start, gene_name, gene_id, Strand, <cell line>`` in ascending
        activity, the paper's schema (the Borzoi tables name K562 and GM12878 by their
        track, ``K562 ENCODE, biol_``: :func:`~creme_lib.pipeline.config.track_title`).

    Returns
    -------
    pandas.DataFrame or None
        The selection (``None`` for a shard run, which only computes parts).

    Raises
    ------
    ValueError
        If ``n_genes`` exceeds the genes with a usable TSS.
    """
    tss = tss_table(cfg)
    n_avail = tss["gene_name"].nunique()
    if cfg.n_genes > n_avail:
        raise ValueError(
            f"n_genes={cfg.n_genes} but the annotation has only {n_avail} protein-coding genes ({cfg.annotation_gtf})"
        )
    chunks = {f"chunk{i // TSS_CHUNK:06d}": tss.iloc[i : i + TSS_CHUNK] for i in range(0, len(tss), TSS_CHUNK)}
    fx = _extractor(str(cfg.genome_fasta))

    def compute(chunk_id: str) -> pd.DataFrame:
        rows = chunks[chunk_id].copy()
        engine = make_engine(cfg)
        L = engine.seq_length
        nfrac = np.full(len(rows), np.nan)
        reason = np.array([""] * len(rows), dtype=object)
        names = []
        for j, r in enumerate(rows.itertuples(index=False)):
            if r.Chromosome not in fx.chrom_sizes:
                reason[j] = f"chromosome {r.Chromosome} not in the FASTA"
                continue
            x = load_window(cfg, r.Chromosome, r.Start, r.Strand)
            nfrac[j] = 1.0 - float(x.sum()) / L
            if nfrac[j] > cfg.max_n_fraction:
                reason[j] = f"window {nfrac[j]:.1%} N (> {cfg.max_n_fraction:.0%})"
                continue
            names.append(engine.register(r.seq_id, x))
        act = np.full(len(rows), np.nan)
        if names:
            from creme_lib.perturb import wild_type

            pred = engine.predict([wild_type(n) for n in names])[:, 0]
            pos = {n: i for i, n in enumerate(names)}
            for j, sid in enumerate(rows.seq_id):
                if sid in pos:
                    act[j] = pred[pos[sid]]
        return rows.assign(activity=act, n_fraction=nfrac, skipped=reason)

    run_parts(cfg, "tss_activity", list(chunks), compute)
    if not cfg.collecting:
        return None
    df = collect_parts(cfg, "tss_activity", list(chunks))
    # Parts store "" for usable TSSs, which CSV reads back as NaN.
    df["skipped"] = ["" if pd.isna(v) else str(v) for v in df["skipped"]]
    skipped = df[df["skipped"] != ""]
    for r in skipped.itertuples(index=False):
        log.warning("%s: skipped TSS %s: %s", cfg.cell_line, r.seq_id, r.skipped)
    write_cell_table(cfg, "skipped_tss", skipped[columns("skipped_tss")])
    ok = df[df["skipped"] == ""].drop(columns=["skipped"])
    write_cell_table(cfg, "tss_activity", ok, "no usable TSS")
    best = ok.sort_values(["activity", "seq_id"], ascending=[False, True], kind="mergesort").drop_duplicates("gene_name")
    if cfg.n_genes > len(best):
        raise ValueError(
            f"n_genes={cfg.n_genes} but only {len(best)} genes have a usable TSS window "
            f"({len(skipped)} TSSs skipped, see {cfg.store().table_path(cfg.cell_line, 'skipped_tss')})"
        )
    sel = best.sort_values(["activity", "seq_id"], kind="mergesort").iloc[-cfg.n_genes :]
    out = sel[["Chromosome", "Start", "gene_name", "gene_id", "Strand"]].assign(**{cfg.track_title: sel["activity"].to_numpy()})
    atomic_write_csv(out, selected_genes_path(cfg))
    return out
