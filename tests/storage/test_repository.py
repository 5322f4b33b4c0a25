"""Storage on SQLite always, and on PostgreSQL when TANDEM_TEST_PG_URL is set (see .ci/run)."""

import pytest
from sqlalchemy import inspect

from tandem.stages.contracts import Classification, Entities, Entity, StageFailure, Summary, Usage
from tandem.storage import repository as repo
from tandem.storage.db import create_db_engine, describe_db, resolve_db_url, unit_of_work
from tandem.storage.models import DocumentRow, EntityRow, LabelRow, StageResultRow, SummaryRow


def record(key: str, doc_id: int, output=None, failure=None) -> repo.ResultRecord:  # type: ignore[no-untyped-def]
    return repo.ResultRecord(result_key=key, document_id=doc_id, stage="ner.spacy", field="entities",
                             stage_version="1", model_id="m", prompt_version="", output=output, failure=failure,
                             usage=Usage(prompt_tokens=3, completion_tokens=4, llm_calls=1, latency_ms=5.0))


def test_migrations_create_schema_and_are_idempotent(db_url: str) -> None:
    engine = create_db_engine(db_url)
    create_db_engine(db_url)  # second upgrade is a no-op
    tables = set(inspect(engine).get_table_names())
    assert {"documents", "pipeline_runs", "run_documents", "stage_results", "entities", "labels", "summaries",
            "alembic_version"} <= tables


def test_documents_are_deduplicated_by_content_hash(db_url: str) -> None:
    engine = create_db_engine(db_url)
    docs = [repo.DocumentRecord("h1", "a.txt", "one"), repo.DocumentRecord("h2", "b.txt", "two"),
            repo.DocumentRecord("h1", "c.txt", "one")]
    with unit_of_work(engine) as session:
        ids = repo.register_documents(session, docs)
    with unit_of_work(engine) as session:
        again = repo.register_documents(session, docs[:2])
        assert repo.count_rows(session, DocumentRow) == 2
    assert ids[0] == ids[2] == again[0] and ids[1] == again[1]


def test_results_upsert_by_key_and_typed_children(db_url: str) -> None:
    engine = create_db_engine(db_url)
    with unit_of_work(engine) as session:
        (doc_id,) = repo.register_documents(session, [repo.DocumentRecord("h", "a.txt", "IBM in Paris")])
        repo.save_results(session, [record("k1", doc_id, failure=StageFailure(stage="ner.spacy", kind="model_error",
                                                                              message="boom", raw_answer="raw"))])
    with unit_of_work(engine) as session:
        row = repo.results_by_key(session, ["k1"])["k1"]
        assert (row.status, row.error, row.raw_answer) == ("failed", "boom", "raw")
        entities = Entities(entities=[Entity(start=0, end=3, label="ORG", text="IBM"),
                                      Entity(start=7, end=12, label="GPE", text="Paris")])
        repo.save_results(session, [record("k1", doc_id, output=entities)])
    with unit_of_work(engine) as session:
        assert repo.count_rows(session, StageResultRow) == 1
        assert repo.count_rows(session, EntityRow) == 2
        row = repo.results_by_key(session, ["k1"])["k1"]
        assert row.status == "ok" and repo.output_of(row) == entities
        assert (row.prompt_tokens, row.completion_tokens, row.llm_calls) == (3, 4, 1)
        repo.save_results(session, [record("k1", doc_id, output=Entities())])
    with unit_of_work(engine) as session:
        assert repo.count_rows(session, EntityRow) == 0  # children replaced with their parent


def test_labels_and_summaries_are_typed_rows(db_url: str) -> None:
    engine = create_db_engine(db_url)
    with unit_of_work(engine) as session:
        (doc_id,) = repo.register_documents(session, [repo.DocumentRecord("h", "a.txt", "text")])
        repo.save_results(session, [
            record("c", doc_id, output=Classification(label="spam", score=0.9, scores={"spam": 0.9, "ham": 0.1})),
            record("s", doc_id, output=Summary(text="short summary here", method="extractive")),
        ])
    with unit_of_work(engine) as session:
        label = session.query(LabelRow).one()
        summary = session.query(SummaryRow).one()
        assert (label.label, label.score, label.scores["ham"]) == ("spam", 0.9, 0.1)
        assert (summary.method, summary.word_count) == ("extractive", 3)


def test_unit_of_work_rolls_back_on_error(sqlite_url: str) -> None:
    engine = create_db_engine(sqlite_url)
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        repo.register_documents(session, [repo.DocumentRecord("h", "a.txt", "x")])
        raise RuntimeError("crash mid-batch")
    with unit_of_work(engine) as session:
        assert repo.count_rows(session, DocumentRow) == 0


def test_runs_and_url_resolution(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_db_engine(sqlite_url)
    with unit_of_work(engine) as session:
        assert repo.resolve_run_id(session, "last") is None
        run_id = repo.create_run(session, "default", {"stages": []}, "embedded")
        repo.finish_run(session, run_id, "completed", {"documents": 0})
    with unit_of_work(engine) as session:
        assert repo.resolve_run_id(session, "last") == run_id == repo.resolve_run_id(session, str(run_id))
        assert repo.resolve_run_id(session, "999") is None
    monkeypatch.setenv("TANDEM_DB_URL", "sqlite:///env.db")
    assert resolve_db_url(None) == "sqlite:///env.db" and resolve_db_url("sqlite:///x.db") == "sqlite:///x.db"
    monkeypatch.delenv("TANDEM_DB_URL")
    assert resolve_db_url(None) == "sqlite:///tandem.db"
    assert describe_db("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"


def test_nul_characters_are_storable_on_every_database(db_url: str) -> None:
    """PostgreSQL refuses NUL in text and JSONB: a document or an LLM answer holding one is still stored."""
    from tandem.storage.db import create_db_engine, unit_of_work

    engine = create_db_engine(db_url)
    with unit_of_work(engine) as session:
        [doc_id] = repo.register_documents(session, [repo.DocumentRecord("n1", "a.jsonl:1", "bad\x00text")])
        repo.save_results(session, [repo.ResultRecord(
            result_key="kn", document_id=doc_id, stage="classify.llm", field="label", stage_version="1",
            model_id="m", prompt_version="", failure=StageFailure(stage="classify.llm", kind="invalid_answer",
                                                                  message="bad\x00answer", raw_answer="x\x00y"))])
    with unit_of_work(engine) as session:
        assert repo.results_by_key(session, ["kn"])["kn"].raw_answer in ("x\x00y", "x\ufffdy")
