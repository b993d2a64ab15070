"""Tile layouts: the central TSS tile and the non-overlapping tiles around it.

All coordinates are 0-based, half-open ``[start, end)`` in bp along the model input.
A tile array has shape ``(T, 2)`` with columns ``start, end`` and dtype ``int64``.
"""

from __future__ import annotations

import numpy as np


def tss_tile(seq_length: int, tile_size: int) -> tuple[int, int]:
    """The tile centred on the input, where the TSS sits.

    For Enformer (``seq_length=196_608``) and 5 kb tiles this is ``(95_804, 100_804)``.
    """
    _check_sizes(seq_length, tile_size)
    start = seq_length // 2 - tile_size // 2
    return start, start + tile_size


def tile_grid(seq_length: int, tile_size: int) -> tuple[tuple[int, int], np.ndarray]:
    """The paper's tile layout: the TSS tile and every whole tile on its grid.

    The grid is anchored on the TSS tile: tiles step by ``tile_size`` outward from it in
    both directions and only tiles that fit entirely inside ``[0, seq_length)`` are kept
    (the paper also drops a right-hand tile that would end exactly at ``seq_length``,
    which this reproduces).

    Parameters
    ----------
    seq_length : int
        Model input length in bp.
    tile_size : int
        Tile width in bp.

    Returns
    -------
    (tuple[int, int], numpy.ndarray)
        The TSS tile ``(start, end)`` and the other tiles, shape ``(T, 2)``, in ascending
        order (38 tiles for Enformer with 5 kb tiles).
    """
    center = tss_tile(seq_length, tile_size)
    left = np.arange(center[0] % tile_size, center[0], tile_size)
    right = np.arange(center[1], seq_length, tile_size)
    right = right[right + tile_size < seq_length]
    starts = np.concatenate([left, right]).astype(np.int64)
    return center, np.stack([starts, starts + tile_size], axis=1)


def check_tiles(
    tiles: np.ndarray | list,
    seq_length: int,
    avoid: tuple[int, int] | None = None,
    name: str = "tiles",
) -> np.ndarray:
    """Validate tile coordinates and return them as an ``(T, 2)`` int64 array.

    Raises
    ------
    ValueError
        If the array is not ``(T, 2)``, a coordinate is not a whole number of bp, a tile is
        empty, runs outside ``[0, seq_length)``, or overlaps ``avoid`` (for example the TSS
        tile, which a test keeps fixed).
    """
    raw = np.asarray(tiles)
    if raw.dtype.kind == "f" and not np.all(np.isfinite(raw) & (raw == np.round(raw))):
        # Truncating 4999.7 to 4999 would move the tile without a word.
        bad = raw.reshape(-1)[~(np.isfinite(raw) & (raw == np.round(raw))).reshape(-1)][0]
        raise ValueError(f"{name}: tile coordinates must be whole bp, got {bad}")
    if raw.dtype.kind not in "iuf" and raw.size:
        raise ValueError(f"{name}: tile coordinates must be numbers, got dtype {raw.dtype}")
    arr = raw.astype(np.int64)
    if arr.ndim == 1 and arr.size == 2:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must be of shape (T, 2) [start, end], got {np.shape(tiles)}")
    for start, end in arr:
        if end <= start:
            raise ValueError(f"{name}: empty or reversed tile [{start}, {end})")
        if start < 0 or end > seq_length:
            raise ValueError(f"{name}: tile [{start}, {end}) lies outside [0, {seq_length})")
        if avoid is not None and start < avoid[1] and avoid[0] < end:
            raise ValueError(f"{name}: tile [{start}, {end}) overlaps the TSS tile {list(avoid)}")
    return arr


def bins_of(start: int, end: int, bin_size: int, crop: int = 0) -> np.ndarray:
    """Indices of the output bins that overlap ``[start, end)`` bp of the input.

    ``crop`` is the number of bp cut from each side of the input before binning (Enformer
    predicts 896 bins of 128 bp for the central 114,688 bp of 196,608, so ``crop=40_960``).
    """
    lo = (start - crop) // bin_size
    hi = -(-(end - crop) // bin_size)
    return np.arange(max(lo, 0), max(hi, 0))


def subtiles(start: int, end: int, window: int, step: int | None = None) -> np.ndarray:
    """Windows of ``window`` bp stepping by ``step`` (default ``window``) inside ``[start, end)``.

    Returns shape ``(K, 2)``; a last window that would run past ``end`` is dropped, as in the
    paper's fine-tile search.
    """
    if window <= 0:
        raise ValueError(f"window must be positive, got {window}")
    step = window if step is None else step
    if step <= 0:
        raise ValueError(f"step must be positive, got {step}")
    starts = np.arange(start, end - window + 1, step, dtype=np.int64)
    return np.stack([starts, starts + window], axis=1)


def _check_sizes(seq_length: int, tile_size: int) -> None:
    if seq_length <= 0:
        raise ValueError(f"seq_length must be positive, got {seq_length}")
    if not 0 < tile_size <= seq_length:
        raise ValueError(f"tile_size must be in (0, {seq_length}], got {tile_size}")
