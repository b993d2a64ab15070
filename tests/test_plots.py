"""Plot functions on published and synthetic ("pipeline") tables, and the book's figure pages.

Every plot function must accept a published table and a small synthetic table with the same
columns (what a fresh pipeline run writes), draw without emitting any warning, and return a
Figure (or draw into a passed Axes). The slow test executes every book page.
"""

from __future__ import annotations

import io
import os
import re
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import matplotlib.text

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from creme_lib import plots  # noqa: E402
from creme_lib import published as pub  # noqa: E402
from creme_lib import analysis
from creme_lib.paths import published_results_dir  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PUBLISHED = published_results_dir()
HAVE_PUBLISHED = (PUBLISHED / "enformer" / "necessity_test.csv").is_file()
needs_published = pytest.mark.skipif(not HAVE_PUBLISHED, reason=f"published tables not found under {PUBLISHED}")

PAGES = sorted((REPO / "book" / "figures").glob("*.md")) + [REPO / "book" / "audit.md"]


@contextmanager
def strict():
    """Any warning (matplotlib, pandas, seaborn deprecations...) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def render(obj) -> Figure:
    fig = obj if isinstance(obj, Figure) else obj.get_figure()
    assert isinstance(fig, Figure)
    with strict():
        fig.savefig(io.BytesIO(), format="png", dpi=40)
    return fig


def texts(fig: Figure) -> str:
    """All text on a figure: titles, labels, tick labels, legends, annotations."""
    out = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    return "\n".join(out)


# ----------------------------------------------------------------------- synthetic data
RNG = np.random.default_rng(7)
TILE_STARTS = [804 + 5000 * i for i in range(19)] + [100804 + 5000 * i for i in range(19)]


def seq_ids(n: int, prefix: str = "G") -> list[str]:
    return [f"{prefix}{i}_chr{1 + i % 22}_{10_000 + 37 * i}_{'+-'[i % 2]}" for i in range(n)]


def syn_selected_contexts(cell_line="K562", n=(12, 8, 5)) -> pd.DataFrame:
    vals = np.concatenate([RNG.uniform(0.951, 1, n[0]), RNG.uniform(-0.049, 0.049, n[1]), RNG.uniform(-2.5, -0.31, n[2])])
    ctx = ["enhancing"] * n[0] + ["neutral"] * n[1] + ["silencing"] * n[2]
    ids = seq_ids(len(vals))
    return pd.DataFrame(
        {
            "delta_mean": vals,
            "path": [f"results/context_dependence_test/enformer/{s}.pickle" for s in ids],
            "wt": RNG.uniform(10, 100, len(vals)),
            "std": RNG.uniform(0, 2, len(vals)),
            "mean_mut": RNG.uniform(0, 10, len(vals)),
            "seq_id": ids,
            "context": ctx,
            "cell_line": cell_line,
        }
    )


def syn_context_dependence(n=300) -> pd.DataFrame:
    d = pd.DataFrame({"delta_mean": np.concatenate([RNG.normal(0.5, 0.3, n - 20), RNG.uniform(-3, -0.4, 20)])})
    d["path"] = "x.pickle"
    d["wt"] = RNG.uniform(10, 100, n)
    d["context"] = analysis.classify_context(d["delta_mean"], analysis.BORZOI_THRESHOLDS, unclassified="other")
    d.loc[d["context"] == "other", "context"] = "other"
    d["cell_line"] = "K562"
    return d[["delta_mean", "path", "wt", "context", "cell_line"]]


def syn_necessity(cell_line="K562") -> pd.DataFrame:
    rows = []
    for ctx, n in (("enhancing", 4), ("neutral", 3), ("silencing", 2)):
        for s in seq_ids(n, prefix=ctx[:3]):
            for t in TILE_STARTS:
                rows.append((RNG.normal(0, 0.1), s, t, t + 5000, ctx, cell_line))
    return pd.DataFrame(rows, columns=["Normalized shuffle effect", "seq_id", "tile_start", "tile_end", "context", "cell_line"])


def syn_distance() -> pd.DataFrame:
    rows = []
    bins = [b for b in range(-95, 100, 5) if b != 0]
    for cls, ctx in (("Enhancer", "enhancing"), ("Silencer", "silencing")):
        for i in range(4):
            eid = f"G{i}_chr1_{1000 + i}_+_100804_105804"
            for b in bins:
                fc = 1 + (1 if cls == "Enhancer" else -0.5) * np.exp(-abs(b) / 20) + RNG.normal(0, 0.05)
                rows.append((fc, fc - 1, float(b), 0.4, "K562", 5.0, eid, ctx, cls))
    return pd.DataFrame(
        rows,
        columns=[
            "Fold change over control", "CRE sufficiency effect", "Binned distance (Kb)", "Normalized CRE effect (control)",
            "cell line", "control", "enf_data_id", "context", "tile class",
        ],
    )


def syn_locations() -> pd.DataFrame:
    rows = []
    for ctx in analysis.CONTEXTS:
        for s in seq_ids(5, prefix=ctx[:3]):
            chosen = set(RNG.choice(38, 5, replace=False))
            rows += [(int(k in chosen), ctx, s, "K562") for k in range(38)]
    return pd.DataFrame(rows, columns=["tile_selected", "context", "seq_id", "cell_line"])


def syn_second_iteration() -> pd.DataFrame:
    parts = []
    for ctx in analysis.CONTEXTS:
        for s in seq_ids(6, prefix=ctx[:3]):
            wt = RNG.uniform(20, 100)
            it1, it2 = wt * RNG.uniform(0.3, 0.9), wt * RNG.uniform(0.5, 0.95)
            both = it1 * it2 / wt * RNG.uniform(0.8, 1.2)
            parts.append(
                pd.DataFrame(
                    {"0": [wt, it1, it2, both], "context": ctx, "seq_id": s, "cell_line": "K562"},
                    index=["wt", "greedy_it1", "greedy_it2", "two_cres_shuffled"],
                )
            )
    return pd.concat(parts)


def syn_greedy_sufficiency() -> pd.DataFrame:
    rows = []
    for s in seq_ids(5):
        rows += [(1 - np.exp(-k / 4) + RNG.normal(0, 0.02), "enhancing", "K562", s) for k in range(26)]
    return pd.DataFrame(rows, columns=["Normalized TSS activity", "context", "cell_line", "seq_id"])


def syn_sufficient_cres() -> pd.DataFrame:
    rows = []
    for i, s in enumerate(seq_ids(12)):
        cls = "Enhancer" if i % 2 else "Silencer"
        ctx = "enhancing" if cls == "Enhancer" else "silencing"
        wt, control = RNG.uniform(20, 100), RNG.uniform(1, 10)
        mut = control + (0.5 * wt if cls == "Enhancer" else -0.5 * control)
        eff = (mut - control) / (wt if cls == "Enhancer" else control)
        t = TILE_STARTS[i * 3 % 38]
        rows.append(((mut - control) / wt, (mut - control) / control, s, control, wt, mut, t, t + 5000, ctx, "K562", eff, cls))
    return pd.DataFrame(
        rows,
        columns=[
            "(MUT - CONTROL) / WT", "(MUT - CONTROL) / CONTROL", "seq_id", "control", "wt", "mut", "tile_start", "tile_end",
            "context", "cell_line", "Normalized CRE effect", "tile class",
        ],
    )


def syn_pvalues() -> pd.DataFrame:
    n = 40
    lr = RNG.normal(0.2, 0.4, n)
    p = 10 ** -RNG.uniform(0, 8, n)
    return pd.DataFrame(
        {
            "enhancer / silencer": np.exp(lr), "log(Max enhancer / Max silencer)": lr, "-log10(pvalue)": -np.log10(p),
            "pvalue": p, "mark": [f"TF{i}" for i in range(n)], "sign": p < 1e-3,
        }
    )


def syn_example_sequences() -> pd.DataFrame:
    parts = [
        pd.DataFrame({"WT": RNG.gamma(1, 0.05, 896), "MUT": RNG.gamma(1, 0.05, 896), "name": f"{c} context"}) for c in analysis.CONTEXTS
    ]
    return pd.concat(parts, ignore_index=True)


def syn_motif_scores() -> pd.DataFrame:
    rows = []
    for s in seq_ids(4):
        x = 0.07
        for b in range(11):
            bp = 500.0 * b if b < 10 else np.nan
            rows.append((1 - 0.05 * b if b < 10 else np.nan, bp, 1 - 0.09 * b, max(0.05, 1 - 0.3 * b), x, s + "_100804_105804.pickle", "K562"))
    return pd.DataFrame(rows, columns=["CREME score", "CREME bps", "Saliency score", "Random score", "XSTREME score", "seq_id", "cell_line"])


def syn_fine_tiles() -> pd.DataFrame:
    parts = []
    for g in ("GENE1", "GENE2"):
        creme = np.zeros(5000)
        creme[1000:1500] = 1
        parts.append(pd.DataFrame({"Saliency": RNG.normal(0, 1, 5000), "CREME": creme, "XSTREME": RNG.random(5000) < 0.1, "gene": g}))
    return pd.concat(parts, ignore_index=True)


def syn_n_seqs() -> pd.DataFrame:
    rows = [(cl, c, n, min(n, 200)) for cl in analysis.CELL_LINES for c, n in zip(analysis.CONTEXTS, RNG.integers(50, 500, 3))]
    return pd.DataFrame(rows, columns=["cell line", "context category", "Number of contexts", "Number of contexts after sampling"])


def syn_traces() -> pd.DataFrame:
    rows = []
    for s in seq_ids(6):
        for k in range(11):
            rows.append((s, "K562", "enhancing", k, max(0.0, 1 - 0.12 * k + RNG.normal(0, 0.02)) if k else 1.0, 1 - 0.08 * k, 0.92**k))
    return pd.DataFrame(rows, columns=list(pub.EXPECTED_COLUMNS["greedy_search/min_traces"]))


def syn_multiplicity() -> pd.DataFrame:
    rows = []
    for s in seq_ids(8):
        for c in range(1, 9):
            rows.append((s, "K562", "enhancing", "Enhancer", c, 1 + np.log1p(c) * RNG.uniform(0.5, 1.5)))
    return pd.DataFrame(rows, columns=list(pub.EXPECTED_COLUMNS["multiplicity"]))


SYNTHETIC = {
    "selected_contexts": syn_selected_contexts,
    "necessity_test": syn_necessity,
    "distance_test": syn_distance,
    "greedy_search/min_locations": syn_locations,
    "greedy_search/min_second_iteration": syn_second_iteration,
    "greedy_search/sufficiency_of_greedy_tiles_min": syn_greedy_sufficiency,
    "sufficient_CREs": syn_sufficient_cres,
    "example_sequences": syn_example_sequences,
    "motif_analysis/CREME_vs_saliency_vs_XSTREME": syn_motif_scores,
    "motif_analysis/example_seqs": syn_fine_tiles,
    "N_seqs_per_context_category": syn_n_seqs,
}


def table(source: str, name: str, model: str = "enformer", cell_line: str | None = "K562") -> pd.DataFrame:
    """The published table (one cell line, if it has one) or its synthetic stand-in."""
    if source == "synthetic":
        if name == "pvalues_per_TF_for_sufficient_CREs":
            return syn_pvalues()
        if name == "context_dependence_test":
            return syn_context_dependence()
        return SYNTHETIC[name]()
    if not HAVE_PUBLISHED:
        pytest.skip("published tables not available")
    if model == "CRE_characterization" or name in ("example_sequences", "N_seqs_per_context_category", "motif_analysis/example_seqs"):
        cell_line = None
    if name == "selected_contexts":
        return pub.load_table(None, model, name, cell_line or "K562")
    return pub.load_table(None, model, name, cell_line=cell_line)


SOURCES = ["synthetic", pytest.param("published", marks=needs_published)]


# ------------------------------------------------------------------------------ schema
@needs_published
@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_synthetic_tables_have_the_published_schema(name):
    pub_cols = list(pub.load_table(None, "enformer", name, "K562" if name == "selected_contexts" else None).columns)
    assert list(SYNTHETIC[name]().columns) == pub_cols
    p = pub.load_table(None, "CRE_characterization", "pvalues_per_TF_for_sufficient_CREs")
    assert list(syn_pvalues().columns) == list(p.columns)


def test_constants_are_consistent():
    assert set(plots.CONTEXT_COLORS) >= set(analysis.CONTEXTS)
    assert set(plots.TILE_CLASS_COLORS) >= set(analysis.TILE_CLASSES)
    assert set(plots.MODEL_COLORS) >= {"greedy", "additive", "multiplicative"}
    assert len({plots.CONTEXT_COLORS[c] for c in analysis.CONTEXTS}) == 3
    assert plots.significance_stars(0.2) == "ns" and plots.significance_stars(1e-5) == "****"
    assert plots.significance_stars(0.03) == "*" and plots.significance_stars(0.005) == "**"


# ------------------------------------------------------------------------ plot functions
@pytest.mark.parametrize("source", SOURCES)
def test_context_histogram(source):
    sc = table(source, "selected_contexts")
    with strict():
        fig = plots.context_histogram(sc, title="t")
    render(fig)
    txt = texts(fig)
    for c in analysis.CONTEXTS:
        n = int((sc["context"] == c).sum())
        assert f"{c} (n={n:,}, inset)" in txt
    assert f"all sequences (n={len(sc):,})" in txt
    assert fig.get_size_inches()[0] <= plots.BOOK_WIDTH


@pytest.mark.parametrize("source", SOURCES)
def test_context_histogram_full_table_recomputes_categories(source):
    cd = table(source, "context_dependence_test", model="borzoi")
    with strict():
        fig = plots.context_histogram(cd, context=None, thresholds=analysis.BORZOI_THRESHOLDS)
    render(fig)
    n_enh = int((cd["delta_mean"] > 0.9).sum())
    assert f"enhancing (n={n_enh:,}, inset)" in texts(fig)


@pytest.mark.parametrize("kind", ["box", "boxen"])
@pytest.mark.parametrize("source", SOURCES)
def test_category_boxplot(source, kind):
    nt = table(source, "necessity_test")
    with strict():
        fig = plots.category_boxplot(nt, "Normalized shuffle effect", x="context", order=analysis.CONTEXTS, kind=kind)
    render(fig)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    for c, lab in zip(analysis.CONTEXTS, labels):
        assert lab == f"{c}\nn={int((nt['context'] == c).sum()):,}"


@pytest.mark.parametrize("source", SOURCES)
def test_category_boxplot_with_hue_into_ax(source):
    nt = table(source, "necessity_test", cell_line=None)
    fig = Figure()
    ax = fig.add_subplot()
    with strict():
        out = plots.category_boxplot(nt, "Normalized shuffle effect", x="context", hue="cell_line", order=analysis.CONTEXTS, kind="boxen")
        out2 = plots.category_boxplot(nt, "Normalized shuffle effect", x="context", hue="cell_line", ax=ax)
    assert isinstance(out, Figure) and out2 is ax
    render(out)
    render(fig)
    counts = nt.groupby(["context", "cell_line"]).size()
    assert all(f"{n:,}" in texts(out) for n in counts)


@pytest.mark.parametrize("source", SOURCES)
def test_distance_effect_curve(source):
    d = table(source, "distance_test")
    with strict():
        fig = plots.distance_effect_curve(d, reference=1.0)
        fig2 = plots.distance_effect_curve(analysis.fold_change_over_max(d, "Fold change over control", "enf_data_id",
                                                                          "Fold change over max"), y="Fold change over max")
    render(fig)
    render(fig2)
    for cls in analysis.TILE_CLASSES:
        n = d.loc[d["tile class"] == cls, "enf_data_id"].nunique()
        assert f"{cls} (n={n:,})" in texts(fig)
    assert "kb" in fig.axes[0].get_xlabel()
    assert len(fig.axes[0].collections) == 2  # one SD band per class


@pytest.mark.parametrize("source", SOURCES)
def test_greedy_sufficiency_curve(source):
    g = pub.add_iteration(table(source, "greedy_search/sufficiency_of_greedy_tiles_min"))
    assert g.groupby("seq_id")["N tiles"].max().eq(25).all()
    with strict():
        fig = plots.mean_curve(g, "N tiles", "Normalized TSS activity", hue="context", unit="seq_id", reference=1.0)
    render(fig)
    assert f"enhancing (n={g['seq_id'].nunique():,})" in texts(fig)


def test_greedy_trace_plot_on_pipeline_schema():
    tr = syn_traces()
    with strict():
        fig = plots.greedy_trace_plot(tr, title="traces")
    render(fig)
    txt = texts(fig)
    for m in ("greedy", "additive", "multiplicative"):
        assert f"{m} (n=6)" in txt
    assert "Fold change over WT" in fig.axes[0].get_ylabel()


@pytest.mark.parametrize("source", SOURCES)
def test_location_heatmap(source):
    loc = table(source, "greedy_search/min_locations")
    offsets = pub.tile_offsets_kb() if source == "published" else np.array([b for b in range(-95, 100, 5) if b != 0], float)
    assert len(offsets) == 38 and 0 not in offsets
    with strict():
        fig = plots.location_heatmap(loc, offsets, title="heat")
        fig2 = Figure()
        ax = fig2.add_subplot()
        out = plots.location_heatmap(loc, offsets, ax=ax)
    assert out is ax
    render(fig)
    render(fig2)
    for c in analysis.CONTEXTS:
        n = loc.loc[loc["context"] == c, "seq_id"].nunique()
        assert f"{c}\nn={n:,}" in texts(fig)
    # 38 tiles + the TSS column on a regular 5 kb grid
    assert fig.axes[1].images[0].get_array().shape[1] == 39


@pytest.mark.parametrize("source", SOURCES)
def test_second_iteration_models_and_scatter(source):
    si = table(source, "greedy_search/min_second_iteration")
    w = pub.second_iteration_wide(si)
    assert np.allclose(w["greedy"], w["two_cres_shuffled"] / w["wt"])
    assert np.allclose(w["additive"], (w["greedy_it1"] + w["greedy_it2"] - w["wt"]) / w["wt"])
    assert np.allclose(w["multiplicative"], w["greedy_it1"] * w["greedy_it2"] / w["wt"] ** 2)
    e = w[w["context"] == "enhancing"]
    with strict():
        fig = plots.model_comparison_boxplot(e, title="iteration 2")
        fig2 = plots.scatter_compare(e, "greedy", "additive")
    render(fig)
    render(fig2)
    assert f"n={len(e):,}" in texts(fig)
    assert re.search(rf"n={len(e):,}, pearson r = -?\d\.\d\d", fig2.axes[0].get_title())
    assert re.search(r"\*|ns", texts(fig))
    # a box of fewer than MIN_TEST_N sequences gets no star (plots.MIN_TEST_N says why)
    few = e.head(plots.MIN_TEST_N - 1)
    with strict():
        fig3 = plots.model_comparison_boxplot(few)
    assert texts(fig3).count(f"n < {plots.MIN_TEST_N}") == 2 and "ns" not in texts(fig3).split()


def test_mann_whitney_label():
    a = np.arange(20.0)
    # 20 against 20 values, fully separated: two-sided p ~ 7e-8 (normal approximation)
    assert plots.mann_whitney_label(a, a + 100) == "****"
    assert plots.mann_whitney_label(a, a) == "ns"
    # NaNs are dropped before counting: 4 finite values are below the minimum
    assert plots.mann_whitney_label(np.r_[a[:4], np.nan, np.nan], a + 100) == "n < 5"
    assert plots.mann_whitney_label(a[:5], a[:5] + 100) == "**"  # 5 vs 5 separated: p = 2/252 ~ 0.008


@pytest.mark.parametrize("source", SOURCES)
def test_scatter_compare_log(source):
    if source == "published":
        df = pub.model_activity_pairs(None, "K562")
    else:
        df = pd.DataFrame({"gene_id": list("abcdef"), "Enformer WT": [1, 2, 3, 4, 5, 6.0], "Borzoi WT": [2, 2, 5, 3, 8, 9.0]})
    with strict():
        fig = plots.scatter_compare(df, "Enformer WT", "Borzoi WT", log=True, diagonal=False)
    render(fig)
    assert fig.axes[0].get_xscale() == "log"
    assert f"n={len(df):,}" in fig.axes[0].get_title()


def test_saturation_curves_on_pipeline_schema():
    m = syn_multiplicity()
    with strict():
        fig = plots.saturation_curves(m, title="multiplicity")
        f2 = plots.facet(plots.saturation_curves, m, by="tile class")
    render(fig)
    render(f2)
    assert "mean (n=8 CREs)" in texts(fig)
    assert len(fig.axes[0].lines) == 8 + 1


@pytest.mark.parametrize("source", SOURCES)
def test_class_histogram_and_tss_offsets(source):
    s = table(source, "sufficient_CREs", cell_line=None)
    s = s.assign(d=pub.tss_offset_kb(s))
    assert (s["d"] % 5 == 0).all() and (s["d"] != 0).all()
    with strict():
        fig = plots.class_histogram(s, "d", hue_order=analysis.TILE_CLASSES, bins=list(range(-100, 101, 5)))
    render(fig)
    for cls in analysis.TILE_CLASSES:
        assert f"{cls} (n={int((s['tile class'] == cls).sum()):,})" in texts(fig)


@pytest.mark.parametrize("source", SOURCES)
def test_count_bars(source):
    n = table(source, "N_seqs_per_context_category")
    with strict():
        fig = plots.count_bars(n, "cell line", "Number of contexts", hue="context category", hue_order=analysis.CONTEXTS)
    render(fig)
    assert all(f"{int(v):,}" in texts(fig) for v in n["Number of contexts"])


@pytest.mark.parametrize("source", SOURCES)
def test_tracks_and_enrichment(source):
    ex = table(source, "example_sequences")
    es = table(source, "motif_analysis/example_seqs")
    pv = table(source, "pvalues_per_TF_for_sufficient_CREs", model="CRE_characterization")
    ms = table(source, "motif_analysis/CREME_vs_saliency_vs_XSTREME", cell_line=None)
    with strict():
        figs = [
            plots.coverage_tracks(ex),
            plots.fine_tile_tracks(es),
            plots.tf_enrichment_scatter(pv),
            plots.fine_tile_search_curves(ms[ms["cell_line"] == "K562"]),
        ]
    for f in figs:
        render(f)
    assert f"n={len(pv):,}" in texts(figs[2])
    n_tiles = ms.loc[ms["cell_line"] == "K562", "seq_id"].nunique()
    assert f"CREME (n={n_tiles:,})" in texts(figs[3])


def test_facet_and_placeholder():
    nt = syn_necessity()
    with strict():
        fig = plots.facet(plots.category_boxplot, nt, by="context", value="Normalized shuffle effect", x="cell_line")
    render(fig)
    assert len([a for a in fig.axes if a.get_visible()]) == 3
    ph = plots.PanelPlaceholder("ED Fig. 3c", ["enformer/sufficiency_test.csv"])
    html = ph._repr_html_()
    assert "admonition" in html and "not in the published copy" in html and "sufficiency_test.csv" in html
    assert "results_dir" in ph._repr_markdown_()
    ph2 = plots.PanelPlaceholder("x", ["enformer/sufficiency_test.csv"], published=False)
    assert "this results folder" in ph2.title and "enformer/sufficiency_test.csv" in ph2.text


# ------------------------------------------------------------------------ published.py
def test_classification_thresholds():
    t = analysis.PAPER
    cats = analysis.classify_context([0.96, 0.95, 0.04, -0.05, -0.31, -0.3, 0.5], t, unclassified="other")
    assert cats.tolist() == ["enhancing", "other", "neutral", "other", "silencing", "other", "other"]
    nt = pd.DataFrame(
        {"Normalized shuffle effect": [0.31, 0.29, -0.31, -0.31, 0.5], "context": ["enhancing", "enhancing", "silencing", "neutral", "silencing"]}
    )
    assert analysis.necessary_cres(nt)["tile class"].tolist() == ["Enhancer", "Silencer"]
    s = syn_sufficient_cres()
    assert len(analysis.sufficient_cres(s)) == len(s)
    assert len(analysis.sufficient_cres(s, analysis.Thresholds(sufficiency=10.0))) == 0
    assert np.allclose(analysis.normalized_cre_effect(s), s["Normalized CRE effect"])


# ------------------------------------------------------------------------------- pages
def test_pages_are_thin_parameterized_notebooks():
    assert len(PAGES) == 17, [p.name for p in PAGES]
    for p in PAGES:
        text = p.read_text(encoding="utf-8")
        assert text.startswith("---\njupytext:") and "kernelspec:" in text.split("---")[1], p
        assert re.search(r"^# \S", text, flags=re.M), p
        cells = re.findall(r"```\{code-cell\} ipython3\n(:tags: \[[^\]]*\])?", text)
        assert cells and all(c and "hide-input" in c for c in cells), p
        params = re.search(r":tags: \[parameters, hide-input\]\n\n(.*?)```", text, flags=re.S)
        assert params and 'results_dir = None' in params.group(1) and 'model = "enformer"' in params.group(1), p
        assert "import matplotlib.pyplot" not in text and ".subplots(" not in text, p  # figure logic lives in creme_lib


#: What a rendered page must never show: a traceback, a log line, a machine's absolute path.
FORBIDDEN_OUTPUT = re.compile(
    r"Traceback|\b(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\b[:\] |]|(?<![\w.~])/(?:home|root|tmp|work|usr|var|opt|mnt|check)/"
)


def execute_page(page: Path, results_dir=None, model: str = "enformer", book_run: Path | None = None) -> list[dict]:
    """Execute a figure page with the given parameters; its code cells' outputs.

    ``book_run`` is the book's own run the page falls back to (``CREME_BOOK_RUN``); ``None``
    points it at an empty folder, so the result does not depend on a local ``make pipeline``.
    """
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    nb = jupytext.read(page)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    if results_dir is not None:
        params[0].source = f"results_dir = {str(results_dir)!r}\nmodel = {model!r}"
    env_run = str(book_run) if book_run is not None else str(Path(page).parent / "__no_book_run__")
    old = os.environ.get("CREME_BOOK_RUN")
    os.environ["CREME_BOOK_RUN"] = env_run  # the kernel inherits the environment
    try:
        client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(page.parent)}})
        client.execute()  # raises CellExecutionError on any error
    finally:
        if old is None:
            os.environ.pop("CREME_BOOK_RUN", None)
        else:
            os.environ["CREME_BOOK_RUN"] = old
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    stderr = [o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert not stderr, stderr
    for o in outputs:
        text = o.get("text", "") + "".join("".join(v) for k, v in o.get("data", {}).items() if k.startswith("text/"))
        hit = FORBIDDEN_OUTPUT.search(text)
        assert hit is None, (page.name, text[max(0, hit.start() - 80): hit.end() + 80])
    return outputs


def shown_text(outputs: list[dict]) -> str:
    """The HTML and Markdown of a page's outputs (notes and captions)."""
    return "".join("".join(o.get("data", {}).get(k, "")) for o in outputs for k in ("text/html", "text/markdown"))


