"""Presets and run configuration: :class:`Preset`, ``PRESETS``, :class:`PipelineConfig`, :func:`configure`."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from creme_lib.analysis import TILE_SIZE, Thresholds
from creme_lib.experiments.fine_tile import PAPER_STAGES
from creme_lib.models.layouts import BORZOI_LAYOUT, ENFORMER_LAYOUT, LAYOUTS
from creme_lib.store import ResultStore

# ------------------------------------------------------------------------------ presets


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
    borzoi_replicates : tuple of str or None
        Hub names or local directories of the Borzoi replicates (``borzoi`` model only;
        ``None``: the four ``johahi/borzoi-replicate-*``).
    precision : str
        ``fp32``, ``bf16`` or ``fp16`` (PyTorch models: Borzoi).
    model_factory : str or None
        ``"package.module:function"`` building the model instead of the preset's own:
        called as ``function(cell_line=..., bins=..., batch_size=...)``, it returns a
        :class:`~creme_lib.models.base.Model` of the preset's window length with one
        selected track. For a model of your own, or a stand-in of the preset's size.
    """

    n_genes: int
    n_shuffles_context: int
    n_shuffles: int
    tile_size: int = TILE_SIZE
    batch_size: int = 8
    bins: tuple[int, ...] = ENFORMER_LAYOUT.tss_bins
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
    borzoi_replicates: tuple[str, ...] | None = None
    precision: str = "fp32"
    model_factory: str | None = None


#: The paper's parameters with Enformer (needs a GPU): 10,000 genes, 100 shuffles for the
#: context dependence test and 10 for the others, 5 kb tiles, the cell line's CAGE track at
#: TSS bins 447/448, 200 contexts per category, every sufficient CRE.
ENFORMER_PRESET = Preset(
    n_genes=10_000,
    n_shuffles_context=100,
    n_shuffles=10,
    tile_size=TILE_SIZE,
    batch_size=8,
    bins=ENFORMER_LAYOUT.tss_bins,
    max_per_category=200,
    swap_per_category=None,
    max_cres=None,
    max_fine_tile=None,
    max_greedy=None,
    n_greedy_rounds=10,
    n_copies=10,
    enformer_handle="https://tfhub.dev/deepmind/enformer/1",
)

#: The embedded world's ground-truth model, sized so that ``make book`` stays within 25
#: minutes on two shared CPU cores (measured; see the README), with fewer of everything
#: than the paper:
#:
#: * genes: all 224 of the world, sized so that every cell line has at least 30 silencing
#:   contexts (its silenced genes are its least active ones, so a top-half cut like the
#:   paper's 10,000 of ~20,000 would leave no silencing context);
#: * shuffles: 3 for the context dependence test (with the wild type, one batch of 4 per
#:   gene) and 1 for the CRE tests (the world's model has no noise besides the shuffles,
#:   and a shuffle rarely creates a motif cluster, so one shuffle measures a tile);
#: * 30 contexts per category (paper: 200), the same 30 per category in the context swap
#:   test (90 x 90 swaps per cell line): the model's rescans
#:   (:class:`~creme_lib.world.rescan.ScanCache`) make these tests cheap;
#: * the 30 strongest sufficient CREs per class for the distance and multiplicity tests,
#:   30 enhancers for the fine-tile search, 30 sequences per direction (the strongest
#:   enhancing and silencing contexts) for the greedy search with 3 rounds, and 3 copies
#:   for the multiplicity test (steps 07-11 together: ~2.5 min per cell line in `make book`, measured).
#:
#: Tiles (5 kb), TSS bins (447/448), thresholds and fine-tile stages are the paper's.
SYNTHETIC_PRESET = Preset(
    n_genes=224,
    n_shuffles_context=3,
    n_shuffles=1,
    tile_size=TILE_SIZE,
    batch_size=4,
    bins=ENFORMER_LAYOUT.tss_bins,
    max_per_category=30,
    swap_per_category=30,
    max_cres=30,
    max_fine_tile=30,
    max_greedy=30,
    n_greedy_rounds=3,
    n_copies=3,
)

