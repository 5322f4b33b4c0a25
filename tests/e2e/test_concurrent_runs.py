"""Two `tandem run` processes started at the same moment on overlapping inputs, against one SQLite file and one
PostgreSQL database: both finish with exit 0 (no document failed), every document has exactly one result per stage, and neither
dies with "database is locked" — their ephemeral Prefect APIs share one Prefect home too."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.reliability import check_store, cli_env, start_run, two_stage_spec, write_corpus

pytestmark = pytest.mark.slow


def test_two_runs_at_once_on_overlapping_inputs(db_url: str, tmp_path: Path) -> None:
    # 0…1999 and 1000…2999: 1,000 documents in both
    first, second = write_corpus(tmp_path / "a.jsonl", 0, 2000), write_corpus(tmp_path / "b.jsonl", 1000, 3000)
    spec, env = two_stage_spec(tmp_path), cli_env(tmp_path)
    runs = [start_run(corpus, spec, db_url, env, tmp_path / f"{corpus.stem}.log") for corpus in (first, second)]
    codes = []
    for process in runs:
        try:
            codes.append(process.wait(timeout=600))
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    logs = [(tmp_path / f"{name}.log").read_text(errors="replace") for name in ("a", "b")]
    assert codes == [0, 0], (codes, [log[-2000:] for log in logs])  # 0: every document succeeded
    assert not any("database is locked" in log for log in logs)
    counts = check_store(db_url, 3000)
    assert counts["failed"] == 0, counts
    print(f"\nconcurrent runs ({db_url.split(':')[0]}): exit codes {codes}, {counts}")
