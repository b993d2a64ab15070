"""The fallback: CREME's tables for a few sampled genes, made by the pipeline's own steps when no run exists.

This is the only part of :mod:`creme_lib.validation` that runs a model, and it runs it only
through :mod:`creme_lib.pipeline`'s public step functions (``select_genes``,
``run_context_dependence``, ``classify_contexts``, ``run_necessity``, ``run_sufficiency``,
``run_higher_order``, ``run_distance``) on a :class:`~creme_lib.pipeline.config.PipelineConfig`
of the ``synthetic`` preset, then reads the tables back with
:func:`~creme_lib.pipeline.tables.read_cell_table`: the schemas, normalizations and seeds are the
pipeline's, never a copy of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from creme_lib.validation.interactions import INTERACTION_TYPES, pair_visibility
from creme_lib.validation.tables import TABLES, load_tables, missing_cell_lines
from creme_lib.validation.truth import seq_id_of
from creme_lib.world.truth import World, context_truth

#: Folder of the fallback's tables under a results folder (``<results_dir>/validation_fallback``).
FALLBACK_DIR = "validation_fallback"

#: The pipeline preset the fallback runs (the world's ground-truth model).
FALLBACK_MODEL = "synthetic"

#: The pipeline step (notebook stem) that writes each of :data:`~creme_lib.validation.tables.TABLES`.
TABLE_STEPS: dict[str, str] = {
    "context": "02_context_dependence",
    "necessity": "04_necessity",
    "sufficiency": "05_sufficiency",
    "greedy_min": "09_higher_order",
    "distance": "08_distance",
}

_GENE_ID = re.compile(r'gene_id "([^"]+)"')


def sample_world_genes(world: World, cell_line: str, n_genes: int, seed: int = 0) -> pd.DataFrame:
    """The fallback's sample: about two thirds enhancing and one third silencing genes (truth).

    Enhancing genes come in this order: those whose planted pair a two-round greedy search
    would pick (:func:`~creme_lib.validation.interactions.pair_visibility`), cycling over the
    pair types so the interaction score sees each type that is visible at all; then the other
    genes with a planted pair;
    then the rest, each group in a seeded random order. The choice uses the truth only to
    decide *which* genes to test; every score still comes from CREME's tables.

    Returns
    -------
    pandas.DataFrame
        ``gene_id, seq_id, true_context, pair_type`` (of the planted pair, or None),
        ``pair_visible``.
    """
    from creme_lib.seeding import derive_rng

    if n_genes < 1:
        raise ValueError(f"n_genes must be >= 1, got {n_genes}")
    ct = context_truth(world, cell_line).set_index("gene_id")
    rng = derive_rng(seed, "validation", cell_line)
    vis = pair_visibility(world, cell_line)
    pair_of = vis.groupby("gene_id").true_type.first().to_dict()
    visible = set(vis.gene_id[vis.visible])
    enh = list(ct.index[ct.category == "enhancing"])
    sil = list(ct.index[ct.category == "silencing"])
    enh = [enh[i] for i in rng.permutation(len(enh))]
    sil = [sil[i] for i in rng.permutation(len(sil))]
    n_sil = min(len(sil), n_genes // 3)
    n_enh = min(len(enh), n_genes - n_sil)
    by_type = {t: [g for g in enh if g in visible and pair_of.get(g) == t] for t in INTERACTION_TYPES}
    chosen: list[str] = []
    while len(chosen) < n_enh and any(by_type.values()):
        for t in INTERACTION_TYPES:
            if by_type[t] and len(chosen) < n_enh:
                chosen.append(by_type[t].pop(0))
    rest = [g for g in enh if g not in chosen]
    rest = [g for g in rest if g in pair_of] + [g for g in rest if g not in pair_of]
    chosen += rest[: n_enh - len(chosen)]
    chosen += sil[:n_sil]
    return pd.DataFrame({
        "gene_id": chosen,
        "seq_id": [seq_id_of(world, g) for g in chosen],
        "true_context": [ct.loc[g, "category"] for g in chosen],
        "pair_type": [pair_of.get(g) for g in chosen],
        "pair_visible": [g in visible for g in chosen],
    })


def sample_annotation(world: World, gene_ids: list[str] | pd.Series, path: str | os.PathLike) -> Path:
    """Write the world's GTF restricted to some genes (the gene universe of a fallback run).

    Header lines and every line whose ``gene_id`` is one of ``gene_ids`` are kept, in order,
    so the pipeline's step 01 sees exactly these genes with their own TSSs.

    Returns
    -------
    Path
        ``path`` (written atomically).
    """
    from creme_lib.store import _atomic_write_bytes

    keep = set(gene_ids)
    missing = keep - set(world.genes.gene_id)
    if missing:
        raise KeyError(f"genes not in the world: {sorted(missing)}")
    lines = []
    with open(world.gtf, encoding="utf-8") as fh:
        for line in fh:
            m = _GENE_ID.search(line)
            if line.startswith("#") or (m is not None and m.group(1) in keep):
                lines.append(line)
    return _atomic_write_bytes("".join(lines).encode(), Path(path))


def fallback_params(
    world: World,
    cell_line: str,
    annotation_gtf: str | os.PathLike,
    n_genes: int,
    results_dir: str | os.PathLike,
    n_shuffles: int = 2,
    seed: int = 0,
    n_greedy_rounds: int = 2,
    max_distance_cres: int = 2,
    batch_size: int = 8,
) -> dict[str, Any]:
    """Parameters of the fallback's pipeline run, as a notebook passes them to ``config_from_params``.

    The ``synthetic`` preset on the world's genome, with ``annotation_gtf`` holding only the
    ``n_genes`` sampled genes (:func:`sample_annotation`) and the sizes set so that the
    pipeline keeps all of them: ``n_genes`` and ``max_per_category`` equal the sample's size,
    ``max_greedy`` too (every enhancing context gets a greedy search); the context dependence
    test gets ``max(n_shuffles, 2)`` shuffles (a standard deviation needs two), every other
    test ``n_shuffles``; ``max_cres = max_distance_cres`` (per tile class, as the pipeline
    counts it).

    Parameters
    ----------
    world : World
    cell_line : str
    annotation_gtf : path
        The sample's annotation (:func:`sample_annotation`).
    n_genes : int
        Genes in that annotation.
    results_dir : path
        The pipeline's results folder (its store is ``results_dir/synthetic``).
    n_shuffles, seed, n_greedy_rounds, max_distance_cres, batch_size : int

    Returns
    -------
    dict
        ``cell_line, model, genome_fasta, annotation_gtf, results_dir, seed`` and
        ``overrides`` (preset fields), JSON-serializable.
    """
    n = int(n_genes)
    return {
        "cell_line": cell_line,
        "model": FALLBACK_MODEL,
        "genome_fasta": str(world.fasta),
        "annotation_gtf": str(annotation_gtf),
        "results_dir": str(results_dir),
        "seed": int(seed),
        "overrides": {
            "n_genes": n,
            "n_shuffles_context": max(int(n_shuffles), 2),
            "n_shuffles": int(n_shuffles),
            "max_per_category": n,
            "max_greedy": n,
            "n_greedy_rounds": int(n_greedy_rounds),
            "max_cres": int(max_distance_cres),
            "batch_size": int(batch_size),
        },
    }


def compute_tables(
    world: World,
    cell_line: str,
    n_genes: int = 6,
    n_shuffles: int = 2,
    seed: int = 0,
    out_dir: str | os.PathLike | None = None,
    n_greedy_rounds: int = 2,
    max_distance_cres: int = 2,
    batch_size: int = 8,
    pipeline_dir: str | os.PathLike | None = None,
) -> dict[str, pd.DataFrame]:
    """Run the pipeline's steps on a small sample when no pipeline tables exist (the fallback).

    :func:`sample_world_genes` picks the sample by truth; the pipeline then runs on a copy of the
    world's annotation holding only those genes (:func:`sample_annotation`,
    :func:`fallback_params`): step 01 (TSS activity), 02 (context dependence and the
    context categories), 04 and 05 (necessity and sufficiency on the 38 tiles), 09 (greedy
    search, ``n_greedy_rounds`` rounds) and 08 (distance test of the ``max_distance_cres``
    strongest sufficient CREs of each class). Shuffles are keyed by ``(seed, seq_id, test,
    shuffle index)`` as in any pipeline run.

    The pipeline decides by CREME's own context categories, as it always does, where the
    sample was chosen by the true ones, so three things differ from running each test on
    every sampled gene (the closest the pipeline's configuration comes): a gene CREME calls
    ``other`` (neither enhancing, neutral nor silencing) gets no CRE tests; the greedy
    ``min`` search runs on the genes CREME calls enhancing (and a ``max`` search on the
    silencing ones, not scored); the distance test takes ``max_distance_cres`` enhancers
    *and* silencers. The classification thresholds are the preset's (the paper's).

    Parameters
    ----------
    world : World
        Its model must be the pipeline's ``synthetic`` model (the default mechanism).
    cell_line : str
    n_genes, n_shuffles, seed, n_greedy_rounds, max_distance_cres, batch_size : int
        As in :func:`fallback_params` (``seed`` also seeds the sample).
    out_dir : path, optional
        Write the tables as ``out_dir/<cell_line>/<table>.csv`` (the pipeline's layout)
        plus ``out_dir/<cell_line>/validation_fallback.json`` (what was run).
    pipeline_dir : path, optional
        The pipeline's results folder (its store is ``pipeline_dir/synthetic``): parts there
        are reused by a later call with the same settings, so an interrupted fallback
        resumes. ``None``: a temporary folder, removed afterwards.

    Returns
    -------
    dict
        Keys of :data:`~creme_lib.validation.tables.TABLES` -> the pipeline's tables.

    Raises
    ------
    ValueError
        If the cell line is not the world's, or the world's mechanism is not the one the
        pipeline's ``synthetic`` model computes.
    """
    from creme_lib import pipeline
    from creme_lib.store import safe_name
    from creme_lib.world.mechanism import DEFAULT_MECHANISM

    if cell_line not in world.cell_lines:
        raise ValueError(f"cell line {cell_line!r} is not in the world ({', '.join(world.cell_lines)})")
    if world.mechanism != DEFAULT_MECHANISM:
        # The preset builds SyntheticModel() with the default mechanism; another one would
        # score the world against a different model.
        raise ValueError(f"the world at {world.root} has its own mechanism; the pipeline's synthetic model "
                         "computes the default one, so its tables would not be this world's")
    sample = sample_world_genes(world, cell_line, n_genes, seed)
    with contextlib.ExitStack() as stack:
        if pipeline_dir is None:
            pipeline_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="creme-validation-"))
        pdir = Path(pipeline_dir)
        gtf = sample_annotation(world, sample.gene_id, pdir / f"{safe_name(cell_line)}_sample.gtf")
        params = fallback_params(world, cell_line, gtf, len(sample), pdir, n_shuffles, seed, n_greedy_rounds,
                                 max_distance_cres, batch_size)
        cfg = pipeline.config_from_params(params)
        # The steps' order: each reads the tables of those before it (the registry's STEPS).
        for step in (pipeline.select_genes, pipeline.run_context_dependence, pipeline.classify_contexts,
                     pipeline.run_necessity, pipeline.run_sufficiency, pipeline.run_higher_order,
                     pipeline.run_distance):
            step(cfg)
        out = {k: pipeline.read_cell_table(cfg, TABLES[k], TABLE_STEPS[k]) for k in TABLES}
    if out_dir is not None:
        write_tables(out, Path(out_dir), cell_line, meta={
            "world": str(world.root), "world_key": world.manifest.get("key", ""), "cell_line": cell_line,
            "n_genes": int(n_genes), "n_shuffles": int(n_shuffles), "seed": int(seed),
            "n_greedy_rounds": int(n_greedy_rounds), "max_distance_cres": int(max_distance_cres),
            "genes": sample.gene_id.tolist(), "pipeline_overrides": params["overrides"],
        })
    return out


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path, cell_line: str, meta: dict | None = None) -> list[Path]:
    """Write tables as ``out_dir/<cell_line>/<table>.csv`` (and a ``validation_fallback.json``)."""
    from creme_lib.store import atomic_write_csv, safe_name

    base = Path(out_dir) / safe_name(cell_line)
    written = [atomic_write_csv(df, base / f"{TABLES[k]}.csv") for k, df in tables.items() if df is not None]
    if meta is not None:
        from creme_lib.store import atomic_write_json

        atomic_write_json(meta, base / "validation_fallback.json")
    return written


def fallback_is_current(out_dir: str | os.PathLike, cell_line: str, world: World, n_genes: int, n_shuffles: int, seed: int) -> bool:
    """Whether ``out_dir`` holds fallback tables of this world, cell line and sizes."""
    from creme_lib.store import safe_name

    p = Path(out_dir) / safe_name(cell_line) / "validation_fallback.json"
    if not p.is_file():
        return False
    meta = json.loads(p.read_text())
    want = {"world_key": world.manifest.get("key", ""), "n_genes": int(n_genes), "n_shuffles": int(n_shuffles),
            "seed": int(seed)}
    return all(meta.get(k) == v for k, v in want.items()) and all(
        (Path(out_dir) / safe_name(cell_line) / f"{TABLES[k]}.csv").is_file() for k in TABLES
    )


def load_or_compute(
    results_dir: str | os.PathLike,
    world: World,
    cell_lines: list[str] | tuple[str, ...],
    n_genes: int = 6,
    n_shuffles: int = 2,
    seed: int = 0,
    fallback_dir: str | os.PathLike | None = None,
) -> tuple[dict[str, pd.DataFrame | None], pd.DataFrame]:
    """The pipeline's tables of ``results_dir``, or the fallback's for cell lines without them.

    A cell line missing from the core tables (necessity, sufficiency) gets
    :func:`compute_tables` into ``fallback_dir`` (default ``<results_dir>/validation_fallback``),
    reused on later calls if it matches the world, sizes and seed; the pipeline's own
    store for it is ``<fallback_dir>/pipeline`` (an interrupted fallback resumes there).

    Returns
    -------
    (tables, sources)
        ``tables`` as :func:`~creme_lib.validation.tables.load_tables`; ``sources``: ``cell_line, source``
        (``pipeline``,
        ``fallback (computed here)`` or ``fallback (precomputed)``: fallback tables found in
        ``results_dir``) and ``folder``.
    """
    tables = load_tables(results_dir, cell_lines)
    missing = missing_cell_lines(tables, cell_lines)
    fb = Path(fallback_dir) if fallback_dir is not None else Path(results_dir) / FALLBACK_DIR
    for line in missing:
        if not fallback_is_current(fb, line, world, n_genes, n_shuffles, seed):
            compute_tables(world, line, n_genes, n_shuffles, seed, out_dir=fb, pipeline_dir=fb / "pipeline")
    from creme_lib.paths import display_path
    from creme_lib.store import safe_name

    def source(c: str) -> str:
        if c in missing:
            return "fallback (computed here)"
        if (Path(results_dir) / safe_name(c) / "validation_fallback.json").is_file():
            return "fallback (precomputed)"
        return "pipeline"

    src = pd.DataFrame({
        "cell_line": list(cell_lines),
        "source": [source(c) for c in cell_lines],
        "folder": [display_path(fb / c) if c in missing else display_path(results_dir) for c in cell_lines],
    })
    if not missing:
        return tables, src
    fb_tables = load_tables(fb, missing)
    merged: dict[str, pd.DataFrame | None] = {}
    for k in TABLES:
        keep = [] if tables[k] is None else [tables[k][~tables[k].cell_line.isin(missing)]]
        parts = [t for t in keep + [fb_tables[k]] if t is not None and len(t)]
        merged[k] = pd.concat(parts, ignore_index=True) if parts else None
    return merged, src