#: The paper's Borzoi run (Extended Data Fig. 2, ``summary_csvs/borzoi/``): the four human
#: replicates averaged, 524,288 bp windows with the 102 tiles of 5 kb around the TSS tile
#: (the grid of the published ``sufficiency_test_tile_coordinates.csv``), the cell line's two
#: CAGE strands summed over the centre 8 bins of 32 bp, 5 shuffles for every test (the
#: published context table is ``context_dependence_test_5``), everything else as Enformer.
BORZOI_PRESET = dataclasses.replace(
    ENFORMER_PRESET,
    n_shuffles_context=5,
    n_shuffles=5,
    batch_size=2,
    bins=BORZOI_LAYOUT.tss_bins,
    enformer_handle=None,
)

PRESETS: dict[str, Preset] = {"synthetic": SYNTHETIC_PRESET, "enformer": ENFORMER_PRESET, "borzoi": BORZOI_PRESET}

#: Input length (bp) of each preset's model, known without loading it.
SEQ_LENGTHS: dict[str, int] = {
    "synthetic": ENFORMER_LAYOUT.seq_length, "enformer": ENFORMER_LAYOUT.seq_length, "borzoi": BORZOI_LAYOUT.seq_length,
}

#: The published Borzoi tables name a cell line's track by the end of its description.
_BORZOI_TITLES: dict[str, str] = {"K562": "K562 ENCODE, biol_", "GM12878": "GM12878 ENCODE, biol_", "PC-3": "PC-3"}


def available_tracks(model: str) -> dict[str, int]:
    """Cell line -> (first) track index of a model preset's output (for file names and checks)."""
    if model == "synthetic":
        from creme_lib.world import DEFAULT_MECHANISM, TRACK_NAMES

        return {c: DEFAULT_MECHANISM.track_names.index(n) for c, n in TRACK_NAMES.items()}
    if model in LAYOUTS:
        return {c: t[0] for c, t in LAYOUTS[model].cage_tracks.items()}
    raise ValueError(f"unknown model {model!r}; presets: {', '.join(PRESETS)}")


def track_label(model: str, cell_line: str) -> str:
    """The track part of the selected-genes file name: ``"5111"``, ``"872&873"`` (both strands)."""
    if model in LAYOUTS:
        return LAYOUTS[model].track_label(cell_line)
    return str(available_tracks(model)[cell_line])


def track_title(model: str, cell_line: str) -> str:
    """The cell line's name in the selected-genes table (file name and activity column), as published."""
    return _BORZOI_TITLES[cell_line] if model == "borzoi" else cell_line


# ------------------------------------------------------------------------------- config


