"""The pipeline's tables: per-gene parts in the result store, cell-line tables, merging."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pandas as pd

from creme_lib.ids import enf_data_ids, seq_ids
from creme_lib.pipeline.config import PipelineConfig
from creme_lib.store import atomic_write_csv, safe_name

# One logger for the whole package, named explicitly (its name shows in the notebooks).
log = logging.getLogger("creme_lib.pipeline")

# -------------------------------------------------------------------- columns

NECESSITY_COLUMNS = ["Normalized shuffle effect", "seq_id", "tile_start", "tile_end", "context", "cell_line"]
SUFFICIENCY_COLUMNS = [
    "(MUT - CONTROL) / WT", "(MUT - CONTROL) / CONTROL", "seq_id", "control", "wt", "mut",
    "tile_start", "tile_end", "context", "cell_line", "Normalized CRE effect",
]
COORDINATE_COLUMNS = [
    "chromosome", "CRE start coordinate", "CRE end coordinate", "strand", "gene", "TSS coordinate",
    "cell line", "CRE type", "normalized effect",
]
DISTANCE_COLUMNS = [
    "Fold change over control", "CRE sufficiency effect", "Binned distance (Kb)", "Normalized CRE effect (control)",
    "cell line", "control", "enf_data_id", "context", "tile class",
]


# ------------------------------------------------------------- cell-line tables


def _cell_table_path(cfg: PipelineConfig, name: str) -> Path:
    return cfg.root / safe_name(cfg.cell_line) / f"{name}.csv"


def _write_cell_table(cfg: PipelineConfig, name: str, df: pd.DataFrame, why_empty: str = "", index: bool = False) -> Path:
    """Write a cell line's table atomically; an empty one is written (headers) and logged.

    Raises
    ------
    ValueError
        For a frame without columns: an empty table must still say what it would hold.
    """
    if len(df.columns) == 0:
        raise ValueError(f"{cfg.cell_line}: table {name} has no columns; give the empty table its header")
    if df.empty:
        log.warning("%s: table %s is empty%s", cfg.cell_line, name, f" ({why_empty})" if why_empty else "")
    return atomic_write_csv(df, _cell_table_path(cfg, name), index=index)


def read_cell_table(cfg: PipelineConfig, name: str, step: str = "", index_col: int | None = None) -> pd.DataFrame:
    """A cell line's table written by an earlier step.

    Raises
    ------
    FileNotFoundError
        Naming the step that writes it.
    """
    path = _cell_table_path(cfg, name)
    if not path.is_file():
        hint = f"; run step {step} for {cfg.cell_line} first" if step else ""
        raise FileNotFoundError(f"table not found: {path}{hint}")
    return pd.read_csv(path, index_col=index_col)


def selected_genes_path(cfg: PipelineConfig) -> Path:
    """``<root>/<track>_<cell line>_selected_genes.csv`` (the paper's file names: ``5111_K562_...``
    for Enformer, ``872&873_K562 ENCODE, biol__...`` for Borzoi)."""
    return cfg.root / f"{cfg.track_label}_{cfg.track_title}_selected_genes.csv"


def selected_contexts_path(cfg: PipelineConfig) -> Path:
    return cfg.root / f"{cfg.cell_line}_selected_contexts.csv"


def load_selected_genes(cfg: PipelineConfig) -> pd.DataFrame:
    """Step 01's selection with ``seq_id`` and ``wt`` columns; ``FileNotFoundError`` if not run."""
    p = selected_genes_path(cfg)
    if not p.is_file():
        raise FileNotFoundError(f"selected genes not found: {p}; run step 01_tss_activity for {cfg.cell_line} first")
    df = pd.read_csv(p, dtype={"Chromosome": str})
    return df.assign(seq_id=seq_ids(df).to_numpy(), wt=df[cfg.track_title].to_numpy())


def load_selected_contexts(cfg: PipelineConfig) -> pd.DataFrame:
    """Step 02's sampled contexts joined with their genes (``Chromosome, Start, Strand``...)."""
    p = selected_contexts_path(cfg)
    if not p.is_file():
        raise FileNotFoundError(f"selected contexts not found: {p}; run step 02_context_dependence for {cfg.cell_line} first")
    ctx = pd.read_csv(p)
    genes = load_selected_genes(cfg)[["seq_id", "Chromosome", "Start", "Strand", "gene_name", "gene_id"]]
    return ctx.merge(genes, on="seq_id", how="left", validate="one_to_one")


