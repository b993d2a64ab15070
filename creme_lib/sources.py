"""Where a figure panel's tables come from: the results folder a page is given, else this book's own run.

A figure page is given a results folder (``results_dir``: ``None`` = the published copy)
and a model folder (``model``). The published copy lacks some tables (the full Context
Dependence and Swap tables, the Sufficiency Test, the greedy traces, multiplicity: see
:data:`creme_lib.published.PUBLISHED_MISSING`); the pipeline's own run of the simulated
world (``make pipeline``, under :func:`creme_lib.paths.book_run_dir`) writes them all in
the same layout. :func:`resolve` draws a panel from the first of these two sources that
holds every table the panel reads, and says which one it used, so a caption can say
"published Enformer results" or "this book's run: simulated world, synthetic model".

A panel is a function ``draw(source) -> result`` that reads its tables through
``source`` (:meth:`Source.load`, or any :mod:`creme_lib.published` helper given
``source.results_dir`` and ``source.model``); a table it cannot find raises
:class:`~creme_lib.published.MissingTableError`, which :func:`resolve` turns into the next
source or, when none is left, into :class:`Unavailable` (what is missing, how to make it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from creme_lib import published as pub
from creme_lib.analysis import Thresholds, default_thresholds
from creme_lib.paths import book_run_dir, display_path
from creme_lib.schemas import TABLES

__all__ = ["BOOK_RUN_MODEL", "CHARACTERIZATION", "MODEL_NAMES", "Drawn", "Source", "Unavailable", "book_run", "resolve"]

#: The model folder of this book's own run (the pipeline's default model).
BOOK_RUN_MODEL = "synthetic"
#: The folder of the CRE characterization tables: beside the model folders in the published
#: copy, inside the model folder in a pipeline run.
CHARACTERIZATION = "CRE_characterization"
#: Reader's names of the model folders.
MODEL_NAMES: dict[str, str] = {"enformer": "Enformer", "borzoi": "Borzoi", "synthetic": "synthetic model"}


@dataclass(frozen=True)
class Source:
    """One results folder and model folder that a panel reads.

    Attributes
    ----------
    results_dir : pathlib.Path or None
        The results folder; ``None`` = the published copy.
    model : str
        The model folder inside it (``"enformer"``, ``"borzoi"``, ``"synthetic"``).
    """

    results_dir: Path | None
    model: str

    @property
    def published(self) -> bool:
        """Whether this is the published copy."""
        return pub.is_published(self.results_dir)

    @property
    def is_book_run(self) -> bool:
        """Whether this is the book's own pipeline run (simulated world)."""
        if self.results_dir is None:
            return False
        try:
            return Path(self.results_dir).resolve() == book_run_dir().resolve() and self.model == BOOK_RUN_MODEL
        except OSError:  # pragma: no cover - unreadable path
            return False

    @property
    def thresholds(self) -> Thresholds:
        """The thresholds the tables of this source were made with."""
        return default_thresholds(self.model)

    @property
    def label(self) -> str:
        """A reader's name of the source, without machine paths."""
        name = MODEL_NAMES.get(self.model, self.model)
        if self.published:
            return f"published {name} results"
        if self.is_book_run:
            return "this book's run: simulated world, synthetic model"
        return f"pipeline run `{display_path(self.results_dir)}` ({name})"

    def _where(self, name: str) -> tuple[str, str]:
        """(model folder, table name) of ``name`` in this source."""
        if name.startswith(CHARACTERIZATION + "/") and self.published:
            return CHARACTERIZATION, name.split("/", 1)[1]
        return self.model, name

    def load(self, name: str, cell_line: str | None = None, model: str | None = None) -> pd.DataFrame:
        """A table of this source (:func:`creme_lib.published.load_table`).

        ``name`` is the table's path in the model folder without ``.csv``; the CRE
        characterization tables are ``"CRE_characterization/<table>"`` in either layout.
        ``model`` reads another model folder of the same results folder (e.g. Borzoi's
        table on a page about Enformer).

        Raises
        ------
        creme_lib.published.MissingTableError
            If the table is not there.
        """
        folder, table = self._where(name) if model is None else (model, name)
        return pub.load_table(self.results_dir, folder, table, cell_line)

    def has(self, name: str, cell_line: str | None = None) -> bool:
        """Whether this source holds table ``name``."""
        folder, table = self._where(name)
        return pub.has_table(self.results_dir, folder, table, cell_line)

    def caption(self, n: int | str | None = None, unit: str = "sequences") -> str:
        """``"Source: <label>; n = <n> <unit>"`` (``n`` as text is used as it is)."""
        text = f"Source: {self.label}"
        if isinstance(n, str):
            return f"{text}; {n}"
        if n is not None:
            text += f"; n = {n:,} {unit}"
        return text


