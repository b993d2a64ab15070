"""Deterministic generator of the embedded world's genome, annotation, truth and tracks.

``generate_world(out_dir, seed, config)`` writes, into ``out_dir/world-<key>/``:

``genome.fa`` (+ ``genome.fa.fai``)
    Chromosomes ``chr1``... built from a first-order Markov chain with human dinucleotide
    frequencies (41 % GC, CpG observed/expected ~0.23), soft-masked (lowercase) copies of four
    repeat families (an Alu-like SINE, 5'-truncated L1-like LINE fragments, a MIR-like SINE and
    simple repeats; ~35 % of the sequence before planting), CpG-island promoters (65 % GC,
    CpG o/e ~0.8) or TATA promoters at every TSS, and the planted elements (uppercase).
    Motif sites are *removed* from everything that is not a planted element or promoter
    (each stray site above threshold gets its most informative base mutated), so in a gene
    window the model sees exactly the sites the record lists and outputs its floor away from
    the TSS.
``genes.gtf``
    GENCODE-style ``gene``/``transcript``/``exon`` lines (``gene_id``, ``gene_name``,
    ``gene_type "protein_coding"``...), 1-based inclusive; the TSS is the transcript start
    on ``+`` and its end on ``-``.
``genes.tsv``
    One row per gene: ``gene_id, gene_name, chrom, tss`` (0-based), ``strand``,
    ``window_start, window_end`` (the 196,608 bp model window, 0-based half-open),
    ``promoter_type`` and the planned program per cell line.
``elements.bed``
    The planted cis-regulatory elements, ``#``-header TSV: ``chrom, start, end`` (0-based,
    half-open), ``element_id, class`` (enhancer/silencer), ``cell_lines`` (where active,
    comma-separated), ``strength`` (``beta`` or ``rho`` x summed site occupancy: drive at
    distance 0), ``motif, channel, n_sites, occupancy, target_gene, tss_distance`` (bp, element
    centre minus TSS in gene orientation), ``tile_index`` (index into ``tile_grid(196608, 5000)``'s
    38 tiles in the gene's window), ``partner_id, pair_type`` (planted pairs: additive,
    superadditive or subadditive; ``.`` otherwise).
``sites.tsv``
    Every motif site the model sees in the gene windows: planted element sites and the core
    promoter sites (``chrom, start, end, motif, strand, score, occupancy, owner``).
``bigwig/<cell line>.accessibility.bw``, ``bigwig/<cell line>.H3K27ac.bw``
    Noisy accessibility- and H3K27ac-like signal (50 bp bins) over active elements and promoters.
``manifest.json``
    Seed, config, cache key, file list and counts; written last.

Everything is written to a temporary folder that is renamed into place when complete, so a
crash never leaves a folder that looks finished; a complete folder with the same key
(a hash of seed, config and generator version) is returned without regenerating.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from creme_lib.analysis import TILE_SIZE
from creme_lib.seeding import derive_rng
from creme_lib.tiles import tile_grid
from creme_lib.world.mechanism import (
    CELL_LINES,
    DEFAULT_MECHANISM,
    SEQ_LENGTH,
    Mechanism,
    distance_decay,
)
from creme_lib.world.motifs import JASPAR_RELEASE, HitScanner, get_motif, sample_site, scan_tokens

GENERATOR_VERSION = "1"
TILE_MARGIN = 1_000  # elements keep this far from tile borders (and >= 2 kb from each other)
PROMOTER_HALF = 500  # promoter region [tss - 500, tss + 500) is protected from cleaning
CORE_HALF = 120  # core promoter sites lie within [tss - 120, tss + 120): bins 447/448 see all

# Human dinucleotide frequencies (%), rows = first base ACGT, columns = second base.
_DINUC = np.array(
    [[9.8, 5.0, 7.0, 7.7], [7.3, 5.2, 1.0, 7.0], [5.9, 4.3, 5.2, 5.0], [6.6, 5.9, 7.3, 9.8]]
)
GENOME_TRANSITIONS = _DINUC / _DINUC.sum(axis=1, keepdims=True)
_CGI_BASE = np.array([0.18, 0.32, 0.32, 0.18])
_CGI = np.tile(_CGI_BASE, (4, 1))
_CGI[1, 2] *= 0.8  # CpG islands keep most of their CpGs (o/e ~0.8)
CGI_TRANSITIONS = _CGI / _CGI.sum(axis=1, keepdims=True)

# Repeat families: (name, consensus length, base composition, share of the repeat budget,
# divergence range). L1 copies are 5'-truncated fragments of the consensus.
_REPEATS = (
    ("AluY_like", 290, (0.24, 0.26, 0.28, 0.22), 0.30, (0.02, 0.15)),
    ("L1_like", 6000, (0.33, 0.17, 0.18, 0.32), 0.55, (0.05, 0.20)),
    ("MIR_like", 260, (0.27, 0.23, 0.23, 0.27), 0.10, (0.15, 0.30)),
    ("simple", 0, (0.25, 0.25, 0.25, 0.25), 0.05, (0.0, 0.05)),
)
_SIMPLE_UNITS = ("CA", "TTTA", "CT", "AAT", "GGAT")

# Core-promoter slots (gene orientation, offset of the site start from the TSS, bp).
_PROMOTER_SLOTS = (-116, -86, -56, -31, 12, 40, 70)


@dataclass(frozen=True)
class WorldConfig:
    """Size and composition of a generated world.

    Attributes
    ----------
    n_genes : int
        Genes (each with its own non-overlapping 196,608 bp window).
    n_chromosomes : int
        Chromosomes the genes are spread over.
    cell_lines : tuple of str
        Cell lines that get planted programs (subset of ``K562, GM12878, PC-3``).
    chrom_size : int, optional
        Fixed chromosome length (bp); ``None`` sizes each chromosome to fit its genes.
    gap_bp : (int, int)
        Range of the spacing (bp) between neighbouring gene windows.
    flank_bp : int
        Sequence before the first and after the last window of a chromosome (bp).
    element_length : (int, int)
        Range of element lengths (bp); at most 1,500 so an element fits in its tile with
        1 kb margins and spans at most 12 input bins.
    p_enhancing, p_weak : float
        Per gene and cell line: probability of a strong enhancer program (target
        ``(1 + D) R`` of 25-100 at the TSS, i.e. an "enhancing" context) or a weak one (one distal
        enhancer).
    p_silencer_all, p_silencer_line : float
        Probability of a REST silencer (acts in every line) per gene, and of a line-specific
        silencer per gene and line.
    p_pair : float
        Probability that a strong program starts with a planted pair (additive,
        superadditive or subadditive, equally likely).
    repeat_fraction : float
        Share of the genome covered by repeat copies before promoters and elements are placed.
    cgi_fraction : float
        Share of CpG-island promoters (the rest are TATA promoters).
    signal_bin_bp : int
        Resolution of the bigWig tracks (bp).
    mechanism : Mechanism
        The regulatory grammar (shared with :class:`~creme_lib.world.model.SyntheticModel`).
    """

    n_genes: int = 192
    n_chromosomes: int = 4
    cell_lines: tuple[str, ...] = CELL_LINES
    chrom_size: int | None = None
    gap_bp: tuple[int, int] = (2_000, 12_000)
    flank_bp: int = 10_000
    element_length: tuple[int, int] = (300, 1_500)
    p_enhancing: float = 0.40
    p_weak: float = 0.12
    p_silencer_all: float = 0.08
    p_silencer_line: float = 0.25
    p_pair: float = 0.5
    repeat_fraction: float = 0.35
    cgi_fraction: float = 0.6
    signal_bin_bp: int = 50
    mechanism: Mechanism = DEFAULT_MECHANISM

    def __post_init__(self) -> None:
        object.__setattr__(self, "cell_lines", tuple(self.cell_lines))
        object.__setattr__(self, "gap_bp", tuple(int(v) for v in self.gap_bp))
        object.__setattr__(self, "element_length", tuple(int(v) for v in self.element_length))
        if isinstance(self.mechanism, dict):
            object.__setattr__(self, "mechanism", Mechanism.from_dict(self.mechanism))
        if not isinstance(self.n_genes, (int, np.integer)) or self.n_genes < 1:
            raise ValueError(f"n_genes must be a positive integer, got {self.n_genes!r}")
        if not isinstance(self.n_chromosomes, (int, np.integer)) or self.n_chromosomes < 1:
            raise ValueError(f"n_chromosomes must be a positive integer, got {self.n_chromosomes!r}")
        if self.n_chromosomes > self.n_genes:
            raise ValueError(f"n_chromosomes ({self.n_chromosomes}) exceeds n_genes ({self.n_genes})")
        if not self.cell_lines:
            raise ValueError("cell_lines must name at least one cell line")
        for line in self.cell_lines:
            if line not in CELL_LINES:
                raise ValueError(f"unknown cell line {line!r}; the world has {', '.join(CELL_LINES)}")
            if line not in self.mechanism.cell_lines:
                raise ValueError(f"cell line {line!r} has no motifs in the mechanism")
        if len(set(self.cell_lines)) != len(self.cell_lines):
            raise ValueError(f"duplicate cell lines in {self.cell_lines}")
        lo, hi = self.gap_bp
        if len(self.gap_bp) != 2 or lo < 0 or hi < lo:
            raise ValueError(f"gap_bp must be (lo, hi) with 0 <= lo <= hi, got {self.gap_bp}")
        if self.flank_bp < 0:
            raise ValueError(f"flank_bp must be non-negative, got {self.flank_bp}")
        elo, ehi = self.element_length
        if len(self.element_length) != 2 or not 200 <= elo <= ehi <= 1_500:
            raise ValueError(f"element_length must be (lo, hi) with 200 <= lo <= hi <= 1500 bp, got {self.element_length}")
        for name in ("p_enhancing", "p_weak", "p_silencer_all", "p_silencer_line", "p_pair", "cgi_fraction"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {v}")
        if self.p_enhancing + self.p_weak > 1.0:
            raise ValueError("p_enhancing + p_weak must be at most 1")
        if not 0.0 <= self.repeat_fraction < 0.9:
            raise ValueError(f"repeat_fraction must be in [0, 0.9), got {self.repeat_fraction}")
        if self.signal_bin_bp < 1:
            raise ValueError(f"signal_bin_bp must be positive, got {self.signal_bin_bp}")
        if self.chrom_size is not None:
            if self.chrom_size < 1:
                raise ValueError(f"chrom_size must be positive, got {self.chrom_size}")
            per_chrom = -(-self.n_genes // self.n_chromosomes)
            need = 2 * self.flank_bp + per_chrom * (SEQ_LENGTH + lo)
            if need > self.chrom_size:
                raise ValueError(
                    f"{self.n_genes} genes do not fit on {self.n_chromosomes} chromosomes of "
                    f"{self.chrom_size:,} bp: {per_chrom} windows of {SEQ_LENGTH:,} bp plus gaps "
                    f"need {need:,} bp per chromosome"
                )

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["cell_lines"] = list(self.cell_lines)
        d["gap_bp"] = list(self.gap_bp)
        d["element_length"] = list(self.element_length)
        d["mechanism"] = self.mechanism.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "WorldConfig":
        d = dict(d)
        d["mechanism"] = Mechanism.from_dict(d["mechanism"])
        return cls(**d)


DEFAULT_CONFIG = WorldConfig()
SMALL_CONFIG = WorldConfig(n_genes=12, n_chromosomes=2, p_enhancing=0.5, p_pair=0.8, gap_bp=(2_000, 4_000))


@dataclass(frozen=True)
class WorldFiles:
    """Paths of a generated world (all inside ``root``)."""

    root: Path
    fasta: Path
    fai: Path
    gtf: Path
    genes: Path
    elements: Path
    sites: Path
    bigwigs: dict = field(default_factory=dict)  # {cell_line: {"accessibility": Path, "H3K27ac": Path}}
    manifest: Path | None = None
    seed: int = 0
    key: str = ""


def world_key(seed: int, config: WorldConfig) -> str:
    """Cache key: 16 hex digits of the SHA-256 of generator version, seed and config."""
    payload = json.dumps(
        {"version": GENERATOR_VERSION, "seed": int(seed), "config": config.to_dict(), "jaspar": JASPAR_RELEASE},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _files(root: Path, seed: int, key: str, cell_lines) -> WorldFiles:
    return WorldFiles(
        root=root,
        fasta=root / "genome.fa",
        fai=root / "genome.fa.fai",
        gtf=root / "genes.gtf",
        genes=root / "genes.tsv",
        elements=root / "elements.bed",
        sites=root / "sites.tsv",
        bigwigs={c: {a: root / "bigwig" / f"{c}.{a}.bw" for a in ("accessibility", "H3K27ac")} for c in cell_lines},
        manifest=root / "manifest.json",
        seed=seed,
        key=key,
    )


def _complete(files: WorldFiles) -> bool:
    try:
        manifest = json.loads(files.manifest.read_text())
    except (OSError, ValueError):
        return False
    if manifest.get("key") != files.key or not manifest.get("complete"):
        return False
    paths = [files.fasta, files.fai, files.gtf, files.genes, files.elements, files.sites]
    paths += [p for d in files.bigwigs.values() for p in d.values()]
    return all(p.exists() for p in paths)


def generate_world(out_dir: str | os.PathLike, seed: int = 0, config: WorldConfig | None = None) -> WorldFiles:
    """Generate (or reuse) a world in ``out_dir/world-<key>``.

    Parameters
    ----------
    out_dir : path
        Cache directory (created if missing).
    seed : int
        Non-negative seed; the same seed and config give byte-identical FASTA, GTF and BED.
    config : WorldConfig, optional
        Size and composition (default ``DEFAULT_CONFIG``: 192 genes on 4 chromosomes,
        ~40 Mb, generated in well under a minute).

    Returns
    -------
    WorldFiles
        Paths of the complete world.

    Raises
    ------
    ValueError
        For a bad seed or config (raised before anything is written), or if ``out_dir`` is a file.
    """
    config = DEFAULT_CONFIG if config is None else config
    if not isinstance(config, WorldConfig):
        raise ValueError(f"config must be a WorldConfig, got {type(config).__name__}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out_dir {out_dir} exists and is not a directory")
    key = world_key(seed, config)
    final = out_dir / f"world-{key}"
    files = _files(final, seed, key, config.cell_lines)
    if _complete(files):
        return files
    out_dir.mkdir(parents=True, exist_ok=True)
    if final.exists():  # a folder without a valid manifest is not ours to trust: set it aside
        stale = out_dir / f".stale-world-{key}-{uuid.uuid4().hex[:8]}"
        os.rename(final, stale)
        shutil.rmtree(stale, ignore_errors=True)
    tmp = out_dir / f".tmp-world-{key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        _Builder(seed, config, _files(tmp, seed, key, config.cell_lines)).run()
        try:
            os.rename(tmp, final)
        except OSError:
            # Another process finished first; use its world if it is complete.
            if not _complete(files):
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return files


# ---------------------------------------------------------------------------------------------
# sequence helpers


def markov_tokens(n: int, rng: np.random.Generator, transitions: np.ndarray = GENOME_TRANSITIONS, chains: int = 4096) -> np.ndarray:
    """``n`` tokens from a first-order Markov chain, vectorised over ``chains`` parallel chains.

    The chains are concatenated, so the sequence is Markov except at ``chains - 1`` junctions.
    Returns ``(n,)`` uint8 in ``0..3``.
    """
    if n <= 0:
        return np.zeros(0, np.uint8)
    chains = max(1, min(chains, n // 64 or 1))
    steps = -(-n // chains)
    cum = np.cumsum(transitions, axis=1)[:, :3].astype(np.float32)
    u = rng.random((steps, chains), dtype=np.float32)
    stationary = np.linalg.matrix_power(transitions, 64)[0]
    state = rng.choice(4, size=chains, p=stationary / stationary.sum()).astype(np.intp)
    out = np.empty((steps, chains), np.uint8)
    for t in range(steps):
        state = (u[t][:, None] > cum[state]).sum(axis=1)
        out[t] = state
    return out.T.reshape(-1)[:n].copy()


def _rc(tokens: np.ndarray) -> np.ndarray:
    return (3 - tokens[::-1]).astype(np.uint8)


def _clean_consensus(tokens: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Mutate a short sequence until no motif in ``names`` has a site above threshold."""
    tokens = tokens.copy()
    if not _fix_sites(tokens, np.zeros(tokens.size, bool), names, names):
        raise RuntimeError("could not clean a repeat consensus")
    return tokens