def n_images(outputs: list[dict]) -> int:
    return sum("image/png" in o.get("data", {}) for o in outputs)


def test_forbidden_output_pattern():
    for bad in ("Traceback (most recent call last)", "INFO: step done", "[WARNING] x", "see /work/main/results/x.csv",
                "tables: /root/shared/data", "2026-12-02 10:00:00 WARNING | kernel"):
        assert FORBIDDEN_OUTPUT.search(bad), bad
    for ok in ("Source: this book's run: simulated world, synthetic model; n = 12 sequences", "enformer/necessity_test.csv",
               "pipeline run `main/results` (Enformer)", "(WT - MUT) / WT", "1 / 2 / 3"):
        assert not FORBIDDEN_OUTPUT.search(ok), ok


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_executes(page):
    """On the published copy alone (no book run at hand) every page runs, draws, and names its sources."""
    if not HAVE_PUBLISHED:
        pytest.skip("published tables not available")
    t0 = time.perf_counter()
    outputs = execute_page(page)
    elapsed = time.perf_counter() - t0
    shown = [o for o in outputs if {"image/png", "text/html"} & set(o.get("data", {}))]
    assert shown, f"{page.name} displays nothing"
    if page.parent.name == "figures":
        assert "Source: published" in shown_text(outputs), page.name
    assert elapsed < 30, f"{page.name} took {elapsed:.1f} s"


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in PAGES if p.parent.name == "figures"], ids=lambda p: p.stem)
def test_page_on_a_folder_without_tables(page, tmp_path):
    """A results folder without the tables: every panel is a note saying what is missing, never an error."""
    outputs = execute_page(page, tmp_path / "empty_run", "enformer")
    text = shown_text(outputs)
    schematics = page.read_text(encoding="utf-8").count("plots.test_schematic(")  # drawn from the code, not tables
    assert n_images(outputs) == schematics, page.name
    assert "not in this results folder" in text and "make pipeline" in text, page.name


