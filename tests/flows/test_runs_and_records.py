"""Every input record stays addressable; `tandem runs` lists runs and repairs stale ones; a database that
cannot be opened is one error line without its password (exit 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from tandem.cli import app
from tandem.storage import repository as repo
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import DocumentRow, PipelineRunRow, RunRecordRow

runner = CliRunner()
TEXTS = ["Call 555 now to claim the prize", "Anna Schmidt flew to Paris on Monday",
         "Meeting moved to Tuesday at Microsoft"]


def repeated_records(path: Path, n: int = 300) -> Path:
    """``n`` SMS records ``k000``… whose texts are all distinct but three, each repeated once."""
    with path.open("w") as handle:
        for i in range(n):
            text = TEXTS[i % 3] if i in (7, 157, 211, 8, 159, 212) else f"Message number {i} from Alex in Berlin"
            handle.write(json.dumps({"id": f"k{i:03d}", "text": text}) + "\n")
    return path


def test_every_record_is_listed_under_its_own_id(tmp_path: Path, prefect_harness: None) -> None:
    data = repeated_records(tmp_path / "sms.jsonl")
    url = f"sqlite:///{tmp_path / 'r.db'}"
    result = runner.invoke(app, ["run", str(data), "--pipeline", "ner", "--db", url, "--format", "none"])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(app, ["results", "--db", url, "--format", "json"])
    records = json.loads(shown.stdout)["documents"]
    assert len(records) == 300 and len({r["external_id"] for r in records}) == 300
    by_id = {r["external_id"]: r for r in records}
    assert by_id["k157"]["source"].endswith("sms.jsonl:158") and by_id["k157"]["status"] == "ok"
    # k157 and k007 have the same text: one document, one result, both records point to it
    assert by_id["k157"]["id"] == by_id["k007"]["id"] and by_id["k157"]["outputs"] == by_id["k007"]["outputs"]
    with unit_of_work(create_db_engine(url)) as session:
        assert session.query(DocumentRow).count() == 297
        assert session.scalars(select(RunRecordRow.source).where(RunRecordRow.external_id == "k157")).one() \
            .endswith(":158")
    listing = json.loads(runner.invoke(app, ["runs", "--db", url, "--format", "json"]).stdout)["runs"]
    assert listing[0] | {"started": None, "finished": None, "flow_run_id": None} == {
        "id": 1, "pipeline": "ner", "state": "completed", "started": None, "finished": None, "records": 300,
        "documents": 297, "ok": 297, "failed": 0, "pending": 0, "flow_run_id": None}


def test_a_run_whose_process_died_is_shown_stale_then_repaired_as_crashed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    engine = create_db_engine(url)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    with unit_of_work(engine) as session:
        gone = repo.create_run(session, "ner", {}, None)
        alive = repo.create_run(session, "ner", {}, None)  # this process: alive
        session.execute(update(PipelineRunRow).where(PipelineRunRow.id == gone).values(pid=int(dead.stdout)))
    listing = json.loads(runner.invoke(app, ["runs", "--db", url, "--format", "json"]).stdout)["runs"]
    assert [(r["id"], r["state"]) for r in listing] == [(alive, "running"), (gone, "running (stale)")]
    repaired = runner.invoke(app, ["runs", "--db", url, "--repair", "--format", "json"])
    assert repaired.exit_code == 0
    states = {r["id"]: r["state"] for r in json.loads(repaired.stdout)["runs"]}
    assert states == {alive: "running", gone: "crashed"}
    with unit_of_work(engine) as session:
        assert "killed" in session.get_one(PipelineRunRow, gone).stats["crashed"]


@pytest.mark.parametrize("command", [["run", "."], ["results"], ["runs"]])
def test_an_unreachable_database_is_one_line_without_its_password(command: list[str]) -> None:
    url = "postgresql+psycopg://u:s3cret-Pa55@127.0.0.1:1/x"
    done = subprocess.run([sys.executable, "-m", "tandem.cli", *command, "--db", url], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "80"})
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: cannot open the results database "), lines
    assert "u:***@127.0.0.1:1/x" in lines[0] and "s3cret" not in done.stderr + done.stdout
