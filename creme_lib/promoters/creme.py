"""CREME's tests on promoter windows: a TSS-aligned tile grid, per-tile necessity and
sufficiency by position relative to the TSS, the sigma-70 spacer test, and the -35 x -10
interaction.

CREME's normalizations divide by activities, so the tests run on the network's output in
linear units (:func:`activity_model`: ``10 ** prediction``, i.e. predicted RNA/DNA
expression plus the label's 0.01 pseudocount, always positive), not on log10 values.
The library's tests are used unchanged; only the tiles are promoter-sized (10 bp).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from creme_lib import experiments as ex
from creme_lib.inference import Engine
from creme_lib.models.base import CallableModel, Model
from creme_lib.seeding import derive_rng
from creme_lib.experiments.interactions import check_disjoint
from creme_lib.shuffle import dinuc_shuffle
from creme_lib.tiles import check_tiles

TILE_BP = 10


def activity_model(model: Model, batch_size: int = 512) -> CallableModel:
    """A model's log10 output turned into linear activity, ``10 ** y``, ``(N, 1, 1)``."""
    if model.output_shape != (1, 1):
        raise ValueError(f"expected a model with one output value, got selection {model.output_shape}")

    def fn(x: np.ndarray) -> np.ndarray:
        return np.power(10.0, model.predict(x).astype(np.float64)).astype(np.float32)

    return CallableModel(fn, seq_length=model.seq_length, n_bins=1, track_names=["activity"])


def promoter_tiles(seq_length: int, tss_index: int, tile: int = TILE_BP) -> tuple[tuple[int, int], np.ndarray]:
    """The TSS tile ``[tss, tss + tile)`` and the other whole tiles of a grid aligned to it.

    Returns
    -------
    ((int, int), numpy.ndarray)
        The TSS tile and ``(T, 2)`` int tiles ``[start, end)`` in bp, in order, that with
        it cover every whole ``tile``-bp step of the window (a partial tile at either edge is
        left out). For a 150 bp window with the TSS at 120: 15 tiles in all.

    Raises
    ------
    ValueError
        If the TSS tile does not fit in the window.
    """
    if not 0 <= tss_index <= seq_length - tile:
        raise ValueError(f"a {tile} bp TSS tile at {tss_index} does not fit the {seq_length} bp window")
    first = tss_index % tile
    starts = np.arange(first, seq_length - tile + 1, tile)
    grid = np.stack([starts, starts + tile], axis=1)
    check_tile_grid(grid, seq_length)
    tss = (int(tss_index), int(tss_index) + tile)
    return tss, grid[grid[:, 0] != tss_index]


def check_tile_grid(tiles: np.ndarray, seq_length: int, max_gap: int | None = None) -> np.ndarray:
    """Validate a tile grid: ``(T, 2)`` whole-bp ``[start, end)`` inside the window, not
    overlapping, and covering it: no gap longer than ``max_gap`` bp (default: any gap shorter
    than the widest tile, such as a partial tile at an edge, is allowed).

    Raises
    ------
    ValueError
        Naming the first offending tile.
    """
    t = check_tiles(tiles, seq_length)  # shape, whole bp, non-empty, inside the window
    if len(t) == 0:
        raise ValueError("no tiles")
    check_disjoint(t)
    s = t[np.argsort(t[:, 0], kind="stable")]
    limit = max(1, int(np.max(t[:, 1] - t[:, 0])) if max_gap is None else int(max_gap) + 1)
    gaps = np.concatenate([[s[0, 0]], s[1:, 0] - s[:-1, 1], [seq_length - s[-1, 1]]])
    if (gaps >= limit).any():
        i = int(np.flatnonzero(gaps >= limit)[0])
        where = "before the first tile" if i == 0 else ("after the last tile" if i == len(s) else f"after tile {s[i - 1].tolist()}")
        raise ValueError(f"the tiles leave a {int(gaps[i])} bp gap {where}: they do not cover the {seq_length} bp window")
    return t


