"""The paper's analysis pipeline as resumable step functions, one per notebook.

Each step reads the tables of the steps before it, computes per gene (or per CRE) with
:meth:`creme_lib.store.ResultStore.run`, so a rerun skips what is done and a run killed at
any moment resumes without recomputing finished parts, and then writes its collected
tables atomically. The notebooks in ``notebooks/`` are thin wrappers: a ``parameters``
cell, one call per step, plots.

Steps (notebook stem: functions)

==========================  =====================================================================
``01_tss_activity``         :func:`select_genes`
``02_context_dependence``   :func:`run_context_dependence`, :func:`classify_contexts`
``03_context_swap``         :func:`run_context_swap`
``04_necessity``            :func:`run_necessity`
``05_sufficiency``          :func:`run_sufficiency`
``06_cre_marks``            :func:`run_cre_marks`
``07_fine_tile``            :func:`run_fine_tile`
``08_distance``             :func:`run_distance`
``09_higher_order``         :func:`run_higher_order`
``10_greedy_sufficiency``   :func:`run_greedy_sufficiency`
``11_multiplicity``         :func:`run_multiplicity`
(after all cell lines)      :func:`merge_tables`
==========================  =====================================================================

Layout under ``<results_dir>/<model>/`` (a :class:`~creme_lib.store.ResultStore` root)::

    <cell_line>/<test>/<id>.csv          per-gene / per-CRE parts (resumable)
    <cell_line>/<table>.csv              the cell line's tables (published schema)
    <table>.csv                          all cell lines (merge_tables), e.g. necessity_test.csv
    <track>_<cell_line>_selected_genes.csv, <cell_line>_selected_contexts.csv
    CRE_characterization/*.csv           as the paper's summary_csvs/CRE_characterization

so ``creme_lib.published.load_table("results", "synthetic", "necessity_test")`` reads a
fresh run like the published copy (and ``load_table("results/synthetic",
"CRE_characterization", ...)`` the CRE characterization tables).

Randomness: every shuffle is keyed by ``(seed, seq_id, test, shuffle index)`` through the
:class:`~creme_lib.inference.Engine`; context sampling uses ``random_state=42`` as the paper.
Nothing here draws unseeded random numbers, so shards, reruns and resumed runs agree.

Windows that run off a chromosome are padded with ``N`` by
:meth:`~creme_lib.sequence.FastaExtractor.window`; a TSS whose window is more than
``max_n_fraction`` (default 10 %) ``N`` is skipped and logged (table
``<cell_line>/skipped_tss.csv``): such a context is mostly padding, so its context and CRE
effects would not be comparable with the others'.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from creme_lib.analysis import PAPER, Thresholds, classify_context, classify_tiles, sample_contexts
from creme_lib.annotation import protein_coding_tss, seq_ids, window_to_genome
from creme_lib.experiments.fine_tile import PAPER_STAGES, merge_intervals
from creme_lib.inference import Engine
from creme_lib.models.base import Model
from creme_lib.perturb import SeqSpec, keep
from creme_lib.seeding import derive_rng
from creme_lib.store import ResultStore, atomic_write_csv, safe_name
from creme_lib.tiles import subtiles, tile_grid

# Named explicitly: under `python -m creme_lib.pipeline` __name__ is "__main__".
log = logging.getLogger("creme_lib.pipeline")

# ------------------------------------------------------------------------------ presets

#: Cell lines the paper studied (Enformer CAGE tracks 5111, 5110, 4824).
PAPER_CELL_LINES: tuple[str, ...] = ("K562", "GM12878", "PC-3")


@dataclass(frozen=True)
class Preset:
    """Sizes and model settings of a pipeline run.

    Attributes
    ----------
    n_genes : int
        Genes selected per cell line (top TSS activity, one TSS per gene).
    n_shuffles_context : int
        Shuffles of the context dependence test.
    n_shuffles : int
        Shuffles of every other test.
    tile_size : int
        CRE tile width, bp (the TSS tile is centred on the window).
    batch_size : int
        Sequences per model call.
    bins : tuple of int
        Output bins averaged into the TSS activity.
    max_per_category : int
        Contexts sampled per category (enhancing, neutral, silencing) for the CRE tests.
    swap_per_category : int or None
        Contexts per category entering the context swap test (``None``: all sampled).
    max_cres : int or None
        Sufficient CREs per class (Enhancer, Silencer) and cell line for the distance and
        multiplicity tests (``None``: all), strongest first.
    max_fine_tile : int or None
        Sufficient enhancers per cell line for the fine-tile search (``None``: all).
    max_greedy : int or None
        Sequences per direction for the higher-order interaction test (``None``: all
        enhancing / silencing contexts).
    n_greedy_rounds : int
        Rounds of the greedy search (tiles perturbed jointly at the end).
    n_copies : int
        CRE copies placed by the multiplicity test.
    fine_tile_stages : tuple of (int, float, int)
        Pruning stages of the fine-tile search (window bp, score threshold, batch).
    motif_pvalue : float
        p-value threshold of the motif scan compared with the fine-tile search.
    max_n_fraction : float
        A TSS whose window is more than this fraction ``N`` is skipped (and logged).
    enformer_handle : str or None
        TF Hub handle or local SavedModel of Enformer (``enformer`` model only).
    """

    n_genes: int
    n_shuffles_context: int
    n_shuffles: int
    tile_size: int = 5_000
    batch_size: int = 8
    bins: tuple[int, ...] = (447, 448)
    max_per_category: int = 200
    swap_per_category: int | None = None
    max_cres: int | None = None
    max_fine_tile: int | None = None
    max_greedy: int | None = None
    n_greedy_rounds: int = 10
    n_copies: int = 10
    fine_tile_stages: tuple[tuple[int, float, int], ...] = PAPER_STAGES
    motif_pvalue: float = 1e-5
    max_n_fraction: float = 0.1
    enformer_handle: str | None = None


#: The paper's parameters with Enformer (needs a GPU): 10,000 genes, 100 shuffles for the
#: context dependence test and 10 for the others, 5 kb tiles, the cell line's CAGE track at
#: TSS bins 447/448, 200 contexts per category, every sufficient CRE.
ENFORMER_PRESET = Preset(
    n_genes=10_000,
    n_shuffles_context=100,
    n_shuffles=10,
    tile_size=5_000,
    batch_size=8,
    bins=(447, 448),
    max_per_category=200,
    swap_per_category=None,
    max_cres=None,
    max_fine_tile=None,
    max_greedy=None,
    n_greedy_rounds=10,
    n_copies=10,
    enformer_handle="https://tfhub.dev/deepmind/enformer/1",
)

#: The embedded world's ground-truth model, sized so that three cell lines run in about
#: eight minutes on two shared CPU cores (measured; see the README), with fewer of
#: everything than the paper:
#:
#: * genes: all 192 of the world (its silenced genes are its least active ones, so a
#:   top-half cut like the paper's 10,000 of ~20,000 would leave no silencing context);
#: * shuffles: 3 for the context dependence test (with the wild type, one batch of 4 per
#:   gene) and 1 for the CRE tests (the world's model has no noise besides the shuffles,
#:   and a shuffle rarely creates a motif cluster, so one shuffle measures a tile);
#: * 4 contexts per category (paper: 200), 3 per category in the context swap test, the 2
#:   strongest sufficient CREs per class for the distance and multiplicity tests, 2
#:   enhancers for the fine-tile search, 2 sequences per direction, 3 rounds for the
#:   greedy search and 3 copies for the multiplicity test.
#:
#: Tiles (5 kb), TSS bins (447/448), thresholds and fine-tile stages are the paper's.
SYNTHETIC_PRESET = Preset(
    n_genes=192,
    n_shuffles_context=3,
    n_shuffles=1,
    tile_size=5_000,
    batch_size=4,
    bins=(447, 448),
    max_per_category=4,
    swap_per_category=3,
    max_cres=2,
    max_fine_tile=2,
    max_greedy=2,
    n_greedy_rounds=3,
    n_copies=3,
)

PRESETS: dict[str, Preset] = {"synthetic": SYNTHETIC_PRESET, "enformer": ENFORMER_PRESET}


def available_tracks(model: str) -> dict[str, int]:
    """Cell line -> track index of a model preset's output (for file names and checks)."""
    if model == "synthetic":
        from creme_lib.world import DEFAULT_MECHANISM, TRACK_NAMES

        return {c: DEFAULT_MECHANISM.track_names.index(n) for c, n in TRACK_NAMES.items()}
    if model == "enformer":
        # The table lives in the TF-importing module; these are its values (checked in tests).
        return {"K562": 5111, "GM12878": 5110, "PC-3": 4824}
    raise ValueError(f"unknown model {model!r}; presets: {', '.join(PRESETS)}")


# ------------------------------------------------------------------------------- config


@dataclass(frozen=True)
class PipelineConfig(Preset):
    """A resolved run configuration: a :class:`Preset` plus data, cell line, seed and shard.

    Build it with :func:`configure` (which checks inputs); fields as in :class:`Preset` and

    Attributes
    ----------
    cell_line : str
    model : str
        ``"synthetic"`` or ``"enformer"``.
    genome_fasta : Path
        Soft-masked genome.
    annotation_gtf : Path or None
        GTF (``None`` only for a single-locus run, which needs no annotation).
    bigwig_dir : Path or None
        Folder of ``<cell_line>.<mark>.bw`` tracks (step 06).
    results_dir : Path
        Parent of the model's results folder (``results/`` -> ``results/<model>/``).
    seed : int
        Global seed of every shuffle.
    shard_index, shard_count : int
        This process computes genes ``sorted(ids)[shard_index::shard_count]``; only an
        unsharded run (``shard_count == 1``) writes tables.
    """

    cell_line: str = "K562"
    model: str = "synthetic"
    genome_fasta: Path = Path("genome.fa")
    annotation_gtf: Path | None = None
    bigwig_dir: Path | None = None
    results_dir: Path = Path("results")
    seed: int = 0
    shard_index: int = 0
    shard_count: int = 1

    @property
    def root(self) -> Path:
        """``results_dir / model``: the result store root."""
        return Path(self.results_dir) / self.model

    @property
    def track_id(self) -> int:
        """Index of the cell line's track in the model's full output (file names)."""
        return available_tracks(self.model)[self.cell_line]

    @property
    def collecting(self) -> bool:
        """Whether this run writes tables (an unsharded run)."""
        return self.shard_count == 1

    @property
    def thresholds(self) -> Thresholds:
        return dataclasses.replace(PAPER, max_per_category=self.max_per_category)

    def store(self) -> ResultStore:
        return ResultStore(self.root)

    def summary(self) -> pd.DataFrame:
        """The settings as a two-column table (for the notebooks)."""
        rows = [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self)]
        return pd.DataFrame(rows, columns=["parameter", "value"]).astype({"value": str})


_INT_FIELDS = {"n_genes", "n_shuffles_context", "n_shuffles", "tile_size", "batch_size", "max_per_category",
               "swap_per_category", "max_cres", "max_fine_tile", "max_greedy", "n_greedy_rounds", "n_copies"}
_FLOAT_FIELDS = {"motif_pvalue", "max_n_fraction"}


