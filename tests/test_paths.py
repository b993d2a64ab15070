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


def _api_modules() -> list[str]:
    """The modules the API reference documents (``book/api/*.md``: ``automodule`` with members)."""
    import re

    names = []
    for page in sorted((REPO / "book" / "api").glob("*.md")):
        names += re.findall(r"\.\. automodule:: (\S+)\n   :members:", page.read_text(encoding="utf-8"))
    return names


def _machine_path(value) -> bool:
    return isinstance(value, (str, Path)) and str(REPO) in str(value)


def test_the_api_reference_shows_no_machine_path():
    """Autodoc prints documented module data with its value and every function's defaults: none
    of them may hold this checkout's absolute path (it would differ on every build machine)."""
    import importlib
    import inspect

    from sphinx.pycode import ModuleAnalyzer

    modules = _api_modules()
    assert len(modules) >= 20
    checked = 0
    for name in modules:
        mod = importlib.import_module(name)
        docs = ModuleAnalyzer.for_module(name).find_attr_docs()
        for (ns, attr), lines in docs.items():
            if ns == "" and _machine_path(getattr(mod, attr, None)):
                assert any(":meta hide-value:" in ln for ln in lines), f"{name}.{attr} shows a machine path"
        for fname, fn in inspect.getmembers(mod, inspect.isfunction):
            if fn.__module__ != name or fname.startswith("_"):
                continue
            for p in inspect.signature(fn).parameters.values():
                assert not _machine_path(p.default), f"{name}.{fname}({p.name}=...) shows a machine path"
                checked += 1
    assert checked > 100
