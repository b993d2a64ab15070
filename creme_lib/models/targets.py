"""Output-track tables ("targets") of Enformer and Borzoi.

Each model predicts thousands of tracks (assay x biosample); the tables name them. They are
tab-separated with a ``description`` column such as
``"CAGE:chronic myelogenous leukemia cell line:K562 ENCODE, biol_"`` (assay before the first
colon). Row position ``i`` of a table is output track ``i`` of the model head.

The files are not part of the repository. They are looked up in
``shared_data_dir() / "model_targets"`` (see :func:`creme_lib.paths.shared_data_dir`; env var
``CREME_SHARED_DATA``). Real users fetch them once from the upstream repositories listed in
:data:`TARGET_FILES` (pinned commit, sha256 checked with :func:`verify_target_file`);
nothing in this module downloads.

Tracks used by CREME (Toneyan & Koo 2024)
-----------------------------------------
===========  ======================  ==========================
cell line    Enformer human head     Borzoi human (+/- strand)
===========  ======================  ==========================
K562         5111                    872, 873
GM12878      5110                    870, 871
PC-3         4824                    298, 299
===========  ======================  ==========================

K562 has two CAGE tracks in both tables (FANTOM5 ``CNhs11250``: Enformer 4828, Borzoi
306/307; and the ENCODE one above); CREME uses the ENCODE one, so
``find_tracks(df, "CAGE", "K562", contains="ENCODE")`` selects it.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pandas as pd

from creme_lib.paths import shared_data_dir

#: Output tracks per Enformer head.
ENFORMER_HEADS: dict[str, int] = {"human": 5313, "mouse": 1643}

#: Target tables known to creme_lib: local file name -> upstream URL, sha256 of the file, rows.
#: URLs pin the commit named in ``shared/data/model_targets/README.md`` (GitHub resolves the
#: abbreviated hash); the sha256 (of the copies in the shared data folder) is authoritative.
#: A real user may feed these to ``pooch.retrieve(url, known_hash="sha256:" + sha256)``.
TARGET_FILES: dict[str, dict[str, str | int]] = {
    "enformer_targets_human.txt": {
        "url": "https://github.com/calico/basenji/raw/74b8671/manuscripts/cross2020/targets_human.txt",
        "sha256": "d90233175a9fec389e5ac04cc4aac8cfc08c4aa86217e2e5c10221de78023580",
        "rows": 5313,
    },
    "enformer_targets_mouse.txt": {
        "url": "https://github.com/calico/basenji/raw/74b8671/manuscripts/cross2020/targets_mouse.txt",
        "sha256": "f76c869a38bfc79690d7a43e86f155db9b8ac8085ff5a717f99358b3253cd230",
        "rows": 1643,
    },
    "borzoi_targets_human.txt": {
        "url": "https://github.com/calico/borzoi/raw/5c93582/examples/targets_human.txt",
        "sha256": "cb0c1d4baf514f44de458364b2ae0b85f722a80b72cbe66c56bd700faa481785",
        "rows": 7611,
    },
    "borzoi_params_pred.json": {
        "url": "https://github.com/calico/borzoi/raw/5c93582/examples/params_pred.json",
        "sha256": "247b6eaadda8a2721c4baeda7716201ffaa2aa133a969576086164e1c61a094d",
        "rows": 0,
    },
}


def targets_dir() -> Path:
    """``shared_data_dir() / "model_targets"``, where the tables are looked up."""
    return shared_data_dir() / "model_targets"


def targets_path(model: str = "enformer", head: str = "human") -> Path:
    """Path of a target table, e.g. ``targets_dir() / "enformer_targets_human.txt"``.

    Raises
    ------
    ValueError
        For a model/head pair without a table (Borzoi: ``human`` only).
    """
    name = f"{model}_targets_{head}.txt"
    if name not in TARGET_FILES:
        known = sorted(k for k in TARGET_FILES if k.endswith(".txt"))
        raise ValueError(f"no target table for model={model!r}, head={head!r}; known: {known}")
    return targets_dir() / name


def read_targets(path: str | os.PathLike) -> pd.DataFrame:
    """Read a tab-separated target table.

    Parameters
    ----------
    path : path-like
        Enformer (``index genome identifier file clip scale sum_stat description``) or Borzoi
        (unnamed index, ``identifier file clip clip_soft scale sum_stat strand_pair
        description``) table.

    Returns
    -------
    pandas.DataFrame
        One row per output track; the DataFrame index (0..n-1) is the track index within
        the model head. The file's own first column is kept as column ``"index"`` (for the
        Enformer mouse table it continues from the human head: 5313, 5314, ...).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist (with a hint about ``CREME_SHARED_DATA``).
    ValueError
        If the table has no ``description`` column.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"target table {path} not found; set CREME_SHARED_DATA to the folder holding "
            f"model_targets/, or download it (see creme_lib.models.targets.TARGET_FILES)"
        )
    df = pd.read_csv(path, sep="\t")
    # Borzoi's first header cell is empty and pandas calls it "Unnamed: 0".
    first = df.columns[0]
    if first != "index" and str(first).startswith("Unnamed"):
        df = df.rename(columns={first: "index"})
    if "description" not in df.columns:
        raise ValueError(f"{path} has no 'description' column (columns: {list(df.columns)})")
    df["description"] = df["description"].astype(str)
    return df.reset_index(drop=True)


