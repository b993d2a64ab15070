import numpy as np
import pytest

from creme_lib.seeding import derive_rng


def test_same_key_same_stream_and_zero_is_a_seed():
    a = derive_rng(0, "GATA1", "sufficiency", 3).random(5)
    b = derive_rng(0, "GATA1", "sufficiency", 3).random(5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, derive_rng(1, "GATA1", "sufficiency", 3).random(5))


def test_keys_separate_streams():
    draws = {k: derive_rng(7, *k).random() for k in [("g", "t", 0), ("g", "t", 1), ("g", "u", 0), ("h", "t", 0)]}
    assert len(set(draws.values())) == 4


def test_bad_keys():
    with pytest.raises(TypeError):
        derive_rng(0, 1.5)
    with pytest.raises(ValueError):
        derive_rng(0, -1)
