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
# # CRE sufficiency test
#
# In dinucleotide-shuffled backgrounds holding only the TSS tile, one tile at a time is
# restored. The `Normalized CRE effect` is `(MUT - CONTROL) / WT` in enhancing contexts and
# `(MUT - CONTROL) / CONTROL` elsewhere; above 0.3 in an enhancing context the tile is a
# sufficient **enhancer**, below -0.3 in a silencing context a sufficient **silencer**.

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
table = pipeline.run_sufficiency(cfg)

# %%
if cfg.collecting and len(table):
    tss_tile, _ = pipeline.tiles_of(cfg)
    display(plots.sufficiency_scatter(table, tss_tile, cfg.thresholds, title=cfg.cell_line))
    cres = pipeline.read_cell_table(cfg, "sufficient_CREs")
    display(cres["tile class"].value_counts().rename("sufficient CREs").to_frame())
    display(cres.sort_values("Normalized CRE effect", key=abs, ascending=False).head(10))
