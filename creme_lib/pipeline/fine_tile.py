"""Step 07: fine-tile search of sufficient enhancers vs saliency and a motif scan."""

from __future__ import annotations

import functools
import logging

import numpy as np
import pandas as pd

from creme_lib.experiments.fine_tile import kept_activity, merge_intervals
from creme_lib.motifs import both_strand_scores, complete_windows, score_survival, survival_threshold
from creme_lib.pipeline.config import PipelineConfig
from creme_lib.pipeline.runtime import get_model, load_window, make_engine, tiles_of
from creme_lib.pipeline.tables import _drop_track, collect_parts, load_sufficient_cres, run_parts, write_cell_table
from creme_lib.schemas import columns
from creme_lib.seeding import derive_rng
from creme_lib.tiles import subtiles

# One logger for the whole package, named explicitly (its name shows in the notebooks).
log = logging.getLogger("creme_lib.pipeline")

MOTIF_BACKGROUND = np.array([0.25, 0.25, 0.25, 0.25])


@functools.lru_cache(maxsize=1)
def jaspar_pwms(collection: str = "CORE", tax_group: str = "vertebrates") -> dict[str, np.ndarray]:
    """JASPAR position probability matrices from pyjaspar's bundled database (offline).

    Returns
    -------
    dict
        ``"<matrix_id> <name>"`` -> ``(4, width)`` float64 probabilities (rows A, C, G, T).
    """
    from pyjaspar import jaspardb

    out = {}
    for m in jaspardb().fetch_motifs(collection=collection, tax_group=[tax_group]):
        c = np.array([m.counts[b] for b in "ACGT"], dtype=np.float64)
        out[f"{m.matrix_id} {m.name}"] = c / c.sum(axis=0, keepdims=True)
    return out


def motif_hits(
    x: np.ndarray,
    pwms: dict[str, np.ndarray] | None = None,
    pvalue: float = 1e-5,
    background: np.ndarray = MOTIF_BACKGROUND,
    resolution: float = 0.1,
) -> pd.DataFrame:
    """A FIMO-style log-odds scan of one sequence with exact p-values.

    Log-odds ``log2((p + 0.01) / (1.04 bg))`` are rounded to ``resolution`` bits, so the
    score distribution under the iid background is exact (dynamic programming, as FIMO).
    Both strands are scanned; windows with ``N`` are not scored.

    Parameters
    ----------
    x : numpy.ndarray
        One-hot ``(L, 4)``.
    pwms : dict, optional
        Name -> ``(4, W)`` probabilities (default :func:`jaspar_pwms`).
    pvalue : float
        Report sites with ``P(score >= s) <= pvalue``.

    Returns
    -------
    pandas.DataFrame
        ``motif, start, end`` (bp in ``x``, half-open), ``strand, score`` (bits), ``pvalue``.
    """
    pwms = jaspar_pwms() if pwms is None else pwms
    x = np.asarray(x)[None]  # (1, L, 4)
    bg = np.asarray(background, np.float64)
    weights = {  # integer log-odds (W, 4), in units of `resolution` bits
        name: np.rint(np.log2((p + 0.01) / 1.04 / bg[:, None]) / resolution).astype(np.int64).T
        for name, p in pwms.items() if p.shape[1] <= x.shape[1]
    }
    # Motifs of one width are scored in one stacked scan; integer weights give exact scores.
    scores, valid = {}, {}
    for width in sorted({w.shape[0] for w in weights.values()}):
        group = [name for name, w in weights.items() if w.shape[0] == width]
        s = both_strand_scores(x, np.stack([weights[name] for name in group], axis=-1))[0]  # (P, 2, F)
        for f, name in enumerate(group):
            scores[name] = s[:, :, f].astype(np.int64)
        valid[width] = complete_windows(x, width)[0]
    rows = []
    for name, lo in weights.items():
        w_len = lo.shape[0]
        sf, off = score_survival(lo, bg)
        thr = survival_threshold(sf, off, pvalue)
        s = scores[name]
        for k, strand in enumerate(("+", "-")):
            hit = np.flatnonzero(valid[w_len] & (s[:, k] >= thr))
            for i in hit:
                rows.append((name, int(i), int(i + w_len), strand, float(s[i, k] * resolution), float(sf[s[i, k] - off])))
    return pd.DataFrame(rows, columns=["motif", "start", "end", "strand", "score", "pvalue"])


