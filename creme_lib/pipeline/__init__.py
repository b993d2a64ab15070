"""The paper's analysis pipeline as resumable step functions, one per notebook.

Each step reads the tables of the steps before it, computes per gene (or per CRE) with
:meth:`creme_lib.store.ResultStore.run`, so a rerun skips what is done and a run killed at
any moment resumes without recomputing finished parts, and then writes its collected
tables atomically. The notebooks in ``notebooks/`` are thin wrappers: a ``parameters``
cell, one call per step, plots.

Steps (notebook stem: functions)

==========================  =====================================================================
``01_tss_activity``         :func:`~creme_lib.pipeline.genes.select_genes`
``02_context_dependence``   :func:`~creme_lib.pipeline.contexts.run_context_dependence`,
                            :func:`~creme_lib.pipeline.contexts.classify_contexts`,
                            :func:`~creme_lib.pipeline.contexts.write_context_examples`
``03_context_swap``         :func:`~creme_lib.pipeline.contexts.run_context_swap`
``04_necessity``            :func:`~creme_lib.pipeline.cres.run_necessity`
``05_sufficiency``          :func:`~creme_lib.pipeline.cres.run_sufficiency`
``06_cre_marks``            :func:`~creme_lib.pipeline.cres.run_cre_marks`
``07_fine_tile``            :func:`~creme_lib.pipeline.fine_tile.run_fine_tile`
``08_distance``             :func:`~creme_lib.pipeline.distance.run_distance`
``09_higher_order``         :func:`~creme_lib.pipeline.interactions.run_higher_order`
``10_greedy_sufficiency``   :func:`~creme_lib.pipeline.interactions.run_greedy_sufficiency`
``11_multiplicity``         :func:`~creme_lib.pipeline.multiplicity.run_multiplicity`
(after all cell lines)      :func:`~creme_lib.pipeline.tables.merge_tables`
==========================  =====================================================================

Layout under ``<results_dir>/<model>/`` (a :class:`~creme_lib.store.ResultStore` root)::

    <cell_line>/<test>/<id>.csv          per-gene / per-CRE parts (resumable)
    <cell_line>/<table>.csv              the cell line's tables (published schema)
    <table>.csv                          all cell lines (merge_tables), e.g. necessity_test.csv
    <track>_<cell_line>_selected_genes.csv, <cell_line>_selected_contexts.csv
    CRE_characterization/*.csv           as the paper's summary_csvs/CRE_characterization

so ``creme_lib.published.load_table("results", "synthetic", "necessity_test")`` reads a
fresh run like the published copy (and ``load_table("results/synthetic",
"CRE_characterization", ...)`` the CRE characterization tables).

Randomness: every shuffle is keyed by ``(seed, seq_id, test, shuffle index)`` through the
:class:`~creme_lib.inference.Engine`; context sampling uses ``random_state=42`` as the paper.
Nothing here draws unseeded random numbers, so shards, reruns and resumed runs agree.

Windows that run off a chromosome are padded with ``N`` by
:meth:`~creme_lib.sequence.FastaExtractor.window`; a TSS whose window is more than
``max_n_fraction`` (default 10 %) ``N`` is skipped and logged (table
``<cell_line>/skipped_tss.csv``): such a context is mostly padding, so its context and CRE
effects would not be comparable with the others'.
"""

# The package is split by topic (see book/api/); every name below was importable from the
# single module it replaces, and still is from here.
from creme_lib.pipeline.config import (
    BORZOI_PRESET, ENFORMER_PRESET, PRESETS, SEQ_LENGTHS, SYNTHETIC_PRESET, PipelineConfig, Preset, available_tracks,
    track_label, track_title,
    config_from_params, configure, describe_run, log_to_file, setup_logging,
)
from creme_lib.pipeline.config import NOTEBOOK_PARAMETERS, notebook_config
from creme_lib.pipeline.runtime import get_model, load_window, make_engine, tiles_of
from creme_lib.pipeline.tables import (
    collect_parts, load_selected_contexts, load_selected_genes, load_sufficient_cres, merge_tables, read_cell_table,
    run_parts, write_cell_table,
)
from creme_lib.pipeline.genes import select_genes, tss_table
from creme_lib.pipeline.contexts import (
    classify_contexts, run_context_dependence, run_context_swap, swap_contexts, write_context_examples,
)
from creme_lib.pipeline.cres import cre_coordinates, run_cre_marks, run_necessity, run_sufficiency
from creme_lib.pipeline.fine_tile import jaspar_pwms, motif_hits, run_fine_tile
from creme_lib.pipeline.distance import run_distance
from creme_lib.pipeline.interactions import (
    greedy_sequences, greedy_tile_sufficiency, run_greedy_sufficiency, run_higher_order,  # greedy_tile_sufficiency: from experiments
)
from creme_lib.pipeline.multiplicity import run_multiplicity
from creme_lib.pipeline.locus import LocusResults, run_locus
from creme_lib.pipeline.registry import SHARDABLE, STEP_FUNCTIONS, STEP_REGISTRY, STEP_TITLES, STEPS, Step, run_step
from creme_lib.pipeline.notebooks import PROMOTER_PAGES, PROMOTER_PARAMETERS, PROMOTER_PART, compose_toc, execute_notebook, page_title, write_toc
from creme_lib.pipeline.cli import main

# Not in __all__, but a public attribute of the former module.
from creme_lib.pipeline.fine_tile import MOTIF_BACKGROUND  # noqa: F401
from creme_lib.pipeline.genes import TSS_CHUNK  # noqa: F401
from creme_lib.pipeline.tables import (  # noqa: F401
    COORDINATE_COLUMNS, DISTANCE_COLUMNS, MERGED_TABLES, NECESSITY_COLUMNS, SUFFICIENCY_COLUMNS,
    selected_contexts_path, selected_genes_path,
)

__all__ = [
    "PRESETS", "Preset", "PipelineConfig", "ENFORMER_PRESET", "SYNTHETIC_PRESET", "BORZOI_PRESET",
    "track_label", "track_title", "STEPS", "SHARDABLE",
    "available_tracks", "configure", "setup_logging", "get_model", "make_engine", "load_window", "tiles_of",
    "tss_table", "select_genes", "run_context_dependence", "classify_contexts", "write_context_examples", "swap_contexts", "run_context_swap",
    "run_necessity", "run_sufficiency", "load_selected_genes", "load_selected_contexts", "load_sufficient_cres",
    "cre_coordinates", "run_cre_marks", "jaspar_pwms", "motif_hits", "run_fine_tile", "run_distance",
    "greedy_sequences", "run_higher_order", "greedy_tile_sufficiency", "run_greedy_sufficiency",
    "run_multiplicity", "merge_tables", "LocusResults", "run_locus", "execute_notebook", "page_title",
    "write_toc", "compose_toc", "read_cell_table", "main", "STEP_FUNCTIONS", "run_step", "config_from_params", "SEQ_LENGTHS",
    "PROMOTER_PART", "PROMOTER_PAGES", "PROMOTER_PARAMETERS",
    "NOTEBOOK_PARAMETERS", "notebook_config", "log_to_file", "describe_run",
    "Step", "STEP_REGISTRY", "STEP_TITLES", "run_parts", "collect_parts", "write_cell_table",
]
