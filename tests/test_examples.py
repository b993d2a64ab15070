"""creme_lib.experiments.examples: the schematic's sequences are the ones the tests send."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from creme_lib import plots  # noqa: E402
from creme_lib.experiments.examples import TEST_NAMES, distance_plans, example_plans  # noqa: E402
from creme_lib.tiles import tile_grid  # noqa: E402

L = 196_608
TSS, _ = tile_grid(L, 5_000)
CRE = (TSS[0] - 3 * 5_000, TSS[0] - 2 * 5_000)  # three tiles upstream


def spans(spec):
    return [(p.start, p.end) for p in spec.edits]


def test_one_example_per_test_matching_the_paper():
    plans = {p.test: p.spec for p in example_plans(L)}
    assert list(plans) == list(TEST_NAMES)
    cd = plans["Context Dependence"]
    assert cd.background is not None and spans(cd) == [TSS] and cd.edits[0].shuffle is None
    sw = plans["Context Swap"]
    assert sw.background is None and spans(sw) == [TSS] and sw.edits[0].source not in (None, sw.base)
    nec = plans["Necessity"]
    assert nec.background is None and spans(nec) == [CRE] and nec.edits[0].shuffle is not None
    suf = plans["Sufficiency"]
    assert suf.background is not None and sorted(spans(suf)) == sorted([TSS, CRE])
    assert all(p.shuffle is None for p in suf.edits)
    dist = plans["TSS-CRE Distance"]
    moved = [p for p in dist.edits if p.src_start is not None and p.src_start != p.start]
    assert dist.background is not None and TSS in spans(dist) and len(moved) == 1 and moved[0].src_start == CRE[0]
    hoi = plans["Higher-order Interaction"]
    assert hoi.background is None and len(hoi.edits) == 2 and all(p.shuffle is not None for p in hoi.edits)
    mult = plans["Multiplicity"]
    copies = [p for p in mult.edits if p.src_start == CRE[0] and p.start != CRE[0]]
    assert mult.background is not None and TSS in spans(mult) and len(copies) == 2


def test_distance_plans_move_one_cre_to_each_position():
    plans = distance_plans(L, n_positions=4)
    assert len(plans) == 4
    starts = [next(p.start for p in pl.spec.edits if p.src_start == CRE[0]) for pl in plans]
    assert starts == sorted(starts) and len(set(starts)) == 4
    assert plans[0].test.startswith("CRE at -") and plans[-1].test.startswith("CRE at +")


def test_schematic_draws_a_row_per_test():
    plans = example_plans(L)
    fig = plots.test_schematic(plans, L, TSS)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(reversed(TEST_NAMES))
    legend = {t.get_text() for t in fig.legends[0].get_texts()}
    assert legend == set(plots.SEGMENT_COLORS)
    # every edit and every background is one rectangle
    assert len(ax.patches) == len(plans) + sum(len(p.spec.edits) for p in plans)
