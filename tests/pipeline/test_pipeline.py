"""The pipeline (creme_lib.pipeline, notebooks/, Snakefile) on a small simulated world.

* ``tiny_run`` (module fixture): every step function in-process for K562 on the SMALL world
  with tiny sizes, then ``merge_tables``; shared by the unit and schema tests.
* ``snakemake_run`` (module fixture, slow): the Snakefile runs every notebook with papermill
  for GM12878 on the same world (fresh results), then merge and TOC.
* A kill-and-resume test and a shard test compare resumed / sharded tables with the
  uninterrupted ones.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from tiny_promoters import write_ecoli

from creme_lib import pipeline as P

ROOT = Path(__file__).resolve().parents[2]

# Tiny sizes: every step runs, on few sequences, in seconds.
TINY = dict(
    n_genes=8, n_shuffles_context=2, n_shuffles=1, max_per_category=2, swap_per_category=2, max_cres=1,
    max_fine_tile=1, max_greedy=1, n_greedy_rounds=2, n_copies=2,
)

# Columns a run's table holds beyond the published one's, and why.
EXTRA_COLUMNS = {
    "example_sequences.csv": {"cell_line"},  # the published table does not say whose examples they are
}

# Published tables the pipeline does not write, and why.
NOT_PRODUCED = {
    "coverage_profiles.csv": "mean coverage profiles over all 896 output bins (the pipeline keeps only the TSS bins)",
    "pvalues_per_TF_for_sufficient_CREs.csv": None,  # produced, under CRE_characterization/
}


def _env():
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["CUDA_VISIBLE_DEVICES"] = ""
    env["PYTHONHASHSEED"] = "0"
    return env


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from creme_lib.world import SMALL_CONFIG, generate_world, load_world

    files = generate_world(tmp_path_factory.mktemp("world"), seed=0, config=SMALL_CONFIG)
    return load_world(files.root)


def _cfg(world, results, cell_line="K562", **kw):
    return P.configure(cell_line, "synthetic", world.fasta, world.gtf, results_dir=results, **{**TINY, **kw})


@pytest.fixture(scope="module")
def tiny_run(world, tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    cfg = _cfg(world, results)
    for step, fns in P.STEP_FUNCTIONS.items():
        for fn in fns:
            fn(cfg)
    P.merge_tables(results, "synthetic", ["K562"])
    return cfg


# ------------------------------------------------------------------------ bad input


def test_missing_fasta_or_gtf(world, tmp_path):
    with pytest.raises(FileNotFoundError, match="genome FASTA not found"):
        P.configure("K562", genome_fasta=tmp_path / "no.fa", annotation_gtf=world.gtf)
    with pytest.raises(FileNotFoundError, match="annotation GTF not found"):
        P.configure("K562", genome_fasta=world.fasta, annotation_gtf=tmp_path / "no.gtf")
    with pytest.raises(FileNotFoundError, match="bigWig folder not found"):
        P.configure("K562", genome_fasta=world.fasta, annotation_gtf=world.gtf, bigwig_dir=tmp_path / "nope")


def test_unknown_cell_line_names_available_tracks(world):
    with pytest.raises(ValueError, match=r"no track for cell line 'HepG2'.*K562, GM12878, PC-3"):
        P.configure("HepG2", genome_fasta=world.fasta, annotation_gtf=world.gtf)
    with pytest.raises(ValueError, match="unknown model"):
        P.configure("K562", model="gpt", genome_fasta=world.fasta, annotation_gtf=world.gtf)
    with pytest.raises(ValueError, match="unknown pipeline parameter"):
        P.configure("K562", genome_fasta=world.fasta, annotation_gtf=world.gtf, n_gene=3)
    with pytest.raises(ValueError, match="shard_index"):
        P.configure("K562", genome_fasta=world.fasta, annotation_gtf=world.gtf, shard_index=2, shard_count=2)


def test_flags_from_the_command_line():
    from creme_lib.pipeline.config import parse_flag

    assert [parse_flag(v) for v in ("false", "False", "no", "0", False, "true", "yes", True, 1)] == [False] * 5 + [True] * 4
    with pytest.raises(ValueError, match="not a yes/no value: 'maybe'"):
        parse_flag("maybe")


def test_part_provenance_covers_what_decides_a_part(world):
    import dataclasses

    cfg = P.configure("K562", genome_fasta=world.fasta, annotation_gtf=world.gtf, **TINY)

    def changed(test, **kw):
        return cfg.provenance(test) != dataclasses.replace(cfg, **kw).provenance(test)

    assert changed("context_swap", swap_per_category=3) and changed("context_swap", n_genes=5)
    assert changed("cre_marks", n_shuffles=5) and changed("necessity", n_shuffles=5) and changed("necessity", seed=1)
    assert changed("greedy_min", n_greedy_rounds=4) and changed("fine_tile_bp", motif_pvalue=1e-4)
    assert changed("context_dependence", n_shuffles_context=7) and changed("tss_activity", max_n_fraction=0.5)
    # What only decides which genes run, or how they are batched, does not invalidate parts.
    assert not changed("necessity", n_copies=9) and not changed("necessity", batch_size=16)
    assert not changed("context_dependence", max_per_category=9)


def test_too_many_genes(world, tmp_path):
    cfg = _cfg(world, tmp_path, n_genes=13)
    with pytest.raises(ValueError, match="n_genes=13 but the annotation has only 12"):
        P.select_genes(cfg)


def test_window_off_the_chromosome_is_skipped_and_logged(world, tmp_path, caplog):
    gtf = tmp_path / "genes.gtf"
    extra = 'chr1\tx\ttranscript\t1001\t3000\t.\t+\t.\tgene_id "EDGE1"; gene_type "protein_coding"; gene_name "EDGE"; transcript_id "EDGET1"; transcript_type "protein_coding";\n'
    missing = 'chrZ\tx\ttranscript\t500001\t503000\t.\t+\t.\tgene_id "Z1"; gene_type "protein_coding"; gene_name "ZED"; transcript_id "ZT1"; transcript_type "protein_coding";\n'
    gtf.write_text(Path(world.gtf).read_text() + extra + missing)
    cfg = P.configure("K562", genome_fasta=world.fasta, annotation_gtf=gtf, results_dir=tmp_path / "r", **{**TINY, "n_genes": 12})
    with caplog.at_level("WARNING", logger="creme_lib"):
        sel = P.select_genes(cfg)
    assert "EDGE" not in set(sel.gene_name) and len(sel) == 12
    skipped = P.read_cell_table(cfg, "skipped_tss")
    assert set(skipped.gene_id) == {"EDGE1", "Z1"}
    assert "N (> 10%)" in skipped.set_index("gene_id").loc["EDGE1", "skipped"]
    assert "not in the FASTA" in skipped.set_index("gene_id").loc["Z1", "skipped"]
    assert "skipped TSS EDGE_chr1_1000_+" in caplog.text
    # 13 genes exist in the annotation but only 12 have a usable window.
    cfg13 = P.configure("K562", genome_fasta=world.fasta, annotation_gtf=gtf, results_dir=tmp_path / "r", **{**TINY, "n_genes": 13})
    with pytest.raises(ValueError, match="only 12 genes have a usable TSS window"):
        P.select_genes(cfg13)


def test_missing_upstream_step(world, tmp_path):
    cfg = _cfg(world, tmp_path)
    with pytest.raises(FileNotFoundError, match="run step 01_tss_activity"):
        P.run_context_dependence(cfg)
    with pytest.raises(FileNotFoundError, match="run step 05_sufficiency"):
        P.load_sufficient_cres(cfg)


def test_step06_needs_bigwigs(tiny_run, tmp_path):
    cfg = P.PipelineConfig(**{**{f: getattr(tiny_run, f) for f in tiny_run.__dataclass_fields__}, "bigwig_dir": None})
    with pytest.raises(FileNotFoundError, match="step 06 needs bigWig tracks"):
        P.run_cre_marks(cfg)


def test_enformer_preset_keeps_the_paper_parameters():
    from creme_lib.models.enformer import CAGE_TRACKS, TSS_BINS

    e = P.PRESETS["enformer"]
    assert (e.n_genes, e.n_shuffles_context, e.n_shuffles, e.tile_size) == (10_000, 100, 10, 5_000)
    assert tuple(e.bins) == tuple(TSS_BINS) and e.max_per_category == 200
    assert P.available_tracks("enformer") == CAGE_TRACKS
    s = P.PRESETS["synthetic"]
    assert s.n_genes < e.n_genes and s.n_shuffles < e.n_shuffles and s.tile_size == e.tile_size


# --------------------------------------------------------------------- step functions


def test_selected_genes(tiny_run):
    from creme_lib import published

    cfg = tiny_run
    path = P.selected_genes_path(cfg)
    assert path.name == "0_K562_selected_genes.csv"
    df = pd.read_csv(path)
    assert list(df.columns) == ["Chromosome", "Start", "gene_name", "gene_id", "Strand", "K562"]
    assert len(df) == TINY["n_genes"] and df.gene_name.is_unique
    assert df.K562.is_monotonic_increasing
    tss = P.read_cell_table(cfg, "tss_activity")
    assert df.K562.min() >= tss.drop_duplicates("gene_name").activity.nsmallest(len(tss) - TINY["n_genes"]).max()
    loaded = published.selected_genes(cfg.results_dir, "synthetic", "K562")
    assert loaded.seq_id.str.match(r"^SYN\d+_chr\d_\d+_[+-]$").all()


def test_context_classification(tiny_run, world):
    cfg = tiny_run
    table = P.read_cell_table(cfg, "context_dependence_test")
    d = table.set_index("seq_id").delta_mean
    ctx = table.set_index("seq_id").context
    assert (d[ctx == "enhancing"] > 0.95).all() and (d[ctx == "neutral"].abs() < 0.05).all()
    assert (d[ctx == "silencing"] < -0.3).all()
    sel = pd.read_csv(P.selected_contexts_path(cfg))
    assert (sel.context.value_counts() <= TINY["max_per_category"]).all()
    counts = P.read_cell_table(cfg, "N_seqs_per_context_category").set_index("context category")
    assert counts.loc["enhancing", "Number of contexts"] == (ctx == "enhancing").sum()
    # The world's truth: genes planted with an enhancing program in K562 come out enhancing.
    from creme_lib.world import context_truth

    truth = context_truth(world, "K562").set_index("gene_id").category
    genes = P.load_selected_genes(cfg).set_index("seq_id").gene_id
    agree = (ctx == truth.loc[genes.loc[ctx.index]].values).mean()
    assert agree >= 0.75


def test_context_examples_are_the_tests_own_sequences(tiny_run):
    """Fig. 1c's tracks: per category the context nearest its median, over every output bin;
    their TSS bins give the context dependence test's WT and (one shuffle of two) MUT."""
    cfg = tiny_run
    ex = P.read_cell_table(cfg, "example_sequences", index_col=0)
    sel = pd.read_csv(P.selected_contexts_path(cfg))
    cats = [c for c in ("enhancing", "neutral", "silencing") if (sel.context == c).any()]
    assert list(pd.unique(ex["name"])) == [f"{c} context" for c in cats] and (ex["cell_line"] == "K562").all()
    n_bins = P.get_model(cfg).n_bins
    assert (ex.groupby("name").size() == n_bins).all()
    parts = {sid: pd.read_csv(cfg.store().part(cfg.cell_line, "context_dependence", sid)) for sid in sel.seq_id}
    for c in cats:
        g = sel[sel.context == c]
        pick = g.iloc[int((g.delta_mean - g.delta_mean.median()).abs().to_numpy().argmin())]
        e = ex[ex["name"] == f"{c} context"]
        tss = e.iloc[list(cfg.bins)]
        assert tss["WT"].mean() == pytest.approx(pick.wt, rel=1e-5)
        # the context test averaged two shuffles and the first is drawn: with two values m1, m2,
        # |m1 - mean| is exactly their (population) standard deviation
        part = parts[pick.seq_id]
        assert abs(tss["MUT"].mean() - part["mean_mut"].iloc[0]) == pytest.approx(part["std"].iloc[0], rel=1e-4, abs=1e-7)