# ------------------------------------------------- pages on a (synthetic) fresh pipeline run
def fresh_run_folder(root: Path) -> Path:
    """The published tables plus synthetic versions of the tables the published copy lacks.

    Stands in for a fresh pipeline run so that the pages' fresh-run branches execute.
    """
    rng = np.random.default_rng(3)
    res = root / "results"
    for src in PUBLISHED.rglob("*"):
        if src.is_file():
            dst = res / src.relative_to(PUBLISHED)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(src)
    e = res / "enformer"
    sel = pd.concat([pub.load_table(None, "enformer", "selected_contexts", cl) for cl in analysis.CELL_LINES], ignore_index=True)
    extra = pd.DataFrame({"delta_mean": rng.normal(0.5, 0.3, 300), "wt": 10.0, "seq_id": seq_ids(300, "X"), "cell_line": "K562"})
    pd.concat([sel[["delta_mean", "wt", "seq_id", "cell_line"]], extra], ignore_index=True).to_csv(e / "context_dependence_test.csv")
    swaps = []
    for cl in analysis.CELL_LINES:
        s = sel[sel["cell_line"] == cl].groupby("context").head(4)
        swaps += [
            {"source_seq_id": a, "target_seq_id": b, "Normalized context effect": rng.normal(), "cell_line": cl}
            for a in s["seq_id"] for b in s["seq_id"]
        ]
    pd.DataFrame(swaps).to_csv(e / "context_swap_test.csv")
    nt = pub.load_table(None, "enformer", "necessity_test")
    ctl = rng.uniform(1, 10, len(nt))
    wt = rng.uniform(20, 100, len(nt))
    eff = rng.normal(0, 0.1, len(nt))
    mut = ctl + eff * np.where(nt["context"] == "enhancing", wt, ctl)
    nt.drop(columns="Normalized shuffle effect").assign(control=ctl, wt=wt, mut=mut).to_csv(e / "sufficiency_test.csv")
    si = pub.load_table(None, "enformer", "greedy_search/min_second_iteration")
    ids = si.drop_duplicates("seq_id").groupby(["cell_line", "context"]).head(6)[["seq_id", "cell_line", "context"]]
    for name, sign in (("min", -1), ("max", 1)):
        rows = []
        for seq, cl, ctx in ids.itertuples(index=False):
            kind = rng.choice([-0.5, 0.0, 0.5])
            for k in range(11):
                add = 1 + sign * 0.08 * k
                rows.append((seq, cl, ctx, k, add + (kind if k else 0.0), add, (1 + sign * 0.08) ** k))
        pd.DataFrame(rows, columns=list(pub.EXPECTED_COLUMNS[f"greedy_search/{name}_traces"])).to_csv(e / "greedy_search" / f"{name}_traces.csv")
    rows = []
    for seq, cl, ctx in ids[ids["context"] != "neutral"].itertuples(index=False):
        cls = "Enhancer" if ctx == "enhancing" else "Silencer"
        rows += [(seq, cl, ctx, cls, c, 1 + (0.5 if cls == "Enhancer" else -0.08) * np.log1p(c)) for c in range(1, 9)]
    pd.DataFrame(rows, columns=list(pub.EXPECTED_COLUMNS["multiplicity"])).to_csv(e / "multiplicity.csv")
    return res


