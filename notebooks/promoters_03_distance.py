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
# # Distance constraints between promoter motifs
#
# Cooperating motifs often need a fixed distance. Two questions, on the held-out test
# promoters:
#
# * **the sigma-70 spacer**: for each promoter, the best-scoring placement of a -35 box
#   (TTGACA) and a -10 box (TATAAT) 12-22 bp apart, the -10 box ending 3-20 bp upstream of the
#   TSS (log-odds of the consensus PWMs of the previous page against a uniform background).
#   Biology: 15-19 bp, optimum 17.
# * **cooperative pairs of learned motifs**: for the most strongly co-occurring pairs within
#   a community of the previous page, the spacing of their best sites (start to start) in the
#   sequences where both carry high weight (top quartile of `|w f|` each) against the others.

# %% tags=["parameters"]
dataset = "ecoli"
data_dir = None  # None: $CREME_SHARED_DATA/ecoli_promoters
preset = "ecoli"
seed = 0
results_dir = "results/promoters"
resplits = 0  # as on the model page: > 0 analyses the model of the first random re-split
n_pairs = 10

# %%
# %matplotlib inline
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from creme_lib import plots
from creme_lib.promoters import comparison, motifs, spacing
from creme_lib.store import atomic_write_csv

out = Path(results_dir) / dataset
cr, config, test = comparison.trained_cr(results_dir, dataset, preset, seed, data_dir, resplits)
x, y = test.x, test.y

# %% [markdown]
# ## The spacer between the -35 and -10 boxes

# %%
p70 = motifs.sigma70_pwms()
tss = test.meta["tss_index"].to_numpy()
genomic = tss >= 0
sites = spacing.spacer_lengths(x[genomic], p70["sigma70 -35 box"], p70["sigma70 -10 box"],
                               tss_index=int(np.median(tss[genomic])))
sites["log10 expression"] = y[genomic]
atomic_write_csv(sites, out / "spacer_lengths.csv")
strong = sites["score"] >= sites["score"].quantile(0.9)
dist = pd.concat([sites[strong].assign(group="strongest 10 % of box pairs"),
                  sites[~strong].assign(group="the other 90 %")])
frac = (dist.groupby(["group", "spacer"]).size() / dist.groupby("group").size()).rename("fraction").reset_index()
display(plots.mean_curve(frac.assign(group=frac.group.map(lambda g: f"{g} (n = {int((dist.group == g).sum()):,})")),
                         "spacer", "fraction", hue="group", xlabel="spacer (bp)", ylabel="fraction of promoters",
                         title=f"best -35/-10 pair, n = {len(sites):,}", show_n=False))
fig = plots.category_boxplot(sites.assign(spacer=sites.spacer.astype(str)), "log10 expression", x="spacer",
                             order=[str(s) for s in range(12, 23)], title="expression by spacer", xlabel="spacer (bp)")
fig.set_size_inches(plots.BOOK_WIDTH, 3.2)
fig

# %%
mode_strong = int(sites.loc[strong, "spacer"].mode().iloc[0])
mode_all = int(sites["spacer"].mode().iloc[0])
by_spacer = sites.groupby("spacer")["log10 expression"].median()
display(Markdown(
    f"Over the {int(genomic.sum()):,} genomic test windows, the best -35/-10 pair has a modal spacer of "
    f"**{mode_all} bp**; among the strongest 10 % of box pairs (score >= {sites['score'].quantile(0.9):.1f} bits, "
    f"n = {int(strong.sum())}) it is **{mode_strong} bp** (biology: 17 bp). Weak pairs are mostly chance matches, "
    f"and short spacers offer more placements, so the overall mode leans to 12 bp. Median log10 expression is "
    f"highest at a spacer of {int(by_spacer.idxmax())} bp."))

# %% [markdown]
# ## Spacing of cooperative motif pairs

# %%
edges = pd.read_csv(out / "motif_edges.csv")
coop = edges[edges["same_community"]].sort_values("r", ascending=False).drop_duplicates(["motif_a", "motif_b"])
coop = coop.head(n_pairs)
if len(coop):
    names = [f"F{j}" for j in range(config.n_motifs)]
    acts = cr.motif_activations(x)
    wf = cr.weighted_features(x)
    pairs = [(names.index(a), names.index(b)) for a, b in zip(coop.motif_a, coop.motif_b)]
    res = spacing.pair_spacings(acts, wf, pairs)
    res.insert(0, "pair", [f"{a}-{b}" for a, b in zip(coop.motif_a, coop.motif_b)])
    res.insert(1, "cluster", coop["cluster"].to_numpy())
    res.insert(2, "r", coop["r"].round(2).to_numpy())
    res["enrichment"] = res["frac_high_at_mode"] / res["frac_other_at_mode"].replace(0, np.nan)
    atomic_write_csv(res, out / "pair_spacings.csv")
    display(res.drop(columns=["i", "j"]).style.hide(axis="index").format(precision=3))
    i, j = pairs[0]
    sp = spacing.site_spacing(acts, i, j)
    thr = np.quantile(np.abs(wf), 0.75, axis=0)
    both = (np.abs(wf[:, i]) >= thr[i]) & (np.abs(wf[:, j]) >= thr[j])
    contrast = spacing.spacing_contrast(sp, both)
    long = pd.concat([
        contrast[["spacing", "frac_high"]].rename(columns={"frac_high": "fraction"}).assign(group=f"both high (n = {int(both.sum()):,})"),
        contrast[["spacing", "frac_other"]].rename(columns={"frac_other": "fraction"}).assign(group=f"others (n = {int((~both).sum()):,})")])
    fig = plots.mean_curve(long, "spacing", "fraction", hue="group", xlabel=f"start of {names[j]} minus start of {names[i]} (bp)",
                           ylabel="fraction of sequences", title=f"most co-occurring pair {res.pair.iloc[0]} (r = {res.r.iloc[0]:.2f})",
                           show_n=False)
    display(fig)
    best = res.sort_values("enrichment", ascending=False).iloc[0]
    display(Markdown(
        f"Of the {len(res)} most co-occurring pairs within communities, the strongest spacing preference is "
        f"{best.pair} at {int(best.mode_high)} bp: {100 * best.frac_high_at_mode:.0f} % of the {int(best.n_high)} "
        f"sequences where both carry high weight, against {100 * best.frac_other_at_mode:.0f} % of the others "
        f"({best.enrichment:.1f}-fold)."))
else:
    display(Markdown("No pair of motifs shares a community on the previous page, so there is no pair to space."))
