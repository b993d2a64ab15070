"""Score CREME against the embedded world's ground truth (a positive control).

CREME's tables (published schema, as :mod:`creme_lib.pipeline` writes them under
``results/<model>/``) are compared with what the world's generator planted
(:mod:`creme_lib.world.truth`). Every function here is pure: tables and a
:class:`~creme_lib.world.truth.World` in, tidy :class:`pandas.DataFrame` out. Only
:func:`compute_tables` (the fallback used when no pipeline tables exist) runs a model.

Truth and "detectable"
----------------------
A 5 kb tile of a gene window is a **true enhancer (silencer)** in a cell line when it holds an
element of that class that is active in the cell line (:func:`~creme_lib.world.truth.tile_truth`).
For each such tile the noise-free answer of each test is computed from the generator's record
(:func:`~creme_lib.world.truth.expected_output`, which deletes an element's motif sites):

* necessity: ``(WT - WT without the tile's elements) / WT`` (the test's *normalized shuffle
  effect* without shuffle noise);
* sufficiency: ``(Y(TSS + tile) - Y(TSS only)) / N`` where ``Y(S)`` keeps only the elements of
  ``S`` (plus the promoter) and ``N`` is WT in an enhancing context and ``Y(TSS only)``
  otherwise (the pipeline's *Normalized CRE effect*).

CREME can only call an enhancer in an enhancing context and a silencer in a silencing one,
with the paper's threshold 0.3 (:class:`~creme_lib.analysis.Thresholds`). A true tile is
**detectable** by a test when its gene's *true* context (:func:`~creme_lib.world.truth.context_truth`)
is the one that allows its class and its noise-free test effect passes that same threshold
(``> 0.3`` for enhancers, ``< -0.3`` for silencers). Recall is reported twice: over the
detectable tiles (does CREME find what its own rule can find?) and over **all planted** tiles
of the class in the tested genes (how much of the regulatory truth does the rule reach?).
Precision counts a call as correct when its tile holds a true element of the called class,
whatever that element's effect size.

Interactions
------------
A greedy ``min`` trace is scored only when its first two selected tiles hold the two elements
of a planted pair (:func:`~creme_lib.world.truth.pair_truth`, ``planted``). The world labels a pair
by *gain* (``coop`` + ``coop`` superadditive, ``sat`` + ``sat`` subadditive, else additive);
CREME's greedy search measures *loss* (removing both vs the sum of removing each), where the
two non-additive types swap: a cooperative pair loses its product term as soon as either
element goes, so the joint removal costs less than the two single removals together
(CREME: subadditive), and a saturating, redundant pair costs more (CREME: superadditive).
:data:`CREME_LABEL` maps the world's label to the one a correct greedy search reports
(``expected``). The prediction is :func:`~creme_lib.analysis.classify_interaction` of the
trace's first ``rounds`` (default 2) rounds against its additive model, at the paper's MSE
thresholds, with ``None`` reported as ``"ambiguous"``. The noise-free trace of the pair is
classified by the same rule (``truth_by_rule``), which separates the limits of the rule from
CREME's noise.

Distance
--------
Each CRE's distance-test curve (``CRE sufficiency effect`` vs ``Binned distance (Kb)``) is
normalized to 1 at the closest distance (mean of the ``-5`` and ``+5`` kb bins) and compared
with the world's kernel ``exp(-|d| / lambda)`` at the element's true position (tile-centre
distance plus the element's offset in its tile), normalized the same way.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from creme_lib import analysis, ids, published
from creme_lib.analysis import PAPER, TILE_SIZE, Thresholds, classify_interaction, classify_tiles
from creme_lib.ids import make_seq_id, split_enf_data_id
from creme_lib.tiles import tile_grid
from creme_lib.world.mechanism import SEQ_LENGTH, TSS_BINS, distance_decay
from creme_lib.world.truth import World, context_truth, expected_output, pair_truth, tile_truth

TSS_TILE, TILES = tile_grid(SEQ_LENGTH, TILE_SIZE)

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

#: Effect column each CRE test is classified on.
EFFECT_COLUMNS: dict[str, str] = {"necessity": "Normalized shuffle effect", "sufficiency": "Normalized CRE effect"}

INTERACTION_TYPES: tuple[str, ...] = ("superadditive", "subadditive", "additive")
CONTEXT_TYPES: tuple[str, ...] = ("enhancing", "neutral", "silencing", "other")
FALLBACK_DIR = "validation_fallback"


# ------------------------------------------------------------------------------ genes


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


# ------------------------------------------------------------------------------ truth


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
            ids = tuple(t.element_id)
            y_rm = y(ids)
            y_keep = y(tuple(e for e in own if e not in ids))
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
                    element_ids=",".join(ids),
                    motif=top.motif,
                    channel=top.channel if isinstance(top.channel, str) else None,
                    n_elements=len(ids),
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


def detectable(truth: pd.DataFrame, test: str, thresholds: Thresholds = PAPER) -> np.ndarray:
    """Which true tiles a test's own rule could call, given the noise-free effect.

    An enhancer is detectable in a gene whose true context is enhancing and whose
    noise-free test effect is ``> threshold``; a silencer in a silencing true context with
    effect ``< -threshold`` (threshold: ``thresholds.necessity`` or ``.sufficiency``).

    Returns
    -------
    numpy.ndarray
        Boolean, one per row of ``truth``.
    """
    thr, col = _test_threshold(test, thresholds), f"{test}_true"
    eff = truth[col].to_numpy(np.float64)
    ctx = truth["true_context"].to_numpy()
    cls = truth["true_class"].to_numpy()
    enh = (cls == "Enhancer") & (ctx == "enhancing") & (eff > thr)
    sil = (cls == "Silencer") & (ctx == "silencing") & (eff < -thr)
    return enh | sil


def _test_threshold(test: str, thresholds: Thresholds) -> float:
    if test not in EFFECT_COLUMNS:
        raise ValueError(f"test must be one of {list(EFFECT_COLUMNS)}, got {test!r}")
    return float(getattr(thresholds, test))


# ------------------------------------------------------------------- CRE calls


def test_effect(table: pd.DataFrame, test: str) -> np.ndarray:
    """The effect a test's tiles are classified on.

    Necessity: ``Normalized shuffle effect``. Sufficiency: ``Normalized CRE effect`` if the
    table has it, else ``(MUT - CONTROL) / WT`` in enhancing contexts and ``(MUT - CONTROL) /
    CONTROL`` elsewhere (the pipeline's rule, as the published ``sufficient_CREs.csv``).
    """
    col = EFFECT_COLUMNS[test]
    if col in table.columns:
        return table[col].to_numpy(np.float64)
    if test == "sufficiency":
        enh = table["context"].to_numpy() == "enhancing"
        return np.where(enh, table["(MUT - CONTROL) / WT"], table["(MUT - CONTROL) / CONTROL"]).astype(np.float64)
    raise KeyError(f"{test} table has no column {col!r}")


def score_cre_calls(
    table: pd.DataFrame, truth: pd.DataFrame, test: str, thresholds: Thresholds = PAPER
) -> pd.DataFrame:
    """Compare the tiles a necessity or sufficiency table calls with the true CRE tiles.

    Parameters
    ----------
    table : pandas.DataFrame
        ``necessity_test.csv`` or ``sufficiency_test.csv`` rows (``seq_id, tile_start,
        tile_end, context, cell_line`` and the effect columns).
    truth : pandas.DataFrame
        :func:`truth_tiles` of the same sequences and cell line(s).
    test : {"necessity", "sufficiency"}
    thresholds : Thresholds
        Classification thresholds (paper: 0.3).

    Returns
    -------
    pandas.DataFrame
        One row per tested tile that is called or true: ``cell_line, test, seq_id,
        tile_start, tile_end, context`` (CREME's), ``effect`` (observed), ``called_class``,
        ``true_class``, ``true_effect`` (noise-free), ``detectable``, ``true_context``,
        ``channel``, and ``outcome``: ``TP`` (called the true class), ``FP`` (called a tile
        without an element of that class), ``FN`` (a detectable tile missed),
        ``missed (below threshold)`` (a true tile that is not detectable and not called) or
        ``missed (context)`` (true tile of a gene whose true context does not allow its
        class, not called).
    """
    thr = _test_threshold(test, thresholds)
    t = table.copy()
    t["effect"] = test_effect(t, test)
    t["called_class"] = classify_tiles(t["effect"].to_numpy(), t["context"].to_numpy(object), thr)
    keys = ["cell_line", "seq_id", "tile_start", "tile_end"]
    tr = truth.assign(detectable=detectable(truth, test, thresholds), true_effect=truth[f"{test}_true"])
    tr = tr[keys + ["true_class", "true_effect", "detectable", "true_context", "channel"]]
    tested = t[keys].drop_duplicates()
    tr = tr.merge(tested, on=keys, how="inner")  # only tiles that were tested
    m = t[keys + ["context", "effect", "called_class"]].merge(tr, on=keys, how="outer")
    m = m[m["called_class"].notna() | m["true_class"].notna()].copy()
    m["detectable"] = m["detectable"].astype("boolean").fillna(False).astype(bool)
    called, true = m["called_class"], m["true_class"]
    allowed = np.where(true == "Enhancer", "enhancing", "silencing")
    outcome = np.select(
        [
            called.notna() & (called == true),
            called.notna(),
            m["detectable"],
            true.notna() & (m["true_context"] != allowed),
        ],
        ["TP", "FP", "FN", "missed (context)"],
        default="missed (below threshold)",
    )
    m["outcome"] = outcome
    m.insert(1, "test", test)
    cols = ["cell_line", "test", "seq_id", "tile_start", "tile_end", "context", "effect", "called_class", "true_class",
            "true_effect", "detectable", "true_context", "channel", "outcome"]
    return m[cols].sort_values(["cell_line", "seq_id", "tile_start"]).reset_index(drop=True)


def precision_recall(calls: pd.DataFrame) -> pd.DataFrame:
    """Precision and recall per cell line, test and class from :func:`score_cre_calls` rows.

    Returns
    -------
    pandas.DataFrame
        ``cell_line, test, class, n_called, n_correct, precision`` (correct / called),
        ``n_detectable, n_detectable_found, recall`` (over detectable tiles),
        ``n_planted, n_planted_found, recall_planted`` (over every true tile of the class
        in the tested sequences). A ratio with an empty denominator is NaN.
    """
    rows = []
    for (line, test), g in calls.groupby(["cell_line", "test"], sort=True):
        for cls in ("Enhancer", "Silencer"):
            called = g[g.called_class == cls]
            true = g[g.true_class == cls]
            det = true[true.detectable]
            n_ok = int((called.true_class == cls).sum())
            rows.append(
                {
                    "cell_line": line,
                    "test": test,
                    "class": cls,
                    "n_called": len(called),
                    "n_correct": n_ok,
                    "precision": n_ok / len(called) if len(called) else np.nan,
                    "n_detectable": len(det),
                    "n_detectable_found": int((det.called_class == cls).sum()),
                    "recall": float((det.called_class == cls).mean()) if len(det) else np.nan,
                    "n_planted": len(true),
                    "n_planted_found": int((true.called_class == cls).sum()),
                    "recall_planted": float((true.called_class == cls).mean()) if len(true) else np.nan,
                }
            )
    cols = ["cell_line", "test", "class", "n_called", "n_correct", "precision", "n_detectable", "n_detectable_found",
            "recall", "n_planted", "n_planted_found", "recall_planted"]
    return pd.DataFrame(rows, columns=cols)


def target_met(summary: pd.DataFrame, minimum: float = 0.8, test: str = "sufficiency", cls: str = "Enhancer") -> pd.DataFrame:
    """Is precision and recall (over detectable tiles) at least ``minimum`` per cell line?

    Returns
    -------
    pandas.DataFrame
        ``cell_line, precision, recall, recall_planted, met`` for ``test`` and ``cls``
        (``met`` is False when a value is NaN: nothing called or nothing detectable).
    """
    s = summary[(summary.test == test) & (summary["class"] == cls)]
    out = s[["cell_line", "precision", "recall", "recall_planted"]].copy()
    out["met"] = (out.precision >= minimum) & (out.recall >= minimum)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------- interactions

#: The world's pair types are defined on *gain* (the drive of both elements together vs the
#: sum of each alone, :func:`~creme_lib.world.truth.expected_pair_type`); CREME's greedy ``min``
#: search measures *loss* (removing both vs the sum of removing each). A cooperative pair
#: loses its product term as soon as either element goes, so each removal alone already
#: costs a lot and the joint removal costs *less* than their sum: the greedy trace lies above
#: the additive model, which CREME calls subadditive. A saturating (redundant) pair is the
#: mirror image. This maps the world's label to the label a correct greedy search reports.
CREME_LABEL: dict[str, str] = {
    "superadditive": "subadditive",
    "subadditive": "superadditive",
    "additive": "additive",
}


def _pair_trace(p: pd.Series, first_is_a: bool) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free greedy fold-change trace and additive model of a pair (0, 1, 2 removed)."""
    y1 = p.y_minus_a if first_is_a else p.y_minus_b
    fc = np.array([1.0, y1 / p.y_wt, p.y_minus_ab / p.y_wt])
    add = np.array([1.0, y1 / p.y_wt, (p.y_minus_a + p.y_minus_b - p.y_wt) / p.y_wt])
    return fc, add


def score_interactions(
    traces: pd.DataFrame | None,
    world: World,
    thresholds: Thresholds = PAPER,
    rounds: int = 2,
    planted_only: bool = True,
) -> pd.DataFrame:
    """Interaction type of greedy ``min`` traces whose top two tiles are a planted pair.

    Parameters
    ----------
    traces : pandas.DataFrame
        ``greedy_search/min_traces.csv``: ``seq_id, cell_line, N tiles, greedy`` (fold change
        over WT), ``additive`` (fold change of the additive model), ``tile_start``.
    world : World
    thresholds : Thresholds
        MSE thresholds (paper: superadditive / subadditive > 0.1, additive < 0.05).
    rounds : int
        Rounds of the trace classified (2: exactly the pair; the paper used all 10).
    planted_only : bool
        Score only pairs the generator planted as partners; ``False`` also scores two
        true enhancers that were not planted together (their type follows from their
        channels all the same).

    Returns
    -------
    pandas.DataFrame
        One row per trace: ``cell_line, seq_id, tile_1, tile_2`` (tile indices of the first
        two selected tiles), ``true_pair`` (both hold true enhancers), ``planted``,
        ``scored``, ``reason`` (why not scored), ``element_a, element_b``, ``true_type``
        (the world's, gain frame), ``expected`` (:data:`CREME_LABEL` of it: what a correct
        greedy search reports), ``true_deviation`` (noise-free trace minus additive model at
        round 2, ``interaction / WT``), ``truth_by_rule`` (the noise-free trace classified by
        the same rule), ``deviation`` (CREME's), ``mse``, ``predicted`` (``ambiguous`` for
        None) and ``correct`` (``predicted == expected``).
    """
    cols = ["cell_line", "seq_id", "tile_1", "tile_2", "true_pair", "planted", "scored", "reason", "element_a",
            "element_b", "true_type", "expected", "true_deviation", "truth_by_rule", "deviation", "mse", "predicted",
            "correct"]
    if traces is None or traces.empty:
        return pd.DataFrame(columns=cols)
    rounds = int(rounds)
    if rounds < 2:
        raise ValueError(f"rounds must be >= 2 to classify a pair, got {rounds}")
    traces = _with_cell_line(traces)
    rows = []
    genes = map_seq_ids(world, traces.seq_id).set_index("seq_id")
    for (line, sid), g in traces.groupby(["cell_line", "seq_id"], sort=True):
        g = g.sort_values("N tiles")
        fc, add = g["greedy"].to_numpy(np.float64), g["additive"].to_numpy(np.float64)
        sel = tile_index_of(g["tile_start"].to_numpy()[1:3])
        row: dict[str, Any] = dict(cell_line=line, seq_id=sid, tile_1=int(sel[0]) if len(sel) > 0 else -1,
                                   tile_2=int(sel[1]) if len(sel) > 1 else -1, true_pair=False, planted=False,
                                   scored=False, reason="")
        if len(fc) < 3:
            row["reason"] = "fewer than 2 rounds"
            rows.append(row)
            continue
        r = min(rounds, len(fc) - 1)
        pred = classify_interaction(fc[: r + 1], add[: r + 1], thresholds, "min")
        row.update(deviation=float(fc[2] - add[2]), mse=float(np.mean((fc[1 : r + 1] - add[1 : r + 1]) ** 2)),
                   predicted=pred or "ambiguous")
        pt = pair_truth(world, genes.loc[sid, "gene_id"], line)
        hit = pt[((pt.tile_a == sel[0]) & (pt.tile_b == sel[1])) | ((pt.tile_a == sel[1]) & (pt.tile_b == sel[0]))]
        if hit.empty:
            row["reason"] = "top-2 tiles are not two true enhancers"
            rows.append(row)
            continue
        p = hit.iloc[0]
        tfc, tadd = _pair_trace(p, int(p.tile_a) == int(sel[0]))
        expected = CREME_LABEL[p.pair_type]
        row.update(true_pair=True, planted=bool(p.planted), element_a=p.element_a, element_b=p.element_b,
                   true_type=p.pair_type, expected=expected, true_deviation=float(tfc[2] - tadd[2]),
                   truth_by_rule=classify_interaction(tfc, tadd, thresholds, "min") or "ambiguous",
                   correct=row["predicted"] == expected)
        if planted_only and not p.planted:
            row["reason"] = "top-2 tiles are true enhancers but not a planted pair"
        else:
            row["scored"] = True
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in cols:
        if c not in out.columns:
            out[c] = np.nan
    return out[cols]


def interaction_confusion(scored: pd.DataFrame, column: str = "predicted") -> pd.DataFrame:
    """Confusion matrix of scored traces: expected label (rows) x ``column`` (counts).

    Rows are the labels a correct greedy search reports (:data:`CREME_LABEL` of the world's
    type); columns add ``ambiguous`` (MSE between the additive and the interaction
    thresholds).
    """
    s = scored[scored.scored.astype(bool)]
    labels = list(INTERACTION_TYPES) + ["ambiguous"]
    cm = pd.crosstab(pd.Categorical(s.expected, INTERACTION_TYPES), pd.Categorical(s[column], labels), dropna=False)
    cm.index.name, cm.columns.name = "expected (CREME frame)", column
    return cm


def interaction_summary(scored: pd.DataFrame) -> pd.DataFrame:
    """Per cell line: traces, scored traces, accuracy of CREME and of the rule on the truth.

    ``accuracy``: ``predicted == expected`` over scored traces; ``rule_accuracy_on_truth``:
    the same rule applied to the noise-free pair trace; ``agreement_with_rule_on_truth``:
    CREME vs that noise-free classification (1 = every error comes from the rule, not
    from noise); ``n_true_pair`` / ``accuracy_any_pair``: the same over traces whose top two
    tiles are any two true enhancers.
    """
    rows = []
    for line, g in scored.groupby("cell_line", sort=True):
        s = g[g.scored.astype(bool)]
        a = g[g.true_pair.astype(bool)]
        rows.append({
            "cell_line": line,
            "n_traces": len(g),
            "n_scored": len(s),
            "accuracy": float((s.predicted == s.expected).mean()) if len(s) else np.nan,
            "rule_accuracy_on_truth": float((s.truth_by_rule == s.expected).mean()) if len(s) else np.nan,
            "agreement_with_rule_on_truth": float((s.predicted == s.truth_by_rule).mean()) if len(s) else np.nan,
            "n_true_pair": len(a),
            "accuracy_any_pair": float((a.predicted == a.expected).mean()) if len(a) else np.nan,
        })
    return pd.DataFrame(rows, columns=["cell_line", "n_traces", "n_scored", "accuracy", "rule_accuracy_on_truth",
                                       "agreement_with_rule_on_truth", "n_true_pair", "accuracy_any_pair"])


def pair_visibility(world: World, cell_line: str, thresholds: Thresholds = PAPER) -> pd.DataFrame:
    """Which planted pairs a noise-free two-round greedy ``min`` search would pick (truth only).

    For every gene with a planted pair of enhancers active in ``cell_line``: the greedy
    search on the record (remove the element whose removal lowers the output most, then the
    best second one given the first), whether it picks the planted pair, and how the paper's
    rule classifies the pair's noise-free trace.

    Returns
    -------
    pandas.DataFrame
        ``cell_line, gene_id, seq_id, true_context, element_a, element_b, true_type, expected,
        true_deviation, truth_by_rule, visible`` (the pair is the greedy search's top two).
    """
    e = world.elements
    active = e.cell_lines.str.split(",").apply(lambda ls: cell_line in ls)
    gids = sorted(e.target_gene[e.pair_type.notna() & active & (e["class"] == "enhancer")].unique())
    ct = true_contexts(world, gids, cell_line)
    rows = []
    for gid in gids:
        pt = pair_truth(world, gid, cell_line)
        planted = pt[pt.planted.astype(bool)]
        if planted.empty:
            continue
        act = tile_truth(world, gid, cell_line)
        enh = act[act["class"] == "enhancer"].element_id.tolist()
        y = lambda rm: float(expected_output(world, gid, cell_line, remove=rm).mean())  # noqa: E731
        first = min(enh, key=lambda x: (y((x,)), x))
        second = min([x for x in enh if x != first], key=lambda x: (y((first, x)), x))
        for p in planted.itertuples(index=False):
            fc, add = _pair_trace(pd.Series(p._asdict()), p.element_a == first)
            rows.append({
                "cell_line": cell_line, "gene_id": gid, "seq_id": seq_id_of(world, gid),
                "true_context": ct.loc[gid, "category"], "element_a": p.element_a, "element_b": p.element_b,
                "true_type": p.pair_type, "expected": CREME_LABEL[p.pair_type], "true_deviation": float(fc[2] - add[2]),
                "truth_by_rule": classify_interaction(fc, add, thresholds, "min") or "ambiguous",
                "visible": {first, second} == {p.element_a, p.element_b},
            })
    cols = ["cell_line", "gene_id", "seq_id", "true_context", "element_a", "element_b", "true_type", "expected",
            "true_deviation", "truth_by_rule", "visible"]
    return pd.DataFrame(rows, columns=cols)


# -------------------------------------------------------------------- distance


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
    ids = d["enf_data_id"] if "enf_data_id" in d.columns else d["seq_id"]
    parsed = [split_enf_data_id(x) for x in ids]
    d = d.assign(_sid=[p[0] for p in parsed], _ts=[p[1] for p in parsed], _te=[p[2] for p in parsed], _cre=ids.to_numpy())
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


# --------------------------------------------------------------------- contexts


def score_contexts(context: pd.DataFrame, world: World) -> pd.DataFrame:
    """CREME's context categories (``context_dependence_test.csv``) vs :func:`~creme_lib.world.truth.context_truth`.

    Returns
    -------
    pandas.DataFrame
        ``cell_line, seq_id, gene_id, delta_mean, context`` (CREME; unclassified as
        ``other``), ``true_effect, true_context, agree``.
    """
    cols = ["cell_line", "seq_id", "gene_id", "delta_mean", "context", "true_effect", "true_context", "agree"]
    if context is None or context.empty:
        return pd.DataFrame(columns=cols)
    c = _with_cell_line(context)
    genes = map_seq_ids(world, c.seq_id)
    parts = []
    for line, g in c.groupby("cell_line", sort=True):
        ids = genes.set_index("seq_id").loc[g.seq_id, "gene_id"]
        tr = true_contexts(world, ids, line).reset_index()[["gene_id", "context_effect", "category"]]
        g = g.merge(genes[["seq_id", "gene_id"]], on="seq_id", how="left").merge(tr, on="gene_id", how="left")
        parts.append(g)
    m = pd.concat(parts, ignore_index=True)
    m["context"] = m["context"].fillna("other").replace({"None": "other"})
    m = m.rename(columns={"context_effect": "true_effect", "category": "true_context"})
    m["agree"] = m["context"] == m["true_context"]
    return m[cols].sort_values(["cell_line", "seq_id"]).reset_index(drop=True)


def context_confusion(scored: pd.DataFrame) -> pd.DataFrame:
    """True context (rows) x CREME's context (columns), counts."""
    cm = pd.crosstab(pd.Categorical(scored.true_context, CONTEXT_TYPES), pd.Categorical(scored.context, CONTEXT_TYPES),
                     dropna=False)
    cm.index.name, cm.columns.name = "true context", "CREME context"
    return cm


def context_summary(scored: pd.DataFrame) -> pd.DataFrame:
    """Per cell line: genes, accuracy of the category, Pearson r of ``delta_mean`` vs the truth."""
    rows = []
    for line, g in scored.groupby("cell_line", sort=True):
        x, y = g.delta_mean.to_numpy(np.float64), g.true_effect.to_numpy(np.float64)
        ok = np.isfinite(x) & np.isfinite(y)
        r = float(np.corrcoef(x[ok], y[ok])[0, 1]) if ok.sum() > 2 and np.std(x[ok]) > 0 and np.std(y[ok]) > 0 else np.nan
        rows.append({"cell_line": line, "n_genes": len(g), "accuracy": float(g.agree.mean()), "pearson_r": r,
                     "max_abs_error": float(np.nanmax(np.abs(x - y))) if ok.any() else np.nan})
    return pd.DataFrame(rows, columns=["cell_line", "n_genes", "accuracy", "pearson_r", "max_abs_error"])


# ---------------------------------------------------------------------- report


@dataclass
class ValidationReport:
    """Every score of :func:`validate` (tidy tables; empty when an input table was missing)."""

    cre_calls: pd.DataFrame
    cre_summary: pd.DataFrame
    target: pd.DataFrame
    interactions: pd.DataFrame
    interaction_confusion: pd.DataFrame
    interaction_summary: pd.DataFrame
    pair_visibility: pd.DataFrame
    distance_curves: pd.DataFrame
    distance_summary: pd.DataFrame
    contexts: pd.DataFrame
    context_confusion: pd.DataFrame
    context_summary: pd.DataFrame
    truth: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    interaction_rounds: int = 2


def validate(
    world: World,
    tables: dict[str, pd.DataFrame | None],
    cell_lines: list[str] | tuple[str, ...] | None = None,
    thresholds: Thresholds = PAPER,
    interaction_rounds: int = 2,
) -> ValidationReport:
    """Run every scorer on a set of CREME tables (see :func:`load_tables`).

    Parameters
    ----------
    world : World
    tables : dict
        Keys of :data:`TABLES` -> table or ``None`` (missing tables are noted and skipped).
    cell_lines : sequence of str, optional
        Restrict to these cell lines (default: those in the tables).
    thresholds : Thresholds
    interaction_rounds : int
        Rounds of the greedy trace classified (:func:`score_interactions`).
    """
    notes: list[str] = []
    tabs = {k: (None if v is None else _with_cell_line(v)) for k, v in tables.items()}
    if cell_lines is not None:
        tabs = {k: (None if v is None else v[v.cell_line.isin(list(cell_lines))]) for k, v in tabs.items()}
    for k in TABLES:
        if tabs.get(k) is None or tabs[k].empty:
            notes.append(f"table {TABLES[k]} is missing or empty: its scores are skipped")
    calls, truth = [], []
    seqs = pd.concat([tabs[k][["cell_line", "seq_id"]] for k in CORE_TABLES if tabs.get(k) is not None and len(tabs[k])]
                     or [pd.DataFrame(columns=["cell_line", "seq_id"])]).drop_duplicates()
    for line, g in seqs.groupby("cell_line", sort=True):
        truth.append(truth_tiles(world, g.seq_id.tolist(), line))
    truth_df = pd.concat(truth, ignore_index=True) if truth else truth_tiles(world, [], world.cell_lines[0])
    for test in CORE_TABLES:
        t = tabs.get(test)
        if t is not None and len(t):
            calls.append(score_cre_calls(t, truth_df, test, thresholds))
    calls_df = pd.concat(calls, ignore_index=True) if calls else pd.DataFrame(
        columns=["cell_line", "test", "seq_id", "tile_start", "tile_end", "called_class", "true_class", "detectable", "outcome"])
    summary = precision_recall(calls_df)
    inter = score_interactions(tabs.get("greedy_min"), world, thresholds, interaction_rounds)
    lines = sorted(seqs.cell_line.unique()) if cell_lines is None else list(cell_lines)
    vis = [pair_visibility(world, line, thresholds) for line in lines if line in world.cell_lines]
    vis_df = pd.concat(vis, ignore_index=True) if vis else pair_visibility(world, world.cell_lines[0]).iloc[:0]
    curves, dist = score_distance(tabs.get("distance"), world)
    ctx = score_contexts(tabs.get("context"), world)
    return ValidationReport(
        cre_calls=calls_df,
        cre_summary=summary,
        target=target_met(summary),
        interactions=inter,
        interaction_confusion=interaction_confusion(inter),
        interaction_summary=interaction_summary(inter),
        pair_visibility=vis_df,
        distance_curves=curves,
        distance_summary=dist,
        contexts=ctx,
        context_confusion=context_confusion(ctx),
        context_summary=context_summary(ctx),
        truth=truth_df,
        notes=notes,
        interaction_rounds=int(interaction_rounds),
    )


def _fmt(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.2f}"


def findings(report: ValidationReport, minimum: float = 0.8, thresholds: Thresholds = PAPER) -> list[str]:
    """Plain-language findings of a report (markdown bullets' text), failures included.

    States, per cell line, whether sufficiency-called enhancers reach ``minimum`` precision
    and recall, and explains every kind of miss the scores show: tiles below the threshold
    (by channel), true elements in a context that does not allow their class, detectable
    tiles missed, false calls, interaction errors that the paper's rule also makes on the
    noise-free trace, pairs a short greedy search cannot see, and the distance fit.
    """
    out: list[str] = []
    for r in report.target.itertuples(index=False):
        s = report.cre_summary
        row = s[(s.cell_line == r.cell_line) & (s.test == "sufficiency") & (s["class"] == "Enhancer")].iloc[0]
        verdict = "**target met**" if r.met else "**target not met**"
        why = ""
        if not r.met:
            if row.n_called == 0 or row.n_detectable == 0:
                why = " (nothing was called or nothing was detectable in the tested genes, so the target cannot be assessed)"
            else:
                why = f" ({int(row.n_called - row.n_correct)} false calls, {int(row.n_detectable - row.n_detectable_found)} detectable tiles missed)"
        out.append(
            f"{r.cell_line}: sufficiency-called enhancers have precision {_fmt(r.precision)} "
            f"({int(row.n_correct)}/{int(row.n_called)}) and recall {_fmt(r.recall)} over the "
            f"{int(row.n_detectable)} detectable tiles ({_fmt(r.recall_planted)} over all {int(row.n_planted)} planted "
            f"enhancer tiles): {verdict} (>= {minimum:.1f}){why}."
        )
    c = report.cre_calls
    if len(c):
        for test in ("necessity", "sufficiency"):
            below = c[(c.test == test) & (c.outcome == "missed (below threshold)")]
            if len(below):
                by = below.assign(channel=below.channel.fillna("silencer")).groupby("channel").size()
                parts = ", ".join(f"{n} {ch}" for ch, n in by.items())
                thr = getattr(thresholds, test)
                extra = ""
                if test == "sufficiency" and "coop" in by.index:
                    extra = (" A cooperative enhancer alone in a shuffled background lacks its partner's product term,"
                             " so its sufficiency effect is smaller than what removing it costs in the wild type.")
                if "sat" in by.index:
                    extra += (" A saturating enhancer shares a ceiling with the gene's other saturating elements,"
                              " so removing it alone costs little.")
                out.append(
                    f"{test.capitalize()} test: {len(below)} planted tiles are true but weaker than the paper's "
                    f"threshold {thr} in this test ({parts}); CREME reports them below threshold, as its rule demands, "
                    f"so they lower the recall over planted tiles, not over detectable ones.{extra}"
                )
            ctx = c[(c.test == test) & (c.outcome == "missed (context)")]
            if len(ctx):
                out.append(
                    f"{test.capitalize()} test: {len(ctx)} true tiles sit in genes whose true context does not allow "
                    f"their class (e.g. a silencer in an enhancing gene); the paper's rule only calls enhancers in "
                    f"enhancing and silencers in silencing contexts, so these are never called."
                )
            fn = c[(c.test == test) & (c.outcome == "FN")]
            if len(fn):
                lst = "; ".join(f"{x.seq_id} tile {int(x.tile_start)} ({x.true_class}, true {x.true_effect:+.2f}, "
                                f"observed {x.effect:+.2f}, context {x.context})" for x in fn.head(5).itertuples())
                out.append(f"{test.capitalize()} test: CREME missed {len(fn)} detectable tiles: {lst}.")
            fp = c[(c.test == test) & (c.outcome == "FP")]
            if len(fp):
                lst = "; ".join(f"{x.seq_id} tile {int(x.tile_start)} (called {x.called_class}, effect {x.effect:+.2f}, "
                                f"truth {x.true_class if isinstance(x.true_class, str) else 'no element'})"
                                for x in fp.head(5).itertuples())
                out.append(f"{test.capitalize()} test: {len(fp)} false calls: {lst}.")
    it = report.interactions
    sc = it[it.scored.astype(bool)] if len(it) else it
    if len(it) and len(sc):
        out.append(
            f"Interactions: {len(sc)} of {len(it)} greedy traces have a planted pair as their top two tiles; "
            f"{int((sc.predicted == sc.expected).sum())} of them are classified as expected "
            "(world label mapped to CREME's removal frame: a cooperative pair reads subadditive, a saturating one "
            "superadditive)."
        )
    elif len(it):
        tp = it[it.true_pair.astype(bool)]
        out.append(
            f"Interactions: none of the {len(it)} greedy traces has a planted pair as its top two tiles, so the "
            f"classification of planted pairs is not scored on these tables; {len(tp)} traces start with two true "
            f"enhancers that were not planted together, {int((tp.predicted == tp.expected).sum())} of them "
            "classified as their channels imply."
        )
    wrong = sc[sc.predicted != sc.expected] if len(sc) else sc
    if len(wrong):
        rule = int((wrong.predicted == wrong.truth_by_rule).sum())
        kinds = ", ".join(f"{n} read {k}" for k, n in wrong.predicted.value_counts().sort_index().items())
        msg = (
            f"Interactions: {len(wrong)} planted pairs are misclassified ({kinds}); {rule} of them the same way on "
            "the noise-free trace"
        )
        if rule and report.interaction_rounds == 2:
            msg += (
                f": the paper's MSE thresholds ({thresholds.superadditive} / {thresholds.additive} on fold changes) "
                f"need a gap above {np.sqrt(2 * thresholds.superadditive):.2f} (below "
                f"{np.sqrt(2 * thresholds.additive):.2f} for additive) between a two-round trace and its additive "
                "model, larger than most planted interactions, so they read additive or ambiguous: a limit of the "
                "rule, not noise"
            )
        elif rule:
            msg += f": a limit of the paper's MSE rule on {report.interaction_rounds} rounds, not noise"
        if rule < len(wrong):
            msg += (
                f". The other {len(wrong) - rule} differ from the noise-free classification: shuffle noise in the "
                "trace (or a shuffle that created or broke motif sites)"
            )
        out.append(msg + ".")
    v = report.pair_visibility
    if len(v):
        for t in INTERACTION_TYPES:
            vt = v[v.true_type == t]
            if len(vt):
                out.append(
                    f"Across the world's planted {t} pairs (world label), {int(vt.visible.sum())} of {len(vt)} are the "
                    f"top two tiles of a noise-free two-round greedy search, and the paper's rule labels "
                    f"{int((vt.truth_by_rule == vt.expected).sum())} of {len(vt)} noise-free pair traces as expected."
                )
    ds = report.distance_summary
    for r in ds.to_dict("records"):
        out.append(
            f"Distance ({r['cell_line']}, {r['tile class']}, channel {r['channel']}, {r['n_cres']} CREs): recovered "
            f"vs true decay Pearson r {_fmt(r['pearson_r'])}, RMSE {_fmt(r['rmse'])} (normalized to 1 at the closest "
            f"distance); fitted decay length {_fmt(r['lambda_fit_kb'])} kb vs the true {_fmt(r['lambda_true_kb'])} kb; "
            f"RMSE {_fmt(r['rmse_model'])} against the model's own noise-free answer to the test"
            + (" (a saturating enhancer's curve is flatter than the kernel)." if r["channel"] == "sat" else
               " (a silencer acts multiplicatively, exp(-q K(d)) - 1 over the control, which is bounded by -1, so a "
               "strong silencer's normalized curve is flatter than the kernel)." if r["tile class"] == "Silencer" else ".")
        )
    for r in report.context_summary.itertuples(index=False):
        out.append(f"Context ({r.cell_line}): {r.n_genes} genes, category accuracy {_fmt(r.accuracy)}, "
                   f"Pearson r of the context effect with the truth {_fmt(r.pearson_r)}.")
    out += report.notes
    return out


# ------------------------------------------------------------------- loading


def _with_cell_line(df: pd.DataFrame) -> pd.DataFrame:
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


# ------------------------------------------------------------------ fallback


def select_genes(world: World, cell_line: str, n_genes: int, seed: int = 0) -> pd.DataFrame:
    """The fallback's sample: about two thirds enhancing and one third silencing genes (truth).

    Enhancing genes come in this order: those whose planted pair a two-round greedy search
    would pick (:func:`pair_visibility`), cycling over the pair types so the interaction
    score sees each type that is visible at all; then the other genes with a planted pair;
    then the rest, each group in a seeded random order. The choice uses the truth only to
    decide *which* genes to test; every score still comes from CREME's tables.

    Returns
    -------
    pandas.DataFrame
        ``gene_id, seq_id, true_context, pair_type`` (of the planted pair, or None),
        ``pair_visible``.
    """
    from creme_lib.seeding import derive_rng

    if n_genes < 1:
        raise ValueError(f"n_genes must be >= 1, got {n_genes}")
    ct = context_truth(world, cell_line).set_index("gene_id")
    rng = derive_rng(seed, "validation", cell_line)
    vis = pair_visibility(world, cell_line)
    pair_of = vis.groupby("gene_id").true_type.first().to_dict()
    visible = set(vis.gene_id[vis.visible])
    enh = list(ct.index[ct.category == "enhancing"])
    sil = list(ct.index[ct.category == "silencing"])
    enh = [enh[i] for i in rng.permutation(len(enh))]
    sil = [sil[i] for i in rng.permutation(len(sil))]
    n_sil = min(len(sil), n_genes // 3)
    n_enh = min(len(enh), n_genes - n_sil)
    by_type = {t: [g for g in enh if g in visible and pair_of.get(g) == t] for t in INTERACTION_TYPES}
    chosen: list[str] = []
    while len(chosen) < n_enh and any(by_type.values()):
        for t in INTERACTION_TYPES:
            if by_type[t] and len(chosen) < n_enh:
                chosen.append(by_type[t].pop(0))
    rest = [g for g in enh if g not in chosen]
    rest = [g for g in rest if g in pair_of] + [g for g in rest if g not in pair_of]
    chosen += rest[: n_enh - len(chosen)]
    chosen += sil[:n_sil]
    return pd.DataFrame({
        "gene_id": chosen,
        "seq_id": [seq_id_of(world, g) for g in chosen],
        "true_context": [ct.loc[g, "category"] for g in chosen],
        "pair_type": [pair_of.get(g) for g in chosen],
        "pair_visible": [g in visible for g in chosen],
    })


def compute_tables(
    world: World,
    cell_line: str,
    n_genes: int = 6,
    n_shuffles: int = 2,
    seed: int = 0,
    out_dir: str | os.PathLike | None = None,
    n_greedy_rounds: int = 2,
    max_distance_cres: int = 2,
    batch_size: int = 8,
    thresholds: Thresholds = PAPER,
) -> dict[str, pd.DataFrame]:
    """Run CREME directly on a small sample when no pipeline tables exist (the fallback).

    On :func:`select_genes`' sample, with the world's :class:`SyntheticModel`: the context
    dependence test (``max(n_shuffles, 2)`` shuffles; its category is each sequence's
    ``context``, as in the pipeline), the necessity and sufficiency tests on the 38 tiles,
    a greedy ``min`` search of ``n_greedy_rounds`` rounds on the enhancing genes (by truth),
    and the distance test of the ``max_distance_cres`` strongest sufficient enhancers
    (every tile position). About ``6 x 400`` sequences for 6 genes and 2 shuffles: under two
    minutes on two CPU cores.

    Parameters
    ----------
    out_dir : path, optional
        Write the tables as ``out_dir/<cell_line>/<table>.csv`` (the pipeline's layout)
        plus ``out_dir/<cell_line>/validation_fallback.json`` (what was run).

    Returns
    -------
    dict
        Keys of :data:`TABLES` -> tables in the published schema.
    """
    from creme_lib.experiments import (
        context_dependence_test,
        distance_test,
        higher_order_interaction_test,
        necessity_test,
        sufficiency_test,
    )
    from creme_lib.inference import Engine
    from creme_lib.world.model import SyntheticModel

    if cell_line not in world.cell_lines:
        raise ValueError(f"cell line {cell_line!r} is not in the world ({', '.join(world.cell_lines)})")
    sample = select_genes(world, cell_line, n_genes, seed)
    model = SyntheticModel(bins=list(TSS_BINS), tracks=[cell_line], mechanism=world.mechanism, batch_size=batch_size)
    ctx_rows, nec, suf, greedy, wins, engines = [], [], [], [], {}, {}
    for r in sample.itertuples(index=False):
        sid = r.seq_id
        engine = Engine(model, batch_size=batch_size, seed=seed, progress=False)
        x = world.window(r.gene_id)
        wins[sid], engines[sid] = x, engine
        cd = context_dependence_test(engine, x, TSS_TILE, max(int(n_shuffles), 2), name=sid)
        eff = float(cd.effect[0])
        ctx = str(analysis.classify_context(eff, thresholds, unclassified="other"))
        ctx_rows.append({"delta_mean": eff, "path": "validation_fallback", "wt": float(cd.wt[0]),
                         "std": float(cd.std_mut[0]), "mean_mut": float(cd.mean_mut[0]), "seq_id": sid,
                         "context": ctx, "cell_line": cell_line})
        n = necessity_test(engine, x, TILES, n_shuffles, name=sid).to_frame().drop(columns="track")
        nec.append(n.assign(context=ctx, cell_line=cell_line))
        s = sufficiency_test(engine, x, TSS_TILE, TILES, n_shuffles, name=sid).to_frame().drop(columns="track")
        s = s.assign(context=ctx, cell_line=cell_line)
        s["Normalized CRE effect"] = analysis.normalized_cre_effect(s)
        suf.append(s)
        if r.true_context == "enhancing":
            res = higher_order_interaction_test(engine, x, TILES, "min", n_greedy_rounds, n_shuffles, name=sid)
            df = res.to_frame()
            greedy.append(df.assign(single=np.concatenate([[res.wt], res.single_effects]), context=ctx, cell_line=cell_line))
    context = pd.DataFrame(ctx_rows)
    necessity = pd.concat(nec, ignore_index=True)
    necessity = necessity[["Normalized shuffle effect", "seq_id", "tile_start", "tile_end", "context", "cell_line"]]
    sufficiency = pd.concat(suf, ignore_index=True)[
        ["(MUT - CONTROL) / WT", "(MUT - CONTROL) / CONTROL", "seq_id", "control", "wt", "mut", "tile_start",
         "tile_end", "context", "cell_line", "Normalized CRE effect"]]
    trace_cols = ["seq_id", "cell_line", "context", "N tiles", "greedy", "additive", "multiplicative", "mean", "single",
                  "tile_start", "tile_end"]
    traces = (pd.concat(greedy, ignore_index=True).rename(columns={"round": "N tiles", "Fold change over WT": "greedy"})[trace_cols]
              if greedy else pd.DataFrame(columns=trace_cols))
    cls = classify_tiles(sufficiency["Normalized CRE effect"].to_numpy(), sufficiency["context"].to_numpy(object),
                         thresholds.sufficiency)
    enh = sufficiency[cls == "Enhancer"].sort_values(["Normalized CRE effect", "seq_id"], ascending=[False, True])
    dist = []
    for r in enh.head(max_distance_cres).to_dict("records"):
        sid, a, b = r["seq_id"], int(r["tile_start"]), int(r["tile_end"])
        res = distance_test(engines[sid], wins[sid], TSS_TILE, (a, b), TILES[:, 0], n_shuffles, name=sid)
        f = res.to_frame()
        dist.append(pd.DataFrame({
            "Fold change over control": f["Fold change over control"],
            "CRE sufficiency effect": f["Normalized CRE effect"],
            "Binned distance (Kb)": f["Binned distance (Kb)"],
            "Normalized CRE effect (control)": float(r["Normalized CRE effect"]),
            "cell line": cell_line,
            "control": f["control_tss"],
            "enf_data_id": f"{sid}_{a}_{b}",
            "context": r["context"],
            "tile class": "Enhancer",
        }))
    dist_cols = ["Fold change over control", "CRE sufficiency effect", "Binned distance (Kb)",
                 "Normalized CRE effect (control)", "cell line", "control", "enf_data_id", "context", "tile class"]
    distance = pd.concat(dist, ignore_index=True)[dist_cols] if dist else pd.DataFrame(columns=dist_cols)
    out = {"context": context, "necessity": necessity, "sufficiency": sufficiency, "greedy_min": traces,
           "distance": distance}
    if out_dir is not None:
        write_tables(out, Path(out_dir), cell_line, meta={
            "world": str(world.root), "world_key": world.manifest.get("key", ""), "cell_line": cell_line,
            "n_genes": int(n_genes), "n_shuffles": int(n_shuffles), "seed": int(seed),
            "n_greedy_rounds": int(n_greedy_rounds), "max_distance_cres": int(max_distance_cres),
            "genes": sample.gene_id.tolist(),
        })
    return out


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path, cell_line: str, meta: dict | None = None) -> list[Path]:
    """Write tables as ``out_dir/<cell_line>/<table>.csv`` (and a ``validation_fallback.json``)."""
    from creme_lib.store import atomic_write_csv, safe_name

    base = Path(out_dir) / safe_name(cell_line)
    written = [atomic_write_csv(df, base / f"{TABLES[k]}.csv") for k, df in tables.items() if df is not None]
    if meta is not None:
        base.mkdir(parents=True, exist_ok=True)
        (base / "validation_fallback.json").write_text(json.dumps(meta, indent=1))
    return written


def fallback_is_current(out_dir: str | os.PathLike, cell_line: str, world: World, n_genes: int, n_shuffles: int, seed: int) -> bool:
    """Whether ``out_dir`` holds fallback tables of this world, cell line and sizes."""
    from creme_lib.store import safe_name

    p = Path(out_dir) / safe_name(cell_line) / "validation_fallback.json"
    if not p.is_file():
        return False
    meta = json.loads(p.read_text())
    want = {"world_key": world.manifest.get("key", ""), "n_genes": int(n_genes), "n_shuffles": int(n_shuffles),
            "seed": int(seed)}
    return all(meta.get(k) == v for k, v in want.items()) and all(
        (Path(out_dir) / safe_name(cell_line) / f"{TABLES[k]}.csv").is_file() for k in TABLES
    )


def load_or_compute(
    results_dir: str | os.PathLike,
    world: World,
    cell_lines: list[str] | tuple[str, ...],
    n_genes: int = 6,
    n_shuffles: int = 2,
    seed: int = 0,
    fallback_dir: str | os.PathLike | None = None,
) -> tuple[dict[str, pd.DataFrame | None], pd.DataFrame]:
    """The pipeline's tables of ``results_dir``, or the fallback's for cell lines without them.

    A cell line missing from the core tables (necessity, sufficiency) gets
    :func:`compute_tables` into ``fallback_dir`` (default ``<results_dir>/validation_fallback``),
    reused on later calls if it matches the world, sizes and seed.

    Returns
    -------
    (tables, sources)
        ``tables`` as :func:`load_tables`; ``sources``: ``cell_line, source`` (``pipeline``,
        ``fallback (computed here)`` or ``fallback (precomputed)``: fallback tables found in
        ``results_dir``) and ``folder``.
    """
    tables = load_tables(results_dir, cell_lines)
    missing = missing_cell_lines(tables, cell_lines)
    fb = Path(fallback_dir) if fallback_dir is not None else Path(results_dir) / FALLBACK_DIR
    for line in missing:
        if not fallback_is_current(fb, line, world, n_genes, n_shuffles, seed):
            compute_tables(world, line, n_genes, n_shuffles, seed, out_dir=fb)
    from creme_lib.store import safe_name

    def source(c: str) -> str:
        if c in missing:
            return "fallback (computed here)"
        if (Path(results_dir) / safe_name(c) / "validation_fallback.json").is_file():
            return "fallback (precomputed)"
        return "pipeline"

    src = pd.DataFrame({
        "cell_line": list(cell_lines),
        "source": [source(c) for c in cell_lines],
        "folder": [str(fb / c) if c in missing else str(results_dir) for c in cell_lines],
    })
    if not missing:
        return tables, src
    fb_tables = load_tables(fb, missing)
    merged: dict[str, pd.DataFrame | None] = {}
    for k in TABLES:
        keep = [] if tables[k] is None else [tables[k][~tables[k].cell_line.isin(missing)]]
        parts = [t for t in keep + [fb_tables[k]] if t is not None and len(t)]
        merged[k] = pd.concat(parts, ignore_index=True) if parts else None
    return merged, src


__all__ = [
    "TABLES",
    "ValidationReport",
    "compute_tables",
    "context_confusion",
    "context_summary",
    "detectable",
    "fallback_is_current",
    "findings",
    "interaction_confusion",
    "interaction_summary",
    "load_or_compute",
    "model_distance_curve",
    "pair_visibility",
    "true_contexts",
    "CREME_LABEL",
    "load_tables",
    "map_seq_ids",
    "missing_cell_lines",
    "precision_recall",
    "resolve_world",
    "score_contexts",
    "score_cre_calls",
    "score_distance",
    "score_interactions",
    "select_genes",
    "seq_id_of",
    "target_met",
    "test_effect",
    "truth_tiles",
    "validate",
    "write_tables",
]