FIGURE_PAGES = [p for p in PAGES if p.parent.name == "figures"]
#: Pages with a panel drawn from a table the published copy lacks (checked below: each draws one from the book's run).
GAP_PAGES = [REPO / "book" / "figures" / f"{p}.md" for p in ("fig1", "fig2", "fig5", "fig6", "ed_fig1", "ed_fig3", "ed_fig4",
                                                                "ed_fig6", "ed_fig7", "ed_fig8", "ed_fig9", "ed_fig10")]


@pytest.fixture(scope="module")
def fresh_run(tmp_path_factory) -> Path:
    if not HAVE_PUBLISHED:
        pytest.skip("published tables not available")
    res = fresh_run_folder(tmp_path_factory.mktemp("fresh"))
    # A pipeline run keeps the CRE characterization tables in its model folder, with the marks
    # of its bigWig tracks (which the published copy lacks).
    char = res / "enformer" / "CRE_characterization"
    char.mkdir()
    for f in (PUBLISHED / "CRE_characterization").iterdir():
        (char / f.name).symlink_to(f)
    coords = pd.read_csv(PUBLISHED / "CRE_characterization" / "sufficient_CRE_coordinates.csv")
    rng = np.random.default_rng(4)
    lift = np.where(coords["CRE type"] == "Enhancer", 1.0, 0.0)
    coords.assign(**{"H3K27ac (mean)": rng.random(len(coords)) + lift, "H3K27ac (max)": 2 * rng.random(len(coords)) + lift,
                     "repeat fraction": rng.random(len(coords))}).to_csv(char / "sufficient_CRE_marks.csv", index=False)
    return res


