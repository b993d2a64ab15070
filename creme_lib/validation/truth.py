"""The world's answer CREME is scored against: sequence ids mapped to genes, true CRE tiles and true contexts.

A 5 kb tile of a gene window is a **true enhancer (silencer)** in a cell line when it holds an
element of that class that is active in the cell line (:func:`~creme_lib.world.truth.tile_truth`).
For each such tile the noise-free answer of each test is computed from the generator's record
(:func:`~creme_lib.world.truth.expected_output`, which deletes an element's motif sites):

* necessity: ``(WT - WT without the tile's elements) / WT`` (the test's *normalized shuffle
  effect* without shuffle noise);
* sufficiency: ``(Y(TSS + tile) - Y(TSS only)) / N`` where ``Y(S)`` keeps only the elements of
  ``S`` (plus the promoter) and ``N`` is WT in an enhancing context and ``Y(TSS only)``
  otherwise (the pipeline's *Normalized CRE effect*).

Every function here is pure: a :class:`~creme_lib.world.truth.World` and ids in, tables out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from creme_lib import analysis, ids
from creme_lib.analysis import PAPER, TILE_SIZE
from creme_lib.ids import make_seq_id
from creme_lib.tiles import tile_grid
from creme_lib.world.mechanism import SEQ_LENGTH
from creme_lib.world.truth import World, expected_output, tile_truth

#: The TSS tile and the ``(38, 2)`` CRE tiles (bp) of a world window, as the pipeline tiles it.
TSS_TILE, TILES = tile_grid(SEQ_LENGTH, TILE_SIZE)


def map_seq_ids(world: World, seq_ids: pd.Series | list[str] | np.ndarray) -> pd.DataFrame:
    """Map CREME sequence ids to the world's genes.

    Parameters
    ----------
    world : World
    seq_ids : iterable of str
        ``{gene_name}_{chrom}_{tss}_{strand}`` (duplicates are fine).

    Returns
    -------
    pandas.DataFrame
        One row per distinct id: ``seq_id, gene_id, gene_name, chrom, tss, strand``.

    Raises
    ------
    KeyError
        If an id names a gene the world does not have, or the gene's chromosome, TSS or
        strand differ (the table was computed on another genome).
    """
    rows = []
    genes = world.genes.set_index("gene_name")
    for sid in pd.unique(pd.Series(list(seq_ids), dtype=object)):
        d = ids.parse_seq_id(str(sid))
        name, chrom, tss, strand = d["gene"], d["chrom"], d["tss"], d["strand"]
        if name not in genes.index:
            raise KeyError(f"{sid}: gene {name!r} is not in the world at {world.root} (table from another genome?)")
        g = genes.loc[name]
        if (str(g.chrom), int(g.tss), str(g.strand)) != (chrom, tss, strand):
            raise KeyError(
                f"{sid}: the world's {name} is at {g.chrom}:{int(g.tss)} ({g.strand}), not {chrom}:{tss} ({strand})"
            )
        rows.append(dict(seq_id=sid, gene_id=g.gene_id, gene_name=name, chrom=chrom, tss=tss, strand=strand))
    return pd.DataFrame(rows, columns=["seq_id", "gene_id", "gene_name", "chrom", "tss", "strand"])


def seq_id_of(world: World, gene: str) -> str:
    """The sequence id of a world gene (id or name)."""
    g = world.gene(gene)
    return make_seq_id(g.gene_name, g.chrom, g.tss, g.strand)


def tile_index_of(tile_start: np.ndarray | int) -> np.ndarray:
    """Index into the 38 tiles of ``tile_grid(196608, 5000)`` of tile start(s); -1 if none."""
    starts = np.asarray(tile_start, dtype=np.int64)
    pos = {int(a): i for i, a in enumerate(TILES[:, 0])}
    return np.vectorize(lambda a: pos.get(int(a), -1), otypes=[np.int64])(starts)


def true_contexts(world: World, gene_ids: list[str] | pd.Series | np.ndarray, cell_line: str) -> pd.DataFrame:
    """:func:`~creme_lib.world.truth.context_truth` restricted to some genes (fast).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``gene_id``: ``y_wt, y_control, context_effect, category``.
    """
    rows = []
    for gid in pd.unique(pd.Series(list(gene_ids), dtype=object)):
        own = tuple(world.elements.element_id[world.elements.target_gene == gid])
        y_wt = float(expected_output(world, gid, cell_line).mean())
        y_c = float(expected_output(world, gid, cell_line, remove=own).mean())
        rows.append({"gene_id": gid, "y_wt": y_wt, "y_control": y_c, "context_effect": (y_wt - y_c) / y_wt})
    df = pd.DataFrame(rows, columns=["gene_id", "y_wt", "y_control", "context_effect"])
    df["category"] = analysis.classify_context(df.context_effect.to_numpy(np.float64), PAPER, unclassified=analysis.OTHER_CONTEXT)
    return df.set_index("gene_id")


def truth_tiles(world: World, seq_ids: pd.Series | list[str], cell_line: str) -> pd.DataFrame:
    """Noise-free answer of the necessity and sufficiency tests for every true CRE tile.

    Parameters
    ----------
    world : World
    seq_ids : iterable of str
        The tested sequences (CREME ids).
    cell_line : str

    Returns
    -------
    pandas.DataFrame
        One row per (sequence, tile holding an element active in ``cell_line``):
        ``seq_id, gene_id, cell_line, tile_index, tile_start, tile_end, true_class``
        (``Enhancer``/``Silencer``, of the tile's strongest element), ``element_ids, motif,
        channel, n_elements, elem_start, elem_end`` (window bp), ``effect_frac`` (the element's
        :func:`~creme_lib.world.truth.tile_truth` removal effect), ``true_context, true_context_effect, wt_true,
        tss_only_true``, ``necessity_true`` and ``sufficiency_true_wt`` /
        ``sufficiency_true_control`` (over WT / over the TSS-only control) and
        ``sufficiency_true`` (the pipeline's normalization: over WT in an enhancing true
        context, else over the control).
    """
    genes = map_seq_ids(world, seq_ids)
    ctx = true_contexts(world, genes.gene_id, cell_line)
    rows = []
    for g in genes.itertuples(index=False):
        tt = tile_truth(world, g.gene_id, cell_line)
        if tt.empty:
            continue
        own = tuple(world.elements.element_id[world.elements.target_gene == g.gene_id])
        y = lambda rm: float(expected_output(world, g.gene_id, cell_line, remove=rm).mean())  # noqa: E731
        y_wt, y_none = y(()), y(own)
        c = ctx.loc[g.gene_id]
        for ti, t in tt.groupby("tile_index", sort=True):
            t = t.assign(_abs=t.effect.abs()).sort_values("_abs", ascending=False)
            top = t.iloc[0]
            elems = tuple(t.element_id)
            y_rm = y(elems)
            y_keep = y(tuple(e for e in own if e not in elems))
            suff_wt = (y_keep - y_none) / y_wt
            suff_ctl = (y_keep - y_none) / y_none
            rows.append(
                dict(
                    seq_id=g.seq_id,
                    gene_id=g.gene_id,
                    cell_line=cell_line,
                    tile_index=int(ti),
                    tile_start=int(top.tile_start),
                    tile_end=int(top.tile_end),
                    true_class=str(top["class"]).capitalize(),
                    element_ids=",".join(elems),
                    motif=top.motif,
                    channel=top.channel if isinstance(top.channel, str) else None,
                    n_elements=len(elems),
                    elem_start=int(top.start),
                    elem_end=int(top.end),
                    effect_frac=float(top.effect_frac),
                    true_context=c.category,
                    true_context_effect=float(c.context_effect),
                    wt_true=y_wt,
                    tss_only_true=y_none,
                    necessity_true=(y_wt - y_rm) / y_wt,
                    sufficiency_true_wt=suff_wt,
                    sufficiency_true_control=suff_ctl,
                    sufficiency_true=suff_wt if c.category == "enhancing" else suff_ctl,
                )
            )
    cols = ["seq_id", "gene_id", "cell_line", "tile_index", "tile_start", "tile_end", "true_class", "element_ids",
            "motif", "channel", "n_elements", "elem_start", "elem_end", "effect_frac", "true_context",
            "true_context_effect", "wt_true", "tss_only_true", "necessity_true", "sufficiency_true_wt",
            "sufficiency_true_control", "sufficiency_true"]
    return pd.DataFrame(rows, columns=cols)
