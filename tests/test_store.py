import os

import numpy as np
import pandas as pd
import pytest

from creme_lib.store import ResultStore, atomic_write_csv, safe_name


def test_atomic_write_leaves_no_temp_and_roundtrips_floats(tmp_path):
    df = pd.DataFrame({"a": [0.1 + 0.2, 1 / 3, np.float32(0.7).item()], "b": ["x", "y", "z"]})
    p = atomic_write_csv(df, tmp_path / "sub" / "t.csv")
    pd.testing.assert_frame_equal(pd.read_csv(p), df)
    assert [f.name for f in p.parent.iterdir()] == ["t.csv"]
    assert p.stat().st_mode & 0o777 == 0o644


def test_failed_write_keeps_previous_file(tmp_path):
    p = atomic_write_csv(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")

    class Boom(pd.DataFrame):
        def to_csv(self, *a, **k):
            raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        atomic_write_csv(Boom({"a": [2]}), p)
    assert pd.read_csv(p)["a"].tolist() == [1]
    assert len(os.listdir(tmp_path)) == 1


def test_run_resumes_and_collect_is_order_independent(tmp_path):
    store = ResultStore(tmp_path)
    calls = []

    def fn(g):
        calls.append(g)
        return pd.DataFrame({"gene": [g], "v": [len(g)]})

    assert store.run("K562", "necessity", ["b", "a"], fn, progress=False) == ["b", "a"]
    assert store.run("K562", "necessity", ["a", "b", "c"], fn, progress=False) == ["c"]
    assert calls == ["b", "a", "c"]
    assert store.collect("K562", "necessity")["gene"].tolist() == ["a", "b", "c"]
    assert store.collect("K562", "necessity", genes=["c", "a"])["gene"].tolist() == ["a", "c"]


def test_safe_name():
    assert safe_name("ZNF26_chr12_132986366_+") == "ZNF26_chr12_132986366_+"
    assert safe_name("a/b c") == "a_b_c"
    with pytest.raises(ValueError):
        safe_name("")


# ------------------------------------------------------------- manifests: corrupted or foreign parts
def _fn(g):
    return pd.DataFrame({"gene": [g], "v": [len(g)]})


PROV = {"seed": 0, "n_shuffles": 10, "model": "synthetic"}


def test_truncated_edited_foreign_and_unmanifested_parts_are_named_and_recomputed(tmp_path, caplog):
    store = ResultStore(tmp_path)
    assert store.run("K562", "necessity", ["a", "bb", "ccc", "dddd"], _fn, progress=False, provenance=PROV) == ["a", "bb", "ccc", "dddd"]
    part = store.part("K562", "necessity", "a")
    part.write_bytes(part.read_bytes()[:-3])  # truncated
    store.manifest("K562", "necessity", "bb").unlink()  # killed between part and manifest
    import json

    m = store.manifest("K562", "necessity", "ccc")
    meta = json.loads(m.read_text())
    m.write_text(json.dumps({**meta, "creme_lib": "0.0.1"}))
    assert store.check("K562", "necessity", "a", PROV).startswith("differs from its manifest's sha256")
    assert store.check("K562", "necessity", "bb", PROV).startswith("has no manifest")
    assert store.check("K562", "necessity", "ccc", PROV).startswith("was written by creme_lib 0.0.1")
    assert store.check("K562", "necessity", "dddd", {**PROV, "n_shuffles": 3}) == "was written with n_shuffles=10 (this run: 3)"
    with pytest.raises(Exception, match=r"a\.csv differs from its manifest's sha256.*rerun the step"):
        store.collect("K562", "necessity", ["a", "dddd"], provenance=PROV)  # never merged silently
    with caplog.at_level("WARNING", logger="creme_lib.store"):
        again = store.run("K562", "necessity", ["a", "bb", "ccc", "dddd"], _fn, progress=False, provenance=PROV)
    assert again == ["a", "bb", "ccc"]
    assert "recomputing 3 parts: a.csv differs" in caplog.text and "bb.csv has no manifest" in caplog.text
    assert store.collect("K562", "necessity", ["dddd", "a", "bb", "ccc"], provenance=PROV)["gene"].tolist() == ["a", "bb", "ccc", "dddd"]
    # Another configuration's parts are recomputed under this one's.
    assert store.run("K562", "necessity", ["a"], _fn, progress=False, provenance={**PROV, "seed": 1}) == ["a"]


def test_parts_of_genes_outside_the_current_set_are_left_out(tmp_path, caplog):
    store = ResultStore(tmp_path)
    store.run("K562", "necessity", ["a", "b", "c"], _fn, progress=False, provenance=PROV)
    with caplog.at_level("INFO", logger="creme_lib.store"):
        df = store.collect("K562", "necessity", ["a", "c"], provenance=PROV)
    assert df["gene"].tolist() == ["a", "c"] and "1 parts of genes outside the current set left out (e.g. b)" in caplog.text


def test_temporary_files_of_killed_writers_are_cleared(tmp_path):
    import socket

    from creme_lib.store import clear_stale_temps

    target = tmp_path / "t.csv"
    host = socket.gethostname().replace(".", "_")
    dead = tmp_path / f".t.csv.{host}-999999999.x1.tmp"
    dead_other_name = tmp_path / f".u.csv.{host}-999999998.x4.tmp"
    live = tmp_path / f".t.csv.{host}-{os.getpid()}.x2.tmp"
    other = tmp_path / ".t.csv.some-other-node-12.x3.tmp"
    for f in (dead, dead_other_name, live, other):
        f.write_text("partial")
    assert sorted(clear_stale_temps(tmp_path)) == sorted([dead, dead_other_name])
    atomic_write_csv(pd.DataFrame({"a": [1]}), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name, "t.csv"])
    dead.write_text("partial")
    assert clear_stale_temps(tmp_path) == []  # one scan per folder and process ...
    assert clear_stale_temps(tmp_path, force=True) == [dead]  # ... unless asked again


