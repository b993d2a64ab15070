"""Model, engine and sequence windows of a run (built once per process)."""

from __future__ import annotations

import functools

import numpy as np

from creme_lib.inference import Engine
from creme_lib.models.base import Model
from creme_lib.pipeline.config import ENFORMER_PRESET, SEQ_LENGTHS, PipelineConfig
from creme_lib.tiles import tile_grid


def load_factory(spec: str):
    """The callable named by ``"package.module:function"`` (:class:`~creme_lib.pipeline.config.Preset` field ``model_factory``).

    Raises
    ------
    ValueError
        If ``spec`` is not of that form or names nothing callable.
    """
    import importlib

    mod, sep, attr = str(spec).partition(":")
    if not sep or not mod or not attr:
        raise ValueError(f"model_factory must be 'package.module:function', got {spec!r}")
    fn = getattr(importlib.import_module(mod), attr, None)
    if not callable(fn):
        raise ValueError(f"model_factory {spec!r} names nothing callable")
    return fn


@functools.lru_cache(maxsize=4)
def _build_model(model: str, cell_line: str, batch_size: int, bins: tuple[int, ...], handle: str | None,
                 replicates: tuple[str, ...] | None, precision: str, factory: str | None) -> Model:
    if factory is not None:
        built = load_factory(factory)(cell_line=cell_line, bins=list(bins), batch_size=batch_size)
        if not isinstance(built, Model) or built.seq_length != SEQ_LENGTHS[model] or built.output_shape[1] != 1:
            raise ValueError(
                f"model_factory {factory!r} must return a Model of {SEQ_LENGTHS[model]:,} bp with one selected "
                f"track (the {model} preset's window), got {built!r}"
            )
        return built
    if model == "synthetic":
        from creme_lib.world import SyntheticModel

        return SyntheticModel(bins=list(bins), tracks=[cell_line], batch_size=batch_size)
    if model == "enformer":
        from creme_lib.models.enformer import CAGE_TRACKS, Enformer

        return Enformer(handle or ENFORMER_PRESET.enformer_handle, tracks=[CAGE_TRACKS[cell_line]], bins=list(bins))
    if model == "borzoi":
        from creme_lib.models.borzoi import BORZOI_REPLICATES, Borzoi

        return Borzoi(replicates or BORZOI_REPLICATES, cell_line=cell_line, bins=list(bins), precision=precision)
    raise ValueError(f"unknown model {model!r}")


def get_model(cfg: PipelineConfig) -> Model:
    """The cell line's model (one output column, the TSS bins), built once per process."""
    return _build_model(cfg.model, cfg.cell_line, int(cfg.batch_size), tuple(cfg.bins), cfg.enformer_handle,
                        cfg.borzoi_replicates, cfg.precision, cfg.model_factory)


def make_engine(cfg: PipelineConfig) -> Engine:
    """A seeded engine on :func:`get_model` (no progress bars: notebooks log instead)."""
    return Engine(get_model(cfg), batch_size=cfg.batch_size, seed=cfg.seed, progress=False)


@functools.lru_cache(maxsize=4)
def _extractor(path: str):
    from creme_lib.sequence import FastaExtractor

    return FastaExtractor(path)


def load_window(cfg: PipelineConfig, chrom: str, tss: int, strand: str) -> np.ndarray:
    """One-hot ``(L, 4)`` float32 model input centred on a TSS, in gene orientation."""
    return _extractor(str(cfg.genome_fasta)).window(chrom, int(tss), SEQ_LENGTHS[cfg.model], strand)


def tiles_of(cfg: PipelineConfig) -> tuple[tuple[int, int], np.ndarray]:
    """The TSS tile and the ``(T, 2)`` CRE tiles (bp) of the model's window (38 for 5 kb tiles)."""
    return tile_grid(SEQ_LENGTHS[cfg.model], cfg.tile_size)
