"""Each CREME test on toy models whose answer is known exactly (see toy_models.py)."""

import numpy as np
import pytest

from creme_lib import analysis
from creme_lib.analysis import classify_tiles
from creme_lib.experiments import (
    context_dependence_test,
    context_swap_test,
    distance_test,
    fine_tile_search,
    higher_order_interaction_test,
    multiplicity_test,
    necessity_test,
    sufficiency_test,
)
from creme_lib.inference import Engine
from creme_lib.tiles import tile_grid
from toy_models import Element, SegmentModel, one_hot, random_tokens

L, TILE = 8192, 512
TSS, TILES = tile_grid(L, TILE)  # TSS (3840, 4352); 14 tiles
PROMOTER = Element(3900, 3950, 1.0)
ENH_TILE = 1  # [768, 1280)


@pytest.fixture(scope="module")
def wt():
    return one_hot(random_tokens(L, 11))


def _tile_of(pos):
    return int(np.flatnonzero((TILES[:, 0] <= pos) & (pos < TILES[:, 1]))[0])


def test_tile_layout_of_toy():
    assert TSS == (3840, 4352) and len(TILES) == 14
    assert _tile_of(800) == ENH_TILE


def test_context_dependence(wt):
    model = SegmentModel(wt, [Element(3900, 4000, 2.0), Element(800, 900, 7.0)])
    res = context_dependence_test(model, wt, TSS, n_shuffles=5, progress=False)
    assert res.wt[0] == pytest.approx(10.0)
    np.testing.assert_allclose(res.mut[:, 0], 3.0)
    assert res.effect[0] == pytest.approx(0.7)
    df = res.to_frame()
    assert list(df.columns) == ["seq_id", "track", "delta_mean", "wt", "std", "mean_mut"]
    assert df["delta_mean"].iloc[0] == pytest.approx(0.7)


def test_necessity_finds_exactly_the_enhancer_and_silencer(wt):
    model = SegmentModel(wt, [PROMOTER, Element(800, 900, 7.0), Element(6000, 6100, -1.5)])
    res = necessity_test(model, wt, TILES, n_shuffles=4, progress=False)
    effect = res.effect[:, 0]
    wt_act = 1 + 1 + 7 - 1.5
    expected = np.zeros(len(TILES))
    expected[ENH_TILE] = 7 / wt_act
    expected[_tile_of(6000)] = -1.5 / wt_act
    np.testing.assert_allclose(effect, expected, atol=1e-6)
    assert classify_tiles(effect, "enhancing", 0.3)[ENH_TILE] == "Enhancer"
    assert classify_tiles(effect, "silencing", 0.15)[_tile_of(6000)] == "Silencer"
    assert len(res.to_frame()) == len(TILES)


def test_sufficiency_exact_and_model_calls(wt):
    model = SegmentModel(wt, [PROMOTER, Element(800, 900, 7.0)])
    eng = Engine(model, batch_size=7, seed=3, progress=False)
    s = 4
    res = sufficiency_test(eng, wt, TSS, TILES, n_shuffles=s)
    assert eng.stats.predicted == 1 + s + len(TILES) * s  # creme-nn: 1 + 2 T S
    np.testing.assert_allclose(res.control[:, 0], 2.0)
    over_wt = res.effect_over_wt[:, 0]
    expected = np.zeros(len(TILES))
    expected[ENH_TILE] = 7 / 9
    np.testing.assert_allclose(over_wt, expected, atol=1e-6)
    assert res.effect_over_control[ENH_TILE, 0] == pytest.approx(7 / 2)
    df = res.to_frame()
    assert {"(MUT - CONTROL) / WT", "(MUT - CONTROL) / CONTROL", "tile_start", "tile_end"} <= set(df.columns)


def test_sufficiency_rejects_tiles_overlapping_tss(wt):
    model = SegmentModel(wt, [PROMOTER])
    with pytest.raises(ValueError, match="overlaps the TSS"):
        sufficiency_test(model, wt, TSS, [[3800, 3900]], n_shuffles=1, progress=False)
    with pytest.raises(ValueError, match="n_shuffles"):
        sufficiency_test(model, wt, TSS, TILES, n_shuffles=0, progress=False)


def test_context_swap(wt):
    other = one_hot(random_tokens(L, 12))
    # the model rewards the TSS content of `wt` (weight 4) and an enhancer of `wt` (weight 2)
    model = SegmentModel(wt, [Element(3900, 3950, 4.0), Element(800, 900, 2.0)])
    res = context_swap_test(model, {"a": wt, "b": other}, TSS, progress=False)
    np.testing.assert_allclose(res.wt_source[:, 0], [7.0, 1.0])
    # a's TSS in b's context: 1 + 4; b's TSS in a's context: 1 + 2
    np.testing.assert_allclose(res.swap[:, :, 0], [[7.0, 5.0], [3.0, 1.0]])
    df = res.to_frame()
    assert len(df) == 4
    row = df[(df.source_seq_id == "a") & (df.target_seq_id == "b")].iloc[0]
    assert row["Normalized context effect"] == pytest.approx((5 - 7) / 7)


