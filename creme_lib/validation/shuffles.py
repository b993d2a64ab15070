"""How many shuffles CREME needs: necessity calls of the world's model with shuffle noise on, scored against the truth per shuffle count and effect size.

The embedded world's model is noise-free by default: a dinucleotide shuffle never creates an
active site, so CREME's spread across shuffles is exactly 0. With
:meth:`~creme_lib.world.mechanism.Mechanism.with_shuffle_noise` the model also reads *weak*
activator sites, which occur by chance in any sequence, so every shuffle of a tile changes the
TSS output a little, more so near the TSS (as in a real model). This module runs CREME's
context-dependence and necessity tests with that noise on, ``max(SHUFFLE_COUNTS)`` shuffles
each, and scores the calls made from the first ``k`` shuffles for each ``k`` in
:data:`SHUFFLE_COUNTS`: shuffle ``i`` is seeded by (sequence, test, ``i``), so the first ``k``
of a 10-shuffle run *are* a ``k``-shuffle run. A study runs on the embedded world (where the
noise weight was chosen), on a held-out world (:data:`HELD_OUT`: another seed and
composition) and on the embedded world with 4x the noise (:data:`NOISIER`).

Tables (CSV, one row per prediction):

* :func:`noisy_predictions`: ``world, cell_line, seq_id, true_context, test`` (``context`` or
  ``necessity``), ``tile_start, tile_end`` (bp; the TSS tile for ``context``), ``shuffle``,
  ``wt``, ``mut`` (mean TSS output, bins 447-448);
* :func:`calls_by_shuffle_count`: :func:`~creme_lib.validation.calls.score_cre_calls` rows
  plus ``world`` and ``n_shuffles``;
* :func:`shuffle_count_summary`, :func:`recall_by_effect_size`, :func:`spread_by_distance`:
  the page's curves.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from creme_lib.analysis import OTHER_CONTEXT, PAPER, Thresholds, classify_context, context_effect
from creme_lib.store import atomic_write_csv, atomic_write_json
from creme_lib.validation.calls import precision_recall, score_cre_calls
from creme_lib.validation.truth import TILES, TSS_TILE, seq_id_of, true_contexts, truth_tiles
from creme_lib.world.config import WorldConfig
from creme_lib.world.mechanism import SEQ_LENGTH, SHUFFLE_NOISE_WEIGHT, TSS_BINS
from creme_lib.world.truth import World

#: Shuffles per tile whose calls are scored (the paper uses 10).
SHUFFLE_COUNTS: tuple[int, ...] = (1, 3, 10)
#: Precision the paper's 10 shuffles must keep on every world of the study.
PRECISION_MINIMUM = 0.9
#: Bins of the noise-free necessity effect ``|necessity_true|`` for recall by effect size.
EFFECT_SIZE_EDGES: tuple[float, ...] = (0.3, 0.5, 1.0, np.inf)
#: Distance (bp, tile centre to TSS) bins of :func:`spread_by_distance`.
DISTANCE_EDGES: tuple[float, ...] = (0, 7_500, 15_000, 30_000, 60_000, 100_000)
#: Genes per true context category the study tests per world and cell line.
GENES_PER_CATEGORY: dict[str, int] = {"enhancing": 6, "silencing": 6, "neutral": 3}


@dataclass(frozen=True)
class StudyWorld:
    """One world of the study: its label, seed, composition (``config=None``: the default),
    cell line and noise (``noise_scale`` times the calibrated weight)."""

    label: str
    seed: int
    config: WorldConfig | None = None
    cell_line: str = "K562"
    noise_scale: float = 1.0
    notes: str = field(default="", compare=False)

    def weight(self, base: float | None = None) -> float:
        """This world's ``background_weight``: ``noise_scale`` x ``base`` (default the calibrated one)."""
        return self.noise_scale * (SHUFFLE_NOISE_WEIGHT if base is None else float(base))


