"""Identifiers of sequences and CRE tiles: the one place their formats are built and parsed.

A *sequence id* (the paper's ``seq_id``) names a gene's TSS window,
``{gene_name}_{chrom}_{tss}_{strand}``, e.g. ``RUFY3_chr4_70704800_+`` (``tss`` 0-based, bp).
A *CRE id* (the paper's ``enf_data_id``) names one tile of that window,
``{seq_id}_{tile_start}_{tile_end}`` (window coordinates, bp, half-open). Gene names may
contain underscores, so ids are parsed from the right.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = [
    "make_seq_id",
    "seq_ids",
    "parse_seq_id",
    "with_seq_id_parts",
    "make_enf_data_id",
    "enf_data_ids",
    "split_enf_data_id",
    "cre_column",
]

_SEQ_ID = re.compile(
    r"^(?P<gene>.+)_(?P<chrom>chr[0-9A-Za-z]+)_(?P<tss>\d+)_(?P<strand>[+-])"
    r"(?:_(?P<tile_start>\d+)_(?P<tile_end>\d+))?(?:\.pickle)?$"
)


def make_seq_id(gene_name: str, chrom: str, tss: int, strand: str) -> str:
    """The paper's sequence id ``{gene_name}_{chrom}_{tss}_{strand}``."""
    return f"{gene_name}_{chrom}_{int(tss)}_{strand}"


def seq_ids(df: pd.DataFrame) -> pd.Series:
    """Sequence ids of a TSS table (columns ``gene_name, Chromosome, Start, Strand``), one per row."""
    return (
        df["gene_name"].astype(str)
        + "_"
        + df["Chromosome"].astype(str)
        + "_"
        + df["Start"].astype(np.int64).astype(str)
        + "_"
        + df["Strand"].astype(str)
    )


def parse_seq_id(seq_id: str | pd.Series | list[str]) -> dict | pd.DataFrame:
    """Split ``GENE_chrom_TSS_strand[_tileStart_tileEnd][.pickle]`` ids into their parts.

    ``"RUFY3_chr4_70704800_+"`` gives ``gene="RUFY3", chrom="chr4", tss=70704800,
    strand="+"``; ids of a CRE tile (``..._+_100804_105804``) also give ``tile_start`` and
    ``tile_end`` (window coordinates). A str returns a dict, a sequence a DataFrame with
    columns ``gene, chrom, tss, strand, tile_start, tile_end`` (integers nullable).

    Raises
    ------
    ValueError
        Naming the ids (at most three) that do not have this form.
    """
    if isinstance(seq_id, str):
        m = _SEQ_ID.match(seq_id)
        if m is None:
            raise ValueError(f"not a seq_id of the form GENE_chrom_TSS_strand: {seq_id!r}")
        d = m.groupdict()
        out: dict = {"gene": d["gene"], "chrom": d["chrom"], "tss": int(d["tss"]), "strand": d["strand"]}
        if d["tile_start"] is not None:
            out["tile_start"] = int(d["tile_start"])
            out["tile_end"] = int(d["tile_end"])
        return out
    s = pd.Series(seq_id)
    parts = s.astype(str).str.extract(_SEQ_ID)
    bad = parts["gene"].isna()
    if bad.any():
        raise ValueError(f"not seq_ids of the form GENE_chrom_TSS_strand: {s[bad].head(3).tolist()}")
    for c in ("tss", "tile_start", "tile_end"):
        parts[c] = pd.to_numeric(parts[c]).astype("Int64")
    parts.index = s.index
    return parts


def with_seq_id_parts(df: pd.DataFrame, column: str = "seq_id") -> pd.DataFrame:
    """``df`` with columns ``gene, chrom, tss, strand`` parsed from ``column`` added."""
    parts = parse_seq_id(df[column])
    return df.assign(**{c: parts[c] for c in ("gene", "chrom", "tss", "strand")})


def make_enf_data_id(seq_id: str, tile_start: int, tile_end: int) -> str:
    """The CRE id ``{seq_id}_{tile_start}_{tile_end}`` (window coordinates, bp)."""
    return f"{seq_id}_{int(tile_start)}_{int(tile_end)}"


def enf_data_ids(df: pd.DataFrame) -> pd.Series:
    """CRE ids of a table with columns ``seq_id, tile_start, tile_end``, one per row."""
    return df["seq_id"].astype(str) + "_" + df["tile_start"].astype(str) + "_" + df["tile_end"].astype(str)


def split_enf_data_id(enf_data_id: str) -> tuple[str, int, int]:
    """``"{seq_id}_{tile_start}_{tile_end}"`` -> ``(seq_id, tile_start, tile_end)``."""
    head, a, b = str(enf_data_id).rsplit("_", 2)
    return head, int(a), int(b)


def cre_column(df: pd.DataFrame) -> str:
    """The column that names one CRE in a per-CRE table: ``enf_data_id`` where it has one.

    Tables of one CRE per sequence in older layouts (the published Borzoi distance test
    before :data:`creme_lib.published.COLUMN_RENAMES`) name CREs by ``seq_id`` alone; a
    sequence with two CREs in a table that has ``enf_data_id`` must not be counted once.
    """
    return "enf_data_id" if "enf_data_id" in df.columns else "seq_id"
