"""Shared plumbing of the CREME tests: engine set-up, tile checks, tidy frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from creme_lib.inference import Engine, as_engine
from creme_lib.models.base import Model
from creme_lib.tiles import check_tiles


def prepare(model: Model | Engine, x: np.ndarray | str, name: str, **engine_kwargs) -> Engine:
    """Wrap ``model`` in an engine (unless it is one) and register ``x`` as ``name``."""
    engine = as_engine(model, **engine_kwargs)
    engine.register(name, x)
    return engine


def check_whole(value: int, name: str, minimum: int) -> int:
    """``value`` as an int; a fraction (2.5), a bool or a value below ``minimum`` raises ``ValueError``."""
    if isinstance(value, bool) or not float(value).is_integer():
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_shuffles(n_shuffles: int) -> int:
    """``n_shuffles`` as an int; a fraction (2.5) or a count below 1 raises ``ValueError``."""
    return check_whole(n_shuffles, "n_shuffles", 1)


def check_tss(engine: Engine, tss_tile) -> tuple[int, int]:
    """Validate the TSS tile ``[start, end)`` (bp, inside the model input)."""
    start, end = check_tiles(tss_tile, engine.seq_length, name="tss_tile")[0]
    return int(start), int(end)


def check_tss_and_tiles(engine: Engine, tss_tile, tiles) -> tuple[tuple[int, int], np.ndarray]:
    """Validate the TSS tile and the tiles (inside the input, not overlapping the TSS tile)."""
    tss = check_tss(engine, tss_tile)
    return tss, check_tiles(tiles, engine.seq_length, avoid=tss, name="tiles")


def check_tss_and_cre(engine: Engine, tss_tile, cre_tile) -> tuple[tuple[int, int], tuple[int, int]]:
    """Validate the TSS tile and one CRE tile that must not overlap it; both as ``(start, end)``."""
    tss, cre = check_tss_and_tiles(engine, tss_tile, [cre_tile])
    return tss, (int(cre[0, 0]), int(cre[0, 1]))


def track_index(engine: Engine, track: int | str) -> int:
    """Position of ``track`` (index into the selected tracks, or a name) in the engine output."""
    names = engine.model.selected_track_names
    if isinstance(track, str):
        if track not in names:
            raise KeyError(f"track {track!r} is not among the selected tracks {names}")
        return names.index(track)
    if not 0 <= int(track) < len(names):
        raise ValueError(f"track {track} out of range for {len(names)} selected tracks")
    return int(track)


def long_frame(base: dict, per_track: dict[str, np.ndarray], track_names: list[str]) -> pd.DataFrame:
    """Build a tidy frame: ``base`` columns of length R, ``per_track`` arrays ``(R, K)``.

    One row per (row of ``base``, track).
    """
    n_rows = len(next(iter(base.values()))) if base else next(iter(per_track.values())).shape[0]
    k = len(track_names)
    cols = {key: np.repeat(np.asarray(v), k) for key, v in base.items()}
    cols["track"] = np.tile(np.asarray(track_names, dtype=object), n_rows)
    for key, arr in per_track.items():
        cols[key] = np.asarray(arr).reshape(n_rows * k)
    return pd.DataFrame(cols)
