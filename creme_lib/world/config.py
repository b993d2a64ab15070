"""Size, composition and cache key of a generated world: WorldConfig, its two standard sizes, world_key, and the layout constants of promoters and elements."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

import numpy as np

from creme_lib.world.mechanism import CELL_LINES, DEFAULT_MECHANISM, SEQ_LENGTH, Mechanism
from creme_lib.world.motifs import JASPAR_RELEASE

GENERATOR_VERSION = "1"  # part of the cache key: change it whenever the generated files change
TILE_MARGIN = 1_000  # elements keep this far from tile borders (and >= 2 kb from each other)
PROMOTER_HALF = 500  # promoter region [tss - 500, tss + 500) is protected from cleaning
CORE_HALF = 120  # core promoter sites lie within [tss - 120, tss + 120): bins 447/448 see all


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

    n_genes: int = 224
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


def world_key(seed: int, config: WorldConfig) -> str:
    """Cache key: 16 hex digits of the SHA-256 of generator version, seed and config."""
    payload = json.dumps(
        {"version": GENERATOR_VERSION, "seed": int(seed), "config": config.to_dict(), "jaspar": JASPAR_RELEASE},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