def test_necessity_and_sufficiency_tables(tiny_run, world):
    cfg = tiny_run
    nec = P.read_cell_table(cfg, "necessity_test")
    ctx = pd.read_csv(P.selected_contexts_path(cfg))
    assert len(nec) == len(ctx) * 38
    coords = P.read_cell_table(cfg, "sufficiency_test_tile_coordinates", index_col=0)
    from creme_lib.paths import published_results_dir

    pub = published_results_dir() / "enformer" / "sufficiency_test_tile_coordinates.csv"
    if pub.is_file():
        pd.testing.assert_frame_equal(coords, pd.read_csv(pub, index_col=0), check_dtype=False)
    cres = P.read_cell_table(cfg, "sufficient_CREs")
    assert len(cres) > 0
    from creme_lib.world import tile_truth

    genes = P.load_selected_genes(cfg).set_index("seq_id")
    for r in cres[cres["tile class"] == "Enhancer"].itertuples():
        truth = tile_truth(world, genes.loc[r.seq_id, "gene_id"], "K562")
        assert r.tile_start in set(truth.tile_start), f"{r.seq_id} {r.tile_start}: no active element in that tile"
    c = P.read_cell_table(cfg, "CRE_characterization/sufficient_CRE_coordinates")
    assert (c["CRE end coordinate"] - c["CRE start coordinate"] == 5000).all() and len(c) == len(cres)


