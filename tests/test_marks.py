"""bigWig summaries, repeat content and the enhancer-vs-silencer tests of creme_lib.marks."""

import numpy as np
import pandas as pd
import pytest

from creme_lib.marks import (
    PVALUE_COLUMNS,
    REPEAT_COLUMN,
    bigwig_summary,
    compare_groups,
    find_bigwigs,
    mark_table,
    repeat_fraction,
)

pyBigWig = pytest.importorskip("pyBigWig")


@pytest.fixture
def bigwig(tmp_path):
    """chr1: 10 bp bins with value = bin index over [0, 100); chr2 declared but empty."""
    p = tmp_path / "K562.H3K27ac.bw"
    bw = pyBigWig.open(str(p), "w")
    bw.addHeader([("chr1", 200), ("chr2", 100)])
    starts = list(range(0, 100, 10))
    bw.addEntries(["chr1"] * 10, starts, ends=[s + 10 for s in starts], values=[float(i) for i in range(10)])
    bw.close()
    return p


@pytest.fixture
def fasta(tmp_path):
    p = tmp_path / "g.fa"
    p.write_text(">chr1\nACGTacgtNNACGTACGTac\n")
    return p


def test_bigwig_summary_mean_max_and_missing(bigwig):
    iv = pd.DataFrame({"chrom": ["chr1", "chr1", "chr1", "chr2", "chrX"], "start": [0, 15, 150, 0, 0],
                       "end": [20, 35, 160, 10, 10]})
    s = bigwig_summary(bigwig, iv)
    assert s.shape == (5, 2)
    assert s.loc[0, "mean"] == pytest.approx(0.5) and s.loc[0, "max"] == 1
    # [15, 35): 5 bp of 1, 10 of 2, 5 of 3
    assert s.loc[1, "mean"] == pytest.approx((5 * 1 + 10 * 2 + 5 * 3) / 20) and s.loc[1, "max"] == 3
    assert s.iloc[2:].isna().all().all()  # no data / empty chromosome / unknown chromosome


def test_bigwig_summary_errors(tmp_path, bigwig):
    iv = pd.DataFrame({"chrom": ["chr1"], "start": [0], "end": [10]})
    with pytest.raises(FileNotFoundError):
        bigwig_summary(tmp_path / "missing.bw", iv)
    with pytest.raises(ValueError, match="end > start"):
        bigwig_summary(bigwig, iv.assign(end=0))
    with pytest.raises(ValueError, match="missing"):
        bigwig_summary(bigwig, iv.drop(columns="chrom"))


def test_repeat_fraction_counts_lowercase_and_skips_n(fasta):
    iv = pd.DataFrame({"chrom": ["chr1", "chr1", "chr1", "chr1"], "start": [0, 4, 0, 8], "end": [4, 8, 10, 10]})
    f = repeat_fraction(fasta, iv)
    assert f[0] == 0.0 and f[1] == 1.0
    assert f[2] == pytest.approx(0.5)  # ACGTacgt + NN: N left out
    assert np.isnan(f[3])  # only N


def test_find_bigwigs(tmp_path, bigwig):
    (tmp_path / "GM12878.H3K27ac.bw").write_bytes(b"")
    assert find_bigwigs(tmp_path, "K562") == {"H3K27ac": bigwig}
    with pytest.raises(FileNotFoundError, match="PC-3"):
        find_bigwigs(tmp_path, "PC-3")
    with pytest.raises(FileNotFoundError):
        find_bigwigs(tmp_path / "nope", "K562")


def test_mark_table_and_compare_groups(bigwig, fasta):
    iv = pd.DataFrame({"chrom": ["chr1"] * 6, "start": [60, 70, 80, 0, 10, 20], "end": [70, 80, 90, 10, 20, 30],
                       "tile class": ["Enhancer"] * 3 + ["Silencer"] * 3})
    t = mark_table(iv, {"H3K27ac": bigwig}, fasta)
    assert {"H3K27ac (mean)", "H3K27ac (max)", REPEAT_COLUMN} <= set(t.columns)
    assert list(t["tile class"]) == list(iv["tile class"])
    pv = compare_groups(t)
    assert list(pv.columns) == list(PVALUE_COLUMNS)
    assert set(pv.mark) == {"H3K27ac (mean)", "H3K27ac (max)", REPEAT_COLUMN}
    row = pv.set_index("mark").loc["H3K27ac (mean)"]
    # Enhancers (6, 7, 8) vs silencers (0, 1, 2): no ties, exact two-sided U test
    # p = 2 / C(6, 3) = 0.1.
    assert row["pvalue"] == pytest.approx(0.1)
    assert row["enhancer / silencer"] > 1 and row["log(Max enhancer / Max silencer)"] > 0
    assert not row["sign"] and row["-log10(pvalue)"] == 0.0


def test_compare_groups_significance_and_missing_group(caplog):
    rng = np.random.default_rng(0)
    t = pd.DataFrame({"m (max)": np.r_[rng.normal(5, 1, 30), rng.normal(0, 1, 30)], "tile class": ["Enhancer"] * 30 + ["Silencer"] * 30})
    pv = compare_groups(t)
    assert bool(pv.sign.iloc[0]) and pv["-log10(pvalue)"].iloc[0] == pytest.approx(-np.log10(pv.pvalue.iloc[0]))
    only = t[t["tile class"] == "Enhancer"]
    with caplog.at_level("WARNING"):
        pv = compare_groups(only)
    assert np.isnan(pv.pvalue.iloc[0]) and not pv.sign.iloc[0]
    assert "no test" in caplog.text
    with pytest.raises(ValueError, match="no mark columns"):
        compare_groups(only[["tile class"]])
