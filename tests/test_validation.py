"""Scoring CREME against the world's truth: the package's layout, hand-built tables with known
answers, then the scorers, the plots, the fallback (the pipeline's steps) and the validation
notebook on a small generated world. Sections follow the package's modules."""

import ast
import importlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from creme_lib import validation as V
from creme_lib import ids, plots
from creme_lib.validation.interactions import _pair_trace
from creme_lib.analysis import Thresholds
from creme_lib.world import SMALL_CONFIG, distance_decay, generate_world, load_world, pair_truth, tile_truth

TILES = V.TILES


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    files = generate_world(tmp_path_factory.mktemp("vworld"), seed=0, config=SMALL_CONFIG)
    return load_world(files.root)


# ------------------------------------------------------------------------ the package

SUBMODULES = ("truth", "calls", "interactions", "distance", "contexts", "report", "tables", "fallback", "shuffles")


def _top_level_definitions(module: str) -> set[str]:
    """Names a module defines itself (def, class, assignment), not those it imports."""
    tree = ast.parse(Path(importlib.import_module(module).__file__).read_text())
    out = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                out |= {e.id for e in ast.walk(t) if isinstance(e, ast.Name)}
    return out


def test_every_public_name_has_one_home():
    defined = {m: _top_level_definitions(f"creme_lib.validation.{m}") for m in SUBMODULES}
    assert not _top_level_definitions("creme_lib.validation") - {"__all__"}  # the package only re-exports
    for name in V.__all__:
        homes = [m for m, names in defined.items() if name in names]
        assert len(homes) == 1, f"{name} is defined in {homes}"
        assert getattr(V, name) is getattr(importlib.import_module(f"creme_lib.validation.{homes[0]}"), name)


