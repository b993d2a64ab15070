import numpy as np
import pandas as pd
import pytest

from creme_lib.analysis import (
    PAPER,
    Thresholds,
    additive_model,
    classify_context,
    classify_interaction,
    classify_tiles,
    context_effect,
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
