"""Sequence and CRE ids (creme_lib.ids): the one builder and parser of the paper's id formats."""

import pandas as pd
import pytest

from creme_lib import ids


def test_parse_seq_id():
    assert ids.parse_seq_id("RUFY3_chr4_70704800_+") == {"gene": "RUFY3", "chrom": "chr4", "tss": 70704800, "strand": "+"}
    d = ids.parse_seq_id("SQOR_chr15_45635028_+_100804_105804.pickle")
    assert d["tile_start"] == 100804 and d["tile_end"] == 105804
    df = ids.parse_seq_id(pd.Series(["HLA_DRB1_chr6_32589848_-", "A_chrX_5_+"]))
    assert df["gene"].tolist() == ["HLA_DRB1", "A"] and df["tss"].tolist() == [32589848, 5]
    with pytest.raises(ValueError, match="not_an_id"):
        ids.parse_seq_id("not_an_id")
    with pytest.raises(ValueError, match="bad"):
        ids.parse_seq_id(pd.Series(["A_chr1_5_+", "bad"]))


def test_make_and_parse_round_trip():
    # Gene names with underscores are parsed from the right.
    sid = ids.make_seq_id("MY_GENE", "chr1", 1234, "-")
    assert sid == "MY_GENE_chr1_1234_-"
    d = ids.parse_seq_id(sid)
    assert (d["gene"], d["chrom"], d["tss"], d["strand"]) == ("MY_GENE", "chr1", 1234, "-")
    eid = ids.make_enf_data_id(sid, 804, 5804)
    assert ids.split_enf_data_id(eid) == (sid, 804, 5804)
    assert ids.parse_seq_id(eid)["tile_start"] == 804


def test_vectorized_ids_match_scalar():
    tss = pd.DataFrame({"gene_name": ["A_B", "C"], "Chromosome": ["chr2", "chrX"], "Start": [5.0, 70], "Strand": ["+", "-"]})
    assert ids.seq_ids(tss).tolist() == [ids.make_seq_id("A_B", "chr2", 5, "+"), ids.make_seq_id("C", "chrX", 70, "-")]
    cres = pd.DataFrame({"seq_id": ["A_chr2_5_+", "C_chrX_70_-"], "tile_start": [0, 5000], "tile_end": [5000, 10000]})
    assert ids.enf_data_ids(cres).tolist() == [ids.make_enf_data_id(s, a, b) for s, a, b in cres.itertuples(index=False)]
    parts = ids.with_seq_id_parts(cres)
    assert parts["gene"].tolist() == ["A", "C"] and parts["tss"].tolist() == [5, 70]


def test_cre_column_counts_cres_not_sequences():
    two = pd.DataFrame({"seq_id": ["G_chr1_100_+"] * 2, "enf_data_id": ["G_chr1_100_+_0_5000", "G_chr1_100_+_5000_10000"]})
    assert ids.cre_column(two) == "enf_data_id" and two[ids.cre_column(two)].nunique() == 2
    assert ids.cre_column(two[["seq_id"]]) == "seq_id"
