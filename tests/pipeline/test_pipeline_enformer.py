"""The GPU user's path end to end: the whole Snakefile with ``model=enformer`` on a tiny SavedModel.

The SavedModel has TF Hub Enformer's signature and its 5,313-track human head
(``tiny_enformer_motif.py``), so the preset runs as on a GPU node: the handle setting points at
it, the cell line's CAGE track (K562: 5111) and the TSS bins 447/448 are the paper's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

pytest.importorskip("tensorflow_hub")

from creme_lib import pipeline as P  # noqa: E402
from creme_lib.paths import published_results_dir  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OVER = dict(max_per_category=2, swap_per_category=2, max_cres=1, max_fine_tile=1, max_greedy=1, n_greedy_rounds=2, n_copies=2)
# Published Enformer tables the pipeline does not write (see test_pipeline.NOT_PRODUCED).
NOT_PRODUCED = {"coverage_profiles.csv", "example_sequences.csv"}


def _columns(path: Path) -> set[str]:
    return {c for c in pd.read_csv(path, nrows=0).columns if c and not c.startswith("Unnamed")}


@pytest.fixture(scope="module")
def enformer_run(tmp_path_factory):
    from tiny_enformer_motif import build_motif_enformer

    from creme_lib.world import SMALL_CONFIG, generate_world, load_world

    tmp = tmp_path_factory.mktemp("enf")
    world = load_world(generate_world(tmp / "world", seed=0, config=SMALL_CONFIG).root)
    handle = build_motif_enformer(tmp / "savedmodel")
    over = {**OVER, "enformer_handle": str(handle)}
    cfg = [
        "model=enformer", "cell_lines=[K562]", f"genome_fasta={world.fasta}", f"annotation_gtf={world.gtf}",
        f"results_dir={tmp / 'results'}", f"book_dir={tmp / 'book'}", "n_genes=8", "n_shuffles=1", "n_shuffles_context=2",
        "locus_page=false",
        "promoters_page=false", "overrides={" + ", ".join(f"{k}: {v}" for k, v in over.items()) + "}",
    ]
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp), "-c2", "--config", *cfg]
    t0 = time.time()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    logs = "\n".join(p.read_text()[-3000:] for p in (tmp / "results" / "enformer" / "logs").glob("*.log")) if res.returncode else ""
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:] + logs
    return tmp, time.time() - t0


@pytest.mark.slow
def test_every_step_runs_and_every_page_renders(enformer_run):
    tmp, _ = enformer_run
    for step in P.STEPS:
        nb = nbformat.read(tmp / "book" / f"{step}_K562.ipynb", as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        assert not [o for o in outputs if o.get("output_type") == "error"], step
        text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
        assert "Traceback" not in text, step
    genes = pd.read_csv(tmp / "results" / "enformer" / "5111_K562_selected_genes.csv")
    assert list(genes.columns[-1:]) == ["K562"] and len(genes) == 8


@pytest.mark.slow
def test_tables_are_in_the_published_enformer_schema(enformer_run):
    tmp, _ = enformer_run
    pub = published_results_dir() / "enformer"
    if not pub.is_dir():
        pytest.skip("published tables not found")
    ours = tmp / "results" / "enformer"
    checked = 0
    for path in sorted(pub.rglob("*.csv")):
        rel = path.relative_to(pub)
        if rel.name in NOT_PRODUCED or rel.name.startswith(("GM12878", "PC-3", "5110_", "4824_")):
            continue
        mine = ours / rel
        assert mine.is_file(), f"the enformer preset does not write {rel}"
        assert _columns(mine) == _columns(path), rel
        checked += 1
    assert checked >= 16


@pytest.mark.slow
def test_the_model_saw_the_perturbations(enformer_run):
    """The motif term makes contexts differ: not every context effect is 0."""
    tmp, _ = enformer_run
    cd = pd.read_csv(tmp / "results" / "enformer" / "context_dependence_test.csv")
    assert len(cd) == 8 and cd["delta_mean"].abs().max() > 1e-3
