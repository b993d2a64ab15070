"""Ground truth of a generated world, from the generator's record (never from CREME).

The record lists every motif site the model can see in a gene window (``sites.tsv``: planted
element sites and core-promoter sites; the background is free of activator and repressor
sites by construction). From it this module rebuilds the binned occupancy ``h`` of any gene
window, with any set of elements removed, and evaluates the model's documented formula
(:func:`creme_lib.world.mechanism.output_from_bin_occupancy`). "Removing" an element means
deleting its sites, which is what a dinucleotide shuffle of its tile does when the shuffle
creates no new site (strict thresholds and the cluster gate make that the usual case).

Coordinates: a gene's window is ``[tss - 98,304, tss + 98,304)`` on the genome, reverse-
complemented for ``-`` genes (as :meth:`creme_lib.sequence.FastaExtractor.window` does), so a
genome interval ``[s, e)`` sits at window ``[s - w0, e - w0)`` on ``+`` and at
``[w0 + L - e, w0 + L - s)`` on ``-`` (``w0`` = window start, ``L`` = 196,608).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from creme_lib.analysis import OTHER_CONTEXT, PAPER, TILE_SIZE, classify_context
from creme_lib.tiles import tile_grid
from creme_lib.world.mechanism import (
    BIN_SIZE,
    N_INPUT_BINS,
    SEQ_LENGTH,
    TSS_BINS,
    Mechanism,
    distance_decay,
    output_from_bin_occupancy,
)



@dataclass
class World:
    """A loaded world: tables, paths and the mechanism of its model.

    Attributes
    ----------
    root : Path
        The world folder.
    fasta, gtf : Path
        Genome (soft-masked, indexed) and annotation.
    bigwigs : dict
        ``{cell_line: {"accessibility": Path, "H3K27ac": Path}}``.
    genes : pandas.DataFrame
        ``gene_id, gene_name, chrom, tss`` (0-based), ``strand, window_start, window_end,
        promoter_type, program_<cell line>``.
    elements : pandas.DataFrame
        ``elements.bed`` plus the element's window coordinates in its target gene's window
        (``win_start, win_end``) and its tile (``tile_start, tile_end``; ``tile_index``
        indexes :func:`creme_lib.tiles.tile_grid`'s 38 tiles).
    sites : pandas.DataFrame
        ``sites.tsv`` (``chrom, start, end, motif, strand, score, occupancy, owner``).
    mechanism : Mechanism
        Parameters of the world's model.
    seed : int
    config : dict
    """

    root: Path
    fasta: Path
    gtf: Path
    bigwigs: dict
    genes: pd.DataFrame
    elements: pd.DataFrame
    sites: pd.DataFrame
    mechanism: Mechanism
    seed: int
    config: dict
    manifest: dict = field(repr=False, default_factory=dict)
    _extractor: object = field(default=None, repr=False)

    @property
    def cell_lines(self) -> tuple[str, ...]:
        return tuple(self.config["cell_lines"])

    def gene(self, gene: str) -> pd.Series:
        """The ``genes`` row of a gene id or gene name (``KeyError`` if unknown)."""
        hit = self.genes[(self.genes.gene_id == gene) | (self.genes.gene_name == gene)]
        if hit.empty:
            raise KeyError(f"gene {gene!r} is not in this world ({len(self.genes)} genes)")
        return hit.iloc[0]

    def extractor(self):
        """A :class:`~creme_lib.sequence.FastaExtractor` on the world's genome (cached)."""
        if self._extractor is None:
            from creme_lib.sequence import FastaExtractor

            self._extractor = FastaExtractor(self.fasta)
        return self._extractor

    def window(self, gene: str, one_hot: bool = True) -> np.ndarray | str:
        """The gene's 196,608 bp model input in gene orientation, one-hot ``(L, 4)`` or string."""
        g = self.gene(gene)
        return self.extractor().window(g.chrom, int(g.tss), SEQ_LENGTH, g.strand, one_hot=one_hot)


def load_world(path: str | os.PathLike) -> World:
    """Load a world folder written by :func:`creme_lib.world.genome.generate_world`.

    Parameters
    ----------
    path : path or WorldFiles
        The ``world-<key>`` folder (or the :class:`WorldFiles` that names it).

    Raises
    ------
    FileNotFoundError
        If the folder has no complete manifest.
    """
    from creme_lib.world.writers import WorldFiles

    root = Path(path.root if isinstance(path, WorldFiles) else path)
    try:
        manifest = json.loads((root / "manifest.json").read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{root} is not a complete world (no manifest.json)") from None
    if not manifest.get("complete"):
        raise FileNotFoundError(f"{root} is not a complete world")
    files = manifest["files"]
    mech = Mechanism.from_dict(manifest["config"]["mechanism"])
    genes = pd.read_csv(root / files["genes"], sep="\t", dtype={"chrom": str})
    elements = pd.read_csv(root / files["elements"], sep="\t", dtype={"chrom": str, "partner_id": str, "pair_type": str, "channel": str})
    elements.columns = [c.lstrip("#") for c in elements.columns]
    elements = elements.replace({".": None})
    sites = pd.read_csv(root / files["sites"], sep="\t", dtype={"chrom": str})
    _, tiles = tile_grid(SEQ_LENGTH, TILE_SIZE)
    if len(elements):
        g = genes.set_index("gene_id").loc[elements.target_gene]
        w0 = g.window_start.to_numpy()
        plus = (g.strand == "+").to_numpy()
        s, e = elements.start.to_numpy(), elements.end.to_numpy()
        elements["win_start"] = np.where(plus, s - w0, w0 + SEQ_LENGTH - e)
        elements["win_end"] = np.where(plus, e - w0, w0 + SEQ_LENGTH - s)
        elements["tile_start"] = tiles[elements.tile_index.to_numpy(), 0]
        elements["tile_end"] = tiles[elements.tile_index.to_numpy(), 1]
    bigwigs = {c: {a: root / p for a, p in d.items()} for c, d in files["bigwigs"].items()}
    return World(
        root=root,
        fasta=root / files["fasta"],
        gtf=root / files["gtf"],
        bigwigs=bigwigs,
        genes=genes,
        elements=elements,
        sites=sites,
        mechanism=mech,
        seed=int(manifest["seed"]),
        config=manifest["config"],
        manifest=manifest,
    )


def default_cache_dir() -> Path:
    """``$CREME_WORLD_CACHE`` or ``<repository>/.cache/world`` (git-ignored)."""
    env = os.environ.get("CREME_WORLD_CACHE")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[2] / ".cache" / "world"


def default_world(cache_dir: str | os.PathLike | None = None, seed: int = 0, config=None) -> World:
    """Generate (first call, ~a minute) or reuse the embedded default world and load it."""
    from creme_lib.world.genome import generate_world

    files = generate_world(default_cache_dir() if cache_dir is None else cache_dir, seed=seed, config=config)
    return load_world(files.root)


# ---------------------------------------------------------------------------------------------
# coordinates


def genome_to_window(gene: pd.Series, start: np.ndarray | int, end: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """Genome interval(s) ``[start, end)`` -> window interval(s) in the gene's orientation (bp)."""
    w0 = int(gene.window_start)
    start, end = np.asarray(start), np.asarray(end)
    if gene.strand == "+":
        return start - w0, end - w0
    return w0 + SEQ_LENGTH - end, w0 + SEQ_LENGTH - start


def _gene_sites(world: World, gene: pd.Series) -> pd.DataFrame:
    s = world.sites
    s = s[(s.chrom == gene.chrom) & (s.start >= gene.window_start) & (s.end <= gene.window_end)]
    p0, _ = genome_to_window(gene, s.start.to_numpy(), s.end.to_numpy())
    return s.assign(win_start=p0)


def bin_occupancy_from_record(world: World, gene: str, remove: tuple[str, ...] | list[str] = ()) -> np.ndarray:
    """Binned occupancy ``(1536, M)`` of a gene window from the record, minus the elements in ``remove``."""
    g = world.gene(gene)
    s = _gene_sites(world, g)
    if len(remove):
        s = s[~s.owner.isin(list(remove))]
    names = world.mechanism.motif_names
    col = {m: i for i, m in enumerate(names)}
    h = np.zeros((N_INPUT_BINS, len(names)))
    np.add.at(h, (s.win_start.to_numpy() // BIN_SIZE, s.motif.map(col).to_numpy()), s.occupancy.to_numpy())
    return h


def expected_output(
    world: World,
    gene: str,
    cell_line: str | None = None,
    remove: tuple[str, ...] | list[str] = (),
    bins: tuple[int, ...] | list[int] = TSS_BINS,
) -> np.ndarray:
    """What the model outputs for the gene's window (with the sites of the elements in ``remove`` deleted).

    Returns
    -------
    numpy.ndarray
        ``(len(bins), C)`` over the mechanism's cell lines, or ``(len(bins),)`` for one ``cell_line``.
    """
    h = bin_occupancy_from_record(world, gene, remove)
    y = output_from_bin_occupancy(h, np.asarray(bins), world.mechanism)
    if cell_line is None:
        return y
    return y[:, _line_index(world, cell_line)]


def _line_index(world: World, cell_line: str) -> int:
    lines = world.mechanism.cell_lines
    if cell_line not in lines:
        raise ValueError(f"unknown cell line {cell_line!r}; the world has {', '.join(lines)}")
    return lines.index(cell_line)


def _active(world: World, gene_id: str, cell_line: str) -> pd.DataFrame:
    e = world.elements
    e = e[e.target_gene == gene_id]
    return e[e.cell_lines.str.split(",").apply(lambda ls: cell_line in ls)]


def tile_truth(world: World, gene: str, cell_line: str) -> pd.DataFrame:
    """The 5 kb tiles of a gene window that hold an element active in ``cell_line``.

    Returns
    -------
    pandas.DataFrame
        One row per active element, sorted by ``tile_index``: ``tile_index`` (into
        ``tile_grid(196608, 5000)``'s 38 tiles), ``tile_start, tile_end`` (window bp),
        ``start, end`` (the element, window bp), ``element_id, class`` (enhancer/silencer),
        ``motif, channel, strength`` (drive at distance 0), ``contribution`` (distance-weighted
        drive at the TSS, ``strength * exp(-|d| / lambda)`` summed per site), ``effect``
        (expected drop of the mean TSS-bin output when the element is removed; negative for
        silencers) and ``effect_frac`` (``effect`` / wild-type output).
    """
    g = world.gene(gene)
    _line_index(world, cell_line)
    act = _active(world, g.gene_id, cell_line)
    y_wt = float(expected_output(world, g.gene_id, cell_line).mean())
    s = _gene_sites(world, g)
    mech = world.mechanism
    rows = []
    for _, e in act.iterrows():
        es = s[s.owner == e.element_id]
        d = (es.win_start.to_numpy() // BIN_SIZE - 767.5) * BIN_SIZE
        w = mech.enhancer_weight if e["class"] == "enhancer" else mech.silencer_weight
        y_rm = float(expected_output(world, g.gene_id, cell_line, remove=(e.element_id,)).mean())
        rows.append(
            dict(
                tile_index=int(e.tile_index),
                tile_start=int(e.tile_start),
                tile_end=int(e.tile_end),
                start=int(e.win_start),
                end=int(e.win_end),
                element_id=e.element_id,
                **{"class": e["class"]},
                motif=e.motif,
                channel=e.channel,
                strength=float(e.strength),
                contribution=float(w * (es.occupancy.to_numpy() * distance_decay(d, mech)).sum()),
                effect=y_wt - y_rm,
                effect_frac=(y_wt - y_rm) / y_wt,
            )
        )
    cols = ["tile_index", "tile_start", "tile_end", "start", "end", "element_id", "class", "motif", "channel",
            "strength", "contribution", "effect", "effect_frac"]
    return pd.DataFrame(rows, columns=cols).sort_values("tile_index").reset_index(drop=True)


def expected_pair_type(channel_a: str | None, channel_b: str | None) -> str:
    """Interaction of two enhancers under the mechanism: same ``coop`` channel -> superadditive,
    same ``sat`` channel -> subadditive, anything else -> additive."""
    if channel_a == channel_b == "coop":
        return "superadditive"
    if channel_a == channel_b == "sat":
        return "subadditive"
    return "additive"


def pair_truth(world: World, gene: str, cell_line: str) -> pd.DataFrame:
    """Every pair of enhancers active in ``cell_line`` in the gene's window, with its interaction.

    Returns
    -------
    pandas.DataFrame
        ``element_a, element_b, tile_a, tile_b, channel_a, channel_b, pair_type`` (expected from
        the channels), ``planted`` (the generator made them partners), ``y_wt, y_minus_a,
        y_minus_b, y_minus_ab`` (mean TSS-bin output with the elements removed),
        ``interaction = y_wt - y_minus_a - y_minus_b + y_minus_ab`` (> 0 superadditive,
        < 0 subadditive, 0 additive) and ``interaction_frac`` (``interaction / (y_wt - y_minus_ab)``).
    """
    g = world.gene(gene)
    act = _active(world, g.gene_id, cell_line)
    act = act[act["class"] == "enhancer"].sort_values("tile_index")
    y = lambda rm: float(expected_output(world, g.gene_id, cell_line, remove=rm).mean())  # noqa: E731
    y_wt = y(())
    single = {e: y((e,)) for e in act.element_id}
    rows = []
    recs = list(act.itertuples(index=False))
    for i, a in enumerate(recs):
        for b in recs[i + 1 :]:
            y_ab = y((a.element_id, b.element_id))
            inter = y_wt - single[a.element_id] - single[b.element_id] + y_ab
            rows.append(
                dict(
                    element_a=a.element_id,
                    element_b=b.element_id,
                    tile_a=int(a.tile_index),
                    tile_b=int(b.tile_index),
                    channel_a=a.channel,
                    channel_b=b.channel,
                    pair_type=expected_pair_type(a.channel, b.channel),
                    planted=a.partner_id == b.element_id,
                    y_wt=y_wt,
                    y_minus_a=single[a.element_id],
                    y_minus_b=single[b.element_id],
                    y_minus_ab=y_ab,
                    interaction=inter,
                    interaction_frac=inter / (y_wt - y_ab) if y_wt != y_ab else 0.0,
                )
            )
    cols = ["element_a", "element_b", "tile_a", "tile_b", "channel_a", "channel_b", "pair_type", "planted",
            "y_wt", "y_minus_a", "y_minus_b", "y_minus_ab", "interaction", "interaction_frac"]
    return pd.DataFrame(rows, columns=cols)


def context_truth(world: World, cell_line: str | None = None) -> pd.DataFrame:
    """Expected context-dependence of every gene: ``(WT - no elements) / WT`` at the TSS bins.

    The control removes every element of the window (a hit-free shuffled context), keeping
    the promoter, so ``y_control = A + floor``.

    Returns
    -------
    pandas.DataFrame
        ``gene_id, cell_line, y_wt, y_control, context_effect, category``.
    """
    lines = world.mechanism.cell_lines if cell_line is None else (cell_line,)
    rows = []
    for g in world.genes.itertuples(index=False):
        owners = tuple(world.elements.element_id[world.elements.target_gene == g.gene_id])
        y_wt = expected_output(world, g.gene_id).mean(axis=0)
        y_c = expected_output(world, g.gene_id, remove=owners).mean(axis=0)
        for line in lines:
            k = _line_index(world, line)
            eff = (y_wt[k] - y_c[k]) / y_wt[k]
            rows.append(dict(gene_id=g.gene_id, cell_line=line, y_wt=y_wt[k], y_control=y_c[k], context_effect=eff))
    df = pd.DataFrame(rows)
    df["category"] = classify_context(df.context_effect.to_numpy(), PAPER, unclassified=OTHER_CONTEXT)
    return df


__all__ = [
    "World",
    "load_world",
    "default_world",
    "default_cache_dir",
    "genome_to_window",
    "bin_occupancy_from_record",
    "expected_output",
    "tile_truth",
    "pair_truth",
    "expected_pair_type",
    "context_truth",
    "distance_decay",
]
