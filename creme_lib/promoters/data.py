"""Promoter expression data sets: the E. coli promoter MPRA and Xpresso-format HDF5 files.

Every loader returns a :class:`PromoterSet`: one-hot sequences ``(N, L, 4)``, a model label
``(N,)`` and a tidy metadata frame with one row per sequence.

The E. coli set (Urtecho et al., Kosuri lab; ``$CREME_SHARED_DATA/ecoli_promoters``) has
three tab-separated files without header: the full table (sequence, RNA/DNA expression,
genome start and end, ``"<TSS name>,<TSS position>,<strand>"``, ``active``/``inactive``) and
the authors' genome-position split (sequence, expression). The TSS index inside each 150 bp
window is computed from the name field (``tss - start`` on ``+``, ``end - tss`` on ``-``),
which gives 120 for every genomic window of the shipped table; control sequences (names
without coordinates) get ``-1``.

Label transform (:func:`log_expression`): the RNA/DNA ratio is ``<= 0`` for 4,967 of the
13,118 training rows (background-subtracted noise around zero), so it is clipped at 0 and
``log10(y + 0.01)`` is modelled; 0.01 is close to the 5th percentile of the positive
values (0.008), so the inactive noise floor maps to about -2 and active promoters
(``y > 0.246``, the table's own ``active`` rule) to above -0.6.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from creme_lib.paths import shared_data_dir
from creme_lib.seeding import derive_rng
from creme_lib.sequence import one_hot_decode, tokenize, tokens_to_one_hot

ECOLI_FILES = {
    "full": "tss_expression_model_format.txt",
    "train": "tss_expression_model_format_train_genome_split.txt",
    "test": "tss_expression_model_format_test_genome_split.txt",
}
#: Pseudocount of :func:`log_expression` (RNA/DNA ratio units).
PSEUDOCOUNT = 0.01
#: The MPRA table's ``active`` rule: expression above this RNA/DNA ratio.
ACTIVE_THRESHOLD = 0.246
#: The contextual-regression paper's window of the Xpresso promoters: TSS +-200 bp.
XPRESSO_WINDOW = (9_800, 10_200)
_ALLOWED = re.compile(r"^[ACGTN]*$")


@dataclass(frozen=True)
class PromoterSet:
    """Sequences, labels and metadata of one split.

    Attributes
    ----------
    x : numpy.ndarray
        One-hot ``(N, L, 4)`` float32, columns ``ACGT``.
    y : numpy.ndarray
        Model label ``(N,)`` float32 (for the E. coli set :func:`log_expression` of
        ``meta["expression"]``).
    meta : pandas.DataFrame
        ``N`` rows in the order of ``x``; always has ``sequence``; the E. coli set adds
        ``expression`` (RNA/DNA), ``active``, ``kind``, ``tss_name``, ``tss``, ``strand``,
        ``start``, ``end``, ``tss_index`` (0-based bp inside the window, -1 if unknown).
    name : str
        E.g. ``"ecoli/train"``.
    notes : dict
        What the loader did, e.g. ``{"removed_shared_with_train": 32}``.
    """

    x: np.ndarray
    y: np.ndarray
    meta: pd.DataFrame
    name: str = ""
    notes: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.x.ndim != 3 or self.x.shape[2] != 4:
            raise ValueError(f"x must be one-hot (N, L, 4), got {self.x.shape}")
        if self.y.shape != (self.x.shape[0],) or len(self.meta) != self.x.shape[0]:
            raise ValueError(f"x, y and meta disagree: {self.x.shape[0]}, {self.y.shape}, {len(self.meta)} rows")
        bad = ~np.isfinite(self.y)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{self.name or 'data set'}: {int(bad.sum())} labels are NaN or infinite (first: row {i}, {self.y[i]})")

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def seq_length(self) -> int:
        """Window length in bp."""
        return self.x.shape[1]

    def subset(self, index: np.ndarray, name: str | None = None) -> PromoterSet:
        """Rows ``index`` (int positions or a bool mask) as a new set."""
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        return PromoterSet(self.x[index], self.y[index], self.meta.iloc[index].reset_index(drop=True),
                           name or self.name, dict(self.notes))


def log_expression(expression: np.ndarray, pseudocount: float = PSEUDOCOUNT) -> np.ndarray:
    """The model label ``log10(max(y, 0) + pseudocount)`` of RNA/DNA ratios ``(N,)``.

    Raises
    ------
    ValueError
        On NaN or infinite values (the row is named) or a non-positive pseudocount.
    """
    y = np.asarray(expression, dtype=np.float64)
    if pseudocount <= 0:
        raise ValueError(f"pseudocount must be positive, got {pseudocount}")
    bad = ~np.isfinite(y)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{int(bad.sum())} expression values are NaN or infinite (first: row {i}, {y[i]})")
    return np.log10(np.maximum(y, 0.0) + pseudocount).astype(np.float32)


def encode_sequences(seqs: list[str] | pd.Series, what: str = "sequences") -> np.ndarray:
    """Equal-length DNA strings -> one-hot ``(N, L, 4)`` float32 (``N`` rows all zero).

    Raises
    ------
    ValueError
        If the strings differ in length or hold a letter outside ``ACGTN`` (the first
        offending row and value are named).
    """
    seqs = [str(s).upper() for s in seqs]
    if not seqs:
        raise ValueError(f"no {what}")
    lengths = np.fromiter((len(s) for s in seqs), int, len(seqs))
    if (lengths != lengths[0]).any():
        i = int(np.flatnonzero(lengths != lengths[0])[0])
        raise ValueError(f"{what} differ in length: row 0 has {lengths[0]} bp, row {i} has {lengths[i]} bp")
    for i, s in enumerate(seqs):
        if not _ALLOWED.match(s):
            odd = sorted(set(s) - set("ACGTN"))
            raise ValueError(f"{what}: row {i} holds letters outside ACGTN: {odd!r}")
    return tokens_to_one_hot(tokenize("".join(seqs)).reshape(len(seqs), int(lengths[0])))


def ecoli_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The E. coli MPRA folder: ``data_dir`` or ``$CREME_SHARED_DATA/ecoli_promoters``."""
    return Path(data_dir) if data_dir is not None else shared_data_dir() / "ecoli_promoters"


