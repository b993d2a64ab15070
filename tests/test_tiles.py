import numpy as np
import pandas as pd
import pytest

from creme_lib.paths import shared_data_dir
from creme_lib.tiles import bins_of, check_tiles, subtiles, tile_grid, tss_tile


def _published_coordinates(model: str) -> tuple[tuple[int, int], np.ndarray]:
    path = shared_data_dir() / "creme_paper_results" / "summary_csvs" / model / "sufficiency_test_tile_coordinates.csv"
    if not path.exists():
        pytest.skip(f"published tile table not found at {path}")
    df = pd.read_csv(path, index_col=0)
    tss = tuple(int(v) for v in df.pop("tss"))
    return tss, df.to_numpy().T.astype(np.int64)


@pytest.mark.parametrize("model,length", [("enformer", 196_608), ("borzoi", 524_288)])
def test_tile_grid_reproduces_published_coordinates(model, length):
    tss_pub, tiles_pub = _published_coordinates(model)
    tss, tiles = tile_grid(length, 5000)
    assert tss == tss_pub
    np.testing.assert_array_equal(tiles, tiles_pub)


def test_enformer_grid_facts():
    tss, tiles = tile_grid(196_608, 5000)
    assert tss == (95_804, 100_804) == tss_tile(196_608, 5000)
    assert len(tiles) == 38
    assert (np.diff(tiles, axis=1) == 5000).all()
    assert not ((tiles[:, 0] < tss[1]) & (tiles[:, 1] > tss[0])).any()


def test_check_tiles_errors():
    with pytest.raises(ValueError, match="outside"):
        check_tiles([[90, 110]], 100)
    with pytest.raises(ValueError, match="overlaps the TSS"):
        check_tiles([[40, 60]], 100, avoid=(50, 70))
    with pytest.raises(ValueError, match="empty"):
        check_tiles([[10, 10]], 100)
    with pytest.raises(ValueError, match="shape"):
        check_tiles([[1, 2, 3]], 100)
    with pytest.raises(ValueError, match="tile_size"):
        tile_grid(100, 200)


def test_bins_of_enformer_tss():
    # Enformer: 896 bins of 128 bp over the central 114,688 bp (crop 40,960 each side).
    np.testing.assert_array_equal(bins_of(98_304 - 128, 98_304 + 128, 128, crop=40_960), [447, 448])


def test_subtiles():
    np.testing.assert_array_equal(subtiles(0, 100, 30), [[0, 30], [30, 60], [60, 90]])
    np.testing.assert_array_equal(subtiles(0, 100, 50, 25), [[0, 50], [25, 75], [50, 100]])


def test_check_tiles_refuses_fractional_coordinates():
    with pytest.raises(ValueError, match="whole bp, got 4999.7"):
        check_tiles(np.array([[0.0, 4999.7]]), 10_000)
    with pytest.raises(ValueError, match="whole bp"):
        check_tiles(np.array([[0.0, np.nan]]), 10_000)
    assert check_tiles(np.array([[0.0, 5000.0]]), 10_000).tolist() == [[0, 5000]]
