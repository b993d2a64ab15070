"""Step 11: CRE multiplicity test."""

from __future__ import annotations

import pandas as pd

from creme_lib.pipeline.config import PipelineConfig
from creme_lib.pipeline.runtime import load_window, make_engine, tiles_of
from creme_lib.pipeline.tables import _drop_track, collect_parts, load_sufficient_cres, run_parts, write_cell_table
from creme_lib.schemas import columns


def run_multiplicity(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 11: multiplicity test of sufficient enhancers (``max``) and silencers (``min``).

    Each CRE's copies are placed one at a time at the tile position that moves the
    activity most (all tile positions are candidates), ``n_copies`` copies.

    Writes ``<cell>/multiplicity.csv``: ``seq_id, cell_line, context, tile class, copy
    number, Normalized TSS effect`` (activity over the TSS + CRE control), ``tile_start,
    tile_end, position, mean, control, control_tss, enf_data_id``.
    """
    from creme_lib.experiments import multiplicity_test

    cres = load_sufficient_cres(cfg, limit=cfg.max_cres)
    by_id = {r["enf_data_id"]: r for r in cres.to_dict("records")}
    tss_tile, tiles = tiles_of(cfg)
    n_copies = min(cfg.n_copies, len(tiles))

    def compute(eid: str) -> pd.DataFrame:
        r = by_id[eid]
        opt = "max" if r["tile class"] == "Enhancer" else "min"
        x = load_window(cfg, r["Chromosome"], r["Start"], r["Strand"])
        res = multiplicity_test(make_engine(cfg), x, tss_tile, (r["tile_start"], r["tile_end"]), tiles[:, 0], n_copies,
                                opt, cfg.n_shuffles, name=r["seq_id"])
        return _drop_track(res.to_frame()).assign(enf_data_id=eid)

    ids = run_parts(cfg, "multiplicity", list(by_id), compute)
    if not cfg.collecting:
        return None
    df = collect_parts(cfg, "multiplicity", ids)
    cols = columns("multiplicity")
    if df.empty:
        out = pd.DataFrame(columns=cols)
    else:
        meta = cres.set_index("enf_data_id").loc[df["enf_data_id"]]
        out = df.rename(columns={"n_copies": "copy number"}).assign(
            cell_line=cfg.cell_line, context=meta["context"].to_numpy(), **{"tile class": meta["tile class"].to_numpy()}
        )[cols]
    write_cell_table(cfg, "multiplicity", out, "no sufficient CRE")
    return out
