"""Result tables in the paper's schema: loading and tidying.

A *results folder* holds one sub-folder per model (``enformer/``, ``borzoi/``) plus
``CRE_characterization/``, with the file names and column names of the authors'
``results/summary_csvs`` (the published copy under :func:`creme_lib.paths.published_results_dir`).
A fresh run of this project's pipeline writes the same layout under ``results/``, so
every function here takes a ``results_dir`` (``None`` = the published copy) and works on
either.

Tables are named by their path inside the model folder without ``.csv``, e.g.
``"necessity_test"``, ``"greedy_search/min_locations"``; the two per-cell-line tables are
``"selected_contexts"`` (``{cell_line}_selected_contexts.csv``) and ``"selected_genes"``
(``<id>_{cell_line}..._selected_genes.csv``).

The paper's rules that classify these tables (context categories, CRE classes,
interaction types) live in :mod:`creme_lib.analysis`; this module only loads and tidies.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from creme_lib.analysis import OTHER_CONTEXT, Thresholds, classify_context, default_thresholds
from creme_lib.ids import seq_ids
from creme_lib.paths import book_run_dir, display_path, published_results_dir
from creme_lib.schemas import required_columns

__all__ = [
    "MODELS",
    "PUBLISHED_MISSING",
    "EXPECTED_COLUMNS",
    "MISSING_TABLE_COLUMNS",
    "COLUMN_RENAMES",
    "MissingTableError",
    "resolve_results_dir",
    "is_published",
    "describe_source",
    "PUBLISHED_SOURCE",
    "table_path",
    "has_table",
    "load_table",
    "missing_tables",
    "selected_genes",
    "tile_offsets_kb",
    "tss_offset_kb",
    "add_iteration",
    "second_iteration_wide",
    "paired_context_effects",
    "model_activity_pairs",
    "fine_tile_scores_long",
    "context_swap_long",
]

MODELS: tuple[str, ...] = ("enformer", "borzoi")

#: Tables the paper's code wrote that are *not* in the published copy (README of
#: ``creme_paper_results``: too large for the copy; they exist upstream). A page or audit
#: row that needs one of them draws it only from a fresh pipeline run.
PUBLISHED_MISSING: dict[str, frozenset[str]] = {
    "enformer": frozenset(
        {
            "context_dependence_test",
            "context_swap_test",
            "sufficiency_test",
            "greedy_search/min_traces",
            "greedy_search/max_traces",
            "multiplicity",
        }
    ),
    "borzoi": frozenset({"sufficiency_test"}),
}

#: Columns this project expects in tables that are missing from the published copy (so
#: their schema cannot be read off it): the ``required`` columns of their
#: :mod:`creme_lib.schemas` records. A fresh pipeline run must write at least these.
MISSING_TABLE_COLUMNS: dict[str, tuple[str, ...]] = required_columns(frozenset().union(*PUBLISHED_MISSING.values()))
#: The former name of :data:`MISSING_TABLE_COLUMNS` (the same object).
EXPECTED_COLUMNS = MISSING_TABLE_COLUMNS


#: Published columns renamed on loading, so that one name has one meaning across models:
#: the Borzoi distance table calls the CRE id (``GENE_chrom_TSS_strand_start_end``)
#: ``seq_id``, which everywhere else is the gene window's id; the Enformer table and this
#: pipeline call it ``enf_data_id``.
COLUMN_RENAMES: dict[tuple[str, str], dict[str, str]] = {("borzoi", "distance_test"): {"seq_id": "enf_data_id"}}


# ------------------------------------------------------------------------------ loading
class MissingTableError(FileNotFoundError):
    """A results table is not in the results folder.

    Attributes
    ----------
    path : pathlib.Path
        The file that was looked for.
    published_gap : bool
        ``True`` if the table is one the published copy lacks (:data:`PUBLISHED_MISSING`).
    """

    def __init__(self, path: Path, published_gap: bool, detail: str = ""):
        self.path = Path(path)
        self.published_gap = published_gap
        if published_gap:
            why = (
                "it is one of the tables the published copy does not contain (see the "
                "README of creme_paper_results); point results_dir at a fresh pipeline run"
            )
        else:
            why = "it is not one of the tables the published copy is known to lack"
        msg = f"results table not found: {self.path} ({why})"
        if detail:
            msg += f"; {detail}"
        super().__init__(msg)


def resolve_results_dir(results_dir: str | Path | None = None) -> Path:
    """``results_dir`` as a Path; ``None`` means the published copy."""
    return published_results_dir() if results_dir is None else Path(results_dir)


def is_published(results_dir: str | Path | None) -> bool:
    """Whether ``results_dir`` is (the default location of) the published copy."""
    if results_dir is None:
        return True
    try:
        return Path(results_dir).resolve() == published_results_dir().resolve()
    except OSError:  # pragma: no cover - unreadable path
        return False


#: Where the published copy comes from (its README in the shared data folder).
PUBLISHED_SOURCE = "published tables (Zenodo 10.5281/zenodo.12584210)"


def describe_source(results_dir: str | Path | None = None) -> str:
    """A reader's name for a results folder, without the machine's absolute paths.

    ``None`` (or the published copy's location) gives :data:`PUBLISHED_SOURCE`; a pipeline
    run's folder is named relative to the working directory when inside it (``results``),
    else by its last two path parts.
    """
    if is_published(results_dir):
        return PUBLISHED_SOURCE
    if Path(results_dir).resolve() == book_run_dir().resolve():
        return "this book's run (`make pipeline`)"
    return f"pipeline run `{display_path(results_dir)}`"


def _selected_genes_path(folder: Path, cell_line: str) -> Path | None:
    # enformer: "5111_K562_selected_genes.csv"; borzoi: "872&873_K562 ENCODE, biol__selected_genes.csv"
    pat = re.compile(rf"^[^_]*_{re.escape(cell_line)}[ _].*selected_genes\.csv$")
    if not folder.is_dir():
        return None
    hits = sorted(p for p in folder.iterdir() if pat.match(p.name))
    return hits[0] if hits else None


def table_path(
    results_dir: str | Path | None = None,
    model: str = "enformer",
    name: str = "necessity_test",
    cell_line: str | None = None,
) -> Path:
    """Path of a results table (it need not exist).

    Parameters
    ----------
    results_dir : str, Path or None
        Results folder; ``None`` = the published copy.
    model : str
        Model folder (``"enformer"``, ``"borzoi"``) or ``"CRE_characterization"``.
    name : str
        Table name: its path inside the model folder without ``.csv``.
    cell_line : str, optional
        Required for the per-cell-line tables ``selected_contexts`` and ``selected_genes``.
    """
    folder = resolve_results_dir(results_dir) / model
    if name in ("selected_contexts", "selected_genes"):
        if cell_line is None:
            raise ValueError(f"table {name!r} is per cell line: pass cell_line=")
        if name == "selected_contexts":
            return folder / f"{cell_line}_selected_contexts.csv"
        found = _selected_genes_path(folder, cell_line)
        return found if found is not None else folder / f"<id>_{cell_line}_selected_genes.csv"
    return folder / f"{name}.csv"


def has_table(
    results_dir: str | Path | None = None,
    model: str = "enformer",
    name: str = "necessity_test",
    cell_line: str | None = None,
) -> bool:
    """Whether the table exists in the results folder."""
    return table_path(results_dir, model, name, cell_line).is_file()


def missing_tables(
    names: list[str] | tuple[str, ...], results_dir: str | Path | None = None, model: str = "enformer"
) -> list[str]:
    """The file names among ``names`` that the results folder lacks."""
    return [f"{model}/{n}.csv" for n in names if not has_table(results_dir, model, n)]


@lru_cache(maxsize=64)
def _read_csv_cached(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    with open(path, encoding="utf-8") as fh:
        header = fh.readline()
    index_col = 0 if header.startswith(",") else None
    return pd.read_csv(path, index_col=index_col)


def load_table(
    results_dir: str | Path | None = None,
    model: str = "enformer",
    name: str = "necessity_test",
    cell_line: str | None = None,
) -> pd.DataFrame:
    """Read one results table as a DataFrame, with the paper's column names.

    Columns listed in :data:`COLUMN_RENAMES` get their one name. The unnamed first column of the authors' CSVs (a leftover row index) becomes the
    index. For ``selected_contexts`` / ``selected_genes`` ``cell_line`` picks the file;
    for other tables it keeps the rows of that cell line (column ``cell_line`` or
    ``cell line``).

    Raises
    ------
    MissingTableError
        (a :class:`FileNotFoundError`) naming the missing file and saying whether it is
        one of the tables the published copy lacks.
    """
    path = table_path(results_dir, model, name, cell_line)
    if not path.is_file():
        gap = name in PUBLISHED_MISSING.get(model, frozenset())
        detail = ""
        if name == "selected_genes":
            detail = f"looked for '*_{cell_line}[ _]*selected_genes.csv' in {path.parent}"
        raise MissingTableError(path, gap, detail)
    st = path.stat()
    df = _read_csv_cached(str(path), st.st_mtime_ns, st.st_size).copy()
    renames = {a: b for a, b in COLUMN_RENAMES.get((model, name), {}).items() if a in df.columns and b not in df.columns}
    if renames:
        df = df.rename(columns=renames)
    if cell_line is not None and name not in ("selected_contexts", "selected_genes"):
        col = "cell_line" if "cell_line" in df.columns else ("cell line" if "cell line" in df.columns else None)
        if col is None:
            raise ValueError(f"table {path.name} has no cell line column to filter on")
        df = df[df[col] == cell_line]
    return df


# ------------------------------------------------------------------------ tidy helpers
def selected_genes(results_dir: str | Path | None = None, model: str = "enformer", cell_line: str = "K562") -> pd.DataFrame:
    """The 10,000 selected genes of a cell line with ``seq_id`` and ``wt`` columns added.

    ``seq_id`` is ``{gene_name}_{Chromosome}_{Start}_{Strand}`` (the ids of the test
    tables); ``wt`` is the model's predicted wild-type TSS activity (the table's last,
    cell-line-named column).
    """
    df = load_table(results_dir, model, "selected_genes", cell_line)
    activity = [c for c in df.columns if c not in ("Chromosome", "Start", "gene_name", "gene_id", "Strand")]
    if len(activity) != 1:
        raise ValueError(f"selected genes table of {cell_line}: cannot tell the activity column among {activity}")
    return df.assign(seq_id=seq_ids(df), wt=df[activity[0]].astype(float), cell_line=cell_line)


def tile_offsets_kb(results_dir: str | Path | None = None, model: str = "enformer") -> np.ndarray:
    """Centre of each non-TSS tile relative to the TSS tile centre, in kb (input order).

    Read from ``sufficiency_test_tile_coordinates.csv`` (row 0 starts, row 1 ends,
    column ``tss`` the TSS tile); Enformer's 38 tiles give -95 ... -5, 5 ... 95 kb.
    """
    coords = load_table(results_dir, model, "sufficiency_test_tile_coordinates")
    tiles = [c for c in coords.columns if c != "tss"]
    starts = coords[tiles].iloc[0].to_numpy(np.float64)
    ends = coords[tiles].iloc[1].to_numpy(np.float64)
    tss_c = (float(coords["tss"].iloc[0]) + float(coords["tss"].iloc[1])) / 2
    return ((starts + ends) / 2 - tss_c) / 1000.0


def tss_offset_kb(df: pd.DataFrame, tss_tile: tuple[int, int] = (95_804, 100_804)) -> pd.Series:
    """Position of each CRE tile (``tile_start``/``tile_end``) relative to the TSS tile, kb."""
    centre = (df["tile_start"].to_numpy(np.float64) + df["tile_end"].to_numpy(np.float64)) / 2
    return pd.Series((centre - sum(tss_tile) / 2) / 1000.0, index=df.index, name="Distance to TSS (kb)")


def add_iteration(df: pd.DataFrame, by: tuple[str, ...] = ("cell_line", "seq_id"), name: str = "N tiles") -> pd.DataFrame:
    """Number each sequence's rows 0, 1, ... in file order (greedy round / tile index)."""
    return df.assign(**{name: df.groupby(list(by), sort=False).cumcount()})


