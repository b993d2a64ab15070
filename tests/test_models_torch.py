"""TorchModel: layouts, selection, track groups, precision, gradients and the CREME tests through it."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from creme_lib.experiments import (  # noqa: E402
    context_dependence_test,
    context_swap_test,
    distance_test,
    fine_tile_search,
    higher_order_interaction_test,
    multiplicity_test,
    necessity_test,
    sufficiency_test,
)
from creme_lib.inference import Engine  # noqa: E402
from creme_lib.models.base import CallableModel  # noqa: E402
from creme_lib.models.pytorch import TorchModel, check_precision, resolve_device  # noqa: E402
from creme_lib.saliency import gradient_x_input  # noqa: E402
from creme_lib.tiles import tile_grid  # noqa: E402
from toy_models import one_hot, random_tokens  # noqa: E402

L, BIN, T = 8192, 512, 3
N_BINS = L // BIN
TSS, TILES = tile_grid(L, 512)
RNG = np.random.default_rng(7)
W = RNG.normal(size=(T, 4, 3)).astype(np.float32)  # (tracks, bases, kernel)
B = -W.mean(axis=1).sum(axis=1)  # the convolution averages 0 on random sequence
# Distal sequence acts through a distance-weighted mean (so tiles far from the TSS matter).
DECAY = np.exp(-np.abs(np.arange(L) - L / 2) / 2000.0).astype(np.float32)
DECAY /= DECAY.sum()


class ConvNet(torch.nn.Module):
    """(N, 4, L) -> (N, T, L / BIN): a width-3 convolution, binned, plus its distance-weighted
    mean over the whole input, softplus (NCL in, NTB out)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(4, T, 3, padding=1)
        with torch.no_grad():
            self.conv.weight.copy_(torch.from_numpy(W))
            self.conv.bias.copy_(torch.from_numpy(B))
        self.pool = torch.nn.AvgPool1d(BIN)

    def forward(self, x):
        z = self.conv(x)
        glob = (z * torch.from_numpy(DECAY)).sum(-1, keepdim=True)
        return torch.nn.functional.softplus(10.0 * self.pool(z) + 40.0 * glob)


class ConvNetNLC(ConvNet):
    """The same function with (N, L, 4) in and (N, bins, T) out, returned in a dict."""

    def forward(self, x):
        return {"human": super().forward(x.transpose(1, 2)).transpose(1, 2)}


def reference(x: np.ndarray) -> np.ndarray:
    """ConvNet in numpy: (N, L, 4) -> (N, bins, T)."""
    pad = np.pad(x, ((0, 0), (1, 1), (0, 0)))
    conv = sum(pad[:, k : k + L] @ W[:, :, k].T for k in range(3)) + B  # (N, L, T)
    pooled = conv.reshape(len(x), N_BINS, BIN, T).mean(axis=2)
    glob = np.einsum("nlt,l->nt", conv, DECAY)[:, None, :]
    return np.logaddexp(0.0, 10.0 * pooled + 40.0 * glob)


def callable_model(**sel):
    return CallableModel(reference, seq_length=L, n_bins=N_BINS, bin_size=BIN, track_names=["0", "1", "2"], **sel)


def torch_model(**kw):
    kw.setdefault("device", "cpu")
    return TorchModel(ConvNet(), seq_length=L, bin_size=BIN, input_layout="NCL", output_layout="NTB", **kw)


@pytest.fixture(scope="module")
def x():
    return np.stack([one_hot(random_tokens(L, s)) for s in (1, 2, 3)])


def test_layouts_probe_and_selection_agree_with_the_reference(x):
    m = torch_model(bins=[7, 8], tracks=[2, 0])
    assert (m.n_bins, len(m.track_names)) == (N_BINS, T) and m.output_shape == (2, 2)
    np.testing.assert_allclose(m.predict(x), reference(x)[:, [7, 8]][:, :, [2, 0]], rtol=1e-5)
    other = TorchModel(ConvNetNLC(), seq_length=L, output_key="human", device="cpu", bins=[7, 8], tracks=[2, 0])
    np.testing.assert_allclose(other.predict(x), m.predict(x), rtol=1e-6)
    np.testing.assert_allclose(m.predict(x[0]), m.predict(x[:1]))


