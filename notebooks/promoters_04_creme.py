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
# # CREME on the promoter model
#
# The three papers meet here: CREME's tests, run so far on models this repository wrote as
# formulas, are run unchanged on a network trained on real measurements, where biology knows
# the answer. The contextual regression network of the first page of this part is the model;
# its log10 output is turned into activity (`10 ** y`), since CREME's normalizations divide by
# activities. On the most highly expressed test promoters, with 10 bp tiles aligned to each
# window's TSS (the TSS tile [0, +10) and 14 others, -120 to +30):
#
# * **necessity** of each tile (its dinucleotide shuffle in the wild type; the paper's
#   normalized shuffle effect, positive when the tile is needed) and **sufficiency** (the tile
#   with the TSS tile in a shuffled window, `(MUT - CONTROL) / WT`),
#   by position relative to the TSS: are the necessary tiles at -35 and -10?
# * the **distance test recast for promoters**: each promoter's best -35 box moved relative to
#   its -10 box over spacers of 12-22 bp: is the optimum at 17 bp?
# * the **context dependence test** (the TSS tile kept, the rest shuffled), the paper's categories;
# * the **fine-tile search** inside the core [-40, 0), down to 2 bp;
# * the **higher-order interaction test** on the two boxes (10 bp tiles around them, two
#   greedy rounds, the paper's MSE rule against the additive model);
# * **three attributions compared** per tile: CREME's necessity, the CR model's own
#   `sum_i w_i(x) a_i(x, p) / P` (its weighted motif activations at each position) and
#   gradient x input.

# %% tags=["parameters"]
dataset = "ecoli"
data_dir = None  # None: $CREME_SHARED_DATA/ecoli_promoters
preset = "ecoli"
seed = 0
results_dir = "results/promoters"
resplits = 0  # as on the model page: > 0 analyses the model of the first random re-split
n_promoters = 200
n_shuffles = 10

# %%
# %matplotlib inline
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from creme_lib import analysis, plots
from creme_lib.promoters import comparison, creme, motifs, spacing
from creme_lib.saliency import gradient_x_input
from creme_lib.store import atomic_write_csv

thr = analysis.PAPER  # the paper's classification thresholds

out = Path(results_dir) / dataset
cr, config, test = comparison.trained_cr(results_dir, dataset, preset, seed, data_dir, resplits)
# Genomic windows, each sequence once (a few test rows repeat a sequence, and so its TSS name).
genomic = test.subset((test.meta["kind"].eq("tss") & ~test.meta["sequence"].duplicated()).to_numpy())
top = genomic.subset(np.argsort(-genomic.y, kind="stable")[:n_promoters])
ids = top.meta["tss_name"].tolist()
tss = top.meta["tss_index"].to_numpy()
activity = creme.activity_model(cr)
display(Markdown(
    f"{len(top)} test promoters with the highest measured expression (log10 {top.y.min():.2f} to {top.y.max():.2f}); "
    f"TSS at bp {sorted(set(tss.tolist()))} of the {top.seq_length} bp windows; {n_shuffles} shuffles per tile."))

# %% [markdown]
# ## How much does each promoter depend on its context?

# %%
ctx = creme.context_effects(activity, top.x, tss, ids, n_shuffles=n_shuffles, seed=seed)
atomic_write_csv(ctx, out / "creme_context_dependence.csv")
cat_counts = ctx["context"].fillna("unclassified").value_counts().rename_axis("context").rename("promoters").reset_index()
display(plots.context_histogram(ctx, title=f"TSS tile kept, rest shuffled (n = {len(ctx)})"))
display(Markdown(
    f"Median normalized context effect (the paper's delta_mean, (WT - MUT) / WT): {ctx.delta_mean.median():.2f}. "
    f"Categories by the paper's thresholds (enhancing > {thr.enhancing:g}, neutral |effect| < {thr.neutral:g}, "
    f"silencing < {thr.silencing:g}): "
    + ", ".join(f"{r.context} {r.promoters}" for r in cat_counts.itertuples()) + "."))

# %% [markdown]
# ## Necessary and sufficient tiles by position

# %%
scan = creme.tile_scan(activity, top.x, tss, ids, n_shuffles=n_shuffles, seed=seed)
atomic_write_csv(scan, out / "creme_tile_scan.csv")
long = pd.concat([scan.assign(test="necessity", effect=scan["necessity"]),
                  scan.assign(test="sufficiency", effect=scan["sufficiency"])])
long["tile centre - TSS (bp)"] = long["rel_start"] + 5
fig = plots.mean_curve(long, "tile centre - TSS (bp)", "effect", hue="test", unit="seq_id", reference=0.0,
                       ylabel="normalized effect (mean +- SD)", title="10 bp tiles of the top test promoters")