def _read_tsv(path: Path, names: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"E. coli MPRA file not found: {path}")
    df = pd.read_csv(path, sep="\t", header=None, dtype={0: str})
    if df.shape[1] != len(names):
        raise ValueError(f"{path.name}: expected {len(names)} tab-separated columns, got {df.shape[1]}")
    df.columns = names
    df["expression"] = pd.to_numeric(df["expression"], errors="coerce")
    bad = ~np.isfinite(df["expression"].to_numpy(float))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{path.name}: {int(bad.sum())} expression values are NaN or infinite (first: row {i})")
    df["sequence"] = df["sequence"].str.upper()
    return df


def read_mpra_table(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """The full E. coli table as a tidy frame, one row per measured sequence.

    Returns
    -------
    pandas.DataFrame
        ``sequence, expression, active (bool), kind ("tss", "positive_control",
        "negative_control"), tss_name, tss, strand, start, end, tss_index`` (bp, 0-based,
        -1 for controls, which have no genome coordinates).
    """
    path = ecoli_dir(data_dir) / ECOLI_FILES["full"]
    df = _read_tsv(path, ["sequence", "expression", "start", "end", "name", "label"])
    parts = df["name"].str.split(",", expand=True).reindex(columns=[0, 1, 2])
    genomic = parts[1].notna() & parts[2].isin(["+", "-"])
    out = pd.DataFrame({"sequence": df["sequence"], "expression": df["expression"]})
    out["active"] = df["label"].eq("active")
    out["kind"] = np.where(genomic, "tss", np.where(df["name"].str.startswith("pos_control"),
                                                   "positive_control", "negative_control"))
    out["tss_name"] = parts[0]
    out["tss"] = pd.to_numeric(parts[1], errors="coerce").astype("Int64")
    out["strand"] = parts[2].where(genomic)
    out["start"] = pd.to_numeric(df["start"], errors="coerce").astype("Int64")
    out["end"] = pd.to_numeric(df["end"], errors="coerce").astype("Int64")
    idx = np.where(out["strand"].eq("+"), out["tss"] - out["start"], out["end"] - out["tss"])
    out["tss_index"] = pd.array(idx, dtype="Int64").fillna(-1).astype(int)
    out.loc[~genomic, "tss_index"] = -1
    return out


def read_split(split: str, data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """One of the authors' split files (``"train"`` or ``"test"``): ``sequence, expression``."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return _read_tsv(ecoli_dir(data_dir) / ECOLI_FILES[split], ["sequence", "expression"])


def remove_shared(test: pd.DataFrame, train_sequences: pd.Series | set) -> tuple[pd.DataFrame, dict]:
    """Drop test rows whose sequence also occurs in training (leakage).

    Returns
    -------
    (pandas.DataFrame, dict)
        The remaining rows (index reset) and ``{"removed_shared_with_train": rows,
        "shared_sequences": distinct sequences}``.
    """
    shared = test["sequence"].isin(set(train_sequences))
    notes = {"removed_shared_with_train": int(shared.sum()),
             "shared_sequences": int(test.loc[shared, "sequence"].nunique())}
    return test.loc[~shared].reset_index(drop=True), notes


def _with_metadata(split: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Join the split's rows to the full table's metadata by sequence (first match)."""
    meta = table.drop(columns=["expression"]).drop_duplicates("sequence")
    out = split.merge(meta, on="sequence", how="left", validate="many_to_one")
    missing = out["kind"].isna()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise ValueError(f"{int(missing.sum())} split sequences are not in the full table (first: row {i})")
    # The split's own expression is authoritative; ``active`` follows the table's rule.
    out["active"] = out["expression"] > ACTIVE_THRESHOLD
    return out


def load_ecoli(split: str, data_dir: str | os.PathLike | None = None,
               pseudocount: float = PSEUDOCOUNT) -> PromoterSet:
    """The E. coli MPRA ``"train"`` or ``"test"`` split as a :class:`PromoterSet` (150 bp).

    The test split loses every row whose sequence is also in the training split (the
    shipped files share 28 distinct sequences in 34 test rows); ``notes`` says how many.
    """
    table = read_mpra_table(data_dir)
    rows = read_split(split, data_dir)
    notes: dict = {"rows_in_file": len(rows)}
    if split == "test":
        rows, leak = remove_shared(rows, read_split("train", data_dir)["sequence"])
        notes.update(leak)
    meta = _with_metadata(rows, table)
    x = encode_sequences(meta["sequence"], what=f"ecoli/{split} sequences")
    return PromoterSet(x, log_expression(meta["expression"].to_numpy(), pseudocount), meta, f"ecoli/{split}", notes)


def load_xpresso_h5(path: str | os.PathLike, window: tuple[int, int] = XPRESSO_WINDOW) -> PromoterSet:
    """An Xpresso HDF5 file (``train.h5``/``valid.h5``/``test.h5``) as a :class:`PromoterSet`.

    Parameters
    ----------
    path : path
        HDF5 with ``promoter`` (one-hot ``(N, 20000, 4)``, TSS at index 10,000), ``label``
        (z-scored log10 expression, ``(N,)`` or ``(N, 1)``) and optionally ``geneName``
        and ``data`` (half-life features; not used by the models here).
    window : (int, int)
        Slice ``[start, end)`` of the stored promoter, in bp; default TSS +-200 bp.

    Raises
    ------
    FileNotFoundError, KeyError, ValueError
        For a missing file, a missing ``promoter``/``label`` dataset, or a window outside
        the stored sequence.
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Xpresso HDF5 file not found: {path}")
    with h5py.File(path, "r") as h5:
        for key in ("promoter", "label"):
            if key not in h5:
                raise KeyError(f"{path.name} has no {key!r} dataset (has {sorted(h5.keys())})")
        prom = h5["promoter"]
        if prom.ndim != 3 or prom.shape[2] != 4:
            raise ValueError(f"{path.name}: 'promoter' must be (N, L, 4), got {prom.shape}")
        start, end = int(window[0]), int(window[1])
        if not 0 <= start < end <= prom.shape[1]:
            raise ValueError(f"window {window} is outside the stored {prom.shape[1]} bp promoters")
        x = np.asarray(prom[:, start:end, :], dtype=np.float32)
        y = np.asarray(h5["label"][()], dtype=np.float32).reshape(-1)
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in h5["geneName"][()]] if "geneName" in h5 else None
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"{path.name}: {x.shape[0]} promoters but {y.shape[0]} labels")
    tss = 10_000 - start
    meta = pd.DataFrame({"gene": names if names is not None else [f"{path.stem}_{i}" for i in range(len(y))],
                         "tss_index": tss if 0 <= tss < end - start else -1})
    meta.insert(0, "sequence", [one_hot_decode(row) for row in x])
    return PromoterSet(x, y, meta, f"xpresso/{path.stem}")


def split_validation(n: int, n_val: int, seed: int, key: str = "validation") -> tuple[np.ndarray, np.ndarray]:
    """A seeded split of ``range(n)`` into training and validation indices (sorted).

    Raises
    ------
    ValueError
        If ``n_val`` is not in ``[1, n - 1]``.
    """
    if not 1 <= int(n_val) < n:
        raise ValueError(f"n_val must be in [1, {n - 1}], got {n_val}")
    perm = derive_rng(seed, "promoters", key).permutation(n)
    return np.sort(perm[int(n_val):]), np.sort(perm[: int(n_val)])


def random_resplits(n: int, sizes: tuple[int, int, int], n_splits: int, seed: int) -> list[dict[str, np.ndarray]]:
    """The paper's re-splits: ``n_splits`` random (train, valid, test) partitions of ``range(n)``.

    ``sizes`` is ``(train, valid, test)``, e.g. ``(16_377, 1_000, 1_000)`` for Xpresso;
    split ``k`` is drawn from ``derive_rng(seed, "promoters", "resplit", k)``.
    """
    if sum(sizes) > n or min(sizes) < 1:
        raise ValueError(f"sizes {sizes} do not fit {n} sequences")
    out = []
    for k in range(n_splits):
        perm = derive_rng(seed, "promoters", "resplit", k).permutation(n)
        a, b = sizes[0], sizes[0] + sizes[1]
        out.append({"train": np.sort(perm[:a]), "valid": np.sort(perm[a:b]), "test": np.sort(perm[b:b + sizes[2]])})
    return out


def overlapping_pairs(meta: pd.DataFrame, max_shift: int = 5) -> pd.DataFrame:
    """Pairs of windows whose TSSs lie within ``max_shift`` bp on the same strand.

    Such windows share at least ``150 - max_shift`` bp of sequence, so the agreement of
    their measured expression bounds how well any sequence model can do on this assay.

    Returns
    -------
    pandas.DataFrame
        ``i, j`` (row positions in ``meta``), ``shift`` (bp).
    """
    g = meta[meta["kind"].eq("tss")][["tss", "strand"]].astype({"tss": int}).reset_index()
    rows = []
    for _, grp in g.groupby("strand"):
        grp = grp.sort_values("tss")
        pos, idx = grp["tss"].to_numpy(), grp["index"].to_numpy()
        for d in range(1, len(grp)):
            shift = pos[d:] - pos[:-d]
            if (shift > max_shift).all():
                break
            ok = (shift >= 1) & (shift <= max_shift)
            rows.append(pd.DataFrame({"i": idx[:-d][ok], "j": idx[d:][ok], "shift": shift[ok]}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["i", "j", "shift"])


def concat(sets: list[PromoterSet], name: str) -> PromoterSet:
    """Several sets of one window length as one (rows in order)."""
    lengths = {s.seq_length for s in sets}
    if len(lengths) != 1:
        raise ValueError(f"cannot join sets of different window lengths: {sorted(lengths)} bp")
    return PromoterSet(np.concatenate([s.x for s in sets]), np.concatenate([s.y for s in sets]),
                       pd.concat([s.meta for s in sets], ignore_index=True), name)


DATASETS = ("ecoli", "xpresso")


def load_dataset(dataset: str = "ecoli", data_dir: str | os.PathLike | None = None,
                 window: tuple[int, int] = XPRESSO_WINDOW) -> tuple[PromoterSet, PromoterSet]:
    """``(train, test)`` of a data set.

    ``"ecoli"``: the authors' genome-position split (test rows shared with training removed).
    ``"xpresso"``: ``train.h5`` + ``valid.h5`` as training (the networks hold out their own
    validation rows) and ``test.h5``, from ``data_dir`` (required), cut to ``window``.
    """
    if dataset == "ecoli":
        return load_ecoli("train", data_dir), load_ecoli("test", data_dir)
    if dataset == "xpresso":
        if data_dir is None:
            raise ValueError("dataset='xpresso' needs data_dir: the folder with train.h5, valid.h5 and test.h5")
        d = Path(data_dir)
        train = concat([load_xpresso_h5(d / "train.h5", window), load_xpresso_h5(d / "valid.h5", window)], "xpresso/train")
        return train, load_xpresso_h5(d / "test.h5", window)
    raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")


def resplit(train: PromoterSet, test: PromoterSet, n_splits: int, seed: int) -> list[tuple[PromoterSet, PromoterSet]]:
    """The CR paper's protocol: pool both splits and draw ``n_splits`` random re-splits of
    the same sizes (:func:`random_resplits`); sequences in both parts of a re-split are
    removed from its test part, as for the shipped split."""
    pooled = concat([train, test], "pooled")
    out = []
    for k, idx in enumerate(random_resplits(len(pooled), (len(train) - 1, 1, len(test)), n_splits, seed)):
        tr = pooled.subset(np.concatenate([idx["train"], idx["valid"]]), f"{train.name}/resplit{k}")
        te = pooled.subset(idx["test"], f"{test.name}/resplit{k}")
        keep = ~te.meta["sequence"].isin(set(tr.meta["sequence"])).to_numpy()
        te = te.subset(keep)
        te.notes.update({"removed_shared_with_train": int((~keep).sum())})
        out.append((tr, te))
    return out
