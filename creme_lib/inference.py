"""The inference engine: the one place that builds sequences and calls the model.

Tests hand the engine lists of :class:`~creme_lib.perturb.SeqSpec`. The engine

1. drops specs it has already predicted (a memo keyed by the spec, kept across calls, so
   the WT of a gene is predicted once for all tests) and duplicates within the call;
2. orders the rest so that specs sharing a shuffled background are built together (each
   background is shuffled once and kept in a small LRU cache);
3. writes them, one batch at a time, into one preallocated ``(batch_size, L, 4)`` float32
   buffer, so peak memory is set by the batch, never by ``tiles x shuffles``. A buffer row
   remembers which base or background it holds: the next spec on the same background only
   restores the intervals the previous one pasted and pastes its own, so a necessity test
   writes ~5 kb per mutant instead of 196,608 bp. A model that reads letters
   (:attr:`~creme_lib.models.base.Model.takes_tokens`, the world's scanning model) gets
   ``(batch_size, L)`` uint8 token rows instead, built by :meth:`Engine.build`;
4. calls the model, reduces its ``(batch, bins, tracks)`` output over bins (mean by default),
   and returns ``(len(specs), tracks)`` float32 in the order asked.

Every random draw comes from :func:`creme_lib.seeding.derive_rng` with
``(seed, base id, *seed key)``, so a sequence's content depends only on its spec.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from creme_lib.models.base import Model
from creme_lib.perturb import Paste, SeqSpec
from creme_lib.seeding import derive_rng
from creme_lib.sequence import N_TOKEN, check_one_hot, one_hot_to_tokens, tokenize, tokens_to_one_hot

Reducer = Callable[[np.ndarray], np.ndarray]


def mean_over_bins(pred: np.ndarray) -> np.ndarray:
    """``(N, bins, tracks)`` -> ``(N, tracks)``: mean over the selected bins."""
    return pred.mean(axis=1)


def sum_over_bins(pred: np.ndarray) -> np.ndarray:
    """``(N, bins, tracks)`` -> ``(N, tracks)``: sum over the selected bins."""
    return pred.sum(axis=1)


@dataclass
class EngineStats:
    """Counters of one engine: specs asked for, sequences sent to the model, time in it."""

    requested: int = 0
    predicted: int = 0
    batches: int = 0
    model_seconds: float = 0.0
    build_seconds: float = 0.0


class Engine:
    """Batched, deduplicating, seeded inference for CREME tests.

    Parameters
    ----------
    model : Model
        Any :class:`~creme_lib.models.base.Model`; plain callables should be wrapped in
        :class:`~creme_lib.models.base.CallableModel` first.
    batch_size : int
        Sequences per model call. Results do not depend on it.
    seed : int
        Global seed; with the spec's base id and seed key it determines every shuffle.
    reduce : callable or {"mean", "sum"}
        Output reduction ``(N, bins, tracks) -> (N, tracks)``; default mean over bins.
    progress : bool
        Show a tqdm progress bar for calls with more than one batch.
    background_cache : int
        How many shuffled backgrounds to keep (each ``L`` bytes as tokens).
    """

    def __init__(
        self,
        model: Model,
        batch_size: int = 8,
        seed: int = 0,
        reduce: Reducer | str = "mean",
        progress: bool = True,
        background_cache: int = 256,
    ):
        if not isinstance(model, Model):
            raise TypeError(
                f"model must be a creme_lib Model, got {type(model).__name__}; wrap callables "
                "with creme_lib.models.CallableModel"
            )
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.model = model
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.reduce = {"mean": mean_over_bins, "sum": sum_over_bins}.get(reduce, reduce)  # type: ignore[arg-type]
        if not callable(self.reduce):
            raise ValueError(f"reduce must be 'mean', 'sum' or a callable, got {reduce!r}")
        self.progress = progress
        self.stats = EngineStats()
        self._sources: dict[str, np.ndarray] = {}
        self._memo: dict[SeqSpec, np.ndarray] = {}
        self._bg: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._bg_size = int(background_cache)
        self._buffer: np.ndarray | None = None
        self._token_buffer: np.ndarray | None = None  # (batch, L) uint8, for models that read tokens
        # One-hot of recent bases/backgrounds, and what each buffer row currently holds.
        self._oh: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._oh_size = 8
        self._rows: list[tuple | None] = []

    # -- sequences ---------------------------------------------------------------------
    @property
    def seq_length(self) -> int:
        return self.model.seq_length

    def register(self, name: str, x: np.ndarray | str) -> str:
        """Register a sequence (one-hot ``(L, 4)`` or a string) under ``name``.

        Re-registering identical content is a no-op; different content under a used name
        raises ``ValueError`` (the memo would otherwise return stale predictions), and so do
        a length other than the model's, an all-N sequence, a soft or 0.25-N one-hot
        (:func:`creme_lib.sequence.one_hot_to_tokens`) and an RNA string.
        """
        tokens = tokenize(x) if isinstance(x, str) else one_hot_to_tokens(check_one_hot(x))
        if tokens.shape[0] != self.seq_length:
            raise ValueError(
                f"sequence {name!r} is {tokens.shape[0]} bp, the model takes {self.seq_length} bp"
            )
        if tokens.size and (tokens == N_TOKEN).all():
            # Every normalization divides by the wild type's activity: all N has none to perturb.
            raise ValueError(f"sequence {name!r} is all N: there is nothing to perturb")
        old = self._sources.get(name)
        if old is not None:
            if not np.array_equal(old, tokens):
                raise ValueError(f"a different sequence is already registered as {name!r}")
            return name
        tokens.setflags(write=False)
        self._sources[name] = tokens
        return name

    def tokens(self, name: str) -> np.ndarray:
        """The registered tokens ``(L,)`` of ``name`` (read-only)."""
        try:
            return self._sources[name]
        except KeyError:
            raise KeyError(f"no sequence registered as {name!r}") from None

    def forget(self, name: str) -> None:
        """Drop a registered sequence and every memoized prediction built on it."""
        self._sources.pop(name, None)
        self._memo = {s: v for s, v in self._memo.items() if s.base != name and name not in _sources_of(s)}
        self._bg = OrderedDict((k, v) for k, v in self._bg.items() if k[0] != name)
        self._oh = OrderedDict((k, v) for k, v in self._oh.items() if k[0] != name)
        self._rows = [None] * len(self._rows)

    def _background(self, base: str, key: tuple) -> np.ndarray:
        from creme_lib.shuffle import dinuc_shuffle_tokens

        ck = (base, key)
        hit = self._bg.get(ck)
        if hit is not None:
            self._bg.move_to_end(ck)
            return hit
        bg = dinuc_shuffle_tokens(self.tokens(base), derive_rng(self.seed, base, "background", *key))
        self._bg[ck] = bg
        if len(self._bg) > self._bg_size:
            self._bg.popitem(last=False)
        return bg

    def build(self, spec: SeqSpec, out: np.ndarray | None = None) -> np.ndarray:
        """Materialize one spec as tokens ``(L,)`` uint8 (into ``out``, a ``(L,)`` uint8 row, when given)."""
        base = self.tokens(spec.base)
        start = base if spec.background is None else self._background(spec.base, spec.background)
        if out is None:
            out = start.copy()
        else:
            out[:] = start
        for p in spec.edits:
            out[p.start : p.end] = self._segment(spec, p)
        return out

    def one_hot(self, spec: SeqSpec) -> np.ndarray:
        """Materialize one spec as one-hot ``(L, 4)`` float32 (for plots and saliency)."""
        return tokens_to_one_hot(self.build(spec))

    # -- prediction --------------------------------------------------------------------
    def predict(self, specs: Sequence[SeqSpec], desc: str | None = None) -> np.ndarray:
        """Predictions for ``specs``, reduced over bins.

        Parameters
        ----------
        specs : sequence of SeqSpec
            Sequences to predict; duplicates and already-predicted specs cost nothing.
        desc : str, optional
            Label of the progress bar.

        Returns
        -------
        numpy.ndarray
            ``(len(specs), n_tracks)`` float32, in the order of ``specs``.
        """
        specs = list(specs)
        self.stats.requested += len(specs)
        todo = list(dict.fromkeys(s for s in specs if s not in self._memo))
        # Group by background so each shuffle is built once while it is in the cache.
        todo.sort(key=lambda s: (s.base, repr(s.background)))
        if todo:
            self._run(todo, desc)
        n_tracks = len(self.model.tracks)
        if not specs:
            return np.zeros((0, n_tracks), np.float32)
        return np.stack([self._memo[s] for s in specs]).astype(np.float32, copy=False)

    def _run(self, todo: list[SeqSpec], desc: str | None) -> None:
        bs = self.batch_size
        # A backend that reads letters gets tokens: no one-hot to write and no one-hot to read back.
        tokens = self.model.takes_tokens
        if tokens and (self._token_buffer is None or self._token_buffer.shape[0] < bs):
            self._token_buffer = np.empty((bs, self.seq_length), np.uint8)
        elif not tokens and (self._buffer is None or self._buffer.shape[0] < bs):
            self._buffer = np.empty((bs, self.seq_length, 4), np.float32)
            self._rows = [None] * bs
        batches: Iterable[int] = range(0, len(todo), bs)
        if self.progress and len(todo) > bs:
            from tqdm.auto import tqdm

            batches = tqdm(batches, total=-(-len(todo) // bs), desc=desc or "predict", unit="batch", leave=False)
        for i in batches:
            chunk = todo[i : i + bs]
            t0 = time.perf_counter()
            if tokens:
                x = self._token_buffer[: len(chunk)]
                for j, spec in enumerate(chunk):
                    self.build(spec, out=x[j])
            else:
                for j, spec in enumerate(chunk):
                    self._write_row(j, spec)
                x = self._buffer[: len(chunk)]
            t1 = time.perf_counter()
            pred = self.model.predict_tokens(x) if tokens else self.model.predict(x)
            t2 = time.perf_counter()
            red = np.asarray(self.reduce(pred), np.float32)
            if red.shape != (len(chunk), pred.shape[2]):
                raise ValueError(f"reduce returned shape {red.shape}, expected {(len(chunk), pred.shape[2])}")
            for spec, row in zip(chunk, red):
                self._memo[spec] = row
            self.stats.predicted += len(chunk)
            self.stats.batches += 1
            self.stats.build_seconds += t1 - t0
            self.stats.model_seconds += t2 - t1

    def _start_one_hot(self, key: tuple) -> np.ndarray:
        """One-hot ``(L, 4)`` of a base (``key[1] is None``) or of one of its backgrounds."""
        hit = self._oh.get(key)
        if hit is not None:
            self._oh.move_to_end(key)
            return hit
        base, bg = key
        tokens = self.tokens(base) if bg is None else self._background(base, bg)
        oh = tokens_to_one_hot(tokens)
        self._oh[key] = oh
        if len(self._oh) > self._oh_size:
            self._oh.popitem(last=False)
        return oh

    def _segment(self, spec: SeqSpec, p: Paste) -> np.ndarray:
        """Tokens of one paste (``(end - start,)`` uint8), shuffled if the paste asks for it."""
        from creme_lib.shuffle import dinuc_shuffle_tokens

        src_name = spec.base if p.source is None else p.source
        src = self.tokens(src_name)
        s0 = p.start if p.src_start is None else p.src_start
        if p.end > self.seq_length or s0 + p.length > src.shape[0]:
            raise ValueError(f"paste {p} runs past the {self.seq_length} bp sequence")
        seg = src[s0 : s0 + p.length]
        if p.shuffle is not None:
            seg = dinuc_shuffle_tokens(seg, derive_rng(self.seed, src_name, "segment", s0, *p.shuffle))
        return seg

    def _write_row(self, j: int, spec: SeqSpec) -> None:
        """Write ``spec`` into buffer row ``j``, patching only what differs from its last content."""
        assert self._buffer is not None
        key = (spec.base, spec.background)
        start = self._start_one_hot(key)
        row = self._buffer[j]
        prev = self._rows[j]
        self._rows[j] = None  # an exception below leaves the row in an unknown state
        if prev is None or prev[0] != key:
            row[:] = start
        else:
            for a, b in prev[1]:
                row[a:b] = start[a:b]
        for p in spec.edits:
            tokens_to_one_hot(self._segment(spec, p), out=row[p.start : p.end])
        self._rows[j] = (key, [(p.start, p.end) for p in spec.edits])

    def clear_memo(self) -> None:
        """Forget memoized predictions (keeps registered sequences)."""
        self._memo.clear()


def _sources_of(spec: SeqSpec) -> set[str]:
    return {p.source for p in spec.edits if p.source is not None}


def as_engine(model_or_engine: Model | Engine, **kwargs) -> Engine:
    """Return ``model_or_engine`` if it is an :class:`Engine`, else a new one around the model."""
    if isinstance(model_or_engine, Engine):
        if kwargs:
            unknown = ", ".join(kwargs)
            raise TypeError(f"engine options ({unknown}) apply only when a model is passed")
        return model_or_engine
    return Engine(model_or_engine, **kwargs)


__all__ = ["Engine", "EngineStats", "Paste", "SeqSpec", "as_engine", "mean_over_bins", "sum_over_bins"]
