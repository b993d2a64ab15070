"""CREME's tables read from a results folder in the layout the pipeline writes, and the world they belong to.

These functions read files (and :func:`resolve_world` may generate the default world on first
use); they run no model.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from creme_lib.world.truth import World

#: Tables the validation reads, by key: path under a results folder (without ``.csv``).
TABLES: dict[str, str] = {
    "context": "context_dependence_test",
    "necessity": "necessity_test",
    "sufficiency": "sufficiency_test",
    "greedy_min": "greedy_search/min_traces",
    "distance": "distance_test",
}

#: The tables without which the CRE scores cannot be computed (the fallback runs if missing).
CORE_TABLES: tuple[str, ...] = ("necessity", "sufficiency")


def _with_cell_line(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with ``cell_line`` (the distance table says ``cell line``) and without a written index column."""
    if "cell_line" not in df.columns and "cell line" in df.columns:
        df = df.rename(columns={"cell line": "cell_line"})
    if "Unnamed: 0" in df.columns:
        df = df.drop(columns="Unnamed: 0")
    return df


def _read(path: Path) -> pd.DataFrame | None:
    return _with_cell_line(pd.read_csv(path)) if path.is_file() else None


def load_tables(results_dir: str | os.PathLike, cell_lines: list[str] | tuple[str, ...]) -> dict[str, pd.DataFrame | None]:
    """CREME tables of a results folder (``results/<model>``), for the given cell lines.

    Per table, each cell line's own ``<cell_line>/<table>.csv`` is used if present, else
    the merged ``<table>.csv`` rows of that cell line. A table found for no cell line is
    ``None``.
    """
    from creme_lib.store import safe_name

    root = Path(results_dir)
    out: dict[str, pd.DataFrame | None] = {}
    for key, name in TABLES.items():
        merged = _read(root / f"{name}.csv")
        parts = []
        for line in cell_lines:
            t = _read(root / safe_name(line) / f"{name}.csv")
            if t is None and merged is not None and "cell_line" in merged.columns:
                t = merged[merged.cell_line == line]
            if t is not None and len(t):
                parts.append(t)
        out[key] = pd.concat(parts, ignore_index=True) if parts else None
    return out


def missing_cell_lines(tables: dict[str, pd.DataFrame | None], cell_lines: list[str] | tuple[str, ...]) -> list[str]:
    """Cell lines without rows in every core table (necessity, sufficiency)."""
    miss = []
    for line in cell_lines:
        for k in CORE_TABLES:
            t = tables.get(k)
            if t is None or not (t.cell_line == line).any():
                miss.append(line)
                break
    return miss


def resolve_world(world_dir: str | os.PathLike | None = None) -> World:
    """The default world (``None``), a world folder (``world-<key>``) or a folder holding one."""
    from creme_lib.world import default_world, load_world

    if world_dir is None:
        return default_world()
    p = Path(world_dir)
    if (p / "manifest.json").is_file():
        return load_world(p)
    found = sorted(q for q in p.glob("world-*") if (q / "manifest.json").is_file())
    if len(found) != 1:
        raise FileNotFoundError(f"{p} holds {len(found)} complete worlds; pass the world-<key> folder itself")
    return load_world(found[0])
