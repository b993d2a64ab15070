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
# # Biochemical marks of sufficient CREs
#
# For each sufficient CRE: the mean and maximum of every bigWig track of the cell line
# over the CRE (`pyBigWig`), and its repeat content (soft-masked fraction of the genome).
# Enhancers and silencers are compared with two-sided Mann-Whitney U tests; `sign` marks
# p-values below 0.05 / number of marks (Bonferroni).

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
result = pipeline.run_cre_marks(cfg)

# %%
if cfg.collecting:
    marks, pvalues = result
    if len(marks) and plots.cre_mark_columns(marks):
        display(plots.cre_mark_boxplots(marks, title=cfg.cell_line))
    display(pvalues)