def tile_scan(model: Model, x: np.ndarray, tss_index: Iterable[int], names: Iterable[str], n_shuffles: int = 10,
              tile: int = TILE_BP, seed: int = 0, batch_size: int = 256) -> pd.DataFrame:
    """Necessity and sufficiency of every 10 bp tile of each promoter window.

    Parameters
    ----------
    model : Model
        Linear-activity model (:func:`activity_model`).
    x : numpy.ndarray
        One-hot ``(N, L, 4)``.
    tss_index : iterable of int
        TSS position (bp, 0-based) of each window.
    names : iterable of str
        Sequence ids (enter the shuffles' seeds).

    Returns
    -------
    pandas.DataFrame
        One row per (sequence, tile): ``seq_id, tile_start, tile_end, rel_start`` (tile start
        minus TSS, bp), ``wt``, ``necessity`` (the paper's "Normalized shuffle effect",
        ``(WT - MUT) / WT``: positive when the tile is needed) and ``sufficiency`` (the
        paper's ``(MUT - CONTROL) / WT``).
    """
    rows = []
    for xi, tss, name in zip(np.asarray(x), tss_index, names):
        tss_tile, tiles = promoter_tiles(xi.shape[0], int(tss), tile)
        engine = Engine(model, batch_size=batch_size, seed=seed, progress=False)
        nec = ex.necessity_test(engine, xi, tiles, n_shuffles=n_shuffles, name=str(name)).to_frame()
        suf = ex.sufficiency_test(engine, xi, tss_tile, tiles, n_shuffles=n_shuffles, name=str(name)).to_frame()
        df = pd.DataFrame({"seq_id": str(name), "tile_start": tiles[:, 0], "tile_end": tiles[:, 1],
                           "rel_start": tiles[:, 0] - int(tss), "wt": nec["wt"].to_numpy(),
                           "necessity": nec["Normalized shuffle effect"].to_numpy(),
                           "sufficiency": suf["(MUT - CONTROL) / WT"].to_numpy()})
        rows.append(df)
    return pd.concat(rows, ignore_index=True)


def spacer_test(model: Model, x: np.ndarray, sites: pd.DataFrame, spacers: Iterable[int] = range(12, 23),
                width_35: int = 6, seed: int = 0, names: Iterable[str] | None = None) -> pd.DataFrame:
    """The distance test recast for promoters: the -35 box moved relative to the -10 box.

    For each window, the -35 box found by :func:`creme_lib.promoters.spacing.spacer_lengths`
    is replaced in place by a dinucleotide shuffle of itself (seeded per sequence) and pasted
    so that ``spacer`` bp separate it from the -10 box; positions outside the window are
    skipped. Activity is reported over the wild type's.

    Returns
    -------
    pandas.DataFrame
        ``seq_id, spacer, wt_spacer, activity, wt, fold_change_over_wt``.

    Raises
    ------
    ValueError
        If a spacer is negative or every spacer runs out of every window.
    """
    x = np.asarray(x, np.float32)
    spacers = sorted(int(s) for s in spacers)
    if not spacers or spacers[0] < 0:
        raise ValueError(f"spacers must be non-negative bp, got {spacers}")
    names = list(names) if names is not None else [str(i) for i in range(len(x))]
    seqs, meta = [], []
    for i, (xi, site) in enumerate(zip(x, sites.itertuples(index=False))):
        a35, a10 = int(site.start_35), int(site.start_10)
        box = xi[a35:a35 + width_35].copy()
        base = xi.copy()
        base[a35:a35 + width_35] = dinuc_shuffle(box, rng=derive_rng(seed, names[i], "spacer"))
        seqs.append(xi)
        meta.append((names[i], -1, a10 - a35 - width_35))
        for sp in spacers:
            start = a10 - sp - width_35
            if start < 0 or start + width_35 > a10:
                continue
            mut = base.copy()
            mut[start:start + width_35] = box
            seqs.append(mut)
            meta.append((names[i], sp, a10 - a35 - width_35))
    if len(seqs) == len(x):
        raise ValueError(f"spacers {spacers[0]}-{spacers[-1]} bp run out of every window")
    pred = np.concatenate([model.predict(np.stack(seqs[j:j + 512]))[:, 0, 0] for j in range(0, len(seqs), 512)])
    df = pd.DataFrame(meta, columns=["seq_id", "spacer", "wt_spacer"]).assign(activity=pred)
    wt = df[df.spacer == -1].set_index("seq_id")["activity"]
    df = df[df.spacer >= 0].copy()
    df["wt"] = df["seq_id"].map(wt).to_numpy()
    df["fold_change_over_wt"] = df["activity"] / df["wt"]
    return df.reset_index(drop=True)


def box_interaction(model: Model, x: np.ndarray, sites: pd.DataFrame, names: Iterable[str],
                    width_35: int = 6, width_10: int = 6, pad: int = 2, n_shuffles: int = 10,
                    seed: int = 0) -> pd.DataFrame:
    """The higher-order interaction test on the -35 and -10 boxes of each window.

    The two boxes (``pad`` bp added on each side) are the candidate tiles of :func:`creme_lib.experiments.higher_order_interaction_test`
    (``"min"``: both lower activity when shuffled), run for two rounds; the trace is classified
    against the additive model by the paper's MSE rule.

    Returns
    -------
    pandas.DataFrame
        ``seq_id, first, fold_change_1, fold_change_2, additive_2, multiplicative_2, interaction``.
    """
    rows = []
    x = np.asarray(x)
    for xi, site, name in zip(x, sites.itertuples(index=False), names):
        # Each box with `pad` bp either side: a dinucleotide shuffle of 6 bp alone often
        # returns the box itself (TTGACA has few shuffles), which would hide its effect.
        tiles = np.array([[site.start_35 - pad, site.start_35 + width_35 + pad],
                          [site.start_10 - pad, site.start_10 + width_10 + pad]])
        tiles = np.clip(tiles, 0, x.shape[1])
        engine = Engine(model, batch_size=64, seed=seed, progress=False)
        res = ex.higher_order_interaction_test(engine, xi, tiles, optimization="min", n_rounds=2,
                                               n_shuffles=n_shuffles, name=str(name))
        first = "-35" if int(res.order[0]) == 0 else "-10"
        rows.append((str(name), first, float(res.fold_change[1]), float(res.fold_change[2]), float(res.additive[2]),
                     float(res.multiplicative[2]), res.interaction()))
    return pd.DataFrame(rows, columns=["seq_id", "first", "fold_change_1", "fold_change_2", "additive_2",
                                       "multiplicative_2", "interaction"])


