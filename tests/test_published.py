"""Loading and tidying the published tables (creme_lib.published)."""

import pytest

from creme_lib import published as pub
from creme_lib.paths import published_results_dir

HAVE_PUBLISHED = (published_results_dir() / "enformer" / "necessity_test.csv").is_file()
needs_published = pytest.mark.skipif(not HAVE_PUBLISHED, reason="published tables not found")


@needs_published
def test_load_table_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"sufficiency_test\.csv.*published copy does not contain"):
        pub.load_table(None, "enformer", "sufficiency_test")
    with pytest.raises(pub.MissingTableError, match="not one of the tables the published copy is known to lack") as e:
        pub.load_table(tmp_path, "enformer", "necessity_test")
    assert e.value.published_gap is False
    assert pub.load_table(None, "enformer", "necessity_test", cell_line="PC-3")["cell_line"].eq("PC-3").all()
    g = pub.selected_genes(None, "borzoi", "GM12878")
    assert len(g) == 10_000 and g["seq_id"].str.match(r".+_chr\w+_\d+_[+-]$").all()


def test_describe_source_names_no_machine_path(tmp_path, monkeypatch):
    assert pub.describe_source(None) == pub.PUBLISHED_SOURCE
    assert "zenodo" in pub.PUBLISHED_SOURCE.lower()
    run = tmp_path / "repo" / "results"
    run.mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "repo")
    monkeypatch.setenv("CREME_BOOK_RUN", str(tmp_path / "book_run"))
    assert pub.describe_source(run) == "pipeline run `results`"
    assert pub.describe_source("results") == "pipeline run `results`"
    monkeypatch.chdir(tmp_path)
    elsewhere = pub.describe_source(tmp_path / "x" / "y" / "run")
    assert pub.describe_source(tmp_path / "book_run") == "this book's run (`make pipeline`)"
    assert str(tmp_path) not in elsewhere and "y/run" in elsewhere
