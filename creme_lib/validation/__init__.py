"""Score CREME against the embedded world's ground truth (a positive control).

CREME's tables (published schema, as :mod:`creme_lib.pipeline` writes them under
``results/<model>/``) are compared with what the world's generator planted
(:mod:`creme_lib.world.truth`). The package is split by what is scored, one module each:

* :mod:`~creme_lib.validation.truth`: sequence ids -> world genes, true CRE tiles with their
  noise-free test effects, true contexts;
* :mod:`~creme_lib.validation.calls`: necessity and sufficiency calls: outcomes, precision,
  recall, the target (:func:`~creme_lib.validation.calls.target_met`);
* :mod:`~creme_lib.validation.interactions`: greedy traces vs planted pairs
  (:data:`~creme_lib.validation.interactions.CREME_LABEL`);
* :mod:`~creme_lib.validation.distance`: the recovered distance decay vs the kernel;
* :mod:`~creme_lib.validation.contexts`: context categories vs the true ones;
* :mod:`~creme_lib.validation.report`: :func:`~creme_lib.validation.report.validate` ->
  :class:`~creme_lib.validation.report.ValidationReport`, and
  :func:`~creme_lib.validation.report.findings`;
* :mod:`~creme_lib.validation.tables`: reading a results folder,
  :func:`~creme_lib.validation.tables.resolve_world`;
* :mod:`~creme_lib.validation.fallback`: :func:`~creme_lib.validation.fallback.compute_tables`,
  the pipeline's own steps on a small sample when no tables exist;
* :mod:`~creme_lib.validation.shuffles`: how many shuffles CREME needs, with the world's
  shuffle noise on (:func:`~creme_lib.validation.shuffles.run_study`).

The scorers (truth, calls, interactions, distance, contexts, report) are pure: tables and a
:class:`~creme_lib.world.truth.World` in, tidy :class:`pandas.DataFrame` out. The tables module
reads files. Two modules run a model: the fallback
(:func:`~creme_lib.validation.fallback.compute_tables`, and
:func:`~creme_lib.validation.fallback.load_or_compute` when it calls it), only through the
pipeline's public step functions, and the shuffle study
(:func:`~creme_lib.validation.shuffles.noisy_predictions`), only through the tests of
:mod:`creme_lib.experiments` on the world's model.

Every name below is defined in one submodule and importable from here.
"""

from creme_lib.validation.calls import (
    EFFECT_COLUMNS, TARGET_MINIMUM, detectable, precision_recall, score_cre_calls, target_met, test_effect,
)
from creme_lib.validation.contexts import CONTEXT_TYPES, context_confusion, context_summary, score_contexts
from creme_lib.validation.distance import model_distance_curve, score_distance
from creme_lib.validation.fallback import (
    FALLBACK_DIR, FALLBACK_MODEL, TABLE_STEPS, compute_tables, fallback_is_current, fallback_params, load_or_compute,
    sample_annotation, sample_world_genes, write_tables,
)
from creme_lib.validation.interactions import (
    CREME_LABEL, INTERACTION_TYPES, interaction_confusion, interaction_summary, pair_visibility, score_interactions,
)
from creme_lib.validation.report import ValidationReport, findings, validate
from creme_lib.validation.tables import CORE_TABLES, TABLES, load_tables, missing_cell_lines, resolve_world
from creme_lib.validation.shuffles import (
    EFFECT_SIZE_EDGES, HELD_OUT, NOISIER, PRECISION_MINIMUM, SHUFFLE_COUNTS, STUDY_WORLDS, TUNED, StudyWorld,
    calls_by_shuffle_count, load_or_run_study, necessity_table, noisy_predictions, recall_by_effect_size, run_study,
    score_study, shuffle_count_summary, shuffle_findings, shuffles_needed, spread_by_distance, spread_comparison,
    study_genes,
)
from creme_lib.validation.truth import (
    TILES, TSS_TILE, map_seq_ids, seq_id_of, tile_index_of, true_contexts, truth_tiles,
)

__all__ = [
    "TABLES",
    "ValidationReport",
    "compute_tables",
    "context_confusion",
    "context_summary",
    "detectable",
    "fallback_is_current",
    "findings",
    "interaction_confusion",
    "interaction_summary",
    "load_or_compute",
    "model_distance_curve",
    "pair_visibility",
    "true_contexts",
    "CREME_LABEL",
    "load_tables",
    "map_seq_ids",
    "missing_cell_lines",
    "precision_recall",
    "resolve_world",
    "score_contexts",
    "score_cre_calls",
    "score_distance",
    "score_interactions",
    "sample_world_genes",
    "seq_id_of",
    "target_met",
    "test_effect",
    "truth_tiles",
    "validate",
    "write_tables",
    # public constants and helpers of the former module that were not listed, and the fallback's new helpers
    "CONTEXT_TYPES",
    "CORE_TABLES",
    "EFFECT_COLUMNS",
    "FALLBACK_DIR",
    "FALLBACK_MODEL",
    "INTERACTION_TYPES",
    "TABLE_STEPS",
    "TARGET_MINIMUM",
    "TILES",
    "TSS_TILE",
    "fallback_params",
    "sample_annotation",
    "tile_index_of",
    # the shuffle study
    "EFFECT_SIZE_EDGES",
    "HELD_OUT",
    "NOISIER",
    "PRECISION_MINIMUM",
    "SHUFFLE_COUNTS",
    "STUDY_WORLDS",
    "TUNED",
    "StudyWorld",
    "calls_by_shuffle_count",
    "load_or_run_study",
    "necessity_table",
    "noisy_predictions",
    "recall_by_effect_size",
    "run_study",
    "score_study",
    "shuffle_count_summary",
    "shuffle_findings",
    "shuffles_needed",
    "spread_by_distance",
    "spread_comparison",
    "study_genes",
]
