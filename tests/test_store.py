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