def _imports(module: str) -> set[str]:
    """Every module a module imports, at any depth (``from a import b`` counts as ``a`` and ``a.b``)."""
    tree = ast.parse(Path(importlib.import_module(module).__file__).read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return out


def test_only_the_fallback_and_the_shuffle_study_run_models():
    runs = ("creme_lib.experiments", "creme_lib.inference", "creme_lib.world.model", "creme_lib.pipeline")
    # The fallback reaches the pipeline's public namespace only (its internals are another module's
    # business); the shuffle study the public tests, the engine and the world's model.
    allowed = {
        "fallback": {"creme_lib.pipeline"},
        "shuffles": {"creme_lib.experiments", "creme_lib.experiments.context_dependence_test",
                     "creme_lib.experiments.necessity_test", "creme_lib.inference", "creme_lib.inference.Engine",
                     "creme_lib.world.model", "creme_lib.world.model.SyntheticModel"},
    }
    for m in SUBMODULES:
        hits = {i for i in _imports(f"creme_lib.validation.{m}") if i.startswith(runs)}
        assert hits == allowed.get(m, set()), (m, hits)


# --------------------------------------------------------------------- hand-built truth


def _truth(rows):
    """Truth rows: (seq_id, tile_index, class, true context, necessity, sufficiency effect)."""
    out = []
    for sid, ti, cls, ctx, nec, suf in rows:
        out.append(dict(seq_id=sid, gene_id=sid, cell_line="K562", tile_index=ti, tile_start=int(TILES[ti, 0]),
                        tile_end=int(TILES[ti, 1]), true_class=cls, channel="lin" if cls == "Enhancer" else None,
                        true_context=ctx, necessity_true=nec, sufficiency_true=suf))
    return pd.DataFrame(out)


def _table(effects, context="enhancing", sid="G_chr1_100_+", column="Normalized shuffle effect"):
    """A necessity-style table over all 38 tiles: ``effects`` {tile index: effect}, 0 elsewhere."""
    eff = np.zeros(len(TILES))
    for i, v in effects.items():
        eff[i] = v
    return pd.DataFrame({column: eff, "seq_id": sid, "tile_start": TILES[:, 0], "tile_end": TILES[:, 1],
                         "context": context, "cell_line": "K562"})


SID, SID2 = "G_chr1_100_+", "H_chr1_900_-"
TRUTH = _truth([
    (SID, 5, "Enhancer", "enhancing", 0.5, 0.45),
    (SID, 20, "Enhancer", "enhancing", 0.4, 0.35),
    (SID, 30, "Enhancer", "enhancing", 0.1, 0.08),  # weak: not detectable
    (SID, 33, "Silencer", "enhancing", -0.4, -0.4),  # silencer in an enhancing gene
    (SID2, 12, "Silencer", "silencing", -0.9, -0.8),
])


def _summary(calls, test="necessity", cls="Enhancer"):
    s = V.precision_recall(calls)
    return s[(s.test == test) & (s["class"] == cls)].iloc[0]


def test_exact_calls_give_precision_and_recall_one():
    table = _table({5: 0.5, 20: 0.4, 30: 0.1, 33: -0.4})
    calls = V.score_cre_calls(table, TRUTH, "necessity")
    row = _summary(calls)
    assert (row.n_called, row.n_correct, row.precision) == (2, 2, 1.0)
    assert (row.n_detectable, row.n_detectable_found, row.recall) == (2, 2, 1.0)
    assert (row.n_planted, row.n_planted_found) == (3, 2) and row.recall_planted == pytest.approx(2 / 3)
    out = calls.set_index("tile_start").outcome
    assert out[TILES[5, 0]] == "TP" and out[TILES[20, 0]] == "TP"
    assert out[TILES[30, 0]] == "missed (below threshold)"
    assert out[TILES[33, 0]] == "missed (context)"
    # A silencer in an enhancing gene is never called: the silencer class has nothing called.
    sil = _summary(calls, cls="Silencer")
    assert sil.n_called == 0 and np.isnan(sil.precision) and sil.n_planted == 1 and sil.n_detectable == 0


def test_one_false_positive_lowers_precision_as_computed():
    table = _table({5: 0.5, 20: 0.4, 9: 0.6})  # tile 9 holds no element
    calls = V.score_cre_calls(table, TRUTH, "necessity")
    row = _summary(calls)
    assert (row.n_called, row.n_correct) == (3, 2)
    assert row.precision == pytest.approx(2 / 3) and row.recall == 1.0
    fp = calls[calls.outcome == "FP"]
    assert list(fp.tile_start) == [TILES[9, 0]] and fp.called_class.iloc[0] == "Enhancer"


def test_missed_detectable_tile_lowers_recall():
    table = _table({5: 0.5, 20: 0.25})  # tile 20 under the threshold
    calls = V.score_cre_calls(table, TRUTH, "necessity")
    row = _summary(calls)
    assert row.precision == 1.0 and row.recall == pytest.approx(0.5)
    assert calls.set_index("tile_start").outcome[TILES[20, 0]] == "FN"


def test_context_column_gates_calls():
    # Same effects in a context CREME called "other": nothing is called, detectable tiles are FN.
    calls = V.score_cre_calls(_table({5: 0.5, 20: 0.4}, context="other"), TRUTH, "necessity")
    row = _summary(calls)
    assert row.n_called == 0 and row.recall == 0.0


def test_silencers_and_wrong_class():
    sil = _table({12: -0.85}, context="silencing", sid=SID2)
    row = _summary(V.score_cre_calls(sil, TRUTH, "necessity"), cls="Silencer")
    assert (row.precision, row.recall, row.n_detectable) == (1.0, 1.0, 1)
    # A silencer effect in an enhancing gene at an enhancer tile: not an enhancer call, not a silencer call.
    calls = V.score_cre_calls(_table({5: -0.9, 20: 0.4}), TRUTH, "necessity")
    assert calls.set_index("tile_start").outcome[TILES[5, 0]] == "FN"


def test_sufficiency_uses_pipeline_normalization():
    t = _table({5: 0.5}, column="(MUT - CONTROL) / WT").assign(**{"(MUT - CONTROL) / CONTROL": 0.0})
    t.loc[20, "(MUT - CONTROL) / CONTROL"] = 5.0  # ignored in an enhancing context
    np.testing.assert_allclose(V.test_effect(t, "sufficiency")[[5, 20]], [0.5, 0.0])
    calls = V.score_cre_calls(t, TRUTH, "sufficiency")
    row = _summary(calls, test="sufficiency")
    assert (row.n_called, row.precision, row.n_detectable, row.recall) == (1, 1.0, 2, 0.5)
    # With the column present it wins.
    t2 = t.assign(**{"Normalized CRE effect": 0.0})
    assert V.test_effect(t2, "sufficiency").max() == 0.0


def test_detectable_rule_and_target():
    assert list(V.detectable(TRUTH, "necessity")) == [True, True, False, False, True]
    assert list(V.detectable(TRUTH, "sufficiency")) == [True, True, False, False, True]
    strict = V.detectable(TRUTH, "sufficiency", Thresholds(sufficiency=0.4))
    assert list(strict) == [True, False, False, False, True]
    suf = _table({5: 0.45, 20: 0.35}, column="Normalized CRE effect").assign(
        **{"(MUT - CONTROL) / WT": 0.0, "(MUT - CONTROL) / CONTROL": 0.0})
    tgt = V.target_met(V.precision_recall(V.score_cre_calls(suf, TRUTH, "sufficiency")))
    assert tgt.met.tolist() == [True]
    suf.loc[20, "Normalized CRE effect"] = 0.1
    tgt = V.target_met(V.precision_recall(V.score_cre_calls(suf, TRUTH, "sufficiency")))
    assert tgt.recall.tolist() == [0.5] and tgt.met.tolist() == [False]


def test_tile_index_of():
    np.testing.assert_array_equal(V.tile_index_of([TILES[0, 0], TILES[37, 0], 7]), [0, 37, -1])


# ------------------------------------------------------------------------ with a world


def _enhancing_gene(world, need_pair=False):
    for line in world.cell_lines:
        ct = V.true_contexts(world, world.genes.gene_id, line)
        for gid in ct.index[ct.category == "enhancing"]:
            if need_pair:
                pt = pair_truth(world, gid, line)
                if pt.planted.any() and (pt[pt.planted].pair_type != "additive").any():
                    return gid, line, pt[pt.planted & (pt.pair_type != "additive")].iloc[0]
            elif not tile_truth(world, gid, line).empty:
                return gid, line, None
    pytest.fail("the small world has no suitable enhancing gene")


def test_map_seq_ids_and_truth_tiles(world):
    gid, line, _ = _enhancing_gene(world)
    sid = V.seq_id_of(world, gid)
    m = V.map_seq_ids(world, [sid, sid])
    assert len(m) == 1 and m.gene_id.iloc[0] == gid
    d = ids.parse_seq_id(sid)
    name, chrom, tss, strand = d["gene"], d["chrom"], d["tss"], d["strand"]
    with pytest.raises(KeyError, match="not in the world"):
        V.map_seq_ids(world, [f"NOPE_{chrom}_{tss}_{strand}"])
    with pytest.raises(KeyError, match="not"):
        V.map_seq_ids(world, [f"{name}_{chrom}_{tss + 1}_{strand}"])
    tr = V.truth_tiles(world, [sid], line)
    tt = tile_truth(world, gid, line)
    assert sorted(tr.tile_index) == sorted(tt.tile_index.unique())
    single = tr[tr.n_elements == 1].set_index("tile_index")
    np.testing.assert_allclose(single.necessity_true, tt.set_index("tile_index").loc[single.index, "effect_frac"], rtol=1e-9)
    assert (tr.true_context == "enhancing").all()
    # Sufficiency over WT is positive for enhancers, the pipeline's normalization in an enhancing context.
    enh = tr[tr.true_class == "Enhancer"]
    assert (enh.sufficiency_true_wt > 0).all()
    np.testing.assert_allclose(enh.sufficiency_true, enh.sufficiency_true_wt)


def _trace(sid, line, tiles, fc, add):
    return pd.DataFrame({"seq_id": sid, "cell_line": line, "context": "enhancing", "N tiles": np.arange(len(fc)),
                         "greedy": fc, "additive": add, "tile_start": [-1] + [int(TILES[t, 0]) for t in tiles],
                         "tile_end": [-1] + [int(TILES[t, 1]) for t in tiles]})


def test_interactions_scored_against_planted_pairs(world):
    gid, line, p = _enhancing_gene(world, need_pair=True)
    sid = V.seq_id_of(world, gid)
    fc, add = _pair_trace(p, True)
    # The noise-free trace: CREME's label equals the rule's label on the truth.
    exact = _trace(sid, line, [p.tile_a, p.tile_b], fc, add)
    res = V.score_interactions(exact, world)
    r = res.iloc[0]
    assert r.scored and r.planted and r.true_type == p.pair_type
    assert r.expected == V.CREME_LABEL[p.pair_type] != p.pair_type
    assert r.predicted == r.truth_by_rule and r.deviation == pytest.approx(r.true_deviation)
    # A trace far below the additive model is superadditive (CREME frame) whatever the pair.
    below = _trace(sid, line, [p.tile_a, p.tile_b], [1.0, fc[1], add[2] - 0.8], add)
    r2 = V.score_interactions(below, world).iloc[0]
    assert r2.predicted == "superadditive" and r2.correct == (r2.expected == "superadditive")
    # Top-2 tiles without elements are not scored.
    empty = [t for t in range(38) if t not in tile_truth(world, gid, line).tile_index.tolist()][:2]
    r3 = V.score_interactions(_trace(sid, line, empty, fc, add), world).iloc[0]
    assert not r3.scored and "not two true enhancers" in r3.reason
    cm = V.interaction_confusion(res)
    assert cm.values.sum() == 1 and cm.loc[r.expected, r.predicted] == 1
    s = V.interaction_summary(res).iloc[0]
    assert s.n_scored == 1 and s.agreement_with_rule_on_truth == 1.0


def test_creme_label_mapping_matches_mechanism(world):
    # Noise-free traces of planted pairs: cooperative pairs lie above the additive model
    # (CREME: subadditive), saturating ones below (CREME: superadditive).
    v = pd.concat([V.pair_visibility(world, line) for line in world.cell_lines])
    assert set(v.true_type) >= {"superadditive", "subadditive"}
    assert (v[v.true_type == "superadditive"].true_deviation > 0).all()
    assert (v[v.true_type == "subadditive"].true_deviation < 0).all()
    assert (v[v.true_type == "additive"].true_deviation.abs() < 1e-9).all()


def _linear_enhancer(world):
    for line in world.cell_lines:
        for gid in world.genes.gene_id:
            tt = tile_truth(world, gid, line)
            e = tt[(tt["class"] == "enhancer") & tt.channel.isin(["lin", "coop"])]
            if len(e):
                return gid, line, e.iloc[0]
    pytest.fail("no linear enhancer in the small world")


def test_distance_recovers_a_perfect_kernel(world):
    gid, line, e = _linear_enhancer(world)
    sid = V.seq_id_of(world, gid)
    kb = np.array([-95.0 + 5 * i for i in range(19)] + [5.0 + 5 * i for i in range(19)])
    offset = (e.start + e.end) / 2 - (e.tile_start + e.tile_end) / 2
    eff = 0.7 * distance_decay(kb * 1000 + offset, world.mechanism)
    d = pd.DataFrame({"CRE sufficiency effect": eff, "Binned distance (Kb)": kb, "cell line": line,
                      "enf_data_id": f"{sid}_{int(e.tile_start)}_{int(e.tile_end)}", "tile class": "Enhancer"})
    curves, summary = V.score_distance(d, world)
    s = summary[summary.channel == "all"].iloc[0]
    assert s.pearson_r == pytest.approx(1.0, abs=1e-9) and s.rmse < 1e-9
    assert s.lambda_fit_kb == pytest.approx(40.0, rel=0.02)
    assert set(summary.channel) == {"all", e.channel}
    # A single linear (or cooperative) enhancer's noise-free test curve is the kernel, to the bin.
    assert s.rmse_model < 0.01
    flat = d.assign(**{"CRE sufficiency effect": 0.5})
    s2 = V.score_distance(flat, world)[1].iloc[0]
    assert np.isnan(s2.pearson_r) and s2.rmse > 0.3 and s2.lambda_fit_kb == np.inf


def test_model_distance_curve_is_what_a_perfect_test_measures(world):
    # Feed the model's own answer as CREME's table: no error against the model, whatever the channel;
    # a silencer's curve is flatter than the kernel (multiplicative, bounded by -1).
    rows = []
    kb = np.array([-95.0 + 5 * i for i in range(19)] + [5.0 + 5 * i for i in range(19)])
    for line in world.cell_lines:
        for gid in world.genes.gene_id:
            for e in tile_truth(world, gid, line).to_dict("records"):
                cls, tile = e["class"].capitalize(), (e["tile_start"], e["tile_end"])
                y = V.model_distance_curve(world, gid, line, e["element_id"], tile, kb, cls)
                rows.append(pd.DataFrame({"CRE sufficiency effect": y, "Binned distance (Kb)": kb, "cell line": line,
                                          "enf_data_id": f"{V.seq_id_of(world, gid)}_{tile[0]}_{tile[1]}",
                                          "tile class": cls}))
    d = pd.concat(rows, ignore_index=True)
    assert set(d["tile class"]) == {"Enhancer", "Silencer"}
    sil = d[d["tile class"] == "Silencer"]
    assert (sil["CRE sufficiency effect"] < 0).all() and (sil["CRE sufficiency effect"] > -1).all()
    curves, summary = V.score_distance(d, world)
    assert (summary.rmse_model < 1e-9).all()
    s = summary.set_index(["cell_line", "tile class", "channel"])
    assert (s.xs("Silencer", level=1).lambda_fit_kb > 40.0).all()


def test_contexts(world):
    line = world.cell_lines[0]
    tr = V.true_contexts(world, world.genes.gene_id, line)
    t = pd.DataFrame({"seq_id": [V.seq_id_of(world, g) for g in tr.index], "delta_mean": tr.context_effect.to_numpy(),
                      "context": tr.category.replace({"other": None}).to_numpy(), "cell_line": line})
    sc = V.score_contexts(t, world)
    assert sc.agree.all() and V.context_summary(sc).accuracy.iloc[0] == 1.0
    t.loc[0, "context"] = "neutral" if tr.category.iloc[0] != "neutral" else "enhancing"
    sc = V.score_contexts(t, world)
    assert V.context_summary(sc).accuracy.iloc[0] == pytest.approx(1 - 1 / len(t))
    assert V.context_confusion(sc).values.sum() == len(t)


def test_load_tables_layouts(tmp_path):
    a = _table({5: 0.5}).assign(cell_line="K562")
    b = _table({5: 0.5}).assign(cell_line="PC-3")
    (tmp_path / "K562").mkdir()
    a.to_csv(tmp_path / "K562" / "necessity_test.csv", index=False)
    pd.concat([a.assign(**{"Normalized shuffle effect": 9.0}), b]).to_csv(tmp_path / "necessity_test.csv")
    d = pd.DataFrame({"Binned distance (Kb)": [5.0], "cell line": ["PC-3"], "enf_data_id": ["x"]})
    d.to_csv(tmp_path / "distance_test.csv", index=False)
    t = V.load_tables(tmp_path, ["K562", "PC-3"])
    n = t["necessity"]
    assert len(n) == 2 * len(TILES) and "Unnamed: 0" not in n.columns
    assert n[n.cell_line == "K562"]["Normalized shuffle effect"].max() == 0.5  # the cell line's own table wins
    assert t["distance"].cell_line.tolist() == ["PC-3"] and t["sufficiency"] is None
    assert V.missing_cell_lines(t, ["K562", "PC-3", "GM12878"]) == ["K562", "PC-3", "GM12878"]


def test_findings_report_failures():
    table = _table({5: 0.5, 9: 0.6})
    calls = V.score_cre_calls(table, TRUTH, "necessity")
    suf = V.score_cre_calls(_table({5: 0.45, 9: 0.7}, column="Normalized CRE effect"), TRUTH, "sufficiency")
    calls = pd.concat([calls, suf], ignore_index=True)
    summary = V.precision_recall(calls)
    empty = pd.DataFrame()
    rep = V.ValidationReport(
        cre_calls=calls, cre_summary=summary, target=V.target_met(summary), interactions=V.score_interactions(None, None),
        interaction_confusion=empty, interaction_summary=empty, pair_visibility=empty,
        distance_curves=empty, distance_summary=V.score_distance(None, None)[1], contexts=empty,
        context_confusion=empty, context_summary=V.context_summary(V.score_contexts(None, None)), truth=TRUTH,
        notes=["table x is missing"],
    )
    text = "\n".join(V.findings(rep))
    assert "**target not met**" in text and "precision 0.50 (1/2)" in text
    assert "Interactions" not in text
    assert "1 false calls" in text and "missed 1 detectable tiles" in text
    assert "weaker than the paper's threshold" in text and "table x is missing" in text
    # Interaction errors: one made by the rule itself on the noise-free trace, one by noise.
    rep.interactions = pd.DataFrame({
        "scored": [True, True, True, False], "true_pair": [True, True, True, False],
        "predicted": ["additive", "superadditive", "additive", "additive"],
        "expected": ["subadditive", "subadditive", "additive", None],
        "truth_by_rule": ["additive", "subadditive", "additive", None],
    })
    text = "\n".join(V.findings(rep))
    assert "3 of 4 greedy traces have a planted pair as their top two tiles; 1 of them are classified as expected" in text
    assert "2 planted pairs are misclassified (1 read additive, 1 read superadditive); 1 of them the same way" in text
    assert "limit of the rule" in text and "The other 1 differ" in text


# ------------------------------------------------------------------------------ plots


def test_validation_scores_plot_draws_the_summary_and_the_target():
    calls = pd.concat([V.score_cre_calls(_table({5: 0.5, 9: 0.6}), TRUTH, "necessity"),
                       V.score_cre_calls(_table({5: 0.45}, column="Normalized CRE effect"), TRUTH, "sufficiency")],
                      ignore_index=True)
    summary = V.precision_recall(calls)
    fig = plots.validation_scores(summary, Thresholds(necessity=0.25), minimum=0.7)
    axes = {a.get_title(): a for a in fig.axes}
    ax = axes["necessity, Enhancer (|effect| > 0.25)"]
    row = summary[(summary.test == "necessity") & (summary["class"] == "Enhancer")].iloc[0]
    heights = [b.get_height() for b in ax.patches]  # precision, recall, recall_planted of the one cell line
    np.testing.assert_allclose(heights, [row.precision, row.recall, row.recall_planted])
    assert [tuple(line.get_ydata()) for line in ax.get_lines()] == [(0.7, 0.7)]
    assert "sufficiency, Silencer (|effect| > 0.3)" in axes


def test_confusion_heatmaps_annotate_every_count():
    th = Thresholds(additive=0.02, silencing=-0.4)
    scored = pd.DataFrame({"scored": [True, True, True, False],
                           "expected": ["subadditive", "additive", "additive", None],
                           "predicted": ["additive", "additive", "ambiguous", "additive"]})
    cm = V.interaction_confusion(scored)
    ax = plots.interaction_confusion_heatmap(cm, th, rounds=3).axes[0]
    assert sorted(int(t.get_text()) for t in ax.texts) == sorted(cm.to_numpy().ravel().tolist())
    assert "additive < 0.02; 3 rounds" in ax.get_xlabel() and "n=3" in ax.get_title()
    ctx = pd.DataFrame({"true_context": ["enhancing", "silencing", "neutral"],
                        "context": ["enhancing", "other", "neutral"]})
    ccm = V.context_confusion(ctx)
    ax = plots.context_confusion_heatmap(ccm, th).axes[0]
    assert sum(int(t.get_text()) for t in ax.texts) == 3 and "silencing < -0.4" in ax.get_xlabel()


def test_validation_distance_curves_one_panel_per_group():
    kb = np.array([-10.0, -5.0, 5.0, 10.0])
    curves = pd.concat([pd.DataFrame({"cell_line": "K562", "tile class": cls, "channel": ch, "distance_kb": kb,
                                      "n_cres": 2, "true_norm": np.exp(-np.abs(kb) / 40), "model_norm": 1.0,
                                      "recovered_norm": 0.9})
                        for cls, ch in [("Enhancer", "all"), ("Enhancer", "lin"), ("Silencer", "all")]])
    fig = plots.validation_distance_curves(curves, decay_kb=25.0, ncols=2)
    shown = [a for a in fig.axes if a.get_visible()]
    assert len(shown) == 3 and len(fig.axes) == 4
    kernel = shown[0].get_lines()[0]
    assert kernel.get_label() == "kernel exp(-|d|/25 kb)"
    np.testing.assert_allclose(kernel.get_ydata(), np.exp(-np.abs(kb) / 40))


# ---------------------------------------------------------------------------- slow


@pytest.mark.slow
def test_fallback_and_notebook_on_a_small_world(world, tmp_path):
    from creme_lib.pipeline import execute_notebook

    line = "K562"
    out = tmp_path / "results"
    pipe = tmp_path / "pipeline"
    tabs = V.compute_tables(world, line, n_genes=3, n_shuffles=1, seed=0, out_dir=out, max_distance_cres=1,
                            pipeline_dir=pipe)
    sample = V.sample_world_genes(world, line, 3, 0)
    # The tables are the pipeline's own, written by its steps into its store (one part per gene).
    parts = sorted(p.stem for p in (pipe / V.FALLBACK_MODEL / line / "necessity").glob("*.csv"))
    assert parts == sorted(sample.seq_id)
    for key, name in V.TABLES.items():
        written = pd.read_csv(pipe / V.FALLBACK_MODEL / line / f"{name}.csv")
        pd.testing.assert_frame_equal(tabs[key], written)
    # A second call reuses the parts (nothing recomputed): the same tables.
    again = V.compute_tables(world, line, n_genes=3, n_shuffles=1, seed=0, max_distance_cres=1, pipeline_dir=pipe)
    for key in V.TABLES:
        pd.testing.assert_frame_equal(again[key], tabs[key])
    assert set(tabs["necessity"].seq_id) == set(sample.seq_id) and len(tabs["necessity"]) == 3 * len(TILES)
    assert list(tabs["sufficiency"].columns[:2]) == ["(MUT - CONTROL) / WT", "(MUT - CONTROL) / CONTROL"]
    assert set(tabs["greedy_min"]["N tiles"]) == {0, 1, 2}
    for key, name in V.TABLES.items():
        assert (out / line / f"{name}.csv").is_file()
    meta = json.loads((out / line / "validation_fallback.json").read_text())
    assert meta["genes"] == sample.gene_id.tolist() and meta["pipeline_overrides"]["n_shuffles"] == 1
    assert V.fallback_is_current(out, line, world, 3, 1, 0) and not V.fallback_is_current(out, line, world, 4, 1, 0)

    rep = V.validate(world, V.load_tables(out, [line]), [line])
    row = rep.cre_summary.set_index(["test", "class"]).loc[("sufficiency", "Enhancer")]
    assert row.n_called > 0 and row.precision >= 0.8 and row.recall >= 0.8
    assert rep.context_summary.accuracy.iloc[0] == 1.0
    assert len(rep.distance_summary) and rep.distance_summary.pearson_r.iloc[0] > 0.95

    page = tmp_path / "validation.ipynb"
    execute_notebook("notebooks/12_validation.py", page,
                     {"results_dir": str(out), "world_dir": str(world.root), "cell_lines": [line], "shuffle_study": False})
    import nbformat

    nb = nbformat.read(page, as_version=4)
    outs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outs if o.output_type == "error"]
    md = "\n".join(o["data"].get("text/markdown", "") for o in outs if o.output_type == "display_data")
    assert "The target is met" in md or "The target is not met" in md
    assert f"{line}: sufficiency-called enhancers have precision" in md
    assert sum("image/png" in o.get("data", {}) for o in outs) >= 3
    assert not (out / V.FALLBACK_DIR).exists()  # the tables existed: no fallback was run
    assert "The shuffle study has not been run for this results folder" in md
    assert not (out / "validation").exists()


