# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # TSS activity and gene selection
#
# The model predicts the wild-type activity of every annotated protein-coding TSS (mean of
# the cell line's CAGE-like track over the two bins flanking the window centre). Each gene
# keeps its most active TSS, and the `n_genes` most active genes are the selection that every
# later test starts from (the paper: 10,000 genes per cell line). TSSs whose window is mostly
# `N` (off a chromosome end) are skipped and listed.

# %% tags=["parameters"]
# Run parameters (papermill injects the Snakefile's values after this cell).
# None means "the model preset's value" (creme_lib.pipeline.PRESETS).
cell_line = "K562"
model = "synthetic"  # or "enformer" (the paper's sizes; needs a GPU)
genome_fasta = None  # None: the embedded world's genome
annotation_gtf = None  # None: the embedded world's annotation
bigwig_dir = None  # None: the bigwig/ folder next to the genome, if any
n_genes = None
n_shuffles = None
n_shuffles_context = None
seed = 0
batch_size = None
results_dir = "results"
shard_index = 0
shard_count = 1
overrides = {}  # any other preset field, e.g. {"max_cres": 10}

# %%
# %matplotlib inline
import numpy as np
import pandas as pd

from creme_lib import pipeline, plots

cfg = pipeline.notebook_config(globals())
pipeline.log_to_file(cfg)  # the page shows results, the log goes to the run folder
print(pipeline.describe_run(cfg))

# %%
selected = pipeline.select_genes(cfg)

# %%
if cfg.collecting:
    tss = pipeline.read_cell_table(cfg, "tss_activity")
    skipped = pipeline.read_cell_table(cfg, "skipped_tss")
    print(f"{len(tss)} TSSs predicted, {len(skipped)} skipped, {len(selected)} genes selected")
    display(plots.tss_activity_histogram(tss.activity, selected[cfg.cell_line], cfg.cell_line))

# %%
if cfg.collecting:
    display(selected.tail(10).iloc[::-1])