def test_downstream_tables(tiny_run):
    cfg = tiny_run
    dist = P.read_cell_table(cfg, "distance_test")
    assert len(dist) == 38 * dist.enf_data_id.nunique() > 0
    for eid, g in dist.groupby("enf_data_id"):
        # The paper's meaning: over the CRE's maximum across positions (peak exactly 1.0).
        assert g["Fold change over control"].max() == pytest.approx(1.0, abs=1e-12)
        assert (g["Fold change over control"] > 0).all()
    loc = P.read_cell_table(cfg, "greedy_search/min_locations")
    assert (loc.groupby("seq_id").size() == 38).all()
    assert (loc.groupby("seq_id").tile_selected.sum() == TINY["n_greedy_rounds"]).all()
    sec = P.read_cell_table(cfg, "greedy_search/min_second_iteration", index_col=0)
    assert list(sec.index[:4]) == ["wt", "greedy_it1", "greedy_it2", "two_cres_shuffled"]
    suf = P.read_cell_table(cfg, "greedy_search/sufficiency_of_greedy_tiles_min")
    assert (suf.groupby("seq_id").size() == TINY["n_greedy_rounds"] + 1).all()
    mult = P.read_cell_table(cfg, "multiplicity")
    assert set(mult["copy number"]) == set(range(1, TINY["n_copies"] + 1))
    comp = P.read_cell_table(cfg, "motif_analysis/CREME_vs_saliency_vs_XSTREME")
    assert comp["CREME score"].iloc[0] == pytest.approx(1.0) and comp["CREME bps"].iloc[0] == 0
    marks = P.read_cell_table(cfg, "CRE_characterization/sufficient_CRE_marks")
    assert {"H3K27ac (max)", "accessibility (mean)", "repeat fraction"} <= set(marks.columns)


