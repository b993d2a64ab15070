"""The paper's rules: thresholds, constants, normalizations and classifications of CREME outputs.

This module is the one home of every rule of Toneyan & Koo (2024) that turns test outputs
into categories: context categories, CRE (tile) classes, the sufficiency normalization and
interaction types, with their thresholds, and the constants they refer to (cell lines,
context and tile-class names, the tile size). The pipeline, the published-table loader,
the audit, the validation and the simulated world all import them from here.

Functions are vectorized over numpy arrays of TSS activities (model output reduced over
the TSS bins, in the model's units, e.g. Enformer CAGE counts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Thresholds:
    """The classification thresholds of Toneyan & Koo (2024), as named parameters.

    Attributes
    ----------
    enhancing, neutral, silencing : float
        Context categories from the normalized context effect ``(WT - MUT) / WT``:
        enhancing ``> 0.95``, neutral ``|x| < 0.05``, silencing ``< -0.3``.
    necessity : float
        A tile is a necessary enhancer if its normalized shuffle effect is ``> +necessity``
        in an enhancing context, a necessary silencer if ``< -necessity`` in a silencing one.
    sufficiency : float
        Likewise for the normalized CRE effect of the sufficiency test.
    superadditive, subadditive, additive : float
        Mean-squared-error thresholds between a greedy-search trace and the additive
        hypothetical model: MSE ``> 0.1`` with the trace below (above) the model is
        superadditive (subadditive); MSE ``< 0.05`` is additive; between is ambiguous.
    max_per_category : int
        Contexts sampled per category for the CRE-level tests (paper: 200).
    """

    enhancing: float = 0.95
    neutral: float = 0.05
    silencing: float = -0.3
    necessity: float = 0.3
    sufficiency: float = 0.3
    superadditive: float = 0.1
    subadditive: float = 0.1
    additive: float = 0.05
    max_per_category: int = 200


PAPER = Thresholds()

#: The published Borzoi context labels (``borzoi/context_dependence_test.csv``) follow
#: enhancing ``> 0.9`` and silencing ``< -0.2`` (neutral unchanged): inferred from the
#: published labels (every ``enhancing`` row has ``delta_mean`` in (0.9, 1], every
#: unlabelled one ``<= 0.9``; every ``silencing`` row ``< -0.2``, the ``other1`` rows
#: in [-0.2, -0.05)). The paper text does not state them.
BORZOI_THRESHOLDS = Thresholds(enhancing=0.9, silencing=-0.2)

#: The paper's three cell lines, in the order of its figures (and of the world's tracks).
CELL_LINES: tuple[str, ...] = ("K562", "GM12878", "PC-3")
#: Context categories, in the order of the paper's panels.
CONTEXTS: tuple[str, ...] = ("enhancing", "neutral", "silencing")
#: CRE (tile) classes of the necessity and sufficiency tests.
TILE_CLASSES: tuple[str, ...] = ("Enhancer", "Silencer")
#: Label of a context effect outside every category, as in the published tables.
OTHER_CONTEXT = "other"
#: The paper's CRE tile, bp (Enformer: 39 tiles over the central 196,608 bp minus margins).
TILE_SIZE = 5_000


def default_thresholds(model: str) -> Thresholds:
    """The thresholds the published tables of ``model`` were made with."""
    return BORZOI_THRESHOLDS if model == "borzoi" else PAPER


def context_effect(wt: np.ndarray, mut: np.ndarray) -> np.ndarray:
    """Normalized context effect ``(WT - MUT) / WT`` (the paper's ``delta_mean``).

    Positive: the context raises TSS activity (removing it lowers the output).
    """
    wt = np.asarray(wt, np.float64)
    return (wt - np.asarray(mut, np.float64)) / wt


def fold_change(mut: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Fold change ``MUT / reference`` (over WT, over control, over max...)."""
    return np.asarray(mut, np.float64) / np.asarray(reference, np.float64)


def fold_change_over_max(
    table: pd.DataFrame, value: str, by: str | list[str], name: str = "Fold change over control"
) -> pd.DataFrame:
    """Each group's ``value`` divided by its maximum over the group's rows (the paper's distance profile).

    The paper's ``distance_test.csv`` calls this column ``Fold change over control``: per CRE
    (and cell line) the mean TSS activity with the CRE at each of the 38 positions divided
    by its maximum over the positions, so every CRE's profile peaks at exactly 1.0 (checked
    against the published table, ``tests/test_analysis.py``). The TSS-only control cancels
    in that ratio, whence the name.

    Parameters
    ----------
    table : pandas.DataFrame
        ``(R, ...)`` rows, e.g. one per (CRE, position).
    value : str
        The activity column (model units), e.g. ``"mut"``.
    by : str or list of str
        The columns naming a profile, e.g. ``"enf_data_id"``.
    name : str
        The column written.

    Returns
    -------
    pandas.DataFrame
        ``table`` with ``name`` added (or replaced), in ``(0, 1]`` for positive activities.
    """
    v = table[value].astype(np.float64)
    return table.assign(**{name: v / v.groupby([table[c] for c in ([by] if isinstance(by, str) else by)]).transform("max")})


def normalized_tile_effect(mut: np.ndarray, control: np.ndarray, norm: np.ndarray) -> np.ndarray:
    """Sufficiency effect ``(MUT - CONTROL) / norm``; ``norm`` is WT or CONTROL."""
    return (np.asarray(mut, np.float64) - np.asarray(control, np.float64)) / np.asarray(norm, np.float64)


def classify_context(
    effect: np.ndarray | float, t: Thresholds = PAPER, unclassified: str | None = None
) -> np.ndarray:
    """Context category per normalized context effect (the paper's ``delta_mean``).

    Parameters
    ----------
    effect : array_like
        ``(N,)`` normalized context effects ``(WT - MUT) / WT``.
    t : Thresholds
        Category thresholds (``t.enhancing``, ``t.neutral``, ``t.silencing``).
    unclassified : str or None
        Label of an effect between the categories: ``None`` (as in the paper's code) or
        :data:`OTHER_CONTEXT` (as in the published tables).

    Returns
    -------
    numpy.ndarray
        ``(N,)`` object array of ``"enhancing"``, ``"neutral"``, ``"silencing"`` or
        ``unclassified``.
    """
    e = np.asarray(effect, np.float64)
    out = np.full(e.shape, unclassified, dtype=object)
    out[e > t.enhancing] = "enhancing"
    out[np.abs(e) < t.neutral] = "neutral"
    out[e < t.silencing] = "silencing"
    return out


def classify_tiles(effect: np.ndarray, context: np.ndarray | str, threshold: float) -> np.ndarray:
    """Tile class from a normalized tile effect and the sequence's context category.

    ``Enhancer`` if the effect is ``> threshold`` in an enhancing context, ``Silencer`` if
    ``< -threshold`` in a silencing context, else ``None``. The same rule serves the
    necessity test (normalized shuffle effect) and the sufficiency test (normalized CRE
    effect) with their own thresholds.
    """
    e = np.asarray(effect, np.float64)
    c = np.broadcast_to(np.asarray(context, dtype=object), e.shape)
    out = np.full(e.shape, None, dtype=object)
    out[(c == "enhancing") & (e > threshold)] = "Enhancer"
    out[(c == "silencing") & (e < -threshold)] = "Silencer"
    return out


def sample_contexts(
    table: pd.DataFrame, t: Thresholds = PAPER, seed: int = 42, column: str = "delta_mean"
) -> pd.DataFrame:
    """Classify contexts and keep at most ``t.max_per_category`` per category.

    Sampling uses ``DataFrame.sample(random_state=seed)`` per category, as the paper did
    (random_state 42). Returns the kept rows with a ``context`` column.
    """
    cat = classify_context(table[column].to_numpy(), t)
    df = table.assign(context=cat)
    df = df[df["context"].notna()]
    parts = []
    for c in CONTEXTS:
        sub = df[df["context"] == c]
        if len(sub) > t.max_per_category:
            sub = sub.sample(n=t.max_per_category, random_state=seed)
        parts.append(sub)
    return pd.concat(parts)


def additive_model(wt: float, single_effects: np.ndarray) -> np.ndarray:
    """Hypothetical additive model of a greedy trace.

    Parameters
    ----------
    wt : float
        TSS activity of the unperturbed sequence.
    single_effects : numpy.ndarray
        ``(R,)`` activity after perturbing each selected tile *alone* (first greedy round),
        in the order the greedy search selected them.

    Returns
    -------
    numpy.ndarray
        ``(R + 1,)`` predicted activity with 0..R tiles perturbed: ``WT + cumsum(MUT_i - WT)``.
    """
    d = np.asarray(single_effects, np.float64) - wt
    return wt + np.concatenate([[0.0], np.cumsum(d)])


def multiplicative_model(wt: float, single_effects: np.ndarray) -> np.ndarray:
    """Hypothetical multiplicative model: ``WT * cumprod(MUT_i / WT)``, shape ``(R + 1,)``."""
    r = np.asarray(single_effects, np.float64) / wt
    return wt * np.concatenate([[1.0], np.cumprod(r)])


def trace_mse(trace: np.ndarray, additive: np.ndarray) -> float:
    """Mean squared error of a greedy trace against its additive model over rounds 1..R.

    Both arrays, shape ``(R + 1,)``, are fold changes over WT for 0..R perturbed tiles
    (round 0, the WT, is 1 in both and left out). NaN when ``R == 0``.
    """
    trace = np.asarray(trace, np.float64)[1:]
    additive = np.asarray(additive, np.float64)[1:]
    return float(np.mean((trace - additive) ** 2)) if trace.size else float("nan")


def classify_interaction(
    trace: np.ndarray, additive: np.ndarray, t: Thresholds = PAPER, direction: str = "min"
) -> str | None:
    """Interaction type of a greedy trace against its additive model.

    Both arrays are fold changes over WT for 0..R perturbed tiles. The MSE is taken over
    rounds 1..R. For enhancer sets (``direction="min"``, perturbations lower activity), a
    trace below the additive model means the tiles together matter more than their sum:
    superadditive; above it, subadditive. For silencer sets (``"max"``) the signs flip.

    Returns
    -------
    str or None
        ``"superadditive"``, ``"subadditive"``, ``"additive"`` or ``None`` (ambiguous).
    """
    mse = trace_mse(trace, additive)
    if not np.isfinite(mse):
        return None
    trace = np.asarray(trace, np.float64)[1:]
    additive = np.asarray(additive, np.float64)[1:]
    if mse < t.additive:
        return "additive"
    below = float(np.mean(trace - additive)) < 0
    stronger = below if direction == "min" else not below
    if stronger and mse > t.superadditive:
        return "superadditive"
    if not stronger and mse > t.subadditive:
        return "subadditive"
    return None


# ------------------------------------------------------------- rules applied to tables
def count_contexts(
    table: pd.DataFrame,
    thresholds: Thresholds = PAPER,
    column: str = "delta_mean",
) -> pd.Series:
    """Number of sequences per context category, recomputed from ``column``.

    Returns a Series indexed by ``CONTEXTS`` (zeros included); rows outside every
    category are not counted.
    """
    cat = pd.Series(classify_context(table[column].to_numpy(), thresholds))
    return cat.value_counts().reindex(list(CONTEXTS), fill_value=0).astype(int)


def necessary_cres(necessity_test: pd.DataFrame, thresholds: Thresholds = PAPER) -> pd.DataFrame:
    """Necessary CREs: tiles whose shuffle removes (enhancer) or releases (silencer) activity.

    Applies ``Normalized shuffle effect > thresholds.necessity`` in enhancing contexts
    (``Enhancer``) and ``< -thresholds.necessity`` in silencing contexts (``Silencer``)
    to the raw ``necessity_test.csv`` rows; returns those rows with a ``tile class``
    column, in the schema of ``necessary_CREs.csv``.
    """
    cls = classify_tiles(
        necessity_test["Normalized shuffle effect"].to_numpy(np.float64),
        necessity_test["context"].to_numpy(object),
        thresholds.necessity,
    )
    keep = cls != None  # noqa: E711 - elementwise on an object array
    return necessity_test[keep].assign(**{"tile class": cls[keep]})


def normalized_cre_effect(table: pd.DataFrame) -> pd.Series:
    """The sufficiency test's ``Normalized CRE effect`` recomputed from raw activities.

    ``(MUT - CONTROL) / WT`` in enhancing contexts and ``(MUT - CONTROL) / CONTROL``
    elsewhere (neutral and silencing: normalized by the intrinsic TSS activity), as in
    the published ``sufficient_CREs.csv``.
    """
    ctl = table["control"].to_numpy(np.float64)
    norm = np.where(table["context"].to_numpy(object) == "enhancing", table["wt"].to_numpy(np.float64), ctl)
    return pd.Series(normalized_tile_effect(table["mut"], ctl, norm), index=table.index, name="Normalized CRE effect")


def sufficient_cres(
    sufficiency_table: pd.DataFrame,
    thresholds: Thresholds = PAPER,
    recompute_effect: bool = True,
) -> pd.DataFrame:
    """Sufficient CREs: tiles that alone (with the TSS, in shuffled context) drive activity.

    ``Normalized CRE effect > thresholds.sufficiency`` in enhancing contexts gives an
    ``Enhancer``, ``< -thresholds.sufficiency`` in silencing contexts a ``Silencer``.
    With ``recompute_effect`` the effect is recomputed from ``wt``/``mut``/``control``
    (:func:`normalized_cre_effect`) rather than read from the table. Works on a raw
    ``sufficiency_test.csv`` or on ``sufficient_CREs.csv`` (re-thresholding its rows).
    """
    if recompute_effect and {"wt", "mut", "control"} <= set(sufficiency_table.columns):
        eff = normalized_cre_effect(sufficiency_table).to_numpy()
    else:
        eff = sufficiency_table["Normalized CRE effect"].to_numpy(np.float64)
    cls = classify_tiles(eff, sufficiency_table["context"].to_numpy(object), thresholds.sufficiency)
    keep = cls != None  # noqa: E711
    return sufficiency_table[keep].assign(**{"Normalized CRE effect": eff[keep], "tile class": cls[keep]})


def classify_interactions(traces: pd.DataFrame, thresholds: Thresholds = PAPER, direction: str = "min") -> pd.Series:
    """Interaction type per sequence from greedy traces (table ``greedy_search/*_traces``).

    Per ``(cell_line, seq_id)``: MSE between ``greedy`` and ``additive`` over rounds
    ``N tiles >= 1``; ``< thresholds.additive`` is ``additive``; above
    ``thresholds.superadditive`` a greedy trace beyond the additive model (below it for
    enhancer sets, ``direction="min"``; above it for silencer sets, ``"max"``) is
    ``superadditive``, the other side (``> thresholds.subadditive``) ``subadditive``;
    the rest is ambiguous (``None``). Returns a Series indexed by ``(cell_line, seq_id)``.
    """
    return _per_sequence(traces, lambda g, a: classify_interaction(g, a, thresholds, direction), object, "interaction")


def _per_sequence(traces: pd.DataFrame, fn, dtype, name: str) -> pd.Series:
    """``fn(greedy, additive)`` of each ``(cell_line, seq_id)`` of a traces table, as a Series.

    Both arrays, shape ``(R + 1,)``, are in round order with round 0 set to the WT (1 in
    both curves), whether or not the table holds its round-0 row.
    """
    t = traces[traces["N tiles"] >= 1].sort_values("N tiles", kind="stable")
    out = {key: fn(np.r_[1.0, g["greedy"].to_numpy(np.float64)], np.r_[1.0, g["additive"].to_numpy(np.float64)])
           for key, g in t.groupby(["cell_line", "seq_id"], sort=False)}
    idx = pd.MultiIndex.from_tuples(list(out), names=["cell_line", "seq_id"]) if out else None
    return pd.Series(list(out.values()), index=idx, dtype=dtype, name=name)


def interaction_mse(traces: pd.DataFrame) -> pd.Series:
    """Mean squared error between the greedy trace and the additive model, per sequence.

    :func:`trace_mse`, the quantity :func:`classify_interaction` thresholds, of each
    sequence of ``greedy_search/*_traces`` (fold changes over WT). Returns a Series indexed by
    ``(cell_line, seq_id)``, named ``mse``.
    """
    return _per_sequence(traces, trace_mse, np.float64, "mse")


#: Interaction types in the order the paper's example figures show them.
INTERACTION_TYPES: tuple[str, ...] = ("superadditive", "subadditive", "additive")


def interaction_examples(
    traces: pd.DataFrame, thresholds: Thresholds = PAPER, direction: str = "min", per_type: int = 3,
) -> pd.Series:
    """The clearest example sequences of each interaction type, for figures that show a few.

    Classifies every sequence of ``traces`` (``greedy_search/*_traces``) with
    :func:`classify_interactions` and keeps, per type, the ``per_type`` sequences furthest
    from the thresholds: the largest MSE against the additive model for super- and
    subadditive sequences, the smallest for additive ones (ties by ``seq_id``). A type
    with fewer sequences gives what it has; ambiguous sequences are never picked.

    Returns
    -------
    pandas.Series
        Interaction type, indexed by ``(cell_line, seq_id)``, types in
        :data:`INTERACTION_TYPES` order.
    """
    cls = classify_interactions(traces, thresholds, direction).dropna()
    if cls.empty:
        return cls
    table = pd.concat([cls, interaction_mse(traces).reindex(cls.index)], axis=1).reset_index()
    picks = []
    for kind in INTERACTION_TYPES:
        sub = table[table["interaction"] == kind]
        sub = sub.sort_values(["mse", "seq_id"], ascending=[kind == "additive", True], kind="stable")
        picks.append(sub.head(per_type))
    return pd.concat(picks).set_index(["cell_line", "seq_id"])["interaction"]