def _coerce(name: str, value: Any) -> Any:
    """A preset field's value from a notebook or command-line parameter (may be a string)."""
    if isinstance(value, str) and name != "enformer_handle":
        import yaml

        value = yaml.safe_load(value)
    try:
        if name in _INT_FIELDS:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if name in _FLOAT_FIELDS:
            return float(value)
        if name == "bins":
            return tuple(int(b) for b in value)
        if name == "fine_tile_stages":
            return tuple((int(w), float(t), int(b)) for w, t, b in value)
    except (TypeError, ValueError):
        raise ValueError(f"bad value for {name}: {value!r}") from None
    return value


def configure(
    cell_line: str,
    model: str = "synthetic",
    genome_fasta: str | os.PathLike | None = None,
    annotation_gtf: str | os.PathLike | None = None,
    bigwig_dir: str | os.PathLike | None = None,
    results_dir: str | os.PathLike = "results",
    seed: int = 0,
    shard_index: int = 0,
    shard_count: int = 1,
    require_annotation: bool = True,
    **overrides: Any,
) -> PipelineConfig:
    """Resolve a run's configuration from the model preset and explicit parameters.

    Parameters
    ----------
    cell_line : str
        Must have a track in the model (K562, GM12878, PC-3).
    model : {"synthetic", "enformer"}
        Picks the preset (``PRESETS``); the notebooks and Snakefile pass it through.
    genome_fasta, annotation_gtf : path, optional
        ``None``: the embedded world's genome and annotation (generated on first use).
    bigwig_dir : path, optional
        ``None``: the ``bigwig/`` folder next to the genome if there is one.
    results_dir : path
        Results parent folder; the store is ``results_dir/model``.
    seed, shard_index, shard_count : int
    require_annotation : bool
        With ``False`` (the locus notebook) an ``annotation_gtf`` of ``None`` stays ``None``
        instead of falling back to the embedded world's.
    **overrides
        Any :class:`Preset` field; ``None`` keeps the preset's value.

    Raises
    ------
    ValueError
        Unknown model or preset field, a cell line without a track (the message names
        the available ones), bad shard numbers or sizes.
    FileNotFoundError
        A FASTA, GTF or bigWig folder that was named but does not exist.
    """
    if model not in PRESETS:
        raise ValueError(f"unknown model {model!r}; presets: {', '.join(PRESETS)}")
    tracks = available_tracks(model)
    if cell_line not in tracks:
        raise ValueError(
            f"model {model!r} has no track for cell line {cell_line!r}; available tracks: {', '.join(tracks)}"
        )
    preset = PRESETS[model]
    names = {f.name for f in dataclasses.fields(Preset)}
    unknown = set(overrides) - names
    if unknown:
        raise ValueError(f"unknown pipeline parameter(s) {sorted(unknown)}; preset fields: {sorted(names)}")
    values = {k: _coerce(k, v) for k, v in overrides.items() if v is not None}
    if genome_fasta is None or (annotation_gtf is None and require_annotation):
        from creme_lib.world import default_world

        world = default_world()
        genome_fasta = world.fasta if genome_fasta is None else genome_fasta
        annotation_gtf = world.gtf if annotation_gtf is None and require_annotation else annotation_gtf
    genome_fasta = Path(genome_fasta)
    if not genome_fasta.is_file():
        raise FileNotFoundError(f"genome FASTA not found: {genome_fasta}")
    if annotation_gtf is not None:
        annotation_gtf = Path(annotation_gtf)
        if not annotation_gtf.is_file():
            raise FileNotFoundError(f"annotation GTF not found: {annotation_gtf}")
        annotation_gtf = annotation_gtf.resolve()
    if bigwig_dir is None:
        guess = genome_fasta.parent / "bigwig"
        bigwig_dir = guess if guess.is_dir() else None
    elif not Path(bigwig_dir).is_dir():
        raise FileNotFoundError(f"bigWig folder not found: {bigwig_dir}")
    shard_count, shard_index, seed = int(shard_count), int(shard_index), int(seed)
    if shard_count < 1 or not 0 <= shard_index < shard_count:
        raise ValueError(f"need 0 <= shard_index < shard_count, got {shard_index} / {shard_count}")
    cfg = PipelineConfig(
        **{**dataclasses.asdict(preset), **values},
        cell_line=cell_line,
        model=model,
        genome_fasta=genome_fasta.resolve(),
        annotation_gtf=annotation_gtf,
        bigwig_dir=None if bigwig_dir is None else Path(bigwig_dir).resolve(),
        results_dir=Path(results_dir),
        seed=int(seed),
        shard_index=shard_index,
        shard_count=shard_count,
    )
    for name in ("n_genes", "n_shuffles_context", "n_shuffles", "tile_size", "batch_size", "n_greedy_rounds", "n_copies"):
        if int(getattr(cfg, name)) < 1:
            raise ValueError(f"{name} must be >= 1, got {getattr(cfg, name)}")
    if not 0.0 <= cfg.max_n_fraction <= 1.0:
        raise ValueError(f"max_n_fraction must be in [0, 1], got {cfg.max_n_fraction}")
    return cfg


def setup_logging(level: int = logging.INFO) -> None:
    """Send this module's log (skips, warnings, progress) to stdout, as notebooks show it."""
    logger = logging.getLogger("creme_lib")
    if not any(getattr(h, "_creme_pipeline", False) for h in logger.handlers):
        h = logging.StreamHandler(sys.stdout)
        h.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        h._creme_pipeline = True  # type: ignore[attr-defined]
        logger.addHandler(h)
    logger.setLevel(level)


# ------------------------------------------------------------------------- model, data


@functools.lru_cache(maxsize=4)
def _build_model(model: str, cell_line: str, batch_size: int, bins: tuple[int, ...], handle: str | None) -> Model:
    if model == "synthetic":
        from creme_lib.world import SyntheticModel

        return SyntheticModel(bins=list(bins), tracks=[cell_line], batch_size=batch_size)
    if model == "enformer":
        from creme_lib.models.enformer import CAGE_TRACKS, Enformer

        return Enformer(handle or ENFORMER_PRESET.enformer_handle, tracks=[CAGE_TRACKS[cell_line]], bins=list(bins))
    raise ValueError(f"unknown model {model!r}")


def get_model(cfg: PipelineConfig) -> Model:
    """The cell line's model (one output track, the TSS bins), built once per process."""
    return _build_model(cfg.model, cfg.cell_line, int(cfg.batch_size), tuple(cfg.bins), cfg.enformer_handle)


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


#: Input length (bp) of each preset's model, known without loading it.
SEQ_LENGTHS: dict[str, int] = {"synthetic": 196_608, "enformer": 196_608}


def tiles_of(cfg: PipelineConfig) -> tuple[tuple[int, int], np.ndarray]:
    """The TSS tile and the ``(T, 2)`` CRE tiles (bp) of the model's window (38 for 5 kb tiles)."""
    return tile_grid(SEQ_LENGTHS[cfg.model], cfg.tile_size)


def _shard(cfg: PipelineConfig, ids: Iterable[str]) -> list[str]:
    return sorted(set(ids))[cfg.shard_index :: cfg.shard_count]


def _drop_track(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=["track"], errors="ignore")


def _cell_table_path(cfg: PipelineConfig, name: str) -> Path:
    return cfg.root / safe_name(cfg.cell_line) / f"{name}.csv"


def _write_cell_table(cfg: PipelineConfig, name: str, df: pd.DataFrame, why_empty: str = "", index: bool = False) -> Path:
    """Write a cell line's table atomically; an empty one is written (headers) and logged."""
    if df.empty:
        log.warning("%s: table %s is empty%s", cfg.cell_line, name, f" ({why_empty})" if why_empty else "")
    return atomic_write_csv(df, _cell_table_path(cfg, name), index=index)


def read_cell_table(cfg: PipelineConfig, name: str, step: str = "", index_col: int | None = None) -> pd.DataFrame:
    """A cell line's table written by an earlier step.

    Raises
    ------
    FileNotFoundError
        Naming the step that writes it.
    """
    path = _cell_table_path(cfg, name)
    if not path.is_file():
        hint = f"; run step {step} for {cfg.cell_line} first" if step else ""
        raise FileNotFoundError(f"table not found: {path}{hint}")
    return pd.read_csv(path, index_col=index_col)


def selected_genes_path(cfg: PipelineConfig) -> Path:
    """``<root>/<track>_<cell_line>_selected_genes.csv`` (the paper's file name)."""
    return cfg.root / f"{cfg.track_id}_{cfg.cell_line}_selected_genes.csv"


def selected_contexts_path(cfg: PipelineConfig) -> Path:
    return cfg.root / f"{cfg.cell_line}_selected_contexts.csv"


def load_selected_genes(cfg: PipelineConfig) -> pd.DataFrame:
    """Step 01's selection with ``seq_id`` and ``wt`` columns; ``FileNotFoundError`` if not run."""
    p = selected_genes_path(cfg)
    if not p.is_file():
        raise FileNotFoundError(f"selected genes not found: {p}; run step 01_tss_activity for {cfg.cell_line} first")
    df = pd.read_csv(p, dtype={"Chromosome": str})
    return df.assign(seq_id=seq_ids(df).to_numpy(), wt=df[cfg.cell_line].to_numpy())


def load_selected_contexts(cfg: PipelineConfig) -> pd.DataFrame:
    """Step 02's sampled contexts joined with their genes (``Chromosome, Start, Strand``...)."""
    p = selected_contexts_path(cfg)
    if not p.is_file():
        raise FileNotFoundError(f"selected contexts not found: {p}; run step 02_context_dependence for {cfg.cell_line} first")
    ctx = pd.read_csv(p)
    genes = load_selected_genes(cfg)[["seq_id", "Chromosome", "Start", "Strand", "gene_name", "gene_id"]]
    return ctx.merge(genes, on="seq_id", how="left", validate="one_to_one")


def _genes_by_id(df: pd.DataFrame) -> dict[str, pd.Series]:
    return {r.seq_id: r for r in df.itertuples(index=False)}  # type: ignore[misc]


def _run_parts(cfg: PipelineConfig, test: str, ids: Sequence[str], fn: Callable[[str], pd.DataFrame]) -> list[str]:
    """``store.run`` over this shard's ids, logging what was computed and what was reused."""
    store = cfg.store()
    mine = _shard(cfg, ids)
    done = store.run(cfg.cell_line, test, mine, fn, progress=False)
    log.info(
        "%s %s: %d parts computed, %d reused (shard %d/%d of %d ids)",
        cfg.cell_line, test, len(done), len(mine) - len(done), cfg.shard_index, cfg.shard_count, len(set(ids)),
    )
    return sorted(set(ids))


def _collect(cfg: PipelineConfig, test: str, ids: Sequence[str]) -> pd.DataFrame:
    store = cfg.store()
    missing = [i for i in ids if not store.done(cfg.cell_line, test, i)]
    if missing:
        raise RuntimeError(f"{cfg.cell_line} {test}: {len(missing)} parts missing (e.g. {missing[0]}); rerun the step")
    return store.collect(cfg.cell_line, test, ids)


# ------------------------------------------------------------------- 01 TSS activity

TSS_CHUNK = 64  # TSSs per part of step 01 (one model call per batch, few small files)


