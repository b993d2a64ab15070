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
# # What the promoter model learned: clusters, motifs, communities
#
# The contextual regression network of the previous page writes each prediction as
# `sum_i w_i(x) f_i(x) + b`. Its weighted features `w(x) * f(x)` (one value per learned
# motif and sequence) are what this page analyses, on the held-out test promoters, as Wang &
# Wang did for human promoters:
#
# * **clusters** of sequences by their weighted features (k-means on standardized features,
#   k by silhouette), and whether the clusters differ in expression;
# * **motifs**: each learned filter as a PWM from its top-activating windows, matched by
#   TOMTOM (`memelite`) against JASPAR 2026 CORE vertebrates (`pyjaspar`; JASPAR has no
#   bacterial CORE collection) plus consensus PWMs of the E. coli sigma-70 elements (-35 box
#   TTGACA, -10 box TATAAT, extended -10 TGnTATAAT; consensus letter count 1, pseudocount 0.1);
#   per cluster, each motif's role from the sign of its mean context weight;
# * **communities** of motifs whose weighted features co-occur (Pearson r >= 0.7 across a
#   cluster's sequences; Louvain, `networkx`).
#
# Known motifs (the sigma-70 elements) are the yardstick; where the model disagrees, the page
# says so. The next page takes the motif pairs of these communities to their distance
# constraints.

# %% tags=["parameters"]
dataset = "ecoli"
data_dir = None  # None: $CREME_SHARED_DATA/ecoli_promoters
preset = "ecoli"
seed = 0
results_dir = "results/promoters"
resplits = 0  # as on the model page: > 0 analyses the model of the first random re-split
ks = [2, 3, 4, 5, 6, 7, 8]
min_corr = 0.7
n_logos = 12

# %%
# %matplotlib inline
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from creme_lib import plots
from creme_lib.pipeline.fine_tile import jaspar_pwms
from creme_lib.promoters import clusters, communities, comparison, motifs
from creme_lib.store import atomic_write_csv

out = Path(results_dir) / dataset
cr, config, test = comparison.trained_cr(results_dir, dataset, preset, seed, data_dir, resplits)
x, y = test.x, test.y
wf = cr.weighted_features(x)
w = cr.context_weights(x)
acts = cr.motif_activations(x)
names = [f"F{j}" for j in range(config.n_motifs)]

# %% [markdown]
# ## Clusters of promoters by their weighted features

# %%
cl = clusters.cluster_sequences(wf, ks=ks, seed=seed)
expr, p_kw = clusters.expression_by_cluster(cl.labels, y)
fig = plots.panels(3, height=3.0)
plots.mean_curve(cl.silhouette, "k", "silhouette", ax=fig.axes[0], xlabel="k (clusters)", ylabel="mean silhouette",
                 title=f"k-means, n = {len(x):,}", show_n=False)
plots.embedding_scatter(cl.embedding, cl.labels, ax=fig.axes[1], label="cluster",
                        xlabel=f"PC 1 ({100 * cl.explained[0]:.0f} %)", ylabel=f"PC 2 ({100 * cl.explained[1]:.0f} %)",
                        title="weighted features, PCA")
plots.embedding_scatter(cl.embedding, y, ax=fig.axes[2], categorical=False, label="log10 expression",
                        xlabel="PC 1", ylabel="PC 2", title="measured expression")
fig

# %%
frame = pd.DataFrame({"cluster": cl.labels.astype(str), "log10 expression": y})
fig = plots.category_boxplot(frame, "log10 expression", x="cluster", order=[str(c) for c in range(cl.k)],
                             title=f"Kruskal-Wallis p = {p_kw:.1e}", xlabel="cluster")
display(fig)
display(Markdown(
    f"**{cl.k} clusters** (highest mean silhouette, {cl.silhouette.silhouette.max():.2f}). Median log10 expression "
    + ", ".join(f"cluster {r.cluster}: {r.median:.2f} (n = {r.n:,})" for r in expr.itertuples())
    + f"; the clusters differ in expression (Kruskal-Wallis p = {p_kw:.1e})."))

# %% [markdown]
# ## Learned motifs and their known matches