display(fig)
mean = scan.groupby("rel_start")[["necessity", "sufficiency"]].mean()
frac = scan.assign(nec=scan.necessity > thr.necessity).groupby("rel_start")["nec"].mean()
order = mean["necessity"].sort_values(ascending=False)
display(Markdown(
    "Most necessary tiles (mean normalized shuffle effect): "
    + ", ".join(f"[{int(r):+d}, {int(r) + 10:+d}) {v:.2f}" for r, v in order.head(4).items())
    + f". Tiles passing the paper's {thr.necessity:g} necessity threshold, by position: "
    + ", ".join(f"[{int(r):+d}, {int(r) + 10:+d}) {100 * v:.0f} %" for r, v in frac.sort_values(ascending=False).head(4).items())
    + ". The sigma-70 -35 box sits at about [-35, -30) and the -10 box at about [-12, -7)."))

# %% [markdown]
# ## The spacer between the -35 and -10 boxes

# %%
p70 = motifs.sigma70_pwms()
sites = spacing.spacer_lengths(top.x, p70["sigma70 -35 box"], p70["sigma70 -10 box"], tss_index=int(np.median(tss)))
sp = creme.spacer_test(activity, top.x, sites, spacers=range(12, 23), seed=seed, names=ids)
atomic_write_csv(sp, out / "creme_spacer_test.csv")
fig = plots.mean_curve(sp, "spacer", "fold_change_over_wt", unit="seq_id", reference=1.0, xlabel="spacer (bp)",
                       ylabel="activity / wild type (mean +- SD)", title="-35 box moved relative to the -10 box")
display(fig)
curve = sp.groupby("spacer")["fold_change_over_wt"].mean()
display(Markdown(
    f"Mean activity over the wild type peaks at a spacer of **{int(curve.idxmax())} bp** ({curve.max():.2f}); at 17 bp it is "
    f"{curve.get(17, np.nan):.2f}, at 12 bp {curve.get(12, np.nan):.2f} and at 22 bp {curve.get(22, np.nan):.2f}. "
    f"The wild-type spacers of these promoters (best box pair) have mode {int(sites.spacer.mode().iloc[0])} bp."))

# %% [markdown]
# ## Do the -35 and -10 boxes interact?

# %%
inter = creme.box_interaction(activity, top.x, sites, ids, n_shuffles=n_shuffles, seed=seed)
atomic_write_csv(inter, out / "creme_box_interaction.csv")
counts = inter["interaction"].fillna("ambiguous").value_counts().rename_axis("interaction").rename("promoters").reset_index()
fig = plots.count_bars(counts, "interaction", "promoters", ylabel="promoters",
                       title=f"-35 x -10, paper's MSE rule (n = {len(inter)})")
display(fig)
display(Markdown(
    f"Median fold change over the wild type with one box shuffled: {inter.fold_change_1.median():.2f}; with both: "
    f"{inter.fold_change_2.median():.2f}; the additive model predicts {inter.additive_2.median():.2f} and the "
    f"multiplicative {inter.multiplicative_2.median():.2f}. Class counts: "
    + ", ".join(f"{r.interaction} {r.promoters}" for r in counts.itertuples()) + "."))

# %% [markdown]
# ## Fine-tile search inside the promoter core
#
# The core [-40, 0) (which holds both boxes) is the "CRE" of CREME's fine-tile search, with
# the TSS tile: pruned in 10 bp and then 2 bp windows while the kept bp keep 90 % and then
# 70 % of the core's effect, on the promoters whose core with the TSS tile restores at least
# a fifth of the wild type's activity over the TSS tile alone.

# %%
fine = creme.fine_tiles(activity, top.x, tss, ids, n_shuffles=n_shuffles, seed=seed)
per_seq = fine.groupby("seq_id")[["full", "control"]].first()
wt_act = scan.groupby("seq_id")["wt"].first()
useful = per_seq.index[(per_seq.full - per_seq.control) >= 0.2 * (wt_act[per_seq.index] - per_seq.control).abs()]
fine = fine[fine.seq_id.isin(useful)]
atomic_write_csv(fine, out / "creme_fine_tiles.csv")
if len(useful):
    kept = fine.groupby("rel_pos")["kept"].mean().rename("fraction of promoters keeping the bp").reset_index()
    fig = plots.mean_curve(kept, "rel_pos", "fraction of promoters keeping the bp", xlabel="bp relative to the TSS",
                           title=f"fine-tile search, n = {len(useful)} promoters", show_n=False)
    for a, b, lab in ((-35, -29, "-35"), (-12, -6, "-10")):
        fig.axes[0].axvspan(a, b, color="#bdbdbd", alpha=0.4, lw=0)
        fig.axes[0].annotate(lab, ((a + b) / 2, fig.axes[0].get_ylim()[1]), ha="center", va="top", fontsize=8)
    display(fig)
    core = kept.set_index("rel_pos")["fraction of promoters keeping the bp"]
    in_boxes = core[(core.index >= -35) & (core.index < -29) | (core.index >= -12) & (core.index < -6)].mean()
    display(Markdown(f"On {len(useful)} of {len(per_seq)} promoters the core restores enough activity to be searched; "
                     f"they keep on average {fine.groupby('seq_id')['kept'].sum().mean():.1f} of its 40 bp. "
                     f"bp of the canonical box positions are kept by {100 * in_boxes:.0f} % of them, the other bp by "
                     f"{100 * core.drop(core.index[(core.index >= -35) & (core.index < -29) | (core.index >= -12) & (core.index < -6)]).mean():.0f} %."))
