"""The results tables' schemas: one record per table (file, columns in order, index, writing step).

This is the one home of the tables' layout. The pipeline's steps take their columns from
here (:func:`columns`), :func:`creme_lib.pipeline.tables.merge_tables` the tables it merges
(:data:`MERGED_TABLES`), :mod:`creme_lib.published` the columns it expects of the tables the
published copy lacks. It lives at the top of the package, not in :mod:`creme_lib.pipeline`,
because the loaders (:mod:`creme_lib.published`, :mod:`creme_lib.validation`) read the same
tables from the published copy and must not import the pipeline (its models and runtime)
to learn their columns.

Tables are named as everywhere in the project: by their path inside a model folder
without ``.csv`` (``"necessity_test"``, ``"greedy_search/min_traces"``,
``"CRE_characterization/sufficient_CRE_marks"``). A per-cell-line table is written to
``<model folder>/<cell_line>/<name>.csv`` (:meth:`creme_lib.store.ResultStore.table_path`);
a merged one (``merged=True``) is the concatenation of every cell line's copy at
``<model folder>/<file>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from creme_lib.marks import PVALUE_COLUMNS, REPEAT_COLUMN

__all__ = [
    "TableSchema",
    "TABLES",
    "MERGED_TABLES",
    "schema",
    "columns",
    "tables_of_step",
    "required_columns",
]


@dataclass(frozen=True)
class TableSchema:
    """The layout of one results table.

    Attributes
    ----------
    name : str
        The table's name (its path in a model folder without ``.csv``).
    file : str
        The file relative to the model folder: ``<name>.csv``, or a template with
        ``{cell_line}``, ``{track_label}``, ``{track_title}`` for a table that the step
        writes beside the cell-line folders, one per cell line (``selected_contexts``).
    columns : tuple of str or None
        The columns in file order, index excluded; ``None`` where they depend on the
        inputs (the rule is in ``description``).
    index : bool
        Whether the file's first column is an index (written and read with it).
    step : str
        The pipeline step that writes it (a key of
        :data:`creme_lib.pipeline.registry.STEP_REGISTRY`).
    per_cell_line : bool
        Whether a step writes one copy per cell line.
    merged : bool
        Whether :func:`~creme_lib.pipeline.tables.merge_tables` concatenates the cell
        lines' copies into ``<model folder>/<file>``.
    description : str
        What a row is, and for ``columns=None`` the rule that gives the columns.
    required : tuple of str or None
        The columns the project's analyses rely on (``None``: all of ``columns``); a run's
        table must hold at least these. For the tables the published copy lacks these are
        :data:`creme_lib.published.EXPECTED_COLUMNS`.
    """

    name: str
    file: str
    columns: tuple[str, ...] | None
    index: bool
    step: str
    per_cell_line: bool = True
    merged: bool = False
    description: str = ""
    required: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.columns is not None and self.required is not None and not set(self.required) <= set(self.columns):
            missing = sorted(set(self.required) - set(self.columns))
            raise ValueError(f"table {self.name}: required columns {missing} are not among its columns")

    @property
    def required_columns(self) -> tuple[str, ...] | None:
        """``required``, or every column when it is not given."""
        return self.columns if self.required is None else self.required


def _table(name: str, step: str, cols: tuple[str, ...] | None, description: str, **kw) -> TableSchema:
    return TableSchema(name=name, file=kw.pop("file", f"{name}.csv"), columns=cols, index=kw.pop("index", False),
                       step=step, description=description, **kw)


# ---------------------------------------------------------------- column lists

_CONTEXT_DEPENDENCE = ("delta_mean", "path", "wt", "std", "mean_mut", "seq_id", "context", "cell_line")
_NECESSITY = ("Normalized shuffle effect", "seq_id", "tile_start", "tile_end", "context", "cell_line")
_SUFFICIENCY = (
    "(MUT - CONTROL) / WT", "(MUT - CONTROL) / CONTROL", "seq_id", "control", "wt", "mut",
    "tile_start", "tile_end", "context", "cell_line", "Normalized CRE effect",
)
_COORDINATES = (
    "chromosome", "CRE start coordinate", "CRE end coordinate", "strand", "gene", "TSS coordinate",
    "cell line", "CRE type", "normalized effect",
)
_DISTANCE = (
    "Fold change over control", "CRE sufficiency effect", "Binned distance (Kb)", "Normalized CRE effect (control)",
    "cell line", "control", "enf_data_id", "context", "tile class",
)
# FineTileResult.to_frame without ``track``, plus the CRE id and its number of motif hits.
_FINE_TILE = (
    "window", "threshold", "step", "score", "bps", "seq_id", "tile_start", "tile_end", "enf_data_id", "n_motif_hits",
)
_TRACES = ("seq_id", "cell_line", "context", "N tiles", "greedy", "additive", "multiplicative", "mean", "single",
           "tile_start", "tile_end")
_TRACES_REQUIRED = ("seq_id", "cell_line", "context", "N tiles", "greedy", "additive", "multiplicative")
_GREEDY: dict[str, tuple[str, tuple[str, ...], str, dict]] = {
    # kind -> (step, columns, description, extra fields)
    "traces": ("09_higher_order", _TRACES,
               "One row per (sequence, number of perturbed tiles): fold changes over WT of the greedy search "
               "and of the additive and multiplicative models; the tile chosen in that round.",
               {"required": _TRACES_REQUIRED}),
    "locations": ("09_higher_order", ("tile_selected", "context", "seq_id", "cell_line"),
                  "One row per (sequence, tile): 1 if the greedy search chose the tile.", {}),
    "second_iteration": ("09_higher_order", ("0", "context", "seq_id", "cell_line"),
                         "Index wt, greedy_it1, greedy_it2, two_cres_shuffled per sequence (needs >= 2 rounds).",
                         {"index": True}),
    "interactions": ("09_higher_order", ("seq_id", "cell_line", "context", "interaction", "mse"),
                     "One row per sequence: superadditive / subadditive / additive by MSE to the additive model.", {}),
}
_MULTIPLICITY = ("seq_id", "cell_line", "context", "tile class", "copy number", "Normalized TSS effect", "tile_start",
                 "tile_end", "position", "mean", "control", "control_tss", "enf_data_id")


# ---------------------------------------------------------------------- tables

# In the order merge_tables writes them (its list of written tables keeps this order).
_ALL: tuple[TableSchema, ...] = (
    _table("tss_activity", "01_tss_activity",
           ("Chromosome", "Start", "gene_name", "gene_id", "Strand", "transcript_id", "seq_id", "activity", "n_fraction"),
           "Every protein-coding TSS with a usable window: its wild-type activity and N fraction."),
    _table("skipped_tss", "01_tss_activity", ("seq_id", "gene_id", "skipped", "n_fraction"),
           "TSSs skipped because of their window (chromosome not in the FASTA, too many N), with the reason."),
    _table("selected_genes", "01_tss_activity", None,
           "The selected genes in ascending activity. Columns: Chromosome, Start, gene_name, gene_id, Strand, then "
           "one named by the cell line's track title (e.g. 'K562', or 'K562 ENCODE, biol_' for Borzoi) holding "
           "the activity.",
           file="{track_label}_{track_title}_selected_genes.csv"),
    _table("context_dependence_test", "02_context_dependence", _CONTEXT_DEPENDENCE,
           "One row per selected gene: the context dependence test (path: the gene's part, relative to the model "
           "folder; context: enhancing / neutral / silencing or other).",
           merged=True, required=("delta_mean", "wt", "seq_id", "cell_line")),
    _table("selected_contexts", "02_context_dependence", _CONTEXT_DEPENDENCE,
           "The sample of at most max_per_category contexts of each category.",
           file="{cell_line}_selected_contexts.csv"),
    _table("N_seqs_per_context_category", "02_context_dependence",
           ("cell line", "context category", "Number of contexts", "Number of contexts after sampling"),
           "One row per context category: contexts before and after sampling.", merged=True),
    _table("example_sequences", "02_context_dependence", ("WT", "MUT", "name", "cell_line"),
           "Fig. 1c: per output bin (in bin order) of one typical context per category, the coverage of the "
           "wild type and of its first context shuffle (name: 'enhancing context', ...). The published copy "
           "has no cell_line column.",
           index=True, merged=True, required=("WT", "MUT", "name")),
    _table("context_swap_test", "03_context_swap",
           ("source_seq_id", "target_seq_id", "wt_source", "wt_target", "mut", "Normalized context effect",
            "source context", "target context", "cell_line"),
           "One row per (source TSS, target context) pair.",
           merged=True, required=("source_seq_id", "target_seq_id", "Normalized context effect", "cell_line")),
    _table("necessity_test", "04_necessity", _NECESSITY, "One row per (context, tile): the tile shuffled.",
           merged=True),
    _table("necessary_CREs", "04_necessity", _NECESSITY + ("tile class",),
           "The necessity test's tiles that pass the necessity threshold, with their class.", merged=True),
    _table("sufficiency_test_tile_coordinates", "05_sufficiency", None,
           "Rows start, end (bp in the window) of each tile; columns '0'..'n-1' (one per tile, in order) then "
           "'tss'. The same for every cell line: merge_tables copies the first cell line's.",
           index=True),
    _table("sufficiency_test", "05_sufficiency", _SUFFICIENCY,
           "One row per (context, tile): the TSS tile and the tile in shuffled backgrounds.",
           merged=True, required=("seq_id", "tile_start", "tile_end", "control", "wt", "mut", "context", "cell_line")),
    _table("sufficient_CREs", "05_sufficiency", _SUFFICIENCY + ("tile class",),
           "The sufficiency test's tiles that pass the sufficiency threshold, with their class.", merged=True),
    _table("distance_test", "08_distance", _DISTANCE,
           "One row per (sufficient CRE, tile position): the CRE moved there.", merged=True),
    _table("fine_tile_search", "07_fine_tile", _FINE_TILE,
           "One row per accepted step of the fine-tile search of each sufficient enhancer.", merged=True),
    _table("motif_analysis/CREME_vs_saliency_vs_XSTREME", "07_fine_tile",
           ("CREME score", "CREME bps", "Saliency score", "Random score", "XSTREME score", "seq_id", "cell_line"),
           "One row per fine-tile step: CREME's kept bp against saliency, random and motif-scan choices "
           "(seq_id: the CRE's enf_data_id).", merged=True),
    _table("motif_analysis/example_seqs", "07_fine_tile", ("Saliency", "CREME", "XSTREME", "gene"),
           "One row per bp of each CRE: saliency, kept by CREME (1), in a motif hit.", merged=True),
    *(
        _table(f"greedy_search/{d}_{kind}", step, cols, desc, merged=True, **extra)
        for kind, (step, cols, desc, extra) in _GREEDY.items()
        for d in ("min", "max")
    ),
    *(
        _table(f"greedy_search/sufficiency_of_greedy_tiles_{d}", "10_greedy_sufficiency",
               ("Normalized TSS activity", "context", "cell_line", "seq_id"),
               "One row per (sequence, number of greedy tiles kept), in that order.", merged=True)
        for d in ("min", "max")
    ),
    _table("multiplicity", "11_multiplicity", _MULTIPLICITY,
           "One row per (sufficient CRE, copy number).", merged=True, required=_MULTIPLICITY[:6]),
    _table("CRE_characterization/necessary_CRE_coordinates", "04_necessity", _COORDINATES,
           "Genome coordinates of the necessary CREs.", merged=True),
    _table("CRE_characterization/sufficient_CRE_coordinates", "05_sufficiency", _COORDINATES,
           "Genome coordinates of the sufficient CREs.", merged=True),
    _table("CRE_characterization/sufficient_CRE_marks", "06_cre_marks", None,
           "One row per sufficient CRE. Columns: those of CRE_characterization/sufficient_CRE_coordinates, "
           "seq_id, tile_start, tile_end, then '<mark> (mean)', '<mark> (max)' for each bigWig track of the "
           f"cell line (as creme_lib.marks.find_bigwigs lists them), then {REPEAT_COLUMN!r}.", merged=True),
    _table("CRE_characterization/pvalues_per_TF_for_sufficient_CREs", "06_cre_marks", PVALUE_COLUMNS,
           "One row per mark: enhancers against silencers (Mann-Whitney U). merge_tables recomputes it pooling "
           "every cell line's marks."),
)

#: Every results table by name, in the order :func:`~creme_lib.pipeline.tables.merge_tables` writes them.
TABLES: dict[str, TableSchema] = {t.name: t for t in _ALL}
if len(TABLES) != len(_ALL):  # a name given twice would silently drop a schema
    raise RuntimeError("two table schemas share a name")

#: Tables merged across cell lines (name -> has an index column).
MERGED_TABLES: dict[str, bool] = {t.name: t.index for t in _ALL if t.merged}


def schema(name: str) -> TableSchema:
    """The schema of table ``name``.

    Raises
    ------
    KeyError
        Naming the known tables.
    """
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"no schema for table {name!r}; tables: {', '.join(TABLES)}") from None


def columns(name: str) -> list[str]:
    """The columns of table ``name`` in file order (a list, to index a DataFrame with).

    Raises
    ------
    ValueError
        For a table whose columns depend on the inputs (``columns=None``).
    """
    cols = schema(name).columns
    if cols is None:
        raise ValueError(f"the columns of table {name} depend on the inputs: {schema(name).description}")
    return list(cols)


def tables_of_step(step: str) -> tuple[TableSchema, ...]:
    """The tables step ``step`` writes, in :data:`TABLES` order."""
    return tuple(t for t in _ALL if t.step == step)


def required_columns(names: set[str] | frozenset[str]) -> dict[str, tuple[str, ...]]:
    """``name -> required columns`` of the tables in ``names``, in :data:`TABLES` order."""
    unknown = set(names) - set(TABLES)
    if unknown:
        raise KeyError(f"no schema for tables {sorted(unknown)}")
    return {t.name: t.required_columns for t in _ALL if t.name in names}  # type: ignore[misc]
