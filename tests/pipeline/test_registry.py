"""The step registry (creme_lib.pipeline.registry): one home for the steps, and the views derived from it agree with it and with the schemas."""

import importlib

import pytest

from creme_lib import pipeline as P
from creme_lib import schemas
from creme_lib.pipeline import registry


def test_steps_are_in_run_order_and_depend_on_registered_steps():
    seen = set()
    for name, step in P.STEP_REGISTRY.items():
        assert step.name == name
        assert set(step.deps) <= seen, f"{name} runs before a step it reads"
        seen.add(name)


def test_the_old_views_derive_from_the_registry():
    steps = list(P.STEP_REGISTRY.values())
    assert P.STEPS == {s.name: s.deps for s in steps}
    assert P.SHARDABLE == tuple(s.name for s in steps if s.shardable)
    assert P.STEP_FUNCTIONS == {s.name: s.functions for s in steps}
    assert P.STEP_TITLES == {s.name: s.title for s in steps}
    # The page titles read the registry's titles (no second copy in notebooks.py).
    assert importlib.import_module("creme_lib.pipeline.notebooks").STEP_TITLES is registry.STEP_TITLES
    assert P.page_title("04_necessity", "K562", "synthetic") == "04 CRE necessity test: K562 (synthetic model)"
    assert [s.name for s in steps if not s.needs_gpu] == ["06_cre_marks"]


def test_unknown_step_is_named():
    with pytest.raises(ValueError, match="unknown step 'nope'; steps: 01_tss_activity"):
        P.run_step("nope", {})


def test_every_table_is_written_by_a_registered_step():
    for t in schemas.TABLES.values():
        assert t.step in P.STEP_REGISTRY, t.name
        assert t in P.STEP_REGISTRY[t.step].tables
    assert sum(len(s.tables) for s in P.STEP_REGISTRY.values()) == len(schemas.TABLES)


def test_merged_tables_and_column_constants_come_from_the_schemas():
    from creme_lib.pipeline import fine_tile, tables

    assert tables.MERGED_TABLES is schemas.MERGED_TABLES
    assert tables.MERGED_TABLES == {t.name: t.index for t in schemas.TABLES.values() if t.merged}
    assert tables.NECESSITY_COLUMNS == list(schemas.TABLES["necessity_test"].columns)
    assert tables.SUFFICIENCY_COLUMNS == list(schemas.TABLES["sufficiency_test"].columns)
    assert tables.DISTANCE_COLUMNS == list(schemas.TABLES["distance_test"].columns)
    assert fine_tile.FINE_TILE_COLUMNS == list(schemas.TABLES["fine_tile_search"].columns)


def test_one_home_for_the_moved_names():
    from creme_lib import experiments
    from creme_lib.experiments import fine_tile as exp_fine_tile
    from creme_lib.experiments import interactions as exp_interactions
    from creme_lib.pipeline import fine_tile, interactions, tables

    assert P.greedy_tile_sufficiency is exp_interactions.greedy_tile_sufficiency is interactions.greedy_tile_sufficiency
    assert experiments.greedy_tile_sufficiency is exp_interactions.greedy_tile_sufficiency
    assert experiments.kept_activity is exp_fine_tile.kept_activity
    for module, gone in ((tables, ["_run_parts", "_collect", "_write_cell_table", "_cell_table_path"]),
                         (fine_tile, ["_kept_activity"])):
        assert not [n for n in gone if hasattr(module, n)], module.__name__