def load_sufficient_cres(cfg: PipelineConfig, tile_class: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """Sufficient CREs of the cell line (strongest ``|Normalized CRE effect|`` first), with genes.

    Adds ``enf_data_id`` (``{seq_id}_{tile_start}_{tile_end}``) and the gene columns.
    """
    cres = read_cell_table(cfg, "sufficient_CREs", "05_sufficiency")
    if tile_class is not None:
        cres = cres[cres["tile class"] == tile_class]
    cres = cres.assign(_abs=cres["Normalized CRE effect"].abs()).sort_values(
        ["tile class", "_abs", "seq_id", "tile_start"], ascending=[True, False, True, True], kind="mergesort"
    )
    if limit is not None:
        cres = cres.groupby("tile class", sort=True).head(limit)
    cres = cres.drop(columns="_abs")
    genes = load_selected_genes(cfg)[["seq_id", "Chromosome", "Start", "Strand", "gene_name", "gene_id"]]
    cres = cres.merge(genes, on="seq_id", how="left")
    return cres.assign(enf_data_id=enf_data_ids(cres).to_numpy()).reset_index(drop=True)


# ------------------------------------------------------------------------ parts


def _shard(cfg: PipelineConfig, ids: Iterable[str]) -> list[str]:
    return sorted(set(ids))[cfg.shard_index :: cfg.shard_count]


def _drop_track(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=["track"], errors="ignore")


def _genes_by_id(df: pd.DataFrame) -> dict[str, pd.Series]:
    return {r.seq_id: r for r in df.itertuples(index=False)}  # type: ignore[misc]


def _run_parts(cfg: PipelineConfig, test: str, ids: Sequence[str], fn: Callable[[str], pd.DataFrame]) -> list[str]:
    """``store.run`` over this shard's ids, logging what was computed and what was reused."""
    store = cfg.store()
    mine = _shard(cfg, ids)
    done = store.run(cfg.cell_line, test, mine, fn, progress=False, provenance=cfg.provenance(test))
    log.info(
        "%s %s: %d parts computed, %d reused (shard %d/%d of %d ids)",
        cfg.cell_line, test, len(done), len(mine) - len(done), cfg.shard_index, cfg.shard_count, len(set(ids)),
    )
    return sorted(set(ids))


def _collect(cfg: PipelineConfig, test: str, ids: Sequence[str]) -> pd.DataFrame:
    store = cfg.store()
    prov = cfg.provenance(test)
    missing = [i for i in ids if store.check(cfg.cell_line, test, i, prov) == "missing"]
    if missing:
        raise RuntimeError(f"{cfg.cell_line} {test}: {len(missing)} parts missing (e.g. {missing[0]}); rerun the step")
    return store.collect(cfg.cell_line, test, ids, provenance=prov)


# ----------------------------------------------------------------------- merging

#: Per-cell-line tables merged by :func:`merge_tables` (name -> has an index column).
MERGED_TABLES: dict[str, bool] = {
    "context_dependence_test": False,
    "N_seqs_per_context_category": False,
    "context_swap_test": False,
    "necessity_test": False,
    "necessary_CREs": False,
    "sufficiency_test": False,
    "sufficient_CREs": False,
    "distance_test": False,
    "fine_tile_search": False,
    "motif_analysis/CREME_vs_saliency_vs_XSTREME": False,
    "motif_analysis/example_seqs": False,
    "greedy_search/min_traces": False,
    "greedy_search/max_traces": False,
    "greedy_search/min_locations": False,
    "greedy_search/max_locations": False,
    "greedy_search/min_second_iteration": True,
    "greedy_search/max_second_iteration": True,
    "greedy_search/min_interactions": False,
    "greedy_search/max_interactions": False,
    "greedy_search/sufficiency_of_greedy_tiles_min": False,
    "greedy_search/sufficiency_of_greedy_tiles_max": False,
    "multiplicity": False,
    "CRE_characterization/necessary_CRE_coordinates": False,
    "CRE_characterization/sufficient_CRE_coordinates": False,
    "CRE_characterization/sufficient_CRE_marks": False,
}


def merge_tables(results_dir: str | os.PathLike, model: str, cell_lines: Sequence[str]) -> list[Path]:
    """Concatenate every cell line's tables into the paper's cross-cell-line tables.

    Cell lines are concatenated in the given order, each in its own (gene-sorted) order,
    so the result is the same however the per-cell-line runs were scheduled. Also writes
    ``sufficiency_test_tile_coordinates.csv`` and pools the marks of all cell lines into
    ``CRE_characterization/pvalues_per_TF_for_sufficient_CREs.csv``.

    Returns
    -------
    list of Path
        The tables written.

    Raises
    ------
    FileNotFoundError
        If a table exists for some cell lines but not for others (a step did not finish).
    """
    root = Path(results_dir) / model
    written = []
    for name, indexed in MERGED_TABLES.items():
        paths = [root / safe_name(c) / f"{name}.csv" for c in cell_lines]
        have = [p.is_file() for p in paths]
        if not any(have):
            continue
        if not all(have):
            missing = [str(p) for p, h in zip(paths, have) if not h]
            raise FileNotFoundError(f"table {name} missing for some cell lines: {missing}")
        frames = [pd.read_csv(p, index_col=0 if indexed else None) for p in paths]
        df = pd.concat(frames, ignore_index=not indexed)
        written.append(atomic_write_csv(df, root / f"{name}.csv", index=indexed))
    coords = root / safe_name(cell_lines[0]) / "sufficiency_test_tile_coordinates.csv"
    if coords.is_file():
        written.append(atomic_write_csv(pd.read_csv(coords, index_col=0), root / "sufficiency_test_tile_coordinates.csv", index=True))
    marks_path = root / "CRE_characterization" / "sufficient_CRE_marks.csv"
    if marks_path.is_file():
        from creme_lib.marks import compare_groups

        marks = pd.read_csv(marks_path)
        cols = [c for c in marks.columns if c.endswith(" (mean)") or c.endswith(" (max)") or c == "repeat fraction"]
        pv = compare_groups(marks.astype({c: float for c in cols}), marks=cols, group="CRE type")
        written.append(atomic_write_csv(pv, root / "CRE_characterization" / "pvalues_per_TF_for_sufficient_CREs.csv"))
    log.info("merged %d tables of %s into %s", len(written), ", ".join(cell_lines), root)
    return written
