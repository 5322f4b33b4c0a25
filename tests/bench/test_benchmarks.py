"""Every benchmark in ``bench/`` runs in its quick mode and ends with its JSON line (the figures themselves
are measured on an idle machine and kept in docs/benchmarks.md, not asserted here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
KEYS = {
    "overhead": {"ratio", "command_ratio", "loop_docs_s", "flow_docs_s", "fixed_s"},
    "scale": {"ratio", "speed_ratio", "peak_rss_mb", "baseline_peak_rss_mb"},
    "storage": {"sqlite_rows_s", "sqlite_upsert_rows_s"},
    "rerun": {"ratio", "llm_calls", "command_ratio"},
    "memory": {"peak_rss_mb"},
    "dask": {"ratio", "docs_s_1", "docs_s_2"},
    "llm_sharing": {"ratio", "unshared_ratio", "alone_flow_s", "llm_calls"},
    "ocr": {"ratio", "cer_ocr", "cer_cleanup", "worse_by_1pt", "ocr_pages_s"},
}


@pytest.mark.parametrize("name", sorted(KEYS))
def test_benchmark_quick_mode_reports_its_figures(name: str, tmp_path: Path) -> None:
    if name == "dask":
        pytest.importorskip("prefect_dask")
    if name == "ocr":
        import shutil

        if shutil.which("tesseract") is None:
            pytest.skip("Tesseract is not installed")
        if not (REPO.parent / "shared" / "datasets" / "ocr_overproof").is_dir():
            pytest.skip("the shared overProof data is absent")
    env = {**os.environ, "TANDEM_HOME": str(tmp_path / "home")}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([sys.executable, str(REPO / "bench" / f"{name}.py"), "--quick"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["benchmark"] == name
    assert KEYS[name] <= set(last), sorted(last)
    if name == "rerun":
        assert last["llm_calls"] == 0  # a rerun reuses every stored result
