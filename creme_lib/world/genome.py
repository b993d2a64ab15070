"""Deterministic generator of the embedded world's genome, annotation, truth and tracks.

``generate_world(out_dir, seed, config)`` writes, into ``out_dir/world-<key>/``:

``genome.fa`` (+ ``genome.fa.fai``)
    Chromosomes ``chr1``... built from a first-order Markov chain with human dinucleotide
    frequencies (41 % GC, CpG observed/expected ~0.23), soft-masked (lowercase) copies of four
    repeat families (an Alu-like SINE, 5'-truncated L1-like LINE fragments, a MIR-like SINE and
    simple repeats; ~35 % of the sequence before planting), CpG-island promoters (65 % GC,
    CpG o/e ~0.8) or TATA promoters at every TSS, and the planted elements (uppercase).
    Motif sites are *removed* from everything that is not a planted element or promoter
    (each stray site above threshold gets its most informative base mutated), so in a gene
    window the model sees exactly the sites the record lists and outputs its floor away from
    the TSS.
``genes.gtf``
    GENCODE-style ``gene``/``transcript``/``exon`` lines (``gene_id``, ``gene_name``,
    ``gene_type "protein_coding"``...), 1-based inclusive; the TSS is the transcript start
    on ``+`` and its end on ``-``.
``genes.tsv``
    One row per gene: ``gene_id, gene_name, chrom, tss`` (0-based), ``strand``,
    ``window_start, window_end`` (the 196,608 bp model window, 0-based half-open),
    ``promoter_type`` and the planned program per cell line.
``elements.bed``
    The planted cis-regulatory elements, ``#``-header TSV: ``chrom, start, end`` (0-based,
    half-open), ``element_id, class`` (enhancer/silencer), ``cell_lines`` (where active,
    comma-separated), ``strength`` (``beta`` or ``rho`` x summed site occupancy: drive at
    distance 0), ``motif, channel, n_sites, occupancy, target_gene, tss_distance`` (bp, element
    centre minus TSS in gene orientation), ``tile_index`` (index into ``tile_grid(196608, 5000)``'s
    38 tiles in the gene's window), ``partner_id, pair_type`` (planted pairs: additive,
    superadditive or subadditive; ``.`` otherwise).
``sites.tsv``
    Every motif site the model sees in the gene windows: planted element sites and the core
    promoter sites (``chrom, start, end, motif, strand, score, occupancy, owner``).
``bigwig/<cell line>.accessibility.bw``, ``bigwig/<cell line>.H3K27ac.bw``
    Noisy accessibility- and H3K27ac-like signal (50 bp bins) over active elements and promoters.
``manifest.json``
    Seed, config, cache key, file list and counts; written last.

The work is split by concern: :mod:`creme_lib.world.config` (sizes, composition, cache key),
:mod:`creme_lib.world.synthesis` (the random generation) and :mod:`creme_lib.world.writers`
(the files); this module runs them. Nothing here imports TensorFlow.

Everything is written to a temporary folder that is renamed into place when complete, so a
crash never leaves a folder that looks finished; a complete folder with the same key
(a hash of seed, config and generator version) is returned without regenerating.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import numpy as np

from creme_lib.world.config import DEFAULT_CONFIG, WorldConfig, world_key
from creme_lib.world.synthesis import WorldSynthesis
from creme_lib.world.writers import (
    WorldFiles,
    is_complete,
    world_files,
    write_bigwigs,
    write_elements,
    write_fasta,
    write_genes,
    write_gtf,
    write_manifest,
    write_sites,
)


def generate_world(out_dir: str | os.PathLike, seed: int = 0, config: WorldConfig | None = None) -> WorldFiles:
    """Generate (or reuse) a world in ``out_dir/world-<key>``.

    Parameters
    ----------
    out_dir : path
        Cache directory (created if missing).
    seed : int
        Non-negative seed; the same seed and config give byte-identical FASTA, GTF and BED.
    config : WorldConfig, optional
        Size and composition (default ``DEFAULT_CONFIG``: 224 genes on 4 chromosomes,
        ~45 Mb, generated in well under a minute).

    Returns
    -------
    WorldFiles
        Paths of the complete world.

    Raises
    ------
    ValueError
        For a bad seed or config (raised before anything is written), or if ``out_dir`` is a file.
    """
    config = DEFAULT_CONFIG if config is None else config
    if not isinstance(config, WorldConfig):
        raise ValueError(f"config must be a WorldConfig, got {type(config).__name__}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out_dir {out_dir} exists and is not a directory")
    key = world_key(seed, config)
    final = out_dir / f"world-{key}"
    files = world_files(final, seed, key, config.cell_lines)
    if is_complete(files):
        return files
    out_dir.mkdir(parents=True, exist_ok=True)
    if final.exists():  # a folder without a valid manifest is not ours to trust: set it aside
        stale = out_dir / f".stale-world-{key}-{uuid.uuid4().hex[:8]}"
        os.rename(final, stale)
        shutil.rmtree(stale, ignore_errors=True)
    tmp = out_dir / f".tmp-world-{key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        _build(seed, config, world_files(tmp, seed, key, config.cell_lines))
        try:
            os.rename(tmp, final)
        except OSError:
            # Another process finished first; use its world if it is complete.
            if not is_complete(files):
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return files


def _build(seed: int, config: WorldConfig, files: WorldFiles) -> None:
    """Synthesize the world and write its files into ``files.root`` (the manifest last)."""
    synthesis = WorldSynthesis(seed, config)
    world = synthesis.run()
    write_fasta(files.fasta, world.fasta_parts)
    write_gtf(files.gtf, world.genes, {g["gene_id"]: synthesis.gene_model(g) for g in world.genes}, world.chroms)
    write_genes(files.genes, world.genes, config.cell_lines)
    write_elements(files.elements, world.elements, world.chroms, config.mechanism)
    write_sites(files.sites, world.sites, world.chroms)
    write_bigwigs(files, world.chroms, config.cell_lines, config.signal_bin_bp, synthesis.track)
    write_manifest(files, seed, config, world)


__all__ = ["DEFAULT_CONFIG", "WorldConfig", "WorldFiles", "generate_world", "world_key"]
