"""CREME pipeline: one papermill notebook per step and cell line, then merged tables and a TOC.

    snakemake -c2                                   # embedded world, synthetic model
    snakemake -n                                    # list the DAG
    snakemake --executor slurm --jobs 100 --config model=enformer shards=50 \\
        genome_fasta=/data/hg38.fa annotation_gtf=/data/gencode.v44.gtf bigwig_dir=/data/bigwig

Results are resumable: every notebook skips the genes whose parts are already in
<results_dir>/<model>/<cell line>/<test>/, so a killed run resumes where it stopped.
Part files are deliberately not declared as outputs (Snakemake would delete them when a
job fails); the notebooks (pages) and the merge stamp are the outputs.
"""

import json
import shlex
import sys
from pathlib import Path

configfile: str(Path(workflow.basedir) / "config" / "pipeline.yaml")

from creme_lib.pipeline import PROMOTER_PAGES, PROMOTER_PARAMETERS, STEP_REGISTRY, page_title
from creme_lib.pipeline.config import NOTEBOOK_PARAMETERS, parse_flag

PY = sys.executable
ROOT = Path(workflow.basedir).resolve()


def _abs(p):
    """Config paths are relative to the working directory (the repository by default)."""
    return None if p is None else str(Path(p).resolve())


MODEL = config["model"]
CELLS = list(config["cell_lines"])
# Rule outputs keep the configured (usually relative) paths, so that targets such as
# `snakemake book/_generated/04_necessity_K562.ipynb` match; notebooks get absolute ones.
RESULTS = Path(config["results_dir"])
RESULTS_ABS = _abs(config["results_dir"])
BOOK = config["book_dir"]
SHARDS = int(config.get("shards", 1))
MEM = config["mem_mb"][MODEL] if isinstance(config["mem_mb"], dict) else int(config["mem_mb"])
GPU = config["gpu"][MODEL] if isinstance(config["gpu"], dict) else int(config["gpu"])
USES_WORLD = config.get("genome_fasta") is None or config.get("annotation_gtf") is None
WORLD_STAMP = str(RESULTS / ".world_ready")

wildcard_constraints:
    cell="|".join(map(lambda c: c.replace("-", "\\-"), CELLS)),


def params_for(cell, shard_index=0, shard_count=1):
    """The notebook parameters of one job, as `-p name value` arguments (values in JSON)."""
    p = {
        "cell_line": cell,
        "model": MODEL,
        "genome_fasta": _abs(config.get("genome_fasta")),
        "annotation_gtf": _abs(config.get("annotation_gtf")),
        "bigwig_dir": _abs(config.get("bigwig_dir")),
        "results_dir": RESULTS_ABS,
        "seed": int(config.get("seed", 0)),
        "shard_index": shard_index,
        "shard_count": shard_count,
        "n_genes": config.get("n_genes"),
        "n_shuffles": config.get("n_shuffles"),
        "n_shuffles_context": config.get("n_shuffles_context"),
        "batch_size": config.get("batch_size"),
        "overrides": config.get("overrides") or {},
    }
    assert p.keys() == NOTEBOOK_PARAMETERS.keys(), "the step notebooks take NOTEBOOK_PARAMETERS, no more, no less"
    return " ".join(f"-p {k} {shlex.quote(json.dumps(v))}" for k, v in p.items())


def page(step, cell):
    return f"{BOOK}/{step}_{cell}.ipynb"


def shard_stamp(step, cell, i):
    return str(RESULTS / MODEL / "_shards" / f"{step}_{cell}_{i}of{SHARDS}.done")


PAGES = [page(s, c) for s in STEP_REGISTRY for c in CELLS]
LOCUS_PAGE = f"{BOOK}/locus.ipynb"
VALIDATION_PAGE = f"{BOOK}/validation_{MODEL}.ipynb"
# The page's study writes <results>/<model>/validation/shuffle_noise_predictions.csv (reused by the page).
SHUFFLE_STUDY_STAMP = str(RESULTS / MODEL / "validation" / ".shuffle_study_done")
EXTRA_PAGES = [LOCUS_PAGE] if parse_flag(config.get("locus_page", True)) else []
PROMOTER_CFG = {**PROMOTER_PARAMETERS, **(config.get("promoters") or {})}
if parse_flag(config.get("promoters_page", True)):
    EXTRA_PAGES += [f"{BOOK}/{stem}.ipynb" for stem in PROMOTER_PAGES]
