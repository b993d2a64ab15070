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
# # TSS-CRE distance test
#
# Each sufficient CRE (the strongest `max_cres` per class) is moved to every tile position
# of its own shuffled backgrounds (shared across positions). `Fold change over control` is,
# as in the paper's table, the activity relative to the CRE's maximum over all positions.

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
table = pipeline.run_distance(cfg)

# %%
if cfg.collecting and len(table):
    display(plots.cre_traces(table, "Binned distance (Kb)", "Fold change over control", title=cfg.cell_line,
                             xlabel="CRE position - TSS (kb)", ylabel="fold change over control"))
