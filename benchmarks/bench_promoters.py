"""Benchmark: promoter-to-expression predictors side by side on the E. coli MPRA test split.

The three predictors of the contextual-regression part, each trained on the authors'
genome-position training split (1,000 rows held out for early stopping and the ridge
penalty) and scored on the held-out test split (test rows whose sequence is in training
removed), over several seeds:

* 6-mer ridge: ridge regression on the 4,096 6-mer counts (penalty chosen on validation);
* plain CNN: the CR network's convolution and context trunk with a dense output;
* contextual regression (CR): ``y = sum_i w_i(x) f_i(x) + b``.

Targets (issue 10): the CR's mean test Pearson r within 0.02 of the plain CNN's; the best
network above the ridge by more than that network's seed-to-seed SD. Also printed: Spearman
rho, R^2, active/inactive AUROC, training time, and the agreement of overlapping windows
(a rough ceiling).

    python benchmarks/bench_promoters.py                  # seeds 0 1 2, fresh training
    python benchmarks/bench_promoters.py --seeds 0 1 2 3 4 --out scores.csv
    python benchmarks/bench_promoters.py --runs results/promoters/ecoli/models   # reuse trained models
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--preset", default="ecoli")
    ap.add_argument("--data-dir", default=None, help="E. coli MPRA folder (default $CREME_SHARED_DATA/ecoli_promoters)")
    ap.add_argument("--runs", default=None, help="save/reuse trained networks here (default: a temporary folder)")
    ap.add_argument("--out", default=None, help="write the per-seed scores to this CSV")
    args = ap.parse_args(argv)

    from creme_lib.promoters import comparison, data, evaluation, model
    from creme_lib.store import atomic_write_csv

    t0 = time.perf_counter()
    train, test = data.load_dataset("ecoli", args.data_dir)
    print(f"E. coli MPRA: {len(train):,} training rows, {len(test):,} test rows "
          f"({test.notes['removed_shared_with_train']} test rows shared with training removed); "
          f"loaded in {time.perf_counter() - t0:.1f} s")
    config = model.get_config(args.preset)
    with tempfile.TemporaryDirectory() as tmp:
        scores = comparison.compare_predictors(train, test, config, args.seeds, run_root=args.runs or tmp)
    if args.out:
        atomic_write_csv(scores, args.out)

    cols = ["model", "seed", "pearson_r", "spearman_rho", "r2", "auroc_active", "train_seconds", "epochs"]
    print("\nper seed (test split, n = %d)" % len(test))
    print(scores[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    summ = comparison.summarize(scores).set_index("model")
    print("\nmean +- SD over %d seeds" % len(args.seeds))
    print("| model | Pearson r | Spearman rho | R^2 | AUROC (active) | train s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for m, r in summ.iterrows():
        print(f"| {m} | {r.pearson_r_mean:.3f} +- {r.pearson_r_sd:.3f} | {r.spearman_rho_mean:.3f} +- {r.spearman_rho_sd:.3f} "
              f"| {r.r2_mean:.3f} +- {r.r2_sd:.3f} | {r.auroc_active_mean:.3f} +- {r.auroc_active_sd:.3f} "
              f"| {r.train_seconds_mean:.0f} |")

    table = data.read_mpra_table(args.data_dir)
    agree = evaluation.pair_agreement(data.log_expression(table["expression"].to_numpy()),
                                      data.overlapping_pairs(table, max_shift=10))
    print(f"\nceiling: windows with TSSs <= 10 bp apart (>= 140 of 150 bp shared) agree with Pearson r = "
          f"{agree['pearson_r']:.3f} over {agree['n_pairs']} pairs")

    cr, cnn, ridge = (summ.loc[m] for m in ("contextual regression", "plain CNN", "6-mer ridge"))
    gap = cr.pearson_r_mean - cnn.pearson_r_mean
    best_name = max(("contextual regression", "plain CNN"), key=lambda m: summ.loc[m, "pearson_r_mean"])
    best = summ.loc[best_name]
    margin = best.pearson_r_mean - ridge.pearson_r_mean
    ok1 = gap >= -0.02
    ok2 = margin > best.pearson_r_sd
    print(f"\ntarget 1, CR within 0.02 of the plain CNN: CR - CNN = {gap:+.3f} -> {'met' if ok1 else 'NOT met'}")
    print(f"target 2, best network ({best_name}) above ridge by more than its seed SD: "
          f"{margin:+.3f} vs SD {best.pearson_r_sd:.3f} -> {'met' if ok2 else 'NOT met'}")
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