def test_track_groups_are_summed_on_the_device(x):
    m = torch_model(tracks=[(0, 2), 1], track_names=["a", "b", "c"])
    ref = reference(x)
    np.testing.assert_allclose(m.predict(x), np.stack([ref[..., 0] + ref[..., 2], ref[..., 1]], -1), rtol=1e-5)
    assert m.selected_track_names == ["a+c", "b"] and len(m.tracks) == 2


def test_selecting_bins_keeps_the_track_groups_and_restores_the_bins(x):
    m = torch_model(tracks=[(0, 2), 1], track_names=["a", "b", "c"], bins=[3])
    ref = reference(x)
    grouped = np.stack([ref[..., 0] + ref[..., 2], ref[..., 1]], -1)
    with m.selecting_bins(None):
        np.testing.assert_allclose(m.predict(x), grouped, rtol=1e-5)  # every bin, still grouped
    np.testing.assert_allclose(m.predict(x), grouped[:, [3]], rtol=1e-5)
    assert m.selected_track_names == ["a+c", "b"] and m.bins.tolist() == [3]


def _run_all_tests(model):
    eng = Engine(model, batch_size=4, seed=3, progress=False)
    wt, wt2 = one_hot(random_tokens(L, 11)), one_hot(random_tokens(L, 12))
    cre = tuple(TILES[1])
    out = {
        "context": context_dependence_test(eng, wt, TSS, n_shuffles=3, name="g").mut,
        "swap": context_swap_test(eng, {"a": wt, "b": wt2}, TSS).to_frame()["Normalized context effect"].to_numpy(),
        "necessity": necessity_test(eng, wt, TILES, n_shuffles=2, name="g").effect,
        "sufficiency": sufficiency_test(eng, wt, TSS, TILES, n_shuffles=2, name="g").mut,
        "distance": distance_test(eng, wt, TSS, cre, TILES[:6, 0], n_shuffles=2, name="g").mut,
        "multiplicity": np.asarray(multiplicity_test(eng, wt, TSS, cre, TILES[:6, 0], n_copies=2, n_shuffles=2, name="g").trace),
        "greedy": np.asarray(higher_order_interaction_test(eng, wt, TILES, "min", n_rounds=2, n_shuffles=2, name="g").trace),
        "fine": np.asarray(fine_tile_search(eng, wt, TSS, cre, stages=((128, 0.5, 1),), n_shuffles=2, name="g").stages[0].scores),
    }
    return out


def test_every_creme_test_gives_the_same_results_through_torch_and_callable():
    ours, ref = _run_all_tests(torch_model(bins=[7, 8], tracks=[0])), _run_all_tests(callable_model(bins=[7, 8], tracks=[0]))
    assert set(ours) == set(ref) == {"context", "swap", "necessity", "sufficiency", "distance", "multiplicity", "greedy", "fine"}
    for name in ref:
        assert np.ptp(ref[name]) > 0 or name in ("greedy",), name  # the test measured something
        np.testing.assert_allclose(ours[name], ref[name], rtol=1e-4, atol=1e-6, err_msg=name)


def test_results_do_not_depend_on_the_batch_size(x):
    m = torch_model(bins=[7, 8])
    wt = one_hot(random_tokens(L, 11))
    a = necessity_test(Engine(m, batch_size=1, seed=0, progress=False), wt, TILES, n_shuffles=3).effect
    b = necessity_test(Engine(m, batch_size=7, seed=0, progress=False), wt, TILES, n_shuffles=3).effect
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_input_gradients_match_autograd_free_finite_differences(x):
    m = torch_model(bins=[7], tracks=[1])
    g = m.input_gradients(x[:1])
    assert g.shape == (1, L, 4)
    # The objective is softplus(10 * mean_conv(bin 7) + distal term); change one base inside bin 7 and compare.
    p = 7 * BIN + 100
    xp = x[:1].copy()
    old = int(np.argmax(xp[0, p]))
    new = (old + 1) % 4
    xp[0, p] = 0
    xp[0, p, new] = 1
    fd = float(reference(xp)[0, 7, 1] - reference(x[:1])[0, 7, 1])
    assert g[0, p, new] - g[0, p, old] == pytest.approx(fd, rel=2e-2)
    far, near = np.abs(g[0, :BIN]).max(), np.abs(g[0, 7 * BIN : 8 * BIN]).max()
    assert 0 < far < near / 10  # distal bases count only through the decaying mean
    sal = gradient_x_input(m, x[:1])
    assert sal.shape == (1, L) and np.isclose(sal[0, p], g[0, p, old])
    assert m.bins.tolist() == [7] and m.tracks.tolist() == [1]
    m.input_gradients(x[:1], bins=[3], tracks=[0])
    assert m.bins.tolist() == [7] and m.tracks.tolist() == [1]  # selection restored