def test_rerun_computes_nothing(tiny_run, caplog):
    with caplog.at_level("INFO", logger="creme_lib"):
        P.run_necessity(tiny_run)
    assert "0 parts computed" in caplog.text


def test_shards_give_the_same_tables(tiny_run, tmp_path):
    ref = tiny_run
    results = tmp_path / "results"
    shutil.copytree(ref.root, results / "synthetic")
    shutil.rmtree(results / "synthetic" / "K562" / "sufficiency")
    for i in range(3):
        cfg = P.PipelineConfig(**{**{f: getattr(ref, f) for f in ref.__dataclass_fields__}, "results_dir": results,
                                  "shard_index": i, "shard_count": 3})
        assert P.run_sufficiency(cfg) is None  # a shard computes parts, writes no table
    cfg = P.PipelineConfig(**{**{f: getattr(ref, f) for f in ref.__dataclass_fields__}, "results_dir": results})
    parts = sorted((results / "synthetic" / "K562" / "sufficiency").glob("*.csv"))
    before = {p: p.stat().st_mtime_ns for p in parts}
    P.run_sufficiency(cfg)
    assert {p: p.stat().st_mtime_ns for p in parts} == before
    for name in ("sufficiency_test", "sufficient_CREs"):
        a = (results / "synthetic" / "K562" / f"{name}.csv").read_bytes()
        assert a == (ref.root / "K562" / f"{name}.csv").read_bytes()


def test_motif_scan_finds_a_planted_site_with_exact_pvalues():
    rng = np.random.default_rng(0)
    pwm = np.full((4, 6), 0.02)
    consensus = [0, 1, 2, 3, 3, 0]  # ACGTTA
    pwm[consensus, np.arange(6)] = 0.94
    tokens = rng.integers(0, 4, 300)
    tokens[100:106] = consensus
    x = np.eye(4, dtype=np.float32)[tokens]
    hits = P.motif_hits(x, {"toy": pwm}, pvalue=1e-3)
    assert ((hits.start == 100) & (hits.strand == "+")).any()
    # Exact p-values: brute force over all 4^6 sites.
    lo = np.rint(np.log2((pwm + 0.01) / 1.04 / 0.25) / 0.1).astype(int)
    from creme_lib.motifs import score_survival, survival_threshold

    sf, off = score_survival(lo.T, np.full(4, 0.25))
    thr = survival_threshold(sf, off, 1e-3)
    allsites = np.stack(np.meshgrid(*[range(4)] * 6, indexing="ij"), -1).reshape(-1, 6)
    scores = lo[allsites, np.arange(6)].sum(1)
    for s in (thr - 5, thr, thr + 3):
        assert sf[s - off] == pytest.approx((scores >= s).mean())
    assert (scores >= thr).mean() <= 1e-3 < (scores >= thr - 1).mean()


