"""Step 08: TSS-CRE distance test."""

from __future__ import annotations

import numpy as np
import pandas as pd

from creme_lib.analysis import fold_change_over_max
from creme_lib.pipeline.config import PipelineConfig
from creme_lib.pipeline.runtime import load_window, make_engine, tiles_of
from creme_lib.pipeline.tables import DISTANCE_COLUMNS, _drop_track, collect_parts, load_sufficient_cres, run_parts, write_cell_table


def run_distance(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 08: each sufficient CRE moved to every tile position in shared backgrounds.

    Columns as the paper's ``distance_test.csv``: ``Fold change over control`` (mean TSS
    activity with the CRE at the position over its maximum across positions, as the
    published table: :func:`creme_lib.analysis.fold_change_over_max`), ``CRE sufficiency effect`` ((MUT - TSS-only control) /
    WT for enhancers, / control for silencers), ``Binned distance (Kb)``, ``Normalized CRE
    effect (control)`` (the CRE's sufficiency-test effect), ``cell line``, ``control``
    (TSS-only activity), ``enf_data_id, context, tile class``.
    """
    from creme_lib.experiments import distance_test

    cres = load_sufficient_cres(cfg, limit=cfg.max_cres)
    by_id = {r.enf_data_id: r for r in cres.itertuples(index=False)}
    tss_tile, tiles = tiles_of(cfg)

    def compute(eid: str) -> pd.DataFrame:
        r = by_id[eid]
        x = load_window(cfg, r.Chromosome, r.Start, r.Strand)
        res = distance_test(make_engine(cfg), x, tss_tile, (r.tile_start, r.tile_end), tiles[:, 0], cfg.n_shuffles, name=r.seq_id)
        return _drop_track(res.to_frame()).assign(enf_data_id=eid)

    ids = run_parts(cfg, "distance", list(by_id), compute)
    if not cfg.collecting:
        return None
    df = collect_parts(cfg, "distance", ids)
    if not df.empty:
        df = fold_change_over_max(df, "mut", "enf_data_id")
    if df.empty:
        out = pd.DataFrame(columns=DISTANCE_COLUMNS)
    else:
        meta = cres.set_index("enf_data_id").loc[df["enf_data_id"]]
        enh = meta["tile class"].to_numpy() == "Enhancer"
        out = pd.DataFrame({
            "Fold change over control": df["Fold change over control"].to_numpy(),
            "CRE sufficiency effect": np.where(enh, df["Normalized CRE effect"], df["Normalized CRE effect (control)"]),
            "Binned distance (Kb)": df["Binned distance (Kb)"].to_numpy(),
            "Normalized CRE effect (control)": meta["Normalized CRE effect"].to_numpy(),
            "cell line": cfg.cell_line,
            "control": df["control_tss"].to_numpy(),
            "enf_data_id": df["enf_data_id"].to_numpy(),
            "context": meta["context"].to_numpy(),
            "tile class": meta["tile class"].to_numpy(),
        })
    write_cell_table(cfg, "distance_test", out, "no sufficient CRE")
    return out
