"""``tandem search`` / ``tandem dedup`` refuse a database without vectors of the query's model, before loading it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from typer.testing import CliRunner

from tandem.cli import app
from tandem.flows.execution import run_stage_batch
from tandem.stages import registry
from tandem.stages.pipeline_spec import Pipeline
from tandem.storage import repository as repo
from tandem.storage.db import create_db_engine, unit_of_work
from tests.specialists.test_embedding import FakeEmbed

runner = CliRunner()


def test_search_and_dedup_refuse_vectors_of_another_model(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    engine = create_db_engine(url)
    registry.register("embed.fake", FakeEmbed)
    try:
        with unit_of_work(engine) as session:
            ids = repo.register_documents(session, [repo.DocumentRecord(hashlib.sha256(t.encode()).hexdigest(),
                                                                        f"{t}.txt", t) for t in ("one", "two")])
        run_stage_batch(engine, Pipeline.build([{"stage": "embed.fake", "input": "text"}], name="e"), 0, ids, None)
    finally:
        registry._user.clear()
    engine.dispose()
    found = runner.invoke(app, ["search", "anything", "--db", url])
    assert found.exit_code == 1
    assert "no vectors of model 'sentence-transformers/all-MiniLM-L6-v2+int8'" in found.stderr
    assert "fake-encoder (dim 16, 2 vectors)" in found.stderr
    groups = runner.invoke(app, ["dedup", "--db", url])
    assert groups.exit_code == 1 and "fake-encoder" in groups.stderr
    assert runner.invoke(app, ["search", "  ", "--db", url]).exit_code == 2
    assert runner.invoke(app, ["search", "x", "--run", "nope", "--db", url]).exit_code == 2
