import numpy as np
import pytest

from creme_lib.inference import Engine
from creme_lib.models.base import CallableModel
from creme_lib.perturb import Paste, SeqSpec, keep, move, shuffled, wild_type
from toy_models import one_hot, random_tokens

L = 2048


def _counting_model(seq_length=L):
    """Output = (#A, #C, #G, #T) per sequence as 4 tracks in one bin; records batch sizes."""
    calls = []

    def fn(x):
        calls.append(len(x))
        return x.sum(axis=1)[:, None, :]

    return CallableModel(fn, seq_length, n_bins=1, track_names=list("ACGT")), calls


def _specs(name="g"):
    bgs = [SeqSpec(name, ("bg", k), (keep(900, 1100),)) for k in range(4)]
    return [wild_type(name), *bgs, *(b.with_edits(keep(100, 300)) for b in bgs),
            *(SeqSpec(name, None, (shuffled(500, 700, ("t", k)),)) for k in range(3))]


def test_results_do_not_depend_on_batch_size_or_order():
    x = one_hot(random_tokens(L, 1))
    outs = []
    for bs in (1, 3, 16):
        model, _ = _counting_model()
        eng = Engine(model, batch_size=bs, seed=5, progress=False)
        eng.register("g", x)
        specs = _specs()
        outs.append(eng.predict(specs))
        # asking again in reverse order returns the same rows, without new model calls
        before = eng.stats.predicted
        np.testing.assert_array_equal(eng.predict(specs[::-1])[::-1], outs[-1])
        assert eng.stats.predicted == before
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])


def test_duplicates_are_predicted_once_and_batches_are_bounded():
    model, calls = _counting_model()
    eng = Engine(model, batch_size=4, seed=0, progress=False)
    eng.register("g", one_hot(random_tokens(L, 2)))
    specs = _specs() * 3
    eng.predict(specs)
    assert eng.stats.requested == len(specs)
    assert eng.stats.predicted == len(set(specs)) == sum(calls)
    assert max(calls) <= 4


def test_build_semantics():
    model, _ = _counting_model()
    eng = Engine(model, seed=0, progress=False)
    t = random_tokens(L, 3)
    eng.register("g", one_hot(t))
    other = random_tokens(L, 4)
    eng.register("h", one_hot(other))
    # WT is the registered sequence
    np.testing.assert_array_equal(eng.build(wild_type("g")), t)
    # a shuffled background keeps composition (dinucleotide shuffle) and the kept tile
    bare = eng.build(SeqSpec("g", ("bg", 0)))
    np.testing.assert_array_equal(np.bincount(bare, minlength=4), np.bincount(t, minlength=4))
    assert (bare != t).mean() > 0.5
    bg = eng.build(SeqSpec("g", ("bg", 0), (keep(100, 200),)))
    np.testing.assert_array_equal(bg[100:200], t[100:200])
    np.testing.assert_array_equal(np.delete(bg, np.s_[100:200]), np.delete(bare, np.s_[100:200]))
    # move copies from another place; paste from another registered sequence
    moved = eng.build(SeqSpec("g", None, (move(10, 60, 1000),)))
    np.testing.assert_array_equal(moved[1000:1050], t[10:60])
    swapped = eng.build(SeqSpec("g", None, (Paste(0, 50, "h"),)))
    np.testing.assert_array_equal(swapped[:50], other[:50])
    np.testing.assert_array_equal(swapped[50:], t[50:])
    # an in-place shuffle keeps the segment's composition and the rest of the sequence
    sh = eng.build(SeqSpec("g", None, (shuffled(500, 700, ("x", 0)),)))
    np.testing.assert_array_equal(sh[:500], t[:500])
    np.testing.assert_array_equal(np.sort(sh[500:700]), np.sort(t[500:700]))


def test_same_spec_same_sequence_across_engines_and_seed_matters():
    t = random_tokens(L, 5)
    spec = SeqSpec("g", ("bg", 1))
    seqs = []
    for seed in (0, 0, 1):
        model, _ = _counting_model()
        eng = Engine(model, seed=seed, progress=False)
        eng.register("g", one_hot(t))
        seqs.append(eng.build(spec))
    np.testing.assert_array_equal(seqs[0], seqs[1])
    assert not np.array_equal(seqs[0], seqs[2])


def test_errors():
    model, _ = _counting_model()
    eng = Engine(model, progress=False)
    with pytest.raises(ValueError, match="1000 bp"):
        eng.register("short", one_hot(random_tokens(1000, 0)))
    eng.register("g", one_hot(random_tokens(L, 0)))
    with pytest.raises(ValueError, match="already registered"):
        eng.register("g", one_hot(random_tokens(L, 1)))
    with pytest.raises(KeyError, match="nope"):
        eng.predict([wild_type("nope")])
    with pytest.raises(ValueError, match="runs past"):
        eng.predict([SeqSpec("g", None, (move(0, 100, L - 50),))])
    with pytest.raises(ValueError, match="empty"):
        Paste(10, 10)
    with pytest.raises(TypeError, match="CallableModel"):
        Engine(lambda x: x)
    with pytest.raises(ValueError, match="batch_size"):
        Engine(model, batch_size=0)


def test_a_paste_relocates_only_from_other_coordinates():
    assert move(0, 100, 500).relocates  # the moved CRE comes from [0, 100)
    assert not Paste(0, 100, "h").relocates and not Paste(0, 100, "h", src_start=0).relocates  # a swap in place
    assert Paste(200, 300, "h", src_start=0).relocates


def test_model_output_shape_is_checked():
    bad = CallableModel(lambda x: np.zeros((len(x), 3, 1)), L, n_bins=2)
    eng = Engine(bad, progress=False)
    eng.register("g", one_hot(random_tokens(L, 0)))
    with pytest.raises(ValueError, match=r"expected \(N, 2, 1\)"):
        eng.predict([wild_type("g")])


