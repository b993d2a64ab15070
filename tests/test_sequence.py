import numpy as np
import pytest

from creme_lib.sequence import (
    FastaExtractor,
    check_one_hot,
    one_hot_decode,
    one_hot_encode,
    one_hot_to_tokens,
    reverse_complement,
    tokenize,
)


def test_one_hot_order_case_and_ambiguity():
    x = one_hot_encode("AcGtNRy")
    assert x.dtype == np.float32 and x.shape == (7, 4)
    np.testing.assert_array_equal(x[:4], np.eye(4))
    assert not x[4:].any()  # N and IUPAC codes are all-zero rows
    assert one_hot_decode(x) == "ACGTNNN"


def test_soft_mask_is_returned_separately():
    x, mask = one_hot_encode("ACgtNa", return_mask=True)
    np.testing.assert_array_equal(mask, [False, False, True, True, False, True])
    assert one_hot_decode(x) == "ACGTNA"


def test_non_nucleotide_characters_are_rejected():
    with pytest.raises(ValueError, match="non-nucleotide"):
        tokenize("ACGTZ")


def test_reverse_complement_string_and_arrays_agree():
    s = "AACGTNTTGc"
    assert reverse_complement(s) == "gCAANACGTT"
    x = one_hot_encode(s)
    assert one_hot_decode(reverse_complement(x)) == reverse_complement(s).upper()
    batch = np.stack([x, x])
    np.testing.assert_array_equal(reverse_complement(batch)[1], reverse_complement(x))


def test_tokens_roundtrip_random():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 5, 1000).astype(np.uint8)
    x = np.vstack([np.eye(4), np.zeros((1, 4))])[t]
    np.testing.assert_array_equal(one_hot_to_tokens(x), t)


@pytest.mark.parametrize("shape", [(10,), (10, 5), (2, 10, 3)])
def test_check_one_hot_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="shape"):
        check_one_hot(np.zeros(shape))


def test_check_one_hot_length():
    with pytest.raises(ValueError, match="100 bp"):
        check_one_hot(np.zeros((50, 4)), length=100)


@pytest.fixture
def fasta(tmp_path):
    seq1 = "ACGTACGTAC" * 10  # 100 bp
    seq2 = "GGGGCCCCaatt"
    p = tmp_path / "tiny.fa"
    p.write_text(f">chr1 test\n{seq1[:60]}\n{seq1[60:]}\n>chr2\n{seq2}\n")
    return p, seq1, seq2


def test_fasta_window_plus_and_minus_strand(fasta):
    path, seq1, _ = fasta
    with FastaExtractor(path) as fx:
        assert fx.chrom_sizes == {"chr1": 100, "chr2": 12}
        w = fx.window("chr1", 50, 20, "+", one_hot=False)
        assert w == seq1[40:60]
        wm = fx.window("chr1", 50, 20, "-", one_hot=False)
        assert wm == reverse_complement(seq1[40:60])
        np.testing.assert_array_equal(fx.window("chr1", 50, 20, "-"), one_hot_encode(wm))


def test_fasta_pads_with_n_beyond_chromosome_ends(fasta):
    path, seq1, seq2 = fasta
    with FastaExtractor(path) as fx:
        assert fx.window("chr1", 2, 10, one_hot=False) == "NNN" + seq1[:7]
        assert fx.window("chr2", 10, 10, one_hot=False) == seq2[5:] + "NNN"
        assert fx.window("chr2", 6, 30, one_hot=False) == "N" * 9 + seq2 + "N" * 9
        assert fx.fetch("chr2", 100, 105) == "NNNNN"  # entirely off the end


def test_fasta_keeps_soft_mask_case(fasta):
    path, _, seq2 = fasta
    with FastaExtractor(path) as fx:
        assert fx.fetch("chr2", 8, 12) == "aatt"


def test_fasta_errors(fasta, tmp_path):
    path, _, _ = fasta
    with FastaExtractor(path) as fx:
        with pytest.raises(KeyError, match="chr9"):
            fx.window("chr9", 10, 10)
        with pytest.raises(ValueError, match="strand"):
            fx.window("chr1", 10, 10, strand="x")
    empty = tmp_path / "empty.fa"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        FastaExtractor(empty)
    with pytest.raises(FileNotFoundError):
        FastaExtractor(tmp_path / "missing.fa")


def test_rna_is_refused_not_read_as_n():
    with pytest.raises(ValueError, match="holds U"):
        tokenize("ACGU")
    with pytest.raises(ValueError, match="holds U"):
        one_hot_encode("acgu")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_soft_and_quarter_n_one_hots_are_refused(dtype):
    x = one_hot_encode("ACGTA").astype(dtype)
    quarter = x.copy()
    quarter[2] = 0.25
    with pytest.raises(ValueError, match=r"row \(2,\) is not exact.*0.25 rows for N"):
        one_hot_to_tokens(quarter)
    soft = x.copy()
    soft[1] = [0.1, 0.7, 0.1, 0.1]
    with pytest.raises(ValueError, match=r"row \(1,\) is not exact"):
        one_hot_to_tokens(soft)
    np.testing.assert_array_equal(one_hot_to_tokens(x), [0, 1, 2, 3, 0])