def _saliency(cfg: PipelineConfig, x: np.ndarray) -> np.ndarray | None:
    """Gradient x input ``(L,)`` of the model, or ``None`` if it has no gradients."""
    from creme_lib.saliency import gradient_x_input

    model = get_model(cfg)
    if not callable(getattr(model, "input_gradients", None)):
        return None
    return gradient_x_input(model, x)[0]


def _top_windows(cre: tuple[int, int], window: int, n: int, score: np.ndarray | None, rng: np.random.Generator | None) -> list[tuple[int, int]]:
    """``n`` windows of the CRE chosen by summed saliency (``score``) or at random (``rng``)."""
    w = subtiles(cre[0], cre[1], window)
    if n <= 0 or len(w) == 0:
        return []
    if score is not None:
        s = np.array([np.abs(score[a - cre[0] : b - cre[0]]).sum() for a, b in w])
        order = np.argsort(-s, kind="mergesort")
    else:
        order = rng.permutation(len(w))  # type: ignore[union-attr]
    return [tuple(int(v) for v in w[i]) for i in sorted(order[:n])]


#: Columns of ``<cell>/fine_tile_search.csv`` (FineTileResult.to_frame without ``track``; from its schema).
FINE_TILE_COLUMNS: list[str] = columns("fine_tile_search")


