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
# # CREME on your own locus
#
# Every CREME test on one TSS: give a FASTA, a chromosome, the TSS position (0-based) and
# the strand of the gene, and pick a model. By default the notebook runs offline on a gene
# of the embedded world with its ground-truth model; with `model = "enformer"` (and a GPU)
# it runs the paper's model on the human genome.
#
# Run it with papermill, e.g.
#
# ```bash
# papermill notebooks/locus.ipynb out.ipynb -p genome_fasta hg38.fa -p chromosome chr11 \
#     -p tss 5227071 -p strand - -p model enformer -p cell_line K562
# ```
# (convert first with `jupytext --to ipynb notebooks/locus.py`), or
# `python -m creme_lib.pipeline notebook notebooks/locus.py out.ipynb -p chromosome chr11 ...`.

# %% tags=["parameters"]
genome_fasta = None  # None: the embedded world's genome
chromosome = None  # None (with tss/strand None): a gene of the embedded world
tss = None  # 0-based TSS position (the window centre)
strand = None  # "+" or "-"
gene_name = "locus"
model = "synthetic"  # or "enformer"
cell_line = "K562"
n_shuffles = 2
n_shuffles_context = 4
seed = 0
batch_size = None
partners = None  # other TSSs for the context swap test: [[chrom, tss, strand], ...]
overrides = {}  # other preset fields, e.g. {"n_greedy_rounds": 5}
results_dir = "results"  # where the locus's parts and log go (<results_dir>/<model>/)

# %%
# %matplotlib inline
from creme_lib import analysis, pipeline, plots

if chromosome is None:
    # An example gene of the embedded world: the first one with an enhancing program here.
    from creme_lib.world import default_world

    world = default_world()
    if genome_fasta is not None:
        print(f"no chromosome given: using the embedded world's genome, not {genome_fasta}")
    genome_fasta = world.fasta
    genes = world.genes
    g = genes[genes[f"program_{cell_line}"] == "enhancing"].iloc[0]
    chromosome, tss, strand, gene_name = g.chrom, int(g.tss), g.strand, g.gene_name
    if partners is None:
        others = genes[genes.gene_id != g.gene_id].iloc[:2]
        partners = [[r.chrom, int(r.tss), r.strand] for r in others.itertuples()]
cfg = pipeline.configure(
    cell_line, model, genome_fasta, None, results_dir=results_dir, require_annotation=False, seed=seed,
    n_shuffles=n_shuffles, n_shuffles_context=n_shuffles_context, batch_size=batch_size, **overrides,
)
pipeline.log_to_file(cfg)
res = pipeline.run_locus(cfg, chromosome, int(tss), strand, gene_name, [tuple(p) for p in partners or []])
print(res.seq_id, "|", cfg.model, "model,", cfg.cell_line)
for note in res.notes:
    print("note:", note)

# %% [markdown]
# ## Context dependence and context swap

# %%
cd = res.context_dependence
print(f"WT {cd.wt[0]:.3g}, shuffled context {cd.mean_mut[0]:.3g}: normalized context effect {cd.effect[0]:+.3f}")
if res.context_swap is not None:
    display(res.context_swap.to_frame().drop(columns="track"))

# %% [markdown]
# ## Necessity and sufficiency of each 5 kb tile

# %%
kb = (res.tiles.mean(axis=1) - sum(res.tss_tile) / 2) / 1000
plots.locus_tile_effects(kb, res.necessity.effect[:, 0], res.sufficiency.effect_over_wt[:, 0], cfg.thresholds,
                         title=f"{res.seq_id}; strongest tile {res.cre} ({res.cre_class})")

# %% [markdown]
# ## Distance, multiplicity and higher-order interactions

# %%
distance = analysis.fold_change_over_max(res.distance.to_frame(), "mut", "seq_id")  # the paper's column
plots.locus_test_panels(distance, res.multiplicity.normalized, res.greedy, cfg.thresholds)

# %% [markdown]
# ## Fine-tile search of the strongest tile

# %%
if res.fine_tile is not None:
    ft = res.fine_tile
    display(ft.to_frame()[["window", "step", "score", "bps"]])
    print("kept (window bp):", ft.kept)
    display(plots.fine_tile_mask(ft.mask(), label=str(res.cre)))
