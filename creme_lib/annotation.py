"""Gene annotation: protein-coding TSSs from a GTF, sequence ids, window <-> genome coordinates.

Coordinates
-----------
GTF files are 1-based and inclusive. Everything this module returns is 0-based:

* a transcript on ``+`` starts (its TSS) at GTF ``start - 1``;
* a transcript on ``-`` starts at its GTF ``end - 1`` (the last base of the interval).

The TSS is the window centre passed to :meth:`creme_lib.sequence.FastaExtractor.window`,
so a TSS table row ``(Chromosome, Start, Strand)`` gives the model input of that TSS.

A *sequence id* is ``{gene_name}_{chrom}_{tss}_{strand}`` (the paper's ``seq_id``, e.g.
``RUFY3_chr4_70704800_+``); a CRE tile adds ``_{tile_start}_{tile_end}`` (``enf_data_id``).
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

_ATTR = re.compile(r'\s*([^\s";]+)\s+(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))\s*;?')

#: GTF attribute keys that name the biotype (GENCODE, then Ensembl spelling).
GENE_TYPE_KEYS: tuple[str, ...] = ("gene_type", "gene_biotype")
TRANSCRIPT_TYPE_KEYS: tuple[str, ...] = ("transcript_type", "transcript_biotype")

#: Columns of a TSS table (the first five are the paper's ``*_selected_genes.csv``).
TSS_COLUMNS: tuple[str, ...] = ("Chromosome", "Start", "gene_name", "gene_id", "Strand", "transcript_id")


def _open(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path, encoding="utf-8")


def parse_attributes(text: str) -> dict[str, str]:
    """``gene_id "X"; gene_name "Y"; level 2;`` -> ``{"gene_id": "X", "gene_name": "Y", "level": "2"}``.

    A repeated key (GENCODE repeats ``tag``) keeps its first value.
    """
    out: dict[str, str] = {}
    for m in _ATTR.finditer(text):
        key = m.group(1)
        if key not in out:
            out[key] = m.group(2) if m.group(2) is not None else m.group(3)
    return out


def read_gtf(path: str | os.PathLike, features: tuple[str, ...] | None = ("gene", "transcript")) -> pd.DataFrame:
    """Read a GTF (optionally gzipped) into a DataFrame.

    Parameters
    ----------
    path : str or Path
        GTF file.
    features : tuple of str, optional
        Keep only these feature types (column 3); ``None`` keeps every line. Filtering
        while reading keeps a GENCODE GTF (~3 M lines, mostly exons) cheap.

    Returns
    -------
    pandas.DataFrame
        ``seqname, source, feature, start, end`` (1-based inclusive, int64), ``score,
        strand, frame`` and one column per attribute key found.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If a kept line does not have 9 tab-separated fields.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"annotation GTF not found: {path}")
    rows = []
    keep = None if features is None else set(features)
    with _open(path) as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 9:
                raise ValueError(f"{path.name}:{lineno}: expected 9 tab-separated GTF fields, got {len(parts)}")
            if keep is not None and parts[2] not in keep:
                continue
            rec = {
                "seqname": parts[0],
                "source": parts[1],
                "feature": parts[2],
                "start": int(parts[3]),
                "end": int(parts[4]),
                "score": parts[5],
                "strand": parts[6],
                "frame": parts[7],
            }
            rec.update(parse_attributes(parts[8]))
            rows.append(rec)
    df = pd.DataFrame(rows)
    if df.empty:
        df = pd.DataFrame(columns=["seqname", "source", "feature", "start", "end", "score", "strand", "frame"])
    return df


def _first_present(df: pd.DataFrame, keys: tuple[str, ...]) -> pd.Series | None:
    for k in keys:
        if k in df.columns:
            return df[k]
    return None