def second_iteration_wide(df: pd.DataFrame) -> pd.DataFrame:
    """Greedy second-iteration table as one row per sequence, with hypothetical models.

    Input: ``greedy_search/{min,max}_second_iteration.csv`` (index ``wt``,
    ``greedy_it1``, ``greedy_it2``, ``two_cres_shuffled``; activity in column ``0``).
    Output columns: ``cell_line, context, seq_id``, the four activities, and the fold
    changes over WT ``greedy`` (both CREs shuffled), ``additive``
    (``1 + (it1 - wt)/wt + (it2 - wt)/wt``) and ``multiplicative``
    (``(it1/wt) * (it2/wt)``).
    """
    long = df.rename_axis("measurement").reset_index()
    val = "0" if "0" in long.columns else long.columns[1]
    wide = long.pivot_table(index=["cell_line", "context", "seq_id"], columns="measurement", values=val, sort=False)
    wide = wide.reset_index()
    wide.columns.name = None
    wt = wide["wt"]
    r1, r2 = wide["greedy_it1"] / wt, wide["greedy_it2"] / wt
    return wide.assign(
        greedy=wide["two_cres_shuffled"] / wt,
        additive=1.0 + (r1 - 1.0) + (r2 - 1.0),
        multiplicative=r1 * r2,
    )


