"""GTF parsing, protein-coding TSSs (strand-aware, 0-based) and window <-> genome coordinates."""

import gzip

import numpy as np
import pandas as pd
import pytest

from creme_lib.annotation import (
    parse_attributes,
    protein_coding_tss,
    read_gtf,
    window_to_genome,
)
from creme_lib.ids import make_seq_id, seq_ids
from creme_lib.sequence import FastaExtractor

GTF = """\
##description: toy
chr1\tsrc\tgene\t101\t500\t.\t+\t.\tgene_id "G1"; gene_type "protein_coding"; gene_name "ONE";
chr1\tsrc\ttranscript\t101\t500\t.\t+\t.\tgene_id "G1"; gene_type "protein_coding"; gene_name "ONE"; transcript_id "T1"; transcript_type "protein_coding"; tag "basic"; tag "CCDS";
chr1\tsrc\texon\t101\t200\t.\t+\t.\tgene_id "G1"; transcript_id "T1"; gene_name "ONE";
chr1\tsrc\ttranscript\t151\t500\t.\t+\t.\tgene_id "G1"; gene_type "protein_coding"; gene_name "ONE"; transcript_id "T1b"; transcript_type "protein_coding";
chr1\tsrc\ttranscript\t101\t450\t.\t+\t.\tgene_id "G1"; gene_type "protein_coding"; gene_name "ONE"; transcript_id "T1c"; transcript_type "protein_coding";
chr2\tsrc\ttranscript\t1001\t2000\t.\t-\t.\tgene_id "G2"; gene_type "protein_coding"; gene_name "TWO"; transcript_id "T2"; transcript_type "protein_coding";
chr2\tsrc\ttranscript\t3001\t4000\t.\t-\t.\tgene_id "G3"; gene_type "lncRNA"; gene_name "THREE"; transcript_id "T3"; transcript_type "lncRNA";
chr2\tsrc\ttranscript\t5001\t6000\t.\t+\t.\tgene_id "G4"; gene_type "protein_coding"; gene_name "FOUR"; transcript_id "T4"; transcript_type "retained_intron";
"""


@pytest.fixture
def gtf(tmp_path):
    p = tmp_path / "toy.gtf"
    p.write_text(GTF)
    return p


def test_parse_attributes_keeps_first_repeated_key_and_unquoted_values():
    a = parse_attributes('gene_id "G1"; tag "basic"; tag "CCDS"; level 2;')
    assert a == {"gene_id": "G1", "tag": "basic", "level": "2"}


def test_read_gtf_filters_features(gtf):
    df = read_gtf(gtf)
    assert set(df.feature) == {"gene", "transcript"}
    assert df.start.dtype == np.int64
    assert len(read_gtf(gtf, features=None)) == 8


def test_protein_coding_tss_is_strand_aware_and_zero_based(gtf):
    t = protein_coding_tss(gtf)
    # T1 and T1c share a TSS (kept once); T1b starts later; G2 on '-' starts at its end;
    # lncRNA and non-coding transcripts of coding genes are dropped.
    assert list(t.columns) == ["Chromosome", "Start", "gene_name", "gene_id", "Strand", "transcript_id"]
    got = set(zip(t.gene_id, t.Start, t.Strand))
    assert got == {("G1", 100, "+"), ("G1", 150, "+"), ("G2", 1999, "-")}
    assert len(t) == 3


def test_protein_coding_tss_gzip_and_gene_fallback(tmp_path):
    lines = [ln for ln in GTF.splitlines() if "\tgene\t" in ln or ln.startswith("#")]
    p = tmp_path / "genes.gtf.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    t = protein_coding_tss(p)
    assert list(t.Start) == [100] and list(t.transcript_id) == [""]


def test_protein_coding_tss_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="annotation GTF not found"):
        protein_coding_tss(tmp_path / "missing.gtf")
    p = tmp_path / "nc.gtf"
    p.write_text('chr1\ts\ttranscript\t1\t10\t.\t+\t.\tgene_id "X"; transcript_type "lncRNA";\n')
    with pytest.raises(ValueError, match="no protein-coding"):
        protein_coding_tss(p)
    p.write_text("chr1\ts\ttranscript\t1\t10\n")
    with pytest.raises(ValueError, match="9 tab-separated"):
        protein_coding_tss(p)


def test_seq_ids():
    assert make_seq_id("RUFY3", "chr4", 70704800, "+") == "RUFY3_chr4_70704800_+"
    df = pd.DataFrame({"gene_name": ["A"], "Chromosome": ["chr1"], "Start": [5], "Strand": ["-"]})
    assert list(seq_ids(df)) == ["A_chr1_5_-"]


def test_window_to_genome_matches_the_published_coordinates():
    # CRE_characterization/sufficient_CRE_coordinates.csv: PTGIR (-), TSS 46625037,
    # window tile [100804, 105804) -> genome [46617537, 46622537).
    a, b = window_to_genome(46625037, "-", 100804, 105804, 196_608)
    assert (int(a), int(b)) == (46617537, 46622537)
    a, b = window_to_genome(1000, "+", 10, 20, 100)
    assert (int(a), int(b)) == (960, 970)


@pytest.mark.parametrize("strand", ["+", "-"])
def test_window_to_genome_agrees_with_the_extractor(tmp_path, strand):
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), 400))
    fa = tmp_path / "g.fa"
    fa.write_text(">chrA\n" + seq + "\n")
    with FastaExtractor(fa) as fx:
        win = fx.window("chrA", 200, 100, strand, one_hot=False)
        a, b = window_to_genome(200, strand, 30, 45, 100)
        genome = fx.fetch("chrA", int(a), int(b))
    from creme_lib.sequence import reverse_complement

    assert win[30:45] == (genome if strand == "+" else reverse_complement(genome))
