"""The top-level entry: every score of a set of CREME tables in one report, and its findings in words.

:func:`validate` is pure (tables and a world in, a report out); :func:`findings` turns a report
into plain-language statements, failures included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from creme_lib.analysis import PAPER, Thresholds
from creme_lib.validation.calls import TARGET_MINIMUM, precision_recall, score_cre_calls, target_met
from creme_lib.validation.contexts import context_confusion, context_summary, score_contexts
from creme_lib.validation.distance import score_distance
from creme_lib.validation.interactions import (
    INTERACTION_TYPES, interaction_confusion, interaction_summary, pair_visibility, score_interactions,
)
from creme_lib.validation.tables import CORE_TABLES, TABLES, _with_cell_line
from creme_lib.validation.truth import truth_tiles
from creme_lib.world.truth import World


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
    #: The thresholds the calls were scored with (plots and findings quote them).
    thresholds: Thresholds = PAPER


def validate(
    world: World,
    tables: dict[str, pd.DataFrame | None],
    cell_lines: list[str] | tuple[str, ...] | None = None,
    thresholds: Thresholds = PAPER,
    interaction_rounds: int = 2,
) -> ValidationReport:
    """Run every scorer on a set of CREME tables (see :func:`~creme_lib.validation.tables.load_tables`).

    Parameters
    ----------
    world : World
    tables : dict
        Keys of :data:`~creme_lib.validation.tables.TABLES` -> table or ``None`` (missing tables are noted and skipped).
    cell_lines : sequence of str, optional
        Restrict to these cell lines (default: those in the tables).
    thresholds : Thresholds
    interaction_rounds : int
        Rounds of the greedy trace classified (:func:`~creme_lib.validation.interactions.score_interactions`).
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
        thresholds=thresholds,
    )


def _fmt(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.2f}"


def findings(
    report: ValidationReport, minimum: float = TARGET_MINIMUM, thresholds: Thresholds | None = None
) -> list[str]:
    """Plain-language findings of a report (markdown bullets' text), failures included.

    States, per cell line, whether sufficiency-called enhancers reach ``minimum`` precision
    and recall, and explains every kind of miss the scores show: tiles below the threshold
    (by channel), true elements in a context that does not allow their class, detectable
    tiles missed, false calls, interaction errors that the paper's rule also makes on the
    noise-free trace, pairs a short greedy search cannot see, and the distance fit.
    ``thresholds``: those quoted (default: the report's own, :attr:`ValidationReport.thresholds`).
    """
    thresholds = report.thresholds if thresholds is None else thresholds
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
