"""A password-bearing PostgreSQL ``--db`` never shows its password: not in ``tandem run``'s output or error, nor in
the parameters the pipeline flow (Prefect) gets. No server needed: port 1 refuses at once."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from tandem.cli import app
from tandem.storage.db import PASSWORD_ENV

runner = CliRunner()
PASSWORD = "sekritpw"
URL = f"postgresql+psycopg://u:{PASSWORD}@127.0.0.1:1/x"


@pytest.fixture()
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import tandem.flows.server

    monkeypatch.delenv(PASSWORD_ENV, raising=False)  # whatever the command sets there is undone afterwards
    monkeypatch.setattr(tandem.flows.server, "launch", lambda: None)  # no temporary Prefect API for these tests
    (tmp_path / "a.txt").write_text("Anna Schmidt flew to Paris on Monday.")
    return tmp_path


def test_a_refused_connection_is_one_error_without_the_password(documents: Path) -> None:
    result = runner.invoke(app, ["run", str(documents), "--pipeline", "ner", "--db", URL])
    assert result.exit_code == 2, result.output
    assert "cannot open the results database" in result.stderr and "u:***@127.0.0.1:1/x" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert result.exception is None or PASSWORD not in str(result.exception)


def test_the_flow_parameters_carry_no_password(documents: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tandem.flows.pipeline
    import tandem.flows.server
    import tandem.storage.db

    connected: list[str] = []
    parameters: dict[str, Any] = {}

    def fake_engine(url: str | None = None, **_kwargs: Any) -> Any:  # the database accepts: as PostgreSQL would
        connected.append(str(tandem.storage.db.connect_url(url or "").password))
        return SimpleNamespace(dispose=lambda: None)

    def fake_flow(**kwargs: Any) -> Any:  # the parameters Prefect would store with the flow run
        parameters.update(kwargs)
        return SimpleNamespace(run_id=1, succeeded=1, failed=0, documents=1)

    monkeypatch.setattr(tandem.storage.db, "create_db_engine", fake_engine)
    monkeypatch.setattr(tandem.flows.pipeline, "pipeline_flow", lambda *_args: fake_flow)
    monkeypatch.setattr(tandem.flows.server, "launch", lambda: None)
    result = runner.invoke(app, ["run", str(documents), "--pipeline", "ner", "--db", URL, "--format", "none"])
    assert result.exit_code == 0, result.output
    assert connected == [PASSWORD], "the check connects with the real password"
    assert parameters["db_url"] == "postgresql+psycopg://u:***@127.0.0.1:1/x"
    assert PASSWORD not in repr(parameters) and PASSWORD not in result.stdout + result.stderr
    assert os.environ[PASSWORD_ENV] == PASSWORD  # how the flow's processes connect
