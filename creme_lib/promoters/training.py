"""Seeded training of the CR and CNN networks, saved atomically and reused on rerun.

A trained model lives in one folder::

    <run_dir>/config.json    the CRConfig, the seed and the training data's fingerprint
    <run_dir>/model.keras    the network (Keras' own format)
    <run_dir>/history.csv    epoch, loss, val_loss
    <run_dir>/metrics.json   validation scores, epochs, best epoch, training seconds

The folder is written under a temporary name and renamed into place, so it is either
complete or absent. :func:`train_or_load` reuses a complete folder whose ``config.json``
matches the request and refuses (``ValueError`` naming the fields) one that does not.

Determinism: the Python, NumPy and TensorFlow seeds are set from ``seed`` and TensorFlow's
op determinism is switched on, so the same seed gives the same weights on a CPU. The
validation rows are drawn by :func:`creme_lib.promoters.data.split_validation` from the seed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from creme_lib.promoters.data import PromoterSet, split_validation
from creme_lib.promoters.evaluation import regression_scores
from creme_lib.promoters.model import ContextualRegression, CRConfig, build_model, load_keras_model

FILES = ("config.json", "model.keras", "history.csv", "metrics.json")


def data_fingerprint(data: PromoterSet) -> str:
    """Hash of a set's sequences and labels (names the training data in ``config.json``)."""
    h = hashlib.blake2b(digest_size=8)
    h.update(np.ascontiguousarray(data.x, np.float32).tobytes())
    h.update(np.ascontiguousarray(data.y, np.float32).tobytes())
    return h.hexdigest()


@dataclass
class TrainedModel:
    """A trained network with its record.

    Attributes
    ----------
    model : ContextualRegression
        The network as a CREME model (``predict_expression``, ``weighted_features``, ...).
    config : CRConfig
    seed : int
    history : pandas.DataFrame
        ``epoch, loss, val_loss`` per epoch.
    metrics : dict
        ``validation`` scores, ``epochs``, ``best_epoch``, ``train_seconds``.
    path : pathlib.Path or None
        The run folder.
    reused : bool
        True when loaded from an earlier run instead of trained.
    """

    model: ContextualRegression
    config: CRConfig
    seed: int
    history: pd.DataFrame
    metrics: dict
    path: Path | None = None
    reused: bool = False


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow and make TensorFlow's ops deterministic."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()


def fit(config: CRConfig, data: PromoterSet, seed: int, progress: bool = True) -> TrainedModel:
    """Train a network of ``config`` on ``data`` with ``config.n_val`` rows held out.

    SGD with momentum (or Adam, ``config.optimizer``) on the MSE, early stopping on the
    validation loss (``patience`` epochs) with the best epoch's weights restored; with
    ``config.lr_plateau_patience`` the rate is cut on a validation-loss plateau. The output
    bias starts at the training rows' mean label. ``progress`` prints one line per epoch.

    Raises
    ------
    ValueError
        If the sequences' length is not ``config.seq_length``.
    """
    import keras

    if data.seq_length != config.seq_length:
        raise ValueError(f"{data.name}: sequences are {data.seq_length} bp but the config expects {config.seq_length} bp")
    train_idx, val_idx = split_validation(len(data), config.n_val, seed)
    set_seed(seed)
    net = build_model(config)
    # Start the output at the mean label, so the first epochs fit the sequence dependence
    # instead of the offset (the labels' mean is about -1.4 on the E. coli set).
    out = net.get_layer("expression")
    weights = out.get_weights()
    weights[-1] = np.full_like(weights[-1], float(np.mean(data.y[train_idx])))
    out.set_weights(weights)
    if config.optimizer == "adam":
        opt = keras.optimizers.Adam(learning_rate=config.learning_rate)
    else:
        opt = keras.optimizers.SGD(learning_rate=config.learning_rate, momentum=config.momentum)
    net.compile(optimizer=opt, loss="mean_squared_error")
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, mode="min",
                                               restore_best_weights=True)]
    if config.lr_plateau_patience:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor="val_loss", mode="min",
                                                           factor=config.lr_plateau_factor,
                                                           patience=config.lr_plateau_patience))
    t0 = time.perf_counter()
    hist = net.fit(data.x[train_idx], data.y[train_idx], batch_size=config.batch_size, epochs=config.max_epochs,
                   validation_data=(data.x[val_idx], data.y[val_idx]), callbacks=callbacks, shuffle=True,
                   verbose=2 if progress else 0)
    seconds = time.perf_counter() - t0
    history = pd.DataFrame({"epoch": np.arange(1, len(hist.history["loss"]) + 1),
                            "loss": hist.history["loss"], "val_loss": hist.history["val_loss"]})
    model = ContextualRegression(net, config)
    val = data.subset(val_idx)
    metrics = {
        "validation": regression_scores(val.y, model.predict_expression(val.x)),
        "epochs": int(len(history)),
        "best_epoch": int(history["val_loss"].idxmin()) + 1,
        "train_seconds": round(seconds, 2),
        "n_train": int(len(train_idx)),
        "n_val": int(len(val_idx)),
    }
    return TrainedModel(model, config, int(seed), history, metrics)