# ---------------------------------------------------------------- the shuffle study


def _predictions(wt, ctx_mut, tile_mut, sid=SID):
    """Study predictions of one sequence: context shuffles ``ctx_mut`` (S,), tile shuffles
    ``tile_mut`` {tile index: (S,)} (other tiles: ``wt`` for every shuffle)."""
    s = len(ctx_mut)
    rows = [dict(cell_line="K562", seq_id=sid, test="context", tile_start=int(V.TSS_TILE[0]),
                 tile_end=int(V.TSS_TILE[1]), shuffle=k, wt=wt, mut=m) for k, m in enumerate(ctx_mut)]
    for i, (a, b) in enumerate(TILES):
        muts = tile_mut.get(i, [wt] * s)
        rows += [dict(cell_line="K562", seq_id=sid, test="necessity", tile_start=int(a), tile_end=int(b),
                      shuffle=k, wt=wt, mut=m) for k, m in enumerate(muts)]
    return pd.DataFrame(rows)


def test_necessity_table_uses_the_first_k_shuffles_for_tiles_and_context():
    # context: the first shuffle alone says enhancing (1 - 0.2 / 10 = 0.98), the first two
    # 1 - 5.1 / 10 = 0.49 and the first three 0.327, between the categories
    p = _predictions(10.0, [0.2, 10.0, 10.0], {5: [6.0, 2.0, 10.0]})
    one, three = V.necessity_table(p, 1), V.necessity_table(p, 3)
    assert len(one) == len(three) == len(TILES)
    assert set(one.context) == {"enhancing"} and set(three.context) == {"other"}
    t5 = lambda t: float(t.loc[t.tile_start == TILES[5, 0], "Normalized shuffle effect"].iloc[0])  # noqa: E731
    assert t5(one) == pytest.approx((10 - 6) / 10)
    assert t5(three) == pytest.approx((10 - 6) / 10)  # (10 - mean(6, 2, 10)) / 10
    assert (V.necessity_table(_predictions(10.0, [10.0, 10.0], {}), 2).context == "neutral").all()


