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
# # Higher-order interaction test
#
# A greedy search shuffles, round by round, the tile whose shuffle lowers (`min`, enhancing
# contexts) or raises (`max`, silencing contexts) the activity most, on top of the tiles
# already chosen. The trace is compared with the additive and multiplicative models built
# from the single-tile effects; MSE to the additive model > 0.1 gives superadditive or
# subadditive sets, < 0.05 additive ones.

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

from creme_lib import analysis, pipeline, plots

cfg = pipeline.notebook_config(globals())
pipeline.log_to_file(cfg)  # the page shows results, the log goes to the run folder
print(pipeline.describe_run(cfg))

# %%
traces = pipeline.run_higher_order(cfg)

# %% [markdown]
# Per search: the mean trace of every sequence, then the clearest examples of each interaction
# type (`creme_lib.analysis.interaction_examples`: largest MSE to the additive model for super-
# and subadditive sets, smallest for additive ones), and the number of sequences per type.

# %%
if cfg.collecting:
    for opt, t in traces.items():
        if not len(t):
            print(f"{opt}: no sequence to search")
            continue
        picks = analysis.interaction_examples(t, cfg.thresholds, direction=opt, per_type=2)
        display(plots.greedy_trace_panels(t, picks, title=f"{opt} ({'enhancing' if opt == 'min' else 'silencing'} contexts)"))
        inter = pipeline.read_cell_table(cfg, f"greedy_search/{opt}_interactions")
        display(inter["interaction"].fillna("ambiguous").value_counts().rename("sequences").to_frame())
