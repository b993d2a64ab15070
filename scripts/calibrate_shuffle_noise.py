"""Choose the world's shuffle-noise weight: spread across shuffles vs Enformer's, and CRE calls, per weight.

Runs the shuffle study's tests on the embedded world (seed 0, K562) for each weight given and
prints, per CREME context category and distance bin, the interquartile range of the
necessity test's normalized shuffle effect (10 shuffles) beside the published Enformer
table's, then precision and recall of the necessity calls per shuffle count. The held-out
world is not used here (it is the study's check of the chosen weight).

    python scripts/calibrate_shuffle_noise.py 0.05 0.1 --genes 3
"""

from __future__ import annotations

import argparse
import dataclasses
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pandas as pd  # noqa: E402

from creme_lib import published  # noqa: E402
from creme_lib.validation import shuffles  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("weights", nargs="+", type=float)
    ap.add_argument("--genes", type=int, default=3, help="genes per true context category")
    ap.add_argument("--decay-bp", type=float, help="background_decay_bp (default: the mechanism's)")
    args = ap.parse_args()
    spec = shuffles.TUNED
    world = shuffles.load_study_world(spec)
    if args.decay_bp:
        world.mechanism = dataclasses.replace(world.mechanism, background_decay_bp=args.decay_bp)
    genes = shuffles.study_genes(world, spec.cell_line, {c: args.genes for c in ("enhancing", "silencing", "neutral")})
    enformer = published.load_table(None, "enformer", "necessity_test")
    pd.set_option("display.width", 200)
    for w in args.weights:
        pred = shuffles.noisy_predictions(world, spec.cell_line, genes, weight=w).assign(world=f"w={w:g}")
        spread = shuffles.spread_comparison(pred, enformer)
        print(f"\n== weight {w:g}, decay {world.mechanism.background_decay_bp:g} bp: IQR of normalized shuffle effect (10 shuffles)")
        print(spread.pivot_table(index=["context", "distance"], columns="source", values="iqr", observed=False).round(4))
        calls = shuffles.calls_by_shuffle_count(world, pred.drop(columns="world")).assign(world=f"w={w:g}")
        s = shuffles.shuffle_count_summary(calls)
        ctx = shuffles.necessity_table(pred.drop(columns="world"), 10).drop_duplicates("seq_id")
        truth = pred.drop_duplicates("seq_id").set_index("seq_id").true_context
        print("CREME context (10 shuffles) vs true context:")
        print(pd.crosstab(truth.reindex(ctx.seq_id).to_numpy(), ctx.context.to_numpy()))
        print(s[["n_shuffles", "class", "n_called", "precision", "n_detectable", "recall"]].to_string(index=False))


if __name__ == "__main__":
    main()