def enformer_track_names(
    head: str = "human", path: str | os.PathLike | None = None, column: str = "identifier"
) -> list[str]:
    """Names of the tracks of one Enformer head, in output order.

    Parameters
    ----------
    head : {'human', 'mouse'}
        Enformer output head.
    path : path-like, optional
        Table to read; default :func:`targets_path` ``("enformer", head)``.
    column : str
        Column used as name. The default ``identifier`` (e.g. ``"CNhs12336"`` for K562
        CAGE, track 5111) is unique, so selecting tracks by name is unambiguous;
        ``description`` is readable but repeats (302 duplicates in the human table).

    Returns
    -------
    list of str
        5,313 names for ``human``, 1,643 for ``mouse``.

    Raises
    ------
    ValueError
        For an unknown head or column.
    FileNotFoundError
        If the table is missing.
    """
    if head not in ENFORMER_HEADS:
        raise ValueError(f"unknown Enformer head {head!r}; expected one of {sorted(ENFORMER_HEADS)}")
    df = read_targets(path if path is not None else targets_path("enformer", head))
    if column not in df.columns:
        raise ValueError(f"target table has no column {column!r} (columns: {list(df.columns)})")
    return df[column].astype(str).tolist()


def find_tracks(
    df: pd.DataFrame,
    assay: str | None = "CAGE",
    cell_line: str | None = "K562",
    contains: str | None = None,
) -> list[int]:
    """Indices of the tracks whose ``description`` matches an assay and a cell line.

    Parameters
    ----------
    df : pandas.DataFrame
        A table from :func:`read_targets` (its index is the track index).
    assay : str, optional
        Assay prefix before the first ``:`` of the description (``CAGE``, ``DNASE``,
        ``CHIP``, ``ATAC``, ``RNA``), case-insensitive; ``None`` for any.
    cell_line : str, optional
        Biosample name, matched case-insensitively as a whole word, so ``K562`` does not
        match inside a longer name and ``PC-3`` not ``PC-30``; ``None`` for any.
    contains : str, optional
        Extra case-insensitive substring the description must hold, e.g. ``"ENCODE"`` to
        pick the ENCODE K562 CAGE track (5111) over the FANTOM5 one (4828).

    Returns
    -------
    list of int
        Sorted track indices; Borzoi's stranded CAGE/RNA tracks come as both strands
        (e.g. ``[872, 873]``). Empty if nothing matches.

    Examples
    --------
    >>> find_tracks(read_targets(targets_path()), "CAGE", "GM12878")  # doctest: +SKIP
    [5110]
    """
    desc = df["description"].astype(str)
    mask = pd.Series(True, index=df.index)
    if assay is not None:
        mask &= desc.str.split(":", n=1).str[0].str.upper() == assay.upper()
    if cell_line is not None:
        # Word boundaries made of anything but letters/digits: cell-line names contain "-".
        pattern = rf"(?<![A-Za-z0-9]){re.escape(cell_line)}(?![A-Za-z0-9])"
        mask &= desc.str.contains(pattern, case=False, regex=True)
    if contains is not None:
        mask &= desc.str.contains(contains, case=False, regex=False)
    return [int(i) for i in df.index[mask.to_numpy()]]


def verify_target_file(path: str | os.PathLike, name: str | None = None) -> str:
    """Check a downloaded file against :data:`TARGET_FILES`.

    Parameters
    ----------
    path : path-like
        The file.
    name : str, optional
        Key in :data:`TARGET_FILES`; default the file's name.

    Returns
    -------
    str
        The file's sha256 hex digest.

    Raises
    ------
    KeyError
        If ``name`` is not a known file.
    ValueError
        If the hash differs.
    """
    path = Path(path)
    name = name or path.name
    if name not in TARGET_FILES:
        raise KeyError(f"{name!r} is not in TARGET_FILES ({sorted(TARGET_FILES)})")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != TARGET_FILES[name]["sha256"]:
        raise ValueError(f"{path}: sha256 {digest} differs from the pinned {TARGET_FILES[name]['sha256']}")
    return digest