def tss_table(cfg: PipelineConfig) -> pd.DataFrame:
    """Protein-coding TSSs of the annotation with ``seq_id`` (see :mod:`creme_lib.annotation`)."""
    if cfg.annotation_gtf is None:
        raise FileNotFoundError("no annotation GTF configured (annotation_gtf=None with require_annotation=False)")
    t = protein_coding_tss(cfg.annotation_gtf)
    return t.assign(seq_id=seq_ids(t).to_numpy())


def select_genes(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 01: wild-type TSS activity of every protein-coding TSS; top genes per cell line.

    Predicts each TSS's window (mean over :attr:`Preset.bins` of the cell line's track),
    keeps the most active TSS of each gene (``gene_name``), and selects the ``n_genes``
    most active genes, as the paper's ``filter_tss.py``.

    Writes
    ------
    ``<cell>/tss_activity.csv``
        Every TSS: ``seq_id, Chromosome, Start, gene_name, gene_id, Strand, transcript_id,
        activity, n_fraction``.
    ``<cell>/skipped_tss.csv``
        TSSs skipped because of their window (chromosome missing from the FASTA, or more
        than ``max_n_fraction`` ``N``), with the reason.
    ``<track>_<cell>_selected_genes.csv``
        ``Chromosome, Start, gene_name, gene_id, Strand, <cell_line>`` in ascending
        activity, the paper's schema.

    Returns
    -------
    pandas.DataFrame or None
        The selection (``None`` for a shard run, which only computes parts).

    Raises
    ------
    ValueError
        If ``n_genes`` exceeds the genes with a usable TSS.
    """
    tss = tss_table(cfg)
    n_avail = tss["gene_name"].nunique()
    if cfg.n_genes > n_avail:
        raise ValueError(
            f"n_genes={cfg.n_genes} but the annotation has only {n_avail} protein-coding genes ({cfg.annotation_gtf})"
        )
    chunks = {f"chunk{i // TSS_CHUNK:06d}": tss.iloc[i : i + TSS_CHUNK] for i in range(0, len(tss), TSS_CHUNK)}
    fx = _extractor(str(cfg.genome_fasta))

    def compute(chunk_id: str) -> pd.DataFrame:
        rows = chunks[chunk_id].copy()
        engine = make_engine(cfg)
        L = engine.seq_length
        nfrac = np.full(len(rows), np.nan)
        reason = np.array([""] * len(rows), dtype=object)
        names = []
        for j, r in enumerate(rows.itertuples(index=False)):
            if r.Chromosome not in fx.chrom_sizes:
                reason[j] = f"chromosome {r.Chromosome} not in the FASTA"
                continue
            x = load_window(cfg, r.Chromosome, r.Start, r.Strand)
            nfrac[j] = 1.0 - float(x.sum()) / L
            if nfrac[j] > cfg.max_n_fraction:
                reason[j] = f"window {nfrac[j]:.1%} N (> {cfg.max_n_fraction:.0%})"
                continue
            names.append(engine.register(r.seq_id, x))
        act = np.full(len(rows), np.nan)
        if names:
            from creme_lib.perturb import wild_type

            pred = engine.predict([wild_type(n) for n in names])[:, 0]
            pos = {n: i for i, n in enumerate(names)}
            for j, sid in enumerate(rows.seq_id):
                if sid in pos:
                    act[j] = pred[pos[sid]]
        return rows.assign(activity=act, n_fraction=nfrac, skipped=reason)

    _run_parts(cfg, "tss_activity", list(chunks), compute)
    if not cfg.collecting:
        return None
    df = _collect(cfg, "tss_activity", list(chunks))
    # Parts store "" for usable TSSs, which CSV reads back as NaN.
    df["skipped"] = ["" if pd.isna(v) else str(v) for v in df["skipped"]]
    skipped = df[df["skipped"] != ""]
    for r in skipped.itertuples(index=False):
        log.warning("%s: skipped TSS %s: %s", cfg.cell_line, r.seq_id, r.skipped)
    _write_cell_table(cfg, "skipped_tss", skipped[["seq_id", "gene_id", "skipped", "n_fraction"]])
    ok = df[df["skipped"] == ""].drop(columns=["skipped"])
    _write_cell_table(cfg, "tss_activity", ok, "no usable TSS")
    best = ok.sort_values(["activity", "seq_id"], ascending=[False, True], kind="mergesort").drop_duplicates("gene_name")
    if cfg.n_genes > len(best):
        raise ValueError(
            f"n_genes={cfg.n_genes} but only {len(best)} genes have a usable TSS window "
            f"({len(skipped)} TSSs skipped, see {_cell_table_path(cfg, 'skipped_tss')})"
        )
    sel = best.sort_values(["activity", "seq_id"], kind="mergesort").iloc[-cfg.n_genes :]
    out = sel[["Chromosome", "Start", "gene_name", "gene_id", "Strand"]].assign(**{cfg.cell_line: sel["activity"].to_numpy()})
    atomic_write_csv(out, selected_genes_path(cfg))
    return out


# ------------------------------------------------------------- 02 context dependence


def run_context_dependence(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 02: context dependence test of every selected gene (``n_shuffles_context``).

    Writes ``<cell>/context_dependence_test.csv``: ``delta_mean, path, wt, std, mean_mut,
    seq_id, context, cell_line`` (``path``: the gene's part, relative to the results root,
    where the paper had its pickle; ``context``: enhancing/neutral/silencing or ``other``).
    """
    from creme_lib.experiments import context_dependence_test

    genes = load_selected_genes(cfg)
    by_id = _genes_by_id(genes)
    tss_tile, _ = tiles_of(cfg)

    def compute(sid: str) -> pd.DataFrame:
        g = by_id[sid]
        engine = make_engine(cfg)
        x = load_window(cfg, g.Chromosome, g.Start, g.Strand)
        return _drop_track(context_dependence_test(engine, x, tss_tile, cfg.n_shuffles_context, name=sid).to_frame())

    ids = _run_parts(cfg, "context_dependence", genes.seq_id, compute)
    if not cfg.collecting:
        return None
    df = _collect(cfg, "context_dependence", ids)
    ctx = classify_context(df["delta_mean"].to_numpy(), cfg.thresholds)
    df = df.assign(
        path=[f"{safe_name(cfg.cell_line)}/context_dependence/{safe_name(s)}.csv" for s in df.seq_id],
        context=np.where(ctx == None, "other", ctx),  # noqa: E711 - elementwise on an object array
        cell_line=cfg.cell_line,
    )
    df = df[["delta_mean", "path", "wt", "std", "mean_mut", "seq_id", "context", "cell_line"]]
    _write_cell_table(cfg, "context_dependence_test", df)
    return df


