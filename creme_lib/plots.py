"""Plotting functions for the book: one per panel kind, on tidy tables in the paper's schema.

Every function takes a DataFrame with the columns of a published table (or of the same
table written by a fresh pipeline run), draws into ``ax`` when one is passed and
otherwise returns a new :class:`matplotlib.figure.Figure` sized for a book page. Figures
are made without :mod:`matplotlib.pyplot`, so they are never shown twice in a notebook
and need no closing; end a notebook cell with the figure to display it.

Colours are fixed per context category (:data:`CONTEXT_COLORS`), tile class
(:data:`TILE_CLASS_COLORS`), hypothetical model (:data:`MODEL_COLORS`) and cell line
(``CELL_LINE_COLORS``). Every panel states its n (legend, tick label or title).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.colors
import matplotlib.lines
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from scipy import stats

from creme_lib.analysis import CONTEXTS, OTHER_CONTEXT, PAPER, Thresholds, classify_context

__all__ = [
    "CONTEXT_COLORS",
    "TILE_CLASS_COLORS",
    "MODEL_COLORS",
    "CELL_LINE_COLORS",
    "SCORE_COLORS",
    "BOOK_WIDTH",
    "BOOK_RC",
    "PanelPlaceholder",
    "show_panel",
    "NoDataError",
    "test_schematic",
    "SEGMENT_COLORS",
    "significance_stars",
    "mann_whitney_label",
    "MIN_TEST_N",
    "context_histogram",
    "category_boxplot",
    "mean_curve",
    "distance_effect_curve",
    "greedy_trace_plot",
    "location_heatmap",
    "scatter_compare",
    "saturation_curves",
    "model_comparison_boxplot",
    "class_histogram",
    "count_bars",
    "coverage_tracks",
    "fine_tile_tracks",
    "tf_enrichment_scatter",
    "fine_tile_search_curves",
    "facet",
    "PREDICTOR_COLORS",
    "panels",
    "embedding_scatter",
    "pwm_logo",
    "motif_network",
    "training_curves",
    "score_bars",
]

#: Context categories (Context Dependence Test).
CONTEXT_COLORS: dict[str, str] = {
    "enhancing": "#1a9850",
    "neutral": "#7f7f7f",
    "silencing": "#d73027",
    "other": "#c6dbef",
}
#: CRE tile classes (Necessity / Sufficiency Tests); green enhancers, red silencers.
TILE_CLASS_COLORS: dict[str, str] = {
    "Enhancer": "#33a02c",
    "Silencer": "#e31a1c",
    "Neutral": "#bdbdbd",
    "TSS": "#1f78b4",
}
#: Greedy search versus hypothetical models (Higher-Order Interaction Test).
MODEL_COLORS: dict[str, str] = {
    "greedy": "#33a02c",
    "additive": "#ff7f00",
    "multiplicative": "#6a3d9a",
    "wt": "#000000",
    "control": "#525252",
}
CELL_LINE_COLORS: dict[str, str] = {"K562": "#1f77b4", "GM12878": "#9467bd", "PC-3": "#8c564b"}
#: Fine-tile search / attribution scores.
SCORE_COLORS: dict[str, str] = {
    "CREME": "#33a02c",
    "Saliency": "#1f78b4",
    "Random": "#969696",
    "XSTREME": "#ff7f00",
    "WT": "#000000",
    "MUT": "#e31a1c",
}

#: Promoter-to-expression predictors (contextual regression part).
PREDICTOR_COLORS: dict[str, str] = {
    "6-mer ridge": "#969696",
    "plain CNN": "#1f78b4",
    "contextual regression": "#33a02c",
}

#: Segments of a perturbed sequence in a test schematic (:func:`test_schematic`).
SEGMENT_COLORS: dict[str, str] = {
    "wild type": "#d9d9d9",
    "dinucleotide-shuffled": "#ffffff",
    "TSS tile": TILE_CLASS_COLORS["TSS"],
    "CRE tile": "#ff7f00",
    "from another sequence": "#6a3d9a",
}

#: Width of the book's text column, inches.
BOOK_WIDTH = 7.0
#: rc settings every function draws with (fonts readable at book-page width).
BOOK_RC: dict = {
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 7.5,
    "legend.title_fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 110,
    "savefig.dpi": 150,
}

_FALLBACK = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def _styled(func):
    """Run ``func`` under :data:`BOOK_RC` (text properties are fixed at creation)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(BOOK_RC):
            return func(*args, **kwargs)

    return wrapper


def _fig_ax(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _ret(fig: Figure, ax_given: Axes | None):
    return fig if ax_given is None else ax_given


def _palette(levels: Sequence, palette: dict[str, str] | None) -> dict:
    pal: dict = {}
    for lv in levels:
        for p in (palette or {}, CONTEXT_COLORS, TILE_CLASS_COLORS, MODEL_COLORS, CELL_LINE_COLORS, SCORE_COLORS):
            if lv in p:
                pal[lv] = p[lv]
                break
    i = 0
    for lv in levels:
        if lv not in pal:
            pal[lv] = _FALLBACK[i % len(_FALLBACK)]
            i += 1
    return pal


def _levels(series: pd.Series, order: Sequence | None) -> list:
    present = list(pd.unique(series.dropna()))
    if order is None:
        return present
    return [o for o in order if o in set(present)]


def _fmt_n(n: int) -> str:
    return f"n={n:,}"


# ------------------------------------------------------------------------ placeholders
class PanelPlaceholder:
    """A clearly labelled note standing in for a panel whose input table is absent.

    Renders as an admonition box in HTML (Jupyter Book) and as Markdown / plain text
    elsewhere.
    """

    def __init__(self, panel: str, missing: Sequence[str], note: str = "", published: bool = True, advice: str = "",
                 empty: bool = False):
        self.empty = empty
        self.panel = panel
        self.missing = list(missing)
        self.note = note
        self.published = published
        self.advice = advice

    @property
    def title(self) -> str:
        if self.empty:
            return f"{self.panel}: nothing to draw"
        where = "the published copy" if self.published else "this results folder"
        return f"{self.panel}: not in {where}"

    @property
    def text(self) -> str:
        files = ", ".join(self.missing) if self.missing else "its input table"
        if self.empty:
            msg = self.advice
        elif self.advice:
            msg = f"This panel needs {files}, which no results folder at hand contains. {self.advice}"
        elif self.published:
            msg = (
                f"This panel needs {files}, which the published results do not contain. "
                "It is drawn from a fresh run of the pipeline when `results_dir` points to one."
            )
        else:
            msg = f"This panel needs {files}, which this results folder does not contain (run the pipeline step that writes it)."
        return msg + (f" {self.note}" if self.note else "")

    def _repr_html_(self) -> str:
        text = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(self.text))
        return (
            '<div class="admonition warning">'
            f'<p class="admonition-title">{html.escape(self.title)}</p>'
            f"<p>{text}</p></div>"
        )

    def _repr_markdown_(self) -> str:
        return f"> **{self.title}.** {self.text}"

    def __repr__(self) -> str:
        return f"[placeholder] {self.title}. {self.text}"


class NoDataError(ValueError):
    """A panel's tables hold no rows to draw (e.g. no sequence of a class in a small run)."""


def _figures_with_n(result) -> list[tuple[object, object]]:
    """``draw``'s result as ``[(figure or other displayable, n or None), ...]``."""
    items = result if isinstance(result, list) else [result]
    return [item if isinstance(item, tuple) else (item, None) for item in items]


def show_panel(label: str, draw, results_dir=None, model: str = "enformer", note: str = "",
               unit: str = "sequences", fallback: bool = True) -> None:
    """Display one figure panel with a caption naming its source and n, or a note saying what is missing.

    Parameters
    ----------
    label : str
        The panel's name in the paper, e.g. ``"Fig. 1e"`` (used in the note).
    draw : callable
        ``draw(source)`` -> a figure, ``(figure, n)``, or a list of them; reads its tables
        through ``source`` (a :class:`creme_lib.sources.Source`). ``n`` (an int, counted in
        ``unit``, or a text such as ``"n = 4 per category"``) goes into the caption.
    results_dir, model : the page's parameters.
    note : str
        Added to the missing-table note.
    fallback : bool
        Whether a panel the published copy cannot draw is drawn from this book's run
        (:func:`creme_lib.sources.resolve`).
    """
    from IPython.display import Markdown, display

    from creme_lib import sources

    try:
        out = sources.resolve(draw, results_dir, model, fallback)
    except NoDataError as err:
        display(PanelPlaceholder(label, [], note, published=sources.Source(results_dir, model).published,
                                 advice=f"Its tables are there but hold nothing to draw ({err}).", empty=True))
        return
    if not out:  # the page's own folder is the first source tried
        display(PanelPlaceholder(label, list(dict.fromkeys(out.missing)), note, published=out.tried[0].published,
                                 advice=out.how_to_make))
        return
    for fig, n in _figures_with_n(out.result):
        display(fig)
        caption = out.source.caption(n, unit)
        if out.lacking:
            caption += f" (the page's results folder lacks {', '.join(out.lacking)})"
        display(Markdown(f"<small>{caption}.</small>"))


def _segment_kind(paste, base: str, tss_tile: tuple[int, int]) -> str:
    if paste.shuffle is not None:
        return "dinucleotide-shuffled"
    if paste.source not in (None, base):
        return "from another sequence"
    if (paste.src_start in (None, paste.start)) and (paste.start, paste.end) == tuple(tss_tile):
        return "TSS tile"
    return "CRE tile"


@_styled
def test_schematic(plans, seq_length: int, tss_tile: tuple[int, int], title: str | None = None,
                   width: float = BOOK_WIDTH):
    """One bar per CREME test: the example sequence it sends, drawn from its plan.

    Parameters
    ----------
    plans : sequence of creme_lib.experiments.examples.ExamplePlan
        One example :class:`~creme_lib.perturb.SeqSpec` per test (``.test``, ``.spec``).
    seq_length : int
        The window, bp.
    tss_tile : (int, int)
        The TSS tile, bp; the x axis is kb from its centre.
    """
    plans = list(plans)
    fig = Figure(figsize=(width, 0.42 * len(plans) + 1.1), layout="constrained")
    ax = fig.add_subplot()
    centre = sum(tss_tile) / 2
    kb = lambda bp: (bp - centre) / 1000.0  # noqa: E731
    used: set[str] = set()
    for row, plan in enumerate(plans):
        y = len(plans) - 1 - row
        spec = plan.spec
        bg = "dinucleotide-shuffled" if spec.background is not None else "wild type"
        used.add(bg)
        ax.add_patch(Rectangle((kb(0), y - 0.3), seq_length / 1000.0, 0.6, facecolor=SEGMENT_COLORS[bg],
                               edgecolor="0.4", hatch="////" if bg != "wild type" else None, linewidth=0.6))
        for paste in spec.edits:
            kind = _segment_kind(paste, spec.base, tss_tile)
            ax.add_patch(Rectangle((kb(paste.start), y - 0.3), paste.length / 1000.0, 0.6,
                                   facecolor=SEGMENT_COLORS[kind], edgecolor="0.2", linewidth=0.6,
                                   hatch="////" if kind == "dinucleotide-shuffled" else None))
            used.add(kind)
            if paste.relocates:  # a moved or copied CRE: where it comes from
                rad = -0.35 if paste.start > paste.src_start else 0.35  # arc above the bar either way
                ax.annotate("", xy=(kb(paste.start + paste.length / 2), y + 0.3),
                            xytext=(kb(paste.src_start + paste.length / 2), y + 0.3),
                            arrowprops=dict(arrowstyle="->", color="0.2", connectionstyle=f"arc3,rad={rad}", lw=0.8))
    ax.set_yticks(range(len(plans)), [p.test for p in reversed(plans)])
    ax.set_ylim(-0.6, len(plans) - 0.2)
    ax.set_xlim(kb(0), kb(seq_length))
    ax.set_xlabel("Position relative to the TSS tile centre (kb)")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    handles = [Patch(facecolor=c, edgecolor="0.4", hatch="////" if k == "dinucleotide-shuffled" else None, label=k)
               for k, c in SEGMENT_COLORS.items() if k in used]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    if title:
        ax.set_title(title)
    return fig


