"""The embedded world: a simulated genome whose regulatory logic is written down.

Enformer and a human genome cannot be fetched offline and Enformer is too slow on a CPU to
run CREME at scale. This package replaces both with

* a **genome** (:mod:`creme_lib.world.genome`): a few chromosomes with human-like composition
  (41 % GC, CpG depletion, soft-masked repeats, CpG-island and TATA promoters), genes whose
  196,608 bp windows do not overlap, and cis-regulatory elements planted in each window's
  5 kb tiles (enhancers and silencers built from real JASPAR motif sites, cell-line
  specific for K562, GM12878 and PC-3, some in additive, superadditive or subadditive
  pairs), written as FASTA, GTF, a truth BED and bigWig tracks, deterministically from a seed;
* a **ground-truth model** (:class:`~creme_lib.world.model.SyntheticModel`) with Enformer's
  interface and output layout (896 x 128 bp bins, CAGE-like tracks for the three cell lines)
  whose mechanism (motif scan, cluster gate, distance decay ``exp(-|d| / 40 kb)``, additive,
  cooperative and saturating enhancer channels, multiplicative silencers, promoter-intrinsic
  activity) is a handful of documented formulas, fast enough for CREME on a CPU;
* the **truth** (:mod:`creme_lib.world.truth`): which tiles hold active elements, how pairs
  interact, what each perturbation should do, computed from the generator's record, so every
  CREME test can be scored against the answer (a positive control).

A note on interaction labels: the world names a pair by what the two elements do *together*
(gain of function): ``coop`` pairs are superadditive, ``sat`` pairs subadditive. CREME's
higher-order interaction test measures what *removing* them costs, and there the two
swap: losing one cooperative partner already costs most of the pair's effect, so the
joint loss is smaller than the sum of single losses (subadditive in the paper's
removal-based sense), while saturated partners cover for each other until both are gone
(superadditive). :data:`creme_lib.validation.interactions.CREME_LABEL` holds this mapping and the
validation page scores against it.

Quick start::

    from creme_lib.world import default_world, SyntheticModel, tile_truth
    world = default_world()                     # generated once into .cache/world
    model = SyntheticModel(bins=[447, 448], tracks=["K562"])
    x = world.window("SYN2")                    # (196608, 4), gene orientation
    model.predict(x)                            # (1, 2, 1)
    tile_truth(world, "SYN2", "K562")           # the answer CREME should find
"""

from creme_lib.world.config import DEFAULT_CONFIG, SMALL_CONFIG, WorldConfig, world_key
from creme_lib.world.genome import generate_world
from creme_lib.world.writers import WorldFiles
from creme_lib.world.mechanism import (
    CELL_LINES,
    DEFAULT_MECHANISM,
    TRACK_NAMES,
    TSS_BINS,
    Mechanism,
    distance_decay,
    output_from_bin_occupancy,
    reference_predict,
)
from creme_lib.world.motifs import get_motif, motif_bank


def __getattr__(name: str):
    # The model imports TensorFlow; load it only when asked for.
    if name == "SyntheticModel":
        from creme_lib.world.model import SyntheticModel

        return SyntheticModel
    raise AttributeError(f"module 'creme_lib.world' has no attribute {name!r}")


from creme_lib.world.truth import (  # noqa: E402
    World,
    context_truth,
    default_cache_dir,
    default_world,
    expected_output,
    expected_pair_type,
    genome_to_window,
    load_world,
    pair_truth,
    tile_truth,
)

__all__ = [
    "CELL_LINES",
    "DEFAULT_CONFIG",
    "DEFAULT_MECHANISM",
    "SMALL_CONFIG",
    "TRACK_NAMES",
    "TSS_BINS",
    "Mechanism",
    "SyntheticModel",
    "World",
    "WorldConfig",
    "WorldFiles",
    "context_truth",
    "default_cache_dir",
    "default_world",
    "distance_decay",
    "expected_output",
    "expected_pair_type",
    "generate_world",
    "genome_to_window",
    "get_motif",
    "load_world",
    "motif_bank",
    "output_from_bin_occupancy",
    "pair_truth",
    "reference_predict",
    "tile_truth",
    "world_key",
]