def test_distance_curve_is_the_models_decay(wt):
    off = 800 - TILES[ENH_TILE, 0]  # element offset inside its tile
    positions = np.array([p for p in TILES[:, 0]])
    decay = {int(p) + off: float(np.exp(-abs(p + 256 - 4096) / 2000.0)) for p in positions}
    model = SegmentModel(wt, [PROMOTER, Element(800, 900, 5.0, positions=decay)])
    res = distance_test(model, wt, TSS, tuple(TILES[ENH_TILE]), positions, n_shuffles=3, progress=False)
    expected = 2.0 + 5.0 * np.array([decay[int(p) + off] for p in positions])
    np.testing.assert_allclose(res.mut[:, :, 0].mean(1), expected, rtol=1e-6)
    np.testing.assert_allclose(res.control_tss[:, 0], 2.0)
    np.testing.assert_allclose(res.distance, positions + 256 - 4096)
    df = res.to_frame()
    np.testing.assert_allclose(df["Fold change over original position"], expected / expected[ENH_TILE], rtol=1e-6)
    over_max = analysis.fold_change_over_max(df, "mut", "seq_id")["Fold change over control"]
    np.testing.assert_allclose(over_max, expected / expected.max(), rtol=1e-6)


def test_distance_rejects_positions_on_the_tss(wt):
    model = SegmentModel(wt, [PROMOTER])
    with pytest.raises(ValueError, match="overlaps the TSS"):
        distance_test(model, wt, TSS, tuple(TILES[0]), [3700], n_shuffles=1, progress=False)


def test_greedy_additive(wt):
    a, b = TILES[2, 0] + 10, TILES[5, 0] + 10
    model = SegmentModel(wt, [PROMOTER, Element(a, a + 60, 2.0), Element(b, b + 60, 3.0)])
    res = higher_order_interaction_test(model, wt, TILES, "min", n_rounds=3, n_shuffles=3, progress=False)
    assert res.order[:2] == [5, 2]
    np.testing.assert_allclose(res.trace, [7.0, 4.0, 2.0, 2.0])
    np.testing.assert_allclose(res.additive, res.fold_change)
    assert res.interaction(rounds=2) == "additive"
    assert list(res.to_frame()["round"]) == [0, 1, 2, 3]


def test_greedy_and_logic_is_subadditive(wt):
    a, b = TILES[2, 0] + 10, TILES[5, 0] + 10
    model = SegmentModel(wt, [Element(a, a + 60, 2.0), Element(b, b + 60, 3.0)], combine="product")
    res = higher_order_interaction_test(model, wt, TILES[[2, 5]], "min", n_shuffles=2, progress=False)
    assert res.order == [0, 1]  # a tie: both alone silence the gene; the first is taken
    np.testing.assert_allclose(res.trace, [7.0, 1.0, 1.0])
    np.testing.assert_allclose(res.additive, [1.0, 1 / 7, -5 / 7])
    np.testing.assert_allclose(res.multiplicative, [1.0, 1 / 7, 1 / 49])
    assert res.interaction() == "subadditive"


def test_greedy_max_finds_silencers(wt):
    s = TILES[9, 0] + 5
    model = SegmentModel(wt, [Element(3900, 3950, 5.0), Element(s, s + 40, -3.0)])
    res = higher_order_interaction_test(model, wt, TILES, "max", n_rounds=1, n_shuffles=2, progress=False)
    assert res.order == [9] and res.trace[1] == pytest.approx(6.0)


def test_multiplicity_places_copies_by_decreasing_gain(wt):
    off = 800 - TILES[ENH_TILE, 0]
    cand = TILES[:, 0]
    gain = {int(p) + off: 1.0 + 0.1 * i for i, p in enumerate(cand)}
    gain[int(TILES[ENH_TILE, 0]) + off] = 1.0
    model = SegmentModel(wt, [PROMOTER, Element(800, 900, 2.0, positions=gain)])
    res = multiplicity_test(model, wt, TSS, tuple(TILES[ENH_TILE]), cand, n_copies=3, n_shuffles=2, progress=False)
    top = sorted(gain.values(), reverse=True)[:3]
    np.testing.assert_allclose(res.trace, 2.0 + 2.0 * np.cumsum(top))
    assert res.control == pytest.approx(4.0) and res.control_tss == pytest.approx(2.0)
    assert res.positions == [int(cand[-1]), int(cand[-2]), int(cand[-3])]
    np.testing.assert_allclose(res.to_frame()["Normalized TSS effect"], res.trace / 4.0)


def test_fine_tile_search_keeps_exactly_the_functional_subtiles(wt):
    e1, e2 = (832, 848), (1104, 1120)
    model = SegmentModel(wt, [PROMOTER, Element(*e1, 4.0), Element(*e2, 4.0)])
    res = fine_tile_search(model, wt, TSS, tuple(TILES[ENH_TILE]), stages=((128, 0.9, 1), (16, 0.7, 2)),
                           n_shuffles=2, progress=False)
    assert res.full == pytest.approx(10.0) and res.control == pytest.approx(2.0)
    assert res.stages[0].kept == [(768, 896), (1024, 1152)]
    assert res.kept == [e1, e2]
    assert res.mask().sum() == 32
    assert all(sc > 0.7 for st in res.stages for sc in st.scores)


def test_engine_shared_across_tests_predicts_wt_once(wt):
    model = SegmentModel(wt, [PROMOTER, Element(800, 900, 7.0)])
    eng = Engine(model, progress=False)
    necessity_test(eng, wt, TILES[:2], n_shuffles=1, name="g")
    n = eng.stats.predicted
    sufficiency_test(eng, wt, TSS, TILES[:2], n_shuffles=1, name="g")
    assert eng.stats.predicted == n + 1 + 2  # control + 2 tiles; the WT came from the memo
