"""Biochemical marks and repeat content of CREs, and enhancer-vs-silencer tests.

For each CRE (genome interval) this module summarizes

* every bigWig track given (accessibility, histone marks, TF ChIP...): the ``mean`` and
  ``max`` of the signal over the interval (``pyBigWig`` exact statistics, bases without
  data count as missing, an interval without any data gives NaN);
* the repeat content of the soft-masked genome: the fraction of the interval's A/C/G/T
  bases written in lower case (RepeatMasker convention); ``N`` bases are left out.

:func:`compare_groups` then tests each summary between enhancers and silencers with a
two-sided Mann-Whitney U test and reports it in the schema of the paper's
``CRE_characterization/pvalues_per_TF_for_sufficient_CREs.csv``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: bigWig file suffixes recognized by :func:`find_bigwigs`.
BIGWIG_SUFFIXES: tuple[str, ...] = (".bw", ".bigWig", ".bigwig")

#: Name of the repeat-content column of :func:`mark_table`.
REPEAT_COLUMN = "repeat fraction"

#: Columns of :func:`compare_groups` (the paper's p-value table).
PVALUE_COLUMNS: tuple[str, ...] = (
    "enhancer / silencer",
    "log(Max enhancer / Max silencer)",
    "-log10(pvalue)",
    "pvalue",
    "mark",
    "sign",
)


def _intervals(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    missing = {"chrom", "start", "end"} - set(df.columns)
    if missing:
        raise ValueError(f"intervals need columns chrom, start, end; missing {sorted(missing)}")
    start = df["start"].to_numpy(np.int64)
    end = df["end"].to_numpy(np.int64)
    if np.any(end <= start):
        raise ValueError("intervals must have end > start")
    return df["chrom"].astype(str).to_numpy(), start, end


def find_bigwigs(bigwig_dir: str | os.PathLike, cell_line: str) -> dict[str, Path]:
    """bigWig tracks of one cell line in a folder: ``<cell_line>.<mark>.bw`` -> ``{mark: path}``.

    This is the layout of the embedded world's ``bigwig/`` folder; a user's folder of ENCODE
    tracks renamed to ``K562.H3K27ac.bw``, ``K562.CTCF.bw``... works the same.

    Raises
    ------
    FileNotFoundError
        If the folder does not exist or holds no track of ``cell_line``.
    """
    d = Path(bigwig_dir)
    if not d.is_dir():
        raise FileNotFoundError(f"bigWig folder not found: {d}")
    out: dict[str, Path] = {}
    prefix = f"{cell_line}."
    for p in sorted(d.iterdir()):
        if p.name.startswith(prefix) and p.suffix in BIGWIG_SUFFIXES:
            out[p.name[len(prefix) : -len(p.suffix)]] = p
    if not out:
        raise FileNotFoundError(f"no bigWig track named '{cell_line}.<mark>.bw' in {d}")
    return out


def bigwig_summary(path: str | os.PathLike, intervals: pd.DataFrame) -> pd.DataFrame:
    """Mean and max of a bigWig track over each interval.

    Parameters
    ----------
    path : str or Path
        bigWig file.
    intervals : pandas.DataFrame
        ``chrom, start, end`` (0-based, half-open, bp), ``N`` rows.

    Returns
    -------
    pandas.DataFrame
        ``(N, 2)``: ``mean``, ``max`` (signal units of the track), NaN where the track
        has no data over the interval or does not know the chromosome.

    Raises
    ------
    FileNotFoundError
        If the bigWig does not exist.
    """
    import pyBigWig

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"bigWig not found: {path}")
    chrom, start, end = _intervals(intervals)
    means = np.full(len(chrom), np.nan)
    maxes = np.full(len(chrom), np.nan)
    bw = pyBigWig.open(str(path))
    try:
        sizes = bw.chroms()
        for i, (c, a, b) in enumerate(zip(chrom, start, end)):
            if c not in sizes:
                continue
            a, b = max(int(a), 0), min(int(b), sizes[c])
            if b <= a:
                continue
            m = bw.stats(c, a, b, type="mean", exact=True)[0]
            x = bw.stats(c, a, b, type="max", exact=True)[0]
            means[i] = np.nan if m is None else m
            maxes[i] = np.nan if x is None else x
    finally:
        bw.close()
    return pd.DataFrame({"mean": means, "max": maxes}, index=intervals.index)


def repeat_fraction(fasta: str | os.PathLike, intervals: pd.DataFrame) -> np.ndarray:
    """Share of soft-masked (lower-case) bases in each interval of a soft-masked genome.

    Parameters
    ----------
    fasta : str or Path
        Soft-masked FASTA (repeats in lower case, e.g. UCSC hg38 or the embedded world).
    intervals : pandas.DataFrame
        ``chrom, start, end`` (0-based, half-open, bp), ``N`` rows.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` float64 in [0, 1]: lower-case a/c/g/t over all a/c/g/t bases (``N`` and
        off-chromosome padding excluded); NaN for an interval with no such base.
    """
    from creme_lib.sequence import FastaExtractor

    chrom, start, end = _intervals(intervals)
    out = np.full(len(chrom), np.nan)
    with FastaExtractor(fasta) as fx:
        for i, (c, a, b) in enumerate(zip(chrom, start, end)):
            s = np.frombuffer(fx.fetch(c, int(a), int(b)).encode(), np.uint8)
            lower = np.isin(s, np.frombuffer(b"acgt", np.uint8)).sum()
            total = lower + np.isin(s, np.frombuffer(b"ACGT", np.uint8)).sum()
            if total:
                out[i] = lower / total
    return out


def mark_table(
    intervals: pd.DataFrame,
    bigwigs: Mapping[str, str | os.PathLike],
    fasta: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Every mark summary of every interval: ``<mark> (mean)``, ``<mark> (max)``, repeat fraction.

    Parameters
    ----------
    intervals : pandas.DataFrame
        ``chrom, start, end`` plus any columns to carry along (e.g. ``tile class``).
    bigwigs : mapping of mark name -> bigWig path
    fasta : str or Path, optional
        Soft-masked genome for :data:`REPEAT_COLUMN` (omitted if ``None``).

    Returns
    -------
    pandas.DataFrame
        ``intervals`` with two columns per track and the repeat fraction appended.
    """
    out = intervals.copy()
    for mark, path in bigwigs.items():
        s = bigwig_summary(path, intervals)
        out[f"{mark} (mean)"] = s["mean"].to_numpy()
        out[f"{mark} (max)"] = s["max"].to_numpy()
    if fasta is not None:
        out[REPEAT_COLUMN] = repeat_fraction(fasta, intervals)
    return out


def compare_groups(
    table: pd.DataFrame,
    marks: list[str] | None = None,
    group: str = "tile class",
    a: str = "Enhancer",
    b: str = "Silencer",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Two-sided Mann-Whitney U test of each mark between two groups of CREs.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per CRE, a ``group`` column and one column per mark summary.
    marks : list of str, optional
        Columns to test (default: every numeric column whose name ends in ``(mean)``,
        ``(max)`` or is :data:`REPEAT_COLUMN`).
    group, a, b : str
        Group column and the labels compared (``a`` over ``b``).
    alpha : float
        Family-wise level; a mark is significant (``sign``) when its p-value is below
        ``alpha / number of marks`` (Bonferroni).

    Returns
    -------
    pandas.DataFrame
        :data:`PVALUE_COLUMNS`, one row per mark: ``enhancer / silencer`` (mean of the
        summary over ``a`` CREs / mean over ``b`` CREs), its natural log, the p-value,
        ``-log10(pvalue)`` (0 where not significant, as in the paper's table), ``mark``
        and ``sign``. With fewer than one CRE in a group the p-value is NaN and a warning
        is logged (the table still lists every mark).
    """
    from scipy.stats import mannwhitneyu

    if group not in table.columns:
        raise ValueError(f"table has no {group!r} column")
    if marks is None:
        marks = [
            c
            for c in table.columns
            if (c.endswith(" (mean)") or c.endswith(" (max)") or c == REPEAT_COLUMN)
            and pd.api.types.is_numeric_dtype(table[c])
        ]
    if not marks:
        raise ValueError("no mark columns to compare")
    ga = table[table[group] == a]
    gb = table[table[group] == b]
    rows = []
    for m in marks:
        x = ga[m].dropna().to_numpy(np.float64)
        y = gb[m].dropna().to_numpy(np.float64)
        if len(x) == 0 or len(y) == 0:
            log.warning("mark %r: %d %s and %d %s CREs with data; no test", m, len(x), a, len(y), b)
            p, ratio = np.nan, np.nan
        else:
            p = float(mannwhitneyu(x, y, alternative="two-sided").pvalue)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = float(np.mean(x) / np.mean(y)) if np.mean(y) != 0 else np.nan
        rows.append({"enhancer / silencer": ratio, "mark": m, "pvalue": p})
    df = pd.DataFrame(rows)
    n = len(df)
    sig = (df["pvalue"] < alpha / n).fillna(False).astype(bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        df["log(Max enhancer / Max silencer)"] = np.log(df["enhancer / silencer"].to_numpy(np.float64))
        df["-log10(pvalue)"] = np.where(sig, -np.log10(df["pvalue"].to_numpy(np.float64)), 0.0)
    df["sign"] = sig
    return df[list(PVALUE_COLUMNS)]


__all__ = [
    "BIGWIG_SUFFIXES",
    "PVALUE_COLUMNS",
    "REPEAT_COLUMN",
    "bigwig_summary",
    "compare_groups",
    "find_bigwigs",
    "mark_table",
    "repeat_fraction",
]
