"""SIGKILL in the middle of a stage, then a rerun: nothing lost, nothing doubled, nothing half-written, and the
killed run shown as crashed in Tandem's run table and in Prefect."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.reliability import (
    STAGES,
    check_store,
    cli_env,
    start_run,
    tandem_command,
    two_stage_spec,
    write_corpus,
)

pytestmark = pytest.mark.slow

DOCUMENTS = 8_000


def _stored_per_stage(db: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as connection:
        return dict(connection.execute("SELECT stage, count(*) FROM stage_results WHERE status = 'ok' "
                                       "GROUP BY stage").fetchall())


def _last_run_stages(db: Path) -> dict[str, dict[str, int]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as connection:
        stats = connection.execute("SELECT stats FROM pipeline_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    return {name: {k: int(v) for k, v in stage.items() if k in ("processed", "reused", "failed", "skipped")}
            for name, stage in json.loads(stats)["stages"].items()}


def _stored_results(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as connection:
            return int(connection.execute("SELECT count(*) FROM stage_results").fetchone()[0])
    except sqlite3.Error:  # not created yet, or busy
        return 0


def test_a_killed_run_is_resumed_exactly_and_shown_crashed(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus.jsonl", 0, DOCUMENTS)
    spec, db, env = two_stage_spec(tmp_path), tmp_path / "r.db", cli_env(tmp_path)
    url = f"sqlite:///{db}"
    first = start_run(corpus, spec, url, env, tmp_path / "first.log")
    deadline = time.monotonic() + 300
    while _stored_results(db) < 1000 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    stored_when_killed = _stored_results(db)
    assert first.poll() is None, f"the run ended before it could be killed: {(tmp_path / 'first.log').read_text()}"
    os.killpg(first.pid, signal.SIGKILL)  # the CLI, its Prefect API server, everything in the group
    first.wait(timeout=30)
    assert 0 < stored_when_killed < 2 * DOCUMENTS
    stored_before = _stored_per_stage(db)  # what the killed run left, exactly: the rerun must reuse all of it
    assert 0 < sum(stored_before.values()) < 2 * DOCUMENTS, stored_before

    listing = subprocess.run(tandem_command("runs", "--db", url, "--format", "json"), env=env, capture_output=True,
                             text=True, timeout=120, check=True)
    [killed] = json.loads(listing.stdout)["runs"]
    assert killed["state"] == "running (stale)" and killed["pending"] == DOCUMENTS

    second = subprocess.run(tandem_command("run", str(corpus), "-p", str(spec), "--db", url, "--format", "none"),
                            env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]
    counts = check_store(url, DOCUMENTS)
    assert counts["failed"] == 0, counts
    # reused = stored before the kill, computed = the rest, exactly (a rerun recomputing everything fails here)
    rerun_stages = _last_run_stages(db)
    assert set(rerun_stages) == set(STAGES), rerun_stages
    for stage in STAGES:
        before = stored_before.get(stage, 0)
        assert rerun_stages[stage] == {"processed": DOCUMENTS - before, "reused": before, "failed": 0,
                                       "skipped": 0}, (stage, before, rerun_stages[stage])

    runs = json.loads(subprocess.run(tandem_command("runs", "--db", url, "--format", "json"), env=env,
                                     capture_output=True, text=True, timeout=120, check=True).stdout)["runs"]
    states = {run["id"]: run for run in runs}
    assert states[killed["id"]]["state"] == "crashed" and states[killed["id"]]["finished"] is not None
    rerun = next(run for run in runs if run["id"] != killed["id"])
    assert (rerun["state"], rerun["ok"], rerun["pending"]) == ("completed", DOCUMENTS, 0)
    # in Prefect too: the killed flow run was marked crashed by the next run
    with sqlite3.connect(tmp_path / "prefect-home" / "prefect.db") as prefect_db:
        state = prefect_db.execute("SELECT state_type FROM flow_run WHERE id = ?",
                                   (killed["flow_run_id"],)).fetchone()
    assert state is not None and state[0] == "CRASHED", state
    print(f"\nSIGKILL resume: {counts} (results stored when killed: {stored_when_killed})")