def paired_context_effects(
    results_dir: str | Path | None = None,
    model: str = "enformer",
    a: str = "K562",
    b: str = "GM12878",
) -> tuple[pd.DataFrame, str]:
    """Normalized context effects of the same sequences in two cell lines (ED Fig. 1c).

    Uses ``context_dependence_test.csv`` (every tested sequence) when present, else the
    two ``*_selected_contexts.csv`` tables, which cover only the sequences selected in
    both cell lines. Returns ``(df, source)`` with columns ``seq_id, {a}, {b}`` (the
    ``delta_mean`` values) and the name of the table(s) used.
    """
    if has_table(results_dir, model, "context_dependence_test"):
        cd = load_table(results_dir, model, "context_dependence_test")
        x = cd[cd["cell_line"] == a][["seq_id", "delta_mean"]].rename(columns={"delta_mean": a})
        y = cd[cd["cell_line"] == b][["seq_id", "delta_mean"]].rename(columns={"delta_mean": b})
        src = f"{model}/context_dependence_test.csv"
    else:
        x = load_table(results_dir, model, "selected_contexts", a)[["seq_id", "delta_mean"]].rename(columns={"delta_mean": a})
        y = load_table(results_dir, model, "selected_contexts", b)[["seq_id", "delta_mean"]].rename(columns={"delta_mean": b})
        src = f"{model}/{a}_selected_contexts.csv + {model}/{b}_selected_contexts.csv"
    return x.merge(y, on="seq_id"), src


