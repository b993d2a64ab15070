"""TensorFlow backends (Enformer, KerasModel), saliency and the model target tables.

Real Enformer weights cannot be downloaded here, so Enformer is tested on a tiny SavedModel
with the hub signature (``tests/tiny_enformer.py``) whose outputs and gradients are known in
closed form.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("tensorflow")
pytest.importorskip("tensorflow_hub")

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tiny_enformer as te  # noqa: E402

from creme_lib.models.base import CallableModel  # noqa: E402
from creme_lib.models.enformer import (  # noqa: E402
    CAGE_TRACKS,
    PADDED_LENGTH,
    SEQ_LENGTH,
    TSS_BINS,
    Enformer,
)
from creme_lib.models.keras import KerasModel  # noqa: E402
from creme_lib.models.targets import (  # noqa: E402
    TARGET_FILES,
    enformer_track_names,
    find_tracks,
    read_targets,
    targets_dir,
    targets_path,
    verify_target_file,
)
from creme_lib.paths import shared_data_dir  # noqa: E402
from creme_lib.saliency import gradient_x_input  # noqa: E402
from creme_lib.sequence import tokens_to_one_hot  # noqa: E402

PAD = (PADDED_LENGTH - SEQ_LENGTH) // 2
HUMAN = te.track_names("human")
MOUSE = te.track_names("mouse")

needs_tables = pytest.mark.skipif(
    not (targets_dir() / "enformer_targets_human.txt").is_file(),
    reason=f"shared target tables not found in {targets_dir()} (set CREME_SHARED_DATA)",
)


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stand-in SavedModel, built once per session."""
    return te.build_tiny_enformer(tmp_path_factory.mktemp("tiny_enformer"))


@pytest.fixture(scope="session")
def tiny_module(tiny_dir: Path):
    import tensorflow_hub as hub

    return hub.load(str(tiny_dir))


@pytest.fixture(scope="session")
def full_model(tiny_dir: Path) -> Enformer:
    """Loaded through the path handle, like a user with a local copy of the hub model."""
    return Enformer(handle=tiny_dir, track_names=HUMAN)


@pytest.fixture(scope="session")
def x() -> np.ndarray:
    """Two random 196,608 bp windows with a run of N, ``(2, 196608, 4)`` float32."""
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 4, size=(2, SEQ_LENGTH))
    tokens[:, 60_000:60_500] = 4  # N -> all-zero rows
    return tokens_to_one_hot(tokens)


@pytest.fixture(scope="session")
def full_out(full_model: Enformer, x: np.ndarray) -> np.ndarray:
    return full_model.predict(x)


# --------------------------------------------------------------------------- Enformer
def test_constants() -> None:
    assert CAGE_TRACKS == {"K562": 5111, "GM12878": 5110, "PC-3": 4824}
    assert TSS_BINS == (447, 448)
    assert (SEQ_LENGTH, PADDED_LENGTH, PAD) == (196_608, 393_216, 98_304)


def test_loaded_attributes(full_model: Enformer) -> None:
    m = full_model
    got = (m.seq_length, m.bin_size, m.n_bins, m.padded_length, m.pad)
    assert got == (196_608, 128, 896, 393_216, 98_304)
    assert m.track_names == tuple(HUMAN) and m.output_shape == (896, 7)
    # Output bin 0 starts at 40,960 bp of the window, so the window centre (98,304) is the
    # boundary between the TSS bins 447 and 448.
    assert m.bin_offset == 40_960
    assert m.bin_offset + TSS_BINS[1] * m.bin_size == SEQ_LENGTH // 2


def test_padding_matches_numpy(full_out: np.ndarray, x: np.ndarray) -> None:
    """The stand-in sees the zero-padded window: outputs equal the closed form."""
    padded = np.pad(x, ((0, 0), (PAD, PAD), (0, 0)))
    np.testing.assert_allclose(full_out, te.expected_output(padded, "human"), rtol=1e-5, atol=1e-5)
    # Same formula written in window coordinates: bin b averages x[40960 + 128 b : + 128].
    w, b = te.head_weights("human")
    pooled = x[:, 40_960 : 40_960 + 896 * 128].reshape(2, 896, 128, 4).mean(axis=2)
    np.testing.assert_allclose(full_out, pooled @ w + b, rtol=1e-5, atol=1e-5)


