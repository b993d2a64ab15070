"""creme_lib.sources: a panel is drawn from the page's results folder, else from the book's own run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from creme_lib import paths, sources
from creme_lib import published as pub

PUBLISHED = paths.published_results_dir()
HAVE_PUBLISHED = (PUBLISHED / "enformer" / "necessity_test.csv").is_file()


def write(root: Path, rel: str, df: pd.DataFrame) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)


@pytest.fixture()
def book_run(tmp_path, monkeypatch) -> Path:
    """A book run (model ``synthetic``) with a context swap table and a CRE characterization table."""
    root = tmp_path / "book_results"
    write(root, "synthetic/context_swap_test.csv", pd.DataFrame({"source_seq_id": ["a", "b"], "cell_line": "K562"}))
    write(root, "synthetic/CRE_characterization/sufficient_CRE_marks.csv", pd.DataFrame({"seq_id": ["a"]}))
    monkeypatch.setenv("CREME_BOOK_RUN", str(root))
    return root


def n_rows(name):
    return lambda src: len(src.load(name))


def test_book_run_exists_once_made(tmp_path, monkeypatch):
    monkeypatch.setenv("CREME_BOOK_RUN", str(tmp_path / "x"))
    assert sources.book_run() is None  # not made yet
    (tmp_path / "x" / "synthetic").mkdir(parents=True)
    assert sources.book_run() == sources.Source((tmp_path / "x").resolve(), "synthetic")
    assert sources.book_run().is_book_run and sources.book_run().label.startswith("this book's run")


def test_a_run_that_holds_the_table_draws_it(tmp_path, book_run):
    own = tmp_path / "own"
    write(own, "enformer/context_swap_test.csv", pd.DataFrame({"x": range(5)}))
    out = sources.resolve(n_rows("context_swap_test"), own, "enformer")
    assert out and out.result == 5 and out.lacking == []
    assert out.source == sources.Source(own, "enformer") and not out.source.published and not out.source.is_book_run
    assert out.source.label.startswith("pipeline run `") and str(tmp_path) not in out.source.label


@pytest.mark.skipif(not HAVE_PUBLISHED, reason="published tables not available")
def test_the_published_copy_falls_back_to_the_book_run(book_run):
    out = sources.resolve(n_rows("context_swap_test"), None, "enformer")
    assert out and out.result == 2
    assert out.source.is_book_run and out.source.model == "synthetic"
    assert out.lacking == ["enformer/context_swap_test.csv"]
    assert out.source.caption(2) == "Source: this book's run: simulated world, synthetic model; n = 2 sequences"
    # A table the published copy has is read from it, never from the book run.
    published = sources.resolve(n_rows("necessity_test"), None, "enformer")
    assert published.source.published and published.lacking == [] and published.result > 1000
    assert published.source.caption(7_600, "tiles") == "Source: published Enformer results; n = 7,600 tiles"
    # Without the fallback the panel is unavailable.
    assert not sources.resolve(n_rows("context_swap_test"), None, "enformer", fallback=False)


def test_a_pipeline_run_does_not_fall_back(tmp_path, book_run):
    out = sources.resolve(n_rows("context_swap_test"), tmp_path / "other", "enformer")
    assert not out and out.missing == ["enformer/context_swap_test.csv"] and len(out.tried) == 1
    assert "make pipeline" in out.how_to_make and out.pipeline_makes_them


def test_unavailable_says_whether_the_pipeline_makes_the_table(book_run):
    out = sources.resolve(n_rows("coverage_profiles"), book_run, "synthetic")
    assert not out and out.missing == ["synthetic/coverage_profiles.csv"]
    assert not out.pipeline_makes_them and "published copy" in out.how_to_make
    out = sources.resolve(n_rows("multiplicity"), book_run, "synthetic")
    assert out.pipeline_makes_them and "Rerun the pipeline" in out.how_to_make


def test_characterization_tables_in_both_layouts(tmp_path, book_run):
    name = "CRE_characterization/sufficient_CRE_marks"
    assert sources.resolve(n_rows(name), book_run, "synthetic").result == 1
    published_layout = tmp_path / "pub"
    write(published_layout, "CRE_characterization/sufficient_CRE_marks.csv", pd.DataFrame({"seq_id": ["a", "b", "c"]}))
    src = sources.Source(published_layout, "enformer")
    # Only the published copy keeps the folder beside the model folders.
    with pytest.raises(pub.MissingTableError):
        src.load(name)
    if HAVE_PUBLISHED:
        assert sources.Source(None, "enformer").has("CRE_characterization/pvalues_per_TF_for_sufficient_CREs")


def test_other_errors_are_not_swallowed(book_run):
    def broken(src):
        raise KeyError("a column")

    with pytest.raises(KeyError):
        sources.resolve(broken, None, "enformer")


def test_thresholds_follow_the_source_model():
    assert sources.Source(None, "borzoi").thresholds == pub.default_thresholds("borzoi")
    assert sources.Source(None, "synthetic").thresholds == pub.default_thresholds("enformer")


def test_a_table_of_another_model_needs_a_run_of_it(book_run):
    out = sources.resolve(lambda src: src.load("distance_test", model="borzoi"), book_run, "synthetic")
    assert not out and out.missing == ["borzoi/distance_test.csv"] and out.other_models == ["borzoi"]
    assert "run of Borzoi" in out.how_to_make and "Rerun" not in out.how_to_make
