"""The eight CREME tests. Each takes a :class:`~creme_lib.models.base.Model` (or an
:class:`~creme_lib.inference.Engine` shared across tests of one gene), a one-hot window and
tile coordinates in bp, and returns a typed result with a ``to_frame()`` method."""

from creme_lib.experiments.context import (
    ContextDependenceResult,
    ContextSwapResult,
    context_coverage,
    context_dependence_test,
    context_swap_test,
)
from creme_lib.experiments.distance import DistanceResult, distance_test
from creme_lib.experiments.fine_tile import PAPER_STAGES, FineTileResult, fine_tile_search, kept_activity, merge_intervals
from creme_lib.experiments.interactions import GreedyResult, greedy_tile_sufficiency, higher_order_interaction_test
from creme_lib.experiments.multiplicity import MultiplicityResult, multiplicity_test
from creme_lib.experiments.necessity import NecessityResult, necessity_test
from creme_lib.experiments.sufficiency import SufficiencyResult, sufficiency_test

__all__ = [
    "context_dependence_test",
    "context_swap_test",
    "context_coverage",
    "necessity_test",
    "sufficiency_test",
    "distance_test",
    "higher_order_interaction_test",
    "multiplicity_test",
    "fine_tile_search",
    "merge_intervals",
    "kept_activity",
    "greedy_tile_sufficiency",
    "PAPER_STAGES",
    "ContextDependenceResult",
    "ContextSwapResult",
    "NecessityResult",
    "SufficiencyResult",
    "DistanceResult",
    "GreedyResult",
    "MultiplicityResult",
    "FineTileResult",
]
