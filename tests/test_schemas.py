"""Results-table schemas (creme_lib.schemas): one record per table, and what derives from it."""

import pytest

from creme_lib import published, schemas


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
