import numpy as np
import pandas as pd
import pytest

from creme_lib.analysis import (
    fold_change_over_max,
    PAPER,
    Thresholds,
    additive_model,
    classify_context,
    classify_interaction,
    classify_tiles,
    context_effect,
    interaction_examples,
    interaction_mse,
    multiplicative_model,
    normalized_tile_effect,
    sample_contexts,
)


def test_normalizations():
    assert context_effect(10.0, 3.0) == pytest.approx(0.7)
    assert normalized_tile_effect(10.0, 2.0, 4.0) == pytest.approx(2.0)


def test_context_categories_at_the_paper_thresholds():
    e = np.array([0.96, 0.95, 0.04, -0.049, 0.05, -0.31, -0.3, 0.5])
    got = classify_context(e).tolist()
    assert got == ["enhancing", None, "neutral", "neutral", None, "silencing", None, None]


def test_tile_classes_depend_on_context():
    e = np.array([0.4, 0.4, -0.4, -0.4, 0.2])
    ctx = np.array(["enhancing", "silencing", "silencing", "enhancing", "enhancing"])
    assert classify_tiles(e, ctx, PAPER.sufficiency).tolist() == ["Enhancer", None, "Silencer", None, None]


def test_sample_contexts_caps_each_category():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"delta_mean": np.concatenate([rng.uniform(0.96, 1, 300), rng.uniform(-0.04, 0.04, 50),
                                                     rng.uniform(-2, -0.31, 10), rng.uniform(0.1, 0.9, 40)])})
    out = sample_contexts(df)
    assert out["context"].value_counts().to_dict() == {"enhancing": 200, "neutral": 50, "silencing": 10}
    pd.testing.assert_frame_equal(out, sample_contexts(df))  # deterministic (random_state 42)
    small = sample_contexts(df, Thresholds(max_per_category=5))
    assert small["context"].value_counts().max() == 5


def test_hypothetical_models():
    np.testing.assert_allclose(additive_model(10.0, [7.0, 6.0]), [10.0, 7.0, 3.0])
    np.testing.assert_allclose(multiplicative_model(10.0, [5.0, 5.0]), [10.0, 5.0, 2.5])


@pytest.mark.parametrize(
    "trace,direction,expected",
    [
        ([1.0, 0.7, 0.4], "min", "additive"),
        ([1.0, 0.4, 0.0], "min", "superadditive"),
        ([1.0, 0.9, 0.95], "min", "subadditive"),
        ([1.0, 1.2, 1.6], "max", "additive"),
        ([1.0, 1.6, 2.3], "max", "superadditive"),
        ([1.0, 0.7, 0.55], "min", None),  # MSE between 0.05 and 0.1 is ambiguous
    ],
)
def test_interaction_classes(trace, direction, expected):
    additive = [1.0, 0.7, 0.4] if direction == "min" else [1.0, 1.2, 1.4]
    if expected is None:
        additive = [1.0, 0.7 + 0.25, 0.55 + 0.25]  # MSE 0.0625
    assert classify_interaction(np.array(trace), np.array(additive), direction=direction) == expected


def _traces(curves: dict[str, list[float]], additive: list[float]) -> pd.DataFrame:
    """``greedy_search/min_traces`` rows: one sequence per curve, the same additive model."""
    rows = [(sid, "K562", k, g, a) for sid, trace in curves.items() for k, (g, a) in enumerate(zip(trace, additive))]
    return pd.DataFrame(rows, columns=["seq_id", "cell_line", "N tiles", "greedy", "additive"])


def test_interaction_examples_pick_the_clearest_of_each_type():
    additive = [1.0, 0.7, 0.4]
    tr = _traces({
        "super_weak": [1.0, 0.4, 0.05],    # MSE (0.09 + 0.1225) / 2 = 0.106
        "super_strong": [1.0, 0.2, 0.0],   # 0.205
        "sub": [1.0, 0.95, 1.0],           # 0.21
        "add_close": [1.0, 0.71, 0.41],    # 0.0001
        "add_far": [1.0, 0.6, 0.25],       # 0.01625
        "ambiguous": [1.0, 0.95, 0.65],    # 0.0625: no type
    }, additive)
    mse = interaction_mse(tr)
    assert mse[("K562", "super_strong")] == pytest.approx((0.5**2 + 0.4**2) / 2)
    assert mse[("K562", "add_close")] == pytest.approx(1e-4)
    picks = interaction_examples(tr, per_type=1)
    assert list(picks.items()) == [(("K562", "super_strong"), "superadditive"), (("K562", "sub"), "subadditive"),
                                   (("K562", "add_close"), "additive")]
    both = interaction_examples(tr, per_type=2)
    assert both.index.get_level_values("seq_id").tolist() == ["super_strong", "super_weak", "sub", "add_close", "add_far"]
    # The row order of the table does not matter; the thresholds do.
    shuffled = tr.sample(frac=1.0, random_state=1)
    pd.testing.assert_series_equal(interaction_examples(shuffled, per_type=2), both)
    strict = interaction_examples(tr, Thresholds(superadditive=0.2, subadditive=0.3), per_type=5)
    assert strict.to_dict() == {("K562", "super_strong"): "superadditive", ("K562", "add_close"): "additive",
                                ("K562", "add_far"): "additive"}


# --------------------------------------------------------- distance: fold change over max
def test_fold_change_over_max_per_group():
    t = pd.DataFrame({"id": ["a", "a", "a", "b", "b"], "mut": [1.0, 4.0, 2.0, 3.0, 6.0]})
    out = fold_change_over_max(t, "mut", "id")
    assert out["Fold change over control"].tolist() == [0.25, 1.0, 0.5, 0.5, 1.0]
    assert "Fold change over control" not in t.columns  # a new frame, the input unchanged


def _published_or_skip(name):
    from creme_lib import published as pub

    if not pub.has_table(None, "enformer", name):
        pytest.skip("published tables not found")
    return pub


def test_fold_change_over_max_reproduces_the_published_distance_table():
    # The published "Fold change over control" is each CRE's activity over its maximum across
    # positions. Rebuild the activity from the table's own columns (silencers: control *
    # (1 + effect); enhancers: control + effect * WT, WT from the selected contexts) and
    # recompute the column with the library's rule.
    from creme_lib import ids

    pub = _published_or_skip("distance_test")
    d = pub.load_table(None, "enformer", "distance_test")
    wt = pd.concat([pub.load_table(None, "enformer", "selected_contexts", c).assign(**{"cell line": c})
                    for c in ("K562", "GM12878", "PC-3")]).set_index(["cell line", "seq_id"])["wt"]
    seq = d["enf_data_id"].map(lambda e: ids.split_enf_data_id(e)[0])
    w = wt.reindex(pd.MultiIndex.from_arrays([d["cell line"], seq])).to_numpy()
    enh = (d["tile class"] == "Enhancer").to_numpy()
    eff, ctl = d["CRE sufficiency effect"].to_numpy(), d["control"].to_numpy()
    mut = np.where(enh, ctl + eff * w, ctl * (1 + eff))
    assert not np.isnan(mut).any()
    got = fold_change_over_max(d.assign(mut=mut), "mut", ["cell line", "enf_data_id"], "recomputed")["recomputed"]
    pub_fc = d["Fold change over control"].to_numpy()
    assert np.abs(got - pub_fc)[~enh].max() < 1e-6  # float32 round-off of the published values
    assert np.abs(got - pub_fc)[enh].max() < 1e-3  # WT read from another table (float32, rounded)
    assert (d.groupby(["cell line", "enf_data_id"])["Fold change over control"].max() == 1.0).all()