def run_fine_tile(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 07: fine-tile search of sufficient enhancers vs saliency and a motif scan.

    Per enhancer (the ``max_fine_tile`` strongest): :func:`~creme_lib.experiments.fine_tile_search`
    with :attr:`Preset.fine_tile_stages <creme_lib.pipeline.config.Preset.fine_tile_stages>`
    (500 bp then 50 bp); at every accepted step the same number of bp kept by (a) the
    windows of highest gradient x input saliency and (b) random windows (seeded), and (c)
    only the motif-scan hits
    (:func:`motif_hits`, JASPAR CORE vertebrates, ``p < motif_pvalue``), all scored as
    activity over that of the whole CRE in the search's backgrounds.

    Writes ``<cell>/fine_tile_search.csv`` (every step), ``<cell>/motif_analysis/
    CREME_vs_saliency_vs_XSTREME.csv`` (``CREME score, CREME bps`` (bp removed),
    ``Saliency score, Random score, XSTREME score`` (the motif scan stands in for the
    paper's XSTREME), ``seq_id`` (``enf_data_id``), ``cell_line``) and
    ``<cell>/motif_analysis/example_seqs.csv`` (per bp: ``Saliency, CREME`` (1 = kept),
    ``XSTREME`` (in a motif hit), ``gene``). The saliency columns are NaN for a model
    without input gradients (logged).
    """
    from creme_lib.experiments import fine_tile_search

    cres = load_sufficient_cres(cfg, "Enhancer", cfg.max_fine_tile)
    by_id = {r.enf_data_id: r for r in cres.itertuples(index=False)}
    tss_tile, _ = tiles_of(cfg)
    store = cfg.store()

    def compute(eid: str) -> pd.DataFrame:
        r = by_id[eid]
        engine = make_engine(cfg)
        x = load_window(cfg, r.Chromosome, r.Start, r.Strand)
        cre = (int(r.tile_start), int(r.tile_end))
        res = fine_tile_search(engine, x, tss_tile, cre, cfg.fine_tile_stages, "enhancer", cfg.n_shuffles, name=r.seq_id)
        sal = _saliency(cfg, x)
        if sal is None:
            log.warning("%s: the %s model has no input gradients; saliency scores are NaN", eid, cfg.model)
        hits = motif_hits(x[cre[0] : cre[1]], pvalue=cfg.motif_pvalue)
        motif_iv = [(cre[0] + a, cre[0] + b) for a, b in merge_intervals(list(zip(hits.start, hits.end)))]
        xs = float(kept_activity(engine, r.seq_id, tss_tile, [motif_iv], cfg.n_shuffles)[0]) / res.full
        length = cre[1] - cre[0]
        rows = []
        for si, st in enumerate(res.stages):
            for step, (score, bps) in enumerate(zip(st.scores, st.bps)):
                n_win = bps // st.window
                rng = derive_rng(cfg.seed, r.seq_id, "fine_tile_random", cre[0], si, step)
                rand = kept_activity(engine, r.seq_id, tss_tile, [_top_windows(cre, st.window, n_win, None, rng)], cfg.n_shuffles)[0]
                if sal is not None:
                    top = _top_windows(cre, st.window, n_win, sal[cre[0] : cre[1]], None)
                    s_sal = float(kept_activity(engine, r.seq_id, tss_tile, [top], cfg.n_shuffles)[0]) / res.full
                else:
                    s_sal = np.nan
                rows.append({"CREME score": score, "CREME bps": float(length - bps), "Saliency score": s_sal,
                             "Random score": float(rand) / res.full, "XSTREME score": xs,
                             "window": st.window, "step": step})
        comp = pd.DataFrame(rows).assign(seq_id=eid, cell_line=cfg.cell_line)
        in_motif = np.zeros(length, bool)
        for a, b in motif_iv:
            in_motif[a - cre[0] : b - cre[0]] = True
        per_bp = pd.DataFrame({
            "Saliency": sal[cre[0] : cre[1]] if sal is not None else np.full(length, np.nan),
            "CREME": res.mask().astype(np.float64),
            "XSTREME": in_motif,
            "gene": r.gene_name,
            "seq_id": eid,
        })
        # Side parts first, the main part last: the main part marks the CRE as done.
        store.write(cfg.cell_line, "fine_tile_compare", eid, comp, cfg.provenance("fine_tile_compare"))
        store.write(cfg.cell_line, "fine_tile_bp", eid, per_bp, cfg.provenance("fine_tile_bp"))
        return _drop_track(res.to_frame()).assign(enf_data_id=eid, n_motif_hits=len(hits))

    # The main part marks a CRE as done; if a side part is damaged, redo the CRE.
    for eid in by_id:
        bad = [t for t in ("fine_tile_compare", "fine_tile_bp")
               if store.check(cfg.cell_line, t, eid, cfg.provenance(t)) is not None]
        if bad and store.done(cfg.cell_line, "fine_tile", eid, cfg.provenance("fine_tile")):
            log.warning("%s %s: side part(s) %s unusable; recomputing the CRE", cfg.cell_line, eid, ", ".join(bad))
            store.manifest(cfg.cell_line, "fine_tile", eid).unlink()
    ids = run_parts(cfg, "fine_tile", list(by_id), compute)
    if not cfg.collecting:
        return None
    df = collect_parts(cfg, "fine_tile", ids)
    comp = store.collect(cfg.cell_line, "fine_tile_compare", ids, cfg.provenance("fine_tile_compare"))
    per_bp = store.collect(cfg.cell_line, "fine_tile_bp", ids, cfg.provenance("fine_tile_bp"))
    why = "no sufficient enhancer"
    if df.empty:  # no CRE: the table still gets its header
        df = pd.DataFrame(columns=FINE_TILE_COLUMNS)
    write_cell_table(cfg, "fine_tile_search", df, why)
    cols = columns("motif_analysis/CREME_vs_saliency_vs_XSTREME")
    write_cell_table(cfg, "motif_analysis/CREME_vs_saliency_vs_XSTREME", comp[cols] if len(comp) else pd.DataFrame(columns=cols), why)
    cols = columns("motif_analysis/example_seqs")
    write_cell_table(cfg, "motif_analysis/example_seqs", per_bp[cols] if len(per_bp) else pd.DataFrame(columns=cols), why)
    return df
