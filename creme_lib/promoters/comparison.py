"""Side-by-side scores of the three predictors (6-mer ridge, plain CNN, contextual regression).

:func:`compare_predictors` trains (or reloads) each predictor for each seed on the
training split and scores it on the held-out test split; the benchmark script and the book
page both call it, so they report the same numbers for the same seeds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from creme_lib.promoters.baselines import KmerRidge
from creme_lib.promoters.data import PromoterSet, split_validation
from creme_lib.promoters.evaluation import regression_scores
from creme_lib.promoters.model import CRConfig

#: Predictor name -> network head (``None``: the ridge baseline).
PREDICTORS: dict[str, str | None] = {"6-mer ridge": None, "plain CNN": "dense", "contextual regression": "contextual"}
#: Columns of :func:`compare_predictors`' table, in order.
SCORE_COLUMNS = ["model", "seed", "pearson_r", "spearman_rho", "r2", "auroc_active", "n", "train_seconds", "epochs"]


def _active(data: PromoterSet):
    return data.meta["active"].to_numpy(bool) if "active" in data.meta else None


def score_ridge(train: PromoterSet, test: PromoterSet, seed: int, n_val: int, k: int = 6) -> dict:
    """Fit :class:`~creme_lib.promoters.baselines.KmerRidge` (validation rows drawn as for the
    networks) and score it on ``test``."""
    tr, va = split_validation(len(train), n_val, seed)
    t0 = time.perf_counter()
    ridge = KmerRidge(k).fit(train.x[tr], train.y[tr], train.x[va], train.y[va])
    seconds = time.perf_counter() - t0
    return {**regression_scores(test.y, ridge.predict(test.x), _active(test)), "train_seconds": round(seconds, 2),
            "epochs": 0, "alpha": ridge.alpha}


def compare_predictors(
    train: PromoterSet,
    test: PromoterSet,
    config: CRConfig,
    seeds: Sequence[int] = (0, 1, 2),
    run_root: str | os.PathLike | None = None,
    predictors: Sequence[str] = tuple(PREDICTORS),
    progress: bool = True,
) -> pd.DataFrame:
    """Test-split scores of each predictor and seed.

    Parameters
    ----------
    train, test : PromoterSet
        Training split (``config.n_val`` rows of it are held out for early stopping and the
        ridge penalty) and the test split.
    config : CRConfig
        The network config; the plain CNN is ``config`` with ``head="dense"``.
    seeds : sequence of int
        One trained network per (predictor, seed).
    run_root : path, optional
        Trained networks are saved to and reused from ``<run_root>/<run name>``
        (:func:`~creme_lib.promoters.training.run_name`); ``None`` trains without saving.
    predictors : sequence of str
        Names from :data:`~creme_lib.promoters.comparison.PREDICTORS`.
    progress : bool
        A progress bar over (predictor, seed).

    Returns
    -------
    pandas.DataFrame
        One row per (predictor, seed): :data:`~creme_lib.promoters.comparison.SCORE_COLUMNS` (``auroc_active`` of the
        ``active`` label; ``train_seconds`` 0 for a reloaded network).
    """
    from creme_lib.promoters import training

    unknown = set(predictors) - set(PREDICTORS)
    if unknown:
        raise KeyError(f"unknown predictors {sorted(unknown)}; choose from {list(PREDICTORS)}")
    rows = []
    jobs = [(p, s) for p in predictors for s in seeds]
    if progress:
        from tqdm.auto import tqdm

        jobs = tqdm(jobs, desc="predictors x seeds")
    for name, seed in jobs:
        head = PREDICTORS[name]
        if head is None:
            row = score_ridge(train, test, seed, config.n_val)
        else:
            cfg = config.replace(head=head)
            if run_root is None:
                trained = training.fit(cfg, train, seed, progress=False)
            else:
                run_dir = Path(run_root) / training.run_name(cfg, seed)
                trained = training.train_or_load(cfg, train, seed, run_dir, progress=False)
            row = {**regression_scores(test.y, trained.model.predict_expression(test.x), _active(test)),
                   "train_seconds": 0.0 if trained.reused else trained.metrics["train_seconds"],
                   "epochs": trained.metrics["epochs"]}
        rows.append({"model": name, "seed": int(seed), **row})
    df = pd.DataFrame(rows)
    return df[SCORE_COLUMNS + [c for c in df.columns if c not in SCORE_COLUMNS]]


def summarize(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean and SD over seeds of each score, one row per predictor (in first-seen order)."""
    cols = ["pearson_r", "spearman_rho", "r2", "auroc_active", "train_seconds"]
    g = scores.groupby("model", sort=False)[cols]
    out = g.mean().add_suffix("_mean").join(g.std(ddof=1).add_suffix("_sd"))
    out["seeds"] = scores.groupby("model", sort=False).size()
    return out[[f"{c}_{s}" for c in cols for s in ("mean", "sd")] + ["seeds"]].reset_index()


def models_dir(results_dir: str | os.PathLike, dataset: str, split: int | None = None) -> Path:
    """Where the model page saves its trained networks: ``<results_dir>/<dataset>/models``,
    with a sub-folder ``resplit<k>`` per random re-split (a network is reused only for the
    data it was trained on)."""
    base = Path(results_dir) / dataset / "models"
    return base if split is None else base / f"resplit{int(split)}"


def trained_cr(results_dir: str | os.PathLike, dataset: str = "ecoli", preset: str = "ecoli", seed: int = 0,
               data_dir: str | os.PathLike | None = None, resplits: int = 0):
    """The CR network the model page trained for ``(dataset, preset, seed)`` and its test
    split (with ``resplits > 0``: the first re-split's): what the interpretation pages analyse.

    Returns
    -------
    (ContextualRegression, CRConfig, PromoterSet)

    Raises
    ------
    FileNotFoundError
        If the model page has not been run for this data set, preset, seed and protocol.
    """
    from creme_lib.promoters import training
    from creme_lib.promoters.data import load_dataset, resplit
    from creme_lib.promoters.model import get_config

    config = get_config(preset, head="contextual")
    train, test = load_dataset(dataset, data_dir)
    if resplits:
        test = resplit(train, test, resplits, seed)[0][1]
    root = models_dir(results_dir, dataset, 0 if resplits else None)
    return training.load_run(root, config, seed).model, config, test