def _record(config: CRConfig, seed: int, data: PromoterSet) -> dict:
    return {"config": config.to_dict(), "seed": int(seed),
            "data": {"name": data.name, "n": len(data), "fingerprint": data_fingerprint(data)}}


def _differences(want: dict, have: dict, prefix: str = "") -> list[str]:
    out = []
    for k in sorted(set(want) | set(have)):
        a, b = want.get(k), have.get(k)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{k}.")
        elif a != b:
            out.append(f"{prefix}{k}: requested {a!r}, saved {b!r}")
    return out


def save(trained: TrainedModel, run_dir: str | os.PathLike, data: PromoterSet) -> Path:
    """Write ``trained`` into ``run_dir`` atomically (a temporary folder renamed into place).

    Raises
    ------
    FileExistsError
        If ``run_dir`` exists already.
    """
    run_dir = Path(run_dir)
    if run_dir.exists():
        raise FileExistsError(f"{run_dir} exists; remove it to retrain")
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = run_dir.parent / f".{run_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        trained.model.keras_model.save(tmp / "model.keras")
        trained.history.to_csv(tmp / "history.csv", index=False)
        (tmp / "metrics.json").write_text(json.dumps(trained.metrics, indent=2) + "\n")
        (tmp / "config.json").write_text(json.dumps(_record(trained.config, trained.seed, data), indent=2) + "\n")
        os.replace(tmp, run_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    trained.path = run_dir
    return run_dir


def load(run_dir: str | os.PathLike, config: CRConfig | None = None, seed: int | None = None,
         data: PromoterSet | None = None) -> TrainedModel:
    """Load a run folder; with ``config``/``seed``/``data`` given, check they match it.

    Raises
    ------
    FileNotFoundError
        If a file of the folder is missing.
    ValueError
        If the saved config, seed or training data differ from the requested ones (each
        differing field is named).
    """
    run_dir = Path(run_dir)
    seed = None if seed is None else int(seed)
    missing = [f for f in FILES if not (run_dir / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{run_dir} is not a complete trained model: missing {missing}")
    saved = json.loads((run_dir / "config.json").read_text())
    if config is not None:
        want = _record(config, seed if seed is not None else saved["seed"], data) if data is not None else \
            {"config": config.to_dict(), "seed": seed if seed is not None else saved["seed"]}
        have = saved if data is not None else {k: saved[k] for k in ("config", "seed")}
        diff = _differences(want, have)
        if diff:
            raise ValueError(f"the model saved in {run_dir} was trained differently: " + "; ".join(diff))
    cfg = CRConfig.from_dict(saved["config"])
    model = ContextualRegression(load_keras_model(run_dir / "model.keras"), cfg)
    return TrainedModel(model, cfg, int(saved["seed"]), pd.read_csv(run_dir / "history.csv"),
                        json.loads((run_dir / "metrics.json").read_text()), run_dir, reused=True)


def train_or_load(config: CRConfig, data: PromoterSet, seed: int, run_dir: str | os.PathLike,
                  progress: bool = True) -> TrainedModel:
    """The trained model of ``(config, seed, data)`` in ``run_dir``: loaded if there, else
    trained and saved. A folder trained with anything else raises ``ValueError``."""
    run_dir = Path(run_dir)
    if (run_dir / "config.json").is_file():
        return load(run_dir, config, seed, data)
    trained = fit(config, data, seed, progress=progress)
    save(trained, run_dir, data)
    return trained


def run_name(config: CRConfig, seed: int) -> str:
    """Folder name of a run, e.g. ``"contextual-3f2a9c1b0d4e-seed0"``."""
    return f"{config.head}-{config.fingerprint()}-seed{int(seed)}"


def load_run(run_root: str | os.PathLike, config: CRConfig, seed: int) -> TrainedModel:
    """The model of ``(config, seed)`` saved under ``<run_root>/<run_name>`` (checked against
    the request), as :func:`creme_lib.promoters.comparison.compare_predictors` saved it."""
    return load(Path(run_root) / run_name(config, seed), config, seed)