def _fix_sites(tokens: np.ndarray, keep: np.ndarray, names: tuple[str, ...], banned: tuple[str, ...], rounds: int = 12) -> bool:
    """Remove every site of a ``banned`` motif (occupancy > 0) from ``tokens`` in place.

    Each site loses its most informative base that is not in ``keep`` (set to the base the
    PWM likes least). Returns False if a banned site cannot be removed within ``rounds``.
    """
    cols = [names.index(b) for b in banned]
    motifs = [get_motif(b) for b in banned]
    for _ in range(rounds):
        occ, strand = scan_tokens(tokens, names)
        pos, j = np.nonzero(occ[:, cols] > 0)
        if pos.size == 0:
            return True
        for p, jj in zip(pos, j):
            m = motifs[jj]
            w = min(m.width, tokens.size - p)
            seg = tokens[p : p + w].astype(np.intp)
            W = m.weights if strand[p, cols[jj]] > 0 else m.rc_weights
            gain = W[np.arange(w), np.minimum(seg, 3)] - W[:w].min(axis=1)
            gain[keep[p : p + w]] = -np.inf
            k = int(np.argmax(gain))
            if not np.isfinite(gain[k]):
                return False
            tokens[p + k] = int(np.argmin(W[k]))
    return False


# ---------------------------------------------------------------------------------------------
# the builder