@pytest.fixture(scope="module")
def fake_book_run(fresh_run) -> Path:
    """The fresh run standing in for the book's own run (model folder ``synthetic``)."""
    (fresh_run / "synthetic").symlink_to(fresh_run / "enformer", target_is_directory=True)
    return fresh_run


@pytest.mark.slow
@pytest.mark.parametrize("page", FIGURE_PAGES, ids=lambda p: p.stem)
def test_page_executes_on_a_fresh_run(page, fresh_run):
    """With ``results_dir`` on a run that has every table, pages draw every panel from it."""
    outputs = execute_page(page, fresh_run, "enformer")
    text = shown_text(outputs)
    assert "not in the published copy" not in text and "not in this results folder" not in text, page.name
    assert n_images(outputs) and "Source: pipeline run" in text and "Source: published" not in text, page.name


@pytest.mark.slow
@pytest.mark.parametrize("page", GAP_PAGES, ids=lambda p: p.stem)
def test_published_page_draws_its_gaps_from_the_book_run(page, fake_book_run):
    """On the published copy, the panels it lacks are drawn from the book's run and say so."""
    outputs = execute_page(page, book_run=fake_book_run)
    text = shown_text(outputs)
    assert "not in the published copy" not in text, page.name
    assert "Source: published Enformer results" in text, page.name
    assert "Source: this book&#x27;s run" in text or "Source: this book's run" in text, page.name
    assert "results folder lacks " in text, page.name