# CREME is scored against the truth only where the truth is known: the embedded world.
if MODEL == "synthetic" and USES_WORLD:
    EXTRA_PAGES.append(VALIDATION_PAGE)


rule all:
    input:
        f"{BOOK}/_toc.yml",
        str(RESULTS / MODEL / "merged_tables.txt"),


rule world:
    """Generate the embedded world once, before parallel jobs would race to create it."""
    output:
        touch(WORLD_STAMP),
    resources:
        mem_mb=4000,
        gpu=0,
    shell:
        "{PY} -c 'from creme_lib.world import default_world; print(default_world().root)'"


def upstream(step, with_shards=True):
    def fn(wc):
        deps = [page(d, wc.cell) for d in STEP_REGISTRY[step].deps]
        if not STEP_REGISTRY[step].deps and USES_WORLD:
            deps.append(WORLD_STAMP)
        if with_shards and SHARDS > 1 and STEP_REGISTRY[step].shardable:
            deps += [shard_stamp(step, wc.cell, i) for i in range(SHARDS)]
        return deps

    return fn


for _step, _meta in STEP_REGISTRY.items():
    # Steps and their needs come from the pipeline's registry (creme_lib.pipeline.registry).
    _gpu = GPU if _meta.needs_gpu else 0

    rule:
        name:
            f"page_{_step}"
        input:
            upstream(_step),
            template=str(ROOT / "notebooks" / f"{_step}.py"),
        output:
            page(_step, "{cell}"),
        params:
            args=lambda wc: params_for(wc.cell),
            title=lambda wc, s=_step: shlex.quote(page_title(s, wc.cell, MODEL)),
        threads: 1
        resources:
            mem_mb=MEM,
            gpu=_gpu,
            runtime=600 if MODEL == "synthetic" else 24 * 60,
        log:
            str(RESULTS / MODEL / "logs" / f"{_step}_{{cell}}.log"),
        shell:
            "{PY} -m creme_lib.pipeline notebook {input.template} {output} {params.args} "
            "--title {params.title} --cwd {ROOT} > {log} 2>&1"

    if SHARDS > 1 and _meta.shardable:

        rule:
            name:
                f"shard_{_step}"
            input:
                upstream(_step, with_shards=False),
            output:
                touch(str(RESULTS / MODEL / "_shards" / f"{_step}_{{cell}}_{{i}}of{SHARDS}.done")),
            params:
                args=lambda wc: params_for(wc.cell, int(wc.i), SHARDS),
                step=_step,
            threads: 1
            resources:
                mem_mb=MEM,
                gpu=_gpu,
                runtime=600 if MODEL == "synthetic" else 24 * 60,
            log:
                str(RESULTS / MODEL / "logs" / f"{_step}_{{cell}}_{{i}}of{SHARDS}.log"),
            shell:
                "{PY} -m creme_lib.pipeline step {params.step} {params.args} > {log} 2>&1"


rule merge:
    """All cell lines' tables -> the paper's tables under <results_dir>/<model>/."""
    input:
        PAGES,
    output:
        str(RESULTS / MODEL / "merged_tables.txt"),
    params:
        cells=" ".join(shlex.quote(c) for c in CELLS),
    resources:
        mem_mb=4000,
        gpu=0,
    shell:
        "{PY} -m creme_lib.pipeline merge --results-dir {RESULTS_ABS} --model {MODEL} --cell-lines {params.cells} "
        "--stamp {output}"


rule locus:
    """notebooks/locus.py: every test on one TSS (config `locus`; default a world gene)."""
    input:
        [WORLD_STAMP] if USES_WORLD else [],
        template=str(ROOT / "notebooks" / "locus.py"),
    output:
        LOCUS_PAGE,
    params:
        args=lambda wc: " ".join(
            f"-p {k} {shlex.quote(json.dumps(v))}"
            for k, v in {"model": MODEL, "cell_line": CELLS[0], "seed": int(config.get("seed", 0)),
                         "results_dir": RESULTS_ABS, **(config.get("locus") or {})}.items()
        ),
        title=shlex.quote(f"CREME on one locus ({MODEL} model)"),
    threads: 1
    resources:
        mem_mb=MEM,
        gpu=GPU,
        runtime=600 if MODEL == "synthetic" else 6 * 60,
    log:
        str(RESULTS / MODEL / "logs" / "locus.log"),
    shell:
        "{PY} -m creme_lib.pipeline notebook {input.template} {output} {params.args} "
        "--title {params.title} --cwd {ROOT} > {log} 2>&1"


