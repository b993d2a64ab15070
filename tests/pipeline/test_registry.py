"""The step registry and the table schemas: one home each, and the views derived from them agree."""

import importlib

import pandas as pd
import pytest

from creme_lib import pipeline as P
from creme_lib import published, schemas
from creme_lib.pipeline import registry
from creme_lib.store import ResultStore


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


def test_expected_columns_of_unpublished_tables_derive_from_the_schemas():
    missing = frozenset().union(*published.PUBLISHED_MISSING.values())
    assert published.EXPECTED_COLUMNS is published.MISSING_TABLE_COLUMNS
    assert set(published.EXPECTED_COLUMNS) == missing
    for name, cols in published.EXPECTED_COLUMNS.items():
        assert set(cols) <= set(schemas.TABLES[name].columns), name  # the pipeline writes them


def test_required_columns_outside_the_columns_are_refused():
    with pytest.raises(ValueError, match=r"required columns \['b'\]"):
        schemas.TableSchema("t", "t.csv", ("a",), False, "01_tss_activity", required=("a", "b"))


def test_columns_of_an_input_dependent_table_name_the_rule():
    with pytest.raises(ValueError, match="depend on the inputs"):
        schemas.columns("CRE_characterization/sufficient_CRE_marks")
    with pytest.raises(KeyError, match="no schema for table 'nope'"):
        schemas.schema("nope")


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


def test_result_store_owns_the_table_layout(tmp_path):
    store = ResultStore(tmp_path)
    assert store.table_path("HCT116 x/y", "greedy_search/min_traces") == tmp_path / "HCT116_x_y" / "greedy_search" / "min_traces.csv"
    assert store.table_path(None, "necessity_test") == tmp_path / "necessity_test.csv"
    df = pd.DataFrame({"0": [1.5, 2.0]}, index=["wt", "greedy_it1"])
    path = store.write_table("K562", "greedy_search/min_second_iteration", df, index=True)
    assert path.read_text() == ",0\nwt,1.5\ngreedy_it1,2.0\n"
    pd.testing.assert_frame_equal(store.read_table("K562", "greedy_search/min_second_iteration", index_col=0), df)
    with pytest.raises(FileNotFoundError, match="table not found"):
        store.read_table("K562", "necessity_test")
