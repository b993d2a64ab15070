"""The embedded world: generator determinism and caching, the truth record, and the model's
documented mechanism on constructed sequences with analytic answers."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from creme_lib.sequence import FastaExtractor, reverse_complement, tokenize, tokens_to_one_hot
from creme_lib.tiles import tile_grid
from creme_lib.world import (
    SMALL_CONFIG,
    Mechanism,
    WorldConfig,
    context_truth,
    distance_decay,
    expected_output,
    generate_world,
    get_motif,
    load_world,
    pair_truth,
    tile_truth,
    world_key,
)
from creme_lib.world.mechanism import DEFAULT_MECHANISM as MECH
from creme_lib.world.mechanism import TRACK_NAMES, output_from_bin_occupancy
from creme_lib.world.motifs import motif_bank, scan_tokens

L = 196_608
TSS = L // 2
TINY = WorldConfig(n_genes=2, n_chromosomes=1, gap_bp=(2_000, 3_000))
K562, GM, PC3 = 0, 1, 2


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="session")
def small(tmp_path_factory):
    files = generate_world(tmp_path_factory.mktemp("world"), seed=0, config=SMALL_CONFIG)
    return files, load_world(files)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    return out, generate_world(out, seed=1, config=TINY)


@pytest.fixture(scope="session")
def model():
    pytest.importorskip("tensorflow")
    from creme_lib.world.model import SyntheticModel

    return SyntheticModel()  # all 896 bins, three tracks


# ---------------------------------------------------------------------------------------------
# motifs


def test_motifs_are_jaspar_and_strict():
    pyjaspar = pytest.importorskip("pyjaspar")
    from creme_lib.world.motifs import _JASPAR_COUNTS

    jdb = pyjaspar.jaspardb()
    for name, (matrix_id, _, counts) in _JASPAR_COUNTS.items():
        m = jdb.fetch_motif_by_id(matrix_id)
        ref = np.array([m.counts[b] for b in "ACGT"], float).T
        np.testing.assert_allclose(np.asarray(counts), ref, atol=1e-3, err_msg=name)
    for m in motif_bank().values():
        assert m.max_score - m.threshold >= 1.0 - 1e-9
        assert np.all(m.weights * 64 == np.round(m.weights * 64))  # dyadic: exact scans
        consensus = m.weights.argmax(axis=1)
        assert m.score(consensus) == pytest.approx(m.max_score)
    with pytest.raises(ValueError, match="unknown motif"):
        get_motif("NOT_A_TF")


# ---------------------------------------------------------------------------------------------
# generator: validation, determinism, cache


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: WorldConfig(n_genes=-3), "n_genes"),
        (lambda: WorldConfig(n_genes=20, n_chromosomes=1, chrom_size=1_000_000), "do not fit"),
        (lambda: WorldConfig(cell_lines=("K562", "HeLa")), "unknown cell line"),
        (lambda: WorldConfig(element_length=(300, 4_000)), "element_length"),
        (lambda: WorldConfig(p_enhancing=1.5), "p_enhancing"),
        (lambda: WorldConfig(gap_bp=(-1, 10)), "gap_bp"),
        (lambda: Mechanism(activators=(("K562", "NOT_A_TF", "lin"),)), "unknown motif"),
        (lambda: Mechanism(repressors=(("Jurkat", "REST"),)), "unknown cell line"),
    ],
)
def test_bad_parameters_raise_before_writing(tmp_path, make, match):
    out = tmp_path / "cache"
    with pytest.raises(ValueError, match=match):
        generate_world(out, seed=0, config=make())
    assert not out.exists()


def test_bad_seed_or_config_raise_before_writing(tmp_path):
    out = tmp_path / "cache"
    for kwargs in ({"seed": -1, "config": TINY}, {"seed": 1.5, "config": TINY}, {"seed": 0, "config": "big"}):
        with pytest.raises(ValueError):
            generate_world(out, **kwargs)
    assert not out.exists()


def test_same_seed_is_byte_identical_and_seeds_differ(tiny_dir, tmp_path):
    _, a = tiny_dir
    b = generate_world(tmp_path / "again", seed=1, config=TINY)
    for name in ("fasta", "gtf", "elements", "sites", "genes"):
        assert getattr(a, name).read_bytes() == getattr(b, name).read_bytes(), name
    c = generate_world(tmp_path / "other", seed=2, config=TINY)
    assert c.key != a.key
    assert a.fasta.read_bytes() != c.fasta.read_bytes()
    assert a.elements.read_bytes() != c.elements.read_bytes()


def test_generating_a_world_does_not_import_tensorflow(tmp_path):
    # In a fresh interpreter: the builder's modules, and a whole (one-gene) world, without TensorFlow.
    code = "\n".join([
        "import sys",
        "import creme_lib.world.genome, creme_lib.world.config, creme_lib.world.synthesis, creme_lib.world.writers",
        "from creme_lib.world import WorldConfig, generate_world, load_world",
        f"files = generate_world({str(tmp_path)!r}, seed=3, config=WorldConfig(n_genes=1, n_chromosomes=1))",
        "assert len(load_world(files).genes) == 1",
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'tensorflow'))",
    ])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"generating a world imported {out.stdout.strip()}"


def test_cache_is_reused_and_atomic(tiny_dir, tmp_path):
    out, a = tiny_dir
    stamp = a.manifest.stat().st_mtime_ns
    again = generate_world(out, seed=1, config=TINY)
    assert again.root == a.root and again.manifest.stat().st_mtime_ns == stamp  # reused, not rewritten

    # A crashed run's temp folder and a folder without a manifest are never taken for a world.
    fresh = tmp_path / "fresh"
    key = world_key(1, TINY)
    junk_tmp = fresh / f".tmp-world-{key}-999-deadbeef"
    junk_tmp.mkdir(parents=True)
    (junk_tmp / "genome.fa").write_text(">chr1\nACGT")
    half = fresh / f"world-{key}"
    half.mkdir()
    (half / "genome.fa").write_text(">chr1\nAC")
    w = generate_world(fresh, seed=1, config=TINY)
    assert w.root == half
    assert json.loads(w.manifest.read_text())["complete"]
    assert w.fasta.read_bytes() == a.fasta.read_bytes()
    assert not any(p.name.startswith(".tmp-world") and p != junk_tmp for p in fresh.iterdir())


# ---------------------------------------------------------------------------------------------
# files and the truth record


def test_gtf_genes_and_composition(small):
    files, world = small
    rows = [ln.split("\t") for ln in files.gtf.read_text().splitlines() if not ln.startswith("#")]
    tx = [r for r in rows if r[2] == "transcript"]
    assert {r[2] for r in rows} == {"gene", "transcript", "exon"}
    assert len(tx) == len(world.genes) == SMALL_CONFIG.n_genes
    for r in tx:
        attrs = dict(a.strip().split(" ", 1) for a in r[8].strip(";").split(";") if a.strip())
        g = world.gene(attrs["gene_id"].strip('"'))
        assert attrs["gene_type"] == '"protein_coding"' and attrs["gene_name"].strip('"') == g.gene_name
        tss = int(r[3]) - 1 if r[6] == "+" else int(r[4]) - 1
        assert (tss, r[6], r[0]) == (g.tss, g.strand, g.chrom)
        assert g.window_end - g.window_start == L and g.tss - g.window_start == L // 2
    # Windows do not overlap, so every window holds only its own gene's elements.
    for _, grp in world.genes.groupby("chrom"):
        s = grp.sort_values("window_start")
        assert (s.window_start.to_numpy()[1:] >= s.window_end.to_numpy()[:-1]).all()

    fa = FastaExtractor(files.fasta)
    seq = "".join(fa.fetch(c, 0, n) for c, n in fa.chrom_sizes.items())
    tok = tokenize(seq)
    gc = np.isin(tok, (1, 2)).mean()
    cpg = ((tok[:-1] == 1) & (tok[1:] == 2)).mean() / (np.mean(tok == 1) * np.mean(tok == 2))
    lower = np.mean([c.islower() for c in seq[::97]])
    assert 0.38 < gc < 0.46 and cpg < 0.45 and 0.15 < lower < 0.5
    cgi = world.genes[world.genes.promoter_type == "CGI"].iloc[0]
    prom = tokenize(fa.fetch(cgi.chrom, cgi.tss - 500, cgi.tss + 500))
    assert np.isin(prom, (1, 2)).mean() > 0.55


def test_planted_sites_are_where_the_bed_says(small):
    files, world = small
    fa = FastaExtractor(files.fasta)
    bed = pd.read_csv(files.elements, sep="\t")
    assert bed.columns[0] == "#chrom" and len(bed) == len(world.elements) > 0
    regulatory = MECH.regulatory_motifs
    for e in world.elements.itertuples(index=False):
        tok = tokenize(fa.fetch(e.chrom, e.start, e.end))
        occ, _ = scan_tokens(tok, MECH.motif_names)
        col = MECH.motif_names.index(e.motif)
        assert occ[:, col].sum() == pytest.approx(e.occupancy, abs=1e-3)
        assert occ[:, col].sum() >= MECH.gate_high  # a full cluster: the gate is open
        others = [MECH.motif_names.index(m) for m in regulatory if m != e.motif]
        assert not occ[:, others].any()
        assert 300 <= e.end - e.start <= 1500
        assert e.cell_lines.split(",") == list(MECH.lines_of(e.motif))
    for s in world.sites.sample(n=min(60, len(world.sites)), random_state=0).itertuples(index=False):
        m = get_motif(s.motif)
        seq = fa.fetch(s.chrom, s.start, s.end)
        assert m.score(seq) == pytest.approx(s.score, abs=1e-3) and s.score > m.threshold


def test_window_coordinates_and_tiles_on_both_strands(small):
    _, world = small
    _, tiles = tile_grid(L, 5_000)
    fa = world.extractor()
    seen = set()
    for e in world.elements.itertuples(index=False):
        g = world.gene(e.target_gene)
        win = world.window(g.gene_id, one_hot=False)
        genomic = fa.fetch(g.chrom, e.start, e.end)
        piece = win[e.win_start : e.win_end]
        assert piece == (genomic if g.strand == "+" else reverse_complement(genomic))
        assert tuple(tiles[e.tile_index]) == (e.tile_start, e.tile_end)
        assert e.tile_start + 1000 <= e.win_start < e.win_end <= e.tile_end - 1000
        # On '-' genes the window is reverse-complemented: the tile index mirrors.
        plus_start = e.start - g.window_start
        plus_tile = int(np.flatnonzero((tiles[:, 0] <= plus_start) & (plus_start < tiles[:, 1]))[0])
        assert e.tile_index == (plus_tile if g.strand == "+" else len(tiles) - 1 - plus_tile)
        seen.add(g.strand)
        # the site record maps into the window at the same place the model will scan
        sites = world.sites[world.sites.owner == e.element_id]
        occ, _ = scan_tokens(tokenize(win[e.win_start : e.win_end]), (e.motif,))
        assert occ.sum() == pytest.approx(sites.occupancy.sum(), abs=1e-3)
    assert seen == {"+", "-"}
    for g in world.genes.gene_id:
        for line in world.cell_lines:
            t = tile_truth(world, g, line)
            act = world.elements[(world.elements.target_gene == g) & world.elements.cell_lines.str.contains(line)]
            assert sorted(t.tile_index) == sorted(act.tile_index)
            assert (t.loc[t["class"] == "enhancer", "effect"] > 0).all()
            assert (t.loc[t["class"] == "silencer", "effect"] < 0).all()


def test_bigwigs_mark_active_elements(small):
    pyBigWig = pytest.importorskip("pyBigWig")
    files, world = small
    fa = FastaExtractor(files.fasta)
    e = world.elements[(world.elements["class"] == "enhancer") & (world.elements.cell_lines == "K562")]
    own, other = [], []
    for line, store in (("K562", own), ("GM12878", other)):
        bw = pyBigWig.open(str(files.bigwigs[line]["H3K27ac"]))
        assert bw.chroms() == fa.chrom_sizes
        store += [bw.stats(r.chrom, int(r.start), int(r.end))[0] for r in e.itertuples()]
        bw.close()
    assert np.mean(own) > 3 * np.mean(other)


# ---------------------------------------------------------------------------------------------
# the model on the world


def test_model_interface_and_determinism(model, small):
    from creme_lib.world.model import SyntheticModel

    _, world = small
    assert model.track_names == tuple(TRACK_NAMES[c] for c in ("K562", "GM12878", "PC-3"))
    x = np.stack([world.window(g) for g in world.genes.gene_id[:3]])
    y = model.predict(x)
    assert y.shape == (3, 896, 3) and y.dtype == np.float32
    np.testing.assert_array_equal(model.predict(x[1]), y[1:2])  # batching does not matter
    np.testing.assert_array_equal(model.predict(x), y)  # deterministic
    # CAGE-like: a peak at the TSS bins, the floor far from it.
    assert (y[:, 447:449].min(axis=1) > 10 * MECH.floor).all()
    np.testing.assert_allclose(y[:, :400], MECH.floor, rtol=1e-6)
    sel = SyntheticModel(bins=[447, 448], tracks=["GM12878", "CAGE:K562 ENCODE, biol_"], jit_compile=False)
    np.testing.assert_allclose(sel.predict(x), y[:, 447:449][:, :, [GM, K562]], rtol=1e-6)
    with pytest.raises(KeyError):
        SyntheticModel(tracks=["HeLa"])
    with pytest.raises(ValueError):
        model.predict(np.zeros((1, 1000, 4), np.float32))


def test_model_equals_truth_on_world_windows(model, small):
    _, world = small
    x = np.stack([world.window(g) for g in world.genes.gene_id])
    y = model.predict(x)[:, 447:449]
    want = np.stack([expected_output(world, g) for g in world.genes.gene_id])
    np.testing.assert_allclose(y, want, rtol=1e-5)
    ctx = context_truth(world)
    assert set(ctx.category) >= {"enhancing", "neutral", "silencing"}


def _mask(x, world, gene, element_ids):
    """Delete elements from a window (N rows): removal without creating any site."""
    x = x.copy()
    el = world.elements.set_index("element_id")
    for e in element_ids:
        x[el.loc[e, "win_start"] : el.loc[e, "win_end"]] = 0
    return x


def test_planted_pairs_interact_as_specified(model, small):
    _, world = small
    done = set()
    for g in world.genes.gene_id:
        for line in world.cell_lines:
            pt = pair_truth(world, g, line)
            for p in pt[pt.planted].itertuples(index=False):
                if p.pair_type in done:
                    continue
                sign = {"superadditive": 1, "subadditive": -1, "additive": 0}[p.pair_type]
                if sign:
                    assert np.sign(p.interaction) == sign and abs(p.interaction_frac) > 0.05
                else:
                    assert abs(p.interaction_frac) < 1e-9
                x = world.window(g)
                xs = np.stack([x, _mask(x, world, g, [p.element_a]), _mask(x, world, g, [p.element_b]),
                               _mask(x, world, g, [p.element_a, p.element_b])])
                y = model.predict(xs)[:, 447:449, list(world.mechanism.cell_lines).index(line)].mean(axis=1)
                np.testing.assert_allclose(y, [p.y_wt, p.y_minus_a, p.y_minus_b, p.y_minus_ab], rtol=1e-5)
                done.add(p.pair_type)
    assert done == {"superadditive", "subadditive", "additive"}


def test_shuffled_context_is_quiet(model, small):
    shuffle = pytest.importorskip("creme_lib.shuffle")
    from creme_lib.seeding import derive_rng

    _, world = small
    ctx = context_truth(world)
    genes = ctx[ctx.category == "enhancing"].gene_id.unique()[:2]
    ratios = []
    for g in genes:
        x = world.window(g)
        sh = shuffle.dinuc_shuffle(x, n=4, rng=derive_rng(0, g, "test-context"))
        sh[:, 95_804:100_804] = x[95_804:100_804]  # the TSS tile is kept
        y = model.predict(sh)[:, 447:449].mean(axis=1)  # (4, 3)
        control = ctx[ctx.gene_id == g].set_index("cell_line").y_control
        ratios.append(y / control[list(world.mechanism.cell_lines)].to_numpy())
    ratios = np.concatenate(ratios)
    assert abs(np.median(ratios) - 1) < 0.02
    assert np.mean(np.abs(ratios - 1) < 0.05) >= 0.75


# ---------------------------------------------------------------------------------------------
# the documented mechanism on constructed sequences (N background: no stray sites at all)


def _consensus(name: str) -> np.ndarray:
    return get_motif(name).weights.argmax(axis=1).astype(np.uint8)


PROMOTER = [(TSS - 100, "SP1"), (TSS + 20, "NRF1")]  # bins 767 and 768: A = 2 - 1 = 1


def _cluster(name: str, offset: int, n: int = 5, step: int = 40) -> list:
    return [(TSS + offset + k * step, name) for k in range(n)]


def _toy(sites: list) -> tuple[np.ndarray, np.ndarray]:
    tok = np.full(L, 4, np.uint8)
    for pos, name in sites:
        c = _consensus(name)
        tok[pos : pos + c.size] = c
    # what the model should see: exactly these sites, each with occupancy 1
    h = np.zeros((L // 128, len(MECH.motif_names)))
    for pos, name in sites:
        h[pos // 128, MECH.motif_names.index(name)] += 1.0
    return tokens_to_one_hot(tok), h


def _K(pos: int, j: int) -> float:
    return float(distance_decay(128 * (pos // 128 - (j + 320))))


def test_toy_sequences_contain_only_the_planted_sites():
    sites = PROMOTER + _cluster("GATA1::TAL1", 20_000) + _cluster("REST", -30_000) + _cluster("SPI1", 50_000)
    x, h = _toy(sites)
    occ, _ = scan_tokens(np.where(x.any(1), x.argmax(1), 4), MECH.motif_names)
    got = np.zeros_like(h)
    pos, col = np.nonzero(occ)
    np.add.at(got, (pos // 128, col), occ[pos, col])
    np.testing.assert_array_equal(got, h)


def test_enhancer_follows_the_formula_and_decays_with_distance(model):
    beta, floor = MECH.enhancer_weight, MECH.floor
    offsets = [5_000, 5_000 + 128 * 100, 40_000, -40_000]
    xs, hs = zip(*[_toy(PROMOTER + _cluster("GATA1::TAL1", d)) for d in offsets])
    xs = list(xs) + [_toy(PROMOTER)[0], _toy(PROMOTER + _cluster("GATA1::TAL1", 5_000, n=1))[0],
                     _toy(PROMOTER + _cluster("GATA1::TAL1", 5_000, n=3))[0]]
    y = model.predict(np.stack(xs))[:, 447:449]
    for i, d in enumerate(offsets):
        for jj, j in enumerate((447, 448)):
            lin = beta * sum(_K(TSS + d + 40 * k, j) for k in range(5))
            assert y[i, jj, K562] == pytest.approx(1.0 * (1 + lin) + floor, rel=1e-5)  # A = 1
            assert y[i, jj, GM] == pytest.approx(1.0 + floor, rel=1e-6)  # cell-line specific
            assert y[i, jj, PC3] == pytest.approx(1.0 + floor, rel=1e-6)
        np.testing.assert_allclose(y[i], output_from_bin_occupancy(hs[i], np.array([447, 448])), rtol=1e-5)
    drive = (y[:4, :, K562] - 1 - floor).mean(axis=1)
    assert drive[1] / drive[0] == pytest.approx(np.exp(-128 * 100 / MECH.decay_bp), rel=1e-4)
    assert drive[2] == pytest.approx(drive[3], rel=0.01)  # symmetric up/downstream
    # promoter only: A + floor; the grammar gate: 1 site does nothing, 3 sites half, 5 full
    assert y[4, :, K562] == pytest.approx(1 + floor, rel=1e-6)
    assert y[5, :, K562] == pytest.approx(1 + floor, rel=1e-6)
    half = (y[6, 0, K562] - 1 - floor) / (y[0, 0, K562] - 1 - floor)
    k3, k5 = (sum(_K(TSS + 5_000 + 40 * k, 447) for k in range(n)) for n in (3, 5))
    assert half == pytest.approx(0.5 * k3 / k5, rel=1e-4)  # gate (3 - 2) / (4 - 2) = 0.5


def test_silencers_and_cell_line_specificity(model):
    rho, beta, floor = MECH.silencer_weight, MECH.enhancer_weight, MECH.floor
    seqs = [
        PROMOTER + _cluster("REST", -20_000),  # all lines
        PROMOTER + _cluster("GFI1B", -20_000),  # K562 only
        PROMOTER + _cluster("SPI1", 10_000),  # GM12878 only
        PROMOTER + _cluster("FOS::JUN", 10_000) + _cluster("HES1", -20_000),  # PC-3: enhancer x silencer
    ]
    y = model.predict(np.stack([_toy(s)[0] for s in seqs]))[:, 447:449]
    j = 447
    rep = np.exp(-rho * sum(_K(TSS - 20_000 + 40 * k, j) for k in range(5)))
    enh = beta * sum(_K(TSS + 10_000 + 40 * k, j) for k in range(5))
    np.testing.assert_allclose(y[0, 0], rep + floor, rtol=1e-5)
    np.testing.assert_allclose(y[1, 0], [rep + floor, 1 + floor, 1 + floor], rtol=1e-5)
    np.testing.assert_allclose(y[2, 0], [1 + floor, 1 + enh + floor, 1 + floor], rtol=1e-5)
    np.testing.assert_allclose(y[3, 0], [1 + floor, 1 + floor, (1 + enh) * rep + floor], rtol=1e-5)


def test_pairs_additive_superadditive_subadditive(model):
    beta, gamma, smax, floor = MECH.enhancer_weight, MECH.coop_gain, MECH.sat_max, MECH.floor
    cases = {"GATA1::TAL1": K562, "TAL1::TCF3": K562, "MYB": K562}
    xs = []
    for motif in cases:
        a, b = _cluster(motif, 15_000), _cluster(motif, -25_000)
        xs += [_toy(PROMOTER + a + b)[0], _toy(PROMOTER + b)[0], _toy(PROMOTER + a)[0], _toy(PROMOTER)[0]]
    y = model.predict(np.stack(xs))[:, 447, K562].reshape(3, 4)
    inter = y[:, 0] - y[:, 1] - y[:, 2] + y[:, 3]
    ua = beta * sum(_K(TSS + 15_000 + 40 * k, 447) for k in range(5))
    ub = beta * sum(_K(TSS - 25_000 + 40 * k, 447) for k in range(5))
    assert abs(inter[0]) < 1e-4 * y[0, 0]  # additive (lin channel)
    assert inter[1] == pytest.approx(gamma * ua * ub, rel=1e-3)  # product term
    s = lambda u: smax * (1 - np.exp(-u / smax))  # noqa: E731
    assert inter[2] == pytest.approx(s(ua + ub) - s(ua) - s(ub), rel=1e-4)  # saturation
    assert inter[1] > 0 > inter[2]
    assert y[1, 3] == pytest.approx(1 + floor) and y[1, 0] == pytest.approx(1 + ua + ub + gamma * ua * ub + floor, rel=1e-3)


def test_distance_decay_curve():
    d = np.array([-80_000, -40_000, 0, 40_000, 80_000])
    np.testing.assert_allclose(distance_decay(d), np.exp(-np.abs(d) / 40_000))
    assert MECH.decay_bp == 40_000


# ---------------------------------------------------------------------------------------------
# shuffle noise (the weak-site background term)


def test_shuffle_noise_is_off_by_default_and_keeps_the_world_key():
    from creme_lib.world.mechanism import SHUFFLE_NOISE_WEIGHT

    assert MECH.background_weight == 0
    assert "background_weight" not in MECH.to_dict()  # so the embedded world's cache key is unchanged
    noisy = MECH.with_shuffle_noise()
    assert noisy.background_weight == SHUFFLE_NOISE_WEIGHT > 0
    assert Mechanism.from_dict(noisy.to_dict()) == noisy
    assert noisy.noise_free == MECH
    assert world_key(0, WorldConfig(mechanism=noisy)) != world_key(0, WorldConfig())
    with pytest.raises(ValueError, match="background_weight"):
        Mechanism(background_weight=-1.0)
    with pytest.raises(ValueError, match="background_pvalue"):
        Mechanism(background_pvalue=0.5)


def test_weak_site_term_follows_the_formula():
    pytest.importorskip("tensorflow")
    from creme_lib.world.model import SyntheticModel

    w = 0.5
    noisy = MECH.with_shuffle_noise(w)
    model = SyntheticModel(bins=[447, 448], mechanism=noisy)
    # one isolated consensus site: the grammar's gate stays closed, only the weak-site term acts,
    # raising the output for an activator motif (GATA1::TAL1, K562) and lowering it for a repressor
    cases = [(2_000, "GATA1::TAL1", +1), (9_000, "GATA1::TAL1", +1), (-20_000, "GATA1::TAL1", +1), (6_000, "GFI1B", -1)]
    xs = [_toy(PROMOTER + [(TSS + d, name)])[0] for d, name, _ in cases]
    y = model.predict(np.stack(xs))
    y0 = SyntheticModel(bins=[447, 448], mechanism=MECH).predict(np.stack(xs))
    np.testing.assert_allclose(y0, 1.0 + MECH.floor, rtol=1e-6)
    names = noisy.motif_names

    def signs(line: str) -> np.ndarray:
        """+1 for the line's activator motifs, -1 for its repressors, 0 for other lines' motifs."""
        sign_of = {m: 0.0 for m in names}
        sign_of.update({m: 1.0 for ln, m, _ in noisy.activators if ln == line})
        sign_of.update({m: -1.0 for ln, m in noisy.repressors if ln == line})
        return np.array([sign_of[m] for m in names])

    for i, (d, name, sign) in enumerate(cases):
        # weak-site occupancies of the sequence: the site itself and any partial match of another
        # motif inside it or in the promoter's sites
        occ, _ = scan_tokens(np.where(xs[i].any(1), xs[i].argmax(1), 4), names, noisy.background_pvalue)
        own = occ[:, names.index(name)]
        assert 0.9 < own[np.abs(np.arange(L) - (TSS + d)) < 30].sum() < 1.5
        for line, track in (("K562", K562), ("GM12878", GM)):
            signed = occ @ signs(line)
            pos = np.flatnonzero(signed)
            for jj, j in enumerate((447, 448)):
                k_bg = np.exp(-128 * np.abs(pos // 128 - (j + 320)) / noisy.background_decay_bp)
                gain = w * float((signed[pos] * k_bg).sum())
                if line == "K562":
                    assert np.sign(gain) == sign  # the planted site dominates
                assert y[i, jj, track] == pytest.approx(1.0 * np.exp(gain) + MECH.floor, rel=1e-5)


def test_noisy_model_matches_the_numpy_reference(small):
    pytest.importorskip("tensorflow")
    from creme_lib.world.mechanism import reference_predict
    from creme_lib.world.model import SyntheticModel

    _, world = small
    noisy = world.mechanism.with_shuffle_noise()
    x = world.window(world.genes.gene_id.iloc[0])
    bins = np.array([447, 448, 600])
    got = SyntheticModel(bins=list(bins), mechanism=noisy).predict(x[None])
    want = reference_predict(x, bins, noisy)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    clean = reference_predict(x, bins, world.mechanism)
    assert (np.abs(want[:, :2] / clean[:, :2] - 1) > 1e-3).all()  # weak sites change the TSS bins


def test_shuffles_of_a_tile_differ_only_with_noise_on(small):
    pytest.importorskip("tensorflow")
    from creme_lib.experiments import necessity_test
    from creme_lib.world.model import SyntheticModel

    _, world = small
    gid = world.genes.gene_id.iloc[0]
    x = world.window(gid)
    near = np.array([[TSS + 2_500, TSS + 7_500]])  # a tile next to the TSS tile
    own = world.elements[world.elements.target_gene == gid]
    assert not ((own.win_start < near[0, 1]) & (own.win_end > near[0, 0])).any()  # no planted element in it
    spread = {}
    for label, mech in (("off", world.mechanism), ("on", world.mechanism.with_shuffle_noise())):
        model = SyntheticModel(bins=[447, 448], tracks=["K562"], mechanism=mech)
        res = necessity_test(model, x, near, n_shuffles=4, name="g", progress=False)
        spread[label] = float(res.mut[0, :, 0].std())
    assert spread["off"] == 0.0
    assert spread["on"] > 1e-4


# ---------------------------------------------------------------------------------------------
# incremental scanning (rescan.py)


def test_changed_bins_are_the_bins_whose_windows_touch_a_change():
    from creme_lib.world.rescan import changed_bins

    ref = np.zeros(128 * 10, np.uint8)
    tok = ref.copy()
    tok[[300, 1279]] = 2  # bin 2 (windows from 300 - 19 = 281: bin 2) and the last base
    assert changed_bins(tok, ref, width=20).tolist() == [2, 9]
    tok[[300, 1279]] = 0
    tok[260] = 1  # windows 241..260 start in bin 1 (128..255) and bin 2
    assert changed_bins(tok, ref, width=20).tolist() == [1, 2]
    assert changed_bins(ref, ref, width=20).size == 0


def _shuffled(tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from creme_lib.sequence import one_hot_to_tokens
    from creme_lib.shuffle import dinuc_shuffle

    return one_hot_to_tokens(dinuc_shuffle(tokens_to_one_hot(tokens), rng=rng))


def test_a_rescan_equals_a_full_scan(small):
    from creme_lib.world.mechanism import bin_occupancy
    from creme_lib.world.motifs import stacked_filters
    from creme_lib.world.rescan import ScanCache, changed_bins

    _, world = small
    noisy = world.mechanism.with_shuffle_noise()
    names = noisy.motif_names
    filt, thr, scl = stacked_filters(names)
    cache = ScanCache(filt, [(thr, scl), stacked_filters(names, noisy.background_pvalue)[1:]], capacity=2)
    x = world.window(world.genes.gene_id.iloc[0])
    tok = np.where(x.any(1), x.argmax(1), 4).astype(np.uint8)
    cache.add(tok, [bin_occupancy(x, noisy).astype(np.float32), bin_occupancy(x, noisy, weak=True).astype(np.float32)])
    rng = np.random.default_rng(5)
    for start, stop in ((0, 5_000), (93_000, 98_000), (len(tok) - 3_000, len(tok)), (40_000, 40_001)):
        new = tok.copy()
        new[start:stop] = _shuffled(tok[start:stop], rng) if stop - start > 1 else (tok[start] + 1) % 4
        key, bins = cache.nearest(new)
        assert bins.tolist() == changed_bins(new, tok, filt.shape[0]).tolist() and bins.size <= 42
        h, hw = cache.rescan(new, key, bins)
        xn = tokens_to_one_hot(new)
        np.testing.assert_array_equal(h, bin_occupancy(xn, noisy).astype(np.float32))
        np.testing.assert_array_equal(hw, bin_occupancy(xn, noisy, weak=True).astype(np.float32))
    far = _shuffled(tok, rng)  # a whole shuffled background: no cached sequence is near
    assert cache.nearest(far) is None
    cache.add(far, [h, hw])
    cache.add(far, [h, hw])
    assert len(cache) == 2  # capacity: the oldest (the wild type) is gone
    assert cache.nearest(tok) is None


def test_the_incremental_model_is_bit_identical_to_full_scans(small):
    pytest.importorskip("tensorflow")
    from creme_lib.experiments import context_dependence_test, necessity_test, sufficiency_test
    from creme_lib.world.model import SyntheticModel

    _, world = small
    x = world.window(world.genes.gene_id.iloc[0])
    from creme_lib.validation import TILES

    tiles = TILES[[0, 1, 18, 19, 36, 37]]  # tiles beside the TSS tile and at both ends of the window
    for mech in (world.mechanism, world.mechanism.with_shuffle_noise()):
        got = {}
        for inc in (False, True):
            m = SyntheticModel(bins=[447, 448, 500], tracks=["K562", "PC-3"], mechanism=mech, incremental=inc)
            nec = necessity_test(m, x, tiles, 2, name="g", progress=False)
            suf = sufficiency_test(m, x, (95_804, 100_804), tiles, 2, name="g", progress=False)
            ctx = context_dependence_test(m, x, (95_804, 100_804), 2, name="g", progress=False)
            soft = m.predict(np.full((1, len(x), 4), 0.25, np.float32))  # not one-hot: scanned whole
            got[inc] = (nec.mut, suf.mut, suf.control, ctx.mut, soft)
        for a, b in zip(got[False], got[True]):
            np.testing.assert_array_equal(a, b)


def test_tokens_and_one_hot_give_the_same_predictions(small):
    """The engine hands the world's model tokens (no one-hot round trip); predicting the same
    sequences from their one-hot, in another order and batch size, gives the same bits."""
    pytest.importorskip("tensorflow")
    from creme_lib.inference import Engine
    from creme_lib.perturb import SeqSpec, keep, shuffled, wild_type
    from creme_lib.sequence import tokens_to_one_hot
    from creme_lib.world.model import SyntheticModel

    _, world = small
    x = world.window(world.genes.gene_id.iloc[1])
    m = SyntheticModel(bins=[447, 448], tracks=["K562"], mechanism=world.mechanism.with_shuffle_noise())
    assert m.takes_tokens
    eng = Engine(m, batch_size=3, progress=False)
    eng.register("g", x)
    specs = [wild_type("g"), SeqSpec("g", ("bg", 0), (keep(95_804, 100_804),)),
             SeqSpec("g", ("bg", 0), (keep(95_804, 100_804), keep(10_000, 15_000)))]
    specs += [SeqSpec("g", None, (shuffled(a, a + 5_000, (0,)),)) for a in (0, 50_000, 150_000)]
    def refuse(x):
        raise AssertionError("the engine sent one-hot to a model that reads tokens")

    m.predict = refuse
    via_tokens = eng.predict(specs)
    tokens = np.stack([eng.build(s) for s in specs])
    # the reference: whole scans of the one-hot (no rescan cache, no tokens), other order and batch
    whole = SyntheticModel(bins=[447, 448], tracks=["K562"], mechanism=world.mechanism.with_shuffle_noise(),
                           batch_size=2, incremental=False)
    via_one_hot = whole.predict(tokens_to_one_hot(tokens[::-1]))[::-1, :, 0].mean(axis=1)
    np.testing.assert_array_equal(via_tokens[:, 0], via_one_hot)
    assert len(set(via_one_hot.tolist())) > 3  # the specs differ in their output, so the check means something
    with pytest.raises(ValueError, match="0..4"):
        m.predict_tokens(np.full((1, m.seq_length), 7, np.uint8))
    with pytest.raises(ValueError, match="shape"):
        m.predict_tokens(np.zeros((1, 100), np.uint8))
