"""The regulatory logic of the embedded world, as parameters and a numpy reference implementation.

:class:`Mechanism` holds every number the ground-truth model uses; :mod:`creme_lib.world.model`
computes the same formulas in TensorFlow, and :mod:`creme_lib.world.truth` evaluates them from
the generator's record of planted sites. The formulas are written out in the docstring of
:mod:`creme_lib.world.model`.

Layout (Enformer's): input ``L = 196,608`` bp one-hot, 1,536 *input bins* of 128 bp; output
896 bins of 128 bp covering the central 114,688 bp, so output bin ``j`` is input bin ``j + 320``
(40,960 bp cropped on each side). The TSS sits at bp 98,304, the border between output bins
447 and 448.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from creme_lib.analysis import CELL_LINES
from creme_lib.models.layouts import ENFORMER_LAYOUT
from creme_lib.world.motifs import MOTIF_NAMES, scan

# The world's model has Enformer's window and output bins, so CREME runs on it unchanged.
SEQ_LENGTH = ENFORMER_LAYOUT.seq_length  # 196,608 bp
BIN_SIZE = ENFORMER_LAYOUT.bin_size  # 128 bp
N_BINS = ENFORMER_LAYOUT.n_bins  # 896
CROP_BP = 40_960
N_INPUT_BINS = SEQ_LENGTH // BIN_SIZE  # 1536
BIN_OFFSET = CROP_BP // BIN_SIZE  # output bin j <-> input bin j + 320
TSS_BP = SEQ_LENGTH // 2  # 98,304
TSS_BINS = ENFORMER_LAYOUT.tss_bins  # (447, 448)

TRACK_NAMES: dict[str, str] = {
    "K562": "CAGE:K562 ENCODE, biol_",
    "GM12878": "CAGE:GM12878 ENCODE, biol_",
    "PC-3": "CAGE:PC-3 ENCODE, biol_",
}
CHANNELS = ("lin", "coop", "sat")
PAIR_TYPES = {"lin": "additive", "coop": "superadditive", "sat": "subadditive"}


@dataclass(frozen=True)
class Mechanism:
    """Parameters of the world's regulatory grammar (defaults are the embedded world's).

    Attributes
    ----------
    activators : tuple of (cell_line, motif, channel)
        Enhancer motifs: the cell line they act in and how their drive combines
        (``"lin"`` additive, ``"coop"`` pairwise product term, ``"sat"`` saturating).
    repressors : tuple of (cell_line, motif)
        Silencer motifs and the cell lines they act in.
    promoter_motifs : tuple of str
        Core-promoter motifs (cell-line independent).
    decay_bp : float
        Length scale ``lambda`` (bp) of the distance kernel ``exp(-|d| / lambda)``.
    enhancer_weight : float
        ``beta``: drive per unit of gated activator occupancy at distance 0.
    silencer_weight : float
        ``rho``: repression (log scale) per unit of gated repressor occupancy at distance 0.
    coop_gain : float
        ``gamma``: weight of the pairwise product of cooperative enhancers.
    sat_max : float
        ``S_max``: ceiling of the saturating channel's drive.
    promoter_gain, promoter_threshold : float
        ``alpha`` and ``theta_p``: promoter activity ``alpha * max(P - theta_p, 0)``.
    promoter_radius : int
        Input bins on each side of an output bin whose promoter-motif occupancy counts.
    gate_radius : int
        ``r`` (input bins): half-width of the cluster window of the motif-grammar gate.
    gate_low, gate_high : float
        Gate opens linearly from ``gate_low`` to ``gate_high`` summed occupancy in the window.
    pair_radius : int
        Bins closer than this count as the same element in the cooperative product term.
    floor : float
        Constant added to every output (CAGE-like background).
    background_weight : float
        ``w_bg``: log-scale gain per unit of *weak-site* occupancy at distance 0, ungated:
        weak activator sites raise the output by ``exp(+w_bg)`` per unit, weak repressor sites
        lower it by ``exp(-w_bg)``. Weak sites (``background_pvalue``) occur by chance in any
        sequence, so a dinucleotide shuffle changes them: this term is the world's shuffle
        noise, the same relative size in every context. ``0`` (the embedded world's default)
        turns it off; :meth:`with_shuffle_noise` turns it on.
    background_pvalue : float
        Background p-value of the weak-site threshold (the grammar's sites use 1e-6).
    background_decay_bp : float
        ``lambda_bg`` (bp): length scale of the weak sites' distance kernel. Shorter than the
        elements' ``decay_bp``: the context-dependence test shuffles every tile at once, so
        its noise adds up over all tiles within ~``lambda_bg``, and with 40 kb most neutral
        genes would leave CREME's neutral band (``|effect| < 0.05``) in a calibration run
        (``scripts/calibrate_shuffle_noise.py``).
    """

    activators: tuple[tuple[str, str, str], ...] = (
        ("K562", "GATA1::TAL1", "lin"),
        ("K562", "TAL1::TCF3", "coop"),
        ("K562", "MYB", "sat"),
        ("GM12878", "SPI1", "lin"),
        ("GM12878", "EBF1", "coop"),
        ("GM12878", "IRF4", "sat"),
        ("PC-3", "FOS::JUN", "lin"),
        ("PC-3", "TEAD1", "coop"),
        ("PC-3", "NFKB1", "sat"),
    )
    repressors: tuple[tuple[str, str], ...] = (
        ("K562", "REST"),
        ("GM12878", "REST"),
        ("PC-3", "REST"),
        ("K562", "GFI1B"),
        ("GM12878", "BCL6"),
        ("PC-3", "HES1"),
    )
    promoter_motifs: tuple[str, ...] = ("TBP", "SP1", "NRF1", "YY1")
    decay_bp: float = 40_000.0
    enhancer_weight: float = 6.0
    silencer_weight: float = 0.5
    coop_gain: float = 0.05
    sat_max: float = 40.0
    promoter_gain: float = 1.0
    promoter_threshold: float = 1.0
    promoter_radius: int = 1
    gate_radius: int = 12
    gate_low: float = 2.0
    gate_high: float = 4.0
    pair_radius: int = 12
    floor: float = 0.01
    background_weight: float = 0.0
    background_pvalue: float = 1e-4
    background_decay_bp: float = 20_000.0
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # Tuples of tuples whatever came in (JSON gives lists), so the dataclass stays hashable.
        object.__setattr__(self, "activators", tuple(tuple(a) for a in self.activators))
        object.__setattr__(self, "repressors", tuple(tuple(r) for r in self.repressors))
        object.__setattr__(self, "promoter_motifs", tuple(self.promoter_motifs))
        known = set(MOTIF_NAMES)
        for entry in self.activators:
            if len(entry) != 3:
                raise ValueError(f"activators entries are (cell_line, motif, channel), got {entry!r}")
            line, motif, channel = entry
            _check_line(line)
            if motif not in known:
                raise ValueError(f"unknown motif {motif!r}; the world knows {', '.join(MOTIF_NAMES)}")
            if channel not in CHANNELS:
                raise ValueError(f"channel must be one of {CHANNELS}, got {channel!r}")
        for entry in self.repressors:
            if len(entry) != 2:
                raise ValueError(f"repressors entries are (cell_line, motif), got {entry!r}")
            line, motif = entry
            _check_line(line)
            if motif not in known:
                raise ValueError(f"unknown motif {motif!r}; the world knows {', '.join(MOTIF_NAMES)}")
        for motif in self.promoter_motifs:
            if motif not in known:
                raise ValueError(f"unknown motif {motif!r}; the world knows {', '.join(MOTIF_NAMES)}")
        act = {m for _, m, _ in self.activators}
        rep = {m for _, m in self.repressors}
        prom = set(self.promoter_motifs)
        if act & rep or act & prom or rep & prom:
            raise ValueError("a motif can be an activator, a repressor or a promoter motif, not several")
        chans = {}
        for line, motif, channel in self.activators:
            if chans.setdefault(motif, channel) != channel:
                raise ValueError(f"motif {motif!r} has two channels")
        if len(set(self.activators)) != len(self.activators) or len(set(self.repressors)) != len(self.repressors):
            raise ValueError("duplicate activator or repressor entries")
        if not 1e-6 <= self.background_pvalue < 0.1:
            raise ValueError(f"background_pvalue must be in [1e-6, 0.1), got {self.background_pvalue}")
        for name in ("decay_bp", "sat_max", "promoter_gain", "background_decay_bp"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("enhancer_weight", "silencer_weight", "coop_gain", "floor", "promoter_threshold", "background_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be non-negative, got {getattr(self, name)}")
        for name in ("gate_radius", "pair_radius", "promoter_radius"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be non-negative, got {getattr(self, name)}")
        if not self.gate_high > self.gate_low >= 0:
            raise ValueError(f"need gate_high > gate_low >= 0, got {self.gate_high}, {self.gate_low}")

    # -- bookkeeping -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-friendly parameters (lists for tuples).

        The background (shuffle-noise) parameters are left out while the noise is off, so a
        noise-free mechanism keeps the dict, and the world cache key, it had before they existed.
        """
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
        if not self.background_weight:
            for name in _BACKGROUND_FIELDS:
                d.pop(name)
        d["activators"] = [list(a) for a in self.activators]
        d["repressors"] = [list(r) for r in self.repressors]
        d["promoter_motifs"] = list(self.promoter_motifs)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Mechanism":
        return cls(**d)

    def with_shuffle_noise(self, weight: float | None = None) -> "Mechanism":
        """This mechanism with the weak-site background term on (``SHUFFLE_NOISE_WEIGHT`` by default)."""
        w = SHUFFLE_NOISE_WEIGHT if weight is None else float(weight)
        return dataclasses.replace(self, background_weight=w)

    @property
    def noise_free(self) -> "Mechanism":
        """This mechanism with the background term off (what the record-based truth evaluates)."""
        return dataclasses.replace(self, background_weight=0.0)

    @property
    def cell_lines(self) -> tuple[str, ...]:
        """Cell lines in track order (the order of ``CELL_LINES``)."""
        used = {a[0] for a in self.activators} | {r[0] for r in self.repressors}
        return tuple(c for c in CELL_LINES if c in used)

    @property
    def track_names(self) -> tuple[str, ...]:
        return tuple(TRACK_NAMES[c] for c in self.cell_lines)

    @property
    def motif_names(self) -> tuple[str, ...]:
        """Scanned motifs: activators, then repressors, then promoter motifs (first occurrence)."""
        names: list[str] = []
        for m in [a[1] for a in self.activators] + [r[1] for r in self.repressors] + list(self.promoter_motifs):
            if m not in names:
                names.append(m)
        return tuple(names)

    @property
    def regulatory_motifs(self) -> tuple[str, ...]:
        """Activator and repressor motifs (the ones the generator keeps out of the background)."""
        return tuple(m for m in self.motif_names if m not in self.promoter_motifs)

    def lines_of(self, motif: str) -> tuple[str, ...]:
        """Cell lines in which ``motif`` acts (as activator or repressor), in track order."""
        lines = {a[0] for a in self.activators if a[1] == motif} | {r[0] for r in self.repressors if r[1] == motif}
        return tuple(c for c in self.cell_lines if c in lines)

    def matrices(self) -> dict[str, np.ndarray]:
        """Motif -> cell-line wiring as arrays over ``motif_names`` (M) and ``cell_lines`` (C).

        Returns a dict with ``act`` ``(M, C)`` 0/1 (activators, gate), ``lin``, ``coop``, ``sat``
        ``(M, C)`` (``beta`` where the motif drives that channel in that line), ``rep_mask``
        ``(M, C)`` 0/1, ``rep`` ``(M, C)`` (``rho``) and ``prom`` ``(M,)`` 0/1, all float32.
        """
        if "matrices" not in self._cache:
            names, lines = self.motif_names, self.cell_lines
            mi = {m: i for i, m in enumerate(names)}
            ci = {c: i for i, c in enumerate(lines)}
            out = {k: np.zeros((len(names), len(lines)), np.float32) for k in ("act", "lin", "coop", "sat", "rep_mask", "rep")}
            for line, motif, channel in self.activators:
                out["act"][mi[motif], ci[line]] = 1.0
                out[channel][mi[motif], ci[line]] = self.enhancer_weight
            for line, motif in self.repressors:
                out["rep_mask"][mi[motif], ci[line]] = 1.0
                out["rep"][mi[motif], ci[line]] = self.silencer_weight
            prom = np.zeros(len(names), np.float32)
            for motif in self.promoter_motifs:
                prom[mi[motif]] = 1.0
            out["prom"] = prom
            self._cache["matrices"] = out
        return self._cache["matrices"]

    def kernel(self, out_bins: np.ndarray | None = None) -> np.ndarray:
        """Distance kernel ``K[b, j] = exp(-128 |b - (j + 320)| / lambda)``, ``(1536, len(out_bins))`` float32."""
        out_bins = np.arange(N_BINS) if out_bins is None else np.asarray(out_bins)
        d = BIN_SIZE * (np.arange(N_INPUT_BINS)[:, None] - (out_bins[None, :] + BIN_OFFSET))
        return distance_decay(d, self).astype(np.float32)

    def background_kernel(self, out_bins: np.ndarray | None = None) -> np.ndarray:
        """Weak-site kernel ``exp(-128 |b - (j + 320)| / lambda_bg)``, ``(1536, len(out_bins))`` float32."""
        out_bins = np.arange(N_BINS) if out_bins is None else np.asarray(out_bins)
        d = BIN_SIZE * (np.arange(N_INPUT_BINS)[:, None] - (out_bins[None, :] + BIN_OFFSET))
        return np.exp(-np.abs(d) / self.background_decay_bp).astype(np.float32)

    def promoter_band(self, out_bins: np.ndarray | None = None) -> np.ndarray:
        """0/1 matrix ``(1536, len(out_bins))``: input bins within ``promoter_radius`` of each output bin."""
        out_bins = np.arange(N_BINS) if out_bins is None else np.asarray(out_bins)
        d = np.arange(N_INPUT_BINS)[:, None] - (out_bins[None, :] + BIN_OFFSET)
        return (np.abs(d) <= self.promoter_radius).astype(np.float32)


def _check_line(line: str) -> None:
    if line not in CELL_LINES:
        raise ValueError(f"unknown cell line {line!r}; the world has {', '.join(CELL_LINES)}")


_BACKGROUND_FIELDS = ("background_weight", "background_pvalue", "background_decay_bp")

#: ``w_bg`` of :meth:`Mechanism.with_shuffle_noise`. Chosen with
#: ``scripts/calibrate_shuffle_noise.py 0.05 0.08 0.12`` (embedded world, then of 192 genes, K562,
#: 3 genes per true context, 10 shuffles): at 0.08 the interquartile range of the necessity test's normalized
#: shuffle effect over tiles 0-15 kb from the TSS is 0.024-0.046 (Enformer's published table:
#: 0.042-0.24, which also holds real small effects), falling to 0.001-0.002 at 60-100 kb
#: (Enformer 0.008-0.014); at 0.12 (decay 40 kb) no truly neutral gene stayed in CREME's
#: neutral band. The validation page shows the comparison and the held-out world's scores.
SHUFFLE_NOISE_WEIGHT = 0.08

DEFAULT_MECHANISM = Mechanism()


def distance_decay(d_bp: np.ndarray | float, mechanism: Mechanism | None = None) -> np.ndarray:
    """The model's true distance-decay curve ``exp(-|d| / lambda)``.

    Parameters
    ----------
    d_bp : array or float
        Distance (bp) between a site's 128 bp input bin and the output bin's input bin
        (for the TSS bins, effectively the distance to the TSS).
    mechanism : Mechanism, optional
        Defaults to the embedded world's (``lambda = 40,000`` bp).

    Returns
    -------
    numpy.ndarray
        Same shape as ``d_bp``, in (0, 1], float64.
    """
    mech = DEFAULT_MECHANISM if mechanism is None else mechanism
    return np.exp(-np.abs(np.asarray(d_bp, dtype=np.float64)) / mech.decay_bp)


def box_sum(a: np.ndarray, radius: int, axis: int = -2) -> np.ndarray:
    """Sum of ``a`` over a window of ``2 * radius + 1`` along ``axis`` (zeros beyond the ends)."""
    a = np.moveaxis(np.asarray(a), axis, -1)
    pad = [(0, 0)] * (a.ndim - 1) + [(radius + 1, radius)]
    c = np.cumsum(np.pad(a.astype(np.float64), pad), axis=-1)
    out = c[..., 2 * radius + 1 :] - c[..., : -2 * radius - 1]
    return np.moveaxis(out, -1, axis)


def output_from_bin_occupancy(
    h: np.ndarray,
    out_bins: np.ndarray | None = None,
    mechanism: Mechanism | None = None,
    parts: bool = False,
    h_weak: np.ndarray | None = None,
) -> np.ndarray | dict[str, np.ndarray]:
    """Numpy reference of the model's head: binned occupancy -> CAGE-like output.

    Parameters
    ----------
    h : numpy.ndarray
        Occupancy summed per 128 bp input bin, ``(N, 1536, M)`` or ``(1536, M)``, motifs in
        ``mechanism.motif_names`` order.
    out_bins : array of int, optional
        Output bins to compute (default all 896).
    mechanism : Mechanism, optional
    parts : bool
        Return the intermediate terms (``A``, ``D``, ``lin``, ``coop``, ``sat``, ``R``, ``B``
        (the background's log gain), ``y``), each ``(N, B, C)`` (``A`` is ``(N, B, 1)``),
        instead of ``y``.
    h_weak : numpy.ndarray, optional
        Weak-site occupancy per input bin, same shape as ``h`` (:func:`bin_occupancy` with
        ``weak=True``). ``None`` leaves out the background term: the noise-free output.

    Returns
    -------
    numpy.ndarray
        ``y``: ``(N, B, C)`` float64 (``(B, C)`` for a 2-D ``h``), ``C`` = ``mechanism.cell_lines``.
    """
    mech = DEFAULT_MECHANISM if mechanism is None else mechanism
    h = np.asarray(h, dtype=np.float64)
    single = h.ndim == 2
    if single:
        h = h[None]
    mats = {k: v.astype(np.float64) for k, v in mech.matrices().items()}
    K = mech.kernel(out_bins).astype(np.float64)  # (NB, B)
    band = mech.promoter_band(out_bins).astype(np.float64)

    def gate(mask: np.ndarray) -> np.ndarray:
        win = box_sum(h @ mask, mech.gate_radius)
        return np.clip((win - mech.gate_low) / (mech.gate_high - mech.gate_low), 0.0, 1.0)

    g_act, g_rep = gate(mats["act"]), gate(mats["rep_mask"])
    a = {k: g_act * (h @ mats[k]) for k in CHANNELS}  # (N, NB, C)
    q = g_rep * (h @ mats["rep"])

    def dist(v: np.ndarray, kern: np.ndarray = K) -> np.ndarray:
        return np.einsum("nbc,bj->njc", v, kern)

    lin = dist(a["lin"])
    u = dist(a["coop"])
    v = dist(a["coop"] * box_sum(a["coop"], mech.pair_radius), K * K)
    coop = u + 0.5 * mech.coop_gain * np.maximum(u * u - v, 0.0)
    sat = mech.sat_max * (1.0 - np.exp(-dist(a["sat"]) / mech.sat_max))
    drive = lin + coop + sat
    rep = np.exp(-dist(q))
    bg = np.zeros_like(lin)
    if h_weak is not None and mech.background_weight:
        hw = np.asarray(h_weak, dtype=np.float64)
        hw = hw[None] if hw.ndim == 2 else hw
        signed = hw @ (mats["act"] - mats["rep_mask"])
        bg = mech.background_weight * dist(signed, mech.background_kernel(out_bins).astype(np.float64))
    p = np.einsum("nb,bj->nj", h @ mats["prom"], band)[..., None]
    A = mech.promoter_gain * np.maximum(p - mech.promoter_threshold, 0.0)
    y = A * (1.0 + drive) * rep * np.exp(bg) + mech.floor
    if parts:
        out = {"A": A, "D": drive, "lin": lin, "coop": coop, "sat": sat, "R": rep, "B": bg, "y": y}
        return {k: val[0] for k, val in out.items()} if single else out
    return y[0] if single else y


def bin_occupancy(x: np.ndarray, mechanism: Mechanism | None = None, weak: bool = False) -> np.ndarray:
    """Numpy scan of one-hot ``(L, 4)`` -> binned occupancy ``(L // 128, M)`` float64 (exact).

    ``weak=True`` scans at the background term's threshold (``mechanism.background_pvalue``).
    """
    mech = DEFAULT_MECHANISM if mechanism is None else mechanism
    occ, _ = scan(x, mech.motif_names, mech.background_pvalue) if weak else scan(x, mech.motif_names)
    n = occ.shape[0] // BIN_SIZE
    return occ[: n * BIN_SIZE].astype(np.float64).reshape(n, BIN_SIZE, -1).sum(axis=1)


def reference_predict(x: np.ndarray, out_bins: np.ndarray | None = None, mechanism: Mechanism | None = None) -> np.ndarray:
    """The whole model in numpy (slow; for tests): one-hot ``(N, 196608, 4)`` -> ``(N, B, C)``."""
    x = np.asarray(x)
    if x.ndim == 2:
        x = x[None]
    mech = DEFAULT_MECHANISM if mechanism is None else mechanism
    h = np.stack([bin_occupancy(xi, mech) for xi in x])
    hw = np.stack([bin_occupancy(xi, mech, weak=True) for xi in x]) if mech.background_weight else None
    return output_from_bin_occupancy(h, out_bins, mech, h_weak=hw)
