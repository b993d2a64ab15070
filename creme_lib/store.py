"""Atomic, resumable result files: one small table per (test, gene), then tidy tables.

Layout under a results root (e.g. ``results/synthetic/``)::

    <root>/<cell_line>/<test>/<gene_id>.csv      per-gene parts, written atomically
    <root>/<table>.csv                           collected tables in the published schema

A part is written to a temporary file in the same directory and renamed into place, so a
run killed at any moment leaves either the whole part or none; a rerun skips parts that
exist, so it resumes where it stopped and ends with the same tables.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

_SAFE = re.compile(r"[^A-Za-z0-9_.+-]")


def safe_name(name: str) -> str:
    """A file-name-safe version of a gene or test id (``/`` and spaces become ``_``)."""
    if not name:
        raise ValueError("empty name")
    return _SAFE.sub("_", str(name))


def atomic_write_csv(df: pd.DataFrame, path: str | os.PathLike, **to_csv) -> Path:
    """Write ``df`` to ``path`` via a temporary file and ``os.replace`` (atomic on POSIX)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            df.to_csv(fh, index=to_csv.pop("index", False), **to_csv)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class ResultStore:
    """Per-(cell line, test, gene) parts under ``root``, and the tables collected from them."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def part(self, cell_line: str, test: str, gene: str) -> Path:
        return self.root / safe_name(cell_line) / safe_name(test) / f"{safe_name(gene)}.csv"

    def done(self, cell_line: str, test: str, gene: str) -> bool:
        return self.part(cell_line, test, gene).exists()

    def write(self, cell_line: str, test: str, gene: str, df: pd.DataFrame) -> Path:
        return atomic_write_csv(df, self.part(cell_line, test, gene))

    def read(self, cell_line: str, test: str, gene: str) -> pd.DataFrame:
        return pd.read_csv(self.part(cell_line, test, gene))

    def genes_done(self, cell_line: str, test: str) -> list[str]:
        d = self.root / safe_name(cell_line) / safe_name(test)
        return sorted(p.stem for p in d.glob("*.csv")) if d.exists() else []

    def collect(self, cell_line: str, test: str, genes: Iterable[str] | None = None) -> pd.DataFrame:
        """Concatenate parts in sorted gene order (independent of the order they were run in)."""
        names = sorted(safe_name(g) for g in genes) if genes is not None else self.genes_done(cell_line, test)
        d = self.root / safe_name(cell_line) / safe_name(test)
        frames = [pd.read_csv(d / f"{n}.csv") for n in names if (d / f"{n}.csv").exists()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def write_table(self, name: str, df: pd.DataFrame) -> Path:
        """A collected table at ``root/<name>.csv`` (``name`` may contain ``/`` subfolders)."""
        return atomic_write_csv(df, self.root / f"{name}.csv")

    def run(
        self,
        cell_line: str,
        test: str,
        genes: Iterable[str],
        fn: Callable[[str], pd.DataFrame],
        progress: bool = True,
    ) -> list[str]:
        """Compute ``fn(gene)`` for every gene whose part is missing, writing each atomically.

        Returns the genes computed in this call (the rest were already done).
        """
        todo = [g for g in genes if not self.done(cell_line, test, g)]
        it: Iterable[str] = todo
        if progress and todo:
            from tqdm.auto import tqdm

            it = tqdm(todo, desc=f"{test} {cell_line}", unit="gene")
        for g in it:
            self.write(cell_line, test, g, fn(g))
        return todo
