"""``tandem run`` without a Prefect server: the temporary API it starts early, used and stopped."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tandem.flows import server as temporary_api

REPO = Path(__file__).resolve().parents[2]


def test_no_temporary_api_when_prefect_names_one() -> None:
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        assert temporary_api.launch() is None
    with temporary_settings(updates={PREFECT_SERVER_EPHEMERAL_ENABLED: False}):
        assert temporary_api.launch() is None


def test_a_launched_api_that_prefect_does_not_want_is_stopped_unused(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    api = temporary_api.TemporaryApi()
    assert api.process is not None
    process = api.process
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        assert api.use() is None
    assert api.process is None and process.poll() is not None


@pytest.mark.slow
def test_tandem_run_records_its_flow_run_in_the_prefect_home_and_leaves_no_server(tmp_path: Path) -> None:
    doc = tmp_path / "letter.txt"
    doc.write_text("Angela Merkel met Emmanuel Macron in Paris on Monday.", encoding="utf-8")
    home = tmp_path / "prefect"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_HOME=str(home), TANDEM_HOME=str(tmp_path / "tandem"), PREFECT_LOGGING_LEVEL="INFO")
    out = subprocess.run([sys.executable, "-m", "tandem.cli", "run", str(doc), "--pipeline", "ner", "--db",
                          f"sqlite:///{tmp_path / 'results.db'}", "--format", "none"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "View at" not in out.stderr  # the temporary API serves no UI and stops with the command
    with sqlite3.connect(home / "prefect.db") as prefect_db:
        runs = prefect_db.execute("SELECT name, state_type FROM flow_run").fetchall()
    assert runs == [(f"ner · letter.txt · {runs[0][0].rsplit(' · ', 1)[1]}", "COMPLETED")]
    leftovers = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if "uvicorn" in " ".join(process.info["cmdline"] or []) and \
                    process.environ().get("PREFECT_HOME") == str(home):
                leftovers.append(process.pid)
        except psutil.Error:
            continue
    assert leftovers == []
