"""Every benchmark in ``bench/`` runs in its quick mode, ends with its JSON line, and that line shows the property
the benchmark is about (a rerun reuses every result, the upsert leaves no duplicate, ...): something a broken
implementation would violate. Speeds and timings are measured on an idle machine and kept in docs/benchmarks.md,
never asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import shared_datasets_dir

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
    "search": {"embed_sentences_s", "search_p95_ms", "dedup_s", "peak_rss_mb"},
    "legal_speed": {"ratio", "bills_s_16", "bills_s_64"},
}


def _overhead(r: dict[str, Any]) -> None:
    # every generated document registered, and one ok result stored per document and stage
    assert r["docs"] == 200 and r["documents"] == r["docs"] and r["failed"] == 0, r
    assert r["stored_ok"] == r["docs"] * r["stages"], r


def _scale(r: dict[str, Any]) -> None:
    # both sizes complete: one ok result per document and stage (the inputs are streamed in chunks)
    assert (r["docs"], r["baseline_docs"]) == (2000, 200), r
    assert r["stored_ok"] == r["docs"] * r["stages"] and r["failed"] == 0, r
    assert r["baseline_stored_ok"] == r["baseline_docs"] * r["stages"] and r["baseline_failed"] == 0, r
    assert r["peak_rss_mb"] > 0 and r["baseline_peak_rss_mb"] > 0, r


def _storage(r: dict[str, Any]) -> None:
    # the upsert replaced every row: no duplicate result, none left from the first write, no duplicate entity
    assert r["sqlite_stored"] == r["sqlite_replaced"] == r["sqlite_entities"] == r["rows"] == 1000, r


def _rerun(r: dict[str, Any]) -> None:
    # the first run computes everything (LLM included); the rerun computes nothing and reuses every result
    assert r["pipeline"] == "default" and r["first_llm_calls"] >= 1 and r["first_failed"] == 0, r
    assert r["llm_calls"] == 0 and r["rerun_processed"] == 0, r
    assert r["rerun_reused"] == r["first_processed"] > 0, r


def _memory(r: dict[str, Any]) -> None:
    # the default pipeline ran every document with its LLM; the sampler saw the command's processes (the
    # temporary API is one of its children) and a peak that fits a 2 GB machine
    assert r["pipeline"] == "default" and r["llm_calls"] >= 1, r
    assert r["documents"] >= 1 and r["failed"] == 0, r
    assert r["processes"] >= 2 and 0 < r["peak_rss_mb"] < 2048, r


def _dask(r: dict[str, Any]) -> None:
    # 1 worker and 2 workers each stored one ok result per document and stage, none failed
    assert r["stored_ok"] == [r["docs"] * r["stages"]] * 2 and r["failed"] == [0, 0], r


def _llm_sharing(r: dict[str, Any]) -> None:
    # each run beside another made the LLM calls of a run alone (its own database: nothing reused); every
    # run exited 0 (no document failed)
    assert r["pipeline"] == "default" and r["llm_calls"] >= 1, r
    assert r["shared_llm_calls"] == r["unshared_llm_calls"] == [r["llm_calls"]] * 2, r
    assert r["exit_codes"] == [0] * 5, r


def _ocr(r: dict[str, Any]) -> None:
    # Tesseract read the noisy scans (some errors, far fewer than a fifth of the characters: about 1 % here) and
    # cleanup made no article worse by more than a point
    assert r["articles"] == 2 and r["pages"] >= r["articles"], r
    assert 0 < r["cer_ocr"] < 0.2 and 0 <= r["cer_cleanup"] < 0.2 and r["worse_by_1pt"] == 0, r


def _search(r: dict[str, Any]) -> None:
    # exact search puts every query's planted neighbour first, and dedup finds the one planted duplicate pair (and
    # nothing among random vectors)
    assert r["vectors"] == 5000 and r["planted_first"] == r["queries"] == 20, r
    assert r["planted_pair_found"] and r["dedup_groups"] == 1, r
    assert r["embed_sentences_s"] > 0 and r["peak_rss_mb"] > 0, r
    assert r["index_planted_first"] == r["queries"] and r["index_build_s"] > 0, r  # the sqlite-vec index agrees


def _legal_speed(r: dict[str, Any]) -> None:
    # both batch sizes give the same embeddings (to float rounding) and the same summary of every bill
    assert r["bills"] == 5 and r["same_summaries"] == r["bills"], r
    assert r["max_embedding_diff"] < 1e-5 and r["bills_s_16"] > 0 and r["bills_s_64"] > 0, r


PROPERTIES: dict[str, Callable[[dict[str, Any]], None]] = {
    "overhead": _overhead, "scale": _scale, "storage": _storage, "rerun": _rerun, "memory": _memory,
    "dask": _dask, "llm_sharing": _llm_sharing, "ocr": _ocr, "search": _search, "legal_speed": _legal_speed,
}


@pytest.mark.parametrize("name", sorted(KEYS))
def test_benchmark_quick_mode_shows_its_property(name: str, tmp_path: Path) -> None:
    if name == "dask":
        pytest.importorskip("prefect_dask")
    if name == "ocr":
        import shutil

        if shutil.which("tesseract") is None:
            pytest.skip("Tesseract is not installed")
        if not (shared_datasets_dir() / "ocr_overproof").is_dir():
            pytest.skip("the shared overProof data is absent")
    env = {**os.environ, "TANDEM_HOME": str(tmp_path / "home")}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([sys.executable, str(REPO / "bench" / f"{name}.py"), "--quick"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["benchmark"] == name
    assert KEYS[name] <= set(last), sorted(last)
    PROPERTIES[name](last)