def test_write_toc(tmp_path):
    pages = [tmp_path / "book" / f"{s}_{c}.ipynb" for s in ("01_tss_activity", "04_necessity") for c in ("K562", "PC-3")]
    out = P.write_toc(tmp_path / "book" / "_toc_generated.yml", pages, "synthetic", root=tmp_path)
    import yaml

    part = yaml.safe_load(out.read_text())[0]
    assert part["caption"] == "Pipeline run (synthetic model)"
    # A page per cell line first (what a reader of one cell line looks for), then the steps.
    assert part["chapters"][:2] == [{"file": "book/run_K562"}, {"file": "book/run_PC-3"}]
    assert part["chapters"][2] == {
        "file": "book/01_tss_activity",
        "sections": [{"file": "book/01_tss_activity_K562"}, {"file": "book/01_tss_activity_PC-3"}],
    }
    index = (tmp_path / "book" / "run_PC-3.md").read_text()
    assert index.startswith("# PC-3: this run's pages")
    assert "[PC-3](04_necessity_PC-3.ipynb)" in index and "K562" not in index
    # The necessity step feeds Fig. 2 and ED Fig. 3 (pages that read necessity_test.csv).
    row = next(ln for ln in index.splitlines() if ln.startswith("| 04"))
    assert "[Fig. 2](" in row and "[Extended Data Fig. 3](" in row and "fig4" not in row
    assert (tmp_path / "book" / "04_necessity.md").read_text().startswith("# 04 CRE necessity test")
    # The contextual-regression pages form a part of their own.
    out = P.write_toc(tmp_path / "book" / "_toc_generated.yml", [*pages, tmp_path / "book" / "promoters_01_model.ipynb"],
                      "synthetic", root=tmp_path)
    parts = yaml.safe_load(out.read_text())
    assert [p["caption"] for p in parts] == ["Pipeline run (synthetic model)", P.PROMOTER_PART]
    assert parts[1]["chapters"] == [{"file": "book/promoters_01_model"}]
    assert "promoters" not in str(parts[0])
    # A page of no step (the locus how-to) joins the book's "Using the library" part.
    out = P.write_toc(tmp_path / "book" / "_toc_generated.yml",
                      [*pages, tmp_path / "book" / "locus.ipynb", tmp_path / "book" / "validation_synthetic.ipynb"],
                      "synthetic", root=tmp_path)
    full = P.compose_toc(ROOT / "_toc.yml", out, tmp_path / "_toc_full.yml")
    toc = yaml.safe_load(full.read_text())
    library = next(p for p in toc["parts"] if p["caption"] == "Using the library")
    assert library["chapters"][0] == {"file": "book/quickstart"} and {"file": "book/locus"} in library["chapters"]
    assert [p["caption"] for p in toc["parts"]].count("Using the library") == 1
    run_part = next(p for p in toc["parts"] if p["caption"].startswith("Pipeline run"))
    assert "locus" not in str(run_part)
    # The validation is no how-to: it closes the run's part.
    assert run_part["chapters"][-1] == {"file": "book/validation_synthetic"} and "validation" not in str(library)


def test_promoter_templates_share_one_parameter_list():
    import jupytext

    for stem in P.PROMOTER_PAGES:
        nb = jupytext.read(ROOT / "notebooks" / f"{stem}.py")
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        ns: dict = {}
        exec(cell.source, ns)
        for name, default in P.PROMOTER_PARAMETERS.items():
            if name == "seeds" and stem != "promoters_01_model":
                assert ns["seed"] == default[0], stem
            else:
                assert ns[name] == default, (stem, name)


def _parameters_cell(stem: str):
    """The papermill ``parameters`` cell of ``notebooks/<stem>.py`` (jupytext) and its assigned names in order."""
    import ast

    import jupytext

    nb = jupytext.read(ROOT / "notebooks" / f"{stem}.py")
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, stem
    names = [t.id for node in ast.parse(cells[0].source).body if isinstance(node, ast.Assign) for t in node.targets]
    return nb, cells[0], names


def test_step_templates_have_exactly_the_notebook_parameters():
    from creme_lib.pipeline.config import NOTEBOOK_PARAMETERS

    for step in P.STEPS:
        nb, cell, names = _parameters_cell(step)
        assert names == list(NOTEBOOK_PARAMETERS), step
        ns: dict = {}
        exec(cell.source, ns)
        assert {k: ns[k] for k in names} == NOTEBOOK_PARAMETERS, step
        # One call turns them into the config: no positional configure(...) copying the list.
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert code.count("pipeline.notebook_config(globals())") == 1 and "pipeline.configure(" not in code, step


def test_notebook_config_takes_the_parameters_and_nothing_else(world, tmp_path):
    from creme_lib.pipeline.config import NOTEBOOK_PARAMETERS

    ns = {**NOTEBOOK_PARAMETERS, "genome_fasta": str(world.fasta), "annotation_gtf": str(world.gtf),
          "cell_line": "GM12878", "n_shuffles": 2, "results_dir": str(tmp_path), "overrides": {"max_cres": 1},
          "plt": object(), "table": None}  # other notebook globals are ignored
    cfg = P.notebook_config(ns)
    positional = P.configure("GM12878", "synthetic", world.fasta, world.gtf, None, tmp_path, 0, 0, 1,
                             n_genes=None, n_shuffles=2, n_shuffles_context=None, batch_size=None, max_cres=1)
    assert cfg == positional and cfg.n_shuffles == 2 and cfg.max_cres == 1
    assert cfg.n_genes == P.PRESETS["synthetic"].n_genes


# ------------------------------------------------------------- published schema


def _columns(path: Path) -> list[str]:
    cols = list(pd.read_csv(path, nrows=0).columns)
    return [c for c in cols if c and not c.startswith("Unnamed")]