class _Builder:
    def __init__(self, seed: int, config: WorldConfig, files: WorldFiles):
        self.seed = seed
        self.config = config
        self.files = files
        self.mech = config.mechanism
        self.regulatory = self.mech.regulatory_motifs
        self.all_motifs = self.mech.motif_names
        _, self.tiles = tile_grid(SEQ_LENGTH, TILE_SIZE)
        self.repressor_of = {}  # line -> line-specific repressor motif
        for line, motif in self.mech.repressors:
            if len(self.mech.lines_of(motif)) == 1:
                self.repressor_of.setdefault(line, motif)
        self.shared_repressor = next(
            (m for _, m in self.mech.repressors if len(self.mech.lines_of(m)) == len(self.mech.cell_lines)), None
        )
        self.activators = {line: {} for line in self.mech.cell_lines}
        for line, motif, channel in self.mech.activators:
            self.activators[line].setdefault(channel, motif)

    def rng(self, *keys) -> np.random.Generator:
        return derive_rng(self.seed, "world", *keys)

    # -- layout ------------------------------------------------------------------------------
    def layout(self) -> None:
        cfg = self.config
        groups = np.array_split(np.arange(cfg.n_genes), cfg.n_chromosomes)
        rng = self.rng("layout")
        self.chroms = []  # (name, size)
        genes = []
        for k, idx in enumerate(groups):
            name = f"chr{k + 1}"
            gaps = rng.integers(cfg.gap_bp[0], cfg.gap_bp[1] + 1, size=len(idx))
            if cfg.chrom_size is not None:
                room = cfg.chrom_size - 2 * cfg.flank_bp - len(idx) * SEQ_LENGTH - len(idx) * cfg.gap_bp[0]
                extra = gaps - cfg.gap_bp[0]
                if extra.sum() > room:
                    gaps = cfg.gap_bp[0] + np.floor(extra * (room / max(extra.sum(), 1))).astype(np.int64)
            strands = rng.integers(0, 2, size=len(idx))
            pos = cfg.flank_bp
            for j, g in enumerate(idx):
                pos += int(gaps[j])
                genes.append(
                    dict(
                        index=int(g),
                        gene_id=f"SYNG{g + 1:05d}",
                        gene_name=f"SYN{g + 1}",
                        chrom=name,
                        window_start=pos,
                        window_end=pos + SEQ_LENGTH,
                        tss=pos + SEQ_LENGTH // 2,
                        strand="+" if strands[j] == 0 else "-",
                    )
                )
                pos += SEQ_LENGTH
            size = pos + cfg.flank_bp if cfg.chrom_size is None else cfg.chrom_size
            self.chroms.append((name, int(size)))
        self.genes = genes

    # -- coordinates -------------------------------------------------------------------------
    @staticmethod
    def to_genome(gene: dict, p0: int, p1: int) -> tuple[int, int]:
        """Window interval [p0, p1) (gene orientation) -> genome interval."""
        if gene["strand"] == "+":
            return gene["window_start"] + p0, gene["window_start"] + p1
        return gene["window_start"] + SEQ_LENGTH - p1, gene["window_start"] + SEQ_LENGTH - p0

    # -- background --------------------------------------------------------------------------
    def background(self, name: str, size: int) -> tuple[np.ndarray, np.ndarray]:
        tokens = markov_tokens(size, self.rng("background", name))
        lower = np.zeros(size, bool)
        if self.config.repeat_fraction > 0:
            self.add_repeats(name, tokens, lower)
        return tokens, lower

    def repeat_consensus(self) -> dict:
        if hasattr(self, "_consensus"):
            return self._consensus
        cons = {}
        for fam, length, comp, _, _ in _REPEATS:
            if fam == "simple":
                continue
            rng = self.rng("repeat-consensus", fam)
            trans = np.tile(np.asarray(comp), (4, 1))
            trans[1, 2] *= 0.5
            trans = trans / trans.sum(axis=1, keepdims=True)
            seq = markov_tokens(length, rng, trans, chains=8)
            if fam == "AluY_like":
                seq[-25:] = 0  # poly-A tail
            cons[fam] = _clean_consensus(seq, self.all_motifs)
        self._consensus = cons
        return cons

    def add_repeats(self, name: str, tokens: np.ndarray, lower: np.ndarray) -> None:
        cons = self.repeat_consensus()
        rng = self.rng("repeats", name)
        size = tokens.size
        budget = self.config.repeat_fraction * size
        for fam, length, _, share, (dlo, dhi) in _REPEATS:
            placed = 0.0
            target = share * budget
            while placed < target:
                if fam == "simple":
                    unit = np.frombuffer(_SIMPLE_UNITS[rng.integers(len(_SIMPLE_UNITS))].encode(), np.uint8)
                    unit = np.searchsorted(np.frombuffer(b"ACGT", np.uint8), unit).astype(np.uint8)
                    n = int(rng.integers(30, 151))
                    copy = np.resize(unit, n)
                elif fam == "L1_like":
                    n = int(min(length, rng.integers(200, length + 1)))
                    copy = cons[fam][length - n :].copy()  # 5'-truncated
                else:
                    copy = cons[fam].copy()
                n = copy.size
                div = rng.uniform(dlo, dhi)
                hit = rng.random(n) < div
                copy[hit] = rng.integers(0, 4, hit.sum())
                if rng.random() < 0.5:
                    copy = _rc(copy)
                start = int(rng.integers(0, max(size - n, 1)))
                tokens[start : start + n] = copy[: size - start]
                lower[start : start + n] = True
                placed += n

    # -- promoters ---------------------------------------------------------------------------
    def build_promoter(self, gene: dict, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        """Promoter region ``[tss - 500, tss + 500)`` in gene orientation (tokens), and its type."""
        cgi = rng.random() < self.config.cgi_fraction
        ptype = "CGI" if cgi else "TATA"
        for _ in range(200):
            region = markov_tokens(2 * PROMOTER_HALF, rng, CGI_TRANSITIONS if cgi else GENOME_TRANSITIONS, chains=16)
            k = int(rng.integers(2, 5))
            if cgi:
                slots = [s for s in _PROMOTER_SLOTS if s != -31]
                chosen = sorted(rng.choice(len(slots), size=k, replace=False))
                motifs = ["SP1"] + list(rng.choice(["SP1", "NRF1", "YY1"], size=k - 1))
                plan = [(slots[c], m) for c, m in zip(chosen, rng.permutation(motifs))]
            else:
                slots = [s for s in _PROMOTER_SLOTS if s != -31]
                chosen = sorted(rng.choice(len(slots), size=k - 1, replace=False))
                plan = [(-31, "TBP")] + [(slots[c], str(m)) for c, m in zip(chosen, rng.choice(["SP1", "YY1"], size=k - 1))]
            plan = [(o, m) for o, m in plan if m in self.mech.promoter_motifs]
            keep = np.zeros(region.size, bool)
            for offset, motif in plan:
                site = sample_site(get_motif(motif), rng, 0.7)
                if motif != "TBP" and rng.random() < 0.5:
                    site = _rc(site)
                p = PROMOTER_HALF + offset
                region[p : p + site.size] = site
                keep[p : p + site.size] = True
            # No activator or repressor site may sit in a promoter.
            if not _fix_sites(region, keep, self.all_motifs, self.regulatory):
                continue
            occ, _ = scan_tokens(region, self.mech.promoter_motifs)
            core = occ[PROMOTER_HALF - CORE_HALF : PROMOTER_HALF + CORE_HALF].sum()
            if core - self.mech.promoter_threshold >= 0.5:
                return region, ptype
        raise RuntimeError(f"could not build a promoter for {gene['gene_id']}")

    # -- elements ----------------------------------------------------------------------------
    def build_element(self, motif: str, length: int, n_sites: int, rng: np.random.Generator) -> np.ndarray:
        """Element tokens (genome orientation) with ``n_sites`` planted sites of ``motif`` and
        no site of any other motif above threshold."""
        m = get_motif(motif)
        need = self.mech.gate_high + 0.5  # the element opens the cluster gate fully on its own
        seg = length // n_sites
        banned = tuple(n for n in self.all_motifs if n != motif)
        for _ in range(200):
            tokens = markov_tokens(length, rng, GENOME_TRANSITIONS, chains=16)
            keep = np.zeros(length, bool)
            for k in range(n_sites):
                site = sample_site(m, rng, 0.7)
                if rng.random() < 0.5:
                    site = _rc(site)
                start = k * seg + int(rng.integers(2, seg - m.width - 1))
                tokens[start : start + m.width] = site
                keep[start : start + m.width] = True
            # Off-target sites (any other motif, incl. core-promoter ones) are mutated away.
            if not _fix_sites(tokens, keep, self.all_motifs, banned):
                continue
            occ, _ = scan_tokens(tokens, (motif,))
            if occ.sum() < need:
                continue
            return tokens
        raise RuntimeError(f"could not build a clean {motif} element")

    def element_sites(self, motif: str, length: int, rng: np.random.Generator, n_min: int = 6, n_max: int = 10) -> int:
        width = get_motif(motif).width
        cap = max(n_min, min(n_max, length // (width + 12)))
        return int(rng.integers(n_min, cap + 1))

    # -- planning ----------------------------------------------------------------------------
    def plan_gene(self, gene: dict) -> list[dict]:
        """Choose and build the gene's elements; returns element records (window coords)."""
        cfg, mech = self.config, self.mech
        rng = self.rng("gene", gene["index"])
        free = list(rng.permutation(len(self.tiles)))
        elements: list[dict] = []
        tss_in = SEQ_LENGTH // 2  # TSS between input bins 767 and 768

        def place(cls: str, motif: str, lines: tuple[str, ...], channel: str | None, program: str, n_min=6, n_max=10, near=False):
            if not free:
                return None
            if near:  # strong programs use one of the 16 free tiles nearest the TSS (within ~45 kb)
                order = sorted(free, key=lambda t: (abs(self.tiles[t].mean() - tss_in), t))
                tile = order[int(rng.integers(0, min(len(order), 16)))]
            else:
                tile = free[0]
            free.remove(tile)
            length = int(rng.integers(cfg.element_length[0], cfg.element_length[1] + 1))
            ts, te = self.tiles[tile]
            p0 = int(ts + TILE_MARGIN + rng.integers(0, TILE_SIZE - 2 * TILE_MARGIN - length + 1))
            n_sites = self.element_sites(motif, length, rng, n_min, n_max)
            tokens = self.build_element(motif, length, n_sites, rng)
            occ, _ = scan_tokens(tokens, (motif,))
            total = float(occ.sum())
            weight = mech.enhancer_weight if cls == "enhancer" else mech.silencer_weight
            center = p0 + length / 2
            rec = dict(
                element_id=f"{gene['gene_id']}.E{len(elements) + 1:02d}",
                cls=cls,
                motif=motif,
                channel=channel,
                lines=lines,
                p0=p0,
                p1=p0 + length,
                tile=int(tile),
                tokens=tokens,
                n_sites=n_sites,
                occupancy=total,
                strength=weight * total,
                drive=weight * total * float(distance_decay(center - tss_in, mech)),
                partner=None,
                pair_type=None,
                program=program,
            )
            elements.append(rec)
            return rec

        def line_factor(line: str) -> float:
            """(1 + D) * R at the TSS from the elements placed so far (element-level formula)."""
            lin = coop_sum = sat = rep = 0.0
            coop = []
            for e in elements:
                if line not in e["lines"]:
                    continue
                if e["cls"] == "silencer":
                    rep += e["drive"]
                elif e["channel"] == "lin":
                    lin += e["drive"]
                elif e["channel"] == "coop":
                    coop.append(e["drive"])
                else:
                    sat += e["drive"]
            coop_sum = sum(coop) + mech.coop_gain * sum(a * b for i, a in enumerate(coop) for b in coop[i + 1 :])
            d = lin + coop_sum + mech.sat_max * (1 - np.exp(-sat / mech.sat_max))
            return (1 + d) * float(np.exp(-rep))

        lines = cfg.cell_lines
        programs = {}
        # Silencers first, so enhancer programs can compensate for them.
        if self.shared_repressor is not None and rng.random() < cfg.p_silencer_all:
            place("silencer", self.shared_repressor, mech.lines_of(self.shared_repressor), None, "silencer")
        for line in lines:
            motif = self.repressor_of.get(line)
            if motif is not None and rng.random() < cfg.p_silencer_line:
                place("silencer", motif, mech.lines_of(motif), None, "silencer")
        for line in lines:
            u = rng.random()
            acts = self.activators[line]
            if u < cfg.p_enhancing:
                programs[line] = "enhancing"
                target = float(np.exp(rng.uniform(np.log(25), np.log(100))))
                if rng.random() < cfg.p_pair:
                    channel = ("lin", "coop", "sat")[int(rng.integers(3))]
                    a = place("enhancer", acts[channel], (line,), channel, "enhancing", near=True)
                    b = place("enhancer", acts[channel], (line,), channel, "enhancing", near=True)
                    if a is not None and b is not None:
                        ptype = {"lin": "additive", "coop": "superadditive", "sat": "subadditive"}[channel]
                        a["partner"], b["partner"] = b["element_id"], a["element_id"]
                        a["pair_type"] = b["pair_type"] = ptype
                else:
                    channel = ("lin", "lin", "lin", "coop", "sat")[int(rng.integers(5))]
                    place("enhancer", acts[channel], (line,), channel, "enhancing", near=True)
                for _ in range(6):
                    if line_factor(line) >= target:
                        break
                    place("enhancer", acts["lin"], (line,), "lin", "enhancing", n_min=7, n_max=12, near=True)
            elif u < cfg.p_enhancing + cfg.p_weak:
                programs[line] = "weak"
                far = [t for t in free if abs(self.tiles[t].mean() - tss_in) > 50_000]
                if far:
                    free.remove(far[0])
                    free.insert(0, far[0])
                place("enhancer", acts["lin"], (line,), "lin", "weak", n_min=6, n_max=6)
            else:
                programs[line] = "none"
        gene["programs"] = programs
        return elements

    # -- cleaning ----------------------------------------------------------------------------
    def clean(self, tokens: np.ndarray, protected: np.ndarray, scanner) -> int:
        """Mutate every motif site (any of the model's motifs) not fully inside a protected
        interval (promoter regions and elements), so a gene window holds exactly the recorded
        sites and the model's output is the floor away from the TSS."""
        names = self.all_motifs
        motifs = [get_motif(n) for n in names]
        widths = np.array([m.width for m in motifs])
        span = int(widths.max())
        cum = np.concatenate([[0], np.cumsum(protected)])  # prefix counts of protected bp
        n_mut = 0
        hits = scanner.hits(tokens)
        for _ in range(50):
            if hits.shape[0] == 0:
                return n_mut
            pos, mi = hits[:, 0], hits[:, 1]
            end = np.minimum(pos + widths[mi], tokens.size)
            hits = hits[(cum[end] - cum[pos]) != (end - pos)]
            touched = []
            for p, j in hits:
                m = motifs[j]
                w = min(m.width, tokens.size - p)
                seg = tokens[p : p + w]
                k_idx = np.arange(w)
                W = m.weights if m.weights[k_idx, seg].sum() >= m.rc_weights[k_idx, seg].sum() else m.rc_weights
                gain = W[k_idx, seg] - W[:w].min(axis=1)
                gain[protected[p : p + w]] = -np.inf
                k = int(np.argmax(gain))
                if not np.isfinite(gain[k]):
                    raise RuntimeError("a stray motif site lies entirely in a protected region")
                tokens[p + k] = int(np.argmin(W[k]))
                touched.append(p + k)
                n_mut += 1
            if not touched:
                return n_mut
            # Re-scan around the mutations (a mutation can create a new site): all windows in
            # one scan, separated by N runs so no site spans two windows.
            touched = np.unique(np.asarray(touched, dtype=np.int64))
            lo = np.maximum(touched - span, 0)
            hi = np.minimum(touched + span, tokens.size)
            gap = np.full(span, 4, np.uint8)
            parts, offsets, at = [], [], 0
            for a, b in zip(lo, hi):
                parts += [tokens[a:b], gap]
                offsets.append((at, a, b - a))
                at += (b - a) + span
            occ, _ = scan_tokens(np.concatenate(parts), names)
            q, j = np.nonzero(occ > 0)
            starts = np.array([o[0] for o in offsets])
            which = np.searchsorted(starts, q, side="right") - 1
            rel = q - starts[which]
            ok = rel + widths[j] <= np.array([o[2] for o in offsets])[which]
            found = np.stack([lo[which] + rel, j], axis=1)[ok]
            hits = np.unique(found.astype(np.int64).reshape(-1, 2), axis=0)
        raise RuntimeError("background cleaning did not converge")

    # -- run ---------------------------------------------------------------------------------
    def run(self) -> None:
        mech = self.mech
        self.layout()
        scanner = HitScanner(self.all_motifs)
        fasta_parts = []
        gene_rows, element_rows, site_rows = [], [], []
        self.signal = {}
        stats = {"cleaned_sites": 0}
        for name, size in self.chroms:
            tokens, lower = self.background(name, size)
            protected = np.zeros(size, bool)
            chrom_genes = [g for g in self.genes if g["chrom"] == name]
            placed = []
            for gene in chrom_genes:
                rng = self.rng("promoter", gene["index"])
                region, ptype = self.build_promoter(gene, rng)
                gene["promoter_type"] = ptype
                g0, g1 = self.to_genome(gene, SEQ_LENGTH // 2 - PROMOTER_HALF, SEQ_LENGTH // 2 + PROMOTER_HALF)
                tokens[g0:g1] = region if gene["strand"] == "+" else _rc(region)
                lower[g0:g1] = False
                protected[g0:g1] = True
                for e in self.plan_gene(gene):
                    e0, e1 = self.to_genome(gene, e["p0"], e["p1"])
                    tokens[e0:e1] = e["tokens"]  # elements are built in genome orientation
                    lower[e0:e1] = False
                    protected[e0:e1] = True
                    e["start"], e["end"] = e0, e1
                    placed.append((gene, e))
            stats["cleaned_sites"] += self.clean(tokens, protected, scanner)
            # The record: every site in elements and around each promoter, from the final sequence.
            for gene in chrom_genes:
                lo, hi = gene["tss"] - 2 * PROMOTER_HALF, gene["tss"] + 2 * PROMOTER_HALF
                site_rows += self.record_sites(tokens, name, lo, hi, f"promoter:{gene['gene_id']}", mech.promoter_motifs)
                gene_rows.append(gene)
            for gene, e in placed:
                rows = self.record_sites(tokens, name, e["start"], e["end"], e["element_id"], (e["motif"],))
                site_rows += rows
                e["occupancy"] = float(sum(r["occupancy"] for r in rows))
                e["n_found"] = len(rows)
                element_rows.append((gene, e))
            fasta_parts.append((name, tokens, lower))
            self.signal[name] = (size, chrom_genes, [e for g, e in placed])
        self.write_fasta(fasta_parts)
        self.write_gtf(gene_rows)
        self.write_genes(gene_rows)
        self.write_elements(element_rows)
        self.write_sites(site_rows)
        self.write_bigwigs()
        self.write_manifest(stats, gene_rows, element_rows, site_rows)

    def record_sites(self, tokens, chrom, lo, hi, owner, names) -> list[dict]:
        lo, hi = max(0, lo), min(tokens.size, hi)
        occ, strand = scan_tokens(tokens[lo:hi], names)
        rows = []
        for q, j in zip(*np.nonzero(occ > 0)):
            m = get_motif(names[j])
            if q + m.width > hi - lo:
                continue
            rows.append(
                dict(
                    chrom=chrom,
                    start=lo + int(q),
                    end=lo + int(q) + m.width,
                    motif=m.name,
                    strand="+" if strand[q, j] > 0 else "-",
                    score=m.score(tokens[lo + q : lo + q + m.width]),
                    occupancy=float(occ[q, j]),
                    owner=owner,
                )
            )
        return rows

    # -- writers -----------------------------------------------------------------------------
    def write_fasta(self, parts) -> None:
        import pyfaidx

        letters = np.frombuffer(b"ACGT", np.uint8)
        with open(self.files.fasta, "wb") as fh:
            for name, tokens, lower in parts:
                seq = letters[tokens].copy()
                seq[lower] += 32  # soft-mask
                fh.write(f">{name}\n".encode())
                n_full = seq.size // 60
                body = np.empty((n_full, 61), np.uint8)
                body[:, :60] = seq[: n_full * 60].reshape(n_full, 60)
                body[:, 60] = ord("\n")
                fh.write(body.tobytes())
                if seq.size % 60:
                    fh.write(seq[n_full * 60 :].tobytes() + b"\n")
        pyfaidx.Faidx(str(self.files.fasta)).close()

    def write_gtf(self, genes) -> None:
        lines = [
            "##description: creme-book embedded world (simulated genome; not human)",
            "##provider: creme_lib.world",
            "##format: gtf",
        ]
        recs = []
        for gene in genes:
            rng = self.rng("gtf", gene["index"])
            glen = int(rng.integers(8_000, 60_000))
            n_ex = int(rng.integers(2, 7))
            ex_len = rng.integers(100, 400, size=n_ex)
            inner = np.sort(rng.choice(np.arange(1_000, glen - 1_000, 1_000), size=n_ex - 2, replace=False)) if n_ex > 2 else []
            starts = [0] + list(inner) + [glen - int(ex_len[-1])]
            exons = [(int(s), int(s + ln)) for s, ln in zip(starts, ex_len)]
            tss = gene["tss"]

            def genome(a, b):  # transcript offsets [a, b) -> 1-based inclusive
                if gene["strand"] == "+":
                    return tss + a + 1, tss + b
                return tss - b + 2, tss - a + 1

            gs, ge = genome(0, glen)
            gid, tid, gname = gene["gene_id"], gene["gene_id"].replace("SYNG", "SYNT"), gene["gene_name"]
            base = f'gene_id "{gid}"; gene_type "protein_coding"; gene_name "{gname}";'
            tx = f'{base} transcript_id "{tid}"; transcript_type "protein_coding"; transcript_name "{gname}-201";'
            recs.append((gene["chrom"], gs, 0, f"{gene['chrom']}\tcreme_world\tgene\t{gs}\t{ge}\t.\t{gene['strand']}\t.\t{base} level 2;"))
            recs.append((gene["chrom"], gs, 1, f"{gene['chrom']}\tcreme_world\ttranscript\t{gs}\t{ge}\t.\t{gene['strand']}\t.\t{tx} level 2;"))
            for k, (a, b) in enumerate(exons):
                es, ee = genome(a, b)
                recs.append(
                    (gene["chrom"], gs, 2 + k, f"{gene['chrom']}\tcreme_world\texon\t{es}\t{ee}\t.\t{gene['strand']}\t.\t"
                     f'{tx} exon_number {k + 1}; exon_id "{tid.replace("SYNT", "SYNX")}.{k + 1}"; level 2;')
                )
        order = {name: i for i, (name, _) in enumerate(self.chroms)}
        recs.sort(key=lambda r: (order[r[0]], r[1], r[2]))
        self.files.gtf.write_text("\n".join(lines + [r[3] for r in recs]) + "\n")

    def write_genes(self, genes) -> None:
        cols = ["gene_id", "gene_name", "chrom", "tss", "strand", "window_start", "window_end", "promoter_type"]
        lines = ["\t".join(cols + [f"program_{c}" for c in self.config.cell_lines])]
        for g in genes:
            lines.append("\t".join([str(g[c]) for c in cols] + [g["programs"][c] for c in self.config.cell_lines]))
        self.files.genes.write_text("\n".join(lines) + "\n")

    def write_elements(self, rows) -> None:
        cols = [
            "chrom", "start", "end", "element_id", "class", "cell_lines", "strength", "motif", "channel",
            "n_sites", "occupancy", "target_gene", "tss_distance", "tile_index", "partner_id", "pair_type",
        ]
        out = ["#" + "\t".join(cols)]
        order = {name: i for i, (name, _) in enumerate(self.chroms)}
        rows = sorted(rows, key=lambda ge: (order[ge[0]["chrom"]], ge[1]["start"]))
        for gene, e in rows:
            center = (e["p0"] + e["p1"]) / 2 - SEQ_LENGTH // 2
            strength = (self.mech.enhancer_weight if e["cls"] == "enhancer" else self.mech.silencer_weight) * e["occupancy"]
            out.append(
                "\t".join(
                    [
                        gene["chrom"], str(e["start"]), str(e["end"]), e["element_id"], e["cls"], ",".join(e["lines"]),
                        f"{strength:.6g}", e["motif"], e["channel"] or ".", str(e["n_found"]), f"{e['occupancy']:.6g}",
                        gene["gene_id"], f"{center:.1f}", str(e["tile"]), e["partner"] or ".", e["pair_type"] or ".",
                    ]
                )
            )
        self.files.elements.write_text("\n".join(out) + "\n")

    def write_sites(self, rows) -> None:
        cols = ["chrom", "start", "end", "motif", "strand", "score", "occupancy", "owner"]
        order = {name: i for i, (name, _) in enumerate(self.chroms)}
        rows = sorted(rows, key=lambda r: (order[r["chrom"]], r["start"], r["motif"]))
        out = ["\t".join(cols)]
        for r in rows:
            out.append("\t".join([r["chrom"], str(r["start"]), str(r["end"]), r["motif"], r["strand"], f"{r['score']:.6g}", f"{r['occupancy']:.6g}", r["owner"]]))
        self.files.sites.write_text("\n".join(out) + "\n")

    def write_bigwigs(self) -> None:
        import pyBigWig

        step = self.config.signal_bin_bp
        (self.files.root / "bigwig").mkdir(exist_ok=True)
        for line in self.config.cell_lines:
            for assay in ("accessibility", "H3K27ac"):
                path = self.files.bigwigs[line][assay]
                bw = pyBigWig.open(str(path), "w")
                bw.addHeader([(n, s) for n, s in self.chroms], maxZooms=4)
                for name, size in self.chroms:
                    vals = self.track(line, assay, name, size, step)
                    bw.addEntries(name, 0, values=vals, span=step, step=step)
                bw.close()

    def track(self, line: str, assay: str, name: str, size: int, step: int) -> np.ndarray:
        rng = self.rng("bigwig", line, assay, name)
        n = -(-size // step)
        vals = rng.gamma(2.0, 0.05, n)
        centers = (np.arange(n) + 0.5) * step
        _, genes, elements = self.signal[name]
        peaks = []  # (centre bp, height, width bp)
        for g in genes:
            height = 3.0 if assay == "accessibility" else 2.0 + np.log1p(4.0 * (g["programs"].get(line) == "enhancing"))
            peaks.append((g["tss"], height, 300.0 if assay == "accessibility" else 1_500.0))
        for e in elements:
            if line not in e["lines"]:
                continue
            if assay == "H3K27ac" and e["cls"] == "silencer":
                continue  # bound (accessible) but not acetylated
            height = 1.0 + np.log1p(e["strength"]) * (0.6 if assay == "accessibility" else 0.8)
            peaks.append(((e["start"] + e["end"]) / 2, height, (e["end"] - e["start"]) / 2 + (200.0 if assay == "accessibility" else 1_000.0)))
        for c, h, w in peaks:
            lo, hi = np.searchsorted(centers, [c - 3 * w, c + 3 * w])
            vals[lo:hi] += h * rng.lognormal(0.0, 0.25) * np.exp(-0.5 * ((centers[lo:hi] - c) / (w / 2)) ** 2)
        return vals.astype(np.float64)

    def write_manifest(self, stats, genes, elements, sites) -> None:
        from creme_lib.world.motifs import motif_bank

        counts = {}
        for line in self.config.cell_lines:
            counts[line] = {
                "enhancers": sum(1 for _, e in elements if e["cls"] == "enhancer" and line in e["lines"]),
                "silencers": sum(1 for _, e in elements if e["cls"] == "silencer" and line in e["lines"]),
                "programs": {p: sum(1 for g in genes if g["programs"][line] == p) for p in ("enhancing", "weak", "none")},
            }
        manifest = {
            "format": "creme-world",
            "generator_version": GENERATOR_VERSION,
            "key": self.files.key,
            "seed": self.seed,
            "config": self.config.to_dict(),
            "jaspar_release": JASPAR_RELEASE,
            "motifs": {n: motif_bank()[n].matrix_id for n in self.mech.motif_names},
            "chromosomes": [[n, s] for n, s in self.chroms],
            "files": {
                "fasta": self.files.fasta.name,
                "gtf": self.files.gtf.name,
                "genes": self.files.genes.name,
                "elements": self.files.elements.name,
                "sites": self.files.sites.name,
                "bigwigs": {c: {a: str(p.relative_to(self.files.root)) for a, p in d.items()} for c, d in self.files.bigwigs.items()},
            },
            "stats": {
                "genes": len(genes),
                "elements": len(elements),
                "sites": len(sites),
                "cleaned_background_sites": stats["cleaned_sites"],
                "per_cell_line": counts,
            },
            "complete": True,
        }
        self.files.manifest.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