def significance_stars(p: float) -> str:
    """Stars for a p-value: ``*`` < 0.05, ``**`` < 0.01, ``***`` < 0.001, ``****`` < 1e-4, else ``ns``."""
    for cut, s in ((1e-4, "****"), (1e-3, "***"), (1e-2, "**"), (5e-2, "*")):
        if p < cut:
            return s
    return "ns"


#: The fewest values per group for which a drawn comparison gets a Mann-Whitney star. A choice:
#: with fewer, the two-sided U test's smallest possible p is near or above 0.05 (4 against 4
#: values: 0.029, 3 against 3: 0.1, 1 against 30: 0.065), so a star or ``ns`` there says more
#: about n than about the data; the bracket says ``n < 5`` instead.
MIN_TEST_N = 5


def _too_few_to_test(*groups: np.ndarray) -> bool:
    """Whether a group holds fewer than :data:`MIN_TEST_N` values (no star is drawn then)."""
    return min(np.size(g) for g in groups) < MIN_TEST_N


def mann_whitney_label(a: np.ndarray, b: np.ndarray) -> str:
    """Stars of a two-sided Mann-Whitney U test of ``a`` against ``b`` (NaNs dropped), or
    ``"n < 5"`` when either group has fewer than :data:`MIN_TEST_N` values.

    Parameters
    ----------
    a, b : numpy.ndarray
        ``(n_a,)`` and ``(n_b,)`` values.
    """
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if _too_few_to_test(a, b):
        return f"n < {MIN_TEST_N}"
    return significance_stars(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


# -------------------------------------------------------------------------- histogram
@_styled
def context_histogram(
    df: pd.DataFrame,
    value: str = "delta_mean",
    context: str | None = "context",
    thresholds: Thresholds = PAPER,
    ax: Axes | None = None,
    title: str | None = None,
    inset: bool = True,
    bins: int = 60,
    xlim: tuple[float, float] = (-2.0, 1.05),
    xlabel: str = "Normalized context effect",
):
    """Histogram of normalized context effects with an inset per context category.

    The main axes show every row of ``df`` (values below ``xlim[0]`` are piled into the
    first bin and counted in the legend); threshold lines mark the categories. The inset
    overlays the enhancing / neutral / silencing subsets (n per category in its legend).
    Categories come from column ``context`` if present (``other``, ``other1`` and the
    like are not categories), else are computed from ``value`` with ``thresholds``.
    """
    fig, ax_ = _fig_ax(ax, (BOOK_WIDTH * 0.82, 3.0))
    x = df[value].to_numpy(np.float64)
    if context is not None and context in df.columns:
        cat = df[context].astype(object).to_numpy()
    else:
        cat = classify_context(x, thresholds, unclassified=OTHER_CONTEXT)
    lo, hi = xlim
    clipped = int(np.sum(x < lo))
    edges = np.linspace(lo, hi, bins + 1)
    ax_.hist(np.clip(x, lo, hi), bins=edges, color=CONTEXT_COLORS["other"], edgecolor="#6baed6", linewidth=0.3)
    for thr, c in ((thresholds.enhancing, "enhancing"), (thresholds.silencing, "silencing")):
        ax_.axvline(thr, color=CONTEXT_COLORS[c], ls="--", lw=0.8)
    ax_.axvspan(-thresholds.neutral, thresholds.neutral, color=CONTEXT_COLORS["neutral"], alpha=0.15, lw=0)
    label = f"all sequences ({_fmt_n(len(x))})"
    if clipped:
        label += f";\n{clipped:,} below {lo:g} shown at {lo:g}"
    handles = [Patch(facecolor=CONTEXT_COLORS["other"], edgecolor="#6baed6", label=label)]
    ax_.set_xlim(lo, hi)
    ax_.set_xlabel(xlabel + " (WT - MUT) / WT")
    ax_.set_ylabel("Number of sequences")
    if title:
        ax_.set_title(title)
    if inset:
        ins = ax_.inset_axes([0.13, 0.42, 0.40, 0.40])
        for c in CONTEXTS:
            sub = x[cat == c]
            ins.hist(np.clip(sub, lo, hi), bins=edges, color=CONTEXT_COLORS[c], alpha=0.85)
            handles.append(Patch(color=CONTEXT_COLORS[c], label=f"{c} ({_fmt_n(sub.size)}, inset)"))
        ins.set_xlim(lo, hi)
        ins.tick_params(labelsize=6)
        ins.set_title("inset: context categories", fontsize=7)
        for sp in ("top", "right"):
            ins.spines[sp].set_visible(True)
    ax_.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return _ret(fig, ax)


@_styled
def class_histogram(
    df: pd.DataFrame,
    value: str,
    hue: str = "tile class",
    hue_order: Sequence[str] | None = None,
    bins: int | Sequence[float] = 20,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    palette: dict[str, str] | None = None,
):
    """Overlaid histograms of ``value`` per ``hue`` level, n per level in the legend."""
    fig, ax_ = _fig_ax(ax, (4.0, 2.8))
    levels = _levels(df[hue], hue_order)
    pal = _palette(levels, palette)
    allx = df[value].to_numpy(np.float64)
    edges = np.histogram_bin_edges(allx[np.isfinite(allx)], bins=bins) if np.isscalar(bins) else np.asarray(bins)
    for lv in levels:
        sub = df.loc[df[hue] == lv, value].to_numpy(np.float64)
        ax_.hist(sub, bins=edges, color=pal[lv], alpha=0.6, label=f"{lv} ({_fmt_n(sub.size)})")
    ax_.set_xlabel(xlabel or value)
    ax_.set_ylabel("Count")
    ax_.legend()
    if title:
        ax_.set_title(title)
    return _ret(fig, ax)


@_styled
def count_bars(
    df: pd.DataFrame,
    x: str,
    y: str,
    hue: str | None = None,
    order: Sequence[str] | None = None,
    hue_order: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str = "Number of sequences",
    palette: dict[str, str] | None = None,
):
    """Grouped bar chart of counts (e.g. sequences per context category), counts on the bars."""
    fig, ax_ = _fig_ax(ax, (4.6, 2.8))
    xs = _levels(df[x], order)
    hs = _levels(df[hue], hue_order) if hue else [None]
    pal = _palette([h for h in hs if h is not None], palette)
    width = 0.8 / len(hs)
    for j, h in enumerate(hs):
        sub = df if h is None else df[df[hue] == h]
        vals = [float(sub.loc[sub[x] == xv, y].sum()) for xv in xs]
        pos = np.arange(len(xs)) + (j - (len(hs) - 1) / 2) * width
        color = pal.get(h, "#6baed6") if h is not None else "#6baed6"
        bars = ax_.bar(pos, vals, width=width * 0.95, color=color, label=None if h is None else str(h))
        ax_.bar_label(bars, labels=[f"{int(v):,}" for v in vals], fontsize=6.5, padding=1)
    ax_.set_xticks(np.arange(len(xs)), [str(v) for v in xs])
    ax_.set_ylabel(ylabel)
    ax_.set_ylim(0, ax_.get_ylim()[1] * 1.25)  # headroom for the legend
    if hue:
        ax_.legend(title=hue, loc="upper center", ncols=len(hs), fontsize=6.5, title_fontsize=7)
    if title:
        ax_.set_title(title)
    return _ret(fig, ax)


# ------------------------------------------------------------------------- box plots
def _box_positions(n_x: int, n_h: int, width: float = 0.8) -> np.ndarray:
    w = width / n_h
    return np.arange(n_x)[:, None] + (np.arange(n_h)[None, :] - (n_h - 1) / 2) * w


@_styled
def category_boxplot(
    df: pd.DataFrame,
    value: str,
    x: str = "context",
    hue: str | None = None,
    order: Sequence[str] | None = None,
    hue_order: Sequence[str] | None = None,
    kind: str = "box",
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    xlabel: str | None = None,
    palette: dict[str, str] | None = None,
    ylim: tuple[float, float] | None = None,
):
    """Box or boxen plots of ``value`` per ``x`` category (and ``hue`` level), n per box.

    ``kind="box"``: quartiles, median and whiskers over the range without outliers
    (outliers not drawn), as the paper's box plots. ``kind="boxen"``: letter-value
    plots (centre line the median, each box half of the remaining data). The number of
    points is written under each box.
    """
    fig, ax_ = _fig_ax(ax, (4.6, 3.0) if hue is None else (BOOK_WIDTH * 0.8, 3.0))
    xs = _levels(df[x], order)
    hs = _levels(df[hue], hue_order) if hue else [None]
    pal = _palette(hs if hue else xs, palette)
    pos = _box_positions(len(xs), len(hs))
    w = 0.8 / len(hs) * 0.85
    groups, positions, colors, ns = [], [], [], []
    for i, xv in enumerate(xs):
        for j, h in enumerate(hs):
            m = df[x] == xv
            if h is not None:
                m &= df[hue] == h
            vals = df.loc[m, value].to_numpy(np.float64)
            vals = vals[np.isfinite(vals)]
            groups.append(vals)
            positions.append(pos[i, j])
            colors.append(pal[h if hue else xv])
            ns.append(vals.size)
    if kind == "boxen":
        import seaborn as sns  # local: only this path needs it

        sub = df[df[x].isin(xs) & (df[hue].isin(hs) if hue else True)]
        sns.boxenplot(
            data=sub,
            x=x,
            y=value,
            hue=hue if hue else x,
            order=xs,
            hue_order=hs if hue else xs,
            palette=pal,
            ax=ax_,
            legend=False,
            width=0.8 if hue else 0.6,
            dodge=bool(hue),
            showfliers=False,
        )
    elif kind == "box":
        keep = [k for k, g in enumerate(groups) if g.size]
        bp = ax_.boxplot(
            [groups[k] for k in keep],
            positions=[positions[k] for k in keep],
            widths=w,
            showfliers=False,
            patch_artist=True,
            orientation="vertical",
            medianprops={"color": "black", "lw": 1},
        )
        for patch, k in zip(bp["boxes"], keep):
            patch.set_facecolor(colors[k])
            patch.set_alpha(0.85)
    else:
        raise ValueError(f"kind must be 'box' or 'boxen', not {kind!r}")
    if hue is None:
        ax_.set_xticks(np.arange(len(xs)), [f"{v}\n{_fmt_n(n)}" for v, n in zip(xs, ns)])
    else:
        ax_.set_xticks(np.arange(len(xs)), [str(v) for v in xs])
        trans = ax_.get_xaxis_transform()
        for p_, n in zip(positions, ns):
            ax_.text(
                p_, 0.015, f"{n:,}", transform=trans, ha="center", va="bottom", fontsize=6,
                rotation=90 if len(hs) > 2 else 0, color="#333333",
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
            )
    ax_.set_xlim(-0.6, len(xs) - 0.4)
    if ylim is not None:
        ax_.set_ylim(*ylim)
    if hue:
        ax_.legend(handles=[Patch(color=pal[h], label=str(h)) for h in hs], title=hue, loc="upper right")
    ax_.set_ylabel(ylabel or value)
    ax_.set_xlabel(xlabel if xlabel is not None else x)
    where = "under each box" if hue is None else "at the bottom of each box"
    ax_.set_title(f"{title}\n(n per box {where})" if title else f"n per box {where}")
    return _ret(fig, ax)


@_styled
def model_comparison_boxplot(
    wide: pd.DataFrame,
    models: Sequence[str] = ("greedy", "additive", "multiplicative"),
    reference: str = "greedy",
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str = "Fold change over WT",
):
    """Box plots of greedy search versus hypothetical models (one column per model).

    ``wide`` has one row per sequence and a column per model (e.g.
    :func:`creme_lib.published.second_iteration_wide`). Stars: two-sided Mann-Whitney U
    test of ``reference`` against each other model (:func:`mann_whitney_label`: no star
    below :data:`MIN_TEST_N` sequences).
    """
    long = wide.melt(value_vars=list(models), var_name="model", value_name=ylabel)
    out = category_boxplot(long, value=ylabel, x="model", order=list(models), kind="box", ax=ax, title=title, ylabel=ylabel, xlabel="")
    ax_ = out if ax is not None else out.axes[0]
    for lab in ax_.get_xticklabels():
        lab.set_rotation(20)
        lab.set_horizontalalignment("right")
        lab.set_rotation_mode("anchor")
    ref = wide[reference].to_numpy(np.float64)
    bottom, top = ax_.get_ylim()  # autoscaled to the whiskers
    span = max(top - bottom, 1e-9)
    k = 0
    for i, m in enumerate(models):
        if m == reference:
            continue
        i0 = list(models).index(reference)
        y = top + span * (0.06 + 0.09 * k)
        ax_.plot([i0, i0, i, i], [y - 0.02 * span, y, y, y - 0.02 * span], color="black", lw=0.7)
        label = mann_whitney_label(ref, wide[m].to_numpy(np.float64))
        ax_.text((i0 + i) / 2, y, label, ha="center", va="bottom", fontsize=7.5)
        k += 1
    ax_.set_ylim(bottom, top + span * (0.12 + 0.09 * k))
    return out


# ----------------------------------------------------------------------------- curves
@_styled
def mean_curve(
    df: pd.DataFrame,
    x: str,
    y: str,
    hue: str | None = None,
    unit: str | None = None,
    hue_order: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    palette: dict[str, str] | None = None,
    band: str = "sd",
    reference: float | None = None,
    linestyles: dict[str, str] | None = None,
    show_n: bool = True,
):
    """Mean of ``y`` against ``x`` per ``hue`` level, shaded +- one standard deviation.

    ``band="sd"`` shades the standard deviation across rows at each ``x`` (the paper's
    "shaded regions represent standard deviation"); ``"sem"`` the standard error. The
    legend gives n per line: distinct ``unit`` values (e.g. sequences) if ``unit`` is
    set, else rows per ``x`` (``show_n=False``: the levels' names alone, for levels whose
    names already say their n, or tables of one summary row per ``x``).
    """
    fig, ax_ = _fig_ax(ax, (4.6, 3.0))
    hs = _levels(df[hue], hue_order) if hue else [None]
    pal = _palette([h for h in hs if h is not None], palette)
    for h in hs:
        sub = df if h is None else df[df[hue] == h]
        g = sub.groupby(x, sort=True)[y]
        mean, sd, cnt = g.mean(), g.std(ddof=1).fillna(0.0), g.count()
        spread = sd if band == "sd" else sd / np.sqrt(cnt.clip(lower=1))
        n = sub[unit].nunique() if unit else int(cnt.max()) if len(cnt) else 0
        color = pal.get(h, "#1f77b4") if h is not None else "#1f77b4"
        if show_n:
            lab = f"{h} ({_fmt_n(n)})" if h is not None else _fmt_n(n)
        else:
            lab = None if h is None else str(h)
        ls = (linestyles or {}).get(h, "-") if h is not None else "-"
        xv = mean.index.to_numpy(np.float64)
        ax_.plot(xv, mean.to_numpy(), color=color, lw=1.5, label=lab, ls=ls)
        ax_.fill_between(xv, (mean - spread).to_numpy(), (mean + spread).to_numpy(), color=color, alpha=0.2, lw=0)
    if reference is not None:
        ax_.axhline(reference, color="#555555", lw=0.7, ls=":")
    ax_.set_xlabel(xlabel or x)
    ax_.set_ylabel(ylabel or y)
    if ax_.get_legend_handles_labels()[1]:
        ax_.legend()
    if title:
        ax_.set_title(title)
    return _ret(fig, ax)


def distance_effect_curve(
    df: pd.DataFrame,
    y: str = "Fold change over control",
    x: str = "Binned distance (Kb)",
    hue: str = "tile class",
    unit: str | None = "enf_data_id",
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    reference: float | None = None,
):
    """TSS-CRE distance curves: mean +- SD of ``y`` per tile class against distance (kb).

    ``df`` is ``distance_test.csv`` (one row per CRE and embedding position); n in the
    legend is the number of CREs (distinct ``unit``).
    """
    if unit is not None and unit not in df.columns:
        unit = "seq_id" if "seq_id" in df.columns else None
    return mean_curve(
        df,
        x=x,
        y=y,
        hue=hue,
        unit=unit,
        hue_order=["Enhancer", "Silencer"],
        ax=ax,
        title=title,
        xlabel="CRE distance to TSS (kb)",
        ylabel=ylabel or y,
        reference=reference,
    )


def greedy_trace_plot(
    traces: pd.DataFrame,
    models: Sequence[str] = ("greedy", "additive", "multiplicative"),
    x: str = "N tiles",
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str = "Fold change over WT",
):
    """Greedy-search traces against the hypothetical additive / multiplicative models.

    ``traces`` has one row per (sequence, round) with a column per model (schema
    ``greedy_search/*_traces``: ``seq_id, N tiles, greedy, additive, multiplicative``,
    fold changes over WT). Mean +- SD per model, n sequences in the legend.
    """
    present = [m for m in models if m in traces.columns]
    long = traces.melt(id_vars=[c for c in ("seq_id", "cell_line", "context", x) if c in traces.columns], value_vars=present, var_name="model", value_name=ylabel)
    out = mean_curve(
        long,
        x=x,
        y=ylabel,
        hue="model",
        unit="seq_id" if "seq_id" in long.columns else None,
        hue_order=present,
        ax=ax,
        title=title,
        xlabel="Number of perturbed CRE tiles",
        ylabel=ylabel,
        reference=1.0,
        linestyles={"additive": "--", "multiplicative": ":"},
    )
    target = out if isinstance(out, Axes) else out.axes[0]
    target.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))  # rounds of the search are whole
    return out


