"""The pipeline's steps: one ordered registry of :class:`Step` records (deps, shards, GPU, functions, tables).

Every other view of the steps derives from :data:`STEP_REGISTRY`: :data:`STEPS` (run order
and dependencies), :data:`SHARDABLE`, :data:`STEP_FUNCTIONS`, :data:`STEP_TITLES` (the
pages' titles) and the Snakefile's rules (their inputs, shard jobs and GPU requests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from creme_lib.pipeline.config import PipelineConfig, config_from_params
from creme_lib.pipeline.contexts import (
    classify_contexts, run_context_dependence, run_context_swap, write_context_examples,
)
from creme_lib.pipeline.cres import run_cre_marks, run_necessity, run_sufficiency
from creme_lib.pipeline.distance import run_distance
from creme_lib.pipeline.fine_tile import run_fine_tile
from creme_lib.pipeline.genes import select_genes
from creme_lib.pipeline.interactions import run_greedy_sufficiency, run_higher_order
from creme_lib.pipeline.multiplicity import run_multiplicity
from creme_lib.schemas import TableSchema, tables_of_step

StepFunction = Callable[[PipelineConfig], Any]


@dataclass(frozen=True)
class Step:
    """One step of the pipeline: a notebook per cell line, or a shard job of it.

    Attributes
    ----------
    name : str
        The notebook stem (``notebooks/<name>.py``), e.g. ``"04_necessity"``.
    title : str
        The page title (after the step number), e.g. ``"CRE necessity test"``.
    deps : tuple of str
        The steps whose tables it reads (run before it, same cell line).
    functions : tuple of callables
        What the notebook calls, in order, each ``fn(cfg)``.
    shardable : bool
        Whether its per-gene work can be split into shards (cluster runs): its
        functions compute parts only, for ``cfg.shard_index`` of ``cfg.shard_count``.
    needs_gpu : bool
        Whether it runs the model (a cluster job then asks for the model's GPU).
    """

    name: str
    title: str
    deps: tuple[str, ...]
    functions: tuple[StepFunction, ...]
    shardable: bool = False
    needs_gpu: bool = True

    @property
    def tables(self) -> tuple[TableSchema, ...]:
        """The tables it writes (their schemas name it as their step)."""
        return tables_of_step(self.name)

    def run(self, cfg: PipelineConfig) -> None:
        """Call its functions in order."""
        for fn in self.functions:
            fn(cfg)


_ALL: tuple[Step, ...] = (
    Step("01_tss_activity", "TSS activity and gene selection", (), (select_genes,), shardable=True),
    Step("02_context_dependence", "Context dependence test", ("01_tss_activity",),
         (run_context_dependence, classify_contexts, write_context_examples), shardable=True),
    Step("03_context_swap", "Context swap test", ("02_context_dependence",), (run_context_swap,)),
    Step("04_necessity", "CRE necessity test", ("02_context_dependence",), (run_necessity,), shardable=True),
    Step("05_sufficiency", "CRE sufficiency test", ("02_context_dependence",), (run_sufficiency,), shardable=True),
    # Step 06 only reads bigWig tracks and the genome: no model, no GPU.
    Step("06_cre_marks", "Biochemical marks of sufficient CREs", ("05_sufficiency",), (run_cre_marks,),
         needs_gpu=False),
    Step("07_fine_tile", "Fine-tile search vs saliency and motifs", ("05_sufficiency",), (run_fine_tile,),
         shardable=True),
    Step("08_distance", "TSS-CRE distance test", ("05_sufficiency",), (run_distance,), shardable=True),
    Step("09_higher_order", "Higher-order interaction test", ("02_context_dependence",), (run_higher_order,),
         shardable=True),
    Step("10_greedy_sufficiency", "Sufficiency of greedy CRE sets", ("09_higher_order",), (run_greedy_sufficiency,)),
    Step("11_multiplicity", "CRE multiplicity test", ("05_sufficiency",), (run_multiplicity,), shardable=True),
)

#: Every step by name, in run order (a step comes after the steps it depends on).
STEP_REGISTRY: dict[str, Step] = {s.name: s for s in _ALL}

# ------------------------------------------------- views kept for the code that uses them

#: Notebook stems in run order, and the steps each one reads from.
STEPS: dict[str, tuple[str, ...]] = {s.name: s.deps for s in _ALL}

#: Steps whose per-gene work can be split into shards (cluster runs).
SHARDABLE: tuple[str, ...] = tuple(s.name for s in _ALL if s.shardable)

#: The functions each step notebook calls, in order.
STEP_FUNCTIONS: dict[str, tuple[StepFunction, ...]] = {s.name: s.functions for s in _ALL}

#: Page titles of the steps (after the step number).
STEP_TITLES: dict[str, str] = {s.name: s.title for s in _ALL}


def run_step(step: str, params: dict[str, Any]) -> None:
    """Run one step without a notebook (the Snakefile's shard jobs use this).

    Raises
    ------
    ValueError
        For an unknown step, naming the steps.
    """
    if step not in STEP_REGISTRY:
        raise ValueError(f"unknown step {step!r}; steps: {', '.join(STEP_REGISTRY)}")
    STEP_REGISTRY[step].run(config_from_params(params))