#: The world the noise weight was chosen on (the embedded world, K562).
TUNED = StudyWorld("embedded world (seed 0)", 0, None, "K562", notes="the noise weight was chosen here")
#: A held-out world: another seed, fewer genes, more enhancing programs and silencers, another
#: cell line.
HELD_OUT = StudyWorld(
    "held-out world (seed 1)",
    1,
    WorldConfig(n_genes=96, n_chromosomes=2, p_enhancing=0.5, p_silencer_line=0.35),
    "GM12878",
    notes="another seed and composition, not looked at while choosing the weight",
)
#: The embedded world with 4x the noise, where the number of shuffles starts to matter.
NOISIER = StudyWorld("embedded world, 4x noise", 0, None, "K562", noise_scale=4.0,
                     notes="a model noisier than Enformer near the TSS")
#: The worlds :func:`run_study` runs by default.
STUDY_WORLDS: tuple[StudyWorld, ...] = (TUNED, HELD_OUT, NOISIER)


def study_genes(
    world: World, cell_line: str, per_category: dict[str, int] | None = None, seed: int = 0
) -> pd.DataFrame:
    """Genes to test: up to ``per_category[c]`` genes of each true context category ``c``.

    Returns
    -------
    pandas.DataFrame
        ``gene_id, seq_id, true_context`` in a seeded random order within each category.
    """
    per_category = GENES_PER_CATEGORY if per_category is None else per_category
    ctx = true_contexts(world, world.genes.gene_id, cell_line)
    rng = np.random.default_rng([int(seed), 0x5F])
    rows = []
    for cat, n in per_category.items():
        ids = ctx.index[ctx.category == cat].to_numpy()
        for gid in rng.permutation(ids)[: int(n)]:
            rows.append({"gene_id": gid, "seq_id": seq_id_of(world, gid), "true_context": cat})
    return pd.DataFrame(rows, columns=["gene_id", "seq_id", "true_context"])


def noisy_predictions(
    world: World,
    cell_line: str,
    genes: pd.DataFrame,
    n_shuffles: int = max(SHUFFLE_COUNTS),
    weight: float | None = None,
    batch_size: int = 8,
    progress: bool = False,
) -> pd.DataFrame:
    """Context-dependence and necessity tests of ``genes`` on the world's model with shuffle noise.

    Parameters
    ----------
    world : World
    cell_line : str
    genes : pandas.DataFrame
        :func:`study_genes` rows (``gene_id, seq_id, true_context``).
    n_shuffles : int
        Shuffles per tile and per context (all of them are kept, one row each).
    weight : float, optional
        ``background_weight`` (default :data:`~creme_lib.world.mechanism.SHUFFLE_NOISE_WEIGHT`).

    Returns
    -------
    pandas.DataFrame
        One row per (gene, test, tile, shuffle); columns in the module docstring. Sends
        ``1 + n_shuffles * (1 + 38)`` sequences per gene.
    """
    from creme_lib.experiments import context_dependence_test, necessity_test
    from creme_lib.inference import Engine
    from creme_lib.world.model import SyntheticModel

    model = SyntheticModel(
        bins=list(TSS_BINS), tracks=[cell_line], mechanism=world.mechanism.with_shuffle_noise(weight),
        batch_size=batch_size,
    )
    parts = []
    for g in genes.itertuples(index=False):
        engine = Engine(model, batch_size=batch_size, progress=progress)
        x = world.window(g.gene_id)
        ctx = context_dependence_test(engine, x, TSS_TILE, n_shuffles, name=g.seq_id)
        nec = necessity_test(engine, x, TILES, n_shuffles, name=g.seq_id)
        s = np.arange(n_shuffles)
        parts.append(pd.DataFrame({
            "seq_id": g.seq_id, "true_context": g.true_context, "test": "context", "tile_start": TSS_TILE[0], "tile_end": TSS_TILE[1],
            "shuffle": s, "wt": float(ctx.wt[0]), "mut": ctx.mut[:, 0],
        }))
        t = len(nec.tiles)
        parts.append(pd.DataFrame({
            "seq_id": g.seq_id, "true_context": g.true_context, "test": "necessity",
            "tile_start": np.repeat(nec.tiles[:, 0], n_shuffles), "tile_end": np.repeat(nec.tiles[:, 1], n_shuffles),
            "shuffle": np.tile(s, t), "wt": float(nec.wt[0]), "mut": nec.mut[:, :, 0].ravel(),
        }))
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "cell_line", cell_line)
    return out


