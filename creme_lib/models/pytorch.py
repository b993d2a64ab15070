"""Any ``torch.nn.Module`` as a CREME model: declared layouts, device, precision, on-device selection.

:class:`TorchModel` runs a module under ``torch.inference_mode()`` in eval mode, moves one
batch at a time to the device (through pinned memory on CUDA), selects the bins and tracks
there and copies back only ``(N, bins, tracks)``. Input gradients come from autograd, so the
saliency code works on PyTorch models as on TensorFlow ones.

Example
-------
>>> net = torch.nn.Sequential(...)  # (N, 4, L) -> (N, tracks, bins)   # doctest: +SKIP
>>> model = TorchModel(net, seq_length=1024, bin_size=32, input_layout="NCL",
...                    output_layout="NTB", bins=[15, 16], tracks=[0])  # doctest: +SKIP
>>> model.predict(x).shape  # x: (N, 1024, 4)                           # doctest: +SKIP
(N, 2, 1)
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from creme_lib.models.base import Model, resolve_bins, resolve_track_groups
from creme_lib.sequence import check_one_hot

#: Input layouts: one-hot as ``(N, L, 4)`` (Enformer, Keras) or ``(N, 4, L)`` (Borzoi, gReLU).
INPUT_LAYOUTS: tuple[str, ...] = ("NLC", "NCL")
#: Output layouts: ``(N, bins, tracks)`` (Enformer) or ``(N, tracks, bins)`` (Borzoi).
OUTPUT_LAYOUTS: tuple[str, ...] = ("NBT", "NTB")
#: Precisions: float32, or bfloat16 / float16 autocast (the output is returned as float32).
PRECISIONS: dict[str, torch.dtype | None] = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when present, else CPU; any other name is checked to exist.

    Raises
    ------
    ValueError
        For a CUDA device on a machine without CUDA, or a name torch does not know.
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"unknown device {device!r}: {err}") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} asked for, but torch sees no CUDA GPU (use 'auto' or 'cpu')")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s) present")
    elif dev.type != "cpu":
        raise ValueError(f"device {device!r}: only 'cpu', 'cuda[:i]' and 'auto' are supported")
    return dev


def check_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of a precision name, or ``None`` for fp32.

    Raises
    ------
    ValueError
        For an unknown name, fp16 on the CPU (autocast there is bf16 only), or bf16 on a GPU
        without bfloat16 support.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; expected one of {sorted(PRECISIONS)}")
    if precision == "fp16" and device.type != "cuda":
        raise ValueError("precision 'fp16' needs a CUDA device; on the CPU use 'bf16' or 'fp32'")
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError(f"precision 'bf16' is not supported by {torch.cuda.get_device_name(device)}; use 'fp16' or 'fp32'")
    return PRECISIONS[precision]


class TorchModel(Model):
    """Wrap a ``torch.nn.Module`` mapping one-hot DNA to ``(bins, tracks)`` predictions.

    Parameters
    ----------
    module : torch.nn.Module
        The network; it is put in eval mode and on ``device``.
    seq_length : int
        Input length in bp.
    bin_size : int
        bp per output bin (informational).
    track_names : sequence of str, optional
        Names of the full output's tracks; default ``"0", "1", ...``.
    bins : int or sequence of int, optional
        Output bins returned by :meth:`~creme_lib.models.base.Model.predict` (default all).
    tracks : optional
        Output columns: each entry a track (index or name) or a group of tracks whose sum
        is one column (:func:`~creme_lib.models.base.resolve_track_groups`); default all.
    input_layout : {"NLC", "NCL"}
        ``(N, L, 4)`` or ``(N, 4, L)`` input of the module.
    output_layout : {"NBT", "NTB"}
        ``(N, bins, tracks)`` or ``(N, tracks, bins)`` output of the module.
    output_key : str or int, optional
        Item of a dict or tuple output holding the predictions (e.g. Enformer's ``"human"``).
    device : str or torch.device
        ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda[:i]"``.
    precision : {"fp32", "bf16", "fp16"}
        fp32, or autocast to bfloat16 / float16 (fp16: CUDA only).
    n_bins, n_tracks : int, optional
        The full output's size. Given, they are checked on every call; otherwise one
        probe on an all-``N`` sequence finds them.

    Attributes
    ----------
    device : torch.device
    precision : str
    track_groups : list of numpy.ndarray
        Track indices summed into each output column.

    Raises
    ------
    ValueError
        An unknown layout, device or precision, an output that is not rank 3 or disagrees
        with the declared size, ``track_names`` of the wrong length, or a bin or track
        outside the output.

    Notes
    -----
    The engine passes one batch per call; it is copied to the device as one tensor (pinned
    first on CUDA so the copy is asynchronous) and only the selected slice comes back.
    """

    def __init__(
        self,
        module: torch.nn.Module,
        seq_length: int,
        bin_size: int = 1,
        track_names: Sequence[str] | None = None,
        bins: Sequence[int] | int | None = None,
        tracks: Sequence[Any] | int | str | None = None,
        input_layout: str = "NLC",
        output_layout: str = "NBT",
        output_key: str | int | None = None,
        device: str | torch.device = "auto",
        precision: str = "fp32",
        n_bins: int | None = None,
        n_tracks: int | None = None,
    ):
        if input_layout not in INPUT_LAYOUTS:
            raise ValueError(f"unknown input_layout {input_layout!r}; expected one of {INPUT_LAYOUTS}")
        if output_layout not in OUTPUT_LAYOUTS:
            raise ValueError(f"unknown output_layout {output_layout!r}; expected one of {OUTPUT_LAYOUTS}")
        if int(seq_length) <= 0 or int(bin_size) <= 0:
            raise ValueError(f"seq_length and bin_size must be positive, got {seq_length}, {bin_size}")
        self.seq_length = int(seq_length)
        self.bin_size = int(bin_size)
        self.input_layout, self.output_layout, self.output_key = input_layout, output_layout, output_key
        self.device = resolve_device(device)
        self.precision = precision
        self._autocast_dtype = check_precision(precision, self.device)
        self.module = module.to(self.device).eval()

        if n_bins is None or n_tracks is None:
            probe = np.zeros((1, self.seq_length, 4), np.float32)
            with torch.inference_mode():
                shape = self._full_output(self._to_device(probe)).shape
            for name, given, found in (("n_bins", n_bins, shape[1]), ("n_tracks", n_tracks, shape[2])):
                if given is not None and int(given) != found:
                    raise ValueError(f"{name}={given} declared, but the module outputs {found} ({self.output_layout})")
            n_bins, n_tracks = shape[1], shape[2]
        self.n_bins, self._n_tracks = int(n_bins), int(n_tracks)
        if track_names is None:
            track_names = [str(i) for i in range(self._n_tracks)]
        if len(track_names) != self._n_tracks:
            raise ValueError(f"{len(track_names)} track_names given but the module outputs {self._n_tracks} tracks")
        self.track_names = tuple(str(n) for n in track_names)
        self.select(bins, tracks)

    # ------------------------------------------------------------------ selection
    def select(self, bins: Sequence[int] | int | None = None, tracks: Sequence[Any] | int | str | None = None) -> None:
        """Set the bins and output columns :meth:`~creme_lib.models.base.Model.predict` returns.

        Everything is resolved before anything is set, so a bad selector leaves the old one.
        """
        new_bins = resolve_bins(bins, self.n_bins)
        groups = resolve_track_groups(tracks, self.track_names)
        flat = np.concatenate(groups)
        # (flat tracks, columns) 0/1 matrix: the group sums in one matmul on the device.
        owner = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
        m = np.zeros((flat.size, len(groups)), np.float32)
        m[np.arange(flat.size), owner] = 1.0
        self.bins, self.track_groups = new_bins, groups
        # One representative index per column keeps Model.tracks' length = output columns.
        self.tracks = np.array([g[0] for g in groups], dtype=np.int64)
        self._bins_t = torch.as_tensor(new_bins, device=self.device)
        self._flat_t = torch.as_tensor(flat, device=self.device)
        self._group_t = None if flat.size == len(groups) else torch.as_tensor(m, device=self.device)

    def _select_bins(self, bins) -> None:
        self.select(bins, [g.tolist() for g in self.track_groups])

    @property
    def selected_track_names(self) -> list[str]:
        return ["+".join(self.track_names[i] for i in g) for g in self.track_groups]

    # -------------------------------------------------------------------- forward
    def _to_device(self, x: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        if self.device.type == "cuda":
            return t.pin_memory().to(self.device, non_blocking=True)
        return t

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self._autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self._autocast_dtype)

    def _call_module(self, x: torch.Tensor) -> torch.Tensor:
        """The module's raw output for a ``(N, L, 4)`` device tensor, in its own layout."""
        out = self.module(x if self.input_layout == "NLC" else x.transpose(1, 2))
        if self.output_key is not None:
            out = out[self.output_key]
        elif isinstance(out, (dict, list, tuple)):
            raise ValueError(f"the module returns a {type(out).__name__}; pass output_key to pick the predictions")
        return out

    def _full_output(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, L, 4)`` device tensor -> ``(N, n_bins, n_tracks)`` float32, shape-checked."""
        with self._autocast():
            out = self._call_module(x)
        if not isinstance(out, torch.Tensor) or out.ndim != 3:
            shape = tuple(out.shape) if hasattr(out, "shape") else type(out).__name__
            raise ValueError(f"module output must be rank 3 ({self.output_layout}), got {shape}")
        if self.output_layout == "NTB":
            out = out.transpose(1, 2)
        declared = getattr(self, "_n_tracks", None)
        if declared is not None and tuple(out.shape[1:]) != (self.n_bins, declared):
            raise ValueError(
                f"module output {tuple(out.shape)} (as {self.output_layout}) disagrees with the declared "
                f"{self.n_bins} bins x {declared} tracks"
            )
        return out.float()

    def _forward_selected(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, L, 4)`` device tensor -> ``(N, len(bins), columns)`` float32 on the device."""
        out = self._full_output(x).index_select(1, self._bins_t).index_select(2, self._flat_t)
        return out if self._group_t is None else out @ self._group_t

    def _predict(self, x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return self._forward_selected(self._to_device(x)).cpu().numpy()

    def input_gradients(
        self,
        x: np.ndarray,
        bins: Sequence[int] | int | None = None,
        tracks: Sequence[Any] | int | str | None = None,
    ) -> np.ndarray:
        """Gradient of the mean selected output with respect to the one-hot input.

        Parameters
        ----------
        x : numpy.ndarray
            One-hot ``(N, seq_length, 4)`` or a single ``(seq_length, 4)``.
        bins, tracks : optional
            Bins and columns averaged into the objective; default the current selection
            (which is restored afterwards).

        Returns
        -------
        numpy.ndarray
            ``(N, seq_length, 4)`` float32, ``d mean_{bins, columns} y[n] / d x[n, p, c]``.
        """
        x = np.asarray(x)
        if x.ndim == 2:
            x = x[None]
        x = check_one_hot(x, length=self.seq_length, batch=True)
        saved = (self.bins, [g.copy() for g in self.track_groups])
        try:
            if bins is not None or tracks is not None:
                self.select(self.bins if bins is None else bins, saved[1] if tracks is None else tracks)
            _release_inference_caches(self.module)
            xt = self._to_device(x).requires_grad_(True)
            with torch.enable_grad():
                y = self._forward_selected(xt)
                # Sequences are independent in eval mode: the gradient of the sum of
                # per-sequence means is each sequence's own gradient.
                (grad,) = torch.autograd.grad(y.mean(dim=(1, 2)).sum(), xt)
        finally:
            self.select(saved[0], saved[1])
        return grad.float().cpu().numpy()


def _release_inference_caches(module: torch.nn.Module) -> None:
    """Replace tensors a module cached under ``inference_mode`` (e.g. Borzoi's positional
    features) by ordinary copies, which autograd may save for the backward pass."""
    for sub in module.modules():
        for name, value in list(vars(sub).items()):
            if isinstance(value, torch.Tensor) and value.is_inference():
                setattr(sub, name, value.clone())

