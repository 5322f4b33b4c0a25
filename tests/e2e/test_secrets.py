"""Secrets stay secret: with a recognisable API key and database password, runs against servers that reject them
write neither anywhere — not the output, the logs, the results database, Prefect's database (flow-run parameters,
logs, artifacts) nor error messages."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.e2e.reliability import cli_env, tandem_command

pytestmark = pytest.mark.slow

API_KEY = "sk-tandem-KEY-4f9a1c77e0"
DB_PASSWORD = "pw-tandem-DB-77b2c9d1"


class _RejectingLLM(http.server.BaseHTTPRequestHandler):
    """An OpenAI-compatible server that refuses every key, quoting it in full in its error (worse than OpenAI)."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"error": {"message": f"Incorrect API key provided: {self.headers.get('Authorization')}",
                                     "type": "invalid_request_error", "code": "invalid_api_key"}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def rejecting_llm() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RejectingLLM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _files_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_no_secret_is_written_anywhere(tmp_path: Path, rejecting_llm: str) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Angela Merkel visited Microsoft in Seattle on Monday to discuss climate policy "
                                "with the company's leaders and officials, then flew on to Paris for more talks. "
                                "The talks covered data centres, energy prices and the training of young engineers "
                                "in both countries, and ended with a joint statement on research funding.")
    env = cli_env(tmp_path) | {"OPENAI_API_KEY": API_KEY}
    outputs = []
    # 1. the LLM server refuses the key: the documents fail, the run finishes (exit 3)
    results_db = tmp_path / "results.db"
    run = subprocess.run(tandem_command("run", str(docs), "--llm", f"openai:gpt-test@{rejecting_llm}", "--db",
                                        f"sqlite:///{results_db}", "--format", "json"),
                         env=env, capture_output=True, text=True, timeout=600)
    outputs.append(run.stdout + run.stderr)
    assert run.returncode == 3, run.stderr[-3000:]
    assert "401" in run.stdout or "API key" in run.stdout, "the refusal is recorded"
    # 2. the database refuses the connection: one error line, exit 2
    refused = f"postgresql+psycopg://tandem:{DB_PASSWORD}@127.0.0.1:{_closed_port()}/tandem"
    for command in (["run", str(docs)], ["runs"], ["results"]):
        done = subprocess.run(tandem_command(*command, "--db", refused), env=env, capture_output=True, text=True,
                              timeout=300)
        outputs.append(done.stdout + done.stderr)
        assert done.returncode == 2 and "cannot open the results database" in done.stderr
    # 3. a database that accepts it (PostgreSQL in CI): the password must not reach Prefect's flow-run parameters
    pg = os.environ.get("TANDEM_TEST_PG_URL")
    if pg:
        name = f"tandem_secret_{os.getpid()}"
        admin = create_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        accepted = make_url(pg).set(database=name, password=DB_PASSWORD).render_as_string(hide_password=False)
        try:
            done = subprocess.run(tandem_command("run", str(docs), "--pipeline", "ner", "--db", accepted, "--format",
                                                 "json"), env=env, capture_output=True, text=True, timeout=600)
            outputs.append(done.stdout + done.stderr)
            assert done.returncode == 0, done.stderr[-3000:]
            dump = create_engine(make_url(pg).set(database=name))
            with dump.connect() as connection:
                for table in ("documents", "pipeline_runs", "stage_results", "run_records"):
                    rows = connection.execute(text(f"SELECT * FROM {table}")).all()
                    assert not any(DB_PASSWORD in str(row) or API_KEY in str(row) for row in rows), table
            dump.dispose()
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    everything = "\n".join(outputs).encode() + results_db.read_bytes() + _files_under(tmp_path / "prefect-home")
    assert API_KEY.encode() not in everything and DB_PASSWORD.encode() not in everything
    # the places searched did hold the run: Prefect's database has its parameters and the artifact
    prefect_db = _files_under(tmp_path / "prefect-home")
    assert b"tandem-run-1" in prefect_db and b"gpt-test" in prefect_db
    if pg:
        assert b"tandem:***@" in prefect_db or b"***@127.0.0.1" in prefect_db