@dataclass(frozen=True)
class PipelineConfig(Preset):
    """A resolved run configuration: a :class:`Preset` plus data, cell line, seed and shard.

    Build it with :func:`configure` (which checks inputs); fields as in :class:`Preset` and

    Attributes
    ----------
    cell_line : str
    model : str
        ``"synthetic"``, ``"enformer"`` or ``"borzoi"``.
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
        """Index of the cell line's (first) track in the model's full output."""
        return available_tracks(self.model)[self.cell_line]

    @property
    def track_label(self) -> str:
        """Track part of the selected-genes file name (:func:`track_label`)."""
        return track_label(self.model, self.cell_line)

    @property
    def track_title(self) -> str:
        """Name of the cell line's activity column in the selected-genes table (:func:`track_title`)."""
        return track_title(self.model, self.cell_line)

    @property
    def collecting(self) -> bool:
        """Whether this run writes tables (an unsharded run)."""
        return self.shard_count == 1

    @property
    def thresholds(self) -> Thresholds:
        """The paper's thresholds for the model (Borzoi's published labels use their own cut-offs)."""
        from creme_lib.analysis import default_thresholds

        return dataclasses.replace(default_thresholds(self.model), max_per_category=self.max_per_category)

    def store(self) -> ResultStore:
        return ResultStore(self.root)

    def provenance(self, test: str) -> dict[str, Any]:
        """The settings that decide the content of a part of ``test`` (kept in its manifest).

        A part written with other values is recomputed, not reused: the model and its
        inputs, the seed, tiles and bins for every test, plus the test's own settings
        (:data:`PART_SETTINGS`; every setting for a test not listed there). Sizes that only
        decide *which* genes are run (``n_genes``, ``max_per_category``, ...) and the batch
        size (results do not depend on it) are not part of it.
        """
        keys = [k for k in PART_SETTINGS if test == k or test.startswith(k + "_")]
        own = PART_SETTINGS[max(keys, key=len)] if keys else tuple(f.name for f in dataclasses.fields(Preset))
        out: dict[str, Any] = {"test": test, "genome_fasta": _file_identity(self.genome_fasta)}
        for name in (*_MODEL_SETTINGS, *own):
            value = getattr(self, name)
            out[name] = _file_identity(value) if name in ("annotation_gtf", "bigwig_dir") else value
        return out

    def summary(self) -> pd.DataFrame:
        """The settings as a two-column table (for the notebooks)."""
        rows = [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self)]
        return pd.DataFrame(rows, columns=["parameter", "value"]).astype({"value": str})


#: Settings every part depends on (the model, its window and where the sequence comes from).
_MODEL_SETTINGS: tuple[str, ...] = (
    "model", "cell_line", "seed", "tile_size", "bins", "enformer_handle", "borzoi_replicates", "precision",
    "model_factory",
)

#: Per test (the part folder's name, or its prefix before ``_min``/``_max``): the further
#: settings its parts depend on. ``genome_fasta`` is always included (as name and size).
PART_SETTINGS: dict[str, tuple[str, ...]] = {
    "tss_activity": ("max_n_fraction", "annotation_gtf"),
    "context_dependence": ("n_shuffles_context",),
    # A part holds one row per target: the targets are the selected contexts.
    "context_swap": ("n_genes", "n_shuffles_context", "max_per_category", "swap_per_category"),
    "necessity": ("n_shuffles",),
    "sufficiency": ("n_shuffles",),
    # A part holds a gene's sufficient CREs and their effects (from the sufficiency test).
    "cre_marks": ("bigwig_dir", "n_shuffles"),
    "fine_tile": ("n_shuffles", "fine_tile_stages", "motif_pvalue"),
    "distance": ("n_shuffles",),
    "greedy": ("n_shuffles", "n_greedy_rounds"),
    "greedy_sufficiency": ("n_shuffles", "n_greedy_rounds"),
    "multiplicity": ("n_shuffles", "n_copies"),
}


def _file_identity(path: Path | None) -> str | None:
    """``name:size`` of an input file or folder (content hashes of a genome would cost minutes)."""
    if path is None:
        return None
    p = Path(path)
    if p.is_dir():
        return f"{p.name}/:{sum(f.stat().st_size for f in p.iterdir() if f.is_file())}"
    return f"{p.name}:{p.stat().st_size}" if p.exists() else p.name


_INT_FIELDS = {"n_genes", "n_shuffles_context", "n_shuffles", "tile_size", "batch_size", "max_per_category",
               "swap_per_category", "max_cres", "max_fine_tile", "max_greedy", "n_greedy_rounds", "n_copies"}
_FLOAT_FIELDS = {"motif_pvalue", "max_n_fraction"}
_STR_FIELDS = {"enformer_handle", "precision", "model_factory"}