# ------------------------------------------------------------------- notebook figures
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.py"))


def _hlines(ax) -> list[float]:
    """y of the axhline()s of ``ax`` (lines spanning the axes: x data [0, 1] in axes coordinates)."""
    return sorted(float(ln.get_ydata()[0]) for ln in ax.lines if list(ln.get_xdata()) == [0, 1])


def _vlines(ax) -> list[float]:
    return sorted(float(ln.get_xdata()[0]) for ln in ax.lines if list(ln.get_ydata()) == [0, 1])


def test_notebooks_draw_with_creme_lib_plots():
    for p in NOTEBOOKS:
        text = p.read_text()
        assert "matplotlib.pyplot" not in text and "plt." not in text, p.name
        assert "sys.path" not in text, p.name
        code = "\n".join(ln.split("#")[0] for ln in text.splitlines())
        assert not re.search(r"(?<![\w.])0\.3(?!\d)", code), p.name  # thresholds come from cfg.thresholds
    for p in PAGES:
        assert "sys.path" not in p.read_text(), p.name  # make installs creme_lib into the kernel's venv


def test_tss_activity_histogram():
    act = RNG.lognormal(2, 1, 200)
    sel = np.sort(act)[-50:]
    with strict():
        fig = plots.tss_activity_histogram(act, sel, "K562", bins=20)
    render(fig)
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 40 and sum(heights[:20]) == 200 and sum(heights[20:]) == 50
    assert "all TSSs (n=200)" in texts(fig) and "selected genes (n=50)" in texts(fig)


def test_context_histogram_draws_the_configured_thresholds():
    t = analysis.BORZOI_THRESHOLDS
    with strict():
        fig = plots.context_histogram(syn_context_dependence(), context=None, thresholds=t, bins=50)
    render(fig)
    assert _vlines(fig.axes[0]) == [t.silencing, t.enhancing]


def test_context_swap_matrix():
    ids_ = seq_ids(4)
    ctx = dict(zip(ids_, ["silencing", "enhancing", "neutral", "enhancing"]))
    rows = [{"source_seq_id": a, "target_seq_id": b, "target context": ctx[b], "source context": ctx[a],
             "Normalized context effect": RNG.normal(0, 5)} for a in ids_ for b in ids_]
    sw = pd.DataFrame(rows)
    with strict():
        fig = plots.context_swap_matrix(sw, title="K562")
    render(fig)
    img = fig.axes[0].images[0].get_array()
    order = sorted(ids_, key=lambda s: (ctx[s], s))
    assert img.shape == (4, 4) and order[0] == ids_[1]
    e = sw.set_index(["source_seq_id", "target_seq_id"])["Normalized context effect"][(order[2], order[0])]
    assert img[2, 0] == pytest.approx(np.sign(e) * np.log10(1 + abs(e)))
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][0] == f"enh {ids_[1].split('_')[0]}"