def test_calls_by_shuffle_count_and_effect_size_bins(world):
    for gid in world.elements.target_gene.unique():  # a gene with a detectable enhancer
        sid = V.seq_id_of(world, gid)
        truth = V.truth_tiles(world, [sid], "K562")
        if ((truth.true_class == "Enhancer") & V.detectable(truth, "necessity")).any():
            break
    # a perfect, noise-free test: every tile's shuffles give WT * (1 - true effect); the context enhancing
    eff = {int(r.tile_index): r.necessity_true for r in truth.itertuples()}
    p = _predictions(100.0, [1.0, 1.0, 1.0], {i: [100.0 * (1 - e)] * 3 for i, e in eff.items()}, sid=sid)
    calls = V.calls_by_shuffle_count(world, p, counts=(1, 3)).assign(world="w")
    det = truth[V.detectable(truth, "necessity") & (truth.true_class == "Enhancer")]
    assert len(det)
    s = V.shuffle_count_summary(calls)
    enh = s[s["class"] == "Enhancer"].set_index("n_shuffles")
    assert list(enh.index) == [1, 3]
    assert (enh.n_detectable == len(det)).all() and (enh.recall.fillna(1.0) == 1.0).all()
    assert (enh.n_called == enh.n_correct).all()
    r = V.recall_by_effect_size(calls)
    assert r.groupby("n_shuffles").n_detectable.sum().tolist() == [int(V.detectable(truth, "necessity").sum())] * 2
    assert (r.recall.dropna() == 1.0).all()
    assert list(r.effect_size.cat.categories) == ["0.3-0.5", "0.5-1", ">1"]


