"""creme_lib.promoters.comparison and the promoter model page (notebooks/promoters_01_model.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from tiny_promoters import write_ecoli

from creme_lib.promoters import comparison, data, model

ROOT = Path(__file__).resolve().parents[1]
CFG = model.get_config("smoke", n_val=60, batch_size=32, max_epochs=4, patience=2, learning_rate=1e-3)


@pytest.fixture(scope="module")
def ecoli(tmp_path_factory):
    return write_ecoli(tmp_path_factory.mktemp("ecoli"), n=400)


def test_compare_predictors_and_reuse(ecoli, tmp_path):
    train, test = data.load_dataset("ecoli", ecoli)
    scores = comparison.compare_predictors(train, test, CFG, seeds=[0, 1], run_root=tmp_path, progress=False)
    assert list(scores.columns[:9]) == comparison.SCORE_COLUMNS
    assert scores["model"].tolist() == [m for m in comparison.PREDICTORS for _ in (0, 1)]
    assert (scores["n"] == len(test)).all() and scores["r2"].notna().all()
    nets = scores[scores.model != "6-mer ridge"]
    assert (nets["train_seconds"] > 0).all() and len(list(tmp_path.iterdir())) == 4
    again = comparison.compare_predictors(train, test, CFG, seeds=[0, 1], run_root=tmp_path, progress=False)
    assert (again.loc[again.model != "6-mer ridge", "train_seconds"] == 0).all()  # reloaded, not retrained
    cols = ["pearson_r", "spearman_rho", "r2", "auroc_active"]
    np.testing.assert_allclose(again[cols].to_numpy(), scores[cols].to_numpy(), rtol=1e-5)
    summ = comparison.summarize(scores)
    assert summ["model"].tolist() == list(comparison.PREDICTORS) and (summ["seeds"] == 2).all()
    r = scores[scores.model == "plain CNN"]["pearson_r"]
    assert summ.loc[1, "pearson_r_mean"] == pytest.approx(r.mean()) and summ.loc[1, "pearson_r_sd"] == pytest.approx(r.std())
    with pytest.raises(KeyError, match="unknown predictors"):
        comparison.compare_predictors(train, test, CFG, predictors=["svm"])


def test_resplits_are_disjoint_and_sized(ecoli):
    train, test = data.load_dataset("ecoli", ecoli)
    parts = data.resplit(train, test, n_splits=2, seed=0)
    assert len(parts) == 2
    for tr, te in parts:
        assert len(tr) == len(train) and len(te) <= len(test)
        assert not set(tr.meta.sequence) & set(te.meta.sequence)
    assert parts[0][1].meta.sequence.tolist() != parts[1][1].meta.sequence.tolist()


def _run_page(stem: str, folder: Path, results: Path, data_dir: Path, **params) -> list:
    page = folder / f"{stem}.ipynb"
    args = []
    for k, v in {"preset": "smoke", "data_dir": str(data_dir), "results_dir": str(results), **params}.items():
        args += ["-p", k, json.dumps(v)]
    cmd = [sys.executable, "-m", "creme_lib.pipeline", "notebook", str(ROOT / "notebooks" / f"{stem}.py"), str(page),
           *args, "--title", stem, "--cwd", str(ROOT)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    nb = nbformat.read(page, as_version=4)
    outs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outs if o.get("output_type") == "error"], stem
    assert not [o for o in outs if o.get("output_type") == "stream" and o.get("name") == "stderr"], stem
    assert str(folder) not in "".join(str(o) for o in outs)  # no machine paths on the page
    return outs


def _markdown(outs: list) -> str:
    return "".join(str(o.get("data", {}).get("text/markdown", "")) for o in outs)


@pytest.fixture(scope="module")
def model_page(ecoli, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    return folder, _run_page("promoters_01_model", folder, folder / "results", ecoli)


@pytest.mark.slow
def test_model_page_runs_on_tiny_data(model_page):
    folder, outs = model_page
    assert sum("image/png" in o.get("data", {}) for o in outs) == 2
    scores = pd.read_csv(folder / "results" / "ecoli" / "test_scores.csv")
    assert scores["model"].tolist() == list(comparison.PREDICTORS)
    assert "2 of them (2 distinct sequences) are also in the training file" in _markdown(outs)


@pytest.mark.slow
def test_interpretation_page_runs_on_the_trained_model(model_page, ecoli):
    folder, _ = model_page
    outs = _run_page("promoters_02_interpretation", folder, folder / "results", ecoli, ks=[2, 3])
    text = _markdown(outs)
    assert "clusters** (highest mean silhouette" in text
    for name in ("filter_matches", "motif_roles", "motif_communities", "motif_edges"):
        assert (folder / "results" / "ecoli" / f"{name}.csv").is_file()
    roles = pd.read_csv(folder / "results" / "ecoli" / "motif_roles.csv")
    assert set(roles["role"]) <= {"activating", "repressive"} and roles["motif"].nunique() == 8


@pytest.mark.slow
def test_distance_page_runs_after_the_interpretation(model_page, ecoli):
    folder, _ = model_page
    _run_page("promoters_02_interpretation", folder, folder / "results", ecoli, ks=[2])
    outs = _run_page("promoters_03_distance", folder, folder / "results", ecoli)
    assert "modal spacer" in _markdown(outs)
    sites = pd.read_csv(folder / "results" / "ecoli" / "spacer_lengths.csv")
    assert sites["spacer"].between(12, 22).all() and len(sites) > 50


@pytest.mark.slow
def test_creme_page_runs_on_the_trained_model(model_page, ecoli):
    folder, _ = model_page
    outs = _run_page("promoters_04_creme", folder, folder / "results", ecoli, n_promoters=12, n_shuffles=2)
    text = _markdown(outs)
    assert "Most necessary tiles" in text and "peaks at a spacer of" in text and "context effect" in text
    assert "fine-tile search" in text or "restores enough activity" in text
    scan = pd.read_csv(folder / "results" / "ecoli" / "creme_tile_scan.csv")
    assert scan["seq_id"].nunique() == 12 and len(scan) == 12 * 14
    assert sorted(scan["rel_start"].unique()) == [r for r in range(-120, 30, 10) if r != 0]


@pytest.mark.slow
def test_resplit_protocol_pages(ecoli, tmp_path):
    outs = _run_page("promoters_01_model", tmp_path, tmp_path / "results", ecoli, resplits=2)
    scores = pd.read_csv(tmp_path / "results" / "ecoli" / "test_scores.csv")
    assert sorted(scores["split"].unique()) == [0, 1] and len(scores) == 2 * len(comparison.PREDICTORS)
    assert sorted(p.name for p in (tmp_path / "results" / "ecoli" / "models").iterdir()) == ["resplit0", "resplit1"]
    outs = _run_page("promoters_02_interpretation", tmp_path, tmp_path / "results", ecoli, resplits=2, ks=[2])
    assert "clusters** (highest mean silhouette" in _markdown(outs)
