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
# # CRE necessity test
#
# Each 5 kb tile of a sampled context is dinucleotide-shuffled in the wild type. A tile
# whose shuffle removes more than 30 % of the activity in an enhancing context is a
# necessary **enhancer**; one whose shuffle raises it by more than 30 % in a silencing
# context a necessary **silencer**.

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
table = pipeline.run_necessity(cfg)

# %%
if cfg.collecting and len(table):
    tss_tile, _ = pipeline.tiles_of(cfg)
    display(plots.necessity_profile(table, tss_tile, cfg.thresholds, title=cfg.cell_line))
    cres = pipeline.read_cell_table(cfg, "necessary_CREs")
    display(cres["tile class"].value_counts().rename("necessary CREs").to_frame())
