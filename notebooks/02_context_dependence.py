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
# # Context dependence test
#
# For each selected gene the TSS tile is kept and the rest of the window is replaced by
# dinucleotide shuffles. The normalized context effect `delta_mean = (WT - mean MUT) / WT`
# sorts contexts into **enhancing** (> 0.95), **neutral** (|x| < 0.05) and **silencing**
# (< -0.3); at most `max_per_category` of each are sampled (`random_state=42`) for the
# CRE-level tests.

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
table = pipeline.run_context_dependence(cfg)
selected = pipeline.classify_contexts(cfg)
examples = pipeline.write_context_examples(cfg)

# %%
if cfg.collecting:
    display(plots.context_histogram(table, context=None, thresholds=cfg.thresholds, title=cfg.cell_line, bins=50))
    display(pipeline.read_cell_table(cfg, "N_seqs_per_context_category"))

# %% [markdown]
# One typical context per category (its `delta_mean` nearest the category's median): the
# predicted coverage of the wild type and of its first context shuffle, TSS tile kept
# (the book's Fig. 1c).

# %%
if cfg.collecting and examples is not None and len(examples):
    display(plots.coverage_tracks(examples, bin_size_bp=pipeline.get_model(cfg).bin_size,
                                  title=f"{cfg.cell_line}: wild type vs shuffled context"))
