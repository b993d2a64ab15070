"""One home per concept: a public name that used to be defined in several modules is now
defined once, and every module that still offers it re-exports the same object.

Each entry lists the home first, then the modules that offer (or used to offer) the name.
A module may drop the name (``hasattr`` false); if it keeps it, it must be the home's object,
so a re-definition (a copy that can drift) fails here.
"""

import importlib

import pytest

SAME_OBJECT = {
    # the paper's rules and constants: creme_lib.analysis
    "CELL_LINES": ["creme_lib.analysis", "creme_lib.published", "creme_lib.world.mechanism", "creme_lib.world",
                   "creme_lib.world.model", "creme_lib.world.genome", "creme_lib.world.config", "creme_lib.pipeline.config",
                   "creme_lib.audit"],
    "CONTEXTS": ["creme_lib.analysis", "creme_lib.published", "creme_lib.plots"],
    "TILE_CLASSES": ["creme_lib.analysis", "creme_lib.published"],
    "TILE_SIZE": ["creme_lib.analysis", "creme_lib.world.genome", "creme_lib.world.synthesis", "creme_lib.world.truth",
                  "creme_lib.validation", "creme_lib.validation.truth"],
    "Thresholds": ["creme_lib.analysis", "creme_lib.published", "creme_lib.plots", "creme_lib.pipeline.config",
                   "creme_lib.validation", "creme_lib.validation.calls", "creme_lib.validation.report"],
    "BORZOI_THRESHOLDS": ["creme_lib.analysis", "creme_lib.published"],
    "default_thresholds": ["creme_lib.analysis", "creme_lib.published"],
    "classify_context": ["creme_lib.analysis", "creme_lib.published", "creme_lib.plots"],
    "count_contexts": ["creme_lib.analysis", "creme_lib.published"],
    "necessary_cres": ["creme_lib.analysis", "creme_lib.published"],
    "sufficient_cres": ["creme_lib.analysis", "creme_lib.published"],
    "normalized_cre_effect": ["creme_lib.analysis", "creme_lib.published", "creme_lib.pipeline.cres"],
    "classify_interactions": ["creme_lib.analysis", "creme_lib.published"],
    # ids: creme_lib.ids
    "parse_seq_id": ["creme_lib.ids", "creme_lib.published", "creme_lib.validation"],
    "with_seq_id_parts": ["creme_lib.ids", "creme_lib.published"],
    "make_seq_id": ["creme_lib.ids", "creme_lib.annotation", "creme_lib.validation", "creme_lib.validation.truth"],
    "seq_ids": ["creme_lib.ids", "creme_lib.annotation", "creme_lib.pipeline.tables", "creme_lib.pipeline.genes"],
    "split_enf_data_id": ["creme_lib.ids", "creme_lib.validation", "creme_lib.validation.distance"],
    # the Enformer window and TSS bins: creme_lib.models.layouts (the world's model mirrors them)
    "TSS_BINS": ["creme_lib.world.mechanism", "creme_lib.world"],
}

#: Names that had two homes and now have none but one (the duplicate is gone).
GONE = {
    "creme_lib.published": ["PAPER_THRESHOLDS", "context_category", "matched_genes", "second_iteration_long"],
    "creme_lib.world.truth": ["context_category", "CONTEXT_THRESHOLDS"],
    "creme_lib.world": ["context_category"],
    "creme_lib.pipeline.config": ["PAPER_CELL_LINES"],
    "creme_lib.pipeline": ["PAPER_CELL_LINES"],
    # one function per name: the pipeline's step is select_genes, the validation's sampler has its own name
    "creme_lib.validation": ["select_genes"],
    "creme_lib.annotation": ["make_seq_id", "seq_ids"],
}


@pytest.mark.parametrize("name", sorted(SAME_OBJECT))
def test_one_definition(name):
    home, *others = SAME_OBJECT[name]
    obj = getattr(importlib.import_module(home), name)
    for mod in others:
        m = importlib.import_module(mod)
        if hasattr(m, name):
            assert getattr(m, name) is obj, f"{mod}.{name} is a second definition; import it from {home}"


@pytest.mark.parametrize("module", sorted(GONE))
def test_duplicates_removed(module):
    m = importlib.import_module(module)
    left = [n for n in GONE[module] if hasattr(m, n)]
    assert not left, f"{module} still defines {left}"


def test_world_constants_follow_the_enformer_layout():
    from creme_lib.models.layouts import ENFORMER_LAYOUT
    from creme_lib.world import mechanism

    assert mechanism.TSS_BINS is ENFORMER_LAYOUT.tss_bins
    assert (mechanism.SEQ_LENGTH, mechanism.BIN_SIZE, mechanism.N_BINS) == (
        ENFORMER_LAYOUT.seq_length, ENFORMER_LAYOUT.bin_size, ENFORMER_LAYOUT.n_bins)


def test_pipeline_defaults_use_the_rules_home():
    from creme_lib.analysis import TILE_SIZE
    from creme_lib.models.layouts import ENFORMER_LAYOUT
    from creme_lib.pipeline.config import ENFORMER_PRESET, SYNTHETIC_PRESET

    for preset in (ENFORMER_PRESET, SYNTHETIC_PRESET):
        assert preset.tile_size == TILE_SIZE and preset.bins == ENFORMER_LAYOUT.tss_bins