# %%
pwms, info = motifs.filter_pwms(acts, x, width=config.motif_width, top=500)
targets = {**motifs.sigma70_pwms(), **jaspar_pwms()}
matches = motifs.tomtom_matches(dict(zip(names, pwms)), targets)
best = matches.groupby("query", sort=False).head(1).set_index("query")
sigma = matches[matches.target.str.startswith("sigma70")].groupby("query", sort=False).head(1).set_index("query")
importance = pd.Series(np.abs(wf).mean(axis=0), index=names)
table = pd.DataFrame({
    "mean |w f|": importance,
    "information (bits)": [motifs.information_content(p) for p in pwms],
    "best match": best.loc[names, "target"], "q": best.loc[names, "qvalue"],
    "best sigma-70 match": sigma.loc[names, "target"], "sigma-70 q": sigma.loc[names, "qvalue"],
    "sigma-70 p": sigma.loc[names, "pvalue"],
}).sort_values("mean |w f|", ascending=False)
atomic_write_csv(table.reset_index(names="filter"), out / "filter_matches.csv")
top = table.index[:n_logos]
figs = []
for row in range(0, len(top), 4):
    fig = plots.panels(4, height=1.15)
    for ax, name in zip(fig.axes, top[row:row + 4]):
        r = table.loc[name]
        plots.pwm_logo(pwms[names.index(name)], ax=ax,
                       title=f"{name}: {r['best match'].split(' ', 1)[-1]} (q {r.q:.2g})")
    figs.append(fig)
for f in figs:
    display(f)

# %%
display(table.head(n_logos).style.format(precision=3, subset=["mean |w f|", "information (bits)"])
        .format("{:.2g}", subset=["q", "sigma-70 q", "sigma-70 p"]))

# %%
m35 = table.sort_values("sigma-70 p")
hits = {el: table[table["best sigma-70 match"] == el].sort_values("sigma-70 p").head(1)
        for el in ("sigma70 -35 box", "sigma70 -10 box", "sigma70 extended -10")}
lines = []
for el, h in hits.items():
    if len(h):
        lines.append(f"* {el}: best filter {h.index[0]} (TOMTOM p = {h['sigma-70 p'].iloc[0]:.1e}, "
                     f"q = {h['sigma-70 q'].iloc[0]:.2g}; ranked {list(table.index).index(h.index[0]) + 1} "
                     f"of {len(table)} by mean |w f|)")
    else:
        lines.append(f"* {el}: no filter matches it better than the other sigma-70 elements")
display(Markdown("Filters matched to the sigma-70 elements (q-values over all "
                 f"{len(targets):,} targets for that filter):\n\n" + "\n".join(lines)))

# %% [markdown]
# ### Activating and repressive motifs per cluster

# %%
roles = motifs.motif_roles(w, wf, cl.labels, names)
atomic_write_csv(roles, out / "motif_roles.csv")
top_roles = roles[roles["rank"] <= 5].copy()
top_roles["match"] = top_roles["motif"].map(table["best sigma-70 match"].str.replace("sigma70 ", ""))
display(top_roles.pivot_table(index="rank", columns="cluster", values="motif", aggfunc="first"))
display(top_roles[["cluster", "rank", "motif", "mean_weight", "mean_contribution", "role", "match"]]
        .sort_values(["cluster", "rank"]).style.hide(axis="index").format(precision=3))

# %% [markdown]
# ## Motif communities

# %%
comm_tables, graphs = [], {}
big = [c for c in range(cl.k) if (cl.labels == c).sum() >= 10]  # correlations need a few sequences
for c in big:
    g = communities.cooccurrence_graph(wf[cl.labels == c], names, min_corr=min_corr)
    graphs[c] = g
    comm_tables.append(communities.motif_communities(g, seed=seed).assign(cluster=c))
comm = pd.concat(comm_tables, ignore_index=True) if comm_tables else pd.DataFrame(columns=["motif", "community", "degree", "cluster"])
atomic_write_csv(comm, out / "motif_communities.csv")
of = {(c, m): k for c, m, k in comm[["cluster", "motif", "community"]].itertuples(index=False)}
edges = pd.DataFrame([(c, u, v, d["weight"], of[(c, u)] == of[(c, v)]) for c, g in graphs.items()
                      for u, v, d in g.edges(data=True)], columns=["cluster", "motif_a", "motif_b", "r", "same_community"])
atomic_write_csv(edges, out / "motif_edges.csv")
fig = plots.panels(max(1, min(len(big), 3)), height=3.4)
for ax, c in zip(fig.axes, big):
    plots.motif_network(graphs[c], comm[comm.cluster == c], ax=ax, title=f"cluster {c} (n = {int((cl.labels == c).sum()):,})")
fig
