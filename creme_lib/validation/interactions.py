"""Greedy ``min`` traces scored against the planted enhancer pairs: expected labels, confusion, visibility.

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

Every function here is pure: tables and a world in, tables out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from creme_lib.analysis import PAPER, Thresholds, classify_interaction
from creme_lib.validation.tables import _with_cell_line
from creme_lib.validation.truth import map_seq_ids, seq_id_of, tile_index_of, true_contexts
from creme_lib.world.truth import World, expected_output, pair_truth, tile_truth

#: CREME's interaction labels (the rows of :func:`interaction_confusion`).
INTERACTION_TYPES: tuple[str, ...] = ("superadditive", "subadditive", "additive")

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
