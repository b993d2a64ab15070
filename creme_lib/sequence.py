"""DNA sequences as one-hot arrays: encoding, decoding, reverse complement, FASTA windows.

Conventions used throughout :mod:`creme_lib`:

* one-hot arrays have shape ``(L, 4)`` for one sequence or ``(N, L, 4)`` for a batch,
  columns in ``ACGT`` order, dtype ``float32`` unless asked otherwise;
* ``N`` and every other IUPAC ambiguity code is an all-zero row;
* *tokens* are the integer view, shape ``(L,)`` ``uint8``: ``A=0, C=1, G=2, T=3, N=4``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from numba import njit

ALPHABET = "ACGT"
N_TOKEN = 4

# ASCII -> token lookup; anything not ACGT (either case) is N.
_LUT = np.full(256, N_TOKEN, dtype=np.uint8)
for _i, _c in enumerate(ALPHABET):
    _LUT[ord(_c)] = _i
    _LUT[ord(_c.lower())] = _i
_IUPAC = set("ACGTNRYSWKMBDHV-acgtnryswkmbdhv")
_EYE5 = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])
_COMPLEMENT = str.maketrans("ACGTNacgtnRYKMrykmBDHVbdhvSWsw", "TGCANtgcanYRMKyrmkVHDBvhdbSWsw")


def tokenize(seq: str) -> np.ndarray:
    """Turn a DNA string into tokens.

    Parameters
    ----------
    seq : str
        DNA letters, any case. IUPAC ambiguity codes (and ``-``) become ``N``.

    Returns
    -------
    numpy.ndarray
        Shape ``(L,)``, dtype ``uint8``, values in ``0..4`` (``A, C, G, T, N``).

    Raises
    ------
    ValueError
        If ``seq`` contains a character that is not a DNA nucleotide code (``U`` included:
        RNA must be converted to DNA first).
    """
    raw = np.frombuffer(seq.encode("ascii", errors="replace"), dtype=np.uint8)
    tokens = _LUT[raw]
    bad = tokens == N_TOKEN
    if bad.any():
        odd = {c for c in set(seq[i] for i in np.flatnonzero(bad)[:10_000]) if c not in _IUPAC}
        if odd & set("Uu"):
            # Reading U as N would silently blank a quarter of an RNA sequence.
            raise ValueError("sequence holds U (RNA); the models read DNA: convert first, e.g. seq.replace('U', 'T')")
        if odd:
            raise ValueError(f"sequence holds non-nucleotide characters: {sorted(odd)!r}")
    return tokens


def soft_mask(seq: str) -> np.ndarray:
    """Lowercase (soft-masked, e.g. RepeatMasker) positions of ``seq``, shape ``(L,)`` bool."""
    raw = np.frombuffer(seq.encode("ascii", errors="replace"), dtype=np.uint8)
    return (raw >= ord("a")) & (raw <= ord("z"))


def one_hot_encode(
    seq: str, dtype: np.dtype | type = np.float32, return_mask: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """One-hot encode a DNA string.

    Parameters
    ----------
    seq : str
        DNA letters, case-insensitive; ``N`` and other IUPAC codes give all-zero rows.
    dtype : numpy dtype
        Output dtype (default ``float32``, what the models take).
    return_mask : bool
        Also return the soft-mask (lowercase) of ``seq``.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, numpy.ndarray)
        One-hot array of shape ``(L, 4)``; with ``return_mask`` also a bool array ``(L,)``
        that is True at lowercase letters.
    """
    x = tokens_to_one_hot(tokenize(seq), dtype=dtype)
    if return_mask:
        return x, soft_mask(seq)
    return x


def tokens_to_one_hot(
    tokens: np.ndarray, dtype: np.dtype | type = np.float32, out: np.ndarray | None = None
) -> np.ndarray:
    """Tokens ``(..., L)`` in ``0..4`` -> one-hot ``(..., L, 4)``; token 4 (N) is all zero.

    ``out`` (float32, shape ``(..., L, 4)``) is filled in place when given.
    """
    tokens = np.asarray(tokens)
    if out is None:
        out = np.empty((*tokens.shape, 4), np.float32)
    # np.take with an output buffer is ~8x faster than fancy indexing here.
    np.take(_EYE5, tokens, axis=0, out=out)
    return out.astype(dtype, copy=False)


@njit(cache=True)
def _exact_tokens(x: np.ndarray, out: np.ndarray) -> bool:
    """Tokens of an exact 0/1 one-hot ``(L, 4)``; False (out undefined) if a row is not."""
    for i in range(x.shape[0]):
        k = 4
        for j in range(4):
            v = x[i, j]
            if v == 1.0 and k == 4:
                k = j
            elif v != 0.0:
                return False
        out[i] = k
    return True


def one_hot_to_tokens(x: np.ndarray) -> np.ndarray:
    """Exact one-hot ``(..., L, 4)`` -> tokens ``(..., L)`` ``uint8``; all-zero rows become 4 (N).

    Every row must be a letter (one 1, three 0) or an all-zero ``N``. Soft encodings
    (probabilities) and the 0.25-row convention for N are refused rather than rounded: the
    CREME tests perturb letters, and reading ``0.25, 0.25, 0.25, 0.25`` as ``A`` would feed
    the model a different sequence than the user's. :func:`creme_lib.shuffle.dinuc_shuffle`
    refuses them alike.

    Raises
    ------
    ValueError
        If the last axis is not 4 wide, or a row is not exact (the first one is named).
    """
    x = np.asarray(x)
    if x.ndim < 2 or x.shape[-1] != 4:
        raise ValueError(f"expected one-hot of shape (..., L, 4), got {x.shape}")
    if x.dtype == np.float32 and x.flags.c_contiguous and x.size:
        # One compiled pass (argmax + any over a 4-wide axis costs ~8 ms per 196 kb).
        flat = x.reshape(-1, 4)
        tokens = np.empty(flat.shape[0], np.uint8)
        if _exact_tokens(flat, tokens):
            return tokens.reshape(x.shape[:-1])
    exact = ((x == 0) | (x == 1)).all(axis=-1) & (x.sum(axis=-1) <= 1)
    if not exact.all():
        where = np.argwhere(~exact)[0]
        row = x[tuple(where)]
        hint = " (0.25 rows for N: use all-zero rows)" if np.allclose(row, 0.25) else ""
        raise ValueError(f"one-hot row {tuple(int(i) for i in where)} is not exact 0/1: {row.tolist()}{hint}; "
                         "soft or probabilistic encodings are not accepted")
    tokens = np.argmax(x, axis=-1).astype(np.uint8)
    tokens[~x.any(axis=-1)] = N_TOKEN
    return tokens


def one_hot_decode(x: np.ndarray) -> str:
    """One-hot ``(L, 4)`` -> uppercase DNA string (all-zero rows -> ``N``)."""
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"expected one sequence of shape (L, 4), got {x.shape}")
    return np.frombuffer(b"ACGTN", dtype=np.uint8)[one_hot_to_tokens(x)].tobytes().decode()


def reverse_complement(x: np.ndarray | str) -> np.ndarray | str:
    """Reverse complement a string, a one-hot ``(L, 4)`` or a batch ``(N, L, 4)``.

    With ACGT column order the complement is the reversed column order, so for arrays
    this is a flip of the last two axes (a view, no copy). Strings keep their case.
    """
    if isinstance(x, str):
        return x.translate(_COMPLEMENT)[::-1]
    x = np.asarray(x)
    if x.ndim < 2 or x.shape[-1] != 4:
        raise ValueError(f"expected one-hot of shape (..., L, 4), got {x.shape}")
    return x[..., ::-1, ::-1]


def check_one_hot(x: np.ndarray, length: int | None = None, batch: bool = False) -> np.ndarray:
    """Validate a one-hot array and return it as ``float32``.

    Parameters
    ----------
    x : array
        ``(L, 4)`` or, with ``batch=True``, ``(N, L, 4)``.
    length : int, optional
        Required sequence length ``L`` in bp.
    batch : bool
        Whether a leading batch axis is expected.

    Raises
    ------
    ValueError
        On a wrong number of axes, an alphabet axis other than 4, or a wrong length.
    """
    x = np.asarray(x)
    want = 3 if batch else 2
    shape = "(N, L, 4)" if batch else "(L, 4)"
    if x.ndim != want or x.shape[-1] != 4:
        raise ValueError(f"expected a one-hot array of shape {shape}, got {x.shape}")
    if length is not None and x.shape[-2] != length:
        raise ValueError(f"expected sequence length {length} bp, got {x.shape[-2]} bp")
    return x.astype(np.float32, copy=False)


class FastaExtractor:
    """Strand-aware windows from an indexed FASTA (``pyfaidx``).

    Parameters
    ----------
    path : str or Path
        FASTA file; a ``.fai`` index is built next to it if missing.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the FASTA holds no sequences.
    """

    def __init__(self, path: str | os.PathLike):
        import pyfaidx

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"FASTA not found: {path}")
        if path.stat().st_size == 0:
            raise ValueError(f"FASTA is empty: {path}")
        self.path = path
        self._fasta = pyfaidx.Fasta(str(path), sequence_always_upper=False, as_raw=True)
        self.chrom_sizes = {name: len(rec) for name, rec in self._fasta.items()}
        if not self.chrom_sizes:
            raise ValueError(f"FASTA holds no sequences: {path}")

    def close(self) -> None:
        self._fasta.close()

    def __enter__(self) -> "FastaExtractor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Sequence of ``[start, end)`` (0-based, bp) on the + strand, ``N``-padded off the ends.

        Raises
        ------
        KeyError
            If ``chrom`` is not in the FASTA.
        ValueError
            If ``end < start``.
        """
        if chrom not in self.chrom_sizes:
            known = ", ".join(list(self.chrom_sizes)[:10])
            raise KeyError(f"chromosome {chrom!r} not in {self.path.name} (has: {known}...)")
        if end < start:
            raise ValueError(f"interval end {end} < start {start}")
        size = self.chrom_sizes[chrom]
        lo, hi = max(start, 0), min(end, size)
        core = self._fasta[chrom][lo:hi] if hi > lo else ""
        left = min(lo - start, end - start)
        return "N" * left + core + "N" * (end - start - left - len(core))

    def window(
        self,
        chrom: str,
        center: int,
        length: int,
        strand: str = "+",
        one_hot: bool = True,
    ) -> np.ndarray | str:
        """A ``length`` bp window centred on ``center`` (0-based position), in gene orientation.

        The window is ``[center - length // 2, center + length // 2)`` on the + strand, as in
        Enformer's data pipeline, so the TSS lands at index ``length // 2``. On the ``-``
        strand the window is reverse-complemented, which moves the TSS to ``length // 2 - 1``;
        callers that need the TSS in the central bins get it within one bp either way.

        Returns
        -------
        numpy.ndarray or str
            One-hot ``(length, 4)`` float32, or the string (case kept) if ``one_hot=False``.
        """
        if strand not in ("+", "-"):
            raise ValueError(f"strand must be '+' or '-', got {strand!r}")
        if length <= 0:
            raise ValueError(f"window length must be positive, got {length}")
        start = center - length // 2
        seq = self.fetch(chrom, start, start + length)
        if strand == "-":
            seq = reverse_complement(seq)
        return one_hot_encode(seq) if one_hot else seq
