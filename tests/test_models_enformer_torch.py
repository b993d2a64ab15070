"""EnformerTorch on enformer-pytorch: the TF Enformer's output layout, loading, bad input (tiny random weights)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("enformer_pytorch")

from creme_lib.models.enformer_torch import EnformerTorch, load_enformer_torch  # noqa: E402
from creme_lib.models.layouts import ENFORMER_LAYOUT  # noqa: E402
from creme_lib.models.targets import targets_path  # noqa: E402
from tiny_torch import ENFORMER_BIN, ENFORMER_BINS, ENFORMER_LENGTH, tiny_enformer  # noqa: E402
from toy_models import one_hot, random_tokens  # noqa: E402

NAMES = [f"t{i}" for i in range(5313)]


@pytest.fixture(scope="module")
def net():
    return tiny_enformer(0)


@pytest.fixture(scope="module")
def x():
    return np.stack([one_hot(random_tokens(ENFORMER_LENGTH, s)) for s in (1, 2, 3)])


def test_output_layout_and_selection_are_the_tf_models(net, x):
    m = EnformerTorch(net, tracks=[5111, 4824], bins=[7, 8], seq_length=ENFORMER_LENGTH, track_names=NAMES, device="cpu")
    assert (m.n_bins, m.bin_size, len(m.track_names)) == (ENFORMER_BINS, ENFORMER_BIN, 5313)
    assert m.bin_offset == (ENFORMER_LENGTH - ENFORMER_BINS * ENFORMER_BIN) // 2
    with torch.no_grad():
        full = net(torch.from_numpy(x))["human"].numpy()  # (N, bins, tracks), as the hub model's head
    np.testing.assert_allclose(m.predict(x), full[:, [7, 8]][:, :, [5111, 4824]], rtol=1e-5)
    assert m.selected_track_names == ["t5111", "t4824"]


def test_tracks_by_identifier_from_the_target_table(net, x):
    if not targets_path("enformer", "human").is_file():
        pytest.skip("Enformer target table not in CREME_SHARED_DATA")
    m = EnformerTorch(net, tracks=["CNhs12336"], bins=[7, 8], seq_length=ENFORMER_LENGTH, device="cpu")
    assert m.tracks.tolist() == [ENFORMER_LAYOUT.cage_tracks["K562"][0]] == [5111]


def test_local_directory_round_trip(net, x, tmp_path):
    from safetensors.torch import save_model

    # save_pretrained refuses enformer-pytorch's aliased trunk under transformers 4.57; a
    # safetensors file of the deduplicated weights plus the config is the same directory.
    net.config.save_pretrained(tmp_path / "enf")
    save_model(net, str(tmp_path / "enf" / "model.safetensors"), metadata={"format": "pt"})
    a = EnformerTorch(tmp_path / "enf", bins=[8], tracks=[0], seq_length=ENFORMER_LENGTH, track_names=NAMES, device="cpu")
    b = EnformerTorch(net, bins=[8], tracks=[0], seq_length=ENFORMER_LENGTH, track_names=NAMES, device="cpu")
    np.testing.assert_allclose(a.predict(x), b.predict(x), rtol=1e-6)
    (tmp_path / "enf" / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="enf holds no weights"):
        load_enformer_torch(tmp_path / "enf")


def test_bad_input_is_named(net, x, monkeypatch):
    with pytest.raises(ValueError, match="unknown Enformer head 'mouse'; the model has heads \\['human'\\]"):
        EnformerTorch(net, head="mouse", seq_length=ENFORMER_LENGTH, device="cpu")
    with pytest.raises(ValueError, match="is not the published Enformer; pass seq_length"):
        EnformerTorch(net, track_names=NAMES, device="cpu")
    with pytest.raises(ValueError, match="3 track_names given but the module outputs 5313"):
        EnformerTorch(net, seq_length=ENFORMER_LENGTH, track_names=["a", "b", "c"], device="cpu")
    m = EnformerTorch(net, seq_length=ENFORMER_LENGTH, track_names=NAMES, device="cpu")
    with pytest.raises(ValueError, match="expected sequence length 512 bp, got 256"):
        m.predict(x[:, :256])

    import enformer_pytorch

    def offline(name, *a, **k):
        raise OSError("offline")

    monkeypatch.setattr(enformer_pytorch.Enformer, "from_pretrained", staticmethod(offline))
    with pytest.raises(OSError, match="EleutherAI/enformer-official-rough.*huggingface-cli download"):
        load_enformer_torch("EleutherAI/enformer-official-rough")


def test_gradients_and_bf16(net, x):
    m = EnformerTorch(net, tracks=[5111], bins=[7, 8], seq_length=ENFORMER_LENGTH, track_names=NAMES, device="cpu")
    g = m.input_gradients(x[:1])
    assert g.shape == (1, ENFORMER_LENGTH, 4) and np.abs(g).max() > 0
    fp32 = m.predict(x)
    bf16 = EnformerTorch(net, tracks=[5111], bins=[7, 8], seq_length=ENFORMER_LENGTH, track_names=NAMES, device="cpu",
                         precision="bf16").predict(x)
    # Softplus outputs of a random network: within 5% (relative) or 0.02 (absolute) of fp32.
    np.testing.assert_allclose(bf16, fp32, rtol=5e-2, atol=2e-2)
