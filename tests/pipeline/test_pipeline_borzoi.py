"""The ``borzoi`` pipeline preset: the paper's sizes, its DAG, and a small run through a 524,288 bp stand-in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from creme_lib import pipeline as P
from creme_lib.models.layouts import BORZOI_LAYOUT
from creme_lib.paths import published_results_dir

ROOT = Path(__file__).resolve().parents[2]
STANDIN = "creme_lib.world.standin:borzoi_sized_model"
TINY = dict(
    n_genes=8, n_shuffles_context=2, n_shuffles=1, max_per_category=2, swap_per_category=2, max_cres=1,
    max_fine_tile=1, max_greedy=1, n_greedy_rounds=2, n_copies=2,
)
# Columns this pipeline adds to the published Borzoi tables (the Enformer tables have them too).
EXTRA = {
    "context_dependence_test.csv": {"seq_id", "std", "mean_mut"},
    "K562_selected_contexts.csv": {"seq_id", "std", "mean_mut"},
    "distance_test.csv": {"context", "control", "Normalized CRE effect (control)"},
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from creme_lib.world import SMALL_CONFIG, generate_world, load_world

    return load_world(generate_world(tmp_path_factory.mktemp("world"), seed=0, config=SMALL_CONFIG).root)


@pytest.fixture(scope="module")
def borzoi_run(world, tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    cfg = P.configure("K562", "borzoi", world.fasta, world.gtf, results_dir=results, model_factory=STANDIN,
                      max_n_fraction=1.0, **TINY)
    for fns in P.STEP_FUNCTIONS.values():
        for fn in fns:
            fn(cfg)
    P.merge_tables(results, "borzoi", ["K562"])
    return cfg


def test_preset_has_the_papers_borzoi_sizes():
    b = P.PRESETS["borzoi"]
    assert (b.n_genes, b.n_shuffles_context, b.n_shuffles, b.tile_size) == (10_000, 5, 5, 5_000)
    assert tuple(b.bins) == BORZOI_LAYOUT.tss_bins == tuple(range(3068, 3076))
    assert P.SEQ_LENGTHS["borzoi"] == 524_288
    assert P.track_label("borzoi", "GM12878") == "870&871" and P.track_label("enformer", "GM12878") == "5110"
    assert P.track_title("borzoi", "K562") == "K562 ENCODE, biol_" and P.track_title("borzoi", "PC-3") == "PC-3"


def test_tile_grid_is_the_published_one(borzoi_run):
    pub = published_results_dir() / "borzoi" / "sufficiency_test_tile_coordinates.csv"
    if not pub.is_file():
        pytest.skip("published Borzoi tables not found")
    coords = pd.read_csv(pub, index_col=0)
    tss, tiles = P.tiles_of(borzoi_run)
    assert len(tiles) == 102 and tss == (259_644, 264_644)
    np.testing.assert_array_equal(coords.drop(columns="tss").to_numpy().T, tiles)
    assert tuple(coords["tss"]) == tss


def test_tables_have_the_published_borzoi_names_and_columns(borzoi_run):
    pub = published_results_dir() / "borzoi"
    if not pub.is_dir():
        pytest.skip("published Borzoi tables not found")
    from creme_lib.published import COLUMN_RENAMES

    def cols(p):
        return {c for c in pd.read_csv(p, nrows=0).columns if c and not c.startswith("Unnamed")}

    checked = 0
    for path in sorted(pub.glob("*.csv")):
        if path.name.startswith(("GM12878", "PC-3", "870&871", "298&299")):
            continue  # the run has K562 only
        mine = borzoi_run.root / path.name
        assert mine.is_file(), f"the borzoi preset does not write {path.name}"
        published = {COLUMN_RENAMES.get(("borzoi", path.stem), {}).get(c, c) for c in cols(path)}
        assert cols(mine) - published == EXTRA.get(path.name, set()), path.name
        assert published <= cols(mine), path.name
        checked += 1
    assert checked == 6  # genes, contexts, context test, distance, tile coordinates, sufficient CREs
    genes = pd.read_csv(borzoi_run.root / "872&873_K562 ENCODE, biol__selected_genes.csv")
    assert "K562 ENCODE, biol_" in genes.columns and len(genes) == TINY["n_genes"]


def test_the_standin_sees_the_world_through_borzois_bins(world, borzoi_run):
    from creme_lib.world import SyntheticModel
    from creme_lib.world.standin import borzoi_sized_model

    standin = borzoi_sized_model("K562", bins=list(BORZOI_LAYOUT.tss_bins))
    gene = world.genes.iloc[0]
    big = P.load_window(borzoi_run, gene.chrom, int(gene.tss), gene.strand)
    small = world.window(gene.gene_name)
    ref = SyntheticModel(bins=[447, 448], tracks=["K562"]).predict(small)[0, :, 0]
    got = standin.predict(big)[0, :, 0]
    np.testing.assert_allclose(got, np.repeat(ref, 4), rtol=1e-5)


def test_a_factory_of_the_wrong_size_is_refused(world, tmp_path):
    cfg = P.configure("K562", "synthetic", world.fasta, world.gtf, results_dir=tmp_path, model_factory=STANDIN, **TINY)
    with pytest.raises(ValueError, match="must return a Model of 196,608 bp"):
        P.get_model(cfg)
    with pytest.raises(ValueError, match="package.module:function"):
        P.get_model(P.configure("K562", "borzoi", world.fasta, world.gtf, results_dir=tmp_path, model_factory="nocolon"))
    with pytest.raises(ValueError, match="bad value for precision"):
        P.configure("K562", "borzoi", world.fasta, world.gtf, precision="fp8")


def test_snakemake_dry_run_lists_the_borzoi_dag(tmp_path):
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2"}
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path), "-n",
           "--config", "model=borzoi", "locus_page=false", "promoters_page=false"]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout + res.stderr
    for step in P.STEPS:
        assert f"page_{step}" in out
    assert "results/borzoi/merged_tables.txt" in out
    assert "validation" not in out  # the world's truth scores the synthetic model only


def test_borzoi_preset_classifies_with_the_published_borzoi_cut_offs(world, tmp_path):
    from creme_lib.analysis import BORZOI_THRESHOLDS

    cfg = P.configure("K562", "borzoi", world.fasta, world.gtf, results_dir=tmp_path, model_factory=STANDIN, **TINY)
    assert (cfg.thresholds.enhancing, cfg.thresholds.silencing) == (BORZOI_THRESHOLDS.enhancing, BORZOI_THRESHOLDS.silencing)
    syn = P.configure("K562", "synthetic", world.fasta, world.gtf, results_dir=tmp_path, **TINY)
    assert (syn.thresholds.enhancing, syn.thresholds.silencing) == (0.95, -0.3)  # the paper's (Enformer)


@pytest.mark.slow
def test_ed_fig2_draws_enformer_versus_borzoi_from_two_fresh_runs(world, tmp_path):
    """Both presets on the world (the world's model under each interface): ED Fig. 2 from the runs."""
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    factories = {"enformer": "creme_lib.world.standin:enformer_sized_model", "borzoi": STANDIN}
    for model, factory in factories.items():
        for cell in ("K562", "GM12878", "PC-3"):
            cfg = P.configure(cell, model, world.fasta, world.gtf, results_dir=tmp_path, model_factory=factory,
                              max_n_fraction=1.0, **TINY)
            for fn in P.STEP_FUNCTIONS["01_tss_activity"] + P.STEP_FUNCTIONS["02_context_dependence"]:
                fn(cfg)
        P.merge_tables(tmp_path, model, ["K562", "GM12878", "PC-3"])
    page = ROOT / "book" / "figures" / "ed_fig2.md"
    nb = jupytext.read(page)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = f'results_dir = {str(tmp_path)!r}\nmodel = "enformer"'
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(page.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 4  # panel a (3 facets in one) + 3 histograms
    # The world's model is both "Enformer" and (through its central window) "Borzoi": the
    # scatter is the diagonal, every selected gene matched.
    from creme_lib.published import model_activity_pairs

    act = pd.concat([model_activity_pairs(tmp_path, c) for c in ("K562", "GM12878", "PC-3")])
    assert len(act) >= 2 * TINY["n_genes"]  # genes selected by both runs (at most n_genes per line)
    np.testing.assert_allclose(act["Borzoi WT"], act["Enformer WT"], rtol=1e-4)