def test_spread_by_distance_bins_tiles_by_their_distance_to_the_tss():
    eff = np.arange(len(TILES), dtype=float)
    t = pd.DataFrame({"tile_start": TILES[:, 0], "tile_end": TILES[:, 1], "Normalized shuffle effect": eff})
    s = V.spread_by_distance(t).set_index("distance")
    d = np.abs(TILES.mean(axis=1) - 98_304)
    near = eff[d <= 7_500]
    assert s.loc["0-7.5 kb", "n"] == len(near) == 2  # the two tiles beside the TSS tile
    assert s.loc["0-7.5 kb", "median"] == pytest.approx(np.median(near))
    assert s.n.sum() == len(TILES)


def _count_summary(rows):
    cols = ["world", "n_shuffles", "class", "n_called", "n_correct", "precision", "n_detectable", "n_detectable_found", "recall"]
    return pd.DataFrame(rows, columns=cols)


def test_shuffles_needed_is_the_fewest_count_keeping_precision_and_recall():
    rows = []
    # world a: 1 shuffle loses precision, 3 lose recall (0.7 vs 0.8 at 10), 10 is fine
    for k, prec, rec in ((1, 0.8, 0.8), (3, 0.95, 0.7), (10, 1.0, 0.8)):
        rows.append(("a", k, "Enhancer", 10, int(10 * prec), prec, 10, int(10 * rec), rec))
        rows.append(("a", k, "Silencer", 0, 0, np.nan, 0, 0, np.nan))  # no calls, nothing detectable
    assert V.shuffles_needed(_count_summary(rows)) == 10
    rows = [r if r[1] != 3 else r[:5] + (0.95, 10, 8, 0.78) for r in rows]  # within the 0.05 tolerance
    assert V.shuffles_needed(_count_summary(rows)) == 3
    text = V.shuffle_findings(_count_summary(rows), calibrated=("a",))
    assert text[0].startswith("**a**, 10 shuffles: precision of enhancers 1.00 (10/10 calls), recall 0.80 (8/10)")
    assert "at least 0.9" in text[0] and text[-1].startswith("At the calibrated noise, **3 shuffles**")
    other = V.shuffle_findings(_count_summary(rows), calibrated=())
    assert other[-1].startswith("In the a, **3 shuffles**")
    worse = _count_summary([r if r[1] != 10 else r[:5] + (0.5,) + r[6:] for r in rows])
    assert V.shuffles_needed(worse) is None and "**below 0.9**" in V.shuffle_findings(worse, calibrated=("a",))[0]


