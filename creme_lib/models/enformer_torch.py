"""Enformer in PyTorch (``enformer-pytorch``), with the TensorFlow :class:`~creme_lib.models.enformer.Enformer`'s layout.

The port takes the 196,608 bp window itself (no zero padding) and returns, per head,
``(N, 896, tracks)``: 896 bins of 128 bp over the central 114,688 bp, so bins, tracks and
the TSS bins 447/448 are those of the TF Hub model (:data:`~creme_lib.models.layouts.ENFORMER_LAYOUT`).
The hub model instead pads the window with 98,304 ``N`` on each side; the port's authors
report matching predictions (Pearson r ~0.999 on the human head), not identical ones.

Example
-------
>>> model = EnformerTorch(tracks=["CNhs12336"], bins=[447, 448])   # doctest: +SKIP
>>> model.predict(x).shape   # x: (N, 196608, 4)                   # doctest: +SKIP
(N, 2, 1)
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from creme_lib.models.layouts import ENFORMER_LAYOUT
from creme_lib.models.pytorch import TorchModel
from creme_lib.models.targets import ENFORMER_HEADS, enformer_track_names

#: Hugging Face hub name of the ported official weights.
ENFORMER_TORCH_HUB = "EleutherAI/enformer-official-rough"


def load_enformer_torch(source: str | os.PathLike | torch.nn.Module, tf_gamma: bool | None = None) -> torch.nn.Module:
    """The ``enformer_pytorch.Enformer`` of a module, a local directory or a hub name.

    Parameters
    ----------
    source : torch.nn.Module, path-like or str
        A module is returned as is; an existing directory must hold ``config.json`` and
        weights (``save_pretrained``); anything else is a hub name.
    tf_gamma : bool, optional
        Use TensorFlow's precomputed gamma positional features, which the official weights
        need to reproduce the TF model. ``None``: on for :data:`ENFORMER_TORCH_HUB` and for
        a local copy of the published size (1,536 channels, 896 output bins).

    Raises
    ------
    FileNotFoundError
        A local directory without ``config.json`` or weights.
    OSError
        A hub name that cannot be loaded (no network and not cached).
    """
    if isinstance(source, torch.nn.Module):
        return source
    from enformer_pytorch import Enformer as EnformerNet  # imported lazily: transformers is slow to import
    from enformer_pytorch.modeling_enformer import Attention

    path = Path(source)
    if path.exists():
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"Enformer directory {path} has no config.json")
        if not any((path / w).is_file() for w in ("model.safetensors", "pytorch_model.bin")):
            raise FileNotFoundError(f"Enformer directory {path} holds no weights (model.safetensors or pytorch_model.bin)")
        if tf_gamma is None:
            cfg = json.loads((path / "config.json").read_text())
            tf_gamma = cfg.get("dim") == 1536 and cfg.get("target_length") == ENFORMER_LAYOUT.n_bins
        net = EnformerNet.from_pretrained(path)
    else:
        try:
            net = EnformerNet.from_pretrained(str(source))
        except OSError as err:
            raise OSError(
                f"could not load Enformer {source!r} from the Hugging Face hub ({err}); download it once "
                f"(`huggingface-cli download {source}`) or pass a local directory"
            ) from None
        if tf_gamma is None:
            tf_gamma = str(source) == ENFORMER_TORCH_HUB
    for m in net.modules():
        if isinstance(m, Attention):
            m.use_tf_gamma = bool(tf_gamma)
    return net


class EnformerTorch(TorchModel):
    """Enformer on a 196,608 bp window through ``enformer-pytorch``.

    Parameters
    ----------
    source : str, path-like or torch.nn.Module
        Hub name (default :data:`ENFORMER_TORCH_HUB`), local directory or module
        (:func:`load_enformer_torch`).
    head : str
        ``"human"`` or ``"mouse"`` (for the real model); any head of the loaded config.
    tracks, bins : optional
        Selection, as in :class:`~creme_lib.models.pytorch.TorchModel`; tracks may be named
        by the target table's ``identifier`` (``"CNhs12336"`` = 5111, K562 CAGE).
    track_names : sequence of str, optional
        Default: the Enformer target table of the head, as for the TF model.
    seq_length : int, optional
        Window in bp; default 196,608 for a config of the published size, required otherwise.
    device, precision : as in TorchModel.
    tf_gamma : bool, optional
        See :func:`load_enformer_torch`.

    Raises
    ------
    ValueError
        An unknown head, track names that disagree with the head's size, or any error of
        ``TorchModel``.
    """

    def __init__(
        self,
        source: str | os.PathLike | torch.nn.Module = ENFORMER_TORCH_HUB,
        head: str = "human",
        tracks: Sequence[Any] | int | str | None = None,
        bins: Sequence[int] | int | None = None,
        track_names: Sequence[str] | None = None,
        seq_length: int | None = None,
        device: str | torch.device = "auto",
        precision: str = "fp32",
        tf_gamma: bool | None = None,
    ):
        net = load_enformer_torch(source, tf_gamma=tf_gamma)
        heads = dict(getattr(net, "output_heads", {}) or {})
        if head not in heads:
            raise ValueError(f"unknown Enformer head {head!r}; the model has heads {sorted(heads)}")
        self.head = head
        cfg = net.config
        bin_size = 2 ** int(cfg.num_downsamples)
        n_bins, n_tracks = int(cfg.target_length), int(heads[head])
        if seq_length is None:
            if (bin_size, n_bins) != (ENFORMER_LAYOUT.bin_size, ENFORMER_LAYOUT.n_bins):
                raise ValueError(
                    f"a config with {n_bins} bins of {bin_size} bp is not the published Enformer; pass seq_length"
                )
            seq_length = ENFORMER_LAYOUT.seq_length
        if track_names is None:
            track_names = self._table_names(head, n_tracks)
        super().__init__(
            net, seq_length=seq_length, bin_size=bin_size, track_names=track_names, bins=bins, tracks=tracks,
            input_layout="NLC", output_layout="NBT", output_key=head, device=device, precision=precision,
            n_bins=n_bins, n_tracks=n_tracks,
        )

    @staticmethod
    def _table_names(head: str, n_tracks: int) -> list[str]:
        if head not in ENFORMER_HEADS:
            return [str(i) for i in range(n_tracks)]
        try:
            names = enformer_track_names(head)
        except FileNotFoundError as err:
            warnings.warn(f"{err}; naming tracks by index", stacklevel=3)
            return [str(i) for i in range(n_tracks)]
        if len(names) != n_tracks:
            raise ValueError(
                f"the Enformer {head!r} target table declares {len(names)} tracks but the loaded model's head "
                f"outputs {n_tracks}; pass track_names"
            )
        return names

    @property
    def bin_offset(self) -> int:
        """Window position (bp) where output bin 0 starts (40,960 for the published model)."""
        return (self.seq_length - self.n_bins * self.bin_size) // 2
