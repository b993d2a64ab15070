"""creme_lib.paths: where data outside the repository is found, and how a page names a path."""

from __future__ import annotations

from pathlib import Path

from creme_lib import paths

REPO = Path(paths.__file__).resolve().parents[1]


def test_shared_data_dir_and_published_results(monkeypatch, tmp_path):
    monkeypatch.setenv("CREME_SHARED_DATA", str(tmp_path / "~x" / ".." / "data"))
    assert paths.shared_data_dir() == (tmp_path / "data").resolve()
    assert paths.published_results_dir() == (tmp_path / "data").resolve() / "creme_paper_results" / "summary_csvs"
    monkeypatch.delenv("CREME_SHARED_DATA")
    assert paths.shared_data_dir() == REPO.parent / "shared" / "data"


def test_book_run_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("CREME_BOOK_RUN", str(tmp_path / "run"))
    assert paths.book_run_dir() == (tmp_path / "run").resolve()
    monkeypatch.delenv("CREME_BOOK_RUN")
    assert paths.book_run_dir() == REPO / "results"


def test_display_path_never_shows_the_machine_path(monkeypatch, tmp_path):
    (tmp_path / "repo" / "results").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "repo")
    assert paths.display_path(tmp_path / "repo" / "results") == "results"
    assert paths.display_path(tmp_path / "repo") == "."
    outside = paths.display_path(tmp_path / "elsewhere" / "a" / "run")
    assert outside == "a/run" and not outside.startswith("/")
