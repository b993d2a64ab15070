"""The random generation of a world: chromosome layout, Markov background, repeats, promoters, planted elements, and the cleaning that leaves only the recorded motif sites."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from creme_lib.analysis import TILE_SIZE
from creme_lib.seeding import derive_rng
from creme_lib.tiles import tile_grid
from creme_lib.world.config import CORE_HALF, PROMOTER_HALF, TILE_MARGIN, WorldConfig
from creme_lib.world.mechanism import SEQ_LENGTH, distance_decay
from creme_lib.world.motifs import HitScanner, get_motif, sample_site, scan_tokens

# Human dinucleotide frequencies (%), rows = first base ACGT, columns = second base.
_DINUC = np.array(
    [[9.8, 5.0, 7.0, 7.7], [7.3, 5.2, 1.0, 7.0], [5.9, 4.3, 5.2, 5.0], [6.6, 5.9, 7.3, 9.8]]
)
GENOME_TRANSITIONS = _DINUC / _DINUC.sum(axis=1, keepdims=True)
_CGI_BASE = np.array([0.18, 0.32, 0.32, 0.18])
_CGI = np.tile(_CGI_BASE, (4, 1))
_CGI[1, 2] *= 0.8  # CpG islands keep most of their CpGs (o/e ~0.8)
CGI_TRANSITIONS = _CGI / _CGI.sum(axis=1, keepdims=True)

# Repeat families: (name, consensus length, base composition, share of the repeat budget,
# divergence range). L1 copies are 5'-truncated fragments of the consensus.
_REPEATS = (
    ("AluY_like", 290, (0.24, 0.26, 0.28, 0.22), 0.30, (0.02, 0.15)),
    ("L1_like", 6000, (0.33, 0.17, 0.18, 0.32), 0.55, (0.05, 0.20)),
    ("MIR_like", 260, (0.27, 0.23, 0.23, 0.27), 0.10, (0.15, 0.30)),
    ("simple", 0, (0.25, 0.25, 0.25, 0.25), 0.05, (0.0, 0.05)),
)
_SIMPLE_UNITS = ("CA", "TTTA", "CT", "AAT", "GGAT")

# Core-promoter slots (gene orientation, offset of the site start from the TSS, bp).
_PROMOTER_SLOTS = (-116, -86, -56, -31, 12, 40, 70)


@dataclass
class Synthesized:
    """What :meth:`WorldSynthesis.run` planted, in the form the writers take.

    Attributes
    ----------
    chroms : list of (str, int)
        Chromosome names and sizes (bp).
    genes : list of dict
        One record per gene (``gene_id, gene_name, chrom, tss, strand, window_start,
        window_end, promoter_type, programs``...), chromosome by chromosome.
    elements : list of (dict, dict)
        ``(gene, element)`` records of the planted elements (genome ``start, end``).
    sites : list of dict
        Every recorded motif site (``chrom, start, end, motif, strand, score, occupancy, owner``).
    fasta_parts : list of (str, numpy.ndarray, numpy.ndarray)
        Per chromosome: name, tokens ``(size,)`` uint8 and the soft-mask ``(size,)`` bool.
    stats : dict
        ``cleaned_sites``: stray background sites mutated away.
    """

    chroms: list
    genes: list
    elements: list
    sites: list
    fasta_parts: list
    stats: dict


def markov_tokens(n: int, rng: np.random.Generator, transitions: np.ndarray = GENOME_TRANSITIONS, chains: int = 4096) -> np.ndarray:
    """``n`` tokens from a first-order Markov chain, vectorised over ``chains`` parallel chains.

    The chains are concatenated, so the sequence is Markov except at ``chains - 1`` junctions.
    Returns ``(n,)`` uint8 in ``0..3``.
    """
    if n <= 0:
        return np.zeros(0, np.uint8)
    chains = max(1, min(chains, n // 64 or 1))
    steps = -(-n // chains)
    cum = np.cumsum(transitions, axis=1)[:, :3].astype(np.float32)
    u = rng.random((steps, chains), dtype=np.float32)
    stationary = np.linalg.matrix_power(transitions, 64)[0]
    state = rng.choice(4, size=chains, p=stationary / stationary.sum()).astype(np.intp)
    out = np.empty((steps, chains), np.uint8)
    for t in range(steps):
        state = (u[t][:, None] > cum[state]).sum(axis=1)
        out[t] = state
    return out.T.reshape(-1)[:n].copy()


def _rc(tokens: np.ndarray) -> np.ndarray:
    return (3 - tokens[::-1]).astype(np.uint8)


def _clean_consensus(tokens: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Mutate a short sequence until no motif in ``names`` has a site above threshold."""
    tokens = tokens.copy()
    if not _fix_sites(tokens, np.zeros(tokens.size, bool), names, names):
        raise RuntimeError("could not clean a repeat consensus")
    return tokens


