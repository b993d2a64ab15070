"""The model protocol every CREME test talks to.

A model maps one-hot sequences ``(N, seq_length, 4)`` float32 to predictions
``(N, n_bins, n_tracks)`` float32, where bins and tracks are the *selected* output
(e.g. Enformer's TSS bins 447-448 of the K562 CAGE track). Selecting inside the model lets a
GPU backend return only the few numbers CREME needs instead of 896 x 5,313 floats per sequence.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import contextmanager

import numpy as np

from creme_lib.sequence import check_one_hot


def resolve_tracks(tracks: Sequence[int | str] | int | str | None, names: Sequence[str]) -> np.ndarray:
    """Track selectors (indices or names) -> int64 indices into ``names``.

    Raises
    ------
    KeyError
        For a name that is not a track of the model.
    ValueError
        For an index out of range.
    """
    if tracks is None:
        return np.arange(len(names))
    if isinstance(tracks, (int, np.integer, str)):
        tracks = [tracks]
    lookup = {n: i for i, n in enumerate(names)}
    out = []
    for t in tracks:
        if isinstance(t, str):
            if t not in lookup:
                raise KeyError(f"track {t!r} is not among the model's {len(names)} tracks")
            out.append(lookup[t])
        else:
            if not 0 <= int(t) < len(names):
                raise ValueError(f"track index {t} out of range [0, {len(names)})")
            out.append(int(t))
    return np.asarray(out, dtype=np.int64)


def resolve_track_groups(
    tracks: Sequence[int | str | Sequence[int | str]] | int | str | None, names: Sequence[str]
) -> list[np.ndarray]:
    """Track selectors where an entry may be a group of tracks, summed into one output column.

    ``[5111]`` is one column of one track; ``[(872, 873)]`` one column, the sum of two
    (Borzoi's two CAGE strands); ``None`` every track on its own.

    Returns
    -------
    list of numpy.ndarray
        One int64 array of track indices per output column.

    Raises
    ------
    KeyError, ValueError
        As :func:`resolve_tracks`, and for an empty group.
    """
    if tracks is None:
        return [np.array([i], dtype=np.int64) for i in range(len(names))]
    if isinstance(tracks, (int, np.integer, str)):
        tracks = [tracks]
    groups = []
    for entry in tracks:
        if isinstance(entry, (int, np.integer, str)):
            groups.append(resolve_tracks(entry, names))
        else:
            group = resolve_tracks(list(entry), names)
            if group.size == 0:
                raise ValueError("an empty track group selects nothing")
            groups.append(group)
    return groups


def resolve_bins(bins: Sequence[int] | int | None, n_bins: int) -> np.ndarray:
    """Bin selectors -> int64 indices into ``range(n_bins)``; ``ValueError`` if out of range."""
    if bins is None:
        return np.arange(n_bins)
    arr = np.atleast_1d(np.asarray(bins, dtype=np.int64))
    if arr.size == 0 or arr.min() < 0 or arr.max() >= n_bins:
        raise ValueError(f"bins {arr.tolist()} out of range [0, {n_bins})")
    return arr


class Model(ABC):
    """Base class of CREME model backends.

    Subclasses set the attributes below and implement ``_predict``.

    Attributes
    ----------
    seq_length : int
        Input length in bp.
    bin_size : int
        Output resolution in bp per bin.
    n_bins : int
        Number of bins of the model's full output.
    track_names : tuple of str
        Names of all output tracks.
    bins : numpy.ndarray
        Indices of the bins :meth:`~creme_lib.models.base.Model.predict` returns, shape ``(B,)``.
    tracks : numpy.ndarray
        Indices of the tracks :meth:`~creme_lib.models.base.Model.predict` returns, shape ``(K,)``.
    """

    seq_length: int
    bin_size: int
    n_bins: int
    track_names: tuple[str, ...]
    bins: np.ndarray
    tracks: np.ndarray

    def _set_selection(self, bins, tracks) -> None:
        self.bins = resolve_bins(bins, self.n_bins)
        self.tracks = resolve_tracks(tracks, self.track_names)

    @property
    def output_shape(self) -> tuple[int, int]:
        """``(selected bins, selected tracks)`` of one prediction."""
        return len(self.bins), len(self.tracks)

    @property
    def selected_track_names(self) -> list[str]:
        return [self.track_names[i] for i in self.tracks]

    @abstractmethod
    def _predict(self, x: np.ndarray) -> np.ndarray:
        """``(N, seq_length, 4)`` float32 -> ``(N, len(bins), len(tracks))``."""

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predict the selected bins and tracks.

        Parameters
        ----------
        x : numpy.ndarray
            One-hot ``(N, seq_length, 4)`` or a single ``(seq_length, 4)``.

        Returns
        -------
        numpy.ndarray
            ``(N, len(bins), len(tracks))`` float32 (``N = 1`` for a single sequence).

        Raises
        ------
        ValueError
            If the input is not one-hot of the model's length, or the backend returns an
            output whose shape disagrees with the declared bins and tracks.
        """
        x = np.asarray(x)
        if x.ndim == 2:
            x = x[None]
        x = check_one_hot(x, length=self.seq_length, batch=True)
        return self._checked(self._predict(x), x.shape[0])

    def _checked(self, out, n: int) -> np.ndarray:
        """The backend's output as float32, or ``ValueError`` if it is not ``(n, bins, tracks)``."""
        out = np.asarray(out, dtype=np.float32)
        want = (n, *self.output_shape)
        if out.shape != want:
            raise ValueError(
                f"{type(self).__name__} returned shape {out.shape}, but its declared "
                f"selection gives {want} (N, bins, tracks)"
            )
        return out

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.predict(x)

    @contextmanager
    def selecting_bins(self, bins: Sequence[int] | int | None):
        """Return other output bins (same tracks) inside a ``with`` block, e.g. every bin for a
        coverage plot from a model built for the TSS bins; the old bins come back after it."""
        old = self.bins
        self._select_bins(bins)
        try:
            yield self
        finally:
            self._select_bins(old)

    def _select_bins(self, bins) -> None:
        """Set the returned bins, keeping the tracks (backends with their own selection override it)."""
        self._set_selection(bins, self.tracks)

    @property
    def takes_tokens(self) -> bool:
        """Whether the backend reads tokens natively (:meth:`predict_tokens` then skips the one-hot).

        True only where ``_predict_tokens`` is overridden at least as far down the class
        hierarchy as ``_predict``: a subclass that changes ``_predict`` alone keeps the one-hot
        path, so its change is not bypassed.
        """
        mro = type(self).__mro__
        tok = next(c for c in mro if "_predict_tokens" in c.__dict__)
        pred = next(c for c in mro if "_predict" in c.__dict__)
        return tok is not Model and issubclass(tok, pred)

    def _predict_tokens(self, tokens: np.ndarray) -> np.ndarray:
        """``(N, seq_length)`` uint8 tokens -> ``(N, len(bins), len(tracks))``; by default
        through the one-hot. A backend whose computation starts from the letters overrides it."""
        from creme_lib.sequence import tokens_to_one_hot

        return self._predict(tokens_to_one_hot(tokens))

    def predict_tokens(self, tokens: np.ndarray) -> np.ndarray:
        """Predict from tokens (``0..3`` = A, C, G, T; 4 = N): the same numbers as
        :meth:`predict` on their one-hot.

        Parameters
        ----------
        tokens : numpy.ndarray
            ``(N, seq_length)`` (or one ``(seq_length,)``) integers in ``0..4``.

        Returns
        -------
        numpy.ndarray
            ``(N, len(bins), len(tracks))`` float32.

        Raises
        ------
        ValueError
            For another length, or a value outside ``0..4``.
        """
        t = np.asarray(tokens)
        if t.ndim == 1:
            t = t[None]
        if t.ndim != 2 or t.shape[1] != self.seq_length:
            raise ValueError(f"expected tokens of shape (N, {self.seq_length}), got {t.shape}")
        if not np.issubdtype(t.dtype, np.integer) or (t.size and (t.min() < 0 or t.max() > 4)):
            raise ValueError("tokens must be integers 0..4 (A, C, G, T, N)")
        return self._checked(self._predict_tokens(np.ascontiguousarray(t, np.uint8)), t.shape[0])

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(seq_length={self.seq_length}, bin_size={self.bin_size}, "
            f"bins={len(self.bins)}/{self.n_bins}, tracks={self.selected_track_names[:4]}"
            f"{'...' if len(self.tracks) > 4 else ''})"
        )


class CallableModel(Model):
    """Wrap any Python callable ``fn(x: (N, L, 4)) -> (N, n_bins, n_tracks)``.

    Parameters
    ----------
    fn : callable
        Returns the full output for a float32 batch.
    seq_length : int
        Input length in bp.
    n_bins : int
        Bins of the full output.
    bin_size : int
        bp per output bin.
    track_names : sequence of str, optional
        Names of the full output's tracks; ``n_tracks`` defaults to one track named ``"0"``.
    bins, tracks : optional
        Selection returned by :meth:`~creme_lib.models.base.Model.predict` (indices; tracks also by name).
    """

    def __init__(
        self,
        fn: Callable[[np.ndarray], np.ndarray],
        seq_length: int,
        n_bins: int,
        bin_size: int = 1,
        track_names: Sequence[str] | None = None,
        bins: Sequence[int] | int | None = None,
        tracks: Sequence[int | str] | int | str | None = None,
    ):
        if seq_length <= 0 or n_bins <= 0 or bin_size <= 0:
            raise ValueError(
                f"seq_length, n_bins and bin_size must be positive, got {seq_length}, {n_bins}, {bin_size}"
            )
        self.fn = fn
        self.seq_length = int(seq_length)
        self.n_bins = int(n_bins)
        self.bin_size = int(bin_size)
        self.track_names = tuple(track_names) if track_names is not None else ("0",)
        self._set_selection(bins, tracks)

    def _predict(self, x: np.ndarray) -> np.ndarray:
        out = np.asarray(self.fn(x))
        if out.ndim != 3 or out.shape[1:] != (self.n_bins, len(self.track_names)):
            raise ValueError(
                f"callable returned shape {out.shape}, expected (N, {self.n_bins}, {len(self.track_names)})"
            )
        return out[:, self.bins][:, :, self.tracks]
