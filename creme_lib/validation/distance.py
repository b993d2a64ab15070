"""The distance test's recovered decay scored against the world's kernel and the model's own noise-free answer.

Each CRE's distance-test curve (``CRE sufficiency effect`` vs ``Binned distance (Kb)``) is
normalized to 1 at the closest distance (mean of the ``-5`` and ``+5`` kb bins) and compared
with the world's kernel ``exp(-|d| / lambda)`` at the element's true position (tile-centre
distance plus the element's offset in its tile), normalized the same way.

Every function here is pure: tables and a world in, tables out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from creme_lib import ids
from creme_lib.ids import split_enf_data_id
from creme_lib.validation.tables import _with_cell_line
from creme_lib.validation.truth import TSS_TILE
from creme_lib.world.mechanism import distance_decay
from creme_lib.world.truth import World, expected_output


def model_distance_curve(
    world: World, gene_id: str, cell_line: str, element_id: str, tile: tuple[int, int], kb: np.ndarray, tile_class: str
) -> np.ndarray:
    """The world model's noise-free distance-test effect of one element at each binned distance.

    The element's sites move with their tile to the position of each distance (tile start
    ``kb * 1000 + TSS centre - tile width / 2``) in a hit-free background holding only the
    promoter; the effect is ``(MUT - TSS only) / WT`` for enhancers and ``/ TSS only`` for
    silencers, the pipeline's ``CRE sufficiency effect``.
    """
    from creme_lib.world.mechanism import BIN_SIZE, N_INPUT_BINS, TSS_BINS, output_from_bin_occupancy
    from creme_lib.world.truth import genome_to_window

    g = world.gene(gene_id)
    mech = world.mechanism
    col = {m: i for i, m in enumerate(mech.motif_names)}
    sites = world.sites[(world.sites.chrom == g.chrom) & world.sites.owner.isin([element_id, f"promoter:{g.gene_id}"])]
    start, _ = genome_to_window(g, sites.start.to_numpy(), sites.end.to_numpy())
    is_elem = (sites.owner == element_id).to_numpy()
    m = sites.motif.map(col).to_numpy()
    occ = sites.occupancy.to_numpy(np.float64)
    width = tile[1] - tile[0]
    pos = np.asarray(kb, np.float64) * 1000.0 + (TSS_TILE[0] + TSS_TILE[1]) / 2 - width / 2
    h = np.zeros((len(pos) + 1, N_INPUT_BINS, len(col)))
    prom = ~is_elem
    for k in range(len(pos) + 1):
        np.add.at(h[k], (start[prom] // BIN_SIZE, m[prom]), occ[prom])
        if k:
            moved = (start[is_elem] - tile[0] + pos[k - 1]).astype(np.int64)
            np.add.at(h[k], (moved // BIN_SIZE, m[is_elem]), occ[is_elem])
    line = mech.cell_lines.index(cell_line)
    y = output_from_bin_occupancy(h, np.asarray(TSS_BINS), mech)[:, :, line].mean(axis=1)
    wt = float(expected_output(world, gene_id, cell_line).mean())
    return (y[1:] - y[0]) / (wt if tile_class == "Enhancer" else y[0])


def score_distance(
    distance: pd.DataFrame | None,
    world: World,
    effect: str = "CRE sufficiency effect",
    min_closest: float = 1e-3,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Recovered distance decay of the distance test vs the world's kernel.

    Each CRE's curve is divided by its mean at the closest distance (the bins with the
    smallest ``|Binned distance (Kb)|``); the true curve ``exp(-|d + offset| / lambda)`` (the
    element's offset from its tile centre, 0 if the tile holds no known element) likewise.
    A CRE whose closest-distance effect is below ``min_closest`` in magnitude is skipped.
    Curves and scores are given over all CREs of a class (``channel == "all"``) and per
    enhancer channel (``lin``, ``coop``, ``sat``; a saturating enhancer's effect is a concave
    function of its distance-weighted drive, so its normalized curve is flatter than the
    kernel).

    Parameters
    ----------
    distance : pandas.DataFrame
        ``distance_test.csv``: ``Binned distance (Kb)``, ``effect``, ``tile class``,
        ``enf_data_id`` (or ``seq_id`` holding the enf data id) and ``cell line``/``cell_line``.
    world : World

    Returns
    -------
    (curves, summary) : (pandas.DataFrame, pandas.DataFrame)
        ``curves``: per cell line, tile class, channel and distance: ``distance_kb, n_cres,
        recovered`` (mean raw effect), ``recovered_norm, true_norm`` (means of the per-CRE
        normalized curves: CREME's and the kernel's) and ``model_norm`` (the world model's
        noise-free answer to the test, :func:`model_distance_curve`, normalized alike).
        ``summary``: per cell line, tile class and channel: ``n_cres, pearson_r, rmse``
        (recovered vs kernel), ``rmse_model`` (recovered vs the model's noise-free curve: CREME's
        own error, as opposed to the model's departure from the kernel), ``lambda_fit_kb``
        (least-squares fit of ``log recovered_norm = -(|d| - d_min) / lambda`` over positive
        values) and ``lambda_true_kb``.
    """
    keys = ["cell_line", "tile class", "channel"]
    curve_cols = keys + ["distance_kb", "n_cres", "recovered", "recovered_norm", "true_norm", "model_norm"]
    sum_cols = keys + ["n_cres", "pearson_r", "rmse", "rmse_model", "lambda_fit_kb", "lambda_true_kb"]
    if distance is None or distance.empty:
        return pd.DataFrame(columns=curve_cols), pd.DataFrame(columns=sum_cols)
    d = _with_cell_line(distance)
    # Not named ``ids``: that is the id module, used below to parse the sequence id.
    cre_ids = d["enf_data_id"] if "enf_data_id" in d.columns else d["seq_id"]
    parsed = [split_enf_data_id(x) for x in cre_ids]
    d = d.assign(_sid=[p[0] for p in parsed], _ts=[p[1] for p in parsed], _te=[p[2] for p in parsed],
                 _cre=cre_ids.to_numpy())
    lam = float(world.mechanism.decay_bp)
    elements = world.elements
    per = []
    for (line, cls, cre), g in d.groupby(["cell_line", "tile class", "_cre"], sort=True):
        g = g.sort_values("Binned distance (Kb)")
        kb = g["Binned distance (Kb)"].to_numpy(np.float64)
        y = g[effect].to_numpy(np.float64)
        close = np.abs(kb) == np.abs(kb).min()
        ref = float(np.mean(y[close]))
        if not np.isfinite(ref) or abs(ref) < min_closest:
            continue
        gid = world.gene(ids.parse_seq_id(str(g["_sid"].iloc[0]))["gene"]).gene_id
        ts, te = int(g["_ts"].iloc[0]), int(g["_te"].iloc[0])
        e = elements[(elements.target_gene == gid) & (elements.tile_start == ts)]
        offset = float((e.win_start.iloc[0] + e.win_end.iloc[0]) / 2 - (ts + te) / 2) if len(e) else 0.0
        channel = e.channel.iloc[0] if len(e) and isinstance(e.channel.iloc[0], str) else "none"
        true = distance_decay(kb * 1000.0 + offset, world.mechanism)
        true_ref = float(np.mean(true[close]))
        if len(e) and line in world.cell_lines:
            mod = model_distance_curve(world, gid, line, e.element_id.iloc[0], (ts, te), kb, cls)
            mod = mod / float(np.mean(mod[close]))
        else:
            mod = np.full(len(kb), np.nan)
        per.append(pd.DataFrame({"cell_line": line, "tile class": cls, "channel": channel, "cre": cre,
                                 "distance_kb": kb, "recovered": y, "recovered_norm": y / ref,
                                 "true_norm": true / true_ref, "model_norm": mod}))
    if not per:
        return pd.DataFrame(columns=curve_cols), pd.DataFrame(columns=sum_cols)
    per_df = pd.concat(per, ignore_index=True)
    per_df = pd.concat([per_df.assign(channel="all"), per_df[per_df["tile class"] == "Enhancer"]], ignore_index=True)
    curves = (
        per_df.groupby(keys + ["distance_kb"], sort=True)
        .agg(n_cres=("cre", "nunique"), recovered=("recovered", "mean"), recovered_norm=("recovered_norm", "mean"),
             true_norm=("true_norm", "mean"), model_norm=("model_norm", "mean"))
        .reset_index()
    )
    rows = []
    for (line, cls, ch), g in curves.groupby(keys, sort=True):
        r, t, mo = g.recovered_norm.to_numpy(), g.true_norm.to_numpy(), g.model_norm.to_numpy()
        ad = np.abs(g.distance_kb.to_numpy()) * 1000.0
        ok = r > 0
        x = ad[ok] - ad.min()
        fit = np.nan
        if ok.sum() >= 3 and np.any(x > 0):
            slope = float(np.sum(x * np.log(r[ok])) / np.sum(x * x))
            fit = -1.0 / slope / 1000.0 if slope < 0 else np.inf
        sel = (per_df.cell_line == line) & (per_df["tile class"] == cls) & (per_df.channel == ch)
        rows.append({
            "cell_line": line, "tile class": cls, "channel": ch,
            "n_cres": int(per_df[sel].cre.nunique()),
            "pearson_r": float(np.corrcoef(r, t)[0, 1]) if len(r) > 2 and np.std(r) > 0 and np.std(t) > 0 else np.nan,
            "rmse": float(np.sqrt(np.mean((r - t) ** 2))),
            "rmse_model": float(np.sqrt(np.mean((r - mo) ** 2))),
            "lambda_fit_kb": fit,
            "lambda_true_kb": lam / 1000.0,
        })
    return curves[curve_cols], pd.DataFrame(rows, columns=sum_cols)
