"""The steps: run order and dependencies, shardable steps, the functions each step runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from creme_lib.pipeline.config import PipelineConfig, config_from_params
from creme_lib.pipeline.contexts import classify_contexts, run_context_dependence, run_context_swap
from creme_lib.pipeline.cres import run_cre_marks, run_necessity, run_sufficiency
from creme_lib.pipeline.distance import run_distance
from creme_lib.pipeline.fine_tile import run_fine_tile
from creme_lib.pipeline.genes import select_genes
from creme_lib.pipeline.interactions import run_greedy_sufficiency, run_higher_order
from creme_lib.pipeline.multiplicity import run_multiplicity

# ------------------------------------------------------------------------- steps

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


def run_step(step: str, params: dict[str, Any]) -> None:
    """Run one step without a notebook (the Snakefile's shard jobs use this)."""
    if step not in STEP_FUNCTIONS:
        raise ValueError(f"unknown step {step!r}; steps: {', '.join(STEP_FUNCTIONS)}")
    cfg = config_from_params(params)
    for fn in STEP_FUNCTIONS[step]:
        fn(cfg)