class PositiveNet(ConvNet):
    """softplus per position, then binned: no cancellation between large terms, as in a real
    network's output head (the ConvNet above amplifies a near-zero mean 40-fold, which no
    16-bit format can keep)."""

    def forward(self, x):
        return self.pool(torch.nn.functional.softplus(self.conv(x)))


def test_bf16_agrees_with_fp32_within_one_percent(x):
    net = PositiveNet()
    fp32 = TorchModel(net, seq_length=L, input_layout="NCL", output_layout="NTB", device="cpu").predict(x)
    bf16 = TorchModel(net, seq_length=L, input_layout="NCL", output_layout="NTB", device="cpu", precision="bf16").predict(x)
    assert bf16.dtype == np.float32
    # bfloat16 keeps 8 bits of mantissa: a relative step of 2**-8 = 0.4% per value.
    np.testing.assert_allclose(bf16, fp32, rtol=1e-2)
    assert not np.array_equal(bf16, fp32)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="n_bins=10 declared, but the module outputs 16"):
        torch_model(n_bins=10)
    with pytest.raises(ValueError, match=r"track index 3 out of range \[0, 3\)"):
        torch_model(tracks=[3])
    with pytest.raises(ValueError, match="unknown input_layout 'LNC'"):
        TorchModel(ConvNet(), seq_length=L, input_layout="LNC", device="cpu")
    with pytest.raises(ValueError, match="unknown precision 'fp8'"):
        torch_model(precision="fp8")
    with pytest.raises(ValueError, match="fp16' needs a CUDA device"):
        torch_model(precision="fp16")
    with pytest.raises(ValueError, match="pass output_key"):
        TorchModel(ConvNetNLC(), seq_length=L, device="cpu")
    with pytest.raises(ValueError, match="rank 3"):
        TorchModel(torch.nn.Flatten(), seq_length=L, device="cpu")
    with pytest.raises(ValueError, match="2 track_names given but the module outputs 3"):
        torch_model(track_names=["a", "b"])
    ok = torch_model(bins=[7, 8], tracks=[1])
    with pytest.raises(KeyError, match="'nope' is not among"):
        ok.select(bins=[2], tracks=["nope"])
    assert ok.bins.tolist() == [7, 8] and ok.tracks.tolist() == [1]  # the old selection is kept
    with pytest.raises(KeyError):
        ok.input_gradients(np.zeros((1, L, 4), np.float32), tracks=["nope"])
    assert ok.bins.tolist() == [7, 8] and ok.predict(np.zeros((1, L, 4), np.float32)).shape == (1, 2, 1)
    m = torch_model(n_bins=N_BINS, n_tracks=T)  # declared, so checked at every call
    with pytest.raises(ValueError, match="expected sequence length 8192 bp, got 4096"):
        m.predict(np.zeros((1, 4096, 4), np.float32))
    m.module.pool = torch.nn.AvgPool1d(BIN // 2)
    with pytest.raises(ValueError, match=r"disagrees with the declared 16 bins x 3 tracks"):
        m.predict(np.zeros((1, L, 4), np.float32))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only error")
def test_cuda_without_a_gpu_is_refused():
    with pytest.raises(ValueError, match="torch sees no CUDA GPU"):
        resolve_device("cuda")
    assert resolve_device("auto").type == "cpu"
    assert check_precision("bf16", resolve_device("cpu")) is torch.bfloat16


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (run with CUDA_VISIBLE_DEVICES set)")
def test_on_the_gpu_results_match_the_cpu(x):
    np.testing.assert_allclose(torch_model(bins=[7, 8], device="cuda").predict(x), torch_model(bins=[7, 8]).predict(x),
                               rtol=1e-4, atol=1e-5)
    net = PositiveNet()
    cpu = TorchModel(net, seq_length=L, input_layout="NCL", output_layout="NTB", device="cpu").predict(x)
    for precision in ("bf16", "fp16"):
        gpu = TorchModel(net, seq_length=L, input_layout="NCL", output_layout="NTB", device="cuda", precision=precision)
        np.testing.assert_allclose(gpu.predict(x), cpu, rtol=1e-2, err_msg=precision)
