"""Reproduction audit: every count the paper states, next to the same count recomputed here.

The *stated* numbers are the counts written in the Extended Data legends (copied here
as the spec, with the legend they come from); where a main-figure legend is not
available (Fig. 1, K562) or a legend defers to an inset (ED Fig. 2b, Borzoi), the stated
number is read from the *published* tables (``N_seqs_per_context_category.csv``, the
published ``context`` labels) and the ``how`` column says so.

The *recomputed* numbers come from the tables in ``results_dir`` (``None`` = the published
copy) by this project's code: thresholds are applied to raw values
(:mod:`creme_lib.published`), sequences are matched by ``seq_id``, and so on. When the
raw test table is present (a fresh pipeline run) it is used; otherwise the closest
published table is, and ``how`` names it. A count that cannot be recomputed from what
is there is reported with ``recomputed`` and ``match`` missing (``<NA>``), never filled
in from the stated value. A mismatch is reported as ``match == False``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from creme_lib import published as pub
from creme_lib import analysis

__all__ = ["AUDIT_COLUMNS", "LEGEND_COUNTS", "reproduction_audit", "summarize_audit", "style_audit"]

AUDIT_COLUMNS = ["figure", "panel", "quantity", "cell_line", "stated", "recomputed", "source_table", "how", "match"]

#: Counts stated in the Extended Data legends (Toneyan & Koo 2024), by (figure, panel).
LEGEND_COUNTS: dict = {
    # ED Fig. 1a,b inset: enhancing, silencing, neutral.
    ("ED Fig. 1", "a"): {"GM12878": {"enhancing": 200, "silencing": 78, "neutral": 183}},
    ("ED Fig. 1", "b"): {"PC-3": {"enhancing": 200, "silencing": 90, "neutral": 110}},
    # "for 10,000 sequences that contain an active, annotated gene" (ED 1a,b; ED 2b for Borzoi).
    ("ED Fig. 1", "a,b"): {"GM12878": 10_000, "PC-3": 10_000},
    ("ED Fig. 2", "b"): {"K562": 10_000, "GM12878": 10_000, "PC-3": 10_000},
    # ED Fig. 1c: matched genes, "7688, 6946, 7492 from left to right".
    ("ED Fig. 1", "c"): {("K562", "GM12878"): 7688, ("GM12878", "PC-3"): 6946, ("K562", "PC-3"): 7492},
    # ED Fig. 1d (GM12878), e (PC-3): TSS category -> context category.
    ("ED Fig. 1", "d"): {
        "GM12878": {
            ("enhancing", "enhancing"): 40_000, ("enhancing", "neutral"): 36_600, ("enhancing", "silencing"): 15_600,
            ("neutral", "enhancing"): 36_600, ("neutral", "neutral"): 33_489, ("neutral", "silencing"): 14_274,
            ("silencing", "enhancing"): 15_600, ("silencing", "neutral"): 14_274, ("silencing", "silencing"): 6_084,
        }
    },
    ("ED Fig. 1", "e"): {
        "PC-3": {
            ("enhancing", "enhancing"): 40_000, ("enhancing", "neutral"): 22_000, ("enhancing", "silencing"): 18_000,
            ("neutral", "enhancing"): 22_000, ("neutral", "neutral"): 12_100, ("neutral", "silencing"): 9_900,
            ("silencing", "enhancing"): 18_000, ("silencing", "neutral"): 9_900, ("silencing", "silencing"): 8_100,
        }
    },
    # ED Fig. 3a,b (Necessity Test) and c,d (Sufficiency Test, "same number of data points").
    ("ED Fig. 3", "a"): {"GM12878": {"enhancing": 7600, "neutral": 6954, "silencing": 2964}},
    ("ED Fig. 3", "b"): {"PC-3": {"enhancing": 7600, "neutral": 4180, "silencing": 3420}},
    ("ED Fig. 3", "c"): {"GM12878": {"enhancing": 7600, "neutral": 6954, "silencing": 2964}},
    ("ED Fig. 3", "d"): {"PC-3": {"enhancing": 7600, "neutral": 4180, "silencing": 3420}},
    # ED Fig. 3e: "N = 7,600 in each plot corresponding to 200 sequences with 38 tiles".
    ("ED Fig. 3", "e"): {"K562": {"enhancing": 7600, "neutral": 7600, "silencing": 7600}},
    # ED Fig. 4b-d: sufficient enhancers (green) and silencers (red).
    ("ED Fig. 4", "b-d"): {
        "K562": {"Enhancer": 76, "Silencer": 222},
        "GM12878": {"Enhancer": 41, "Silencer": 57},
        "PC-3": {"Enhancer": 35, "Silencer": 97},
    },
    # ED Fig. 8c,e: additive, superadditive, subadditive (enhancer sets, enhancing contexts).
    ("ED Fig. 8", "c,e"): {
        "GM12878": {"additive": 69, "superadditive": 38, "subadditive": 60},
        "PC-3": {"additive": 93, "superadditive": 37, "subadditive": 36},
    },
    # ED Fig. 10a-c: enhancers 200 in each plot, silencers 200, 78, 90.
    ("ED Fig. 10", "a-c"): {
        "K562": {"Enhancer": 200, "Silencer": 200},
        "GM12878": {"Enhancer": 200, "Silencer": 78},
        "PC-3": {"Enhancer": 200, "Silencer": 90},
    },
}


class _Tables:
    """Cached access to one results folder (and, for stated values, the published copy)."""

    def __init__(self, results_dir, model: str):
        self.results_dir = results_dir
        self.model = model
        self.label = "published copy" if pub.is_published(results_dir) else str(results_dir)

    def has(self, name: str, cell_line: str | None = None, model: str | None = None) -> bool:
        return pub.has_table(self.results_dir, model or self.model, name, cell_line)

    def load(self, name: str, cell_line: str | None = None, model: str | None = None) -> pd.DataFrame:
        return pub.load_table(self.results_dir, model or self.model, name, cell_line)

    def file(self, name: str, cell_line: str | None = None, model: str | None = None) -> str:
        p = pub.table_path(self.results_dir, model or self.model, name, cell_line)
        return p.relative_to(pub.resolve_results_dir(self.results_dir)).as_posix()


def _row(figure, panel, quantity, cell_line, stated, recomputed, source, how):
    return {
        "figure": figure,
        "panel": panel,
        "quantity": quantity,
        "cell_line": cell_line,
        "stated": stated,
        "recomputed": recomputed,
        "source_table": source,
        "how": how,
    }


def _missing_note(t: _Tables, files: list[str]) -> str:
    gap = [f for f in files if f.split("/", 1)[1].removesuffix(".csv") in pub.PUBLISHED_MISSING.get(f.split("/", 1)[0], ())]
    why = "not in the published copy" if gap and t.label == "published copy" else "not in the results folder"
    return f"not recomputable: {', '.join(files)} {why}"


# ------------------------------------------------------------------ context categories
def _context_counts(t: _Tables, cl: str, th: analysis.Thresholds) -> tuple[pd.Series | None, str, str]:
    """Sequences per context category after sampling (the CRE-level test set)."""
    if t.has("selected_contexts", cl):
        sc = t.load("selected_contexts", cl)
        return (
            analysis.count_contexts(sc, th),
            t.file("selected_contexts", cl),
            f"delta_mean thresholded (enhancing > {th.enhancing}, |x| < {th.neutral}, silencing < {th.silencing})",
        )
    if t.has("context_dependence_test"):
        cd = t.load("context_dependence_test", cell_line=cl)
        n = analysis.count_contexts(cd, th).clip(upper=th.max_per_category)
        return n, t.file("context_dependence_test"), f"delta_mean thresholded, then at most {th.max_per_category} per category"
    return None, t.file("selected_contexts", cl), _missing_note(t, [t.file("selected_contexts", cl), t.file("context_dependence_test")])


def _rows_contexts(t: _Tables, th: analysis.Thresholds) -> list[dict]:
    rows = []
    stated_tab = None
    if pub.has_table(None, "enformer", "N_seqs_per_context_category"):
        stated_tab = pub.load_table(None, "enformer", "N_seqs_per_context_category")
    for cl in analysis.CELL_LINES:
        counts, src, how = _context_counts(t, cl, th)
        for c in analysis.CONTEXTS:
            if cl == "K562":
                fig, panel = "Fig. 1", "context categories (K562)"
                stated = None
                if stated_tab is not None:
                    m = (stated_tab["cell line"] == cl) & (stated_tab["context category"] == c)
                    stated = int(stated_tab.loc[m, "Number of contexts after sampling"].iloc[0]) if m.any() else None
                h = how + "; stated: published N_seqs_per_context_category.csv (the main-figure legend is not in the page text)"
            else:
                panel = "a" if cl == "GM12878" else "b"
                fig = "ED Fig. 1"
                stated = LEGEND_COUNTS[(fig, panel)][cl][c]
                panel += " (inset)"
                h = how
            rows.append(_row(fig, panel, f"sequences in {c} contexts", cl, stated, None if counts is None else int(counts[c]), src, h))
    # before sampling (N_seqs "Number of contexts"), needs the full context dependence test
    for cl in analysis.CELL_LINES:
        if t.has("context_dependence_test"):
            cd = t.load("context_dependence_test", cell_line=cl)
            counts = analysis.count_contexts(cd, th)
            src, how = t.file("context_dependence_test"), "delta_mean of all tested sequences thresholded"
        else:
            counts, src = None, t.file("context_dependence_test")
            how = _missing_note(t, [src])
        for c in analysis.CONTEXTS:
            stated = None
            if stated_tab is not None:
                m = (stated_tab["cell line"] == cl) & (stated_tab["context category"] == c)
                stated = int(stated_tab.loc[m, "Number of contexts"].iloc[0]) if m.any() else None
            rows.append(
                _row(
                    "Fig. 1 / ED Fig. 1",
                    "context categories before sampling",
                    f"sequences in {c} contexts (of all tested)",
                    cl,
                    stated,
                    None if counts is None else int(counts[c]),
                    src,
                    how + "; stated: published N_seqs_per_context_category.csv",
                )
            )
    # ED 1a,b: 10,000 tested sequences per cell line
    for cl, stated in LEGEND_COUNTS[("ED Fig. 1", "a,b")].items():
        if t.has("context_dependence_test"):
            n = int((t.load("context_dependence_test", cell_line=cl)).shape[0])
            src, how = t.file("context_dependence_test"), "rows of the cell line"
        elif t.has("selected_genes", cl):
            n = int(t.load("selected_genes", cl).shape[0])
            src, how = t.file("selected_genes", cl), "rows (the genes the context dependence test was run on)"
        else:
            n, src, how = None, t.file("selected_genes", cl), _missing_note(t, [t.file("selected_genes", cl)])
        rows.append(_row("ED Fig. 1", "a,b", "sequences tested (histogram)", cl, stated, n, src, how))
    return rows


def _rows_matched(t: _Tables) -> list[dict]:
    rows = []
    ids: dict[str, set] = {}
    src = how = None
    if t.has("context_dependence_test"):
        cd = t.load("context_dependence_test")
        for cl in analysis.CELL_LINES:
            ids[cl] = set(cd.loc[cd["cell_line"] == cl, "seq_id"])
        src, how = t.file("context_dependence_test"), "seq_ids (gene + TSS) tested in both cell lines"
    elif all(t.has("selected_genes", cl) for cl in analysis.CELL_LINES):
        for cl in analysis.CELL_LINES:
            ids[cl] = set(pub.selected_genes(t.results_dir, t.model, cl)["seq_id"])
        src = ", ".join(t.file("selected_genes", cl) for cl in analysis.CELL_LINES)
        how = "genes in both selected-gene tables, matched on gene name + TSS (seq_id)"
    for (a, b), stated in LEGEND_COUNTS[("ED Fig. 1", "c")].items():
        n = len(ids[a] & ids[b]) if ids else None
        rows.append(
            _row(
                "ED Fig. 1", "c", "matched genes (pairwise comparison)", f"{a} vs {b}", stated, n,
                src or t.file("context_dependence_test"),
                how or _missing_note(t, [t.file("context_dependence_test")]),
            )
        )
    return rows


def _rows_swap(t: _Tables, th: analysis.Thresholds) -> list[dict]:
    rows = []
    for panel, cl in (("d", "GM12878"), ("e", "PC-3")):
        counts, src_c, how_c = _context_counts(t, cl, th)
        direct = None
        if t.has("context_swap_test") and t.has("selected_contexts", cl):
            try:
                sw = pub.context_swap_long(t.results_dir, t.model, cl, th)
                direct = sw[["TSS context", "context"]].value_counts()
            except KeyError:  # a swap table without source/target ids: fall back to the design
                direct = None
        for (a, b), stated in LEGEND_COUNTS[("ED Fig. 1", panel)][cl].items():
            if direct is not None:
                n = int(direct.get((a, b), 0))
                src = f"{t.file('context_swap_test')}, {t.file('selected_contexts', cl)}"
                how = "swap rows by (source TSS category, target context category)"
            elif counts is not None:
                n = int(counts[a] * counts[b])
                src = src_c
                how = (
                    f"all-vs-all: n({a}) x n({b}) with categories from {how_c} "
                    "(context_swap_test.csv not in the published copy)"
                )
            else:
                n, src, how = None, src_c, how_c
            rows.append(_row("ED Fig. 1", panel, f"TSS from {a} context in {b} context", cl, stated, n, src, how))
    return rows


# --------------------------------------------------------------------------- CRE tests
def _rows_tiles(t: _Tables, th: analysis.Thresholds) -> list[dict]:
    rows = []
    nec = t.load("necessity_test") if t.has("necessity_test") else None
    suf = t.load("sufficiency_test") if t.has("sufficiency_test") else None
    n_tiles = None
    if t.has("sufficiency_test_tile_coordinates"):
        coords = t.load("sufficiency_test_tile_coordinates")
        n_tiles = len([c for c in coords.columns if c != "tss"])
    for panel, cl in (("a", "GM12878"), ("b", "PC-3")):
        for c, stated in LEGEND_COUNTS[("ED Fig. 3", panel)][cl].items():
            if nec is not None:
                n = int(((nec["cell_line"] == cl) & (nec["context"] == c)).sum())
                src, how = t.file("necessity_test"), "rows (tiles x sequences) of the cell line and context"
            else:
                n, src, how = None, t.file("necessity_test"), _missing_note(t, [t.file("necessity_test")])
            rows.append(_row("ED Fig. 3", panel, f"Necessity Test tiles, {c} contexts", cl, stated, n, src, how))
    for panel, cl in (("c", "GM12878"), ("d", "PC-3")):
        counts, src_c, how_c = _context_counts(t, cl, th)
        for c, stated in LEGEND_COUNTS[("ED Fig. 3", panel)][cl].items():
            if suf is not None:
                n = int(((suf["cell_line"] == cl) & (suf["context"] == c)).sum())
                src, how = t.file("sufficiency_test"), "rows (tiles x sequences) of the cell line and context"
            elif n_tiles is not None and counts is not None:
                n = int(n_tiles * counts[c])
                src = f"{t.file('sufficiency_test_tile_coordinates')}, {src_c}"
                how = (
                    f"sufficiency_test.csv not in the published copy: design count = {n_tiles} tiles x "
                    f"sequences per category ({how_c})"
                )
            else:
                n, src = None, t.file("sufficiency_test")
                how = _missing_note(t, [t.file("sufficiency_test")])
            rows.append(_row("ED Fig. 3", panel, f"Sufficiency Test tiles, {c} contexts", cl, stated, n, src, how))
    for c, stated in LEGEND_COUNTS[("ED Fig. 3", "e")]["K562"].items():
        if nec is not None and suf is not None:
            a = nec[(nec["cell_line"] == "K562") & (nec["context"] == c)][["seq_id", "tile_start"]]
            b = suf[(suf["cell_line"] == "K562") & (suf["context"] == c)][["seq_id", "tile_start"]]
            n = int(a.merge(b, on=["seq_id", "tile_start"]).shape[0])
            src, how = f"{t.file('necessity_test')}, {t.file('sufficiency_test')}", "tiles present in both tests"
        elif nec is not None:
            n = int(((nec["cell_line"] == "K562") & (nec["context"] == c)).sum())
            src = t.file("necessity_test")
            how = "necessity side only (sufficiency_test.csv not in the published copy): rows of K562 and the context"
        else:
            n, src, how = None, t.file("necessity_test"), _missing_note(t, [t.file("necessity_test")])
        rows.append(_row("ED Fig. 3", "e", f"tiles in necessity vs sufficiency scatter, {c} contexts", "K562", stated, n, src, how))
    return rows


def _rows_cres(t: _Tables, th: analysis.Thresholds) -> list[dict]:
    rows = []
    # sufficient CREs (ED Fig. 4 b-d)
    if t.has("sufficiency_test"):
        s = analysis.sufficient_cres(t.load("sufficiency_test"), th)
        src = t.file("sufficiency_test")
        how = f"Normalized CRE effect recomputed from wt/mut/control, > {th.sufficiency} (enhancing) / < -{th.sufficiency} (silencing)"
    elif t.has("sufficient_CREs"):
        s = analysis.sufficient_cres(t.load("sufficient_CREs"), th)
        src = t.file("sufficient_CREs")
        how = (
            "sufficiency_test.csv not in the published copy: Normalized CRE effect recomputed from "
            f"wt/mut/control of the rows of sufficient_CREs.csv and re-thresholded (> {th.sufficiency} "
            f"enhancing, < -{th.sufficiency} silencing); rows dropped from that table cannot come back"
        )
    else:
        s, src = None, t.file("sufficiency_test")
        how = _missing_note(t, [src, t.file("sufficient_CREs")])
    for cl, d in LEGEND_COUNTS[("ED Fig. 4", "b-d")].items():
        for cls, stated in d.items():
            n = None if s is None else int(((s["cell_line"] == cl) & (s["tile class"] == cls)).sum())
            rows.append(_row("ED Fig. 4", "b-d", f"sufficient {cls.lower()}s", cl, stated, n, src, how))
    # necessary CREs: no legend count; stated = rows of the published necessary_CREs.csv
    stated_nec = pub.load_table(None, "enformer", "necessary_CREs") if pub.has_table(None, "enformer", "necessary_CREs") else None
    n_rec = analysis.necessary_cres(t.load("necessity_test"), th) if t.has("necessity_test") else None
    for cl in analysis.CELL_LINES:
        for cls in analysis.TILE_CLASSES:
            stated = None
            if stated_nec is not None:
                stated = int(((stated_nec["cell_line"] == cl) & (stated_nec["tile class"] == cls)).sum())
            n = None if n_rec is None else int(((n_rec["cell_line"] == cl) & (n_rec["tile class"] == cls)).sum())
            how = (
                f"Normalized shuffle effect > {th.necessity} (enhancing) / < -{th.necessity} (silencing); "
                "stated: rows of the published necessary_CREs.csv (no legend gives this count)"
                if n_rec is not None
                else _missing_note(t, [t.file("necessity_test")])
            )
            rows.append(_row("Fig. 2 / ED Fig. 3", "necessary CREs", f"necessary {cls.lower()}s", cl, stated, n, t.file("necessity_test"), how))
    return rows


def _rows_interactions(t: _Tables, th: analysis.Thresholds) -> list[dict]:
    rows = []
    name = "greedy_search/min_traces"
    cls = None
    if t.has(name):
        tr = t.load(name)
        tr = tr[tr["context"] == "enhancing"]
        cls = analysis.classify_interactions(tr, th, direction="min")
        how = (
            f"MSE between greedy trace and additive model: < {th.additive} additive, > {th.superadditive} "
            "super-/subadditive by the side of the additive model; enhancing contexts"
        )
    else:
        how = _missing_note(t, [t.file(name)]) + " (interaction classes need the full greedy traces)"
    for cl, d in LEGEND_COUNTS[("ED Fig. 8", "c,e")].items():
        for kind, stated in d.items():
            n = None
            if cls is not None:
                sub = cls[cls.index.get_level_values("cell_line") == cl] if len(cls) else cls
                n = int((sub == kind).sum())
            rows.append(_row("ED Fig. 8", "c,e", f"{kind} enhancer sets", cl, stated, n, t.file(name), how))
    return rows


def _rows_multiplicity(t: _Tables) -> list[dict]:
    rows = []
    mult = t.load("multiplicity") if t.has("multiplicity") else None
    greedy = {
        "Enhancer": ("greedy_search/min_second_iteration", "enhancing"),
        "Silencer": ("greedy_search/max_second_iteration", "silencing"),
    }
    for cl, d in LEGEND_COUNTS[("ED Fig. 10", "a-c")].items():
        for cls, stated in d.items():
            tab, ctx = greedy[cls]
            if mult is not None:
                m = mult["cell_line"] == cl
                m &= (mult["tile class"] == cls) if "tile class" in mult.columns else (mult["context"] == ctx)
                n = int(mult.loc[m, "seq_id"].nunique())
                src, how = t.file("multiplicity"), "distinct CREs (seq_id) per cell line and class"
            elif t.has(tab):
                g = t.load(tab)
                n = int(g.loc[(g["cell_line"] == cl) & (g["context"] == ctx), "seq_id"].nunique())
                src = t.file(tab)
                how = (
                    f"multiplicity.csv not in the published copy: sequences of {ctx} contexts with a "
                    "greedy-search CRE (one CRE per sequence)"
                )
            else:
                n, src = None, t.file("multiplicity")
                how = _missing_note(t, [src, t.file(tab)])
            rows.append(_row("ED Fig. 10", "a-c", f"{cls.lower()}s in multiplicity test", cl, stated, n, src, how))
    return rows


def _rows_borzoi(results_dir) -> list[dict]:
    """ED Fig. 2b: Borzoi context categories (legend: 'shown in inset legend')."""
    t = _Tables(results_dir, "borzoi")
    th = analysis.BORZOI_THRESHOLDS
    rows = []
    stated_tab = pub.load_table(None, "borzoi", "context_dependence_test") if pub.has_table(None, "borzoi", "context_dependence_test") else None
    cd = t.load("context_dependence_test") if t.has("context_dependence_test") else None
    for cl in analysis.CELL_LINES:
        stated = LEGEND_COUNTS[("ED Fig. 2", "b")][cl]
        if cd is not None:
            n, src, how = int((cd["cell_line"] == cl).sum()), t.file("context_dependence_test"), "rows of the cell line"
        else:
            n, src, how = None, t.file("context_dependence_test"), _missing_note(t, [t.file("context_dependence_test")])
        rows.append(_row("ED Fig. 2", "b", "sequences tested (Borzoi histogram)", cl, stated, n, src, how))
    for cl in analysis.CELL_LINES:
        counts = None if cd is None else analysis.count_contexts(cd[cd["cell_line"] == cl], th)
        for c in analysis.CONTEXTS:
            stated = None
            if stated_tab is not None:
                stated = int(((stated_tab["cell_line"] == cl) & (stated_tab["context"] == c)).sum())
            how = (
                f"delta_mean thresholded with the Borzoi cut-offs (enhancing > {th.enhancing}, |x| < {th.neutral}, "
                f"silencing < {th.silencing}; inferred from the published labels, see BORZOI_THRESHOLDS); "
                "stated: published `context` labels (the legend defers to the inset)"
            )
            if counts is None:
                how = _missing_note(t, [t.file("context_dependence_test")])
            rows.append(
                _row("ED Fig. 2", "b (inset)", f"sequences in {c} contexts (Borzoi)", cl, stated,
                     None if counts is None else int(counts[c]), t.file("context_dependence_test"), how)
            )
    return rows


def reproduction_audit(
    results_dir: str | Path | None = None,
    model: str = "enformer",
    thresholds: analysis.Thresholds = analysis.PAPER,
    include_borzoi: bool = True,
) -> pd.DataFrame:
    """Every count the legends state next to the count recomputed from ``results_dir``.

    Parameters
    ----------
    results_dir : str, Path or None
        Results folder (``None`` = the published copy).
    model : str
        Model folder audited for the Enformer figures.
    thresholds : Thresholds
        Classification thresholds (the paper's by default).
    include_borzoi : bool
        Add the ED Fig. 2 (Borzoi) rows when ``results_dir/borzoi`` exists.

    Returns
    -------
    pandas.DataFrame
        Columns ``AUDIT_COLUMNS``. ``stated`` and ``recomputed`` are nullable
        integers; ``match`` is a nullable boolean, ``<NA>`` where the count could not
        be recomputed from the tables present.
    """
    t = _Tables(results_dir, model)
    rows: list[dict] = []
    rows += _rows_contexts(t, thresholds)
    rows += _rows_matched(t)
    rows += _rows_swap(t, thresholds)
    rows += _rows_tiles(t, thresholds)
    rows += _rows_cres(t, thresholds)
    rows += _rows_interactions(t, thresholds)
    rows += _rows_multiplicity(t)
    if include_borzoi and (pub.resolve_results_dir(results_dir) / "borzoi").is_dir():
        rows += _rows_borzoi(results_dir)
    df = pd.DataFrame(rows)
    df["stated"] = pd.array(df["stated"].tolist(), dtype="Int64")
    df["recomputed"] = pd.array(df["recomputed"].tolist(), dtype="Int64")
    match = [pd.NA if (pd.isna(s) or pd.isna(r)) else bool(s == r) for s, r in zip(df["stated"], df["recomputed"])]
    df["match"] = pd.array(match, dtype="boolean")
    order = {"Fig. 1": 0, "Fig. 1 / ED Fig. 1": 1, "Fig. 2 / ED Fig. 3": 2}
    key = df["figure"].map(lambda f: order.get(f, 10 + int("".join(ch for ch in f if ch.isdigit()) or 0)))
    df = df.assign(_k=key).sort_values("_k", kind="stable").drop(columns="_k").reset_index(drop=True)
    return df[AUDIT_COLUMNS]


def summarize_audit(audit: pd.DataFrame) -> pd.DataFrame:
    """Counts of matching, mismatching and not-recomputable rows per figure."""
    status = np.where(audit["match"].isna(), "not recomputable", np.where(audit["match"].fillna(False), "match", "mismatch"))
    out = pd.crosstab(audit["figure"], pd.Series(status, index=audit.index, name="status"))
    for c in ("match", "mismatch", "not recomputable"):
        if c not in out.columns:
            out[c] = 0
    return out[["match", "mismatch", "not recomputable"]].reindex(pd.unique(audit["figure"]))


def style_audit(audit: pd.DataFrame):
    """The audit as a pandas Styler for a page: ``match`` first (as yes / no / -), mismatches
    red, not-recomputable rows grey, small type and a bounded ``how`` column, so a row stays
    one or two lines high and the table fits a 1280 px page."""
    audit = audit[["match", *[c for c in audit.columns if c != "match"]]]

    def colour(row):
        if pd.isna(row["match"]):
            c = "background-color: #f0f0f0; color: #555555"
        elif row["match"]:
            c = ""
        else:
            c = "background-color: #fde0dd; font-weight: bold"
        return [c] * len(row)

    styles = [
        {"selector": "td, th", "props": "font-size: 0.78em; padding: 2px 6px; vertical-align: top"},
        {"selector": "td.col_heading, th.col_heading", "props": "white-space: nowrap"},
    ]
    st = audit.style.apply(colour, axis=1).hide(axis="index").set_table_styles(styles)
    st = st.format({"match": lambda v: "-" if pd.isna(v) else ("yes" if v else "no")}, na_rep="")
    for col, width in (("how", "26em"), ("source_table", "16em"), ("quantity", "14em")):
        if col in audit.columns:
            st = st.set_properties(subset=[col], **{"max-width": width, "overflow-wrap": "anywhere"})
    return st
