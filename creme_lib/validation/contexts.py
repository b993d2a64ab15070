"""CREME's context categories scored against the true ones (confusion matrix, accuracy, correlation).

Every function here is pure: tables and a world in, tables out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from creme_lib.validation.tables import _with_cell_line
from creme_lib.validation.truth import map_seq_ids, true_contexts
from creme_lib.world.truth import World

#: Context categories as CREME reports them (``other``: unclassified), the confusion matrix's order.
CONTEXT_TYPES: tuple[str, ...] = ("enhancing", "neutral", "silencing", "other")


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