@_styled
def saturation_curves(
    df: pd.DataFrame,
    x: str = "copy number",
    y: str = "Normalized TSS effect",
    unit: str = "seq_id",
    ax: Axes | None = None,
    title: str | None = None,
    color: str | None = None,
    xlabel: str = "CRE copy number",
    ylabel: str = "Normalized TSS effect\n(fold change over control)",
    noun: str = "CREs",
):
    """Multiplicity (saturation) curves: one thin line per CRE, mean +- SD in bold.

    ``df`` has one row per (CRE ``unit``, ``x``); the legend gives the number of units,
    called ``noun``.
    """
    fig, ax_ = _fig_ax(ax, (3.6, 3.0))
    classes = pd.unique(df["tile class"]) if "tile class" in df.columns else []
    c = color or (TILE_CLASS_COLORS.get(classes[0], MODEL_COLORS["greedy"]) if len(classes) == 1 else MODEL_COLORS["greedy"])
    for _, g in df.groupby(unit, sort=False):
        g = g.sort_values(x)
        ax_.plot(g[x].to_numpy(np.float64), g[y].to_numpy(np.float64), color=c, alpha=0.12, lw=0.6)
    agg = df.groupby(x, sort=True)[y]
    mean, sd = agg.mean(), agg.std(ddof=1).fillna(0.0)
    xv = mean.index.to_numpy(np.float64)
    ax_.plot(xv, mean.to_numpy(), color=c, lw=2.2, label=f"mean ({_fmt_n(df[unit].nunique())} {noun})")
    ax_.fill_between(xv, (mean - sd).to_numpy(), (mean + sd).to_numpy(), color=c, alpha=0.25, lw=0)
    ax_.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))  # copy numbers are whole
    ax_.set_xlabel(xlabel)
    ax_.set_ylabel(ylabel)
    ax_.legend()
    if title:
        ax_.set_title(title)
    return _ret(fig, ax)


# ---------------------------------------------------------------------------- heatmap
@_styled
def location_heatmap(
    locations: pd.DataFrame,
    offsets_kb: Sequence[float] | None = None,
    value: str = "tile_selected",
    contexts: Sequence[str] = CONTEXTS,
    ax: Axes | None = None,
    title: str | None = None,
):
    """Heatmap of the tiles a greedy search selected: one row per sequence, one column per tile.

    ``locations`` is ``greedy_search/{min,max}_locations.csv`` for one cell line (rows in
    tile order per ``seq_id``; ``tile_selected`` 0/1). Rows are grouped by context
    category (n per block on the left) and sorted by the nearest selected tile. Without
    ``ax`` a second panel above shows the fraction of sequences selecting each tile.
    """
    if ax is None:
        fig = Figure(figsize=(BOOK_WIDTH * 0.75, 4.4), layout="constrained")
        top, hm = fig.subplots(2, 1, height_ratios=[1, 3.2], sharex=True)
    else:
        fig, hm, top = ax.figure, ax, None
    df = locations.copy()
    df["_tile"] = df.groupby(["seq_id"], sort=False).cumcount()
    n_tiles = int(df["_tile"].max()) + 1
    xs = np.asarray(offsets_kb, np.float64) if offsets_kb is not None else np.arange(n_tiles, dtype=np.float64)
    if xs.size != n_tiles:
        raise ValueError(f"{xs.size} tile offsets for {n_tiles} tiles per sequence")
    blocks, labels, bounds = [], [], [0]
    for c in contexts:
        sub = df[df["context"] == c]
        if sub.empty:
            continue
        mat = sub.pivot_table(index="seq_id", columns="_tile", values=value, aggfunc="max", sort=False).fillna(0.0)
        mat = mat.reindex(columns=range(n_tiles), fill_value=0.0).to_numpy(np.float64)
        dist = np.where(mat > 0, np.abs(xs)[None, :], np.inf).min(axis=1)
        mat = mat[np.argsort(dist, kind="stable")]
        blocks.append((c, mat))
        bounds.append(bounds[-1] + mat.shape[0])
        labels.append(f"{c}\n{_fmt_n(mat.shape[0])}")
        if top is not None:
            top.plot(xs, mat.mean(axis=0), color=CONTEXT_COLORS[c], lw=1.2, marker="o", ms=2, label=f"{c} ({_fmt_n(mat.shape[0])})")
    if not blocks:
        raise NoDataError("no sequences in the requested contexts")
    full = np.vstack([m for _, m in blocks])
    # Lay the tiles on a regular grid (a column per tile step) so that the TSS tile,
    # which is not in the table, shows as its own column at 0 kb.
    step = float(np.min(np.diff(np.sort(xs)))) if xs.size > 1 else 1.0
    grid = np.arange(xs.min(), xs.max() + step / 2, step)
    col_of = np.clip(np.round((xs - grid[0]) / step).astype(int), 0, grid.size - 1)
    rgba = np.ones((full.shape[0], grid.size, 4))
    missing_cols = np.setdiff1d(np.arange(grid.size), col_of)
    rgba[:, missing_cols] = mpl.colors.to_rgba(TILE_CLASS_COLORS["TSS"], alpha=0.35)
    for (c, _), b0, b1 in zip(blocks, bounds[:-1], bounds[1:]):
        col = np.asarray(mpl.colors.to_rgba(CONTEXT_COLORS[c]))
        block = rgba[b0:b1]
        sel = full[b0:b1] > 0
        for k, gc in enumerate(col_of):
            block[sel[:, k], gc] = col
    hm.imshow(
        rgba,
        aspect="auto",
        interpolation="nearest",
        extent=(grid[0] - step / 2, grid[-1] + step / 2, full.shape[0], 0),
    )
    for b in bounds[1:-1]:
        hm.axhline(b, color="black", lw=0.6)
    hm.set_yticks([(a + b) / 2 for a, b in zip(bounds[:-1], bounds[1:])], labels)
    hm.tick_params(axis="y", length=0)
    hm.set_xlabel("Tile position relative to TSS (kb); blue column: TSS tile" if offsets_kb is not None else "Tile index")
    hm.set_ylabel("Sequences")
    if top is not None:
        top.set_ylabel("Fraction\nselected")
        if title:
            fig.suptitle(title)
        top.legend(fontsize=6.5, ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0))
        top.tick_params(labelbottom=False)
    elif title:
        hm.set_title(title)
    return _ret(fig, ax)