rule shuffle_study:
    """The validation page's shuffle-noise study: its own worlds, so it runs beside the steps."""
    input:
        WORLD_STAMP,
    output:
        touch(SHUFFLE_STUDY_STAMP),
    threads: 1
    resources:
        mem_mb=4000,
        gpu=0,
    log:
        str(RESULTS / MODEL / "logs" / "shuffle_study.log"),
    shell:
        "{PY} -m creme_lib.pipeline shuffle-study --out-dir {RESULTS_ABS}/{MODEL}/validation > {log} 2>&1"


rule validation:
    """Score the synthetic model's CREME tables against the embedded world's truth."""
    input:
        str(RESULTS / MODEL / "merged_tables.txt"),
        SHUFFLE_STUDY_STAMP,
        template=str(ROOT / "notebooks" / "12_validation.py"),
    output:
        VALIDATION_PAGE,
    params:
        cells=shlex.quote(json.dumps(CELLS)),
        title=shlex.quote(f"Validation against the simulated truth ({MODEL} model)"),
    resources:
        mem_mb=4000,
        gpu=0,
    log:
        str(RESULTS / MODEL / "logs" / "12_validation.log"),
    shell:
        "{PY} -m creme_lib.pipeline notebook {input.template} {output} "
        "-p results_dir {RESULTS_ABS}/{MODEL} -p cell_lines {params.cells} "
        "--title {params.title} --cwd {ROOT} > {log} 2>&1"


def promoter_params(stem):
    """Notebook parameters of a contextual-regression page: the model page takes every seed,
    the pages that interpret it the first."""
    p = {k: PROMOTER_CFG[k] for k in ("dataset", "preset")}
    p.update(data_dir=_abs(PROMOTER_CFG["data_dir"]), results_dir=f"{RESULTS_ABS}/promoters")
    p["resplits"] = int(PROMOTER_CFG["resplits"])
    if stem == "promoters_01_model":
        p["seeds"] = [int(v) for v in PROMOTER_CFG["seeds"]]
    else:
        p["seed"] = int(PROMOTER_CFG["seeds"][0])
    return " ".join(f"-p {k} {shlex.quote(json.dumps(v))}" for k, v in p.items())


for _stem, (_title, _deps) in PROMOTER_PAGES.items():

    rule:
        """The contextual-regression part: train (or reload) the promoter models, interpret them."""
        name:
            f"page_{_stem}"
        input:
            [f"{BOOK}/{d}.ipynb" for d in _deps],
            template=str(ROOT / "notebooks" / f"{_stem}.py"),
        output:
            f"{BOOK}/{_stem}.ipynb",
        params:
            args=lambda wc, s=_stem: promoter_params(s),
            title=shlex.quote(_title),
        threads: 2
        resources:
            mem_mb=8000,
            gpu=0,
            runtime=120,
        log:
            str(RESULTS / "promoters" / "logs" / f"{_stem}.log"),
        shell:
            "{PY} -m creme_lib.pipeline notebook {input.template} {output} {params.args} "
            "--title {params.title} --cwd {ROOT} > {log} 2>&1"


rule toc:
    """The TOC fragment listing the generated pages (see the README for wiring it into _toc.yml)."""
    input:
        pages=PAGES + EXTRA_PAGES,
        base=str(ROOT / "_toc.yml"),
        # the cell-line index pages link each step to the figure pages that read its tables
        figures=sorted(str(p) for p in (ROOT / "book" / "figures").glob("*.md")),
    output:
        fragment=f"{BOOK}/_toc_generated.yml",
        full=f"{BOOK}/_toc.yml",
    resources:
        mem_mb=1000,
        gpu=0,
    shell:
        "{PY} -m creme_lib.pipeline toc {output.fragment} {input.pages} --model {MODEL} --root {ROOT} "
        "--base {input.base} --full {output.full}"