def classify_contexts(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 02b: context categories and the sample of at most ``max_per_category`` each.

    Enhancing ``delta_mean > 0.95``, neutral ``|x| < 0.05``, silencing ``< -0.3``;
    :func:`creme_lib.analysis.sample_contexts` with ``random_state=42``.

    Writes ``<cell>_selected_contexts.csv`` (``delta_mean, path, wt, std, mean_mut,
    seq_id, context, cell_line``) and ``<cell>/N_seqs_per_context_category.csv`` (``cell
    line, context category, Number of contexts, Number of contexts after sampling``).
    """
    if not cfg.collecting:
        return None
    table = read_cell_table(cfg, "context_dependence_test", "02_context_dependence")
    sel = sample_contexts(table.drop(columns=["context"]), cfg.thresholds, seed=42)
    sel = sel[["delta_mean", "path", "wt", "std", "mean_mut", "seq_id", "context", "cell_line"]]
    if sel.empty:
        log.warning("%s: no context is enhancing, neutral or silencing; the CRE tests have nothing to test", cfg.cell_line)
    atomic_write_csv(sel, selected_contexts_path(cfg))
    counts = pd.DataFrame(
        {
            "cell line": cfg.cell_line,
            "context category": ["enhancing", "neutral", "silencing"],
            "Number of contexts": [int((table["context"] == c).sum()) for c in ("enhancing", "neutral", "silencing")],
            "Number of contexts after sampling": [int((sel["context"] == c).sum()) for c in ("enhancing", "neutral", "silencing")],
        }
    )
    _write_cell_table(cfg, "N_seqs_per_context_category", counts)
    return sel


# -------------------------------------------------------------------- 03 context swap


def swap_contexts(cfg: PipelineConfig) -> pd.DataFrame:
    """The contexts entering the swap test: up to ``swap_per_category`` per category.

    The first ones of each category in ``seq_id`` order (the sample is already random).
    """
    ctx = load_selected_contexts(cfg)
    if cfg.swap_per_category is None:
        return ctx.sort_values("seq_id").reset_index(drop=True)
    parts = [g.sort_values("seq_id").head(cfg.swap_per_category) for _, g in ctx.groupby("context", sort=True)]
    return pd.concat(parts).reset_index(drop=True) if parts else ctx.iloc[:0]


def run_context_swap(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 03: every swap TSS pasted into every swap context (one part per source TSS).

    Writes ``<cell>/context_swap_test.csv``: ``source_seq_id, target_seq_id, wt_source,
    wt_target, mut, Normalized context effect`` (``(MUT - WT_source) / WT_source``),
    ``source context, target context, cell_line``.
    """
    from creme_lib.experiments import context_swap_test

    ctx = swap_contexts(cfg)
    by_id = _genes_by_id(ctx)
    ids = sorted(ctx.seq_id)
    tss_tile, _ = tiles_of(cfg)
    state: dict[str, Any] = {}

    def compute(sid: str) -> pd.DataFrame:
        if "engine" not in state:  # register every context once, shared by all sources
            engine = make_engine(cfg)
            for t in ids:
                g = by_id[t]
                engine.register(t, load_window(cfg, g.Chromosome, g.Start, g.Strand))
            state["engine"] = engine
        engine = state["engine"]
        g = by_id[sid]
        # Every target is registered already; re-registering the source is a no-op.
        x = {sid: load_window(cfg, g.Chromosome, g.Start, g.Strand)}
        return _drop_track(context_swap_test(engine, x, tss_tile, sources=[sid], targets=ids).to_frame())

    _run_parts(cfg, "context_swap", ids, compute)
    if not cfg.collecting:
        return None
    df = _collect(cfg, "context_swap", ids)
    cat = dict(zip(ctx.seq_id, ctx.context))
    if not df.empty:
        df = df.assign(
            **{
                "source context": df.source_seq_id.map(cat),
                "target context": df.target_seq_id.map(cat),
                "cell_line": cfg.cell_line,
            }
        )
    else:
        df = pd.DataFrame(columns=["source_seq_id", "target_seq_id", "wt_source", "wt_target", "mut",
                                   "Normalized context effect", "source context", "target context", "cell_line"])
    _write_cell_table(cfg, "context_swap_test", df, "no selected contexts")
    return df


# ---------------------------------------------------------- 04 necessity, 05 sufficiency

NECESSITY_COLUMNS = ["Normalized shuffle effect", "seq_id", "tile_start", "tile_end", "context", "cell_line"]
SUFFICIENCY_COLUMNS = [
    "(MUT - CONTROL) / WT", "(MUT - CONTROL) / CONTROL", "seq_id", "control", "wt", "mut",
    "tile_start", "tile_end", "context", "cell_line", "Normalized CRE effect",
]
COORDINATE_COLUMNS = [
    "chromosome", "CRE start coordinate", "CRE end coordinate", "strand", "gene", "TSS coordinate",
    "cell line", "CRE type", "normalized effect",
]


def _per_context_test(cfg: PipelineConfig, test: str, run: Callable[[Engine, np.ndarray, str], pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    ctx = load_selected_contexts(cfg)
    by_id = _genes_by_id(ctx)

    def compute(sid: str) -> pd.DataFrame:
        g = by_id[sid]
        return _drop_track(run(make_engine(cfg), load_window(cfg, g.Chromosome, g.Start, g.Strand), sid))

    ids = _run_parts(cfg, test, ctx.seq_id, compute)
    if not cfg.collecting:
        return None
    return _collect(cfg, test, ids), ctx


def cre_coordinates(cfg: PipelineConfig, cres: pd.DataFrame, effect: str) -> pd.DataFrame:
    """Genome coordinates of CRE tiles, as ``CRE_characterization/*_CRE_coordinates.csv``.

    Parameters
    ----------
    cres : pandas.DataFrame
        ``seq_id, tile_start, tile_end, tile class`` and the ``effect`` column.
    """
    genes = load_selected_genes(cfg).set_index("seq_id")
    if cres.empty:
        return pd.DataFrame(columns=COORDINATE_COLUMNS)
    g = genes.loc[cres["seq_id"]]
    a, b = window_to_genome(g["Start"].to_numpy(), g["Strand"].to_numpy(), cres["tile_start"].to_numpy(),
                            cres["tile_end"].to_numpy(), SEQ_LENGTHS[cfg.model])
    return pd.DataFrame(
        {
            "chromosome": g["Chromosome"].to_numpy(),
            "CRE start coordinate": a,
            "CRE end coordinate": b,
            "strand": g["Strand"].to_numpy(),
            "gene": g["gene_name"].to_numpy(),
            "TSS coordinate": g["Start"].to_numpy(),
            "cell line": cfg.cell_line,
            "CRE type": cres["tile class"].to_numpy(),
            "normalized effect": cres[effect].to_numpy(),
        }
    )


def run_necessity(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 04: necessity test (shuffle one tile at a time) of every selected context.

    Writes ``<cell>/necessity_test.csv`` (``NECESSITY_COLUMNS``),
    ``<cell>/necessary_CREs.csv`` (+ ``tile class``: Enhancer if the effect is ``> 0.3``
    in an enhancing context, Silencer if ``< -0.3`` in a silencing one) and
    ``<cell>/CRE_characterization/necessary_CRE_coordinates.csv``.
    """
    from creme_lib.experiments import necessity_test

    _, tiles = tiles_of(cfg)
    got = _per_context_test(
        cfg, "necessity", lambda e, x, sid: necessity_test(e, x, tiles, cfg.n_shuffles, name=sid).to_frame()
    )
    if got is None:
        return None
    df, ctx = got
    if df.empty:
        df = pd.DataFrame(columns=NECESSITY_COLUMNS)
    else:
        df = df.merge(ctx[["seq_id", "context"]], on="seq_id", how="left").assign(cell_line=cfg.cell_line)[NECESSITY_COLUMNS]
    _write_cell_table(cfg, "necessity_test", df, "no selected contexts")
    cls = classify_tiles(df["Normalized shuffle effect"].to_numpy(), df["context"].to_numpy(), cfg.thresholds.necessity)
    cres = df[cls != None].assign(**{"tile class": cls[cls != None]})  # noqa: E711
    _write_cell_table(cfg, "necessary_CREs", cres, "no tile passes the necessity threshold")
    _write_cell_table(cfg, "CRE_characterization/necessary_CRE_coordinates", cre_coordinates(cfg, cres, "Normalized shuffle effect"))
    return df


def run_sufficiency(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 05: sufficiency test (TSS tile + one tile in shuffled backgrounds) of every context.

    ``Normalized CRE effect`` is ``(MUT - CONTROL) / WT`` in enhancing contexts and
    ``(MUT - CONTROL) / CONTROL`` elsewhere, as in the published ``sufficient_CREs.csv``.

    Writes ``<cell>/sufficiency_test.csv`` (``SUFFICIENCY_COLUMNS``),
    ``<cell>/sufficient_CREs.csv`` (+ ``tile class``, threshold 0.3),
    ``<cell>/CRE_characterization/sufficient_CRE_coordinates.csv`` and
    ``<cell>/sufficiency_test_tile_coordinates.csv``.
    """
    from creme_lib.experiments import sufficiency_test

    tss_tile, tiles = tiles_of(cfg)
    got = _per_context_test(
        cfg, "sufficiency",
        lambda e, x, sid: sufficiency_test(e, x, tss_tile, tiles, cfg.n_shuffles, name=sid).to_frame(),
    )
    if got is None:
        return None
    df, ctx = got
    coords = pd.DataFrame(
        {**{str(i): [int(a), int(b)] for i, (a, b) in enumerate(tiles)}, "tss": [int(tss_tile[0]), int(tss_tile[1])]}
    )
    _write_cell_table(cfg, "sufficiency_test_tile_coordinates", coords, index=True)
    if df.empty:
        df = pd.DataFrame(columns=SUFFICIENCY_COLUMNS)
    else:
        df = df.merge(ctx[["seq_id", "context"]], on="seq_id", how="left").assign(cell_line=cfg.cell_line)
        enh = df["context"].to_numpy() == "enhancing"
        df["Normalized CRE effect"] = np.where(enh, df["(MUT - CONTROL) / WT"], df["(MUT - CONTROL) / CONTROL"])
        df = df[SUFFICIENCY_COLUMNS]
    _write_cell_table(cfg, "sufficiency_test", df, "no selected contexts")
    eff = df["Normalized CRE effect"].to_numpy(np.float64)
    cls = classify_tiles(eff, df["context"].to_numpy(), cfg.thresholds.sufficiency)
    cres = df[cls != None].assign(**{"tile class": cls[cls != None]})  # noqa: E711
    _write_cell_table(cfg, "sufficient_CREs", cres, "no tile passes the sufficiency threshold")
    _write_cell_table(cfg, "CRE_characterization/sufficient_CRE_coordinates", cre_coordinates(cfg, cres, "Normalized CRE effect"))
    return df


def load_sufficient_cres(cfg: PipelineConfig, tile_class: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """Sufficient CREs of the cell line (strongest ``|Normalized CRE effect|`` first), with genes.

    Adds ``enf_data_id`` (``{seq_id}_{tile_start}_{tile_end}``) and the gene columns.
    """
    cres = read_cell_table(cfg, "sufficient_CREs", "05_sufficiency")
    if tile_class is not None:
        cres = cres[cres["tile class"] == tile_class]
    cres = cres.assign(_abs=cres["Normalized CRE effect"].abs()).sort_values(
        ["tile class", "_abs", "seq_id", "tile_start"], ascending=[True, False, True, True], kind="mergesort"
    )
    if limit is not None:
        cres = cres.groupby("tile class", sort=True).head(limit)
    cres = cres.drop(columns="_abs")
    genes = load_selected_genes(cfg)[["seq_id", "Chromosome", "Start", "Strand", "gene_name", "gene_id"]]
    cres = cres.merge(genes, on="seq_id", how="left")
    ids = cres.seq_id + "_" + cres.tile_start.astype(str) + "_" + cres.tile_end.astype(str)
    return cres.assign(enf_data_id=ids.to_numpy()).reset_index(drop=True)


# ------------------------------------------------------------------------- 06 marks


def run_cre_marks(cfg: PipelineConfig) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Step 06: bigWig signal and repeat content of sufficient CREs; enhancers vs silencers.

    For every sufficient CRE: mean and max of each ``<cell_line>.<mark>.bw`` track in
    ``bigwig_dir`` over the CRE's genome interval, and its soft-masked (repeat) fraction;
    then two-sided Mann-Whitney U tests between enhancers and silencers
    (:func:`creme_lib.marks.compare_groups`, Bonferroni ``sign``).

    Writes ``<cell>/CRE_characterization/sufficient_CRE_marks.csv`` and
    ``<cell>/CRE_characterization/pvalues_per_TF_for_sufficient_CREs.csv``
    (:func:`merge_tables` recomputes the latter pooling all cell lines).

    Raises
    ------
    FileNotFoundError
        If no bigWig folder was given (or found next to the genome) or it has no track
        of the cell line.
    """
    from creme_lib.marks import compare_groups, find_bigwigs, mark_table

    if cfg.bigwig_dir is None:
        raise FileNotFoundError(
            "step 06 needs bigWig tracks: pass bigwig_dir=<folder with '<cell_line>.<mark>.bw' files>"
        )
    bigwigs = find_bigwigs(cfg.bigwig_dir, cfg.cell_line)
    cres = load_sufficient_cres(cfg)
    coords = cre_coordinates(cfg, cres, "Normalized CRE effect")
    coords = coords.assign(seq_id=cres["seq_id"].to_numpy(), tile_start=cres["tile_start"].to_numpy(),
                           tile_end=cres["tile_end"].to_numpy())

    def compute(sid: str) -> pd.DataFrame:
        rows = coords[coords.seq_id == sid]
        iv = pd.DataFrame({"chrom": rows["chromosome"], "start": rows["CRE start coordinate"],
                           "end": rows["CRE end coordinate"]})
        t = mark_table(iv, bigwigs, cfg.genome_fasta)
        return pd.concat([rows.reset_index(drop=True), t.drop(columns=["chrom", "start", "end"]).reset_index(drop=True)], axis=1)

    ids = _run_parts(cfg, "cre_marks", coords.seq_id, compute)
    if not cfg.collecting:
        return None
    marks = _collect(cfg, "cre_marks", ids)
    if marks.empty:
        cols = list(coords.columns) + [f"{m} ({s})" for m in bigwigs for s in ("mean", "max")] + ["repeat fraction"]
        marks = pd.DataFrame(columns=cols)
    _write_cell_table(cfg, "CRE_characterization/sufficient_CRE_marks", marks, "no sufficient CREs")
    mark_cols = [c for c in marks.columns if c.endswith(" (mean)") or c.endswith(" (max)") or c == "repeat fraction"]
    pv = compare_groups(marks.astype({c: float for c in mark_cols}), marks=mark_cols, group="CRE type")
    _write_cell_table(cfg, "CRE_characterization/pvalues_per_TF_for_sufficient_CREs", pv)
    return marks, pv


# -------------------------------------------------------------------- 07 fine tiles

MOTIF_BACKGROUND = np.array([0.25, 0.25, 0.25, 0.25])


@functools.lru_cache(maxsize=1)
def jaspar_pwms(collection: str = "CORE", tax_group: str = "vertebrates") -> dict[str, np.ndarray]:
    """JASPAR position probability matrices from pyjaspar's bundled database (offline).

    Returns
    -------
    dict
        ``"<matrix_id> <name>"`` -> ``(4, width)`` float64 probabilities (rows A, C, G, T).
    """
    from pyjaspar import jaspardb

    out = {}
    for m in jaspardb().fetch_motifs(collection=collection, tax_group=[tax_group]):
        c = np.array([m.counts[b] for b in "ACGT"], dtype=np.float64)
        out[f"{m.matrix_id} {m.name}"] = c / c.sum(axis=0, keepdims=True)
    return out


def _score_threshold(w: np.ndarray, bg: np.ndarray, pvalue: float) -> tuple[int, np.ndarray, int]:
    """Exact score distribution of integer log-odds ``w`` ``(4, W)`` under an iid background.

    Returns ``(threshold, survival, offset)``: the smallest score with ``P(S >= s) <= pvalue``
    and ``P(S >= s)`` indexed by ``s - offset``.
    """
    lo = int(w.min(axis=0).sum())
    dist = np.zeros(1)
    dist[0] = 1.0
    off = 0
    for j in range(w.shape[1]):
        col = w[:, j]
        cmin, cmax = int(col.min()), int(col.max())
        step = np.zeros(cmax - cmin + 1)
        np.add.at(step, col - cmin, bg)
        dist = np.convolve(dist, step)
        off += cmin
    assert off == lo
    sf = np.cumsum(dist[::-1])[::-1]
    ok = np.flatnonzero(sf <= pvalue)
    thr = int(ok[0] + off) if ok.size else int(off + len(sf))
    return thr, sf, off


def motif_hits(
    x: np.ndarray,
    pwms: dict[str, np.ndarray] | None = None,
    pvalue: float = 1e-5,
    background: np.ndarray = MOTIF_BACKGROUND,
    resolution: float = 0.1,
) -> pd.DataFrame:
    """A FIMO-style log-odds scan of one sequence with exact p-values.

    Log-odds ``log2((p + 0.01) / (1.04 bg))`` are rounded to ``resolution`` bits, so the
    score distribution under the iid background is exact (dynamic programming, as FIMO).
    Both strands are scanned; windows with ``N`` are not scored.

    Parameters
    ----------
    x : numpy.ndarray
        One-hot ``(L, 4)``.
    pwms : dict, optional
        Name -> ``(4, W)`` probabilities (default :func:`jaspar_pwms`).
    pvalue : float
        Report sites with ``P(score >= s) <= pvalue``.

    Returns
    -------
    pandas.DataFrame
        ``motif, start, end`` (bp in ``x``, half-open), ``strand, score`` (bits), ``pvalue``.
    """
    pwms = jaspar_pwms() if pwms is None else pwms
    tokens = np.where(x.sum(axis=1) > 0, x.argmax(axis=1), 4)
    bg = np.asarray(background, np.float64)
    rows = []
    for name, p in pwms.items():
        w_len = p.shape[1]
        if w_len > len(tokens):
            continue
        lo = np.rint(np.log2((p + 0.01) / 1.04 / bg[:, None]) / resolution).astype(np.int64)
        thr, sf, off = _score_threshold(lo, bg, pvalue)
        win = np.lib.stride_tricks.sliding_window_view(tokens, w_len)  # (L - W + 1, W)
        valid = ~(win == 4).any(axis=1)
        safe = np.where(win == 4, 0, win)
        for strand, m in (("+", lo), ("-", lo[::-1, ::-1])):
            s = m[safe, np.arange(w_len)].sum(axis=1)
            hit = np.flatnonzero(valid & (s >= thr))
            for i in hit:
                rows.append((name, int(i), int(i + w_len), strand, float(s[i] * resolution), float(sf[s[i] - off])))
    return pd.DataFrame(rows, columns=["motif", "start", "end", "strand", "score", "pvalue"])


def _saliency(cfg: PipelineConfig, x: np.ndarray) -> np.ndarray | None:
    """Gradient x input ``(L,)`` of the model, or ``None`` if it has no gradients."""
    from creme_lib.saliency import gradient_x_input

    model = get_model(cfg)
    if not callable(getattr(model, "input_gradients", None)):
        return None
    return gradient_x_input(model, x)[0]


def _kept_activity(engine: Engine, name: str, tss: tuple[int, int], sets: list[list[tuple[int, int]]], n_shuffles: int) -> np.ndarray:
    """Mean activity ``(len(sets),)`` with only the TSS tile and each set of intervals kept.

    Uses the fine-tile search's backgrounds (seed key ``("fine_tile", k)``), so a set the
    search already evaluated is memoized.
    """
    bgs = [SeqSpec(name, ("fine_tile", k), (keep(*tss),)) for k in range(n_shuffles)]
    specs = [b.with_edits(*(keep(a, e) for a, e in merge_intervals(s))) for s in sets for b in bgs]
    return engine.predict(specs)[:, 0].reshape(len(sets), n_shuffles).mean(axis=1)


def _top_windows(cre: tuple[int, int], window: int, n: int, score: np.ndarray | None, rng: np.random.Generator | None) -> list[tuple[int, int]]:
    """``n`` windows of the CRE chosen by summed saliency (``score``) or at random (``rng``)."""
    w = subtiles(cre[0], cre[1], window)
    if n <= 0 or len(w) == 0:
        return []
    if score is not None:
        s = np.array([np.abs(score[a - cre[0] : b - cre[0]]).sum() for a, b in w])
        order = np.argsort(-s, kind="mergesort")
    else:
        order = rng.permutation(len(w))  # type: ignore[union-attr]
    return [tuple(int(v) for v in w[i]) for i in sorted(order[:n])]


def run_fine_tile(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 07: fine-tile search of sufficient enhancers vs saliency and a motif scan.

    Per enhancer (the ``max_fine_tile`` strongest): :func:`~creme_lib.experiments.fine_tile_search`
    with :attr:`Preset.fine_tile_stages` (500 bp then 50 bp); at every accepted step the
    same number of bp kept by (a) the windows of highest gradient x input saliency and
    (b) random windows (seeded), and (c) only the motif-scan hits
    (:func:`motif_hits`, JASPAR CORE vertebrates, ``p < motif_pvalue``), all scored as
    activity over that of the whole CRE in the search's backgrounds.

    Writes ``<cell>/fine_tile_search.csv`` (every step), ``<cell>/motif_analysis/
    CREME_vs_saliency_vs_XSTREME.csv`` (``CREME score, CREME bps`` (bp removed),
    ``Saliency score, Random score, XSTREME score`` (the motif scan stands in for the
    paper's XSTREME), ``seq_id`` (``enf_data_id``), ``cell_line``) and
    ``<cell>/motif_analysis/example_seqs.csv`` (per bp: ``Saliency, CREME`` (1 = kept),
    ``XSTREME`` (in a motif hit), ``gene``). The saliency columns are NaN for a model
    without input gradients (logged).
    """
    from creme_lib.experiments import fine_tile_search

    cres = load_sufficient_cres(cfg, "Enhancer", cfg.max_fine_tile)
    by_id = {r.enf_data_id: r for r in cres.itertuples(index=False)}
    tss_tile, _ = tiles_of(cfg)
    store = cfg.store()

    def compute(eid: str) -> pd.DataFrame:
        r = by_id[eid]
        engine = make_engine(cfg)
        x = load_window(cfg, r.Chromosome, r.Start, r.Strand)
        cre = (int(r.tile_start), int(r.tile_end))
        res = fine_tile_search(engine, x, tss_tile, cre, cfg.fine_tile_stages, "enhancer", cfg.n_shuffles, name=r.seq_id)
        sal = _saliency(cfg, x)
        if sal is None:
            log.warning("%s: the %s model has no input gradients; saliency scores are NaN", eid, cfg.model)
        hits = motif_hits(x[cre[0] : cre[1]], pvalue=cfg.motif_pvalue)
        motif_iv = [(cre[0] + a, cre[0] + b) for a, b in merge_intervals(list(zip(hits.start, hits.end)))]
        xs = float(_kept_activity(engine, r.seq_id, tss_tile, [motif_iv], cfg.n_shuffles)[0]) / res.full
        length = cre[1] - cre[0]
        rows = []
        for si, st in enumerate(res.stages):
            for step, (score, bps) in enumerate(zip(st.scores, st.bps)):
                n_win = bps // st.window
                rng = derive_rng(cfg.seed, r.seq_id, "fine_tile_random", cre[0], si, step)
                rand = _kept_activity(engine, r.seq_id, tss_tile, [_top_windows(cre, st.window, n_win, None, rng)], cfg.n_shuffles)[0]
                if sal is not None:
                    top = _top_windows(cre, st.window, n_win, sal[cre[0] : cre[1]], None)
                    s_sal = float(_kept_activity(engine, r.seq_id, tss_tile, [top], cfg.n_shuffles)[0]) / res.full
                else:
                    s_sal = np.nan
                rows.append({"CREME score": score, "CREME bps": float(length - bps), "Saliency score": s_sal,
                             "Random score": float(rand) / res.full, "XSTREME score": xs,
                             "window": st.window, "step": step})
        comp = pd.DataFrame(rows).assign(seq_id=eid, cell_line=cfg.cell_line)
        in_motif = np.zeros(length, bool)
        for a, b in motif_iv:
            in_motif[a - cre[0] : b - cre[0]] = True
        per_bp = pd.DataFrame({
            "Saliency": sal[cre[0] : cre[1]] if sal is not None else np.full(length, np.nan),
            "CREME": res.mask().astype(np.float64),
            "XSTREME": in_motif,
            "gene": r.gene_name,
            "seq_id": eid,
        })
        # Side parts first, the main part last: the main part marks the CRE as done.
        store.write(cfg.cell_line, "fine_tile_compare", eid, comp)
        store.write(cfg.cell_line, "fine_tile_bp", eid, per_bp)
        return _drop_track(res.to_frame()).assign(enf_data_id=eid, n_motif_hits=len(hits))

    ids = _run_parts(cfg, "fine_tile", list(by_id), compute)
    if not cfg.collecting:
        return None
    df = _collect(cfg, "fine_tile", ids)
    comp = store.collect(cfg.cell_line, "fine_tile_compare", ids)
    per_bp = store.collect(cfg.cell_line, "fine_tile_bp", ids)
    why = "no sufficient enhancer"
    _write_cell_table(cfg, "fine_tile_search", df, why)
    cols = ["CREME score", "CREME bps", "Saliency score", "Random score", "XSTREME score", "seq_id", "cell_line"]
    _write_cell_table(cfg, "motif_analysis/CREME_vs_saliency_vs_XSTREME", comp[cols] if len(comp) else pd.DataFrame(columns=cols), why)
    cols = ["Saliency", "CREME", "XSTREME", "gene"]
    _write_cell_table(cfg, "motif_analysis/example_seqs", per_bp[cols] if len(per_bp) else pd.DataFrame(columns=cols), why)
    return df


# ---------------------------------------------------------------------- 08 distance

DISTANCE_COLUMNS = [
    "Fold change over control", "CRE sufficiency effect", "Binned distance (Kb)", "Normalized CRE effect (control)",
    "cell line", "control", "enf_data_id", "context", "tile class",
]


def run_distance(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 08: each sufficient CRE moved to every tile position in shared backgrounds.

    Columns as the paper's ``distance_test.csv``: ``Fold change over control`` (MUT over
    the CRE at its own position), ``CRE sufficiency effect`` ((MUT - TSS-only control) /
    WT for enhancers, / control for silencers), ``Binned distance (Kb)``, ``Normalized CRE
    effect (control)`` (the CRE's sufficiency-test effect), ``cell line``, ``control``
    (TSS-only activity), ``enf_data_id, context, tile class``.
    """
    from creme_lib.experiments import distance_test

    cres = load_sufficient_cres(cfg, limit=cfg.max_cres)
    by_id = {r.enf_data_id: r for r in cres.itertuples(index=False)}
    tss_tile, tiles = tiles_of(cfg)

    def compute(eid: str) -> pd.DataFrame:
        r = by_id[eid]
        x = load_window(cfg, r.Chromosome, r.Start, r.Strand)
        res = distance_test(make_engine(cfg), x, tss_tile, (r.tile_start, r.tile_end), tiles[:, 0], cfg.n_shuffles, name=r.seq_id)
        return _drop_track(res.to_frame()).assign(enf_data_id=eid)

    ids = _run_parts(cfg, "distance", list(by_id), compute)
    if not cfg.collecting:
        return None
    df = _collect(cfg, "distance", ids)
    if df.empty:
        out = pd.DataFrame(columns=DISTANCE_COLUMNS)
    else:
        meta = cres.set_index("enf_data_id").loc[df["enf_data_id"]]
        enh = meta["tile class"].to_numpy() == "Enhancer"
        out = pd.DataFrame({
            "Fold change over control": df["Fold change over control"].to_numpy(),
            "CRE sufficiency effect": np.where(enh, df["Normalized CRE effect"], df["Normalized CRE effect (control)"]),
            "Binned distance (Kb)": df["Binned distance (Kb)"].to_numpy(),
            "Normalized CRE effect (control)": meta["Normalized CRE effect"].to_numpy(),
            "cell line": cfg.cell_line,
            "control": df["control_tss"].to_numpy(),
            "enf_data_id": df["enf_data_id"].to_numpy(),
            "context": meta["context"].to_numpy(),
            "tile class": meta["tile class"].to_numpy(),
        })
    _write_cell_table(cfg, "distance_test", out, "no sufficient CRE")
    return out


# ------------------------------------------------------------ 09 higher-order, 10


def greedy_sequences(cfg: PipelineConfig, optimization: str) -> pd.DataFrame:
    """Contexts of the greedy search: ``min`` enhancing (most enhancing first), ``max`` silencing."""
    ctx = load_selected_contexts(cfg)
    if optimization == "min":
        sel = ctx[ctx.context == "enhancing"].sort_values(["delta_mean", "seq_id"], ascending=[False, True])
    else:
        sel = ctx[ctx.context == "silencing"].sort_values(["delta_mean", "seq_id"], ascending=[True, True])
    return (sel if cfg.max_greedy is None else sel.head(cfg.max_greedy)).reset_index(drop=True)


def run_higher_order(cfg: PipelineConfig) -> dict[str, pd.DataFrame] | None:
    """Step 09: greedy higher-order interaction test, ``min`` and ``max``.

    ``min``: enhancer sets in enhancing contexts; ``max``: silencer sets in silencing
    contexts; :attr:`Preset.n_greedy_rounds` rounds over all tiles, ``n_shuffles`` each.
    Additive and multiplicative hypothetical models from the first round's single-tile
    effects; superadditive / subadditive / additive by MSE (0.1 / 0.05).

    Writes, per direction ``d`` in ``min``, ``max`` (under ``<cell>/greedy_search/``):
    ``{d}_traces.csv`` (``seq_id, cell_line, context, N tiles, greedy, additive,
    multiplicative, mean, single, tile_start, tile_end``), ``{d}_locations.csv``
    (``tile_selected, context, seq_id, cell_line``; one row per tile),
    ``{d}_second_iteration.csv`` (rows ``wt, greedy_it1, greedy_it2, two_cres_shuffled``
    in column ``0``; needs >= 2 rounds) and ``{d}_interactions.csv``.

    Returns
    -------
    dict or None
        ``{"min": traces, "max": traces}``.
    """
    from creme_lib.experiments import higher_order_interaction_test

    _, tiles = tiles_of(cfg)
    rounds = min(cfg.n_greedy_rounds, len(tiles))
    out = {}
    for opt in ("min", "max"):
        seqs = greedy_sequences(cfg, opt)
        by_id = _genes_by_id(seqs)

        def compute(sid: str, opt=opt, by_id=by_id) -> pd.DataFrame:
            g = by_id[sid]
            x = load_window(cfg, g.Chromosome, g.Start, g.Strand)
            res = higher_order_interaction_test(make_engine(cfg), x, tiles, opt, rounds, cfg.n_shuffles, name=sid)
            df = res.to_frame()
            # Activity with each selected tile perturbed alone (round 1), for the second iteration.
            return df.assign(single=np.concatenate([[res.wt], res.single_effects]), context=g.context)

        ids = _run_parts(cfg, f"greedy_{opt}", seqs.seq_id, compute)
        if not cfg.collecting:
            continue
        out[opt] = _greedy_tables(cfg, opt, _collect(cfg, f"greedy_{opt}", ids), tiles)
    return out if cfg.collecting else None


def _greedy_tables(cfg: PipelineConfig, opt: str, raw: pd.DataFrame, tiles: np.ndarray) -> pd.DataFrame:
    from creme_lib.analysis import classify_interaction

    why = "no enhancing context" if opt == "min" else "no silencing context"
    cols = ["seq_id", "cell_line", "context", "N tiles", "greedy", "additive", "multiplicative", "mean", "single",
            "tile_start", "tile_end"]
    if raw.empty:
        traces = pd.DataFrame(columns=cols)
    else:
        traces = raw.rename(columns={"round": "N tiles", "Fold change over WT": "greedy"}).assign(cell_line=cfg.cell_line)[cols]
    _write_cell_table(cfg, f"greedy_search/{opt}_traces", traces, why)
    loc, second, inter = [], [], []
    for sid, g in traces.groupby("seq_id", sort=True):
        chosen = {(int(a), int(b)) for a, b in zip(g.tile_start, g.tile_end) if a >= 0}
        ctx = g["context"].iloc[0]
        loc.append(pd.DataFrame({"tile_selected": [int((int(a), int(b)) in chosen) for a, b in tiles],
                                 "context": ctx, "seq_id": sid, "cell_line": cfg.cell_line}))
        m = g["mean"].to_numpy()
        s = g["single"].to_numpy()
        if len(m) >= 3:
            second.append(pd.DataFrame({"0": [m[0], m[1], s[2], m[2]], "context": ctx, "seq_id": sid, "cell_line": cfg.cell_line},
                                       index=["wt", "greedy_it1", "greedy_it2", "two_cres_shuffled"]))
        fc, add = g["greedy"].to_numpy(), g["additive"].to_numpy()
        inter.append({"seq_id": sid, "cell_line": cfg.cell_line, "context": ctx,
                      "interaction": classify_interaction(fc, add, cfg.thresholds, opt),
                      "mse": float(np.mean((fc[1:] - add[1:]) ** 2)) if len(fc) > 1 else np.nan})
    loc_df = pd.concat(loc, ignore_index=True) if loc else pd.DataFrame(columns=["tile_selected", "context", "seq_id", "cell_line"])
    _write_cell_table(cfg, f"greedy_search/{opt}_locations", loc_df, why)
    sec = pd.concat(second) if second else pd.DataFrame(columns=["0", "context", "seq_id", "cell_line"])
    _write_cell_table(cfg, f"greedy_search/{opt}_second_iteration", sec, why if not second else "", index=True)
    _write_cell_table(cfg, f"greedy_search/{opt}_interactions",
                      pd.DataFrame(inter, columns=["seq_id", "cell_line", "context", "interaction", "mse"]), why)
    return traces


def greedy_tile_sufficiency(
    engine: Engine,
    name: str,
    tss_tile: tuple[int, int],
    tiles_in_order: Sequence[tuple[int, int]],
    n_shuffles: int,
) -> np.ndarray:
    """Mean activity ``(R + 1,)`` of the TSS tile plus the first ``0..R`` greedy tiles.

    In ``n_shuffles`` dinucleotide-shuffled backgrounds of the registered sequence ``name``
    (seed key ``("greedy_sufficiency", k)``, shared by all ``R + 1`` sets).
    """
    bgs = [SeqSpec(name, ("greedy_sufficiency", k), (keep(*tss_tile),)) for k in range(n_shuffles)]
    sets = [[keep(*t) for t in tiles_in_order[:r]] for r in range(len(tiles_in_order) + 1)]
    specs = [b.with_edits(*s) for s in sets for b in bgs]
    return engine.predict(specs)[:, 0].reshape(len(sets), n_shuffles).mean(axis=1)


def run_greedy_sufficiency(cfg: PipelineConfig) -> dict[str, pd.DataFrame] | None:
    """Step 10: sufficiency of the greedy tile sets in shuffled backgrounds.

    For each greedy search of step 09: the TSS tile plus the first ``0, 1, ..., R``
    selected tiles, ``Normalized TSS activity`` = mean activity / WT.

    Writes ``<cell>/greedy_search/sufficiency_of_greedy_tiles_{min,max}.csv``
    (``Normalized TSS activity, context, cell_line, seq_id``; rows in ``N tiles`` order).
    """
    tss_tile, _ = tiles_of(cfg)
    out = {}
    for opt in ("min", "max"):
        traces = read_cell_table(cfg, f"greedy_search/{opt}_traces", "09_higher_order")
        genes = load_selected_genes(cfg).set_index("seq_id")
        groups = {sid: g.sort_values("N tiles") for sid, g in traces.groupby("seq_id", sort=True)}

        def compute(sid: str, groups=groups, genes=genes) -> pd.DataFrame:
            g = groups[sid]
            gene = genes.loc[sid]
            engine = make_engine(cfg)
            engine.register(sid, load_window(cfg, gene.Chromosome, gene.Start, gene.Strand))
            chosen = [(int(a), int(b)) for a, b in zip(g.tile_start, g.tile_end) if a >= 0]
            act = greedy_tile_sufficiency(engine, sid, tss_tile, chosen, cfg.n_shuffles)
            wt = float(g["mean"].iloc[0])
            return pd.DataFrame({"N tiles": np.arange(len(act)), "mean": act, "Normalized TSS activity": act / wt,
                                 "context": g["context"].iloc[0], "cell_line": cfg.cell_line, "seq_id": sid})

        ids = _run_parts(cfg, f"greedy_sufficiency_{opt}", list(groups), compute)
        if not cfg.collecting:
            continue
        df = _collect(cfg, f"greedy_sufficiency_{opt}", ids)
        cols = ["Normalized TSS activity", "context", "cell_line", "seq_id"]
        df = df[cols] if len(df) else pd.DataFrame(columns=cols)
        _write_cell_table(cfg, f"greedy_search/sufficiency_of_greedy_tiles_{opt}", df, "no greedy search")
        out[opt] = df
    return out if cfg.collecting else None


# ------------------------------------------------------------------ 11 multiplicity


def run_multiplicity(cfg: PipelineConfig) -> pd.DataFrame | None:
    """Step 11: multiplicity test of sufficient enhancers (``max``) and silencers (``min``).

    Each CRE's copies are placed one at a time at the tile position that moves the
    activity most (all tile positions are candidates), ``n_copies`` copies.

    Writes ``<cell>/multiplicity.csv``: ``seq_id, cell_line, context, tile class, copy
    number, Normalized TSS effect`` (activity over the TSS + CRE control), ``tile_start,
    tile_end, position, mean, control, control_tss, enf_data_id``.
    """
    from creme_lib.experiments import multiplicity_test

    cres = load_sufficient_cres(cfg, limit=cfg.max_cres)
    by_id = {r["enf_data_id"]: r for r in cres.to_dict("records")}
    tss_tile, tiles = tiles_of(cfg)
    n_copies = min(cfg.n_copies, len(tiles))

    def compute(eid: str) -> pd.DataFrame:
        r = by_id[eid]
        opt = "max" if r["tile class"] == "Enhancer" else "min"
        x = load_window(cfg, r["Chromosome"], r["Start"], r["Strand"])
        res = multiplicity_test(make_engine(cfg), x, tss_tile, (r["tile_start"], r["tile_end"]), tiles[:, 0], n_copies,
                                opt, cfg.n_shuffles, name=r["seq_id"])
        return _drop_track(res.to_frame()).assign(enf_data_id=eid)

    ids = _run_parts(cfg, "multiplicity", list(by_id), compute)
    if not cfg.collecting:
        return None
    df = _collect(cfg, "multiplicity", ids)
    cols = ["seq_id", "cell_line", "context", "tile class", "copy number", "Normalized TSS effect", "tile_start",
            "tile_end", "position", "mean", "control", "control_tss", "enf_data_id"]
    if df.empty:
        out = pd.DataFrame(columns=cols)
    else:
        meta = cres.set_index("enf_data_id").loc[df["enf_data_id"]]
        out = df.rename(columns={"n_copies": "copy number"}).assign(
            cell_line=cfg.cell_line, context=meta["context"].to_numpy(), **{"tile class": meta["tile class"].to_numpy()}
        )[cols]
    _write_cell_table(cfg, "multiplicity", out, "no sufficient CRE")
    return out


# ----------------------------------------------------------------------- merging

#: Per-cell-line tables merged by :func:`merge_tables` (name -> has an index column).
MERGED_TABLES: dict[str, bool] = {
    "context_dependence_test": False,
    "N_seqs_per_context_category": False,
    "context_swap_test": False,
    "necessity_test": False,
    "necessary_CREs": False,
    "sufficiency_test": False,
    "sufficient_CREs": False,
    "distance_test": False,
    "fine_tile_search": False,
    "motif_analysis/CREME_vs_saliency_vs_XSTREME": False,
    "motif_analysis/example_seqs": False,
    "greedy_search/min_traces": False,
    "greedy_search/max_traces": False,
    "greedy_search/min_locations": False,
    "greedy_search/max_locations": False,
    "greedy_search/min_second_iteration": True,
    "greedy_search/max_second_iteration": True,
    "greedy_search/min_interactions": False,
    "greedy_search/max_interactions": False,
    "greedy_search/sufficiency_of_greedy_tiles_min": False,
    "greedy_search/sufficiency_of_greedy_tiles_max": False,
    "multiplicity": False,
    "CRE_characterization/necessary_CRE_coordinates": False,
    "CRE_characterization/sufficient_CRE_coordinates": False,
    "CRE_characterization/sufficient_CRE_marks": False,
}


def merge_tables(results_dir: str | os.PathLike, model: str, cell_lines: Sequence[str]) -> list[Path]:
    """Concatenate every cell line's tables into the paper's cross-cell-line tables.

    Cell lines are concatenated in the given order, each in its own (gene-sorted) order,
    so the result is the same however the per-cell-line runs were scheduled. Also writes
    ``sufficiency_test_tile_coordinates.csv`` and pools the marks of all cell lines into
    ``CRE_characterization/pvalues_per_TF_for_sufficient_CREs.csv``.

    Returns
    -------
    list of Path
        The tables written.

    Raises
    ------
    FileNotFoundError
        If a table exists for some cell lines but not for others (a step did not finish).
    """
    root = Path(results_dir) / model
    written = []
    for name, indexed in MERGED_TABLES.items():
        paths = [root / safe_name(c) / f"{name}.csv" for c in cell_lines]
        have = [p.is_file() for p in paths]
        if not any(have):
            continue
        if not all(have):
            missing = [str(p) for p, h in zip(paths, have) if not h]
            raise FileNotFoundError(f"table {name} missing for some cell lines: {missing}")
        frames = [pd.read_csv(p, index_col=0 if indexed else None) for p in paths]
        df = pd.concat(frames, ignore_index=not indexed)
        written.append(atomic_write_csv(df, root / f"{name}.csv", index=indexed))
    coords = root / safe_name(cell_lines[0]) / "sufficiency_test_tile_coordinates.csv"
    if coords.is_file():
        written.append(atomic_write_csv(pd.read_csv(coords, index_col=0), root / "sufficiency_test_tile_coordinates.csv", index=True))
    marks_path = root / "CRE_characterization" / "sufficient_CRE_marks.csv"
    if marks_path.is_file():
        from creme_lib.marks import compare_groups

        marks = pd.read_csv(marks_path)
        cols = [c for c in marks.columns if c.endswith(" (mean)") or c.endswith(" (max)") or c == "repeat fraction"]
        pv = compare_groups(marks.astype({c: float for c in cols}), marks=cols, group="CRE type")
        written.append(atomic_write_csv(pv, root / "CRE_characterization" / "pvalues_per_TF_for_sufficient_CREs.csv"))
    log.info("merged %d tables of %s into %s", len(written), ", ".join(cell_lines), root)
    return written


# -------------------------------------------------------------------------- locus


@dataclass
class LocusResults:
    """Every CREME test of one user locus (see :func:`run_locus`)."""

    seq_id: str
    tss_tile: tuple[int, int]
    tiles: np.ndarray
    context_dependence: Any = None
    context_swap: Any = None
    necessity: Any = None
    sufficiency: Any = None
    distance: Any = None
    greedy: Any = None
    multiplicity: Any = None
    fine_tile: Any = None
    cre: tuple[int, int] | None = None
    cre_class: str | None = None
    notes: list[str] = field(default_factory=list)


def run_locus(
    cfg: PipelineConfig,
    chrom: str,
    tss: int,
    strand: str,
    gene_name: str = "locus",
    partners: Sequence[tuple[str, int, str]] = (),
) -> LocusResults:
    """Run every CREME test on one TSS (the locus notebook).

    Context dependence, necessity and sufficiency on all tiles; the strongest sufficient
    tile (by ``|(MUT - CONTROL) / WT|``; the strongest tile if none passes 0.3) then goes
    through the distance, multiplicity and (enhancers) fine-tile tests; the greedy search
    runs ``min`` if the strongest tile enhances, ``max`` otherwise. The context swap test
    needs other TSSs: ``partners`` ``(chrom, tss, strand)`` (skipped, with a note, if empty).

    Raises
    ------
    KeyError
        If ``chrom`` is not in the FASTA.
    ValueError
        If the window is more than ``max_n_fraction`` ``N``.
    """
    from creme_lib.annotation import make_seq_id
    from creme_lib.experiments import (
        context_dependence_test, context_swap_test, distance_test, fine_tile_search,
        higher_order_interaction_test, multiplicity_test, necessity_test, sufficiency_test,
    )

    if strand not in ("+", "-"):
        raise ValueError(f"strand must be '+' or '-', got {strand!r}")
    sid = make_seq_id(gene_name, chrom, tss, strand)
    x = load_window(cfg, chrom, tss, strand)
    nfrac = 1.0 - float(x.sum()) / len(x)
    if nfrac > cfg.max_n_fraction:
        raise ValueError(f"the window of {sid} is {nfrac:.1%} N (> {cfg.max_n_fraction:.0%}); pick a TSS farther from the chromosome end")
    engine = make_engine(cfg)
    tss_tile, tiles = tiles_of(cfg)
    res = LocusResults(sid, tss_tile, tiles)
    res.context_dependence = context_dependence_test(engine, x, tss_tile, cfg.n_shuffles_context, name=sid)
    res.necessity = necessity_test(engine, x, tiles, cfg.n_shuffles, name=sid)
    res.sufficiency = sufficiency_test(engine, x, tss_tile, tiles, cfg.n_shuffles, name=sid)
    if partners:
        seqs = {sid: x}
        for c, t, s in partners:
            seqs[make_seq_id("partner", c, t, s)] = load_window(cfg, c, t, s)
        res.context_swap = context_swap_test(engine, seqs, tss_tile)
    else:
        res.notes.append("context swap test skipped: it needs other TSSs (partners)")
    eff = res.sufficiency.effect_over_wt[:, 0]
    best = int(np.argmax(np.abs(eff)))
    res.cre = (int(tiles[best, 0]), int(tiles[best, 1]))
    res.cre_class = "Enhancer" if eff[best] >= 0 else "Silencer"
    if abs(eff[best]) <= PAPER.sufficiency:
        res.notes.append(f"no tile passes the sufficiency threshold; using the strongest tile {res.cre} ({eff[best]:+.2f})")
    res.distance = distance_test(engine, x, tss_tile, res.cre, tiles[:, 0], cfg.n_shuffles, name=sid)
    opt = "min" if res.cre_class == "Enhancer" else "max"
    res.greedy = higher_order_interaction_test(engine, x, tiles, opt, min(cfg.n_greedy_rounds, len(tiles)), cfg.n_shuffles, name=sid)
    res.multiplicity = multiplicity_test(engine, x, tss_tile, res.cre, tiles[:, 0], min(cfg.n_copies, len(tiles)),
                                         "max" if res.cre_class == "Enhancer" else "min", cfg.n_shuffles, name=sid)
    try:
        res.fine_tile = fine_tile_search(engine, x, tss_tile, res.cre, cfg.fine_tile_stages,
                                         "enhancer" if res.cre_class == "Enhancer" else "silencer", cfg.n_shuffles, name=sid)
    except ValueError as err:  # activity 0 with the whole CRE: the score is undefined
        res.notes.append(f"fine-tile search skipped: {err}")
    return res


# ---------------------------------------------------------------- notebooks, toc, CLI

#: Notebook stems in run order, and the steps each one reads from.
STEPS: dict[str, tuple[str, ...]] = {
    "01_tss_activity": (),
    "02_context_dependence": ("01_tss_activity",),
    "03_context_swap": ("02_context_dependence",),
    "04_necessity": ("02_context_dependence",),
    "05_sufficiency": ("02_context_dependence",),
    "06_cre_marks": ("05_sufficiency",),
    "07_fine_tile": ("05_sufficiency",),
    "08_distance": ("05_sufficiency",),
    "09_higher_order": ("02_context_dependence",),
    "10_greedy_sufficiency": ("09_higher_order",),
    "11_multiplicity": ("05_sufficiency",),
}

#: Steps whose per-gene work can be split into shards (cluster runs).
SHARDABLE: tuple[str, ...] = (
    "01_tss_activity", "02_context_dependence", "04_necessity", "05_sufficiency", "07_fine_tile",
    "08_distance", "09_higher_order", "11_multiplicity",
)

#: The functions each step notebook calls, in order.
STEP_FUNCTIONS: dict[str, tuple[Callable[[PipelineConfig], Any], ...]] = {
    "01_tss_activity": (select_genes,),
    "02_context_dependence": (run_context_dependence, classify_contexts),
    "03_context_swap": (run_context_swap,),
    "04_necessity": (run_necessity,),
    "05_sufficiency": (run_sufficiency,),
    "06_cre_marks": (run_cre_marks,),
    "07_fine_tile": (run_fine_tile,),
    "08_distance": (run_distance,),
    "09_higher_order": (run_higher_order,),
    "10_greedy_sufficiency": (run_greedy_sufficiency,),
    "11_multiplicity": (run_multiplicity,),
}


def config_from_params(params: dict[str, Any]) -> PipelineConfig:
    """:func:`configure` from a notebook's parameter dict (``overrides`` merged in)."""
    p = dict(params)
    over = p.pop("overrides", None) or {}
    return configure(**p, **over)


def run_step(step: str, params: dict[str, Any]) -> None:
    """Run one step without a notebook (the Snakefile's shard jobs use this)."""
    if step not in STEP_FUNCTIONS:
        raise ValueError(f"unknown step {step!r}; steps: {', '.join(STEP_FUNCTIONS)}")
    cfg = config_from_params(params)
    for fn in STEP_FUNCTIONS[step]:
        fn(cfg)


_TF_NOISE = ("WARNING: All log messages before absl", "I0000 ", "W0000 ", "E0000 ", "oneDNN custom operations",
             "Could not find cuda drivers", "failed call to cuInit", "TF-TRT Warning", "This TensorFlow binary")


def _clean_stderr(text: str) -> str:
    keep = [ln for ln in text.splitlines(keepends=True) if not any(n in ln for n in _TF_NOISE)]
    return "".join(keep)


def execute_notebook(
    template: str | os.PathLike,
    output: str | os.PathLike,
    parameters: dict[str, Any],
    title: str | None = None,
    kernel_name: str = "python3",
    cwd: str | os.PathLike | None = None,
) -> Path:
    """Run a jupytext ``.py`` notebook with papermill and make it a book page.

    The injected-parameters cell (and the template's ``parameters`` cell) get the
    ``remove-cell`` tag so the book hides them; the first ``# `` heading becomes
    ``title`` (e.g. naming the cell line and model); TensorFlow start-up chatter is
    stripped from stderr outputs. The page is written atomically; a failed run leaves
    ``<output>.failed.ipynb`` for inspection and re-raises.

    Returns
    -------
    Path
        ``output``.
    """
    import jupytext
    import nbformat
    import papermill as pm

    template, output = Path(template), Path(output)
    if not template.is_file():
        raise FileNotFoundError(f"notebook template not found: {template}")
    output.parent.mkdir(parents=True, exist_ok=True)
    nb = jupytext.read(template)
    nb.metadata["kernelspec"] = {"name": kernel_name, "display_name": "Python 3", "language": "python"}
    stem = f".{output.stem}.{os.getpid()}"
    src, tmp = output.parent / f"{stem}.in.ipynb", output.parent / f"{stem}.out.ipynb"
    nbformat.write(nb, src)
    try:
        pm.execute_notebook(str(src), str(tmp), parameters=parameters, kernel_name=kernel_name,
                            cwd=str(cwd) if cwd else None, progress_bar=False, log_output=False)
    except BaseException:
        if tmp.exists():
            os.replace(tmp, output.with_suffix(".failed.ipynb"))
        raise
    finally:
        src.unlink(missing_ok=True)
    done = nbformat.read(tmp, as_version=4)
    titled = False
    for cell in done.cells:
        tags = cell.metadata.setdefault("tags", [])
        if ("injected-parameters" in tags or "parameters" in tags) and "remove-cell" not in tags:
            tags.append("remove-cell")
        if cell.cell_type == "markdown" and title and not titled:
            lines = cell.source.splitlines()
            for i, ln in enumerate(lines):
                if ln.startswith("# "):
                    lines[i] = f"# {title}"
                    cell.source = "\n".join(lines)
                    titled = True
                    break
        if cell.cell_type == "code":
            outs = []
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream" and o.get("name") == "stderr":
                    o["text"] = _clean_stderr(o.get("text", ""))
                    if not o["text"].strip():
                        continue
                outs.append(o)
            cell["outputs"] = outs
    if title and not titled:
        done.cells.insert(0, nbformat.v4.new_markdown_cell(f"# {title}"))
    nbformat.write(done, tmp)
    os.replace(tmp, output)
    return output


STEP_TITLES: dict[str, str] = {
    "01_tss_activity": "TSS activity and gene selection",
    "02_context_dependence": "Context dependence test",
    "03_context_swap": "Context swap test",
    "04_necessity": "CRE necessity test",
    "05_sufficiency": "CRE sufficiency test",
    "06_cre_marks": "Biochemical marks of sufficient CREs",
    "07_fine_tile": "Fine-tile search vs saliency and motifs",
    "08_distance": "TSS-CRE distance test",
    "09_higher_order": "Higher-order interaction test",
    "10_greedy_sufficiency": "Sufficiency of greedy CRE sets",
    "11_multiplicity": "CRE multiplicity test",
}


def page_title(step: str, cell_line: str, model: str) -> str:
    """Title of a generated page, e.g. ``"04 CRE necessity test: K562 (synthetic model)"``."""
    return f"{step[:2]} {STEP_TITLES.get(step, step)}: {cell_line} ({model} model)"


def write_toc(output: str | os.PathLike, pages: Sequence[str | os.PathLike], model: str, root: str | os.PathLike = ".") -> Path:
    """Write a jupyter-book TOC fragment for the generated pages, and a landing page per step.

    For every step with pages, ``<output folder>/<step>.md`` is written (title and a
    ``{tableofcontents}`` of its cell lines) and becomes a chapter whose sections are the
    step's pages. The fragment is a ``parts:`` list with one part, to paste under
    ``parts:`` in ``_toc.yml``; paths are relative to ``root`` (the book root), no suffix.

    Returns
    -------
    Path
        ``output``.
    """
    import yaml

    root = Path(root).resolve()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)

    def rel(p: Path) -> str:
        return Path(os.path.relpath(Path(p).resolve(), root)).with_suffix("").as_posix()

    chapters = []
    for step in STEPS:
        mine = [Path(p) for p in pages if Path(p).name.startswith(step + "_")]
        if not mine:
            continue
        landing = output.parent / f"{step}.md"
        text = (
            f"# {step[:2]} {STEP_TITLES.get(step, step)}\n\n"
            f"One page per cell line, from a pipeline run with the {model} model: the notebook "
            f"`notebooks/{step}.py` executed by papermill; its tables are under `results/{model}/`.\n\n"
            "```{tableofcontents}\n```\n"
        )
        tmp = landing.with_name(f".{landing.name}.tmp")
        tmp.write_text(text)
        os.replace(tmp, landing)
        chapters.append({"file": rel(landing), "sections": [{"file": rel(p)} for p in mine]})
    # Pages of no step (the locus notebook) follow as chapters of their own.
    chapters += [{"file": rel(Path(p))} for p in pages if not any(Path(p).name.startswith(s + "_") for s in STEPS)]
    part = [{"caption": f"Pipeline run ({model} model)", "chapters": chapters}]
    text = "# Generated by the Snakefile (rule toc); paste under `parts:` in _toc.yml.\n" + yaml.safe_dump(part, sort_keys=False)
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, output)
    return output


def compose_toc(base: str | os.PathLike, fragment: str | os.PathLike, output: str | os.PathLike,
                before: str = "Reproducibility") -> Path:
    """Write a full book TOC: ``base`` (the repository's ``_toc.yml``) with the parts of
    ``fragment`` (from :func:`write_toc`) inserted before the part captioned ``before``
    (appended if there is none). ``make book`` builds with this TOC, so the book lists the
    pages of whatever run the Snakefile made, for any cell lines or model.
    """
    import yaml

    toc = yaml.safe_load(Path(base).read_text())
    extra = yaml.safe_load(Path(fragment).read_text()) or []
    parts = toc.get("parts", [])
    at = next((i for i, p in enumerate(parts) if p.get("caption") == before), len(parts))
    toc["parts"] = parts[:at] + extra + parts[at:]
    output = Path(output)
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text("# Generated by `make book` from _toc.yml and the pipeline's pages.\n" + yaml.safe_dump(toc, sort_keys=False))
    os.replace(tmp, output)
    return output


def _parse_value(text: str) -> Any:
    import yaml

    return yaml.safe_load(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m creme_lib.pipeline {notebook,merge,toc} ...`` (used by the Snakefile)."""
    ap = argparse.ArgumentParser(prog="python -m creme_lib.pipeline", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    nb = sub.add_parser("notebook", help="run a notebook template with papermill into a book page")
    nb.add_argument("template")
    nb.add_argument("output")
    nb.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="parameter (VALUE parsed as YAML)")
    nb.add_argument("--title")
    nb.add_argument("--cwd")
    st = sub.add_parser("step", help="run one step (e.g. one shard) without a notebook")
    st.add_argument("step", choices=list(STEP_FUNCTIONS))
    st.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    mg = sub.add_parser("merge", help="merge the per-cell-line tables")
    mg.add_argument("--results-dir", required=True)
    mg.add_argument("--model", required=True)
    mg.add_argument("--cell-lines", nargs="+", required=True)
    mg.add_argument("--stamp", help="file to write the list of merged tables to")
    tc = sub.add_parser("toc", help="write the TOC fragment of the generated pages")
    tc.add_argument("output")
    tc.add_argument("pages", nargs="+")
    tc.add_argument("--model", required=True)
    tc.add_argument("--root", default=".")
    tc.add_argument("--base", help="also write a full TOC: this _toc.yml with the fragment's parts inserted")
    tc.add_argument("--full", help="where to write the full TOC (with --base)")
    args = ap.parse_args(argv)
    setup_logging()
    if args.cmd == "notebook":
        params = {k: _parse_value(v) for k, v in args.parameter}
        execute_notebook(args.template, args.output, params, title=args.title, cwd=args.cwd)
    elif args.cmd == "step":
        run_step(args.step, {k: _parse_value(v) for k, v in args.parameter})
    elif args.cmd == "merge":
        written = merge_tables(args.results_dir, args.model, args.cell_lines)
        if args.stamp:
            stamp = Path(args.stamp)
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.write_text("".join(f"{p}\n" for p in written))
    elif args.cmd == "toc":
        write_toc(args.output, args.pages, args.model, args.root)
        if args.base and args.full:
            compose_toc(args.base, args.output, args.full)
    return 0


__all__ = [
    "PRESETS", "Preset", "PipelineConfig", "ENFORMER_PRESET", "SYNTHETIC_PRESET", "STEPS", "SHARDABLE",
    "available_tracks", "configure", "setup_logging", "get_model", "make_engine", "load_window", "tiles_of",
    "tss_table", "select_genes", "run_context_dependence", "classify_contexts", "swap_contexts", "run_context_swap",
    "run_necessity", "run_sufficiency", "load_selected_genes", "load_selected_contexts", "load_sufficient_cres",
    "cre_coordinates", "run_cre_marks", "jaspar_pwms", "motif_hits", "run_fine_tile", "run_distance",
    "greedy_sequences", "run_higher_order", "greedy_tile_sufficiency", "run_greedy_sufficiency",
    "run_multiplicity", "merge_tables", "LocusResults", "run_locus", "execute_notebook", "page_title",
    "write_toc", "compose_toc", "read_cell_table", "main", "STEP_FUNCTIONS", "run_step", "config_from_params", "SEQ_LENGTHS",
]

if __name__ == "__main__":  # pragma: no cover
    # Run the importable module's main, so the CLI and the notebooks share one module state.
    from creme_lib.pipeline import main as _main

    raise SystemExit(_main())