def test_tables_have_the_published_names_and_columns(tiny_run):
    from creme_lib.paths import published_results_dir
    from creme_lib.published import EXPECTED_COLUMNS

    pub = published_results_dir()
    if not pub.is_dir():
        pytest.skip(f"published tables not found at {pub}")
    ours = tiny_run.root
    checked = 0
    for path in sorted((pub / "enformer").rglob("*.csv")) + sorted((pub / "CRE_characterization").glob("*.csv")):
        rel = path.relative_to(pub / "enformer") if path.is_relative_to(pub / "enformer") else path.relative_to(pub)
        if rel.name in NOT_PRODUCED and NOT_PRODUCED[rel.name] is not None:
            continue
        if rel.name.endswith("_selected_genes.csv"):
            cell = rel.name.split("_")[1]
            if cell != "K562":  # the tiny run has K562 only
                continue
            mine = ours / f"{P.available_tracks('synthetic')[cell]}_{cell}_selected_genes.csv"
        elif rel.name.endswith("_selected_contexts.csv"):
            if not rel.name.startswith("K562_"):
                continue
            mine = ours / rel
        else:
            mine = ours / rel
        assert mine.is_file(), f"the pipeline does not write {rel}"
        assert set(_columns(mine)) == set(_columns(path)) | EXTRA_COLUMNS.get(rel.name, set()), rel
        checked += 1
    assert checked >= 19  # 16 enformer tables (K562 for the per-cell-line ones) + 3 CRE_characterization
    for name, cols in EXPECTED_COLUMNS.items():  # tables missing from the published copy
        assert set(cols) <= set(_columns(ours / f"{name}.csv")), name


def _header(path: Path, indexed: bool) -> list[str]:
    return list(pd.read_csv(path, nrows=0, index_col=0 if indexed else None).columns)


def test_every_written_table_has_exactly_its_schema_columns(tiny_run):
    """Each step's tables (per cell line and merged) hold their schema's columns, in order;
    where the columns depend on the inputs, the schema's rule gives them."""
    from creme_lib.marks import REPEAT_COLUMN, find_bigwigs
    from creme_lib.schemas import columns

    cfg = tiny_run
    store = cfg.store()
    marks = [f"{m} ({s})" for m in find_bigwigs(cfg.bigwig_dir, cfg.cell_line) for s in ("mean", "max")]
    n_tiles = len(P.tiles_of(cfg)[1])
    by_rule = {
        "selected_genes": ["Chromosome", "Start", "gene_name", "gene_id", "Strand", cfg.track_title],
        "sufficiency_test_tile_coordinates": [str(i) for i in range(n_tiles)] + ["tss"],
        "CRE_characterization/sufficient_CRE_marks": (
            columns("CRE_characterization/sufficient_CRE_coordinates") + ["seq_id", "tile_start", "tile_end"]
            + marks + [REPEAT_COLUMN]
        ),
    }
    checked = 0
    for step in P.STEP_REGISTRY.values():
        assert step.tables, f"step {step.name} writes no table"
        for t in step.tables:
            want = list(t.columns) if t.columns is not None else by_rule[t.name]
            if "{" in t.file:  # beside the cell-line folders, named by the cell line
                paths = [cfg.root / t.file.format(cell_line=cfg.cell_line, track_label=cfg.track_label,
                                                  track_title=cfg.track_title)]
            else:
                paths = [store.table_path(cfg.cell_line, t.name)]
            if t.merged:
                paths.append(store.table_path(None, t.name))
            for path in paths:
                assert path.is_file(), f"step {step.name} did not write {path}"
                assert _header(path, t.index) == want, path
                checked += 1
    assert checked >= 50


# ------------------------------------------------------------------- kill + resume


