"""``--runner dask`` stores exactly what the default runner stores: both runs over the same documents, into
two databases, compared row by row (results, entities, summaries; ids aside)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tandem.cli import app
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import DocumentRow, EntityRow, PipelineRunRow, StageResultRow, SummaryRow

pytest.importorskip("prefect_dask")
pytestmark = pytest.mark.slow

SPEC = """name: ner-and-lead
stages:
  - stage: ner.spacy
    input: text
  - stage: summarize.lead
    input: text
"""
PEOPLE = ["Anna Schmidt", "John Smith", "Hiro Tanaka", "Grace Hopper"]
PLACES = ["Paris", "Berlin", "Oslo", "Boston", "Sydney"]


def stored(url: str) -> dict[str, list[Any]]:
    engine = create_db_engine(url)
    with unit_of_work(engine) as session:
        hashes = {d.id: d.content_hash for d in session.scalars(select(DocumentRow))}
        results = sorted((hashes[r.document_id], r.stage, r.status, r.result_key, repr(r.output))
                         for r in session.scalars(select(StageResultRow)))
        entities = sorted((hashes[e.document_id], e.start, e.end, e.label, e.text)
                          for e in session.scalars(select(EntityRow)))
        summaries = sorted((hashes[s.document_id], s.method, s.text) for s in session.scalars(select(SummaryRow)))
    engine.dispose()
    return {"results": results, "entities": entities, "summaries": summaries}


def test_dask_runner_stores_the_same_rows_as_the_default_runner(tmp_path: Path, prefect_harness: None) -> None:
    corpus = tmp_path / "docs.jsonl"
    lines = [f'{{"id": "d{i}", "text": "{PEOPLE[i % 4]} flew to {PLACES[i % 5]} on day {i}. '
             f'The trip was long. Talks followed."}}' for i in range(40)]
    corpus.write_text("\n".join(lines) + '\n{"id": "bad", "text": ""}\n', encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    urls = {name: f"sqlite:///{tmp_path / name}.db" for name in ("local", "dask", "cluster")}
    runner = CliRunner()
    from distributed import LocalCluster

    # worker processes of their own (not threads of this process, which already loaded the pipeline in the
    # local run): their models are loaded by the warm-up alone
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        for name, extra in (("local", []), ("dask", ["--runner", "dask", "--workers", "2"]),
                            ("cluster", ["--runner", "dask", "--dask-address", cluster.scheduler_address])):
            result = runner.invoke(app, ["run", str(corpus), "--pipeline", str(spec), "--db", urls[name],
                                         "--batch-size", "7", "--format", "none", *extra])
            assert result.exit_code == 3, result.output  # the empty record fails, the rest succeed
    local = stored(urls["local"])
    assert len(local["results"]) == 2 * 40 + 1 and len(local["entities"]) >= 80
    assert stored(urls["dask"]) == local and stored(urls["cluster"]) == local
    # every worker, a fresh process that had loaded nothing, loaded its models before its first batch (the
    # warm-up, during registration): no batch waited for a model
    for name in ("dask", "cluster"):
        engine = create_db_engine(urls[name])
        with unit_of_work(engine) as session:
            stats = session.scalars(select(PipelineRunRow.stats)).one()
        engine.dispose()
        assert stats["timings"]["load_s"] < 0.05, (name, stats["timings"])
