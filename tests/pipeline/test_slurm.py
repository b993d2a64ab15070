"""The pipeline through a real Slurm (scripts/slurm_local.sh): tables byte-identical to a local run.

Runs where Slurm answers (``sinfo``); ``.ci/run`` starts a one-node cluster and runs the
script itself after the suite, so this test skips there.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _slurm_up() -> bool:
    if shutil.which("sinfo") is None:
        return False
    res = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True)
    return res.returncode == 0 and any(s.startswith(("idle", "mix", "alloc")) for s in res.stdout.split())


@pytest.mark.slurm
@pytest.mark.skipif(not _slurm_up(), reason="no running Slurm (sinfo); .ci/run starts one for scripts/slurm_local.sh")
def test_slurm_run_matches_a_local_run(tmp_path):
    env = {**os.environ, "PY": str(Path(os.sys.executable))}
    res = subprocess.run(["bash", str(ROOT / "scripts" / "slurm_local.sh"), str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=1800)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    assert "byte-identical between the Slurm run and the local run" in res.stdout
