"""Borzoi on borzoi-pytorch: replicate averaging, strand sums, loading, bad input (tiny random weights)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("borzoi_pytorch")

from creme_lib.models.borzoi import (  # noqa: E402
    BORZOI_REPLICATES,
    Borzoi,
    check_replicate_dir,
    load_replicate,
    tss_bins,
)
from creme_lib.models.layouts import BORZOI_LAYOUT  # noqa: E402
from creme_lib.models.targets import targets_path  # noqa: E402
from tiny_torch import BORZOI_BINS, BORZOI_LENGTH, tiny_borzoi  # noqa: E402
from toy_models import one_hot, random_tokens  # noqa: E402

CENTRE = tss_bins(BORZOI_BINS)  # the centre 8 of 32 bins: 12..19


@pytest.fixture(scope="module")
def nets():
    return [tiny_borzoi(seed) for seed in (0, 1)]


@pytest.fixture(scope="module")
def x():
    return np.stack([one_hot(random_tokens(BORZOI_LENGTH, s)) for s in (5, 6)])


@pytest.fixture(scope="module")
def saved(nets, tmp_path_factory):
    d = tmp_path_factory.mktemp("borzoi") / "replicate-0"
    nets[0].save_pretrained(d)
    return d


def full_output(net, x):
    """The package's own forward: (N, L, 4) -> (N, 7611, bins)."""
    with torch.no_grad():
        return net(torch.from_numpy(x).transpose(1, 2)).numpy()


def test_paper_layout_and_names():
    assert BORZOI_REPLICATES == tuple(f"johahi/borzoi-replicate-{i}" for i in range(4))
    assert tss_bins() == BORZOI_LAYOUT.tss_bins == tuple(range(3068, 3076))
    assert BORZOI_LAYOUT.bin_offset == 163_840  # 6,144 bins of 32 bp over the central 196,608 bp
    assert BORZOI_LAYOUT.cage_tracks == {"K562": (872, 873), "GM12878": (870, 871), "PC-3": (298, 299)}
    assert BORZOI_LAYOUT.track_label("K562") == "872&873"


def test_replicates_are_averaged_and_strands_summed_as_by_hand(nets, x):
    m = Borzoi(nets, cell_line="K562", bins=CENTRE, seq_length=BORZOI_LENGTH, device="cpu")
    outs = [full_output(n, x) for n in nets]
    by_hand = np.mean([o[:, 872, list(CENTRE)] + o[:, 873, list(CENTRE)] for o in outs], axis=0)  # (N, 8)
    got = m.predict(x)
    assert got.shape == (2, 8, 1) and m.n_replicates == 2
    np.testing.assert_allclose(got[:, :, 0], by_hand, rtol=1e-5)
    assert not np.allclose(outs[0][:, 872], outs[1][:, 872])  # the replicates do differ
    # Several columns at once, one of them a single strand.
    m.select(bins=[0, 31], tracks=[(298, 299), 870])
    want = np.mean([np.stack([o[:, 298] + o[:, 299], o[:, 870]], -1)[:, [0, 31]] for o in outs], axis=0)
    np.testing.assert_allclose(m.predict(x), want, rtol=1e-5)


def test_track_names_come_from_the_target_table(nets):
    if not targets_path("borzoi", "human").is_file():
        pytest.skip("Borzoi target table not in CREME_SHARED_DATA")
    m = Borzoi(nets[:1], cell_line="GM12878", seq_length=BORZOI_LENGTH, device="cpu")
    assert m.track_names[872] == "CNhs12336+" and m.selected_track_names == ["CNhs12332++CNhs12332-"]
    m2 = Borzoi(nets[:1], tracks=[("CNhs12336+", "CNhs12336-")], seq_length=BORZOI_LENGTH, device="cpu")
    assert [g.tolist() for g in m2.track_groups] == [[872, 873]]


def test_local_directory_loads_the_same_weights(nets, saved, x):
    assert check_replicate_dir(saved) == saved
    from_dir = Borzoi([saved], cell_line="PC-3", bins=CENTRE, seq_length=BORZOI_LENGTH, device="cpu")
    in_memory = Borzoi(nets[:1], cell_line="PC-3", bins=CENTRE, seq_length=BORZOI_LENGTH, device="cpu")
    np.testing.assert_allclose(from_dir.predict(x), in_memory.predict(x), rtol=1e-6)


def test_missing_weights_and_hub_failures_are_named(saved, tmp_path, monkeypatch):
    empty = tmp_path / "replicate-1"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="replicate-1 has no config.json"):
        load_replicate(empty)
    (empty / "config.json").write_text((saved / "config.json").read_text())
    with pytest.raises(FileNotFoundError, match="replicate-1 holds no weights"):
        load_replicate(empty)
    with pytest.raises(FileNotFoundError, match="directory not found"):
        load_replicate(tmp_path / "nowhere" / "rep")

    import borzoi_pytorch

    def offline(name, *a, **k):
        raise OSError("We couldn't connect to 'https://huggingface.co'")

    monkeypatch.setattr(borzoi_pytorch.Borzoi, "from_pretrained", staticmethod(offline))
    with pytest.raises(OSError, match="johahi/borzoi-replicate-0.*huggingface-cli download"):
        load_replicate("johahi/borzoi-replicate-0")


def test_bad_arguments_are_refused(nets, x):
    with pytest.raises(ValueError, match="no Borzoi CAGE tracks for cell line 'HepG2'"):
        Borzoi(nets[:1], cell_line="HepG2", seq_length=BORZOI_LENGTH, device="cpu")
    with pytest.raises(ValueError, match="cell_line or tracks"):
        Borzoi(nets[:1], cell_line="K562", tracks=[0], seq_length=BORZOI_LENGTH, device="cpu")
    with pytest.raises(ValueError, match="multiple of 128"):
        Borzoi(nets[:1], seq_length=BORZOI_LENGTH + 64, device="cpu")
    with pytest.raises(ValueError, match=r"track index 7611 out of range \[0, 7611\)"):
        Borzoi(nets[:1], tracks=[7611], seq_length=BORZOI_LENGTH, device="cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="need a CUDA device"):
            Borzoi(nets[:1], flash=True, seq_length=BORZOI_LENGTH)
    m = Borzoi(nets[:1], cell_line="K562", seq_length=BORZOI_LENGTH, device="cpu")
    with pytest.raises(ValueError, match="expected sequence length 4096 bp, got 2048"):
        m.predict(x[:, :2048])


def test_gradients_and_bf16(nets, x):
    m = Borzoi(nets, cell_line="K562", bins=CENTRE, seq_length=BORZOI_LENGTH, device="cpu")
    g = m.input_gradients(x[:1])
    assert g.shape == (1, BORZOI_LENGTH, 4) and np.isfinite(g).all() and np.abs(g).max() > 0
    fp32 = m.predict(x)
    bf16 = Borzoi(nets, cell_line="K562", bins=CENTRE, seq_length=BORZOI_LENGTH, device="cpu", precision="bf16").predict(x)
    # The trunk runs in bfloat16, the head in float32 (as in borzoi-pytorch): outputs within 2%.
    np.testing.assert_allclose(bf16, fp32, rtol=2e-2)