# ------------------------------------------------------------------- locks: concurrent runs
def _hold_lock(root, gene, started, release):
    """Child process: hold a part's lock (as a computing run does) until told to stop."""
    store = ResultStore(root)
    with store._locked("K562", "necessity", gene) as got:
        assert got
        started.set()
        release.wait(30)


def test_a_part_locked_by_a_live_process_is_waited_for_then_named(tmp_path):
    import multiprocessing as mp

    from creme_lib.store import LockTimeout

    ctx = mp.get_context("fork")
    started, release = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_hold_lock, args=(tmp_path, "b", started, release))
    child.start()
    try:
        assert started.wait(30)
        store = ResultStore(tmp_path, wait_s=0.5, poll_s=0.05)
        with pytest.raises(LockTimeout, match=rf"b\.csv is being computed by another process \(pid {child.pid} on .*b\.lock"):
            store.run("K562", "necessity", ["a", "b"], _fn, progress=False, provenance=PROV)
        assert store.done("K562", "necessity", "a", PROV) and not store.part("K562", "necessity", "b").exists()
    finally:
        release.set()
        child.join(30)
    # The holder finished without writing: the waiting run takes the part over.
    store = ResultStore(tmp_path, wait_s=5, poll_s=0.05)
    assert store.run("K562", "necessity", ["a", "b"], _fn, progress=False, provenance=PROV) == ["b"]
    assert not list(tmp_path.rglob("*.lock"))


def test_a_stale_lock_of_a_killed_process_is_cleared(tmp_path, caplog):
    store = ResultStore(tmp_path)
    lock = store.lock("K562", "necessity", "a")
    lock.parent.mkdir(parents=True)
    lock.write_text("pid 4242 on node7 since 2026-12-01 10:00:00")  # a killed holder: nobody flocks it
    with caplog.at_level("WARNING", logger="creme_lib.store"):
        assert store.run("K562", "necessity", ["a"], _fn, progress=False, provenance=PROV) == ["a"]
    assert "cleared a stale lock left by a killed process (pid 4242 on node7" in caplog.text
    assert not lock.exists()


def _slow_run(root, genes, log_path):
    import time as _t

    def fn(g):
        with open(log_path, "a") as fh:
            fh.write(f"{os.getpid()} {g}\n")
        _t.sleep(0.05)
        return _fn(g)

    ResultStore(root, wait_s=60, poll_s=0.02).run("K562", "necessity", genes, fn, progress=False, provenance=PROV)


def test_two_runs_on_one_folder_never_compute_a_part_twice(tmp_path):
    import multiprocessing as mp

    genes = [f"g{i:02d}" for i in range(30)]
    log_path = tmp_path / "calls.txt"
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_slow_run, args=(tmp_path / "res", order, log_path)) for order in (genes, genes[::-1])]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    calls = log_path.read_text().split("\n")[:-1]
    computed = [c.split()[1] for c in calls]
    assert sorted(computed) == genes  # each part exactly once, by one of the two runs
    assert len({c.split()[0] for c in calls}) == 2  # both worked
    df = ResultStore(tmp_path / "res").collect("K562", "necessity", genes, provenance=PROV)
    assert df["gene"].tolist() == genes


def test_result_store_owns_the_table_layout(tmp_path):
    store = ResultStore(tmp_path)
    assert store.table_path("HCT116 x/y", "greedy_search/min_traces") == tmp_path / "HCT116_x_y" / "greedy_search" / "min_traces.csv"
    assert store.table_path(None, "necessity_test") == tmp_path / "necessity_test.csv"
    df = pd.DataFrame({"0": [1.5, 2.0]}, index=["wt", "greedy_it1"])
    path = store.write_table("K562", "greedy_search/min_second_iteration", df, index=True)
    assert path.read_text() == ",0\nwt,1.5\ngreedy_it1,2.0\n"
    pd.testing.assert_frame_equal(store.read_table("K562", "greedy_search/min_second_iteration", index_col=0), df)
    with pytest.raises(FileNotFoundError, match="table not found"):
        store.read_table("K562", "necessity_test")