@dataclass(frozen=True)
class Unavailable:
    """No source holds a panel's tables.

    Attributes
    ----------
    missing : list of str
        The missing files, relative to their results folder (``enformer/multiplicity.csv``).
    tried : list of Source
        The sources looked in, in order.
    """

    missing: list[str]
    tried: list[Source]

    def __bool__(self) -> bool:
        return False

    @property
    def pipeline_makes_them(self) -> bool:
        """Whether this project's pipeline writes every missing table (:data:`creme_lib.schemas.TABLES`)."""
        return all(_table_name(m) in TABLES for m in self.missing)

    @property
    def other_models(self) -> list[str]:
        """Model folders of the missing files that ``make pipeline`` does not write (all but ``synthetic``)."""
        return sorted({m.split("/", 1)[0] for m in self.missing} - {BOOK_RUN_MODEL, CHARACTERIZATION})

    @property
    def how_to_make(self) -> str:
        """What a reader can do to get the tables."""
        if not self.pipeline_makes_them:
            return "This project's pipeline does not make it: only the authors' published copy has it."
        if self.other_models and not any(s.is_book_run for s in self.tried):
            names = " and ".join(MODEL_NAMES.get(m, m) for m in self.other_models)
            return (f"It needs a pipeline run of {names} (the pipeline with `model=` set to it, on a real genome: see "
                    "the locus page), or `make pipeline` for this book's run of the simulated world.")
        if self.other_models:
            names = " and ".join(MODEL_NAMES.get(m, m) for m in self.other_models)
            return (f"It needs a pipeline run of {names} (`make pipeline` runs the synthetic model only): "
                    "point `results_dir` at one.")
        if any(s.is_book_run for s in self.tried):
            return "Rerun the pipeline (`make pipeline`) to rewrite the book's run."
        return (
            "Run the pipeline (`make pipeline`, which writes this book's run of the simulated world) "
            "or point `results_dir` at a run that has it."
        )


def book_run() -> Source | None:
    """The book's own run (:func:`creme_lib.paths.book_run_dir`, model ``synthetic``), if it was made."""
    root = book_run_dir()
    return Source(root, BOOK_RUN_MODEL) if (root / BOOK_RUN_MODEL).is_dir() else None


def _table_name(relative: str) -> str:
    """The table name of a missing file (``"synthetic/greedy_search/min_traces.csv"`` -> ``"greedy_search/min_traces"``)."""
    if relative.startswith(CHARACTERIZATION + "/"):  # the published layout: beside the model folders
        return relative.removesuffix(".csv")
    name = relative.split("/", 1)[-1].removesuffix(".csv")
    for per_cell_line in ("selected_contexts", "selected_genes"):
        if name.endswith(per_cell_line):
            return per_cell_line
    return name


def _relative(err: pub.MissingTableError, src: Source) -> str:
    root = pub.resolve_results_dir(src.results_dir)
    try:
        return err.path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return "/".join(err.path.parts[-2:])


@dataclass(frozen=True)
class Drawn:
    """A panel drawn from ``source``.

    Attributes
    ----------
    source : Source
        Where its tables came from.
    result : Any
        What ``draw`` returned.
    lacking : list of str
        Files the sources before ``source`` lacked (empty when the page's own source drew it).
    """

    source: Source
    result: Any
    lacking: list[str]


def resolve(
    draw: Callable[[Source], Any], results_dir: str | Path | None = None, model: str = "enformer", fallback: bool = True
) -> Drawn | Unavailable:
    """Draw a panel from the first source that holds its tables.

    Parameters
    ----------
    draw : callable
        ``draw(source)`` reads the panel's tables through ``source`` and returns what the
        page shows (a figure, or figures with their n); a missing table raises
        :class:`~creme_lib.published.MissingTableError`.
    results_dir, model : the page's parameters.
    fallback : bool
        Whether a panel the published copy cannot draw is drawn from the book's run.

    Returns
    -------
    Drawn or Unavailable
    """
    sources = [Source(None if results_dir is None else Path(results_dir), model)]
    run = book_run()
    if fallback and sources[0].published and run is not None:
        sources.append(run)
    missing: list[str] = []
    for src in sources:
        try:
            return Drawn(src, draw(src), missing)
        except pub.MissingTableError as err:
            missing.append(_relative(err, src))
    return Unavailable(missing, sources)
