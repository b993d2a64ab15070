"""Tiny stand-ins of the promoter data sets, written by the tests.

:func:`write_ecoli` writes the three E. coli MPRA files in the shipped format (tab-separated,
no header) with a planted rule whose answer is known: the expression of a genomic window is
``PLANTED_GAIN ** (number of TATAAT sites)`` times a small noise, minus 0.05, so a model that
counts the motif predicts it. :func:`write_xpresso` writes an Xpresso-format HDF5 file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

MOTIF = "TATAAT"
PLANTED_GAIN = 4.0


def random_seq(rng: np.random.Generator, length: int) -> str:
    return "".join(rng.choice(list("ACGT"), size=length))


def planted_frame(n: int, seed: int = 0, length: int = 150) -> pd.DataFrame:
    """``n`` windows with 0-3 planted TATAAT sites; columns as the full MPRA table."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        s = list(random_seq(rng, length))
        k = int(rng.integers(0, 4))
        for j in range(k):
            at = 10 + 35 * j + int(rng.integers(0, 10))
            s[at:at + len(MOTIF)] = MOTIF
        seq = "".join(s)
        expr = PLANTED_GAIN ** seq.count(MOTIF) * float(rng.lognormal(0, 0.1)) * 0.05 - 0.05
        strand = "+" if i % 2 == 0 else "-"
        start = 1_000 + 400 * i
        tss = start + 120 if strand == "+" else start + length - 120
        rows.append((seq, expr, start, start + length, f"TSS_{i}_storz,{tss},{strand}",
                     "active" if expr > 0.246 else "inactive"))
    return pd.DataFrame(rows, columns=["sequence", "expression", "start", "end", "name", "label"])


def write_ecoli(folder: Path, n: int = 400, seed: int = 0, n_leak: int = 2) -> Path:
    """Write the three files into ``folder``: the full table (with 3 negative controls
    without coordinates and 2 positive controls of 60 bp), and a train/test split in which
    ``n_leak`` test rows repeat training sequences."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    full = planted_frame(n, seed)
    rng = np.random.default_rng(seed + 1)
    neg = pd.DataFrame([(random_seq(rng, 150), 0.01 * i, None, None, f"neg_control_{i}", "inactive") for i in range(3)],
                       columns=full.columns)
    pos = pd.DataFrame([(random_seq(rng, 60), 5.0, None, None, f"pos_control_p{i}", "active") for i in range(2)],
                       columns=full.columns)
    table = pd.concat([full, neg, pos], ignore_index=True)
    table.to_csv(folder / "tss_expression_model_format.txt", sep="\t", header=False, index=False)
    genomic = pd.concat([full, neg], ignore_index=True)[["sequence", "expression"]]
    n_train = int(0.75 * len(genomic))
    train, test = genomic.iloc[:n_train], genomic.iloc[n_train:]
    test = pd.concat([test, train.iloc[:n_leak]], ignore_index=True)
    train.to_csv(folder / "tss_expression_model_format_train_genome_split.txt", sep="\t", header=False, index=False)
    test.to_csv(folder / "tss_expression_model_format_test_genome_split.txt", sep="\t", header=False, index=False)
    return folder


def write_xpresso(path: Path, n: int = 6, length: int = 20_000, seed: int = 0, keys=("promoter", "label", "geneName", "data")) -> Path:
    """An Xpresso-like HDF5 file with random one-hot promoters, labels and gene names."""
    import h5py

    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, 4, size=(n, length))
    x = np.eye(4, dtype=bool)[tokens]
    with h5py.File(path, "w") as h5:
        if "promoter" in keys:
            h5["promoter"] = x
        if "label" in keys:
            h5["label"] = rng.normal(size=n).astype(np.float32)
        if "geneName" in keys:
            h5["geneName"] = np.array([f"ENSG{i:05d}".encode() for i in range(n)])
        if "data" in keys:
            h5["data"] = rng.normal(size=(n, 8)).astype(np.float32)
    return path