# ---------------------------------------------------------------------------- scatter
@_styled
def scatter_compare(
    df: pd.DataFrame,
    x: str,
    y: str,
    hue: str | None = None,
    hue_order: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    log: bool = False,
    diagonal: bool = True,
    method: str = "pearson",
    palette: dict[str, str] | None = None,
    s: float = 4.0,
):
    """Scatter plot of two measurements of the same items, with n and correlation.

    The title line gives n (finite pairs) and the Pearson (or Spearman) correlation,
    computed on log10 values when ``log``. ``diagonal`` draws y = x.
    """
    fig, ax_ = _fig_ax(ax, (3.6, 3.4))
    d = df[[x, y] + ([hue] if hue else [])].copy()
    xv = d[x].to_numpy(np.float64)
    yv = d[y].to_numpy(np.float64)
    ok = np.isfinite(xv) & np.isfinite(yv)
    if log:
        ok &= (xv > 0) & (yv > 0)
    d, xv, yv = d[ok], xv[ok], yv[ok]
    hs = _levels(d[hue], hue_order) if hue else [None]
    pal = _palette([h for h in hs if h is not None], palette)
    for h in hs:
        m = np.ones(len(d), bool) if h is None else (d[hue] == h).to_numpy()
        lab = None if h is None else f"{h} ({_fmt_n(int(m.sum()))})"
        ax_.scatter(xv[m], yv[m], s=s, alpha=0.5, lw=0, color=pal.get(h, "#1f77b4") if h is not None else "#1f77b4", label=lab, rasterized=True)
    if log:
        ax_.set_xscale("log")
        ax_.set_yscale("log")
        for axis in (ax_.xaxis, ax_.yaxis):
            axis.set_minor_formatter(mpl.ticker.NullFormatter())
    if diagonal and len(xv):
        lo, hi = float(min(xv.min(), yv.min())), float(max(xv.max(), yv.max()))
        ax_.plot([lo, hi], [lo, hi], color="#555555", lw=0.7, ls="--")
    a, b = (np.log10(xv), np.log10(yv)) if log else (xv, yv)
    if len(xv) > 2 and np.ptp(a) > 0 and np.ptp(b) > 0:
        r = (stats.pearsonr(a, b) if method == "pearson" else stats.spearmanr(a, b))[0]
        sym = "r" if method == "pearson" else "ρ"
        stat = f"{_fmt_n(len(xv))}, {method} {sym} = {r:.2f}"
    elif len(xv) > 2:  # a constant variable has no correlation (scipy would warn and return NaN)
        stat = f"{_fmt_n(len(xv))}, correlation undefined (constant values)"
    else:
        stat = _fmt_n(len(xv))
    ax_.set_title(f"{title}\n{stat}" if title else stat)
    ax_.set_xlabel(xlabel or x)
    ax_.set_ylabel(ylabel or y)
    if hue:
        ax_.legend(markerscale=2)
    return _ret(fig, ax)


@_styled
def tf_enrichment_scatter(
    pvalues: pd.DataFrame,
    x: str = "log(Max enhancer / Max silencer)",
    y: str = "-log10(pvalue)",
    label: str = "mark",
    significant: str = "sign",
    top: int = 10,
    ax: Axes | None = None,
    title: str | None = None,
):
    """Volcano-style plot of per-TF enrichment between sufficient enhancers and silencers.

    ``pvalues`` is ``CRE_characterization/pvalues_per_TF_for_sufficient_CREs.csv``;
    points flagged ``significant`` are coloured; the ``top`` smallest p-values are named.
    """
    fig, ax_ = _fig_ax(ax, (4.6, 3.4))
    sig = pvalues[significant].astype(bool).to_numpy()
    xv, yv = pvalues[x].to_numpy(np.float64), pvalues[y].to_numpy(np.float64)
    ax_.scatter(xv[~sig], yv[~sig], s=6, color="#bdbdbd", lw=0, label=f"not significant ({_fmt_n(int((~sig).sum()))})")
    col = np.where(xv[sig] > 0, TILE_CLASS_COLORS["Enhancer"], TILE_CLASS_COLORS["Silencer"])
    ax_.scatter(xv[sig], yv[sig], s=8, c=col, lw=0, label=f"significant ({_fmt_n(int(sig.sum()))})")
    for _, row in pvalues.nlargest(top, y).iterrows():
        ax_.annotate(str(row[label]), (row[x], row[y]), fontsize=6, xytext=(2, 2), textcoords="offset points")
    ax_.axvline(0, color="#555555", lw=0.6, ls=":")
    ax_.set_xlabel("log(max signal at enhancers / max at silencers)")
    ax_.set_ylabel("-log10 p-value")
    ax_.legend(loc="upper left")
    ax_.set_title(title or f"{_fmt_n(len(pvalues))} ChIP-seq marks")
    return _ret(fig, ax)


# ---------------------------------------------------------------------------- tracks
@_styled
def coverage_tracks(
    df: pd.DataFrame,
    by: str = "name",
    columns: Sequence[str] = ("WT", "MUT"),
    bin_size_bp: int = 128,
    labels: dict[str, str] | None = None,
    title: str | None = None,
):
    """Predicted coverage tracks, one row per example (``by``), WT and MUT overlaid.

    ``df`` is ``example_sequences.csv`` (rows in output-bin order per example). The
    x axis is the position relative to the centre of the output window in kb.
    """
    names = list(pd.unique(df[by]))
    fig = Figure(figsize=(BOOK_WIDTH, 1.45 * len(names) + 0.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(names), 1, sharex=True))
    labels = labels or {"WT": "wild type", "MUT": "shuffled context (MUT)"}
    for a, nm in zip(axes, names):
        sub = df[df[by] == nm]
        n = len(sub)
        pos = (np.arange(n) - n / 2 + 0.5) * bin_size_bp / 1000.0
        for ccol in columns:
            a.plot(pos, sub[ccol].to_numpy(np.float64), color=SCORE_COLORS.get(ccol, "#1f77b4"), lw=0.8, label=labels.get(ccol, ccol))
        a.set_title(f"{nm} ({n} bins of {bin_size_bp} bp)", fontsize=8)
        a.set_ylabel("Coverage")
    axes[0].legend(loc="upper left")
    axes[-1].set_xlabel("Position relative to TSS (kb)")
    if title:
        fig.suptitle(title)
    return fig