def _fix_sites(tokens: np.ndarray, keep: np.ndarray, names: tuple[str, ...], banned: tuple[str, ...], rounds: int = 12) -> bool:
    """Remove every site of a ``banned`` motif (occupancy > 0) from ``tokens`` in place.

    Each site loses its most informative base that is not in ``keep`` (set to the base the
    PWM likes least). Returns False if a banned site cannot be removed within ``rounds``.
    """
    cols = [names.index(b) for b in banned]
    motifs = [get_motif(b) for b in banned]
    for _ in range(rounds):
        occ, strand = scan_tokens(tokens, names)
        pos, j = np.nonzero(occ[:, cols] > 0)
        if pos.size == 0:
            return True
        for p, jj in zip(pos, j):
            m = motifs[jj]
            w = min(m.width, tokens.size - p)
            seg = tokens[p : p + w].astype(np.intp)
            W = m.weights if strand[p, cols[jj]] > 0 else m.rc_weights
            gain = W[np.arange(w), np.minimum(seg, 3)] - W[:w].min(axis=1)
            gain[keep[p : p + w]] = -np.inf
            k = int(np.argmax(gain))
            if not np.isfinite(gain[k]):
                return False
            tokens[p + k] = int(np.argmin(W[k]))
    return False


class WorldSynthesis:
    """The random part of a world: layout, background, repeats, promoters, elements, cleaning.

    Every draw comes from ``derive_rng(seed, "world", *keys)`` with a key naming what it is
    for (``("gene", index)``, ``("background", chrom)``...), so each piece is reproducible on
    its own. :meth:`run` returns the :class:`Synthesized` record that
    :mod:`creme_lib.world.writers` turns into files.

    Parameters
    ----------
    seed : int
        Non-negative seed.
    config : WorldConfig
        Size and composition.
    """

    def __init__(self, seed: int, config: WorldConfig):
        self.seed = seed
        self.config = config
        self.mech = config.mechanism
        self.regulatory = self.mech.regulatory_motifs
        self.all_motifs = self.mech.motif_names
        _, self.tiles = tile_grid(SEQ_LENGTH, TILE_SIZE)
        self.repressor_of = {}  # line -> line-specific repressor motif
        for line, motif in self.mech.repressors:
            if len(self.mech.lines_of(motif)) == 1:
                self.repressor_of.setdefault(line, motif)
        self.shared_repressor = next(
            (m for _, m in self.mech.repressors if len(self.mech.lines_of(m)) == len(self.mech.cell_lines)), None
        )
        self.activators = {line: {} for line in self.mech.cell_lines}
        for line, motif, channel in self.mech.activators:
            self.activators[line].setdefault(channel, motif)

    def rng(self, *keys) -> np.random.Generator:
        return derive_rng(self.seed, "world", *keys)

    # -- layout ------------------------------------------------------------------------------
    def layout(self) -> None:
        cfg = self.config
        groups = np.array_split(np.arange(cfg.n_genes), cfg.n_chromosomes)
        rng = self.rng("layout")
        self.chroms = []  # (name, size)
        genes = []
        for k, idx in enumerate(groups):
            name = f"chr{k + 1}"
            gaps = rng.integers(cfg.gap_bp[0], cfg.gap_bp[1] + 1, size=len(idx))
            if cfg.chrom_size is not None:
                room = cfg.chrom_size - 2 * cfg.flank_bp - len(idx) * SEQ_LENGTH - len(idx) * cfg.gap_bp[0]
                extra = gaps - cfg.gap_bp[0]
                if extra.sum() > room:
                    gaps = cfg.gap_bp[0] + np.floor(extra * (room / max(extra.sum(), 1))).astype(np.int64)
            strands = rng.integers(0, 2, size=len(idx))
            pos = cfg.flank_bp
            for j, g in enumerate(idx):
                pos += int(gaps[j])
                genes.append(
                    dict(
                        index=int(g),
                        gene_id=f"SYNG{g + 1:05d}",
                        gene_name=f"SYN{g + 1}",
                        chrom=name,
                        window_start=pos,
                        window_end=pos + SEQ_LENGTH,
                        tss=pos + SEQ_LENGTH // 2,
                        strand="+" if strands[j] == 0 else "-",
                    )
                )
                pos += SEQ_LENGTH
            size = pos + cfg.flank_bp if cfg.chrom_size is None else cfg.chrom_size
            self.chroms.append((name, int(size)))
        self.genes = genes

    # -- coordinates -------------------------------------------------------------------------
    @staticmethod
    def to_genome(gene: dict, p0: int, p1: int) -> tuple[int, int]:
        """Window interval [p0, p1) (gene orientation) -> genome interval."""
        if gene["strand"] == "+":
            return gene["window_start"] + p0, gene["window_start"] + p1
        return gene["window_start"] + SEQ_LENGTH - p1, gene["window_start"] + SEQ_LENGTH - p0

    # -- background --------------------------------------------------------------------------
    def background(self, name: str, size: int) -> tuple[np.ndarray, np.ndarray]:
        tokens = markov_tokens(size, self.rng("background", name))
        lower = np.zeros(size, bool)
        if self.config.repeat_fraction > 0:
            self.add_repeats(name, tokens, lower)
        return tokens, lower

    def repeat_consensus(self) -> dict:
        if hasattr(self, "_consensus"):
            return self._consensus
        cons = {}
        for fam, length, comp, _, _ in _REPEATS:
            if fam == "simple":
                continue
            rng = self.rng("repeat-consensus", fam)
            trans = np.tile(np.asarray(comp), (4, 1))
            trans[1, 2] *= 0.5
            trans = trans / trans.sum(axis=1, keepdims=True)
            seq = markov_tokens(length, rng, trans, chains=8)
            if fam == "AluY_like":
                seq[-25:] = 0  # poly-A tail
            cons[fam] = _clean_consensus(seq, self.all_motifs)
        self._consensus = cons
        return cons

    def add_repeats(self, name: str, tokens: np.ndarray, lower: np.ndarray) -> None:
        cons = self.repeat_consensus()
        rng = self.rng("repeats", name)
        size = tokens.size
        budget = self.config.repeat_fraction * size
        for fam, length, _, share, (dlo, dhi) in _REPEATS:
            placed = 0.0
            target = share * budget
            while placed < target:
                if fam == "simple":
                    unit = np.frombuffer(_SIMPLE_UNITS[rng.integers(len(_SIMPLE_UNITS))].encode(), np.uint8)
                    unit = np.searchsorted(np.frombuffer(b"ACGT", np.uint8), unit).astype(np.uint8)
                    n = int(rng.integers(30, 151))
                    copy = np.resize(unit, n)
                elif fam == "L1_like":
                    n = int(min(length, rng.integers(200, length + 1)))
                    copy = cons[fam][length - n :].copy()  # 5'-truncated
                else:
                    copy = cons[fam].copy()
                n = copy.size
                div = rng.uniform(dlo, dhi)
                hit = rng.random(n) < div
                copy[hit] = rng.integers(0, 4, hit.sum())
                if rng.random() < 0.5:
                    copy = _rc(copy)
                start = int(rng.integers(0, max(size - n, 1)))
                tokens[start : start + n] = copy[: size - start]
                lower[start : start + n] = True
                placed += n

    # -- promoters ---------------------------------------------------------------------------
    def build_promoter(self, gene: dict, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        """Promoter region ``[tss - 500, tss + 500)`` in gene orientation (tokens), and its type."""
        cgi = rng.random() < self.config.cgi_fraction
        ptype = "CGI" if cgi else "TATA"
        for _ in range(200):
            region = markov_tokens(2 * PROMOTER_HALF, rng, CGI_TRANSITIONS if cgi else GENOME_TRANSITIONS, chains=16)
            k = int(rng.integers(2, 5))
            if cgi:
                slots = [s for s in _PROMOTER_SLOTS if s != -31]
                chosen = sorted(rng.choice(len(slots), size=k, replace=False))
                motifs = ["SP1"] + list(rng.choice(["SP1", "NRF1", "YY1"], size=k - 1))
                plan = [(slots[c], m) for c, m in zip(chosen, rng.permutation(motifs))]
            else:
                slots = [s for s in _PROMOTER_SLOTS if s != -31]
                chosen = sorted(rng.choice(len(slots), size=k - 1, replace=False))
                plan = [(-31, "TBP")] + [(slots[c], str(m)) for c, m in zip(chosen, rng.choice(["SP1", "YY1"], size=k - 1))]
            plan = [(o, m) for o, m in plan if m in self.mech.promoter_motifs]
            keep = np.zeros(region.size, bool)
            for offset, motif in plan:
                site = sample_site(get_motif(motif), rng, 0.7)
                if motif != "TBP" and rng.random() < 0.5:
                    site = _rc(site)
                p = PROMOTER_HALF + offset
                region[p : p + site.size] = site
                keep[p : p + site.size] = True
            # No activator or repressor site may sit in a promoter.
            if not _fix_sites(region, keep, self.all_motifs, self.regulatory):
                continue
            occ, _ = scan_tokens(region, self.mech.promoter_motifs)
            core = occ[PROMOTER_HALF - CORE_HALF : PROMOTER_HALF + CORE_HALF].sum()
            if core - self.mech.promoter_threshold >= 0.5:
                return region, ptype
        raise RuntimeError(f"could not build a promoter for {gene['gene_id']}")

    # -- elements ----------------------------------------------------------------------------
    def build_element(self, motif: str, length: int, n_sites: int, rng: np.random.Generator) -> np.ndarray:
        """Element tokens (genome orientation) with ``n_sites`` planted sites of ``motif`` and
        no site of any other motif above threshold."""
        m = get_motif(motif)
        need = self.mech.gate_high + 0.5  # the element opens the cluster gate fully on its own
        seg = length // n_sites
        banned = tuple(n for n in self.all_motifs if n != motif)
        for _ in range(200):
            tokens = markov_tokens(length, rng, GENOME_TRANSITIONS, chains=16)
            keep = np.zeros(length, bool)
            for k in range(n_sites):
                site = sample_site(m, rng, 0.7)
                if rng.random() < 0.5:
                    site = _rc(site)
                start = k * seg + int(rng.integers(2, seg - m.width - 1))
                tokens[start : start + m.width] = site
                keep[start : start + m.width] = True
            # Off-target sites (any other motif, incl. core-promoter ones) are mutated away.
            if not _fix_sites(tokens, keep, self.all_motifs, banned):
                continue
            occ, _ = scan_tokens(tokens, (motif,))
            if occ.sum() < need:
                continue
            return tokens
        raise RuntimeError(f"could not build a clean {motif} element")

    def element_sites(self, motif: str, length: int, rng: np.random.Generator, n_min: int = 6, n_max: int = 10) -> int:
        width = get_motif(motif).width
        cap = max(n_min, min(n_max, length // (width + 12)))
        return int(rng.integers(n_min, cap + 1))

    # -- planning ----------------------------------------------------------------------------
    def plan_gene(self, gene: dict) -> list[dict]:
        """Choose and build the gene's elements; returns element records (window coords)."""
        cfg, mech = self.config, self.mech
        rng = self.rng("gene", gene["index"])
        free = list(rng.permutation(len(self.tiles)))
        elements: list[dict] = []
        tss_in = SEQ_LENGTH // 2  # TSS between input bins 767 and 768

        def place(cls: str, motif: str, lines: tuple[str, ...], channel: str | None, program: str, n_min=6, n_max=10, near=False):
            if not free:
                return None
            if near:  # strong programs use one of the 16 free tiles nearest the TSS (within ~45 kb)
                order = sorted(free, key=lambda t: (abs(self.tiles[t].mean() - tss_in), t))
                tile = order[int(rng.integers(0, min(len(order), 16)))]
            else:
                tile = free[0]
            free.remove(tile)
            length = int(rng.integers(cfg.element_length[0], cfg.element_length[1] + 1))
            ts, te = self.tiles[tile]
            p0 = int(ts + TILE_MARGIN + rng.integers(0, TILE_SIZE - 2 * TILE_MARGIN - length + 1))
            n_sites = self.element_sites(motif, length, rng, n_min, n_max)
            tokens = self.build_element(motif, length, n_sites, rng)
            occ, _ = scan_tokens(tokens, (motif,))
            total = float(occ.sum())
            weight = mech.enhancer_weight if cls == "enhancer" else mech.silencer_weight
            center = p0 + length / 2
            rec = dict(
                element_id=f"{gene['gene_id']}.E{len(elements) + 1:02d}",
                cls=cls,
                motif=motif,
                channel=channel,
                lines=lines,
                p0=p0,
                p1=p0 + length,
                tile=int(tile),
                tokens=tokens,
                n_sites=n_sites,
                occupancy=total,
                strength=weight * total,
                drive=weight * total * float(distance_decay(center - tss_in, mech)),
                partner=None,
                pair_type=None,
                program=program,
            )
            elements.append(rec)
            return rec

        def line_factor(line: str) -> float:
            """(1 + D) * R at the TSS from the elements placed so far (element-level formula)."""
            lin = coop_sum = sat = rep = 0.0
            coop = []
            for e in elements:
                if line not in e["lines"]:
                    continue
                if e["cls"] == "silencer":
                    rep += e["drive"]
                elif e["channel"] == "lin":
                    lin += e["drive"]
                elif e["channel"] == "coop":
                    coop.append(e["drive"])
                else:
                    sat += e["drive"]
            coop_sum = sum(coop) + mech.coop_gain * sum(a * b for i, a in enumerate(coop) for b in coop[i + 1 :])
            d = lin + coop_sum + mech.sat_max * (1 - np.exp(-sat / mech.sat_max))
            return (1 + d) * float(np.exp(-rep))

        lines = cfg.cell_lines
        programs = {}
        # Silencers first, so enhancer programs can compensate for them.
        if self.shared_repressor is not None and rng.random() < cfg.p_silencer_all:
            place("silencer", self.shared_repressor, mech.lines_of(self.shared_repressor), None, "silencer")
        for line in lines:
            motif = self.repressor_of.get(line)
            if motif is not None and rng.random() < cfg.p_silencer_line:
                place("silencer", motif, mech.lines_of(motif), None, "silencer")
        for line in lines:
            u = rng.random()
            acts = self.activators[line]
            if u < cfg.p_enhancing:
                programs[line] = "enhancing"
                target = float(np.exp(rng.uniform(np.log(25), np.log(100))))
                if rng.random() < cfg.p_pair:
                    channel = ("lin", "coop", "sat")[int(rng.integers(3))]
                    a = place("enhancer", acts[channel], (line,), channel, "enhancing", near=True)
                    b = place("enhancer", acts[channel], (line,), channel, "enhancing", near=True)
                    if a is not None and b is not None:
                        ptype = {"lin": "additive", "coop": "superadditive", "sat": "subadditive"}[channel]
                        a["partner"], b["partner"] = b["element_id"], a["element_id"]
                        a["pair_type"] = b["pair_type"] = ptype
                else:
                    channel = ("lin", "lin", "lin", "coop", "sat")[int(rng.integers(5))]
                    place("enhancer", acts[channel], (line,), channel, "enhancing", near=True)
                for _ in range(6):
                    if line_factor(line) >= target:
                        break
                    place("enhancer", acts["lin"], (line,), "lin", "enhancing", n_min=7, n_max=12, near=True)
            elif u < cfg.p_enhancing + cfg.p_weak:
                programs[line] = "weak"
                far = [t for t in free if abs(self.tiles[t].mean() - tss_in) > 50_000]
                if far:
                    free.remove(far[0])
                    free.insert(0, far[0])
                place("enhancer", acts["lin"], (line,), "lin", "weak", n_min=6, n_max=6)
            else:
                programs[line] = "none"
        gene["programs"] = programs
        return elements

    # -- cleaning ----------------------------------------------------------------------------
    def clean(self, tokens: np.ndarray, protected: np.ndarray, scanner) -> int:
        """Mutate every motif site (any of the model's motifs) not fully inside a protected
        interval (promoter regions and elements), so a gene window holds exactly the recorded
        sites and the model's output is the floor away from the TSS."""
        names = self.all_motifs
        motifs = [get_motif(n) for n in names]
        widths = np.array([m.width for m in motifs])
        span = int(widths.max())
        cum = np.concatenate([[0], np.cumsum(protected)])  # prefix counts of protected bp
        n_mut = 0
        hits = scanner.hits(tokens)
        for _ in range(50):
            if hits.shape[0] == 0:
                return n_mut
            pos, mi = hits[:, 0], hits[:, 1]
            end = np.minimum(pos + widths[mi], tokens.size)
            hits = hits[(cum[end] - cum[pos]) != (end - pos)]
            touched = []
            for p, j in hits:
                m = motifs[j]
                w = min(m.width, tokens.size - p)
                seg = tokens[p : p + w]
                k_idx = np.arange(w)
                W = m.weights if m.weights[k_idx, seg].sum() >= m.rc_weights[k_idx, seg].sum() else m.rc_weights
                gain = W[k_idx, seg] - W[:w].min(axis=1)
                gain[protected[p : p + w]] = -np.inf
                k = int(np.argmax(gain))
                if not np.isfinite(gain[k]):
                    raise RuntimeError("a stray motif site lies entirely in a protected region")
                tokens[p + k] = int(np.argmin(W[k]))
                touched.append(p + k)
                n_mut += 1
            if not touched:
                return n_mut
            # Re-scan around the mutations (a mutation can create a new site): all windows in
            # one scan, separated by N runs so no site spans two windows.
            touched = np.unique(np.asarray(touched, dtype=np.int64))
            lo = np.maximum(touched - span, 0)
            hi = np.minimum(touched + span, tokens.size)
            gap = np.full(span, 4, np.uint8)
            parts, offsets, at = [], [], 0
            for a, b in zip(lo, hi):
                parts += [tokens[a:b], gap]
                offsets.append((at, a, b - a))
                at += (b - a) + span
            occ, _ = scan_tokens(np.concatenate(parts), names)
            q, j = np.nonzero(occ > 0)
            starts = np.array([o[0] for o in offsets])
            which = np.searchsorted(starts, q, side="right") - 1
            rel = q - starts[which]
            ok = rel + widths[j] <= np.array([o[2] for o in offsets])[which]
            found = np.stack([lo[which] + rel, j], axis=1)[ok]
            hits = np.unique(found.astype(np.int64).reshape(-1, 2), axis=0)
        raise RuntimeError("background cleaning did not converge")

    # -- run ---------------------------------------------------------------------------------
    def run(self) -> Synthesized:
        """Lay out, build and clean every chromosome; the record of what was planted."""
        mech = self.mech
        self.layout()
        scanner = HitScanner(self.all_motifs)
        fasta_parts = []
        gene_rows, element_rows, site_rows = [], [], []
        signal = {}
        stats = {"cleaned_sites": 0}
        for name, size in self.chroms:
            tokens, lower = self.background(name, size)
            protected = np.zeros(size, bool)
            chrom_genes = [g for g in self.genes if g["chrom"] == name]
            placed = []
            for gene in chrom_genes:
                rng = self.rng("promoter", gene["index"])
                region, ptype = self.build_promoter(gene, rng)
                gene["promoter_type"] = ptype
                g0, g1 = self.to_genome(gene, SEQ_LENGTH // 2 - PROMOTER_HALF, SEQ_LENGTH // 2 + PROMOTER_HALF)
                tokens[g0:g1] = region if gene["strand"] == "+" else _rc(region)
                lower[g0:g1] = False
                protected[g0:g1] = True
                for e in self.plan_gene(gene):
                    e0, e1 = self.to_genome(gene, e["p0"], e["p1"])
                    tokens[e0:e1] = e["tokens"]  # elements are built in genome orientation
                    lower[e0:e1] = False
                    protected[e0:e1] = True
                    e["start"], e["end"] = e0, e1
                    placed.append((gene, e))
            stats["cleaned_sites"] += self.clean(tokens, protected, scanner)
            # The record: every site in elements and around each promoter, from the final sequence.
            for gene in chrom_genes:
                lo, hi = gene["tss"] - 2 * PROMOTER_HALF, gene["tss"] + 2 * PROMOTER_HALF
                site_rows += self.record_sites(tokens, name, lo, hi, f"promoter:{gene['gene_id']}", mech.promoter_motifs)
                gene_rows.append(gene)
            for gene, e in placed:
                rows = self.record_sites(tokens, name, e["start"], e["end"], e["element_id"], (e["motif"],))
                site_rows += rows
                e["occupancy"] = float(sum(r["occupancy"] for r in rows))
                e["n_found"] = len(rows)
                element_rows.append((gene, e))
            fasta_parts.append((name, tokens, lower))
            signal[name] = (chrom_genes, [e for g, e in placed])
        self.signal = signal
        return Synthesized(self.chroms, gene_rows, element_rows, site_rows, fasta_parts, stats)

    def record_sites(self, tokens, chrom, lo, hi, owner, names) -> list[dict]:
        lo, hi = max(0, lo), min(tokens.size, hi)
        occ, strand = scan_tokens(tokens[lo:hi], names)
        rows = []
        for q, j in zip(*np.nonzero(occ > 0)):
            m = get_motif(names[j])
            if q + m.width > hi - lo:
                continue
            rows.append(
                dict(
                    chrom=chrom,
                    start=lo + int(q),
                    end=lo + int(q) + m.width,
                    motif=m.name,
                    strand="+" if strand[q, j] > 0 else "-",
                    score=m.score(tokens[lo + q : lo + q + m.width]),
                    occupancy=float(occ[q, j]),
                    owner=owner,
                )
            )
        return rows

    # -- transcripts and signal --------------------------------------------------------------
    def gene_model(self, gene: dict) -> tuple[int, list[tuple[int, int]]]:
        """Transcript length (bp) and exons ``[a, b)`` (offsets from the TSS along the transcript)."""
        rng = self.rng("gtf", gene["index"])
        glen = int(rng.integers(8_000, 60_000))
        n_ex = int(rng.integers(2, 7))
        ex_len = rng.integers(100, 400, size=n_ex)
        inner = np.sort(rng.choice(np.arange(1_000, glen - 1_000, 1_000), size=n_ex - 2, replace=False)) if n_ex > 2 else []
        starts = [0] + list(inner) + [glen - int(ex_len[-1])]
        return glen, [(int(s), int(s + ln)) for s, ln in zip(starts, ex_len)]

    def track(self, line: str, assay: str, name: str, size: int, step: int) -> np.ndarray:
        """Noisy ``assay`` signal of ``line`` on chromosome ``name``: ``(ceil(size / step),)``
        float64 values of ``step``-bp bins (peaks at TSSs and at the line's active elements).
        Needs :meth:`run` first."""
        rng = self.rng("bigwig", line, assay, name)
        n = -(-size // step)
        vals = rng.gamma(2.0, 0.05, n)
        centers = (np.arange(n) + 0.5) * step
        genes, elements = self.signal[name]
        peaks = []  # (centre bp, height, width bp)
        for g in genes:
            height = 3.0 if assay == "accessibility" else 2.0 + np.log1p(4.0 * (g["programs"].get(line) == "enhancing"))
            peaks.append((g["tss"], height, 300.0 if assay == "accessibility" else 1_500.0))
        for e in elements:
            if line not in e["lines"]:
                continue
            if assay == "H3K27ac" and e["cls"] == "silencer":
                continue  # bound (accessible) but not acetylated
            height = 1.0 + np.log1p(e["strength"]) * (0.6 if assay == "accessibility" else 0.8)
            peaks.append(((e["start"] + e["end"]) / 2, height, (e["end"] - e["start"]) / 2 + (200.0 if assay == "accessibility" else 1_000.0)))
        for c, h, w in peaks:
            lo, hi = np.searchsorted(centers, [c - 3 * w, c + 3 * w])
            vals[lo:hi] += h * rng.lognormal(0.0, 0.25) * np.exp(-0.5 * ((centers[lo:hi] - c) / (w / 2)) ** 2)
        return vals.astype(np.float64)
