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
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from creme_lib import pipeline

pipeline.setup_logging()
cfg = pipeline.notebook_config(globals())
print(f"{cfg.cell_line}, {cfg.model} model; results in {cfg.root}")

# %%
steps = pipeline.run_fine_tile(cfg)

# %%
if cfg.collecting:
    comp = pipeline.read_cell_table(cfg, "motif_analysis/CREME_vs_saliency_vs_XSTREME")
    if len(comp):
        fig, axes = plt.subplots(1, comp.seq_id.nunique(), figsize=(3.2 * comp.seq_id.nunique(), 2.8), squeeze=False)
        for ax, (sid, g) in zip(axes[0], comp.groupby("seq_id")):
            for col, c in (("CREME score", "C3"), ("Saliency score", "C0"), ("Random score", "0.5")):
                ax.plot(g["CREME bps"], g[col], marker="o", ms=3, color=c, label=col.replace(" score", ""))
            ax.axhline(g["XSTREME score"].iloc[0], color="C2", ls="--", label="motif scan")
            ax.set(xlabel="bp removed", ylabel="activity / whole CRE", title=sid.split("_")[0], ylim=(0, None))
        axes[0][0].legend(frameon=False, fontsize=7)
        fig.tight_layout()
        plt.show()
    display(steps)
