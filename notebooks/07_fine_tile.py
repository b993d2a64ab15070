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
# # Fine-tile search vs saliency and motifs
#
# Each sufficient enhancer (the strongest `max_fine_tile`) is pruned in two stages (500 bp,
# then 50 bp windows) while it keeps 90 % then 70 % of its effect. At every step the same
# number of base pairs is also chosen by gradient x input saliency and at random, and the
# hits of a FIMO-style JASPAR motif scan are tested alone (`XSTREME score`, standing in for
# the paper's XSTREME motifs). Scores are activities relative to the whole CRE.

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
steps = pipeline.run_fine_tile(cfg)

# %%
if cfg.collecting:
    comp = pipeline.read_cell_table(cfg, "motif_analysis/CREME_vs_saliency_vs_XSTREME")
    if len(comp):
        display(plots.fine_tile_panels(comp, title=cfg.cell_line))
    display(steps)
