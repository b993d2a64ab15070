"""CREME's necessity and sufficiency calls scored against the true CRE tiles: outcomes, precision, recall, target.

CREME can only call an enhancer in an enhancing context and a silencer in a silencing one,
with the paper's threshold 0.3 (:class:`~creme_lib.analysis.Thresholds`). A true tile is
**detectable** by a test when its gene's *true* context (:func:`~creme_lib.world.truth.context_truth`)
is the one that allows its class and its noise-free test effect
(:func:`~creme_lib.validation.truth.truth_tiles`) passes that same threshold (``> 0.3`` for
enhancers, ``< -0.3`` for silencers). Recall is reported twice: over the detectable tiles (does
CREME find what its own rule can find?) and over **all planted** tiles of the class in the tested
genes (how much of the regulatory truth does the rule reach?). Precision counts a call as correct
when its tile holds a true element of the called class, whatever that element's effect size.

Every function here is pure: tables in, tables out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from creme_lib.analysis import PAPER, Thresholds, classify_tiles

#: Effect column each CRE test is classified on (the keys are the tests scored).
EFFECT_COLUMNS: dict[str, str] = {"necessity": "Normalized shuffle effect", "sufficiency": "Normalized CRE effect"}

#: The target: precision and recall (over detectable tiles) of sufficiency-called enhancers at least this.
TARGET_MINIMUM = 0.8


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
        :func:`~creme_lib.validation.truth.truth_tiles` of the same sequences and cell line(s).
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


def target_met(summary: pd.DataFrame, minimum: float = TARGET_MINIMUM, test: str = "sufficiency", cls: str = "Enhancer") -> pd.DataFrame:
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