def model_activity_pairs(
    results_dir: str | Path | None = None,
    cell_line: str = "K562",
    models: tuple[str, str] = ("enformer", "borzoi"),
    on: str = "gene_id",
) -> pd.DataFrame:
    """Predicted wild-type TSS activity of matched genes by two models (ED Fig. 2a).

    Joins the two models' ``selected_genes`` tables of ``cell_line`` on ``on``
    (``gene_id`` by default: the models' pipelines may pick different TSSs of a gene).
    Columns: ``on``, ``gene_name``, ``{Model} WT`` per model, ``cell_line``.
    """
    parts = []
    for m in models:
        g = selected_genes(results_dir, m, cell_line)[[on, "gene_name", "wt"]]
        parts.append(g.rename(columns={"wt": f"{m.capitalize()} WT"}).drop_duplicates(on))
    out = parts[0].merge(parts[1].drop(columns="gene_name"), on=on)
    return out.assign(cell_line=cell_line)


def fine_tile_scores_long(df: pd.DataFrame) -> pd.DataFrame:
    """``motif_analysis/CREME_vs_saliency_vs_XSTREME.csv`` melted for plotting.

    One row per (tile, ``CREME bps``, method) for the CREME, saliency and random
    scores; rows without a ``CREME bps`` value (the fully perturbed end point) and
    missing scores (saliency of a model without input gradients) are dropped.
    """
    d = df.dropna(subset=["CREME bps"])
    return d.melt(
        id_vars=["seq_id", "cell_line", "CREME bps"],
        value_vars=["CREME score", "Saliency score", "Random score"],
        var_name="method",
        value_name="score",
    ).assign(method=lambda x: x["method"].str.replace(" score", "", regex=False)).dropna(subset=["score"])


def context_swap_long(
    results_dir: str | Path | None = None,
    model: str = "enformer",
    cell_line: str = "K562",
    thresholds: Thresholds | None = None,
) -> pd.DataFrame:
    """Context Swap Test rows of a cell line with the source and target context categories.

    Joins ``context_swap_test.csv`` (``source_seq_id``, ``target_seq_id``, ``Normalized
    context effect``) with the categories of ``{cell_line}_selected_contexts.csv``
    (recomputed from ``delta_mean``); adds ``TSS context`` (category of the sequence the
    TSS comes from) and ``context`` (category of the receiving context).
    """
    th = thresholds or default_thresholds(model)
    sw = load_table(results_dir, model, "context_swap_test")
    if "cell_line" in sw.columns:
        sw = sw[sw["cell_line"] == cell_line]
    sc = load_table(results_dir, model, "selected_contexts", cell_line)
    cat = dict(zip(sc["seq_id"], classify_context(sc["delta_mean"], th, unclassified=OTHER_CONTEXT)))
    out = sw.assign(**{"TSS context": sw["source_seq_id"].map(cat), "context": sw["target_seq_id"].map(cat)})
    return out.dropna(subset=["TSS context", "context"])