def necessity_table(predictions: pd.DataFrame, n_shuffles: int, thresholds: Thresholds = PAPER) -> pd.DataFrame:
    """A ``necessity_test.csv``-like table from the first ``n_shuffles`` shuffles of each tile.

    The context category of each sequence comes from its first ``n_shuffles`` context
    shuffles too (CREME's own rule), so noise can move a gene across categories.

    Returns
    -------
    pandas.DataFrame
        ``cell_line, seq_id, tile_start, tile_end, context, Normalized shuffle effect`` (one
        row per tile).
    """
    p = predictions[predictions["shuffle"] < int(n_shuffles)]
    keys = ["cell_line", "seq_id", "tile_start", "tile_end"]

    def effects(test: str) -> pd.DataFrame:
        g = p[p.test == test].groupby(keys, sort=True).agg(wt=("wt", "first"), mut=("mut", "mean")).reset_index()
        g["effect"] = context_effect(g.wt.to_numpy(np.float64), g.mut.to_numpy(np.float64))
        return g

    ctx = effects("context")
    ctx["context"] = classify_context(ctx.effect.to_numpy(), thresholds, unclassified=OTHER_CONTEXT)
    nec = effects("necessity").merge(ctx[["cell_line", "seq_id", "context"]], on=["cell_line", "seq_id"])
    nec = nec.rename(columns={"effect": "Normalized shuffle effect"})
    return nec[keys + ["context", "Normalized shuffle effect"]]


def calls_by_shuffle_count(
    world: World, predictions: pd.DataFrame, counts: tuple[int, ...] = SHUFFLE_COUNTS
) -> pd.DataFrame:
    """Score the necessity calls made from the first ``k`` shuffles, for each ``k`` in ``counts``.

    Returns
    -------
    pandas.DataFrame
        :func:`~creme_lib.validation.calls.score_cre_calls` rows with ``n_shuffles``.
    """
    out = []
    for line, p in predictions.groupby("cell_line", sort=True):
        truth = truth_tiles(world, p.seq_id.unique(), str(line))
        for k in counts:
            scored = score_cre_calls(necessity_table(p, k), truth, "necessity")
            out.append(scored.assign(n_shuffles=int(k)))
    return pd.concat(out, ignore_index=True)


def shuffle_count_summary(calls: pd.DataFrame) -> pd.DataFrame:
    """Precision and recall per world, shuffle count and class.

    Returns
    -------
    pandas.DataFrame
        ``world, n_shuffles`` and :func:`~creme_lib.validation.calls.precision_recall`'s columns.
    """
    rows = [precision_recall(g).assign(world=w, n_shuffles=k) for (w, k), g in calls.groupby(["world", "n_shuffles"], sort=False)]
    s = pd.concat(rows, ignore_index=True)
    return s[["world", "n_shuffles"] + [c for c in s.columns if c not in ("world", "n_shuffles")]]


def recall_by_effect_size(calls: pd.DataFrame, edges: tuple[float, ...] = EFFECT_SIZE_EDGES) -> pd.DataFrame:
    """Recall of detectable tiles by the size of their noise-free effect.

    Returns
    -------
    pandas.DataFrame
        ``world, n_shuffles, effect_size`` (``"0.3-0.5"``...), ``n_detectable, n_found, recall``.
    """
    det = calls[calls.detectable].copy()
    labels = [f"{a:g}-{b:g}" if np.isfinite(b) else f">{a:g}" for a, b in zip(edges[:-1], edges[1:])]
    det["effect_size"] = pd.cut(det.true_effect.abs(), list(edges), labels=labels, right=False)
    det["found"] = det.called_class == det.true_class
    g = det.groupby(["world", "n_shuffles", "effect_size"], observed=False, sort=False)
    out = g.agg(n_detectable=("found", "size"), n_found=("found", "sum")).reset_index()
    out["recall"] = np.where(out.n_detectable > 0, out.n_found / out.n_detectable.clip(lower=1), np.nan)
    return out