def test_track_and_bin_selection_by_name():
    model = CallableModel(lambda x: np.tile(np.arange(6.0), (len(x), 2, 1)), L, n_bins=2,
                          track_names=list("abcdef"), tracks=["e", 1], bins=[1])
    out = model.predict(one_hot(random_tokens(L, 0)))
    np.testing.assert_array_equal(out, [[[4.0, 1.0]]])
    with pytest.raises(KeyError, match="zz"):
        CallableModel(lambda x: x, L, n_bins=2, track_names=["a"], tracks=["zz"])
    with pytest.raises(ValueError, match="bins"):
        CallableModel(lambda x: x, L, n_bins=2, bins=[5])


def test_silent_inputs_are_refused_at_registration():
    """Inputs that would run with a wrong meaning: each raises, naming the problem."""
    model, _ = _counting_model()
    eng = Engine(model, progress=False)
    with pytest.raises(ValueError, match="all N"):
        eng.register("n", np.zeros((L, 4), np.float32))
    quarter = one_hot(random_tokens(L, 0))
    quarter[10] = 0.25
    with pytest.raises(ValueError, match="0.25 rows for N"):
        eng.register("q", quarter)
    soft = one_hot(random_tokens(L, 0))
    soft[5] = [0.4, 0.3, 0.2, 0.1]
    with pytest.raises(ValueError, match="not exact"):
        eng.register("s", soft)
    with pytest.raises(ValueError, match="holds U"):
        eng.register("r", "ACGU" * (L // 4))


def test_fractional_shuffle_counts_and_tile_coordinates_are_refused():
    from creme_lib import experiments as ex

    model, _ = _counting_model()
    x = one_hot(random_tokens(L, 0))
    with pytest.raises(ValueError, match="whole number, got 2.5"):
        ex.necessity_test(model, x, np.array([[0, 100]]), n_shuffles=2.5, progress=False)
    with pytest.raises(ValueError, match="whole bp, got 99.5"):
        ex.necessity_test(model, x, np.array([[0.0, 99.5]]), n_shuffles=2, progress=False)
    res = ex.necessity_test(model, x, np.array([[0.0, 100.0]]), n_shuffles=2.0, progress=False)
    assert res.tiles.tolist() == [[0, 100]] and res.mut.shape[1] == 2  # whole-number floats are fine


def test_predict_tokens_defaults_to_the_one_hot_path():
    """A backend without a token path gets the one-hot of the tokens, and the engine keeps writing one-hot."""
    L = 64
    model = CallableModel(lambda x: (x * np.arange(1, 5)).sum(axis=(1, 2))[:, None, None], L, n_bins=1)
    assert not model.takes_tokens
    from creme_lib.sequence import tokens_to_one_hot

    t = np.stack([random_tokens(L, seed) for seed in range(3)])
    t[0, :10] = 4  # N rows are all zero in the one-hot
    got = model.predict_tokens(t)
    np.testing.assert_array_equal(got, model.predict(tokens_to_one_hot(t)))
    np.testing.assert_array_equal(got[1:, 0, 0], [(random_tokens(L, s) + 1).sum() for s in (1, 2)])
    with pytest.raises(ValueError, match="0..4"):
        model.predict_tokens(np.full((1, L), 5))
    with pytest.raises(ValueError, match="shape"):
        model.predict_tokens(np.zeros((2, L + 1), np.uint8))
    eng = Engine(model, batch_size=2, progress=False)
    eng.register("g", tokens_to_one_hot(t[1]))
    model.predict_tokens = None  # the engine must not call it
    assert eng.predict([wild_type("g")])[0, 0] == got[1, 0, 0]


class _TokenCounter(CallableModel):
    """Reads tokens natively: output = sum of (token + 1)."""

    def _predict_tokens(self, tokens):
        return (tokens.astype(np.float64) + 1).sum(axis=1)[:, None, None]


class _Override(_TokenCounter):
    """Changes _predict only: its change must not be bypassed by the inherited token path."""

    def _predict(self, x):
        return np.zeros((len(x), 1, 1))


def test_takes_tokens_follows_the_most_derived_prediction():
    L = 32
    fn = lambda x: (x * np.arange(1, 5)).sum(axis=(1, 2))[:, None, None]  # noqa: E731
    counter, override = _TokenCounter(fn, L, n_bins=1), _Override(fn, L, n_bins=1)
    assert counter.takes_tokens and not override.takes_tokens
    t = random_tokens(L, 7)
    from creme_lib.sequence import tokens_to_one_hot

    for model, want in ((counter, (t + 1).sum()), (override, 0.0)):
        eng = Engine(model, progress=False)
        eng.register("g", tokens_to_one_hot(t))
        assert eng.predict([wild_type("g")])[0, 0] == want


def test_selecting_bins_returns_other_bins_inside_the_block_only():
    L = 16
    model = CallableModel(lambda x: np.tile(np.arange(6.0), (len(x), 1))[:, :, None] * x.sum(axis=(1, 2))[:, None, None],
                          L, n_bins=6, bins=[2, 3])
    from creme_lib.sequence import tokens_to_one_hot

    x = tokens_to_one_hot(random_tokens(L, 1))[None]
    with model.selecting_bins(None):
        assert model.predict(x)[0, :, 0].tolist() == [i * L for i in range(6)]
    assert model.predict(x)[0, :, 0].tolist() == [2 * L, 3 * L] and model.bins.tolist() == [2, 3]
    with pytest.raises(RuntimeError), model.selecting_bins([5]):  # restored on an error too
        raise RuntimeError
    assert model.bins.tolist() == [2, 3]