@_styled
def fine_tile_tracks(
    df: pd.DataFrame,
    genes: Sequence[str] | None = None,
    gene: str = "gene",
    saliency: str = "Saliency",
    creme: str = "CREME",
    xstreme: str = "XSTREME",
    title: str | None = None,
):
    """Per-nucleotide saliency of a CRE tile with the CREME fine-tile and XSTREME motif masks.

    ``df`` is ``motif_analysis/example_seqs.csv`` (5,000 rows per gene in bp order).
    Shaded green: positions the CREME fine-tile search kept; orange ticks: XSTREME motif
    hits.
    """
    from creme_lib.analysis import TILE_SIZE

    genes = list(genes) if genes is not None else list(pd.unique(df[gene]))
    # The table names a tile by its gene only: a gene with two example tiles has 2 x 5,000 rows.
    tracks = []
    for g in genes:
        sub = df[df[gene] == g]
        n_tiles = max(1, len(sub) // TILE_SIZE) if len(sub) % TILE_SIZE == 0 else 1
        for k in range(n_tiles):
            label = g if n_tiles == 1 else f"{g} (tile {k + 1} of {n_tiles})"
            tracks.append((label, sub.iloc[k * len(sub) // n_tiles:(k + 1) * len(sub) // n_tiles]))
    if not tracks:
        raise NoDataError("no fine-tile example to draw")
    fig = Figure(figsize=(BOOK_WIDTH, 1.2 * len(tracks) + 0.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(tracks), 1, sharex=True))
    any_saliency = False
    for a, (g, sub) in zip(axes, tracks):
        pos = np.arange(len(sub))
        sal = sub[saliency].to_numpy(np.float64)
        if np.isfinite(sal).any():
            any_saliency = True
            a.plot(pos, sal, color=SCORE_COLORS["Saliency"], lw=0.5)
            lo, hi = float(np.nanmin(sal)), float(np.nanmax(sal))
        else:  # a model without input gradients (the simulated world's): masks only
            lo, hi = 0.0, 1.0
            a.set_yticks([])
        a.fill_between(pos, lo, hi, where=sub[creme].to_numpy(np.float64) > 0, color=SCORE_COLORS["CREME"], alpha=0.25, lw=0, step="mid")
        xs_hit = pos[sub[xstreme].astype(bool).to_numpy()]
        a.vlines(xs_hit, lo, lo + 0.08 * (hi - lo), color=SCORE_COLORS["XSTREME"], lw=0.5)
        a.set_title(f"{g}: {_fmt_n(len(sub))} bp; CREME keeps {int((sub[creme] > 0).sum()):,} bp, XSTREME marks {xs_hit.size:,} bp", fontsize=7.5)
        a.set_ylabel("Saliency" if np.isfinite(sal).any() else "")
    axes[-1].set_xlabel("Position in the 5 kb CRE tile (bp)")
    handles = [
        Patch(color=SCORE_COLORS["CREME"], alpha=0.35, label="CREME fine tiles"),
        mpl.lines.Line2D([], [], color=SCORE_COLORS["XSTREME"], lw=0.8, label="XSTREME motifs"),
    ]
    if any_saliency:
        handles.insert(0, mpl.lines.Line2D([], [], color=SCORE_COLORS["Saliency"], lw=0.8, label="saliency"))
    else:
        handles.append(Patch(color="none", label="no saliency (the model has no input gradients)"))
    axes[0].legend(
        handles=handles,
        loc="upper right",
        ncols=3,
    )
    if title:
        fig.suptitle(title)
    return fig


# ------------------------------------------------------------------------ composites
@_styled
def fine_tile_search_curves(
    scores: pd.DataFrame,
    ax: Axes | None = None,
    title: str | None = None,
):
    """CREME fine-tile search versus saliency and random ablations, with XSTREME's level.

    ``scores`` is ``motif_analysis/CREME_vs_saliency_vs_XSTREME.csv`` (rows of one or
    more cell lines). Mean +- SD of each method's score against the number of bp
    perturbed (``CREME bps``); the dashed line is the mean XSTREME score (one value per
    tile). n = CRE tiles.
    """
    from creme_lib.published import fine_tile_scores_long

    long = fine_tile_scores_long(scores)
    out = mean_curve(
        long,
        x="CREME bps",
        y="score",
        hue="method",
        unit="seq_id",
        hue_order=["CREME", "Saliency", "Random"],
        ax=ax,
        title=title,
        xlabel="Perturbed bp in the 5 kb tile",
        ylabel="Normalized TSS activity",
    )
    ax_ = out if ax is not None else out.axes[0]
    xs = scores.drop_duplicates("seq_id")["XSTREME score"].to_numpy(np.float64)
    xs = xs[np.isfinite(xs)]
    if xs.size:
        ax_.axhline(float(xs.mean()), color=SCORE_COLORS["XSTREME"], ls="--", lw=1.2, label=f"XSTREME (mean, {_fmt_n(xs.size)})")
        ax_.legend()
    return out


@_styled
def facet(
    plot_fn,
    df: pd.DataFrame,
    by: str,
    order: Sequence | None = None,
    ncols: int | None = None,
    height: float = 3.0,
    width: float = BOOK_WIDTH,
    title_fmt: str = "{}",
    sharey: bool = False,
    suptitle: str | None = None,
    **kwargs,
) -> Figure:
    """Small multiples: ``plot_fn(subset, ax=..., title=..., **kwargs)`` per level of ``by``."""
    levels = _levels(df[by], order)
    if not levels:
        raise NoDataError(f"no rows to facet by {by!r}")
    ncols = ncols or len(levels)
    nrows = int(np.ceil(len(levels) / ncols))
    fig = Figure(figsize=(width, height * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=sharey, squeeze=False)).ravel()
    for a, lv in zip(axes, levels):
        plot_fn(df[df[by] == lv], ax=a, title=title_fmt.format(lv), **kwargs)
    for a in axes[len(levels):]:
        a.set_visible(False)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


@_styled
def training_curves(history: pd.DataFrame, ax: Axes | None = None, title: str | None = None,
                    best_epoch: int | None = None):
    """Training and validation loss per epoch (columns ``epoch, loss, val_loss``).

    ``best_epoch`` (1-based) is marked: the weights kept by early stopping.
    """
    fig, ax_ = _fig_ax(ax, (3.6, 2.8))
    ax_.plot(history["epoch"], history["loss"], color="#525252", lw=1.2, label="training")
    ax_.plot(history["epoch"], history["val_loss"], color="#e6550d", lw=1.2, label="validation")
    if best_epoch is not None:
        ax_.axvline(best_epoch, color="#888888", lw=0.7, ls="--")
        ax_.annotate(f"kept: epoch {best_epoch}", (best_epoch, ax_.get_ylim()[1]), xytext=(3, -10),
                     textcoords="offset points", fontsize=7.5, color="#555555")
    ax_.set_xlabel("epoch")
    ax_.set_ylabel("loss (MSE + penalties)")
    ax_.set_title(title or f"{len(history)} epochs")
    ax_.legend()
    return _ret(fig, ax)


@_styled
def score_bars(scores: pd.DataFrame, score: str, ax: Axes | None = None, title: str | None = None,
               palette: dict[str, str] | None = None, ylabel: str | None = None):
    """Mean +- SD of ``score`` per predictor over seeds (columns ``model``, ``score``, ``seed``).

    Each seed is a dot; the title gives the number of seeds.
    """
    fig, ax_ = _fig_ax(ax, (3.2, 2.8))
    order = list(dict.fromkeys(scores["model"]))
    pal = _palette(order, palette or PREDICTOR_COLORS)
    for i, m in enumerate(order):
        v = scores.loc[scores["model"] == m, score].to_numpy(float)
        sd = float(v.std(ddof=1)) if len(v) > 1 else 0.0
        ax_.bar(i, v.mean(), yerr=sd, color=pal[m], width=0.65, capsize=3, alpha=0.85)
        ax_.scatter(np.full(len(v), i) + np.linspace(-0.12, 0.12, len(v)), v, s=9, color="#252525", zorder=3)
        ax_.annotate(f"{v.mean():.3f}", (i, v.mean()), xytext=(0, 4 + 10 * (sd > 0)), textcoords="offset points",
                     ha="center", fontsize=7.5)
    ax_.set_xticks(range(len(order)), [m.replace(" ", "\n", 1) for m in order])
    lo, hi = float(scores[score].min()), float(scores[score].max())
    ax_.set_ylim(min(0.0, lo - 0.05) if lo < 0.1 else lo - 0.1, hi + 0.05)
    ax_.set_ylabel(ylabel or score)
    seeds = sorted({int((scores["model"] == m).sum()) for m in order})
    n_seeds = f"{seeds[0]} seed{'s' if seeds[0] > 1 else ''} each" if len(seeds) == 1 else "seeds: " + "/".join(map(str, seeds))
    ax_.set_title(f"{title}\n{n_seeds}" if title else n_seeds)
    return _ret(fig, ax)


def panels(ncols: int, width: float = BOOK_WIDTH, height: float = 2.8) -> Figure:
    """An empty figure with one row of ``ncols`` axes (``fig.axes``), for side-by-side panels."""
    if ncols < 1:
        raise ValueError(f"ncols must be positive, got {ncols}")
    fig = Figure(figsize=(width, height), layout="constrained")
    fig.subplots(1, ncols)
    return fig


@_styled
def embedding_scatter(embedding: np.ndarray, values, ax: Axes | None = None, title: str | None = None,
                      label: str = "", categorical: bool = True, xlabel: str = "PC 1", ylabel: str = "PC 2",
                      s: float = 3.0):
    """2-D embedding ``(N, 2)`` coloured by ``values`` ``(N,)``: categories (legend with n per
    level) or a continuous value (colour bar labelled ``label``)."""
    fig, ax_ = _fig_ax(ax, (3.6, 3.2))
    emb = np.asarray(embedding, float)
    values = np.asarray(values)
    if categorical:
        levels = sorted(set(values.tolist()))
        pal = _palette([str(v) for v in levels], None)
        for v in levels:
            m = values == v
            ax_.scatter(emb[m, 0], emb[m, 1], s=s, lw=0, alpha=0.6, color=pal[str(v)],
                        label=f"{label} {v} ({_fmt_n(int(m.sum()))})".strip(), rasterized=True)
        ax_.legend(markerscale=3, fontsize=7)
    else:
        sc = ax_.scatter(emb[:, 0], emb[:, 1], s=s, lw=0, alpha=0.6, c=values.astype(float), cmap="viridis",
                         rasterized=True)
        ax_.figure.colorbar(sc, ax=ax_, label=label, shrink=0.8)
    ax_.set_xlabel(xlabel)
    ax_.set_ylabel(ylabel)
    ax_.set_title(title or _fmt_n(len(emb)))
    return _ret(fig, ax)


@_styled
def pwm_logo(pwm: np.ndarray, ax: Axes | None = None, title: str | None = None, information: bool = True):
    """Sequence logo of a ``(4, width)`` probability matrix (information content in bits by
    default, else probabilities), drawn with ``logomaker``."""
    import logomaker

    fig, ax_ = _fig_ax(ax, (2.2, 1.1))
    p = np.asarray(pwm, float)
    p = p / p.sum(axis=0, keepdims=True)
    df = pd.DataFrame(p.T, columns=list("ACGT"))
    if information:
        ic = 2 + (p * np.log2(np.where(p > 0, p, 1))).sum(axis=0)
        df = df.mul(ic, axis=0)
    logomaker.Logo(df, ax=ax_, color_scheme="classic", show_spines=False)
    ax_.set_ylim(0, 2 if information else 1)
    ax_.set_yticks([0, 2] if information else [0, 1])
    ax_.set_xticks([])
    if title:
        ax_.set_title(title, fontsize=7.5)
    return _ret(fig, ax)


@_styled
def motif_network(graph, communities: pd.DataFrame, ax: Axes | None = None, title: str | None = None,
                  seed: int = 0):
    """A motif co-occurrence graph, nodes coloured by community (``motif, community`` rows),
    edge width by weight; isolated motifs are left out and counted in the title."""
    import networkx as nx

    fig, ax_ = _fig_ax(ax, (4.2, 3.6))
    g = graph.subgraph([n for n in graph.nodes if graph.degree(n) > 0])
    comm = communities.set_index("motif")["community"]
    pal = _palette([str(c) for c in sorted(comm.unique())], None)
    pos = nx.spring_layout(g, seed=seed, weight="weight") if len(g) else {}
    w = np.array([g.edges[e]["weight"] for e in g.edges]) if g.number_of_edges() else np.array([])
    for (u, v), wi in zip(g.edges, w):
        ax_.plot([pos[u][0], pos[v][0]], [pos[u][1], pos[v][1]], color="#9e9e9e", lw=0.5 + 2.5 * wi, alpha=0.6, zorder=1)
    for n in g.nodes:
        ax_.scatter(*pos[n], s=90, color=pal[str(comm[n])], zorder=2, edgecolor="white")
        ax_.annotate(n, pos[n], fontsize=6.5, ha="center", va="center", zorder=3)
    ax_.set_axis_off()
    n_iso = graph.number_of_nodes() - g.number_of_nodes()
    head = f"{g.number_of_nodes()} motifs, {g.number_of_edges()} edges, {comm[list(g.nodes)].nunique() if len(g) else 0} communities"
    ax_.set_title(f"{title}\n{head} ({n_iso} isolated)" if title else f"{head} ({n_iso} isolated)")
    return _ret(fig, ax)


# -------------------------------------------------------------------- notebook figures
# The figures of the pipeline's step notebooks (notebooks/NN_*.py) and of the locus
# notebook: one function per figure, on the tables a step writes. Classification lines
# come from the run's thresholds (``cfg.thresholds``), never from literals, so a model
# with other cut-offs draws its own.


def _threshold_lines(ax: Axes, threshold: float) -> None:
    """Dashed lines at ``+threshold`` and ``-threshold`` (a CRE test's classification cut-offs)."""
    for y in (threshold, -threshold):
        ax.axhline(y, color="#777777", ls="--", lw=0.8)


def tile_offset_kb(table: pd.DataFrame, tss_tile: Sequence[int]) -> pd.Series:
    """Tile centre minus the TSS tile's centre, kb, per row of a table with ``tile_start``, ``tile_end`` (bp)."""
    return ((table["tile_start"] + table["tile_end"]) / 2 - sum(tss_tile) / 2) / 1000


def _short_id(seq_id: str) -> str:
    """The gene part of a ``seq_id`` (``GENE_chr1_123_+`` -> ``GENE``), for panel titles."""
    return str(seq_id).split("_")[0]


def _cre_label(cre_id: str) -> str:
    """A panel title for one CRE: ``GENE_chr1_123_+_100804_105804`` -> ``GENE, tile 100,804-105,804``
    (window bp), so two CREs of one gene differ; an id without a tile gives the gene."""
    from creme_lib.ids import split_enf_data_id

    try:
        head, a, b = split_enf_data_id(cre_id)
    except ValueError:
        return _short_id(cre_id)
    return f"{_short_id(head)}, tile {a:,}-{b:,}"


def _panel_grid(n: int, height: float, ncols: int = 4, sharey: bool = False) -> tuple[Figure, np.ndarray]:
    """A figure of ``n`` panels, at most ``ncols`` per row, book width; unused cells hidden.

    Returns the figure and its ``n`` axes, flat.
    """
    ncols = max(1, min(n, ncols))
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(BOOK_WIDTH if n > 1 else BOOK_WIDTH * 0.5, height * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False, sharey=sharey)).ravel()
    for a in axes[n:]:
        a.set_visible(False)
    return fig, axes[:n]


@_styled
def tss_activity_histogram(
    activity: Sequence[float],
    selected: Sequence[float],
    cell_line: str,
    bins: int = 39,
    ax: Axes | None = None,
    title: str | None = None,
):
    """Histogram of log10 predicted TSS activity: every TSS, and the selected genes over it.

    Parameters
    ----------
    activity : array-like, shape (n_tss,)
        Predicted activity of every TSS (``tss_activity.csv`` column ``activity``), > 0.
    selected : array-like, shape (n_genes,)
        Activity of the selected genes (the cell line's column of the selected-genes table).
    cell_line : str
        Named on the x axis; colours the selected genes.
    bins : int
        Bins between the smallest and largest activity, shared by both histograms.
    """
    fig, ax_ = _fig_ax(ax, (4.6, 2.8))
    allv = np.log10(np.asarray(activity, np.float64))
    sel = np.log10(np.asarray(selected, np.float64))
    edges = np.linspace(allv.min(), allv.max() + 1e-9, bins + 1)
    ax_.hist(allv, bins=edges, color="#bdbdbd", label=f"all TSSs ({_fmt_n(allv.size)})")
    ax_.hist(sel, bins=edges, color=CELL_LINE_COLORS.get(cell_line, "#1f77b4"), label=f"selected genes ({_fmt_n(sel.size)})")
    ax_.set_xlabel(f"log10 predicted TSS activity ({cell_line})")
    ax_.set_ylabel("TSSs")
    ax_.legend()
    if title:
        ax_.set_title(title)
    return _ret(fig, ax)


@_styled
def context_swap_matrix(table: pd.DataFrame, ax: Axes | None = None, title: str | None = None, vmax: float = 2.0):
    """Context swap test as a source x target matrix of signed ``log10(1 + |effect|)``.

    ``table`` is ``context_swap_test.csv`` of one cell line (columns ``source_seq_id``,
    ``target_seq_id``, ``target context``, ``Normalized context effect``; every source in
    every target). Rows (TSSs) and columns (contexts) are in the same order, by target
    context category; tick labels give the category's first letters and the gene.
    """
    fig, ax_ = _fig_ax(ax, (4.6, 4.2))
    order = table.drop_duplicates("target_seq_id").sort_values(["target context", "target_seq_id"])
    ids_ = list(order["target_seq_id"])
    m = table.pivot(index="source_seq_id", columns="target_seq_id", values="Normalized context effect").loc[ids_, ids_]
    im = ax_.imshow(np.sign(m) * np.log10(1 + np.abs(m)), cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    labels = [f"{c[:3]} {_short_id(s)}" for s, c in zip(order["target_seq_id"], order["target context"])]
    ax_.set_xticks(range(len(ids_)), labels, rotation=90, fontsize=6.5)
    ax_.set_yticks(range(len(ids_)), labels, fontsize=6.5)
    ax_.set_xlabel("context (target)")
    ax_.set_ylabel("TSS (source)")
    ax_.figure.colorbar(im, ax=ax_, label="signed log10(1 + |effect|)", shrink=0.8)
    ax_.set_title(title or f"{_fmt_n(len(ids_))} sequences")
    return _ret(fig, ax)


def _effect_by_position(table, tss_tile, draw, threshold, ylabel, ax, title, **legend):
    """One ``draw(ax, context, rows, colour)`` per context category against tile position (kb
    from the TSS tile), dashed lines at ``+-threshold``: the frame of the tile-test panels."""
    fig, ax_ = _fig_ax(ax, (BOOK_WIDTH * 0.8, 2.8))
    t = table.assign(kb=tile_offset_kb(table, tss_tile))
    for ctx, g in t.groupby("context"):
        draw(ax_, ctx, g, _palette([ctx], None)[ctx])
    _threshold_lines(ax_, threshold)
    ax_.set_xlabel("tile centre - TSS (kb)")
    ax_.set_ylabel(ylabel)
    ax_.legend(**legend)
    if title:
        ax_.set_title(title)
    return _ret(fig, ax)


@_styled
def necessity_profile(
    table: pd.DataFrame,
    tss_tile: Sequence[int],
    thresholds: Thresholds = PAPER,
    ax: Axes | None = None,
    title: str | None = None,
):
    """Mean normalized shuffle effect per tile position and context category (necessity test).

    ``table`` is ``necessity_test.csv`` of one cell line (``tile_start``, ``tile_end``,
    ``context``, ``seq_id``, ``Normalized shuffle effect``); ``tss_tile`` the TSS tile's
    ``(start, end)`` in the window, bp. Dashed lines at ``+-thresholds.necessity``; the
    legend gives the sequences per context.
    """
    def draw(ax_, ctx, g, color):
        mean = g.groupby("kb")["Normalized shuffle effect"].mean()
        ax_.plot(mean.index, mean.to_numpy(), marker="o", ms=3, color=color,
                 label=f"{ctx} ({_fmt_n(g['seq_id'].nunique())})")

    return _effect_by_position(table, tss_tile, draw, thresholds.necessity, "normalized shuffle effect", ax, title)


@_styled
def sufficiency_scatter(
    table: pd.DataFrame,
    tss_tile: Sequence[int],
    thresholds: Thresholds = PAPER,
    ax: Axes | None = None,
    title: str | None = None,
):
    """Normalized CRE effect of every tile against its position, per context (sufficiency test).

    ``table`` is ``sufficiency_test.csv`` of one cell line with ``Normalized CRE effect``
    (one point per row); ``tss_tile`` as in :func:`necessity_profile`. Dashed lines at
    ``+-thresholds.sufficiency``; the legend gives the points per context.
    """
    def draw(ax_, ctx, g, color):
        ax_.scatter(g["kb"], g["Normalized CRE effect"], s=6, alpha=0.6, lw=0, color=color,
                    label=f"{ctx} ({_fmt_n(len(g))})")

    return _effect_by_position(table, tss_tile, draw, thresholds.sufficiency, "normalized CRE effect", ax, title,
                               markerscale=2)


def cre_mark_columns(marks: pd.DataFrame) -> list[str]:
    """The mark columns of a CRE marks table drawn by :func:`cre_mark_boxplots`: maxima and repeat fraction."""
    return [c for c in marks.columns if c.endswith("(max)") or c == "repeat fraction"]


@_styled
def cre_mark_boxplots(marks: pd.DataFrame, columns: Sequence[str] | None = None, title: str | None = None) -> Figure:
    """One box plot per mark (four per row): sufficient enhancers against silencers (n per box).

    ``marks`` has a row per sufficient CRE, column ``CRE type`` (``Enhancer`` or
    ``Silencer``) and a column per mark; ``columns`` defaults to :func:`cre_mark_columns`.
    Each panel's title gives the two-sided Mann-Whitney U p-value of enhancers against
    silencers (:func:`creme_lib.marks.compare_groups`) where both groups have data.

    Raises
    ------
    ValueError
        If there is no column to draw.
    """
    cols = list(columns) if columns is not None else cre_mark_columns(marks)
    if not cols:
        raise ValueError("no mark columns to draw")
    from creme_lib.marks import compare_groups

    fig, axes = _panel_grid(len(cols), 2.8)
    classes = ("Enhancer", "Silencer")
    both = [c for c in cols if all(marks.loc[marks["CRE type"] == k, c].notna().any() for k in classes)]
    pvalues = dict(zip(both, compare_groups(marks, both, group="CRE type")["pvalue"])) if both else {}
    for a, c in zip(axes, cols):
        groups = [marks.loc[marks["CRE type"] == k, c].dropna().to_numpy(np.float64) for k in classes]
        keep = [i for i, g in enumerate(groups) if g.size]
        if keep:
            bp = a.boxplot([groups[i] for i in keep], positions=[i + 1 for i in keep], showfliers=False,
                           patch_artist=True, medianprops={"color": "black", "lw": 1})
            for patch, i in zip(bp["boxes"], keep):
                patch.set_facecolor(TILE_CLASS_COLORS[classes[i]])
        a.set_xticks([1, 2], [f"{k[:3]}\n{_fmt_n(g.size)}" for k, g in zip(classes, groups)])
        a.set_xlim(0.4, 2.6)
        p = pvalues.get(c)
        if p is not None and _too_few_to_test(*groups):
            a.set_title(f"{c}\nMWU: n < {MIN_TEST_N}", fontsize=8)
        else:
            a.set_title(c if p is None else f"{c}\nMWU p = {p:.2g} {significance_stars(p)}", fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


@_styled
def fine_tile_panels(comp: pd.DataFrame, title: str | None = None, max_examples: int = 7) -> Figure:
    """Fine-tile search of one cell line: every CRE tile summarised, then a few examples.

    ``comp`` is ``motif_analysis/CREME_vs_saliency_vs_XSTREME.csv`` of one cell line (a
    row per step and ``seq_id``: ``CREME bps``, ``CREME score``, ``Saliency score``,
    ``Random score``, ``XSTREME score``; scores are TSS activity relative to the whole CRE).
    The first panel is :func:`fine_tile_search_curves` over all tiles (mean +- SD, n in
    the legend); then one panel per tile for the first ``max_examples`` tiles in table
    order (the pipeline writes the strongest CREs first), four panels per row, the dashed
    line the motif scan's score. A method without a finite score (saliency of a model
    without input gradients) gets no line and no legend entry.
    """
    ids = list(pd.unique(comp["seq_id"]))
    if not ids:
        raise NoDataError("no fine-tile search to draw")
    methods = [m for m in ("CREME", "Saliency", "Random") if np.isfinite(comp[f"{m} score"].to_numpy(np.float64)).any()]
    examples = ids[:max_examples]
    fig, axes = _panel_grid(len(examples) + 1, 2.6)
    fine_tile_search_curves(comp, ax=axes[0], title=f"all {len(ids):,} tiles")
    axes[0].set_xlabel("bp perturbed")
    for a, sid in zip(axes[1:], examples):
        g = comp[comp["seq_id"] == sid]
        for method in methods:
            a.plot(g["CREME bps"], g[f"{method} score"], marker="o", ms=3, color=SCORE_COLORS[method], label=method)
        a.axhline(float(g["XSTREME score"].iloc[0]), color=SCORE_COLORS["XSTREME"], ls="--", label="motif scan")
        a.set_xlabel("bp perturbed")
        a.set_title(_cre_label(sid), fontsize=8)
        a.set_ylim(0, None)
    axes[0].set_ylabel("activity / whole CRE")
    if len(axes) > 1:
        axes[1].legend()
    if title:
        fig.suptitle(title if len(ids) <= max_examples else f"{title}: {len(examples)} of {len(ids):,} tiles shown")
    return fig


@_styled
def cre_traces(
    df: pd.DataFrame,
    x: str,
    y: str,
    unit: str = "enf_data_id",
    reference: float | None = 1.0,
    marker: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
):
    """One line per CRE (``unit``) of ``y`` against ``x``, coloured by ``tile class``.

    For the distance test (``Binned distance (Kb)`` against ``Fold change over control``)
    and the multiplicity test (``copy number`` against ``Normalized TSS effect``) of one
    cell line. The legend gives the CREs per class; ``reference`` draws a solid line
    (no change: 1).
    """
    fig, ax_ = _fig_ax(ax, (BOOK_WIDTH * 0.8, 2.8))
    counts = df.groupby("tile class")[unit].nunique()
    for (_, cls), g in df.groupby([unit, "tile class"], sort=True):
        ax_.plot(g[x], g[y], marker=marker, ms=3, lw=1, alpha=0.7, color=TILE_CLASS_COLORS.get(cls, "#1f77b4"))
    if reference is not None:
        ax_.axhline(reference, color="#777777", lw=0.8)
    handles = [mpl.lines.Line2D([], [], color=TILE_CLASS_COLORS.get(c, "#1f77b4"), label=f"{c} ({_fmt_n(int(n))})")
               for c, n in counts.items()]
    if handles:
        ax_.legend(handles=handles)
    ax_.set_xlabel(xlabel or x)
    ax_.set_ylabel(ylabel or y)
    if title:
        ax_.set_title(title)
    return _ret(fig, ax)


def _hypothesis_lines(ax: Axes, x, greedy, additive, multiplicative) -> None:
    """A greedy-search trace against the additive and multiplicative hypothetical models."""
    ax.plot(x, greedy, "o-", color=MODEL_COLORS["greedy"], ms=3, label="greedy")
    ax.plot(x, additive, "--", color=MODEL_COLORS["additive"], label="additive")
    ax.plot(x, multiplicative, ":", color=MODEL_COLORS["multiplicative"], label="multiplicative")


@_styled
def greedy_trace_panels(traces: pd.DataFrame, examples: pd.Series | None = None, title: str | None = None) -> Figure:
    """Greedy search of one cell line: every sequence summarised, then example sequences.

    ``traces`` is ``greedy_search/{min,max}_traces.csv`` of one cell line (``seq_id``,
    ``N tiles``, ``greedy``, ``additive``, ``multiplicative``: fold changes over WT). The
    first panel is :func:`greedy_trace_plot` over all sequences (mean +- SD, n in the
    legend); then one panel per sequence of ``examples`` (interaction type indexed by
    ``(cell_line, seq_id)``, e.g. :func:`creme_lib.analysis.interaction_examples`),
    titled with its type; four panels per row. ``examples=None`` draws the summary alone.
    """
    if traces.empty:
        raise NoDataError("no greedy search to draw")
    picks = [] if examples is None else list(examples.items())
    fig, axes = _panel_grid(len(picks) + 1, 2.4, sharey=True)
    greedy_trace_plot(traces, ax=axes[0], title=f"all {traces['seq_id'].nunique():,} sequences")
    for a, ((_, sid), kind) in zip(axes[1:], picks):
        g = traces[traces["seq_id"] == sid].sort_values("N tiles")
        _hypothesis_lines(a, g["N tiles"], g["greedy"], g["additive"], g["multiplicative"])
        a.set_title(f"{_short_id(sid)}: {kind}")
        a.set_xlabel("tiles shuffled")
        a.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    axes[0].set_ylabel("fold change over WT")
    if title:
        fig.suptitle(title)
    return fig


@_styled
def greedy_sufficiency_panels(tables: dict[str, pd.DataFrame], title: str | None = None) -> Figure:
    """Sufficiency of greedy tiles: TSS activity as the greedy tiles are restored, one panel per search.

    ``tables`` maps the search (``"min"``, ``"max"``) to its
    ``greedy_search/sufficiency_of_greedy_tiles_*`` table (rows in restoration order per
    ``seq_id``, column ``Normalized TSS activity``: activity / WT). A thin line per
    sequence, the mean +- SD in bold (n sequences in the legend); the solid line is WT.
    """
    from creme_lib.published import add_iteration

    fig = Figure(figsize=(BOOK_WIDTH, 2.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(tables), squeeze=False)).ravel()
    for a, (opt, t) in zip(axes, tables.items()):
        kind = "enhancer" if opt == "min" else "silencer"
        if len(t):
            saturation_curves(add_iteration(t), x="N tiles", y="Normalized TSS activity", ax=a,
                              color=TILE_CLASS_COLORS[kind.capitalize()], xlabel="greedy tiles restored",
                              ylabel="activity / WT", noun="sequences")
        else:
            a.text(0.5, 0.5, f"no {kind} search", ha="center", va="center", transform=a.transAxes)
            a.set_xlabel("greedy tiles restored")
        a.axhline(1, color="#777777", lw=0.8)
        a.set_title(f"{opt}: {kind} tile sets")
    if title:
        fig.suptitle(title)
    return fig


@_styled
def locus_tile_effects(
    kb: Sequence[float],
    necessity: Sequence[float],
    sufficiency: Sequence[float],
    thresholds: Thresholds = PAPER,
    title: str | None = None,
    width: float = 4.0,
) -> Figure:
    """Necessity and sufficiency of every tile of one locus as bars against tile position.

    Parameters
    ----------
    kb : array-like, shape (n_tiles,)
        Tile centre minus TSS-tile centre, kb.
    necessity : array-like, shape (n_tiles,)
        Normalized shuffle effect ``(WT - MUT) / WT``; dashed lines at ``+-thresholds.necessity``.
    sufficiency : array-like, shape (n_tiles,)
        CRE effect ``(MUT - CTRL) / WT``; dashed lines at ``+-thresholds.sufficiency``.
    width : float
        Bar width, kb.
    """
    fig = Figure(figsize=(BOOK_WIDTH, 3.8), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.bar(kb, necessity, width=width, color="#636363")
    top.set_ylabel("shuffle effect\n(WT - MUT) / WT")
    _threshold_lines(top, thresholds.necessity)
    bottom.bar(kb, sufficiency, width=width, color=TILE_CLASS_COLORS["Enhancer"])
    bottom.set_ylabel("CRE effect\n(MUT - CTRL) / WT")
    _threshold_lines(bottom, thresholds.sufficiency)
    bottom.set_xlabel(f"tile centre - TSS (kb); {_fmt_n(len(kb))} tiles")
    if title:
        fig.suptitle(title)
    return fig


@_styled
def locus_test_panels(distance: pd.DataFrame, multiplicity: Sequence[float], greedy, thresholds: Thresholds = PAPER) -> Figure:
    """The distance, multiplicity and greedy-search tests of one locus, side by side.

    Parameters
    ----------
    distance : DataFrame
        ``Binned distance (Kb)`` and ``Fold change over control`` of the CRE at each position
        (the paper's meaning: over the CRE's maximum across positions,
        :func:`creme_lib.analysis.fold_change_over_max`).
    multiplicity : array-like, shape (n_copies,)
        Activity with 1, 2, ... copies relative to one copy.
    greedy : creme_lib.experiments.interactions.GreedyResult
        The greedy search (``fold_change``, ``additive``,
        ``multiplicative``, ``optimization``); its interaction class, named in the title,
        is judged with ``thresholds``.
    """
    fig = Figure(figsize=(BOOK_WIDTH * 1.5, 2.9), layout="constrained")
    a, b, c = fig.subplots(1, 3)
    a.plot(distance["Binned distance (Kb)"], distance["Fold change over control"], "o-", ms=3)
    a.set(xlabel="CRE position - TSS (kb)", ylabel="fold change over max", title="distance test")
    m = np.asarray(multiplicity, np.float64)
    b.plot(np.arange(1, m.size + 1), m, "o-", ms=3)
    b.set(xlabel="copies", ylabel="activity / one copy", title="multiplicity test")
    r = np.arange(len(greedy.fold_change))
    _hypothesis_lines(c, r, greedy.fold_change, greedy.additive, greedy.multiplicative)
    c.set(xlabel="tiles shuffled", ylabel="fold change over WT",
          title=f"greedy {greedy.optimization}: {greedy.interaction(thresholds=thresholds)}")
    c.legend()
    return fig


@_styled
def fine_tile_mask(mask: Sequence[float], label: str = "", ax: Axes | None = None):
    """The bp a fine-tile search kept in one tile, as a strip (dark: kept).

    ``mask`` has shape ``(tile_bp,)``, 1 where the search kept the base; ``label`` names the
    tile on the x axis.
    """
    fig, ax_ = _fig_ax(ax, (BOOK_WIDTH, 1.2))
    m = np.asarray(mask, np.float64)
    ax_.imshow(m[None], aspect="auto", cmap="Greys", interpolation="nearest", vmin=0, vmax=1)
    ax_.set_yticks([])
    ax_.set_xlabel(f"bp within the tile {label}; {int((m > 0).sum()):,} of {m.size:,} bp kept".strip())
    return _ret(fig, ax)


__all__ += [
    "tile_offset_kb", "tss_activity_histogram", "context_swap_matrix", "necessity_profile", "sufficiency_scatter",
    "cre_mark_columns", "cre_mark_boxplots", "fine_tile_panels", "cre_traces", "greedy_trace_panels",
    "greedy_sufficiency_panels", "locus_tile_effects", "locus_test_panels", "fine_tile_mask",
]

# ------------------------------------------------------------------------- validation
# The validation page's panels (notebooks/12_validation.py): tables of creme_lib.validation.
# Kept in one block (and its own __all__ extension) so that it merges apart from the rest.

__all__ += [
    "VALIDATION_SCORE_COLORS",
    "validation_scores",
    "interaction_confusion_heatmap",
    "context_confusion_heatmap",
    "validation_distance_curves",
    "validation_shuffle_counts",
    "validation_recall_by_effect",
    "validation_shuffle_spread",
]

#: Scores of the CRE calls against the world's truth (validation page).
VALIDATION_SCORE_COLORS: dict[str, str] = {"precision": "#1f78b4", "recall": "#33a02c", "recall_planted": "#b2df8a"}


@_styled
def validation_scores(summary: pd.DataFrame, thresholds: Thresholds, minimum: float,
                      scores: Sequence[str] = ("precision", "recall", "recall_planted")) -> Figure:
    """Precision and recall of CREME's CRE calls per cell line: a panel per tile class (rows) and test (columns).

    ``summary`` is :func:`creme_lib.validation.calls.precision_recall` (``cell_line, test, class,
    n_called, n_detectable`` and the ``scores``); bars of one cell line sit side by side, a
    dashed line marks the target ``minimum``, each panel's title the test's call threshold
    (``thresholds.necessity`` / ``.sufficiency``) and each tick the n called and detectable.
    """
    tests = _levels(summary["test"], ("necessity", "sufficiency"))
    classes = _levels(summary["class"], ("Enhancer", "Silencer"))
    if not tests or not classes:
        raise NoDataError("no scores to plot")
    fig = Figure(figsize=(BOOK_WIDTH, 2.6 * len(classes)), layout="constrained")
    axes = fig.subplots(len(classes), len(tests), squeeze=False, sharey=True)
    pal = _palette(list(scores), VALIDATION_SCORE_COLORS)
    width = 0.8 / len(scores)
    for i, cls in enumerate(classes):
        for j, test in enumerate(tests):
            ax = axes[i, j]
            s = summary[(summary["test"] == test) & (summary["class"] == cls)].sort_values("cell_line")
            x = np.arange(len(s))
            for k, sc in enumerate(scores):
                ax.bar(x + (k - (len(scores) - 1) / 2) * width, s[sc].fillna(0.0), width, color=pal[sc],
                       label=sc.replace("_", " "))
            ax.axhline(minimum, color="#666666", ls="--", lw=1)
            ax.set_xticks(x, [f"{r.cell_line}\n{r.n_called} called\n{r.n_detectable} detectable"
                              for r in s.itertuples(index=False)])
            ax.set_ylim(0, 1.05)
            thr = float(getattr(thresholds, test))
            ax.set_title(f"{test}, {cls} (|effect| > {thr:g})")
            if j == 0:
                ax.set_ylabel("score")
    # One legend above the panels: inside a panel it would hide the bars it explains.
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, title=f"target >= {minimum:g} (dashes)", ncols=len(scores), loc="outside upper center")
    return fig


def _count_heatmap(cm: pd.DataFrame, ax: Axes, cmap: str) -> None:
    """Counts of a confusion matrix as an annotated image (rows: truth, columns: call)."""
    v = cm.to_numpy(np.float64)
    ax.imshow(v, cmap=cmap, aspect="auto", vmin=0, vmax=max(float(v.max()), 1.0))
    for (r, c), n in np.ndenumerate(v):
        ax.annotate(f"{int(n)}", (c, r), ha="center", va="center", fontsize=8,
                    color="white" if n > 0.6 * max(float(v.max()), 1.0) else "black")
    ax.set_xticks(range(v.shape[1]), [str(c) for c in cm.columns], rotation=30, ha="right")
    ax.set_yticks(range(v.shape[0]), [str(i) for i in cm.index])
    ax.set_ylabel(cm.index.name or "")
    ax.spines[:].set_visible(False)


@_styled
def interaction_confusion_heatmap(cm: pd.DataFrame, thresholds: Thresholds, rounds: int = 2,
                                  ax: Axes | None = None):
    """Greedy-search labels of planted pairs vs the expected ones (:func:`creme_lib.validation.interactions.interaction_confusion`).

    The x label gives the rule: MSE over the first ``rounds`` rounds above
    ``thresholds.superadditive`` / ``.subadditive`` is non-additive, below ``.additive`` additive.
    """
    fig, ax_ = _fig_ax(ax, (4.6, 3.2))
    _count_heatmap(cm, ax_, "Blues")
    ax_.set_xlabel(f"{cm.columns.name or 'predicted'} (MSE > {thresholds.superadditive:g} / {thresholds.subadditive:g}, "
                   f"additive < {thresholds.additive:g}; {rounds} rounds)")
    ax_.set_title(f"greedy search vs planted pairs ({_fmt_n(int(cm.to_numpy().sum()))})")
    return _ret(fig, ax)


@_styled
def context_confusion_heatmap(cm: pd.DataFrame, thresholds: Thresholds, ax: Axes | None = None):
    """True context categories vs CREME's (:func:`creme_lib.validation.contexts.context_confusion`), with the cut-offs."""
    fig, ax_ = _fig_ax(ax, (4.6, 3.2))
    _count_heatmap(cm, ax_, "Greens")
    ax_.set_xlabel(f"{cm.columns.name or 'CREME context'} (enhancing > {thresholds.enhancing:g}, "
                   f"|neutral| < {thresholds.neutral:g}, silencing < {thresholds.silencing:g})")
    ax_.set_title(f"context categories ({_fmt_n(int(cm.to_numpy().sum()))} genes)")
    return _ret(fig, ax)


@_styled
def validation_distance_curves(curves: pd.DataFrame, decay_kb: float, ncols: int = 3) -> Figure:
    """The distance test's recovered decay vs the kernel and the model's noise-free answer, a panel per group.

    ``curves`` is the first table of :func:`creme_lib.validation.distance.score_distance` (``cell_line,
    tile class, channel, distance_kb, n_cres, true_norm, model_norm, recovered_norm``); grey:
    the kernel ``exp(-|d| / decay_kb)``, blue dashes: the model, red dots: CREME, all
    normalized to 1 at the closest distance.
    """
    groups = list(curves.groupby(["cell_line", "tile class", "channel"], sort=True))
    if not groups:
        raise NoDataError("no distance curves to plot")
    ncol = min(ncols, len(groups))
    nrow = int(np.ceil(len(groups) / ncol))
    fig = Figure(figsize=(min(BOOK_WIDTH, 2.4 * ncol + 0.4), 2.3 * nrow), layout="constrained")
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for ax, ((line, cls, ch), g) in zip(axes.flat, groups):
        ax.plot(g.distance_kb, g.true_norm, color="#4d4d4d", lw=2, label=f"kernel exp(-|d|/{decay_kb:g} kb)")
        ax.plot(g.distance_kb, g.model_norm, color="#1f78b4", lw=1.2, ls="--", label="model, noise-free")
        ax.plot(g.distance_kb, g.recovered_norm, "o", ms=3, color="#e31a1c", label="CREME")
        ax.set_title(f"{line} {cls} ({ch}, {_fmt_n(int(g.n_cres.max()))} CREs)")
        ax.set_xlabel("distance to TSS (kb)")
        ax.set_ylabel("effect / effect at closest")
    for ax in list(axes.flat)[len(groups):]:
        ax.set_visible(False)
    axes.flat[0].legend()
    return fig


@_styled
def validation_shuffle_counts(summary: pd.DataFrame, minimum: float) -> Figure:
    """Precision and recall of necessity calls against the number of shuffles: a panel per world (rows) and class.

    ``summary`` is :func:`creme_lib.validation.shuffles.shuffle_count_summary` (``world,
    n_shuffles, class, n_called, precision, n_detectable, recall``); each point is labelled
    with its n called (precision) or n detectable (recall); dashes mark ``minimum``.
    """
    worlds = _levels(summary["world"], None)
    classes = _levels(summary["class"], ("Enhancer", "Silencer"))
    if not worlds or not classes:
        raise NoDataError("no shuffle-count scores to plot")
    fig = Figure(figsize=(BOOK_WIDTH, 2.3 * len(worlds) + 0.4), layout="constrained")
    axes = fig.subplots(len(worlds), len(classes), squeeze=False, sharex=True, sharey=True)
    counts = sorted(int(k) for k in summary.n_shuffles.unique())
    for i, world in enumerate(worlds):
        for j, cls in enumerate(classes):
            ax = axes[i, j]
            g = summary[(summary.world == world) & (summary["class"] == cls)].sort_values("n_shuffles")
            for score, n_col, ls in (("precision", "n_called", "-"), ("recall", "n_detectable", "--")):
                ax.plot(g.n_shuffles, g[score], ls, marker="o", ms=4, color=VALIDATION_SCORE_COLORS[score], label=score)
                for r in g.itertuples(index=False):
                    if np.isfinite(getattr(r, score)):
                        ax.annotate(f"{getattr(r, n_col)}", (r.n_shuffles, getattr(r, score)), textcoords="offset points",
                                    xytext=(4, -10 if score == "recall" else 4), fontsize=7,
                                    color=VALIDATION_SCORE_COLORS[score])
            ax.axhline(minimum, color="#666666", ls=":", lw=1)
            ax.set_xscale("log")
            ax.set_xticks(counts, [str(k) for k in counts])
            ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
            ax.set_ylim(0, 1.08)
            ax.set_title(f"{world}: {cls}", fontsize=8.5)
            if j == 0:
                ax.set_ylabel("score")
            if i == len(worlds) - 1:
                ax.set_xlabel("shuffles per tile")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, [f"{lb} (label: n {'called' if lb == 'precision' else 'detectable'})" for lb in labels],
               title=f"necessity calls; dotted: {minimum:g}", ncols=2, loc="outside upper center")
    return fig


@_styled
def validation_recall_by_effect(table: pd.DataFrame) -> Figure:
    """Recall of detectable tiles by the size of their noise-free effect, a line per shuffle count, a panel per world.

    ``table`` is :func:`creme_lib.validation.shuffles.recall_by_effect_size` (``world,
    n_shuffles, effect_size, n_detectable, recall``); tick labels give n detectable.
    """
    worlds = _levels(table["world"], None)
    if not worlds:
        raise NoDataError("no detectable tiles to plot")
    fig = Figure(figsize=(BOOK_WIDTH, 2.6), layout="constrained")
    axes = fig.subplots(1, len(worlds), squeeze=False, sharey=True)[0]
    counts = sorted(int(k) for k in table.n_shuffles.unique())
    shades = {k: mpl.colormaps["Blues"](0.35 + 0.65 * i / max(len(counts) - 1, 1)) for i, k in enumerate(counts)}
    for ax, world in zip(axes, worlds):
        g = table[table.world == world]
        cats = g.effect_size.cat.categories if isinstance(g.effect_size.dtype, pd.CategoricalDtype) else None
        bins = [str(c) for c in cats] if cats is not None else list(pd.unique(g.effect_size.astype(str)))
        x = np.arange(len(bins))
        for k in counts:
            gk = g[g.n_shuffles == k].set_index(g[g.n_shuffles == k].effect_size.astype(str)).reindex(bins)
            ax.plot(x, gk.recall, marker="o", ms=4, color=shades[k], label=f"{k} shuffle{'s' if k > 1 else ''}")
        n_det = g[g.n_shuffles == counts[-1]].set_index(g[g.n_shuffles == counts[-1]].effect_size.astype(str)).reindex(bins)
        ax.set_xticks(x, [f"{b}\n{_fmt_n(int(n))}" for b, n in zip(bins, n_det.n_detectable.fillna(0))])
        ax.set_ylim(0, 1.05)
        ax.set_title(world, fontsize=8.5)
        ax.set_xlabel("|noise-free effect| of the tile")
    axes[0].set_ylabel("recall (detectable tiles)")
    axes[0].legend(loc="lower right")
    return fig


@_styled
def validation_shuffle_spread(spread: pd.DataFrame, contexts: Sequence[str] = ("enhancing", "neutral", "silencing")) -> Figure:
    """Spread across shuffles by distance to the TSS: the world's model with noise against a real model's.

    ``spread`` stacks :func:`creme_lib.validation.shuffles.spread_by_distance` tables with
    ``source`` and ``context`` columns; a panel per context, a line per source (interquartile
    range of the normalized shuffle effect of tiles, log scale), legend with each source's n.
    """
    contexts = _levels(spread["context"], contexts)
    if not contexts:
        raise NoDataError("no spread to plot")
    fig = Figure(figsize=(BOOK_WIDTH, 3.2 + 0.15 * spread["source"].nunique()), layout="constrained")
    axes = fig.subplots(1, len(contexts), squeeze=False, sharey=True)[0]
    sources = _levels(spread["source"], None)
    pal = {s: c for s, c in zip(sources, ("#000000", "#1f78b4", "#ff7f00", "#6a3d9a", "#33a02c"))}
    for ax, ctx in zip(axes, contexts):
        g = spread[spread.context == ctx]
        bins = list(pd.unique(g.distance.astype(str)))
        for src in sources:
            gs = g[g.source == src].set_index(g[g.source == src].distance.astype(str)).reindex(bins)
            ok = gs.iqr.to_numpy(np.float64) > 0
            if ok.any():
                ax.plot(np.arange(len(bins))[ok], gs.iqr[ok], marker="o", ms=4, color=pal[src],
                        label=f"{src} ({_fmt_n(int(gs.n.fillna(0).sum()))} tiles)")
        ax.set_yscale("log")
        ax.set_xticks(np.arange(len(bins)), [b.replace(" kb", "") for b in bins], rotation=30)
        ax.set_title(f"{ctx} contexts", fontsize=8.5)
        ax.set_xlabel("tile distance to TSS (kb)")
        # below the panel: the lines fill the axes, and the n differ per context
        ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.32), frameon=False)
    axes[0].set_ylabel("IQR of normalized\nshuffle effect")
    return fig
