"""The flow's own tasks, called without Prefect (``.fn``): streaming registration in chunks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import tandem.flows.pipeline as pipeline_module
from tandem.flows.execution import RunRef
from tandem.flows.ingest import IngestItem, iter_inputs
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import DocumentRow, PipelineRunRow, RunDocumentRow


def test_inputs_are_registered_in_chunks_in_input_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "docs.jsonl"
    corpus.write_text("".join(f'{{"id": "k{i}", "text": "message {i % 7}"}}\n' for i in range(25)), encoding="utf-8")
    monkeypatch.setattr(pipeline_module, "REGISTER_CHUNK", 4)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    run_id, ids = pipeline_module.register_documents.fn(RunRef(pipeline="ner", db_url=url), [str(corpus)], 5.0)
    assert len(ids) == 7  # 25 records, 7 distinct texts (issue 12 gives every record its own row)
    engine = create_db_engine(url)
    with unit_of_work(engine) as session:
        links = session.scalars(select(RunDocumentRow).where(RunDocumentRow.run_id == run_id)
                                .order_by(RunDocumentRow.position)).all()
        assert [link.document_id for link in links] == ids and [link.position for link in links] == list(range(7))


def test_a_registration_that_breaks_closes_its_run_as_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.txt").write_text("Anna flew to Paris.", encoding="utf-8")

    def then_break(*args: Any, **kwargs: Any) -> Iterator[IngestItem]:
        yield from iter_inputs(*args, **kwargs)
        raise OSError("the disk went away")

    monkeypatch.setattr(pipeline_module, "iter_inputs", then_break)
    monkeypatch.setattr(pipeline_module, "REGISTER_CHUNK", 1)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(OSError, match="disk"):
        pipeline_module.register_documents.fn(RunRef(pipeline="ner", db_url=url), [str(tmp_path / "a.txt")], 5.0)
    engine = create_db_engine(url)
    with unit_of_work(engine) as session:
        run = session.scalars(select(PipelineRunRow)).one()
        assert run.status == "failed" and "OSError" in run.stats["error"]
        assert session.scalar(select(func.count()).select_from(DocumentRow)) == 1  # the chunk stored stays
