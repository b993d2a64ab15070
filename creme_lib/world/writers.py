"""The files of a world: their paths, and the writers of its FASTA, GTF, tables, bigWigs and manifest.

:func:`creme_lib.world.genome.generate_world` runs the writers into a temporary folder that it renames
into place once the manifest (written last) is there, so a world folder is either complete or
absent; a crash leaves only a ``.tmp-world-*`` folder behind. The formats are described in
:mod:`creme_lib.world.genome`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from creme_lib.world.config import GENERATOR_VERSION, WorldConfig
from creme_lib.world.mechanism import SEQ_LENGTH, Mechanism
from creme_lib.world.motifs import JASPAR_RELEASE, motif_bank
from creme_lib.world.synthesis import Synthesized


@dataclass(frozen=True)
class WorldFiles:
    """Paths of a generated world (all inside ``root``)."""

    root: Path
    fasta: Path
    fai: Path
    gtf: Path
    genes: Path
    elements: Path
    sites: Path
    bigwigs: dict = field(default_factory=dict)  # {cell_line: {"accessibility": Path, "H3K27ac": Path}}
    manifest: Path | None = None
    seed: int = 0
    key: str = ""


def world_files(root: Path, seed: int, key: str, cell_lines) -> WorldFiles:
    """The paths of a world written into ``root``."""
    return WorldFiles(
        root=root,
        fasta=root / "genome.fa",
        fai=root / "genome.fa.fai",
        gtf=root / "genes.gtf",
        genes=root / "genes.tsv",
        elements=root / "elements.bed",
        sites=root / "sites.tsv",
        bigwigs={c: {a: root / "bigwig" / f"{c}.{a}.bw" for a in ("accessibility", "H3K27ac")} for c in cell_lines},
        manifest=root / "manifest.json",
        seed=seed,
        key=key,
    )


def is_complete(files: WorldFiles) -> bool:
    """True if ``files`` holds a whole world: a manifest with this key marked complete, and every file."""
    try:
        manifest = json.loads(files.manifest.read_text())
    except (OSError, ValueError):
        return False
    if manifest.get("key") != files.key or not manifest.get("complete"):
        return False
    paths = [files.fasta, files.fai, files.gtf, files.genes, files.elements, files.sites]
    paths += [p for d in files.bigwigs.values() for p in d.values()]
    return all(p.exists() for p in paths)


def write_fasta(path: Path, parts) -> None:
    """Soft-masked FASTA (60 bp lines) of ``parts`` ``[(name, tokens (L,) uint8, lower (L,) bool)]``, and its ``.fai``."""
    import pyfaidx

    letters = np.frombuffer(b"ACGT", np.uint8)
    with open(path, "wb") as fh:
        for name, tokens, lower in parts:
            seq = letters[tokens].copy()
            seq[lower] += 32  # soft-mask
            fh.write(f">{name}\n".encode())
            n_full = seq.size // 60
            body = np.empty((n_full, 61), np.uint8)
            body[:, :60] = seq[: n_full * 60].reshape(n_full, 60)
            body[:, 60] = ord("\n")
            fh.write(body.tobytes())
            if seq.size % 60:
                fh.write(seq[n_full * 60 :].tobytes() + b"\n")
    pyfaidx.Faidx(str(path)).close()


def write_gtf(path: Path, genes: list[dict], models: dict, chroms) -> None:
    """GENCODE-style ``gene``/``transcript``/``exon`` lines (1-based inclusive), sorted by position.

    ``models`` maps ``gene_id`` to ``(transcript length, exons)`` with exons ``[(a, b)]`` as
    offsets from the TSS along the transcript; ``chroms`` ``[(name, size)]`` gives the order.
    """
    lines = [
        "##description: creme-book embedded world (simulated genome; not human)",
        "##provider: creme_lib.world",
        "##format: gtf",
    ]
    recs = []
    for gene in genes:
        glen, exons = models[gene["gene_id"]]
        tss = gene["tss"]

        def genome(a, b):  # transcript offsets [a, b) -> 1-based inclusive
            if gene["strand"] == "+":
                return tss + a + 1, tss + b
            return tss - b + 2, tss - a + 1

        gs, ge = genome(0, glen)
        gid, tid, gname = gene["gene_id"], gene["gene_id"].replace("SYNG", "SYNT"), gene["gene_name"]
        base = f'gene_id "{gid}"; gene_type "protein_coding"; gene_name "{gname}";'
        tx = f'{base} transcript_id "{tid}"; transcript_type "protein_coding"; transcript_name "{gname}-201";'
        recs.append((gene["chrom"], gs, 0, f"{gene['chrom']}\tcreme_world\tgene\t{gs}\t{ge}\t.\t{gene['strand']}\t.\t{base} level 2;"))
        recs.append((gene["chrom"], gs, 1, f"{gene['chrom']}\tcreme_world\ttranscript\t{gs}\t{ge}\t.\t{gene['strand']}\t.\t{tx} level 2;"))
        for k, (a, b) in enumerate(exons):
            es, ee = genome(a, b)
            recs.append(
                (gene["chrom"], gs, 2 + k, f"{gene['chrom']}\tcreme_world\texon\t{es}\t{ee}\t.\t{gene['strand']}\t.\t"
                 f'{tx} exon_number {k + 1}; exon_id "{tid.replace("SYNT", "SYNX")}.{k + 1}"; level 2;')
            )
    order = {name: i for i, (name, _) in enumerate(chroms)}
    recs.sort(key=lambda r: (order[r[0]], r[1], r[2]))
    path.write_text("\n".join(lines + [r[3] for r in recs]) + "\n")


def write_genes(path: Path, genes: list[dict], cell_lines) -> None:
    """``genes.tsv``: one row per gene, with its planned program per cell line."""
    cols = ["gene_id", "gene_name", "chrom", "tss", "strand", "window_start", "window_end", "promoter_type"]
    lines = ["\t".join(cols + [f"program_{c}" for c in cell_lines])]
    for g in genes:
        lines.append("\t".join([str(g[c]) for c in cols] + [g["programs"][c] for c in cell_lines]))
    path.write_text("\n".join(lines) + "\n")


def write_elements(path: Path, rows, chroms, mech: Mechanism) -> None:
    """``elements.bed`` (``#``-header TSV) of ``(gene, element)`` records, sorted by position;
    ``strength`` is ``beta`` or ``rho`` (from ``mech``) times the element's summed occupancy."""
    cols = [
        "chrom", "start", "end", "element_id", "class", "cell_lines", "strength", "motif", "channel",
        "n_sites", "occupancy", "target_gene", "tss_distance", "tile_index", "partner_id", "pair_type",
    ]
    out = ["#" + "\t".join(cols)]
    order = {name: i for i, (name, _) in enumerate(chroms)}
    rows = sorted(rows, key=lambda ge: (order[ge[0]["chrom"]], ge[1]["start"]))
    for gene, e in rows:
        center = (e["p0"] + e["p1"]) / 2 - SEQ_LENGTH // 2
        strength = (mech.enhancer_weight if e["cls"] == "enhancer" else mech.silencer_weight) * e["occupancy"]
        out.append(
            "\t".join(
                [
                    gene["chrom"], str(e["start"]), str(e["end"]), e["element_id"], e["cls"], ",".join(e["lines"]),
                    f"{strength:.6g}", e["motif"], e["channel"] or ".", str(e["n_found"]), f"{e['occupancy']:.6g}",
                    gene["gene_id"], f"{center:.1f}", str(e["tile"]), e["partner"] or ".", e["pair_type"] or ".",
                ]
            )
        )
    path.write_text("\n".join(out) + "\n")


def write_sites(path: Path, rows: list[dict], chroms) -> None:
    """``sites.tsv``: every recorded motif site, sorted by chromosome, start and motif."""
    cols = ["chrom", "start", "end", "motif", "strand", "score", "occupancy", "owner"]
    order = {name: i for i, (name, _) in enumerate(chroms)}
    rows = sorted(rows, key=lambda r: (order[r["chrom"]], r["start"], r["motif"]))
    out = ["\t".join(cols)]
    for r in rows:
        out.append("\t".join([r["chrom"], str(r["start"]), str(r["end"]), r["motif"], r["strand"], f"{r['score']:.6g}", f"{r['occupancy']:.6g}", r["owner"]]))
    path.write_text("\n".join(out) + "\n")


def write_bigwigs(files: WorldFiles, chroms, cell_lines, step: int, track: Callable[[str, str, str, int, int], np.ndarray]) -> None:
    """Accessibility and H3K27ac bigWigs per cell line, ``step``-bp bins; values from
    ``track(line, assay, chrom, size, step)``."""
    import pyBigWig

    (files.root / "bigwig").mkdir(exist_ok=True)
    for line in cell_lines:
        for assay in ("accessibility", "H3K27ac"):
            path = files.bigwigs[line][assay]
            bw = pyBigWig.open(str(path), "w")
            bw.addHeader([(n, s) for n, s in chroms], maxZooms=4)
            for name, size in chroms:
                vals = track(line, assay, name, size, step)
                bw.addEntries(name, 0, values=vals, span=step, step=step)
            bw.close()


def write_manifest(files: WorldFiles, seed: int, config: WorldConfig, world: Synthesized) -> None:
    """``manifest.json``: seed, config, key, file list and counts, ``complete: true``; written
    last, so a folder with it holds a whole world."""
    stats, genes, elements, sites = world.stats, world.genes, world.elements, world.sites
    mech = config.mechanism
    counts = {}
    for line in config.cell_lines:
        counts[line] = {
            "enhancers": sum(1 for _, e in elements if e["cls"] == "enhancer" and line in e["lines"]),
            "silencers": sum(1 for _, e in elements if e["cls"] == "silencer" and line in e["lines"]),
            "programs": {p: sum(1 for g in genes if g["programs"][line] == p) for p in ("enhancing", "weak", "none")},
        }
    manifest = {
        "format": "creme-world",
        "generator_version": GENERATOR_VERSION,
        "key": files.key,
        "seed": seed,
        "config": config.to_dict(),
        "jaspar_release": JASPAR_RELEASE,
        "motifs": {n: motif_bank()[n].matrix_id for n in mech.motif_names},
        "chromosomes": [[n, s] for n, s in world.chroms],
        "files": {
            "fasta": files.fasta.name,
            "gtf": files.gtf.name,
            "genes": files.genes.name,
            "elements": files.elements.name,
            "sites": files.sites.name,
            "bigwigs": {c: {a: str(p.relative_to(files.root)) for a, p in d.items()} for c, d in files.bigwigs.items()},
        },
        "stats": {
            "genes": len(genes),
            "elements": len(elements),
            "sites": len(sites),
            "cleaned_background_sites": stats["cleaned_sites"],
            "per_cell_line": counts,
        },
        "complete": True,
    }
    files.manifest.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