def test_a_small_shuffle_study_runs_once_and_is_scored(world, tmp_path):
    pytest.importorskip("tensorflow")
    from creme_lib.validation import shuffles

    spec = V.StudyWorld("small world", 0, SMALL_CONFIG, "K562")
    per = {"enhancing": 1, "neutral": 1}
    cache = world.root.parent  # the fixture's world is this spec's: reused, not generated again
    csv = V.run_study(tmp_path / "study", worlds=(spec,), per_category=per, cache_dir=cache)
    pred = pd.read_csv(csv)
    n = shuffles.study_size(pred).set_index("true_context")
    assert n.genes.to_dict() == {"enhancing": 1, "neutral": 1}
    assert (n.tiles == len(TILES)).all() and (n.shuffles == max(V.SHUFFLE_COUNTS)).all()
    assert len(pred) == 2 * max(V.SHUFFLE_COUNTS) * (1 + len(TILES))
    # With noise on, shuffles of one tile differ; the WT is one value per sequence.
    nec = pred[pred.test == "necessity"]
    assert (nec.groupby(["seq_id", "tile_start"]).mut.std() > 0).mean() > 0.5
    assert (pred.groupby("seq_id").wt.nunique() == 1).all()
    stamp = csv.stat().st_mtime_ns
    assert V.run_study(tmp_path / "study", worlds=(spec,), per_category=per, cache_dir=cache) == csv
    assert csv.stat().st_mtime_ns == stamp  # reused, not rerun
    assert V.load_or_run_study(tmp_path / "none", run=False) is None

    calls = V.score_study(pred, worlds=(spec,), cache_dir=cache)
    summary = V.shuffle_count_summary(calls)
    assert sorted(summary.n_shuffles.unique()) == list(V.SHUFFLE_COUNTS)
    assert summary.n_detectable.sum() > 0
    spread = V.spread_comparison(pred)
    assert set(spread.source) == {"small world"} and spread.n.sum() == 2 * len(TILES)
    from creme_lib.world.mechanism import SHUFFLE_NOISE_WEIGHT

    assert (pred.noise_weight == SHUFFLE_NOISE_WEIGHT).all()
    assert f"small world (K562, noise weight {SHUFFLE_NOISE_WEIGHT:g}): n = 2 genes, 76 tiles" in shuffles.study_caption(pred)
    for fig in (plots.validation_shuffle_counts(summary, V.PRECISION_MINIMUM),
                plots.validation_recall_by_effect(V.recall_by_effect_size(calls)),
                plots.validation_shuffle_spread(spread, contexts=tuple(spread.context.unique()))):
        assert fig.axes
