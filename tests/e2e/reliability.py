"""Helpers of the reliability tests: a corpus, a two-stage specialists pipeline, `tandem run` as a separate
process, and the checks that nothing was lost, doubled or half-written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import DocumentRow, EntityRow, StageResultRow

STAGES = ("summarize.lead", "ner.spacy")


def write_corpus(path: Path, start: int, stop: int) -> Path:
    """SMS-sized records ``m<start>``…``m<stop - 1>`` with names and places for NER (distinct texts)."""
    with path.open("w") as handle:
        for i in range(start, stop):
            text = f"Message {i}: Anna Schmidt met Bob Jones in Paris about order {i * 7}."
            handle.write(json.dumps({"id": f"m{i}", "text": text}) + "\n")
    return path


def two_stage_spec(folder: Path) -> Path:
    spec = folder / "twostage.yaml"
    spec.write_text("name: twostage\nstages:\n" + "".join(f"  - stage: {s}\n    input: text\n" for s in STAGES))
    return spec


def cli_env(folder: Path) -> dict[str, str]:
    """The environment of a `tandem` subprocess: its own Prefect home (ephemeral API), no server configured."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(folder / "prefect-home"), PREFECT_LOGGING_LEVEL="WARNING", COLUMNS="120")
    return env


def tandem_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tandem.cli", *args]


def start_run(corpus: Path, spec: Path, url: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`tandem run` in its own process group (so a test can kill it whole), output to ``log``."""
    return subprocess.Popen(tandem_command("run", str(corpus), "-p", str(spec), "--db", url, "--format", "none",
                                           "--batch-size", "100"),
                            stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, start_new_session=True)


def check_store(url: str, documents: int) -> dict[str, int]:
    """Every document has exactly one result per stage, ok; every entity row belongs to a whole result (as many
    rows as its output lists). Returns the counts a report quotes."""
    engine = create_db_engine(url)
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(DocumentRow)) == documents
        per_stage = session.execute(select(StageResultRow.stage, func.count(), func.count(
            StageResultRow.document_id.distinct())).group_by(StageResultRow.stage)).tuples().all()
        assert sorted(per_stage) == sorted((stage, documents, documents) for stage in STAGES), per_stage
        failed = session.scalar(select(func.count()).select_from(StageResultRow)
                                .where(StageResultRow.status != "ok"))
        entity_rows = dict(session.execute(select(EntityRow.result_id, func.count())
                                           .group_by(EntityRow.result_id)).tuples().all())
        for result_id, output in session.execute(select(StageResultRow.id, StageResultRow.output)
                                                 .where(StageResultRow.stage == "ner.spacy")).tuples():
            assert entity_rows.get(result_id, 0) == len((output or {}).get("entities", [])), result_id
    engine.dispose()
    return {"documents": documents, "results": documents * len(STAGES), "failed": int(failed or 0),
            "lost": 0, "duplicated": 0}