def protein_coding_tss(path: str | os.PathLike, unique_positions: bool = True) -> pd.DataFrame:
    """TSSs of the protein-coding transcripts of a GTF, strand-aware, 0-based.

    Transcripts count as protein-coding when their ``transcript_type`` (or
    ``transcript_biotype``; if absent, the gene's type) is ``protein_coding``. A GTF
    without ``transcript`` lines falls back to its ``gene`` lines (one TSS per gene).

    Parameters
    ----------
    path : str or Path
        GTF file (GENCODE or Ensembl style, optionally gzipped).
    unique_positions : bool
        Drop transcripts sharing a gene and a TSS position (they give the same model input).

    Returns
    -------
    pandas.DataFrame
        :data:`TSS_COLUMNS`: ``Chromosome`` (str), ``Start`` (0-based TSS, int64),
        ``gene_name``, ``gene_id``, ``Strand`` (``+``/``-``), ``transcript_id`` (empty for
        gene-level rows); sorted by chromosome, position and gene.

    Raises
    ------
    FileNotFoundError
        If the GTF does not exist.
    ValueError
        If it holds no protein-coding transcript or gene, or a strand other than ``+``/``-``.
    """
    gtf = read_gtf(path)
    tx = gtf[gtf["feature"] == "transcript"] if len(gtf) else gtf
    level = "transcript"
    if tx.empty:
        tx, level = gtf[gtf["feature"] == "gene"] if len(gtf) else gtf, "gene"
    if tx.empty:
        raise ValueError(f"{path}: no 'transcript' or 'gene' lines")
    biotype = _first_present(tx, TRANSCRIPT_TYPE_KEYS if level == "transcript" else ())
    if biotype is None:
        biotype = _first_present(tx, GENE_TYPE_KEYS)
    if biotype is None:
        raise ValueError(f"{path}: no gene_type/transcript_type attribute to find protein-coding {level}s")
    tx = tx[biotype.to_numpy() == "protein_coding"]
    if tx.empty:
        raise ValueError(f"{path}: no protein-coding {level}s")
    bad = set(tx["strand"]) - {"+", "-"}
    if bad:
        raise ValueError(f"{path}: unsupported strand(s) {sorted(bad)} on protein-coding {level}s")
    plus = tx["strand"].to_numpy() == "+"
    tss = np.where(plus, tx["start"].to_numpy(np.int64) - 1, tx["end"].to_numpy(np.int64) - 1)
    gene_id = tx["gene_id"] if "gene_id" in tx.columns else pd.Series([""] * len(tx), index=tx.index)
    gene_name = tx["gene_name"] if "gene_name" in tx.columns else gene_id
    out = pd.DataFrame(
        {
            "Chromosome": tx["seqname"].astype(str).to_numpy(),
            "Start": tss,
            "gene_name": gene_name.fillna(gene_id).astype(str).to_numpy(),
            "gene_id": gene_id.astype(str).to_numpy(),
            "Strand": tx["strand"].to_numpy(),
            "transcript_id": (tx["transcript_id"].astype(str).to_numpy() if "transcript_id" in tx.columns else ""),
        }
    )
    if unique_positions:
        out = out.drop_duplicates(["Chromosome", "Start", "Strand", "gene_id"])
    return out.sort_values(["Chromosome", "Start", "gene_id", "transcript_id"], kind="mergesort").reset_index(drop=True)


def window_to_genome(
    tss: int | np.ndarray,
    strand: str | np.ndarray,
    start: int | np.ndarray,
    end: int | np.ndarray,
    seq_length: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Window interval(s) ``[start, end)`` (bp, gene orientation) -> genome ``[start, end)``.

    The window of a TSS is ``[tss - L // 2, tss + L // 2)`` on the genome, reverse-
    complemented for ``-`` genes (as :meth:`~creme_lib.sequence.FastaExtractor.window`
    builds it), so window position ``p`` is genome ``w0 + p`` on ``+`` and
    ``w0 + L - 1 - p`` on ``-`` (``w0 = tss - L // 2``).

    Parameters
    ----------
    tss : int or array
        0-based TSS (window centre), bp.
    strand : str or array of str
    start, end : int or array
        Window coordinates, bp, half-open.
    seq_length : int
        Window length ``L`` in bp.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Genome ``start`` and ``end`` (0-based, half-open), int64.
    """
    tss, start, end = (np.asarray(v, np.int64) for v in (tss, start, end))
    w0 = tss - seq_length // 2
    minus = np.asarray(strand) == "-"
    g0 = np.where(minus, w0 + seq_length - end, w0 + start)
    g1 = np.where(minus, w0 + seq_length - start, w0 + end)
    return g0, g1


__all__ = [
    "TSS_COLUMNS",
    "parse_attributes",
    "read_gtf",
    "protein_coding_tss",
    "window_to_genome",
]