def _coerce(name: str, value: Any) -> Any:
    """A preset field's value from a notebook or command-line parameter (may be a string)."""
    if isinstance(value, str) and name not in _STR_FIELDS:
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
        if name == "borzoi_replicates":
            return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value)
        if name == "precision" and value not in ("fp32", "bf16", "fp16"):
            raise ValueError
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
    model : {"synthetic", "enformer", "borzoi"}
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


def parse_flag(value: Any) -> bool:
    """A yes/no setting from YAML or the command line (``--config locus_page=false`` arrives as the string ``"false"``).

    Raises
    ------
    ValueError
        For a string that is not one of true/false, yes/no, on/off, 1/0.
    """
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("true", "yes", "on", "1"):
            return True
        if v in ("false", "no", "off", "0", ""):
            return False
        raise ValueError(f"not a yes/no value: {value!r}")
    return bool(value)


#: The parameters of every step notebook (``notebooks/NN_*.py``) with their defaults, in
#: the order of the templates' papermill ``parameters`` cells (which must repeat them:
#: papermill injects values after that cell; a test checks each cell against this). The
#: Snakefile passes exactly these names; ``None`` keeps the model preset's value and
#: ``overrides`` holds any other :class:`Preset` field, e.g. ``{"max_cres": 10}``.
NOTEBOOK_PARAMETERS: dict[str, Any] = {
    "cell_line": "K562",
    "model": "synthetic",
    "genome_fasta": None,
    "annotation_gtf": None,
    "bigwig_dir": None,
    "n_genes": None,
    "n_shuffles": None,
    "n_shuffles_context": None,
    "seed": 0,
    "batch_size": None,
    "results_dir": "results",
    "shard_index": 0,
    "shard_count": 1,
    "overrides": {},
}


def config_from_params(params: dict[str, Any]) -> PipelineConfig:
    """:func:`configure` from a notebook's parameter dict (``overrides`` merged in)."""
    p = dict(params)
    over = p.pop("overrides", None) or {}
    return configure(**p, **over)


def notebook_config(namespace: dict[str, Any]) -> PipelineConfig:
    """The config of a step notebook from its namespace (``globals()`` after the parameters cell).

    Takes the :data:`NOTEBOOK_PARAMETERS` names from ``namespace`` (their defaults where
    absent) and ignores everything else, so a notebook needs one line:
    ``cfg = pipeline.notebook_config(globals())``.
    """
    return config_from_params({k: namespace.get(k, default) for k, default in NOTEBOOK_PARAMETERS.items()})


def setup_logging(level: int = logging.INFO, log_file: str | os.PathLike | None = None) -> None:
    """Send the pipeline's log (skips, warnings, progress) to stdout, or append it to ``log_file``.

    Command-line runs (``creme_lib.pipeline.cli``, the Snakefile's jobs) log to stdout; the
    notebooks log to a file (:func:`log_to_file`), so that rendered pages hold no log lines.
    Calling it again replaces the earlier destination.
    """
    logger = logging.getLogger("creme_lib")
    for h in [h for h in logger.handlers if getattr(h, "_creme_pipeline", False)]:
        logger.removeHandler(h)
        h.close()
    if log_file is None:
        h: logging.Handler = logging.StreamHandler(sys.stdout)
        h.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    else:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        h = logging.FileHandler(log_file, mode="a", encoding="utf-8")
        h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    h._creme_pipeline = True  # type: ignore[attr-defined]
    logger.addHandler(h)
    logger.setLevel(level)


def log_to_file(cfg: "PipelineConfig") -> Path:
    """Log a notebook's run to ``<root>/<cell line>/pipeline.log`` (appended); returns the path."""
    path = cfg.store().table_path(cfg.cell_line, "pipeline").with_suffix(".log")
    setup_logging(log_file=path)
    return path


def describe_run(cfg: "PipelineConfig") -> str:
    """One line naming the cell line, the model and the results folder, without machine paths."""
    from creme_lib.published import describe_source

    return f"{cfg.cell_line}, {cfg.model} model; results: {describe_source(cfg.root)}"