else:
    display(Markdown(f"None of the {len(per_seq)} promoters' cores restores a fifth of its activity with the TSS tile "
                     "alone, so the fine-tile search has nothing to prune."))

# %% [markdown]
# ## CREME, the model's own attribution, and saliency

# %%
tss_tile, tiles = creme.promoter_tiles(top.seq_length, int(np.median(tss)))
same = tss == int(np.median(tss))
own = creme.per_tile(cr.position_contributions(top.x[same]), tiles, width=config.motif_width)
sal = creme.per_tile(gradient_x_input(cr, top.x[same]), tiles)  # of the log10 output
nec = scan[np.repeat(same, len(tiles))].pivot(index="seq_id", columns="rel_start", values="necessity")
nec = nec.loc[[i for i, s in zip(ids, same) if s], tiles[:, 0] - int(np.median(tss))].to_numpy()
# Per promoter: the CR's and the gradient's tile scores centred on their mean over tiles (the
# CR's own contributions share a large positive baseline), each method scaled by the largest
# |mean| of its profile, so that the three profiles' shapes can be compared.
centred = {"CREME necessity": nec, "CR w a / P": own - own.mean(axis=1, keepdims=True),
           "gradient x input": sal - sal.mean(axis=1, keepdims=True)}
rel = tiles[:, 0] - int(np.median(tss)) + 5
prof = pd.concat([
    pd.DataFrame({"seq_id": np.repeat(np.arange(len(v)), len(tiles)), "tile centre - TSS (bp)": np.tile(rel, len(v)),
                  "score (scaled to max |mean| = 1)": (v / np.abs(v.mean(0)).max()).ravel(), "method": k})
    for k, v in centred.items()])
fig = plots.mean_curve(prof, "tile centre - TSS (bp)", "score (scaled to max |mean| = 1)", hue="method",
                       unit="seq_id", band="sem", reference=0.0, title="mean per tile (+- SEM)")
display(fig)
prof_mean = {k: v.mean(0) for k, v in centred.items()}
corr = {f"{a} vs {b}": float(np.corrcoef(prof_mean[a], prof_mean[b])[0, 1])
        for a, b in [("CREME necessity", "CR w a / P"), ("CREME necessity", "gradient x input"), ("CR w a / P", "gradient x input")]}
per_seq = np.nanmean([np.corrcoef(a, b)[0, 1] for a, b in zip(nec, centred["CR w a / P"]) if a.std() > 0 and b.std() > 0])
display(Markdown(
    "Agreement of the mean profiles across the 14 tiles (Pearson r): "
    + ", ".join(f"{k} {v:.2f}" for k, v in corr.items())
    + f"; promoter by promoter, CREME and the CR attribution agree with mean r = {per_seq:.2f}."))

# %% [markdown]
# ## What was found

# %%
boxes = {-40: "-35", -30: "-35", -20: "-10", -10: "-10"}  # tiles [-40, -30) ... [-10, 0) hold the two boxes
top2 = [int(r) for r in order.index[:2]]
located = sorted({boxes[r] for r in top2 if r in boxes})
optimum = int(curve.idxmax())
majority = inter["interaction"].fillna("ambiguous").value_counts().idxmax()
lines = [
    f"* **Where**: the two most necessary tiles are {', '.join(f'[{r:+d}, {r + 10:+d})' for r in top2)}: "
    + (f"the {' and '.join(located)} region{'s' if len(located) > 1 else ''} of sigma-70 promoters." if located
       else "neither holds a sigma-70 box.")
    + f" Their mean effects ({order.iloc[0]:.2f}, {order.iloc[1]:.2f}) are small against the paper's {thr.necessity:g}.",
    f"* **Spacer**: the model's optimum is {optimum} bp "
    + ("as in biology (17 bp)." if optimum == 17 else f"against biology's 17 bp; the curve is nearly flat "
       f"({curve.min():.2f} to {curve.max():.2f} of the wild type)."),
    f"* **-35 x -10**: {majority} in {int((inter['interaction'].fillna('ambiguous') == majority).sum())} of {len(inter)} "
    "promoters" + (", where biology expects the two boxes to need each other." if majority != "subadditive" else "."),
]
display(Markdown("\n".join(lines)))
