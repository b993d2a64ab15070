"""Input and output layouts of the paper's two models, readable without TensorFlow or PyTorch.

A layout says what CREME needs to know about a model before loading it: the window it takes
(bp), its output bins (count and bp per bin), the bins flanking the TSS at the window centre,
and the CAGE track(s) the paper reads per cell line. The model backends
(:mod:`creme_lib.models.enformer`, :mod:`creme_lib.models.enformer_torch`,
:mod:`creme_lib.models.borzoi`) and the pipeline presets take their numbers from here.

==========  ===========  =======  =========  =================  ==============================
model       window (bp)  bins     bp / bin   TSS bins           CAGE tracks (K562/GM12878/PC-3)
==========  ===========  =======  =========  =================  ==============================
Enformer    196,608      896      128        447, 448           5111 / 5110 / 4824
Borzoi      524,288      6,144    32         3068 ... 3075      872+873 / 870+871 / 298+299
==========  ===========  =======  =========  =================  ==============================

Borzoi's tracks are stranded: the paper sums the ``+`` and ``-`` strand CAGE tracks of a
cell line (names in ``model_targets/borzoi_targets_human.txt``, whose ``strand_pair`` column
pairs them) and averages the four replicate models.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def centre_bins(n_bins: int, width: int) -> tuple[int, ...]:
    """The ``width`` output bins centred among ``n_bins`` (Borzoi's TSS: 3068-3075 of 6,144)."""
    if width < 1 or width > n_bins or (n_bins - width) % 2:
        raise ValueError(f"cannot centre {width} bins in {n_bins}")
    start = (n_bins - width) // 2
    return tuple(range(start, start + width))


@dataclass(frozen=True)
class ModelLayout:
    """Window, bins and tracks of a published model as CREME uses it.

    Attributes
    ----------
    name : str
        Model name (the published results' folder name).
    seq_length : int
        bp of the window CREME builds and perturbs, TSS at ``seq_length // 2``.
    bin_size : int
        bp per output bin.
    n_bins : int
        Output bins of the model's head, centred on the window.
    n_tracks : int
        Tracks of the human head.
    tss_bins : tuple of int
        Output bins averaged into the TSS activity (they flank the window centre).
    cage_tracks : dict of str to tuple of int
        Cell line -> the human-head CAGE track(s) whose sum is the cell line's activity.
    """

    name: str
    seq_length: int
    bin_size: int
    n_bins: int
    n_tracks: int
    tss_bins: tuple[int, ...]
    cage_tracks: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        span = self.n_bins * self.bin_size
        if span > self.seq_length or (self.seq_length - span) % 2:
            raise ValueError(f"{self.name}: {self.n_bins} bins of {self.bin_size} bp do not centre in {self.seq_length} bp")
        centre = (self.seq_length // 2 - self.bin_offset) / self.bin_size
        if abs(sum(self.tss_bins) / len(self.tss_bins) + 0.5 - centre) > 1e-9:
            raise ValueError(f"{self.name}: TSS bins {self.tss_bins} are not centred on the window")

    @property
    def bin_offset(self) -> int:
        """Window position (bp) where output bin 0 starts."""
        return (self.seq_length - self.n_bins * self.bin_size) // 2

    def track_label(self, cell_line: str) -> str:
        """The track part of the paper's file names: ``"5111"`` (Enformer), ``"872&873"`` (Borzoi)."""
        return "&".join(str(t) for t in self.cage_tracks[cell_line])


#: Enformer (TF Hub, or its PyTorch port): 896 bins of 128 bp over the central 114,688 bp.
ENFORMER_LAYOUT = ModelLayout(
    name="enformer",
    seq_length=196_608,
    bin_size=128,
    n_bins=896,
    n_tracks=5313,
    tss_bins=(447, 448),
    cage_tracks={"K562": (5111,), "GM12878": (5110,), "PC-3": (4824,)},
)

#: Borzoi (``borzoi-pytorch``, centre bins only): 6,144 bins of 32 bp over the central
#: 196,608 bp; the centre 8 bins (256 bp) are the TSS, as in the paper.
BORZOI_LAYOUT = ModelLayout(
    name="borzoi",
    seq_length=524_288,
    bin_size=32,
    n_bins=6_144,
    n_tracks=7_611,
    tss_bins=centre_bins(6_144, 8),
    cage_tracks={"K562": (872, 873), "GM12878": (870, 871), "PC-3": (298, 299)},
)

#: Layouts by model name.
LAYOUTS: dict[str, ModelLayout] = {lay.name: lay for lay in (ENFORMER_LAYOUT, BORZOI_LAYOUT)}
