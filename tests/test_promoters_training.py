"""creme_lib.promoters.training: seeded, atomic, reused on rerun; a mismatching saved model is refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tiny_promoters import write_ecoli

from creme_lib.promoters import data as D
from creme_lib.promoters import model as M
from creme_lib.promoters import training as T

CFG = M.get_config("smoke", n_val=60, batch_size=32, max_epochs=40, patience=8)


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    folder = write_ecoli(tmp_path_factory.mktemp("ecoli"), n=400)
    return D.load_ecoli("train", folder), D.load_ecoli("test", folder)


@pytest.fixture(scope="module")
def trained(sets, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "cr"
    return T.train_or_load(CFG, sets[0], seed=0, run_dir=run, progress=False)


def test_learns_the_planted_motif_count(trained, sets):
    from creme_lib.promoters.evaluation import regression_scores

    te = sets[1]
    scores = regression_scores(te.y, trained.model.predict_expression(te.x))
    assert scores["pearson_r"] > 0.6, scores
    assert trained.metrics["n_val"] == 60 and trained.metrics["epochs"] == len(trained.history)
    assert 1 <= trained.metrics["best_epoch"] <= trained.metrics["epochs"]


def test_feature_kernel_stays_non_negative(trained, sets):
    assert (trained.model.motif_kernels() >= 0).all()
    assert (trained.model.features(sets[1].x) >= 0).all()


def test_same_seed_same_predictions(sets):
    cfg = CFG.replace(max_epochs=3)
    a = T.fit(cfg, sets[0], seed=5, progress=False).model.predict_expression(sets[1].x)
    b = T.fit(cfg, sets[0], seed=5, progress=False).model.predict_expression(sets[1].x)
    c = T.fit(cfg, sets[0], seed=6, progress=False).model.predict_expression(sets[1].x)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_plateau_cuts_the_learning_rate(sets):
    import keras

    # A huge rate makes the validation loss stall at once, so every plateau cuts the rate.
    cfg = CFG.replace(max_epochs=4, patience=4, learning_rate=1.0, lr_plateau_patience=1, lr_plateau_factor=0.5)
    lr = lambda t: float(keras.ops.convert_to_numpy(t.model.keras_model.optimizer.learning_rate))  # noqa: E731
    cut = T.fit(cfg, sets[0], seed=0, progress=False)
    flat = T.fit(cfg.replace(lr_plateau_patience=0), sets[0], seed=0, progress=False)
    assert lr(flat) == pytest.approx(1.0)
    assert lr(cut) < 1.0 and np.log2(lr(cut)) == pytest.approx(round(np.log2(lr(cut))))  # halved whole times


def test_rerun_reuses_the_saved_model(trained, sets):
    run = trained.path
    stamp = {p.name: p.stat().st_mtime_ns for p in run.iterdir()}
    again = T.train_or_load(CFG, sets[0], seed=0, run_dir=run, progress=False)
    assert again.reused and {p.name: p.stat().st_mtime_ns for p in run.iterdir()} == stamp
    np.testing.assert_allclose(again.model.predict_expression(sets[1].x), trained.model.predict_expression(sets[1].x),
                               rtol=1e-6)
    rec = json.loads((run / "config.json").read_text())
    assert rec["seed"] == 0 and rec["config"] == CFG.to_dict() and rec["data"]["n"] == len(sets[0])
    assert sorted(p.name for p in run.parent.iterdir()) == ["cr"]  # no temporary folder left


def test_a_differently_trained_model_is_refused(trained, sets):
    run = trained.path
    with pytest.raises(ValueError, match=r"config.n_motifs: requested 16, saved 8"):
        T.train_or_load(CFG.replace(n_motifs=16), sets[0], seed=0, run_dir=run, progress=False)
    with pytest.raises(ValueError, match="seed: requested 1, saved 0"):
        T.train_or_load(CFG, sets[0], seed=1, run_dir=run, progress=False)
    with pytest.raises(ValueError, match="data.fingerprint"):
        T.train_or_load(CFG, sets[1], seed=0, run_dir=run, progress=False)


def test_failed_save_leaves_nothing(sets, tmp_path, monkeypatch):
    t = T.fit(CFG.replace(max_epochs=1), sets[0], seed=0, progress=False)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(type(t.history), "to_csv", boom)
    with pytest.raises(OSError, match="disk full"):
        T.save(t, tmp_path / "run", sets[0])
    assert list(tmp_path.iterdir()) == []


def test_incomplete_folder_and_wrong_length(sets, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="missing"):
        T.load(tmp_path / "run")
    with pytest.raises(ValueError, match="150 bp but the config expects 400 bp"):
        T.fit(M.PRESETS["paper"], sets[0], seed=0, progress=False)


def test_paper_preset_trains_on_xpresso_files(tmp_path):
    from tiny_promoters import write_xpresso

    for i, split in enumerate(("train", "valid", "test")):
        write_xpresso(tmp_path / f"{split}.h5", n=12, seed=i)
    train, test = D.load_dataset("xpresso", tmp_path)
    assert len(train) == 24 and train.seq_length == 400 and len(test) == 12
    cfg = M.get_config("paper", n_val=4, max_epochs=2, batch_size=8)
    t = T.train_or_load(cfg, train, seed=0, run_dir=tmp_path / "run", progress=False)
    assert t.model.predict_expression(test.x).shape == (12,)
    assert t.model.weighted_features(test.x).shape == (12, 64)
    with pytest.raises(ValueError, match="needs data_dir"):
        D.load_dataset("xpresso")