def test_flanks_outside_output_are_ignored(full_model: Enformer, x: np.ndarray, full_out: np.ndarray) -> None:
    y = x.copy()
    y[:, :40_960] = 0.0
    y[:, -40_960:] = 0.0
    np.testing.assert_array_equal(full_model.predict(y), full_out)


def test_track_bin_selection(tiny_dir: Path, full_out: np.ndarray, x: np.ndarray) -> None:
    bins, tracks = [448, 0, 447, 895], [5, "human_2", 0]
    m = Enformer(handle=tiny_dir, track_names=HUMAN, bins=bins, tracks=tracks)
    got = m.predict(x)
    assert got.shape == (2, 4, 3)
    np.testing.assert_array_equal(got, full_out[:, bins][:, :, [5, 2, 0]])
    assert m.selected_track_names == ["human_5", "human_2", "human_0"]
    # A single sequence gives a batch of one.
    np.testing.assert_array_equal(m.predict(x[1]), got[1:])


def test_selection_change_without_rebuild(tiny_module, x: np.ndarray, full_out: np.ndarray) -> None:
    """An already-loaded module is accepted; selection changes reuse the traced function."""
    m = Enformer(handle=tiny_module, track_names=HUMAN, bins=list(TSS_BINS), tracks=[1])
    np.testing.assert_array_equal(m.predict(x), full_out[:, [447, 448]][:, :, [1]])
    m._set_selection(bins=[10], tracks=[6, 3])
    np.testing.assert_array_equal(m.predict(x), full_out[:, [10]][:, :, [6, 3]])


def test_mouse_head(tiny_module, x: np.ndarray) -> None:
    m = Enformer(handle=tiny_module, head="mouse", track_names=MOUSE, tracks=["mouse_2"], bins=[447])
    padded = np.pad(x, ((0, 0), (PAD, PAD), (0, 0)))
    want = te.expected_output(padded, "mouse")[:, [447]][:, :, [2]]
    np.testing.assert_allclose(m.predict(x), want, rtol=1e-5, atol=1e-5)


def test_unknown_head(tiny_module) -> None:
    with pytest.raises(ValueError, match="'primate'"):
        Enformer(handle=tiny_module, head="primate", track_names=HUMAN)


def test_wrong_length_and_bad_selection(full_model: Enformer) -> None:
    with pytest.raises(ValueError):
        full_model.predict(np.zeros((1, PADDED_LENGTH, 4), np.float32))  # already padded: rejected
    with pytest.raises(ValueError):
        full_model.predict(np.zeros((1, SEQ_LENGTH, 5), np.float32))
    with pytest.raises(ValueError):
        full_model.input_gradients(np.zeros((1, 1000, 4), np.float32))
    with pytest.raises(ValueError, match="out of range"):
        Enformer(handle=full_model._module, track_names=HUMAN, bins=[896])
    with pytest.raises(KeyError):
        Enformer(handle=full_model._module, track_names=HUMAN, tracks=["CNhs12336"])


def test_declared_tracks_disagree(tiny_module) -> None:
    with pytest.raises(ValueError, match=r"declares 5 tracks.*outputs 7 tracks"):
        Enformer(handle=tiny_module, track_names=[f"t{i}" for i in range(5)])


@needs_tables
def test_default_table_disagrees_with_tiny_model(tiny_module) -> None:
    """Without track_names the 5,313-row human table is used, which the stand-in contradicts."""
    with pytest.raises(ValueError, match=r"target table declares 5313 tracks.*outputs 7"):
        Enformer(handle=tiny_module)


