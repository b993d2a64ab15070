"""The pipeline's tables: per-gene parts in the result store, cell-line tables, merging."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pandas as pd

from creme_lib.ids import enf_data_ids, seq_ids
from creme_lib.pipeline.config import PipelineConfig
from creme_lib.schemas import MERGED_TABLES, columns, schema
from creme_lib.store import ResultStore

# One logger for the whole package, named explicitly (its name shows in the notebooks).
log = logging.getLogger("creme_lib.pipeline")

# -------------------------------------------------------------------- columns

# The tables' columns live in creme_lib.schemas; these names are kept for the code that
# imports them from here.
NECESSITY_COLUMNS: list[str] = columns("necessity_test")
SUFFICIENCY_COLUMNS: list[str] = columns("sufficiency_test")
COORDINATE_COLUMNS: list[str] = columns("CRE_characterization/sufficient_CRE_coordinates")
DISTANCE_COLUMNS: list[str] = columns("distance_test")


# ------------------------------------------------------------- cell-line tables


def write_cell_table(cfg: PipelineConfig, name: str, df: pd.DataFrame, why_empty: str = "") -> Path:
    """Write the cell line's table ``name`` atomically, with or without index as its schema says.

    An empty table is written (its header) and logged with ``why_empty``.

    Parameters
    ----------
    cfg : PipelineConfig
        The run (results root and cell line).
    name : str
        A table of :data:`creme_lib.schemas.TABLES` (e.g. ``"necessity_test"``).
    df : pandas.DataFrame
        The table, with exactly the schema's columns in order (when the schema lists them).
    why_empty : str
        Why the table may be empty, for the log.

    Returns
    -------
    Path
        ``<root>/<cell_line>/<name>.csv``.

    Raises
    ------
    ValueError
        For a frame without columns (an empty table must still say what it would hold),
        or whose columns are not its schema's.
    """
    sch = schema(name)
    if len(df.columns) == 0:
        raise ValueError(f"{cfg.cell_line}: table {name} has no columns; give the empty table its header")
    if sch.columns is not None and list(df.columns) != list(sch.columns):
        raise ValueError(f"{cfg.cell_line}: table {name} has columns {list(df.columns)}; its schema {list(sch.columns)}")
    if df.empty:
        log.warning("%s: table %s is empty%s", cfg.cell_line, name, f" ({why_empty})" if why_empty else "")
    return cfg.store().write_table(cfg.cell_line, name, df, index=sch.index)


def read_cell_table(cfg: PipelineConfig, name: str, step: str = "", index_col: int | None = None) -> pd.DataFrame:
    """A cell line's table written by an earlier step.

    Raises
    ------
    FileNotFoundError
        Naming the step that writes it.
    """
    path = cfg.store().table_path(cfg.cell_line, name)
    if not path.is_file():
        hint = f"; run step {step} for {cfg.cell_line} first" if step else ""
        raise FileNotFoundError(f"table not found: {path}{hint}")
    return pd.read_csv(path, index_col=index_col)


def selected_genes_path(cfg: PipelineConfig) -> Path:
    """``<root>/<track>_<cell line>_selected_genes.csv`` (the paper's file names: ``5111_K562_...``
    for Enformer, ``872&873_K562 ENCODE, biol__...`` for Borzoi)."""
    return cfg.root / schema("selected_genes").file.format(track_label=cfg.track_label, track_title=cfg.track_title)


def selected_contexts_path(cfg: PipelineConfig) -> Path:
    """``<root>/<cell line>_selected_contexts.csv``."""
    return cfg.root / schema("selected_contexts").file.format(cell_line=cfg.cell_line)


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


def run_parts(cfg: PipelineConfig, test: str, ids: Sequence[str], fn: Callable[[str], pd.DataFrame]) -> list[str]:
    """Compute the parts of ``test`` for this shard's ids (:meth:`creme_lib.store.ResultStore.run`), logging
    how many were computed and how many reused.

    Parameters
    ----------
    cfg : PipelineConfig
        The run: results root, cell line, shard (``shard_index`` of ``shard_count``).
    test : str
        The parts' folder under ``<root>/<cell_line>/`` (e.g. ``"necessity"``).
    ids : sequence of str
        Every id of the step (genes or CREs); the shard takes every ``shard_count``-th of
        them in sorted order.
    fn : callable
        ``fn(id)`` -> the part (a DataFrame), called only for parts not done.

    Returns
    -------
    list of str
        All ids (not only the shard's), sorted and unique: what :func:`collect_parts` takes.
    """
    store = cfg.store()
    mine = _shard(cfg, ids)
    done = store.run(cfg.cell_line, test, mine, fn, progress=False, provenance=cfg.provenance(test))
    log.info(
        "%s %s: %d parts computed, %d reused (shard %d/%d of %d ids)",
        cfg.cell_line, test, len(done), len(mine) - len(done), cfg.shard_index, cfg.shard_count, len(set(ids)),
    )
    return sorted(set(ids))


def collect_parts(cfg: PipelineConfig, test: str, ids: Sequence[str]) -> pd.DataFrame:
    """The verified parts of ``test`` for ``ids``, concatenated in sorted id order.

    Returns
    -------
    pandas.DataFrame
        The parts' rows (an empty frame without columns for no ids).

    Raises
    ------
    RuntimeError
        If a part is missing (another shard has not finished): rerun the step.
    creme_lib.store.PartError
        For a part that is damaged or was written by another configuration.
    """
    store = cfg.store()
    prov = cfg.provenance(test)
    missing = [i for i in ids if store.check(cfg.cell_line, test, i, prov) == "missing"]
    if missing:
        raise RuntimeError(f"{cfg.cell_line} {test}: {len(missing)} parts missing (e.g. {missing[0]}); rerun the step")
    return store.collect(cfg.cell_line, test, ids, provenance=prov)


# ----------------------------------------------------------------------- merging

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
    store = ResultStore(root)
    written = []
    for name, indexed in MERGED_TABLES.items():
        paths = [store.table_path(c, name) for c in cell_lines]
        have = [p.is_file() for p in paths]
        if not any(have):
            continue
        if not all(have):
            missing = [str(p) for p, h in zip(paths, have) if not h]
            raise FileNotFoundError(f"table {name} missing for some cell lines: {missing}")
        frames = [pd.read_csv(p, index_col=0 if indexed else None) for p in paths]
        df = pd.concat(frames, ignore_index=not indexed)
        written.append(store.write_table(None, name, df, index=indexed))
    # The tiles are the same for every cell line: the first one's coordinates stand for all.
    coords = "sufficiency_test_tile_coordinates"
    if store.table_path(cell_lines[0], coords).is_file():
        written.append(store.write_table(None, coords, store.read_table(cell_lines[0], coords, index_col=0), index=True))
    pvalues = "CRE_characterization/pvalues_per_TF_for_sufficient_CREs"
    marks_path = store.table_path(None, "CRE_characterization/sufficient_CRE_marks")
    if marks_path.is_file():
        from creme_lib.marks import compare_groups

        marks = pd.read_csv(marks_path)
        cols = [c for c in marks.columns if c.endswith(" (mean)") or c.endswith(" (max)") or c == "repeat fraction"]
        pv = compare_groups(marks.astype({c: float for c in cols}), marks=cols, group="CRE type")
        written.append(store.write_table(None, pvalues, pv))
    log.info("merged %d tables of %s into %s", len(written), ", ".join(cell_lines), root)
    return written
