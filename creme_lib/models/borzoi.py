"""Borzoi (Linder et al. 2025) through ``borzoi-pytorch``, with the paper's replicate and strand handling.

The human Borzoi takes one-hot ``(N, 4, 524288)`` and returns ``(N, 7611, 6144)``: 7,611
tracks over 6,144 bins of 32 bp covering the central 196,608 bp (window positions 163,840 to
360,448). CREME (Toneyan & Koo 2024) averages the four replicate models, sums the two strands
of a cell line's CAGE track (K562 872+873, GM12878 870+871, PC-3 298+299) and reads the
centre 8 bins (:data:`~creme_lib.models.layouts.BORZOI_LAYOUT`). The paper's own Borzoi
class was not published (it was removed from creme-nn); this one follows the paper's text.

Only what CREME reads is computed past the trunk: the selected bins are taken from the
trunk's embedding before the pointwise output convolutions, and the head is restricted to
the selected tracks, which is exact because those layers act on each bin on its own.

Example
-------
>>> model = Borzoi(cell_line="K562", bins=BORZOI_LAYOUT.tss_bins)  # 4 hub replicates  # doctest: +SKIP
>>> model.predict(x).shape   # x: (N, 524288, 4)                                      # doctest: +SKIP
(N, 8, 1)
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from creme_lib.models.layouts import BORZOI_LAYOUT, centre_bins
from creme_lib.models.pytorch import TorchModel, resolve_device
from creme_lib.models.targets import read_targets, targets_path

#: Hugging Face hub names of the four human Borzoi replicates (``borzoi-pytorch`` ports).
BORZOI_REPLICATES: tuple[str, ...] = tuple(f"johahi/borzoi-replicate-{i}" for i in range(4))
#: Flashzoi (FlashAttention-2 variant, CUDA only) replicates.
FLASHZOI_REPLICATES: tuple[str, ...] = tuple(f"johahi/flashzoi-replicate-{i}" for i in range(4))
#: Weight files ``from_pretrained`` accepts in a local replicate directory.
WEIGHT_FILES: tuple[str, ...] = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")
#: bp of downsampling before Borzoi's transformer: windows must be a multiple of it.
TRUNK_STRIDE = 128

_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def check_replicate_dir(path: str | os.PathLike) -> Path:
    """A local replicate directory with a ``config.json`` and weights, or an error naming what is missing.

    Raises
    ------
    FileNotFoundError
        If the directory, its ``config.json`` or every file of :data:`WEIGHT_FILES` is missing.
    """
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"Borzoi replicate directory not found: {path}")
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"Borzoi replicate directory {path} has no config.json")
    if not any((path / w).is_file() for w in WEIGHT_FILES):
        raise FileNotFoundError(f"Borzoi replicate directory {path} holds no weights (looked for {', '.join(WEIGHT_FILES)})")
    return path


def load_replicate(source: str | os.PathLike | torch.nn.Module) -> torch.nn.Module:
    """One Borzoi replicate from a module, a local directory or a hub name.

    Parameters
    ----------
    source : torch.nn.Module, path-like or str
        A module is returned as is; an existing directory is checked
        (:func:`check_replicate_dir`) and loaded with ``from_pretrained``; a string of the
        form ``owner/name`` that is not a directory is a Hugging Face hub name.

    Raises
    ------
    FileNotFoundError
        For a local path that does not exist or lacks weights.
    OSError
        When a hub name cannot be loaded (no network and not in the local cache).
    """
    if isinstance(source, torch.nn.Module):
        return source
    from borzoi_pytorch import Borzoi as BorzoiNet  # imported lazily: transformers is slow to import

    path = Path(source)
    if path.exists() or not _HUB_NAME.match(str(source)):
        return BorzoiNet.from_pretrained(check_replicate_dir(path))
    try:
        return BorzoiNet.from_pretrained(str(source))
    except OSError as err:
        raise OSError(
            f"could not load Borzoi replicate {source!r} from the Hugging Face hub ({err}); download it once "
            f"(`huggingface-cli download {source}`) or pass a local directory"
        ) from None


def borzoi_track_names(n_tracks: int) -> list[str]:
    """Identifiers of the human head's tracks (``CNhs12336+``, ...), or indices if the table is absent.

    Raises
    ------
    ValueError
        If the table's row count disagrees with ``n_tracks``.
    """
    try:
        names = read_targets(targets_path("borzoi", "human"))["identifier"].astype(str).tolist()
    except FileNotFoundError as err:
        warnings.warn(f"{err}; naming Borzoi tracks by index", stacklevel=3)
        return [str(i) for i in range(n_tracks)]
    if len(names) != n_tracks:
        raise ValueError(f"the Borzoi target table has {len(names)} tracks but the model's head outputs {n_tracks}")
    return names


class _Replicates(torch.nn.Module):
    """Borzoi replicates as one module (so ``.to``/``.eval`` reach all of them)."""

    def __init__(self, nets: Sequence[torch.nn.Module]):
        super().__init__()
        self.nets = torch.nn.ModuleList(nets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([net(x) for net in self.nets]).mean(dim=0)


class Borzoi(TorchModel):
    """Borzoi's human head, replicate-averaged, with strand sums and on-device selection.

    Parameters
    ----------
    replicates : sequence of (str, path-like or torch.nn.Module)
        Replicate models: hub names (default :data:`BORZOI_REPLICATES`), local
        ``save_pretrained`` directories, or modules; predictions are their mean.
    cell_line : str, optional
        Selects the cell line's two CAGE strands as one summed column
        (``BORZOI_LAYOUT.cage_tracks``); exclusive with ``tracks``.
    tracks : optional
        Output columns as in :class:`~creme_lib.models.pytorch.TorchModel` (a group such
        as ``(872, 873)`` is summed); default every track.
    bins : int or sequence of int, optional
        Output bins (default all); the paper's TSS is ``BORZOI_LAYOUT.tss_bins``.
    seq_length : int
        Window in bp (524,288 for the published model; a multiple of 128).
    device, precision :
        As in :class:`~creme_lib.models.pytorch.TorchModel`.
    flash : bool
        The replicates are Flashzoi (FlashAttention-2): needs a CUDA device.
    track_names : sequence of str, optional
        Default: the ``identifier`` column of ``model_targets/borzoi_targets_human.txt``.

    Raises
    ------
    ValueError
        Replicates whose heads or crops disagree, an unknown cell line, both ``cell_line``
        and ``tracks``, a window that is not a multiple of 128 bp or too short for the
        output bins, Flashzoi without CUDA, or any error of ``TorchModel``.
    FileNotFoundError, OSError
        From :func:`load_replicate`.
    """

    def __init__(
        self,
        replicates: Sequence[str | os.PathLike | torch.nn.Module] = BORZOI_REPLICATES,
        cell_line: str | None = None,
        tracks: Sequence[Any] | int | str | None = None,
        bins: Sequence[int] | int | None = None,
        seq_length: int = BORZOI_LAYOUT.seq_length,
        device: str | torch.device = "auto",
        precision: str = "fp32",
        flash: bool = False,
        track_names: Sequence[str] | None = None,
    ):
        if isinstance(replicates, (str, os.PathLike, torch.nn.Module)):
            replicates = [replicates]
        if not replicates:
            raise ValueError("Borzoi needs at least one replicate")
        if flash and resolve_device(device).type != "cuda":
            raise ValueError("Flashzoi replicates (flash=True) need a CUDA device")
        if cell_line is not None:
            if tracks is not None:
                raise ValueError("pass cell_line or tracks, not both")
            if cell_line not in BORZOI_LAYOUT.cage_tracks:
                raise ValueError(f"no Borzoi CAGE tracks for cell line {cell_line!r}; known: {sorted(BORZOI_LAYOUT.cage_tracks)}")
            tracks = [BORZOI_LAYOUT.cage_tracks[cell_line]]
        nets = [load_replicate(r) for r in replicates]
        self.sources = [r if isinstance(r, (str, os.PathLike)) else type(r).__name__ for r in replicates]
        heads = {(n.human_head.out_channels, n.crop.target_length) for n in nets}
        if len(heads) != 1:
            raise ValueError(f"the replicates disagree in (tracks, output bins): {sorted(heads)}")
        ((n_tracks, n_bins),) = heads
        seq_length = int(seq_length)
        if seq_length % TRUNK_STRIDE or seq_length // (TRUNK_STRIDE // 4) < n_bins:
            raise ValueError(
                f"seq_length={seq_length} bp: Borzoi needs a multiple of {TRUNK_STRIDE} bp covering its "
                f"{n_bins} output bins of 32 bp"
            )
        if track_names is None:
            track_names = borzoi_track_names(n_tracks)
        self._fast = all(hasattr(n, a) for n in nets for a in ("get_embs_after_crop", "final_joined_convs", "human_head"))
        super().__init__(
            _Replicates(nets), seq_length=seq_length, bin_size=32, track_names=track_names, bins=bins,
            tracks=tracks, input_layout="NCL", output_layout="NTB", device=device, precision=precision,
            n_bins=n_bins, n_tracks=n_tracks,
        )

    @property
    def n_replicates(self) -> int:
        return len(self.module.nets)

    def _forward_selected(self, x: torch.Tensor) -> torch.Tensor:
        if not self._fast:
            return super()._forward_selected(x)
        x = x.transpose(1, 2)
        outs = []
        for net in self.module.nets:
            with self._autocast():
                emb = net.get_embs_after_crop(x).index_select(2, self._bins_t)  # (N, dim, B)
                emb = net.final_joined_convs(emb)
            # Borzoi runs its head in float32 even under autocast; so does this.
            head = net.human_head
            w, b = head.weight.index_select(0, self._flat_t), head.bias.index_select(0, self._flat_t)
            with torch.autocast(device_type=self.device.type, enabled=False):
                y = F.softplus(F.conv1d(emb.float(), w.float(), b.float()))  # (N, K_flat, B)
            outs.append(y.transpose(1, 2))
        out = torch.stack(outs).mean(dim=0)
        return out if self._group_t is None else out @ self._group_t

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, replicates={self.n_replicates}, precision={self.precision!r})"


def tss_bins(n_bins: int = BORZOI_LAYOUT.n_bins, width: int = 8) -> tuple[int, ...]:
    """The ``width`` output bins centred on the output (3068-3075 for the published model's 6,144)."""
    return centre_bins(n_bins, width)