def tile_distance(tile_start: np.ndarray, tile_end: np.ndarray) -> np.ndarray:
    """``|tile centre - TSS|`` (bp) of tiles of a ``SEQ_LENGTH`` window."""
    return np.abs((np.asarray(tile_start) + np.asarray(tile_end)) / 2 - SEQ_LENGTH // 2)


def spread_by_distance(table: pd.DataFrame, edges: tuple[float, ...] = DISTANCE_EDGES) -> pd.DataFrame:
    """Spread of the normalized shuffle effect by tile distance to the TSS.

    Parameters
    ----------
    table : pandas.DataFrame
        ``tile_start, tile_end, Normalized shuffle effect`` (a necessity table: the published
        one, or :func:`necessity_table` of a study).

    Returns
    -------
    pandas.DataFrame
        ``distance`` (``"0-7.5 kb"``...), ``n``, ``q05, q25, median, q75, q95`` and ``iqr``.
    """
    d = tile_distance(table.tile_start.to_numpy(), table.tile_end.to_numpy())
    labels = [f"{a / 1000:g}-{b / 1000:g} kb" for a, b in zip(edges[:-1], edges[1:])]
    e = table["Normalized shuffle effect"].astype(np.float64)
    b = pd.cut(pd.Series(d, index=table.index), list(edges), labels=labels, right=True)
    q = e.groupby(b, observed=False).quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    q.columns = ["q05", "q25", "median", "q75", "q95"]
    q.insert(0, "n", e.groupby(b, observed=False).size())
    q["iqr"] = q.q75 - q.q25
    return q.rename_axis("distance").reset_index()


def spread_comparison(
    predictions: pd.DataFrame,
    published: pd.DataFrame | None = None,
    n_shuffles: int = max(SHUFFLE_COUNTS),
    reference_label: str = "Enformer (published)",
) -> pd.DataFrame:
    """:func:`spread_by_distance` per context category of each study world and of a real model.

    Parameters
    ----------
    predictions : pandas.DataFrame
        A study's predictions (with ``world``).
    published : pandas.DataFrame, optional
        A real model's ``necessity_test.csv`` (``context, tile_start, tile_end,
        Normalized shuffle effect``), e.g. the published Enformer one.

    Returns
    -------
    pandas.DataFrame
        ``source`` (world label or ``reference_label``), ``context`` and
        :func:`spread_by_distance`'s columns; contexts as called by CREME in each source.
    """
    tables = [(w, necessity_table(p.drop(columns="world"), n_shuffles)) for w, p in predictions.groupby("world", sort=False)]
    if published is not None:
        tables.insert(0, (reference_label, published))
    out = []
    for source, t in tables:
        for ctx, g in t.groupby("context", sort=True):
            out.append(spread_by_distance(g).assign(source=source, context=ctx))
    cols = ["source", "context"]
    s = pd.concat(out, ignore_index=True)
    return s[cols + [c for c in s.columns if c not in cols]]


# ---------------------------------------------------------------------------------------------
# running (and reusing) a study


def load_study_world(spec: StudyWorld, cache_dir: str | os.PathLike | None = None) -> World:
    """The world of a study entry (generated into ``cache_dir``, default the world cache, on first use)."""
    from creme_lib.world.truth import default_world

    return default_world(cache_dir, seed=spec.seed, config=spec.config)


def run_study(
    out_dir: str | os.PathLike,
    worlds: tuple[StudyWorld, ...] = STUDY_WORLDS,
    weight: float | None = None,
    per_category: dict[str, int] | None = None,
    progress: bool = False,
    cache_dir: str | os.PathLike | None = None,
) -> Path:
    """Run (or reuse) the study's predictions: ``out_dir/shuffle_noise_predictions.csv``.

    Each world runs at ``spec.weight(weight)``. The CSV is written atomically with a JSON of
    its settings beside it; a later call with the same settings (worlds, weights, genes per
    category, world keys) returns it unchanged.

    Returns
    -------
    Path
        The predictions CSV (:func:`noisy_predictions` rows with ``world`` and
        ``noise_weight`` columns).
    """
    out_dir = Path(out_dir)
    csv, meta = out_dir / "shuffle_noise_predictions.csv", out_dir / "shuffle_noise_predictions.json"
    per_category = dict(GENES_PER_CATEGORY if per_category is None else per_category)
    loaded = [(spec, load_study_world(spec, cache_dir)) for spec in worlds]
    settings = {
        "per_category": per_category, "n_shuffles": max(SHUFFLE_COUNTS),
        "worlds": [{"label": s.label, "seed": s.seed, "cell_line": s.cell_line, "weight": s.weight(weight),
                    "key": wd.manifest.get("key", "")} for s, wd in loaded],
    }
    if csv.exists() and meta.exists() and json.loads(meta.read_text()) == settings:
        return csv
    parts = []
    for spec, world in loaded:
        genes = study_genes(world, spec.cell_line, per_category, spec.seed)
        w = spec.weight(weight)
        pred = noisy_predictions(world, spec.cell_line, genes, weight=w, progress=progress)
        parts.append(pred.assign(world=spec.label, noise_weight=w))
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_csv(pd.concat(parts, ignore_index=True), csv)
    atomic_write_json(settings, meta)
    return csv


def score_study(
    predictions: pd.DataFrame,
    worlds: tuple[StudyWorld, ...] = STUDY_WORLDS,
    cache_dir: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """:func:`calls_by_shuffle_count` of every world of a predictions table (``world`` column)."""
    out = []
    for spec in worlds:
        p = predictions[predictions.world == spec.label]
        if len(p):
            world = load_study_world(spec, cache_dir)
            out.append(calls_by_shuffle_count(world, p.drop(columns="world")).assign(world=spec.label))
    return pd.concat(out, ignore_index=True)


def load_or_run_study(
    out_dir: str | os.PathLike,
    run: bool = True,
    per_category: dict[str, int] | None = None,
    progress: bool = False,
    cache_dir: str | os.PathLike | None = None,
) -> pd.DataFrame | None:
    """The study's predictions: run or reused by :func:`run_study` when ``run``, else read if present.

    Returns
    -------
    pandas.DataFrame or None
        :func:`run_study`'s table; ``None`` when ``run`` is false and no study was written.
    """
    csv = Path(out_dir) / "shuffle_noise_predictions.csv"
    if run:
        csv = run_study(out_dir, per_category=per_category, progress=progress, cache_dir=cache_dir)
    return pd.read_csv(csv) if csv.is_file() else None


#: Recall a smaller shuffle count may lose against the paper's 10 and still be "enough".
RECALL_TOLERANCE = 0.05


def shuffles_needed(
    summary: pd.DataFrame, minimum: float = PRECISION_MINIMUM, tolerance: float = RECALL_TOLERANCE
) -> int | None:
    """Fewest shuffles from which on calls keep precision >= ``minimum`` and recall within ``tolerance`` of the most shuffles'.

    A count passes when every world and class with calls does; the answer is the smallest
    count that passes together with every larger one. ``summary`` is
    :func:`shuffle_count_summary`. ``None`` when the largest count fails.
    """
    most = int(summary.n_shuffles.max())
    ref = summary[summary.n_shuffles == most].set_index(["world", "class"]).recall

    def passes(k: int) -> bool:
        g = summary[summary.n_shuffles == k].set_index(["world", "class"])
        prec_ok = (g.precision.fillna(1.0) >= minimum).all()
        rec_ok = (g.recall.fillna(0.0) >= ref.reindex(g.index).fillna(0.0) - tolerance).all()
        return bool(prec_ok and rec_ok)

    needed = None
    for k in sorted((int(v) for v in summary.n_shuffles.unique()), reverse=True):
        if not passes(k):
            break
        needed = k
    return needed


def shuffle_findings(summary: pd.DataFrame, minimum: float = PRECISION_MINIMUM, calibrated: tuple[str, ...] | None = None) -> list[str]:
    """Sentences for the page: precision at the paper's count per world, and how many shuffles are needed.

    ``calibrated``: the worlds at the calibrated noise (default every study world with
    ``noise_scale == 1``); the others get a sentence each.
    """
    calibrated = tuple(s.label for s in STUDY_WORLDS if s.noise_scale == 1.0) if calibrated is None else calibrated
    most = int(summary.n_shuffles.max())
    out = []
    for world, g in summary[summary.n_shuffles == most].groupby("world", sort=False):
        parts = [f"{r['class'].lower()}s {r.precision:.2f} ({r.n_correct}/{r.n_called} calls), recall {r.recall:.2f} "
                 f"({r.n_detectable_found}/{r.n_detectable})" for _, r in g.iterrows() if r.n_called or r.n_detectable]
        ok = bool((g.precision.fillna(1.0) >= minimum).all())
        out.append(f"**{world}**, {most} shuffles: precision of " + "; ".join(parts)
                   + (f": at least {minimum:g}." if ok else f": **below {minimum:g}**."))
    groups = [("at the calibrated noise", summary[summary.world.isin(calibrated)])]
    groups += [(f"in the {w}", g) for w, g in summary[~summary.world.isin(calibrated)].groupby("world", sort=False)]
    for label, g in groups:
        if not len(g):
            continue
        k = shuffles_needed(g, minimum)
        where = "every world and class" if g.world.nunique() > 1 else "every class"
        if k is None:
            out.append(f"{label[0].upper()}{label[1:]}, no shuffle count tried keeps precision >= {minimum:g} in {where} "
                       f"from there on up to {most}: a false call that persists at {most} shuffles is a tile whose wild "
                       "type differs from its shuffles in weak sites, a bias that more shuffles do not average away.")
        else:
            out.append(f"{label[0].upper()}{label[1:]}, **{k} shuffle{'s' if k > 1 else ''}** per tile {'are' if k > 1 else 'is'} "
                       f"the fewest tried that keep precision >= {minimum:g} and recall within {RECALL_TOLERANCE:g} "
                       f"of {most} shuffles in {where}.")
    return out


def study_size(predictions: pd.DataFrame) -> pd.DataFrame:
    """Genes, tiles and shuffles of a study per world, cell line and true context category.

    Returns
    -------
    pandas.DataFrame
        ``world, cell_line, true_context, genes, tiles, shuffles`` (tiles of the necessity test).
    """
    nec = predictions[predictions.test == "necessity"]
    g = nec.groupby(["world", "cell_line", "true_context"], sort=False)
    out = g.agg(genes=("seq_id", "nunique"), shuffles=("shuffle", "nunique")).reset_index()
    tiles = g.apply(lambda d: len(d.drop_duplicates(["seq_id", "tile_start"])), include_groups=False)
    out.insert(4, "tiles", tiles.to_numpy())
    return out


def study_caption(predictions: pd.DataFrame) -> str:
    """The source-and-n line under each of the study's panels."""
    n = study_size(predictions)
    weights = predictions.groupby("world", sort=False).noise_weight.first()
    per_world = "; ".join(
        f"{w} ({d.cell_line.iloc[0]}, noise weight {weights[w]:g}): n = {int(d.genes.sum())} genes, "
        f"{int(d.tiles.sum()):,} tiles"
        for w, d in n.groupby("world", sort=False)
    )
    return (f"*Source: this book's run: simulated worlds, synthetic model with shuffle noise, up to "
            f"{int(n.shuffles.max())} shuffles per tile; {per_world}.*")