def test_missing_table_falls_back_to_indices(
    tiny_module, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREME_SHARED_DATA", str(tmp_path / "absent"))
    with pytest.warns(UserWarning, match="naming tracks by index"):
        m = Enformer(handle=tiny_module, head="mouse")
    assert m.track_names == ("0", "1", "2")


def test_not_a_hub_module() -> None:
    with pytest.raises(ValueError, match="predict_on_batch"):
        Enformer(handle=object())


# --------------------------------------------------------------------------- saliency
def test_enformer_gradients_analytic(full_model: Enformer, x: np.ndarray) -> None:
    """Linear stand-in: d mean_{B,T} y / d x[p, c] = mean_T W[c, t] / 128 / |B| for p in B's bins."""
    bins, tracks = [447, 448, 3], [1, 4]
    w, _ = te.head_weights("human")
    want_grad = np.zeros((SEQ_LENGTH, 4), np.float64)
    for b in bins:
        start = 40_960 + 128 * b
        want_grad[start : start + 128] += w[:, tracks].mean(axis=1) / 128 / len(bins)
    grad = full_model.input_gradients(x, bins=bins, tracks=tracks)
    assert grad.shape == (2, SEQ_LENGTH, 4)
    np.testing.assert_allclose(grad, np.broadcast_to(want_grad, grad.shape), rtol=1e-5, atol=1e-9)
    sal = gradient_x_input(full_model, x, bins=bins, tracks=["human_1", "human_4"])
    assert sal.shape == (2, SEQ_LENGTH)
    np.testing.assert_allclose(sal, (want_grad[None] * x).sum(-1), rtol=1e-5, atol=1e-9)
    # Default: the model's own selection (all bins, all tracks); a single sequence -> N = 1.
    assert gradient_x_input(full_model, x[0]).shape == (1, SEQ_LENGTH)


def test_gradient_x_input_rejects_non_tf_models() -> None:
    m = CallableModel(lambda a: a.sum(-1, keepdims=True), seq_length=10, n_bins=10)
    with pytest.raises(TypeError, match="TF-backed"):
        gradient_x_input(m, np.zeros((1, 10, 4), np.float32))


# --------------------------------------------------------------------------- KerasModel
@pytest.fixture(scope="module", params=["tf_keras", "keras"])
def kmod(request):
    return pytest.importorskip(request.param)


def _conv_model(k, linear: bool = False):
    k.utils.set_random_seed(1)
    inp = k.Input(shape=(200, 4))
    h = k.layers.Conv1D(5, 9, padding="same", use_bias=not linear, activation=None if linear else "relu")(inp)
    out = k.layers.AveragePooling1D(10)(h)  # (N, 20, 5): 20 bins of 10 bp
    return k.Model(inp, out)


def _one_hot(n: int, length: int, seed: int = 0) -> np.ndarray:
    return tokens_to_one_hot(np.random.default_rng(seed).integers(0, 4, size=(n, length)))


def test_keras_shapes_and_selection(kmod) -> None:
    net = _conv_model(kmod)
    xs = _one_hot(3, 200)
    full = np.asarray(net(xs, training=False))
    m = KerasModel(net, bin_size=10, track_names=list("abcde"), bins=[3, 0, 19], tracks=[4, "b"])
    assert (m.seq_length, m.n_bins, m.bin_size, m.track_names) == (200, 20, 10, tuple("abcde"))
    np.testing.assert_allclose(m.predict(xs), full[:, [3, 0, 19]][:, :, [4, 1]], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(KerasModel(net).predict(xs), full, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError):
        m.predict(_one_hot(1, 201))


def test_keras_rank2_output(kmod) -> None:
    inp = kmod.Input(shape=(50, 4))
    out = kmod.layers.Dense(3)(kmod.layers.Flatten()(inp))
    net = kmod.Model(inp, out)
    xs = _one_hot(2, 50)
    m = KerasModel(net, tracks=[2])
    assert (m.n_bins, len(m.track_names)) == (1, 3)
    np.testing.assert_allclose(m.predict(xs), np.asarray(net(xs))[:, None, [2]], rtol=1e-5, atol=1e-6)


def test_keras_shape_errors(kmod) -> None:
    inp = kmod.Input(shape=(50, 5))
    with pytest.raises(ValueError, match=r"\(None, L, 4\)"):
        KerasModel(kmod.Model(inp, kmod.layers.Dense(2)(inp)))
    inp = kmod.Input(shape=(50, 4))
    rank4 = kmod.layers.Reshape((50, 4, 1))(inp)
    with pytest.raises(ValueError, match="rank 4"):
        KerasModel(kmod.Model(inp, rank4))
    with pytest.raises(ValueError, match="2 track_names"):
        KerasModel(kmod.Model(inp, kmod.layers.Dense(3)(inp)), track_names=["a", "b"])


def test_keras_unknown_length_needs_seq_length(kmod) -> None:
    inp = kmod.Input(shape=(None, 4))
    net = kmod.Model(inp, kmod.layers.Conv1D(2, 3, padding="same")(inp))
    with pytest.raises(ValueError, match="seq_length"):
        KerasModel(net)
    m = KerasModel(net, seq_length=30)  # output shape found by a probe call
    assert (m.seq_length, m.n_bins, len(m.track_names)) == (30, 30, 2)


def test_keras_gradient_x_input_finite_difference(kmod) -> None:
    """Linear model: f(x) - f(x with position p set to N) is exactly grad . x at p."""
    net = _conv_model(kmod, linear=True)
    m = KerasModel(net, bins=[4, 5], tracks=[0, 3])
    xs = _one_hot(2, 200, seed=3)
    sal = gradient_x_input(m, xs)
    assert sal.shape == (2, 200)
    base = m.predict(xs).mean(axis=(1, 2))
    for p in (0, 37, 45, 52, 199):
        y = xs.copy()
        y[:, p] = 0.0
        np.testing.assert_allclose(sal[:, p], base - m.predict(y).mean(axis=(1, 2)), rtol=1e-4, atol=1e-6)
    # Positions outside the receptive field of bins 4-5 (bp 36-63, kernel 9) get zero.
    assert np.all(sal[:, :30] == 0) and np.all(sal[:, 70:] == 0)


# --------------------------------------------------------------------------- targets
def test_shared_data_dir_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CREME_SHARED_DATA", str(tmp_path))
    assert shared_data_dir() == tmp_path.resolve()
    want = tmp_path.resolve() / "model_targets" / "borzoi_targets_human.txt"
    assert targets_path("borzoi", "human") == want
    monkeypatch.delenv("CREME_SHARED_DATA")
    assert shared_data_dir().parts[-2:] == ("shared", "data")
    with pytest.raises(ValueError):
        targets_path("borzoi", "mouse")
    with pytest.raises(FileNotFoundError, match="CREME_SHARED_DATA"):
        read_targets(tmp_path / "nope.txt")


def test_find_tracks_synthetic(tmp_path: Path) -> None:
    """Borzoi-style table (empty first header cell); whole-word cell-line matching."""
    path = tmp_path / "t.txt"
    rows = [
        "CAGE:cell line:PC-3",
        "CAGE:cell line:PC-30",
        "DNASE:PC-3",
        "CAGE:K562 ENCODE, biol_",
        "CAGE:xK562",
    ]
    pd.DataFrame({"identifier": list("abcde"), "description": rows}).to_csv(path, sep="\t")
    df = read_targets(path)
    assert list(df.columns[:2]) == ["index", "identifier"]
    assert find_tracks(df, "CAGE", "PC-3") == [0]
    assert find_tracks(df, "dnase", "pc-3") == [2]
    assert find_tracks(df, None, "PC-3") == [0, 2]
    assert find_tracks(df, "CAGE", "K562") == [3]
    assert find_tracks(df, "CAGE", None, contains="encode") == [3]
    assert find_tracks(df, "ATAC", "K562") == []


@needs_tables
def test_enformer_tables() -> None:
    human = read_targets(targets_path("enformer", "human"))
    assert len(human) == 5313
    assert find_tracks(human, "CAGE", "K562", contains="ENCODE") == [CAGE_TRACKS["K562"]]
    assert find_tracks(human, "CAGE", "K562") == [4828, 5111]  # FANTOM5 + ENCODE
    assert find_tracks(human, "CAGE", "GM12878") == [CAGE_TRACKS["GM12878"]]
    assert find_tracks(human, "CAGE", "PC-3") == [CAGE_TRACKS["PC-3"]]
    names = enformer_track_names("human")
    assert len(names) == 5313 and len(set(names)) == 5313 and names[5111] == "CNhs12336"
    mouse = enformer_track_names("mouse")
    assert len(mouse) == 1643
    assert read_targets(targets_path("enformer", "mouse"))["index"].iloc[0] == 5313
    with pytest.raises(ValueError, match="'primate'"):
        enformer_track_names("primate")


@needs_tables
def test_borzoi_table() -> None:
    df = read_targets(targets_path("borzoi", "human"))
    assert len(df) == 7611
    assert find_tracks(df, "CAGE", "PC-3") == [298, 299]
    assert find_tracks(df, "CAGE", "GM12878") == [870, 871]
    assert find_tracks(df, "CAGE", "K562", contains="ENCODE") == [872, 873]
    # Stranded pairs point at each other.
    assert df.loc[[872, 873], "strand_pair"].tolist() == [873, 872]


@needs_tables
def test_target_file_hashes() -> None:
    for name, meta in TARGET_FILES.items():
        assert verify_target_file(targets_dir() / name) == meta["sha256"]
        if name.endswith(".txt"):
            assert len(read_targets(targets_dir() / name)) == meta["rows"]
