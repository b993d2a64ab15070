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
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from creme_lib import pipeline

pipeline.setup_logging()
cfg = pipeline.notebook_config(globals())
print(f"{cfg.cell_line}, {cfg.model} model; results in {cfg.root}")

# %%
traces = pipeline.run_higher_order(cfg)

# %%
if cfg.collecting:
    for opt, t in traces.items():
        if not len(t):
            print(f"{opt}: no sequence to search")
            continue
        n = t.seq_id.nunique()
        fig, axes = plt.subplots(1, n, figsize=(2.8 * n, 2.6), squeeze=False, sharey=True)
        for ax, (sid, g) in zip(axes[0], t.groupby("seq_id")):
            ax.plot(g["N tiles"], g["greedy"], "o-", color="k", ms=3, label="greedy")
            ax.plot(g["N tiles"], g["additive"], "--", color="C1", label="additive")
            ax.plot(g["N tiles"], g["multiplicative"], ":", color="C2", label="multiplicative")
            ax.set(title=sid.split("_")[0], xlabel="tiles shuffled")
        axes[0][0].set_ylabel("fold change over WT")
        axes[0][0].legend(frameon=False, fontsize=7)
        fig.suptitle(f"{opt} ({'enhancing' if opt == 'min' else 'silencing'} contexts)", fontsize=10)
        fig.tight_layout()
        plt.show()
        display(pipeline.read_cell_table(cfg, f"greedy_search/{opt}_interactions"))
