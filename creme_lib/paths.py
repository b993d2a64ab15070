"""Where creme_lib finds data that is not part of the repository."""

from __future__ import annotations

import os
from pathlib import Path


def shared_data_dir() -> Path:
    """Directory of shared (large or third-party) data files.

    Read from the environment variable ``CREME_SHARED_DATA``; by default
    ``<repository>/../shared/data``, i.e. a ``shared/data`` folder next to the checkout.
    The directory is not required to exist: callers that need a file in it raise
    :class:`FileNotFoundError` naming the missing path.

    Returns
    -------
    pathlib.Path
        Absolute path (``~`` expanded).
    """
    env = os.environ.get("CREME_SHARED_DATA")
    if env:
        return Path(env).expanduser().resolve()
    # creme_lib/paths.py -> parents[1] is the repository root.
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def published_results_dir() -> Path:
    """The paper's published result tables (``summary_csvs``) in the shared data folder.

    ``shared_data_dir() / "creme_paper_results" / "summary_csvs"``; it holds one folder
    per model (``enformer/``, ``borzoi/``) and ``CRE_characterization/``, laid out like
    a fresh pipeline run's ``results/`` folder.
    """
    return shared_data_dir() / "creme_paper_results" / "summary_csvs"


def book_run_dir() -> Path:
    """The results folder of this book's own pipeline run (``make pipeline``).

    Read from the environment variable ``CREME_BOOK_RUN``; by default ``<repository>/results``
    (the pipeline's default ``results_dir``). Figure pages draw the panels that the
    published copy lacks from it. The directory need not exist.
    """
    env = os.environ.get("CREME_BOOK_RUN")
    if env:
        return Path(env).expanduser().resolve()
    return Path(__file__).resolve().parents[1] / "results"


def display_path(path: str | os.PathLike) -> str:
    """``path`` as a page may show it: relative to the working directory when inside it,
    else its last two parts, never the machine's absolute path."""
    p = Path(path).resolve()
    try:
        rel = p.relative_to(Path.cwd().resolve())
        return rel.as_posix() if rel.parts else "."
    except ValueError:
        return "/".join(p.parts[-2:])
