"""The interactive and scheduled path end to end, against a real Prefect server:

``tandem server start`` on a free loopback port → ``tandem serve`` with a cron schedule → the deployment
and its schedule read back through the Prefect client → ``tandem trigger --wait`` → the results in the
database → the run's markdown artifact read back from the server by its key, under the flow run's
descriptive name → a one-document ``tandem run`` that finds the server by itself → ``tandem server stop``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import EntityRow, PipelineRunRow

pytestmark = pytest.mark.slow

TANDEM = str(Path(sys.executable).with_name("tandem"))
DOCS = ["Anna Schmidt met the Mayor of Paris on Tuesday.", "Google opened an office in Berlin."]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def server_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A Prefect server of its own (its own PREFECT_HOME and TANDEM_HOME), stopped afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(TANDEM_HOME=str(tmp_path / "tandem-home"), PREFECT_HOME=str(tmp_path / "prefect-home"),
               PREFECT_LOGGING_LEVEL="INFO")
    port = free_port()
    started = subprocess.run([TANDEM, "server", "start", "--port", str(port)], env=env, capture_output=True,
                             text=True, timeout=180)
    assert started.returncode == 0, started.stderr + started.stdout
    assert f"http://127.0.0.1:{port}" in started.stdout
    env["TANDEM_TEST_API_URL"] = f"http://127.0.0.1:{port}/api"
    try:
        yield env
    finally:
        stopped = subprocess.run([TANDEM, "server", "stop"], env=env, capture_output=True, text=True, timeout=60)
        assert "stopped the Prefect server" in stopped.stdout


def test_serve_schedule_trigger_results_and_artifact(server_env: dict[str, str], tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.settings import PREFECT_API_URL, temporary_settings

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for number, text in enumerate(DOCS):
        (inbox / f"doc{number}.txt").write_text(text, encoding="utf-8")
    db = tmp_path / "results.db"
    api = server_env["TANDEM_TEST_API_URL"]
    assert subprocess.run([TANDEM, "server", "status"], env=server_env, capture_output=True,
                          timeout=30).returncode == 0

    serve = subprocess.Popen(
        [TANDEM, "serve", str(inbox), "--cron", "0 2 * * *", "--name", "e2e", "--pipeline", "ner",
         "--db", f"sqlite:///{db}"], env={**server_env, "PREFECT_API_URL": api},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
            deployment = None
            deadline = time.monotonic() + 120
            while deployment is None and time.monotonic() < deadline:
                try:
                    deployment = client.read_deployment_by_name("tandem-pipeline/e2e")
                except Exception:  # noqa: BLE001 - not registered yet
                    time.sleep(1)
            assert deployment is not None, "tandem serve did not register its deployment"
            assert [s.schedule.cron for s in deployment.schedules] == ["0 2 * * *"]
            assert deployment.parameters["pipeline"] == "ner"

            triggered = subprocess.run([TANDEM, "trigger", "--deployment", "e2e", "--wait"],
                                       env={**server_env, "PREFECT_API_URL": api}, capture_output=True, text=True,
                                       timeout=300)
            assert triggered.returncode == 0, triggered.stderr
            assert "Completed" in triggered.stderr

            engine = create_db_engine(f"sqlite:///{db}")
            with unit_of_work(engine) as session:
                run = session.scalars(select(PipelineRunRow)).one()
                assert run.status == "completed" and run.stats["documents"] == 2
                assert session.scalar(select(func.count()).select_from(EntityRow)) >= 3
            engine.dispose()

            artifacts = client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"tandem-run-{run.id}"])))
            assert artifacts and "2** documents" in str(artifacts[0].data)
            flow_run = client.read_flow_run(artifacts[0].flow_run_id)  # type: ignore[arg-type]
            assert flow_run.name.startswith("ner · inbox · ")
            assert str(flow_run.id) == run.flow_run_id
    finally:
        os.killpg(serve.pid, 15)
        serve.wait(timeout=60)

    # a plain `tandem run` finds the running server by itself (no PREFECT_API_URL) and records its run there
    one = tmp_path / "one.txt"
    one.write_text("Kate flew from London to Oslo.", encoding="utf-8")
    started = time.perf_counter()
    single = subprocess.run([TANDEM, "run", str(one), "--pipeline", "ner", "--db", f"sqlite:///{db}",
                             "--format", "none"], env=server_env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - started
    assert single.returncode == 0, single.stderr
    assert "Starting temporary server" not in single.stderr
    with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        names = [r.name for r in client.read_flow_runs()]
    assert any(name.startswith("ner · one.txt · ") for name in names), names
    print(f"one-document tandem run against the server: {elapsed:.1f} s")
