"""creme_lib.promoters.model: the CR network's identity, constraints, readers and CREME protocol."""

from __future__ import annotations

import numpy as np
import pytest

from creme_lib.promoters import model as M
from creme_lib.promoters.data import encode_sequences

TINY = M.CRConfig(seq_length=60, n_motifs=4, motif_width=6, context_pool=5, dense_units=(8, 8),
                  max_epochs=2, patience=1, n_val=10)


@pytest.fixture(scope="module")
def cr():
    import keras

    keras.utils.set_random_seed(0)
    return M.ContextualRegression(M.build_model(TINY), TINY)


@pytest.fixture(scope="module")
def x():
    rng = np.random.default_rng(0)
    return encode_sequences(["".join(rng.choice(list("ACGT"), 60)) for _ in range(7)])


def test_weighted_sum_identity(cr, x):
    f, w, wf = cr.features(x), cr.context_weights(x), cr.weighted_features(x)
    assert f.shape == w.shape == wf.shape == (7, 4)
    np.testing.assert_allclose(wf, w * f, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(cr.predict_expression(x), wf.sum(axis=1) + cr.bias, rtol=1e-5, atol=1e-6)


def test_position_contributions_sum_to_the_prediction(cr, x):
    pc = cr.position_contributions(x)
    assert pc.shape == (7, 55)
    np.testing.assert_allclose(pc.sum(axis=1) + cr.bias, cr.predict_expression(x), rtol=1e-5, atol=1e-6)


def test_features_are_mean_motif_activation(cr, x):
    acts = cr.motif_activations(x)
    assert acts.shape == (7, 60 - 6 + 1, 4)
    np.testing.assert_allclose(cr.features(x), acts.mean(axis=1), rtol=1e-5, atol=1e-7)
    k = cr.motif_kernels()
    assert k.shape == (4, 6, 4)
    # The convolution is the kernel read along the one-hot sequence (no bias).
    manual = np.einsum("pwc,fwc->pf", np.lib.stride_tricks.sliding_window_view(x[0], 6, axis=0).transpose(0, 2, 1), k)
    np.testing.assert_allclose(acts[0], manual, rtol=1e-5, atol=1e-6)


def test_creme_protocol(cr, x):
    assert cr.seq_length == 60 and cr.output_shape == (1, 1) and cr.track_names == ("log10_expression",)
    out = cr.predict(x)
    assert out.shape == (7, 1, 1)
    np.testing.assert_allclose(out[:, 0, 0], cr.predict_expression(x), rtol=1e-6)
    g = cr.input_gradients(x[:2])
    assert g.shape == (2, 60, 4) and np.isfinite(g).all()
    with pytest.raises(ValueError, match="60 bp"):
        cr.predict(np.zeros((1, 59, 4), np.float32))


def test_creme_test_runs_on_the_network(cr, x):
    from creme_lib import experiments as ex

    tiles = np.array([[0, 10], [10, 20], [40, 50]])
    res = ex.necessity_test(cr, x[0], tiles, n_shuffles=2, name="p").to_frame()
    assert len(res) == 3 and np.isfinite(res.select_dtypes(float).to_numpy()).all()


def test_plain_cnn_head_has_no_context_weights(x):
    cfg = TINY.replace(head="dense")
    cnn = M.ContextualRegression(M.build_model(cfg), cfg)
    assert cnn.predict_expression(x).shape == (7,)
    with pytest.raises(ValueError, match="no 'context_weights' layer"):
        cnn.context_weights(x)


def test_paper_preset_is_the_authors_architecture():
    cfg = M.PRESETS["paper"]
    net = M.build_model(cfg)
    assert net.get_layer("motifs").kernel.shape == (8, 4, 64)
    assert net.get_layer("motifs").use_bias is False
    assert tuple(net.get_layer("context_pool").output.shape) == (None, 7, 64)  # 393 // 50
    assert tuple(net.get_layer("context_flatten").output.shape) == (None, 8)  # 7 -> 3 -> 1 positions x 8
    assert net.get_layer("context_weights").units == 64
    assert (cfg.learning_rate, cfg.momentum, cfg.batch_size, cfg.max_epochs, cfg.patience) == (5e-4, 0.9, 128, 100, 10)
    assert (cfg.lr_plateau_patience, cfg.l1_context_weights) == (0, 1e-4)  # constant rate, the authors' L1
    ecoli = M.build_model(M.PRESETS["ecoli"])
    assert tuple(ecoli.get_layer("context_pool").output.shape) == (None, 7, 64)  # 143 // 20: as many as the paper


def test_config_validation_and_round_trip():
    with pytest.raises(ValueError, match="head"):
        M.CRConfig(head="linear")
    with pytest.raises(ValueError, match="context_pool=50 leaves 2 positions"):
        M.CRConfig(seq_length=150, context_pool=50)
    cfg = M.get_config("ecoli", n_motifs=32)
    assert M.CRConfig.from_dict(cfg.to_dict()) == cfg and cfg.fingerprint() != M.PRESETS["ecoli"].fingerprint()
    with pytest.raises(ValueError, match="lr_plateau_patience"):
        M.CRConfig(lr_plateau_patience=-1)
    with pytest.raises(ValueError, match="lr_plateau_factor"):
        M.CRConfig(lr_plateau_factor=1.0)
    with pytest.raises(KeyError, match="unknown preset"):
        M.get_config("human")
    with pytest.raises(TypeError, match="unknown CRConfig fields"):
        M.CRConfig.from_dict({"bogus": 1})


def test_model_and_config_must_agree():
    net = M.build_model(TINY)
    with pytest.raises(ValueError, match="config says"):
        M.ContextualRegression(net, TINY.replace(seq_length=61))