def test_killed_run_resumes_to_identical_tables(tiny_run, tmp_path):
    ref = tiny_run
    results = tmp_path / "results"
    shutil.copytree(ref.root, results / "synthetic")
    parts_dir = results / "synthetic" / "K562" / "necessity"
    shutil.rmtree(parts_dir)
    for name in ("necessity_test", "necessary_CREs"):
        (results / "synthetic" / "K562" / f"{name}.csv").unlink()
    n_total = len(list((ref.root / "K562" / "necessity").glob("*.csv")))
    args = [sys.executable, "-m", "creme_lib.pipeline", "step", "04_necessity"]
    params = dict(cell_line="K562", genome_fasta=str(ref.genome_fasta), annotation_gtf=str(ref.annotation_gtf),
                  results_dir=str(results), overrides=TINY)
    import json

    for k, v in params.items():
        args += ["-p", k, json.dumps(v)]
    proc = subprocess.Popen(args, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    # Kill once a part is complete: its manifest, written right after the part, exists.
    while time.time() < deadline and not (parts_dir.is_dir() and any(parts_dir.glob("*.json"))):
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # A part counts once its manifest is written (a kill between the two leaves it to recompute).
    done = sorted(p for p in parts_dir.glob("*.csv") if p.with_suffix(".json").is_file())
    assert 1 <= len(done), "no part appeared before the kill"
    if len(done) == n_total:
        pytest.skip("the run finished before it could be killed")
    mtimes = {p: p.stat().st_mtime_ns for p in done}
    assert not (results / "synthetic" / "K562" / "necessity_test.csv").exists()
    res = subprocess.run(args, env=_env(), capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"{n_total - len(done)} parts computed, {len(done)} reused" in res.stdout + res.stderr
    assert {p: p.stat().st_mtime_ns for p in done} == mtimes  # finished genes were not recomputed
    for name in ("necessity_test", "necessary_CREs", "CRE_characterization/necessary_CRE_coordinates"):
        a = (results / "synthetic" / "K562" / f"{name}.csv").read_bytes()
        assert a == (ref.root / "K562" / f"{name}.csv").read_bytes(), name
    assert not list(results.rglob("*.tmp")) and not list(results.rglob("*.lock"))  # nothing half-written left


def test_a_damaged_side_part_redoes_its_cre(tiny_run, tmp_path, caplog):
    import dataclasses

    results = tmp_path / "results"
    shutil.copytree(tiny_run.root, results / "synthetic")
    cfg = dataclasses.replace(tiny_run, results_dir=results)
    side = sorted((results / "synthetic" / "K562" / "fine_tile_bp").glob("*.csv"))
    assert side, "the tiny run has no fine-tile CRE"
    side[0].write_text("Saliency,CREME\n")  # truncated
    with caplog.at_level("WARNING", logger="creme_lib"):
        P.run_fine_tile(cfg)
    assert "unusable; recomputing the CRE" in caplog.text
    for name in ("fine_tile_search", "motif_analysis/example_seqs", "motif_analysis/CREME_vs_saliency_vs_XSTREME"):
        a = (results / "synthetic" / "K562" / f"{name}.csv").read_bytes()
        assert a == (tiny_run.root / "K562" / f"{name}.csv").read_bytes(), name


# ---------------------------------------------------------------- notebooks (slow)


def _snakemake_cmd(world, tmp: Path, promoter_data: Path, *extra: str) -> list[str]:
    """The Snakefile on the small world: every notebook for GM12878, merge and TOC, in ``tmp``."""
    over = {k: v for k, v in TINY.items() if k not in ("n_genes", "n_shuffles", "n_shuffles_context")}
    cfg = [
        "cell_lines=[GM12878]", f"genome_fasta={world.fasta}", f"annotation_gtf={world.gtf}",
        f"results_dir={tmp / 'results'}", f"book_dir={tmp / 'book'}", "n_shuffles=1", "n_shuffles_context=2",
        "overrides={" + ", ".join(f"{k}: {v}" for k, v in over.items()) + "}", "n_genes=6",
        "locus_page=false",
        f"promoters={{dataset: ecoli, data_dir: {promoter_data}, preset: smoke, seeds: [0], resplits: 0}}",
    ]
    return [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp), "-c2", *extra, "--config", *cfg]


@pytest.fixture(scope="module")
def snakemake_run(world, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("smk")
    promoter_data = write_ecoli(tmp_path_factory.mktemp("ecoli"), n=300)
    t0 = time.time()
    res = subprocess.run(_snakemake_cmd(world, tmp, promoter_data), env=_env(), capture_output=True, text=True)
    logs = "\n".join(p.read_text()[-3000:] for p in (tmp / "results" / "synthetic" / "logs").glob("*.log")) if res.returncode else ""
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:] + logs
    return tmp, time.time() - t0, promoter_data


#: Wall-clock measurements kept beside results (the promoter models' training time): the only
#: values two runs may disagree on.
TIMINGS = ("train_seconds",)


def _tables(results: Path) -> dict[str, bytes]:
    """Every table, part and manifest of a results folder (logs left out), timings blanked."""
    import json

    out = {}
    for p in sorted(results.rglob("*")):
        if p.suffix not in (".csv", ".json") or "logs" in p.parts:
            continue
        data = p.read_bytes()
        if p.suffix == ".csv" and any(t.encode() in data.split(b"\n", 1)[0] for t in TIMINGS):
            data = pd.read_csv(p).drop(columns=list(TIMINGS), errors="ignore").to_csv(index=False).encode()
        elif p.suffix == ".json" and any(f'"{t}"'.encode() in data for t in TIMINGS):
            data = json.dumps({k: v for k, v in json.loads(data).items() if k not in TIMINGS}, sort_keys=True).encode()
        out[str(p.relative_to(results))] = data
    return out


@pytest.mark.slow
def test_the_whole_workflow_survives_being_killed_again_and_again(snakemake_run, world, tmp_path):
    """SIGKILL to the Snakemake process group at seeded random moments; after each kill,
    ``--unlock`` and the same command with ``--rerun-incomplete`` (Snakemake's own handling of
    outputs of jobs that were running); in the end every table equals the uninterrupted run's."""
    ref, ref_seconds, promoter_data = snakemake_run
    rng = np.random.default_rng(2026)
    cmd = _snakemake_cmd(world, tmp_path, promoter_data, "--rerun-incomplete")
    unlock = _snakemake_cmd(world, tmp_path, promoter_data, "--unlock")
    survived = 0
    for _ in range(4):
        proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(float(rng.uniform(3.0, max(4.0, 0.6 * ref_seconds))))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            survived += 1
        proc.wait()
        subprocess.run(unlock, env=_env(), capture_output=True, text=True)
    res = subprocess.run(cmd, env=_env(), capture_output=True, text=True)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    assert survived >= 2, f"only {survived} kills landed while the workflow ran"
    mine, theirs = _tables(tmp_path / "results"), _tables(ref / "results")
    assert sorted(mine) == sorted(theirs)
    differ = [k for k in theirs if mine[k] != theirs[k]]
    assert not differ, f"{len(differ)} of {len(theirs)} files differ after {survived} kills, e.g. {differ[:3]}"
    left = [p for p in tmp_path.rglob("*") if p.name.endswith((".tmp", ".lock"))]
    assert not left, left
    print(f"survived {survived} kills; {len(theirs)} tables, parts and manifests byte-identical")


def test_snakemake_dry_run_lists_the_full_dag(tmp_path):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path), "-n", "--quiet", "rules"]
    res = subprocess.run(cmd, env=_env(), capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout + res.stderr
    for step in P.STEPS:
        assert f"page_{step}" in out
    assert "merge" in out and "toc" in out


@pytest.mark.slow
def test_every_notebook_runs_and_is_a_book_page(snakemake_run):
    tmp, seconds, _ = snakemake_run
    for step in P.STEPS:
        page = tmp / "book" / f"{step}_GM12878.ipynb"
        nb = nbformat.read(page, as_version=4)
        first = nb.cells[0]
        assert first.cell_type == "markdown" and first.source.startswith(f"# {P.page_title(step, 'GM12878', 'synthetic')}")
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1 and "remove-cell" in injected[0].metadata["tags"]
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, step
        text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
        assert "E0000" not in text and "absl::InitializeLog" not in text
        # A page is for readers: no log lines (they go to the run's pipeline.log) and no
        # absolute paths of the machine that built it.
        assert not re.search(r"^(DEBUG|INFO|WARNING|ERROR) creme_lib", text, re.M), step
        assert str(tmp) not in text and str(ROOT) not in text, step
    assert (tmp / "results" / "synthetic" / "GM12878" / "pipeline.log").read_text().count("parts computed") >= 1
    toc = (tmp / "book" / "_toc_generated.yml").read_text()
    assert toc.count("_GM12878") == len(P.STEPS) + 1 and toc.count(".md") == 0  # the steps + the cell line's index page
    assert P.PROMOTER_PART in toc and (tmp / "results" / "promoters" / "ecoli" / "test_scores.csv").is_file()
    assert all((tmp / "book" / f"{stem}.ipynb").is_file() for stem in P.PROMOTER_PAGES)
    assert all((tmp / "book" / f"{step}.md").is_file() for step in P.STEPS)
    merged = tmp / "results" / "synthetic"
    for name in ("necessity_test", "sufficient_CREs", "distance_test", "greedy_search/min_traces",
                 "CRE_characterization/pvalues_per_TF_for_sufficient_CREs"):
        assert (merged / f"{name}.csv").is_file(), name
    print(f"snakemake run of every notebook: {seconds:.0f} s")


@pytest.mark.slow
def test_locus_notebook(world, tmp_path):
    g = world.genes[world.genes["program_K562"] == "enhancing"].iloc[0]
    params = dict(genome_fasta=str(world.fasta), chromosome=g.chrom, tss=int(g.tss), strand=g.strand,
                  gene_name=g.gene_name, n_shuffles=1, n_shuffles_context=2,
                  partners=[[r.chrom, int(r.tss), r.strand] for r in world.genes.iloc[:2].itertuples()],
                  overrides={"n_greedy_rounds": 2, "n_copies": 2}, results_dir=str(tmp_path / "results"))
    out = P.execute_notebook(ROOT / "notebooks" / "locus.py", tmp_path / "locus.ipynb", params, title="Locus")
    nb = nbformat.read(out, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert f"{g.gene_name}_{g.chrom}_{int(g.tss)}_{g.strand}" in text
    assert sum(1 for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})) >= 3
    assert (tmp_path / "results" / "synthetic" / "K562" / "pipeline.log").is_file()  # its log, not the repository's


def test_figures_fed_by_reads_the_pages_panels():
    from creme_lib.pipeline.notebooks import figures_fed_by

    # Through src.load(...) in draw functions, a constant holding the name, and a tidy reader.
    assert figures_fed_by("04_necessity") == ["fig2", "ed_fig3"]
    assert "ed_fig4" in figures_fed_by("06_cre_marks")  # MARKS = "CRE_characterization/sufficient_CRE_marks"
    assert figures_fed_by("03_context_swap") == ["fig1", "ed_fig1"]  # published.context_swap_long
    assert figures_fed_by("11_multiplicity") == ["fig6", "ed_fig10"]