def test_necessity_and_sufficiency_lines_follow_the_thresholds():
    nt = syn_necessity()
    t = analysis.Thresholds(necessity=0.4, sufficiency=0.25)
    tss_tile = (98_304 - 2_500, 98_304 + 2_500)
    with strict():
        fig = plots.necessity_profile(nt, tss_tile, t, title="K562")
    render(fig)
    ax = fig.axes[0]
    assert _hlines(ax) == [-0.4, 0.4]
    curves = [ln for ln in ax.lines if list(ln.get_xdata()) != [0, 1]]
    assert len(curves) == 3 and all(len(ln.get_xdata()) == len(TILE_STARTS) for ln in curves)
    assert float(curves[0].get_xdata()[0]) == pytest.approx((TILE_STARTS[0] + 2500 - 98_304) / 1000)
    assert "enhancing (n=4)" in texts(fig)
    st = nt.rename(columns={"Normalized shuffle effect": "Normalized CRE effect"})
    with strict():
        fig = plots.sufficiency_scatter(st, tss_tile, t)
    render(fig)
    assert _hlines(fig.axes[0]) == [-0.25, 0.25]
    assert sum(len(c.get_offsets()) for c in fig.axes[0].collections) == len(st)


def test_cre_mark_boxplots():
    marks = pd.DataFrame({"CRE type": ["Enhancer"] * 5 + ["Silencer"] * 3, "H3K27ac (max)": RNG.random(8),
                          "CTCF (max)": RNG.random(8), "repeat fraction": RNG.random(8), "H3K27ac (mean)": RNG.random(8)})
    assert plots.cre_mark_columns(marks) == ["H3K27ac (max)", "CTCF (max)", "repeat fraction"]
    with strict():
        fig = plots.cre_mark_boxplots(marks)
    render(fig)
    assert len(fig.axes) == 3
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["Enh\nn=5", "Sil\nn=3"]
    with pytest.raises(ValueError, match="no mark columns"):
        plots.cre_mark_boxplots(marks[["CRE type"]])
    # Separated groups: the title carries the two-sided Mann-Whitney p-value of the paper's ED Fig. 4.
    from scipy.stats import mannwhitneyu

    sep = marks.assign(**{"H3K27ac (max)": [5.0, 6, 7, 8, 9, 1, 2, 3]})
    # 3 silencers are below plots.MIN_TEST_N: no p-value in the title
    assert plots.cre_mark_boxplots(sep).axes[0].get_title() == "H3K27ac (max)\nMWU: n < 5"
    sep = pd.concat([sep, pd.DataFrame({"CRE type": ["Silencer"] * 2, "H3K27ac (max)": [0.5, 4.0]})], ignore_index=True)
    p = mannwhitneyu([5.0, 6, 7, 8, 9], [1.0, 2, 3, 0.5, 4], alternative="two-sided").pvalue
    title = plots.cre_mark_boxplots(sep, columns=["H3K27ac (max)"]).axes[0].get_title()
    assert title == f"H3K27ac (max)\nMWU p = {p:.2g} {plots.significance_stars(p)}" and p < 0.05
    # A mark with no silencer data has no test (and logs nothing).
    one = sep.assign(**{"CTCF (max)": [1.0] * 5 + [np.nan] * 5})
    assert plots.cre_mark_boxplots(one).axes[1].get_title() == "CTCF (max)"


def test_fine_tile_panels():
    comp = syn_motif_scores()
    with strict():
        fig = plots.fine_tile_panels(comp, title="K562")
    render(fig)
    shown = [a for a in fig.axes if a.get_visible()]
    assert len(shown) == comp["seq_id"].nunique() + 1  # the summary, then every tile (4 <= 7)
    assert "all 4 tiles" in shown[0].get_title()
    assert "CREME (n=4)" in texts(fig) and "XSTREME (mean, n=4)" in texts(fig)
    assert _hlines(fig.axes[1]) == [pytest.approx(0.07)]
    assert {"CREME", "Saliency", "Random", "motif scan"} <= set(texts(fig).split("\n"))
    # Many tiles: the summary covers them all, a few are drawn; saliency without scores has no line.
    many = pd.concat([comp.assign(seq_id=comp["seq_id"] + f"_{i}") for i in range(5)], ignore_index=True)
    many["Saliency score"] = np.nan
    with strict():
        fig = plots.fine_tile_panels(many, title="K562", max_examples=3)
    render(fig)
    shown = [a for a in fig.axes if a.get_visible()]
    assert len(shown) == 4 and "all 20 tiles" in shown[0].get_title()
    assert "3 of 20 tiles shown" in fig.get_suptitle()
    assert "Saliency" not in texts(fig) and all("Saliency" not in ln.get_label() for a in shown for ln in a.lines)
    # Two CREs of one gene: the example titles name the tile, so they differ.
    two = pd.concat([comp[comp["seq_id"] == comp["seq_id"].iloc[0]].assign(seq_id=f"G0_chr1_10000_+_{a}_{a + 5000}")
                     for a in (100_000, 120_000)], ignore_index=True)
    with strict():
        fig = plots.fine_tile_panels(two)
    titles = [a.get_title() for a in fig.axes[1:] if a.get_visible()]
    assert titles == ["G0, tile 100,000-105,000", "G0, tile 120,000-125,000"]


def test_cre_traces_one_line_per_cre():
    d = syn_distance()
    with strict():
        fig = plots.cre_traces(d, "Binned distance (Kb)", "Fold change over control", title="K562")
    render(fig)
    ax = fig.axes[0]
    assert len([ln for ln in ax.lines if list(ln.get_xdata()) != [0, 1]]) == len(d.groupby(["enf_data_id", "tile class"])) == 8
    assert _hlines(ax) == [1.0]
    assert "Enhancer (n=4)" in texts(fig) and "Silencer (n=4)" in texts(fig)
    m = syn_multiplicity()
    with strict():
        fig = plots.cre_traces(m, "copy number", "Normalized TSS effect", unit="seq_id", marker="o")
    render(fig)
    assert len(fig.axes[0].lines) == m["seq_id"].nunique() + 1


