"""creme_lib.promoters.data: the E. coli MPRA and Xpresso loaders, on tiny files the tests write."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tiny_promoters import MOTIF, write_ecoli, write_xpresso

from creme_lib.promoters import data as D
from creme_lib.sequence import one_hot_decode


@pytest.fixture(scope="module")
def ecoli(tmp_path_factory):
    return write_ecoli(tmp_path_factory.mktemp("ecoli"))


def test_table_metadata_and_tss_index(ecoli):
    t = D.read_mpra_table(ecoli)
    assert len(t) == 400 + 3 + 2
    assert t["kind"].value_counts().to_dict() == {"tss": 400, "negative_control": 3, "positive_control": 2}
    g = t[t.kind == "tss"]
    # The writer put every TSS 120 bp into the window on either strand.
    assert set(g["tss_index"]) == {120} and set(g["strand"]) == {"+", "-"}
    assert (t.loc[t.kind != "tss", "tss_index"] == -1).all()
    assert t.loc[t.kind == "tss", "tss"].notna().all() and t.loc[t.kind != "tss", "tss"].isna().all()


def test_tss_index_follows_the_name_field_not_a_constant(tmp_path):
    folder = write_ecoli(tmp_path, n=10)
    path = folder / D.ECOLI_FILES["full"]
    df = pd.read_csv(path, sep="\t", header=None)
    # Move the first (+ strand) TSS 7 bp downstream in its name field.
    name, pos, strand = df.iloc[0, 4].split(",")
    df.iloc[0, 4] = f"{name},{int(pos) + 7},{strand}"
    name, pos, strand = df.iloc[1, 4].split(",")  # a - strand row
    df.iloc[1, 4] = f"{name},{int(pos) + 7},{strand}"
    df.to_csv(path, sep="\t", header=False, index=False)
    t = D.read_mpra_table(folder)
    assert t.loc[0, "tss_index"] == 127 and t.loc[1, "tss_index"] == 113


def test_load_splits_round_trip_and_remove_leakage(ecoli):
    tr, te = D.load_ecoli("train", ecoli), D.load_ecoli("test", ecoli)
    raw_train = pd.read_csv(ecoli / D.ECOLI_FILES["train"], sep="\t", header=None)
    assert tr.x.shape == (len(raw_train), 150, 4) and tr.x.dtype == np.float32
    assert one_hot_decode(tr.x[5]) == raw_train.iloc[5, 0]
    np.testing.assert_allclose(tr.y, np.log10(np.maximum(raw_train[1].to_numpy(), 0) + D.PSEUDOCOUNT), rtol=1e-6)
    assert te.notes == {"rows_in_file": 101 + 2, "removed_shared_with_train": 2, "shared_sequences": 2}
    assert not set(te.meta.sequence) & set(tr.meta.sequence)
    assert (te.meta["active"] == (te.meta["expression"] > D.ACTIVE_THRESHOLD)).all()
    assert tr.meta["kind"].isin(["tss", "negative_control"]).all()
    assert tr.meta.loc[tr.meta.kind == "tss", "sequence"].str.count(MOTIF).max() >= 1


def test_remove_shared_counts_rows_and_distinct_sequences():
    test = pd.DataFrame({"sequence": ["AC", "AC", "GT", "TT"], "expression": [1, 2, 3, 4]})
    kept, notes = D.remove_shared(test, {"AC", "TT", "CC"})
    assert kept["sequence"].tolist() == ["GT"]
    assert notes == {"removed_shared_with_train": 3, "shared_sequences": 2}


def test_log_expression_clips_and_rejects_nan():
    np.testing.assert_allclose(D.log_expression(np.array([-1.0, 0.0, 0.99])), [-2.0, -2.0, 0.0], atol=1e-6)
    with pytest.raises(ValueError, match="row 1"):
        D.log_expression(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="pseudocount"):
        D.log_expression(np.array([1.0]), pseudocount=0)


def test_encode_rejects_unequal_lengths_and_odd_letters():
    with pytest.raises(ValueError, match="row 1 has 3 bp"):
        D.encode_sequences(["ACGT", "ACG"])
    with pytest.raises(ValueError, match=r"row 1 holds letters outside ACGTN: \['U'\]"):
        D.encode_sequences(["ACGT", "ACGU"])
    x = D.encode_sequences(["ACGN"])
    assert x.shape == (1, 4, 4) and x[0, 3].sum() == 0


def test_bad_files_raise_and_name_the_problem(tmp_path):
    folder = write_ecoli(tmp_path, n=8)
    with pytest.raises(FileNotFoundError, match="not found"):
        D.load_ecoli("train", tmp_path / "nowhere")
    with pytest.raises(ValueError, match="split must be"):
        D.read_split("valid", folder)
    path = folder / D.ECOLI_FILES["train"]
    df = pd.read_csv(path, sep="\t", header=None)
    df[1] = df[1].astype(object)
    df.iloc[2, 1] = "nan"
    df.to_csv(path, sep="\t", header=False, index=False)
    with pytest.raises(ValueError, match="NaN or infinite"):
        D.load_ecoli("train", folder)


def test_promoter_set_checks_shapes_and_labels():
    x = np.zeros((2, 5, 4), np.float32)
    with pytest.raises(ValueError, match="NaN or infinite"):
        D.PromoterSet(x, np.array([0.0, np.inf], np.float32), pd.DataFrame({"sequence": ["", ""]}))
    with pytest.raises(ValueError, match="disagree"):
        D.PromoterSet(x, np.zeros(3, np.float32), pd.DataFrame({"sequence": ["", ""]}))
    s = D.PromoterSet(x, np.array([1, 2], np.float32), pd.DataFrame({"sequence": ["a", "b"]}), "s")
    sub = s.subset(np.array([False, True]))
    assert len(sub) == 1 and sub.y[0] == 2 and sub.meta.sequence.tolist() == ["b"]


def test_xpresso_round_trip_and_window(tmp_path):
    path = write_xpresso(tmp_path / "test.h5")
    s = D.load_xpresso_h5(path)
    import h5py

    with h5py.File(path) as h5:
        prom, label = h5["promoter"][()], h5["label"][()]
    assert s.x.shape == (6, 400, 4) and s.seq_length == 400
    np.testing.assert_array_equal(s.x, prom[:, 9_800:10_200].astype(np.float32))
    np.testing.assert_array_equal(s.y, label)
    assert s.meta["gene"].tolist()[0] == "ENSG00000" and (s.meta["tss_index"] == 200).all()
    assert one_hot_decode(s.x[0]) == s.meta.sequence[0]
    s2 = D.load_xpresso_h5(path, window=(0, 100))
    assert s2.seq_length == 100 and (s2.meta["tss_index"] == -1).all()


def test_xpresso_bad_input(tmp_path):
    with pytest.raises(KeyError, match="'label'"):
        D.load_xpresso_h5(write_xpresso(tmp_path / "a.h5", keys=("promoter",)))
    with pytest.raises(ValueError, match="outside the stored 20000 bp"):
        D.load_xpresso_h5(write_xpresso(tmp_path / "b.h5"), window=(19_900, 20_100))
    with pytest.raises(FileNotFoundError):
        D.load_xpresso_h5(tmp_path / "none.h5")


def test_splits_are_seeded_and_disjoint():
    a, b = D.split_validation(100, 10, seed=3)
    assert len(b) == 10 and not set(a) & set(b) and len(a) + len(b) == 100
    assert np.array_equal(b, D.split_validation(100, 10, seed=3)[1])
    assert not np.array_equal(b, D.split_validation(100, 10, seed=4)[1])
    with pytest.raises(ValueError, match="n_val"):
        D.split_validation(10, 10, 0)
    splits = D.random_resplits(50, (30, 10, 10), n_splits=3, seed=0)
    assert len(splits) == 3
    for s in splits:
        assert sorted(np.concatenate(list(s.values()))) == list(range(50))
    assert not np.array_equal(splits[0]["test"], splits[1]["test"])


def test_overlapping_pairs():
    meta = pd.DataFrame({"kind": ["tss"] * 5 + ["negative_control"], "tss": [100, 103, 200, 104, 100, pd.NA],
                         "strand": ["+", "+", "+", "-", "-", None]})
    pairs = D.overlapping_pairs(meta, max_shift=5)
    got = {(min(i, j), max(i, j), s) for i, j, s in pairs.itertuples(index=False)}
    assert got == {(0, 1, 3), (3, 4, 4)}
