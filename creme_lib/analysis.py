"""Normalizations and classifications of CREME test outputs, with the paper's thresholds.

All functions are vectorized over numpy arrays of TSS activities (model output reduced over
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

CONTEXTS = ("enhancing", "neutral", "silencing")


def context_effect(wt: np.ndarray, mut: np.ndarray) -> np.ndarray:
    """Normalized context effect ``(WT - MUT) / WT`` (the paper's ``delta_mean``).

    Positive: the context raises TSS activity (removing it lowers the output).
    """
    wt = np.asarray(wt, np.float64)
    return (wt - np.asarray(mut, np.float64)) / wt


def fold_change(mut: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Fold change ``MUT / reference`` (over WT, over control, over max...)."""
    return np.asarray(mut, np.float64) / np.asarray(reference, np.float64)


def normalized_tile_effect(mut: np.ndarray, control: np.ndarray, norm: np.ndarray) -> np.ndarray:
    """Sufficiency effect ``(MUT - CONTROL) / norm``; ``norm`` is WT or CONTROL."""
    return (np.asarray(mut, np.float64) - np.asarray(control, np.float64)) / np.asarray(norm, np.float64)


def classify_context(effect: np.ndarray | float, t: Thresholds = PAPER) -> np.ndarray:
    """Context category per normalized context effect.

    Returns
    -------
    numpy.ndarray
        Object array of ``"enhancing"``, ``"neutral"``, ``"silencing"`` or ``None``
        (an effect between the categories is left unclassified, as in the paper).
    """
    e = np.asarray(effect, np.float64)
    out = np.full(e.shape, None, dtype=object)
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
    trace = np.asarray(trace, np.float64)[1:]
    additive = np.asarray(additive, np.float64)[1:]
    if trace.size == 0:
        return None
    mse = float(np.mean((trace - additive) ** 2))
    if mse < t.additive:
        return "additive"
    below = float(np.mean(trace - additive)) < 0
    stronger = below if direction == "min" else not below
    if stronger and mse > t.superadditive:
        return "superadditive"
    if not stronger and mse > t.subadditive:
        return "subadditive"
    return None