def test_greedy_panels():
    tr = syn_traces()
    picks = analysis.interaction_examples(tr, per_type=2)
    assert len(picks) >= 2
    with strict():
        fig = plots.greedy_trace_panels(tr, picks, title="min")
    render(fig)
    shown = [a for a in fig.axes if a.get_visible()]
    assert len(shown) == len(picks) + 1
    assert shown[0].get_title() == "all 6 sequences" and "greedy (n=6)" in texts(fig)
    for a, ((_, sid), kind) in zip(shown[1:], picks.items()):
        assert a.get_title() == f"{plots._short_id(sid)}: {kind}"
        assert [ln.get_label() for ln in a.lines] == ["greedy", "additive", "multiplicative"]
    with strict():
        alone = plots.greedy_trace_panels(tr)
    assert len([a for a in alone.axes if a.get_visible()]) == 1
    gs = syn_greedy_sufficiency()
    with strict():
        fig = plots.greedy_sufficiency_panels({"min": gs, "max": gs.iloc[:0]})
    render(fig)
    # A thin line per sequence, the mean, the WT line; the empty search says so.
    assert len(fig.axes[0].lines) == gs["seq_id"].nunique() + 2
    assert len(fig.axes[0].lines[0].get_xdata()) == 26
    assert "mean (n=5 sequences)" in texts(fig) and "no silencer search" in texts(fig)


def test_locus_figures():
    t = analysis.Thresholds(necessity=0.35, sufficiency=0.2)
    kb = np.arange(-10, 11, 5.0)
    with strict():
        fig = plots.locus_tile_effects(kb, RNG.normal(0, 0.3, kb.size), RNG.normal(0, 0.3, kb.size), t, title="locus")
    render(fig)
    top, bottom = fig.axes
    assert len(top.patches) == kb.size == len(bottom.patches)
    assert _hlines(top) == [-0.35, 0.35] and _hlines(bottom) == [-0.2, 0.2]

    class Greedy:
        fold_change, additive, multiplicative = np.array([1, 0.6, 0.3]), np.array([1, 0.7, 0.4]), np.array([1, 0.7, 0.5])
        optimization = "min"

        def interaction(self, thresholds):
            return f"additive below {thresholds.additive}"

    d = pd.DataFrame({"Binned distance (Kb)": [-10.0, 0.0, 10.0], "Fold change over control": [1.2, 1.5, 1.1]})
    with strict():
        fig = plots.locus_test_panels(d, [1.0, 1.4, 1.6], Greedy(), analysis.Thresholds(additive=0.07))
    render(fig)
    assert fig.axes[2].get_title() == "greedy min: additive below 0.07"
    assert list(fig.axes[1].lines[0].get_xdata()) == [1, 2, 3]
    mask = np.zeros(5000, bool)
    mask[100:350] = True
    with strict():
        fig = plots.fine_tile_mask(mask, label="(100, 5100)")
    render(fig)
    assert "250 of 5,000 bp kept" in fig.axes[0].get_xlabel()


# ------------------------------------------------------------------------- show_panel
def capture_display(monkeypatch) -> list:
    import IPython.display

    shown: list = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs: shown.extend(objs))
    return shown


def test_show_panel_captions_notes_and_empty_tables(tmp_path, monkeypatch):
    shown = capture_display(monkeypatch)
    monkeypatch.setenv("CREME_BOOK_RUN", str(tmp_path / "no_book_run"))
    run = tmp_path / "run"
    (run / "enformer").mkdir(parents=True)
    syn_necessity().to_csv(run / "enformer" / "necessity_test.csv", index=False)

    def draw(src):
        nt = src.load("necessity_test")
        return plots.category_boxplot(nt, "Normalized shuffle effect", x="context"), nt["seq_id"].nunique()

    plots.show_panel("Fig. 2a", draw, run, "enformer")
    assert isinstance(shown[0], Figure)
    from creme_lib.paths import display_path

    n = syn_necessity()["seq_id"].nunique()
    assert shown[1].data == f"<small>Source: pipeline run `{display_path(run)}` (Enformer); n = {n} sequences.</small>"
    shown.clear()
    plots.show_panel("Fig. 2b", lambda src: src.load("sufficiency_test"), run, "enformer")
    (note,) = shown
    assert isinstance(note, plots.PanelPlaceholder) and note.missing == ["enformer/sufficiency_test.csv"]
    assert "not in this results folder" in note.title and "make pipeline" in note.text
    shown.clear()
    empty = lambda src: plots.facet(plots.category_boxplot, src.load("necessity_test").iloc[:0], by="context",  # noqa: E731
                                    value="Normalized shuffle effect", x="cell_line")
    plots.show_panel("Fig. 2c", empty, run, "enformer")
    (note,) = shown
    assert note.title == "Fig. 2c: nothing to draw" and "no rows" in note.text
    shown.clear()
    # Other errors are bugs: they propagate.
    with pytest.raises(KeyError):
        plots.show_panel("Fig. 2d", lambda src: src.load("necessity_test")["no such column"], run, "enformer")


def test_integer_ticks_on_round_and_copy_axes():
    fig = plots.saturation_curves(pd.DataFrame({"seq_id": ["a"] * 3, "copy number": [1, 2, 3], "Normalized TSS effect": [1.0, 1.5, 1.7]}))
    ticks = fig.axes[0].get_xticks()
    assert np.allclose(ticks, np.round(ticks))


def test_fine_tile_tracks_split_tiles_of_one_gene_and_draw_without_saliency():
    n = analysis.TILE_SIZE
    df = pd.DataFrame({"gene": ["G1"] * (2 * n) + ["G2"] * n, "Saliency": np.nan, "CREME": 0, "XSTREME": 0})
    df.loc[10:20, "CREME"] = 1
    with strict():  # no All-NaN warning
        fig = plots.fine_tile_tracks(df)
        render(fig)
    titles = [a.get_title() for a in fig.axes]
    assert len(titles) == 3 and titles[0].startswith("G1 (tile 1 of 2)") and titles[2].startswith("G2: ")
    assert "CREME keeps 11 bp" in titles[0] and "CREME keeps 0 bp" in titles[1]
    assert "no saliency" in texts(fig) and not fig.axes[0].lines


def test_every_module_has_an_api_page_in_the_toc():
    import pkgutil

    import creme_lib

    modules = {m.name for m in pkgutil.iter_modules(creme_lib.__path__) if not m.name.startswith("_")}
    pages = {p.stem for p in (REPO / "book" / "api").glob("*.md")}
    assert modules <= pages, sorted(modules - pages)
    toc = (REPO / "_toc.yml").read_text(encoding="utf-8")
    assert all(f"book/api/{m}\n" in toc for m in modules), [m for m in modules if f"book/api/{m}\n" not in toc]
