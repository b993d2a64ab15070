"""One example perturbed sequence per CREME test, recorded from the tests themselves (for schematics).

Each test is run on a recording engine that predicts nothing (every sequence gets activity
1.0), so the plans it sends are exactly the ones a real run sends; one representative
:class:`~creme_lib.perturb.SeqSpec` per test is kept. The schematic of Fig. 1a / 4a
(:func:`creme_lib.plots.test_schematic`) draws them, so it cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from creme_lib.experiments.context import context_dependence_test, context_swap_test
from creme_lib.experiments.distance import distance_test
from creme_lib.experiments.interactions import higher_order_interaction_test
from creme_lib.experiments.multiplicity import multiplicity_test
from creme_lib.experiments.necessity import necessity_test
from creme_lib.experiments.sufficiency import sufficiency_test
from creme_lib.inference import Engine
from creme_lib.models.base import CallableModel
from creme_lib.models.layouts import ENFORMER_LAYOUT
from creme_lib.perturb import SeqSpec
from creme_lib.analysis import TILE_SIZE
from creme_lib.tiles import tile_grid

__all__ = ["ExamplePlan", "example_plans", "distance_plans", "TEST_NAMES"]

#: The tests a schematic shows, in the order of the paper's Fig. 1a.
TEST_NAMES: tuple[str, ...] = (
    "Context Dependence", "Context Swap", "Necessity", "Sufficiency", "TSS-CRE Distance",
    "Higher-order Interaction", "Multiplicity",
)


@dataclass(frozen=True)
class ExamplePlan:
    """One test's example sequence.

    Attributes
    ----------
    test : str
        The test's name (:data:`TEST_NAMES`).
    spec : creme_lib.perturb.SeqSpec
        The perturbed sequence (base ``"wt"``; ``"other"`` for the second sequence of a swap).
    n_sequences : int
        How many distinct sequences the test sent for one gene (with 1 shuffle).
    """

    test: str
    spec: SeqSpec
    n_sequences: int


class _Recorder(Engine):
    """An engine that records the specs it is asked for and answers 1.0 for each."""

    def __init__(self, model):
        super().__init__(model, progress=False)
        self.sent: list[SeqSpec] = []

    def predict(self, specs: Sequence[SeqSpec], desc: str | None = None) -> np.ndarray:
        specs = list(specs)
        self.sent += specs
        return np.ones((len(specs), len(self.model.selected_track_names)), np.float32)


def _recorder(seq_length: int) -> _Recorder:
    model = CallableModel(lambda a: np.ones((len(a), 1, 1), np.float32), seq_length=seq_length, n_bins=1,
                          bin_size=seq_length)
    eng = _Recorder(model)
    return eng


def _window(seq_length: int) -> np.ndarray:
    """A one-hot window ``(L, 4)`` of A: its content is never looked at, only the plans are recorded."""
    x = np.zeros((seq_length, 4), np.float32)
    x[:, 0] = 1.0
    return x


def _pick(sent: list[SeqSpec], want) -> SeqSpec:
    return next(s for s in sent if want(s))


def example_plans(seq_length: int = ENFORMER_LAYOUT.seq_length, tile_size: int = TILE_SIZE,
                  cre_offset: int = 3) -> list[ExamplePlan]:
    """The example sequence of each CREME test on a window of ``seq_length`` bp.

    Parameters
    ----------
    seq_length : int
        Window, bp (Enformer's 196,608 by default).
    tile_size : int
        Tile width, bp (the paper's 5 kb).
    cre_offset : int
        The example CRE is the tile this many tiles upstream of the TSS tile.

    Returns
    -------
    list of ExamplePlan
        One per test, in the order of :data:`TEST_NAMES`.
    """
    tss, tiles = tile_grid(seq_length, tile_size)
    x = _window(seq_length)
    upstream = tiles[tiles[:, 1] <= tss[0]]
    cre = tuple(int(v) for v in upstream[-cre_offset])
    other = tuple(int(v) for v in tiles[tiles[:, 0] >= tss[1]][cre_offset])
    runs = {
        "Context Dependence": (lambda e: context_dependence_test(e, x, tss, n_shuffles=1, name="wt"),
                               lambda s: s.background is not None),
        "Context Swap": (lambda e: context_swap_test(e, {"wt": x, "other": x}, tss),
                         lambda s: any(p.source not in (None, s.base) for p in s.edits)),
        "Necessity": (lambda e: necessity_test(e, x, np.array([cre]), n_shuffles=1, name="wt"),
                      lambda s: bool(s.edits)),
        "Sufficiency": (lambda e: sufficiency_test(e, x, tss, np.array([cre]), n_shuffles=1, name="wt"),
                        lambda s: s.background is not None and len(s.edits) == 2),
        "TSS-CRE Distance": (lambda e: distance_test(e, x, tss, cre, np.array([other[0]]), n_shuffles=1, name="wt"),
                             lambda s: any(p.relocates for p in s.edits)),
        "Higher-order Interaction": (lambda e: higher_order_interaction_test(e, x, np.array([cre, other]), n_rounds=2,
                                                                             n_shuffles=1, name="wt"),
                                     lambda s: len(s.edits) == 2),
        "Multiplicity": (lambda e: multiplicity_test(e, x, tss, cre, np.array([other[0], other[0] + tile_size]),
                                                     n_copies=2, n_shuffles=1, name="wt"),
                         lambda s: sum(p.relocates for p in s.edits) == 2),
    }
    out = []
    for test in TEST_NAMES:
        run, want = runs[test]
        eng = _recorder(seq_length)
        run(eng)
        out.append(ExamplePlan(test, _pick(eng.sent, want), len(set(eng.sent))))
    return out


def distance_plans(seq_length: int = ENFORMER_LAYOUT.seq_length, tile_size: int = TILE_SIZE, cre_offset: int = 3,
                   n_positions: int = 4) -> list[ExamplePlan]:
    """The TSS-CRE Distance Test's sequences for ``n_positions`` positions of one CRE (Fig. 4a).

    The CRE is the tile ``cre_offset`` tiles upstream of the TSS tile; the positions are
    spread over the tile grid on both sides of the TSS. Each plan's ``test`` names the
    position, kb from the TSS tile centre.
    """
    tss, tiles = tile_grid(seq_length, tile_size)
    x = _window(seq_length)
    cre = tuple(int(v) for v in tiles[tiles[:, 1] <= tss[0]][-cre_offset])
    picks = tiles[np.linspace(0, len(tiles) - 1, n_positions).round().astype(int), 0]
    eng = _recorder(seq_length)
    distance_test(eng, x, tss, cre, picks, n_shuffles=1, name="wt")
    moved = [s for s in dict.fromkeys(eng.sent) if any(p.relocates for p in s.edits)]
    centre = sum(tss) / 2
    out = []
    for spec in moved:
        paste = next(p for p in spec.edits if p.relocates)
        offset = (paste.start + paste.length / 2 - centre) / 1000.0
        out.append(ExamplePlan(f"CRE at {offset:+.0f} kb", spec, len(set(eng.sent))))
    return out