def per_tile(scores: np.ndarray, tiles: np.ndarray, width: int = 1) -> np.ndarray:
    """Sum per-position scores over tiles: ``(N, P)`` -> ``(N, T)``.

    ``scores[:, p]`` belongs to the ``width``-bp window starting at ``p`` (``width=1`` for
    per-bp scores such as gradient x input); a window counts for the tile holding its centre.
    """
    scores = np.asarray(scores, float)
    centre = np.arange(scores.shape[1]) + (width - 1) / 2
    out = np.zeros((scores.shape[0], len(tiles)))
    for j, (a, b) in enumerate(np.asarray(tiles)):
        m = (centre >= a) & (centre < b)
        out[:, j] = scores[:, m].sum(axis=1)
    return out


def context_effects(model: Model, x: np.ndarray, tss_index: Iterable[int], names: Iterable[str],
                    n_shuffles: int = 10, tile: int = TILE_BP, seed: int = 0) -> pd.DataFrame:
    """The context dependence test per promoter: the TSS tile kept, the rest shuffled.

    Returns
    -------
    pandas.DataFrame
        ``seq_id, delta_mean`` (the paper's ``(WT - MUT) / WT``), ``wt, mean_mut, context``
        (the paper's categories, :func:`creme_lib.analysis.classify_context`).
    """
    from creme_lib.analysis import classify_context

    rows = []
    for xi, tss, name in zip(np.asarray(x), tss_index, names):
        tss_tile, _ = promoter_tiles(xi.shape[0], int(tss), tile)
        engine = Engine(model, batch_size=64, seed=seed, progress=False)
        rows.append(ex.context_dependence_test(engine, xi, tss_tile, n_shuffles=n_shuffles, name=str(name)).to_frame())
    df = pd.concat(rows, ignore_index=True)[["seq_id", "delta_mean", "wt", "mean_mut"]]
    df["context"] = classify_context(df["delta_mean"].to_numpy())
    return df


#: Fine-tile stages for promoter cores: (window bp, score threshold, windows removed per step).
PROMOTER_STAGES: tuple[tuple[int, float, int], ...] = ((10, 0.9, 1), (2, 0.7, 2))


def fine_tiles(model: Model, x: np.ndarray, tss_index: Iterable[int], names: Iterable[str],
               region: tuple[int, int] = (-40, 0), stages=PROMOTER_STAGES, n_shuffles: int = 10,
               tile: int = TILE_BP, seed: int = 0) -> pd.DataFrame:
    """The fine-tile search on each promoter's core ``region`` (bp relative to the TSS).

    The region is the "CRE" of :func:`creme_lib.experiments.fine_tile_search`, the TSS tile
    the TSS; the search prunes it in 10 bp, then 2 bp windows while the kept part keeps 90 %,
    then 70 % of the region's effect.

    Returns
    -------
    pandas.DataFrame
        One row per (promoter, bp of the region): ``seq_id, rel_pos`` (bp relative to the
        TSS), ``kept`` (bool), ``full`` and ``control`` (mean activity with the whole region
        and with the TSS tile alone).
    """
    rows = []
    for xi, tss, name in zip(np.asarray(x), tss_index, names):
        tss_tile, _ = promoter_tiles(xi.shape[0], int(tss), tile)
        cre = (int(tss) + region[0], int(tss) + region[1])
        if cre[0] < 0 or (cre[1] > tss_tile[0] and cre[0] < tss_tile[1]):
            raise ValueError(f"region {region} runs out of the window or into the TSS tile for TSS {tss}")
        engine = Engine(model, batch_size=64, seed=seed, progress=False)
        res = ex.fine_tile_search(engine, xi, tss_tile, cre, stages=stages, n_shuffles=n_shuffles, name=str(name))
        mask = res.mask()
        rows.append(pd.DataFrame({"seq_id": str(name), "rel_pos": np.arange(cre[0], cre[1]) - int(tss), "kept": mask,
                                  "full": res.full, "control": res.control}))
    return pd.concat(rows, ignore_index=True)
