"""Comparisons in SQL: migration 0002 upgrades a 0001 database without loss; a comparison round-trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert, inspect, select

from tandem.flows.compare_store import ComparisonNotFoundError, load_comparison, save_comparison
from tandem.specialists.comparison.cost import CostModel
from tandem.specialists.comparison.report import ComparisonReport, SystemReport
from tandem.stages.contracts import Classification, Usage
from tandem.storage import repository as repo
from tandem.storage.db import create_db_engine, migrate, unit_of_work
from tandem.storage.models import ComparisonSystemRow, DocumentRow, PipelineRunRow, StageResultRow


def test_a_0001_database_upgrades_to_head_with_its_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_db_engine(url, migrate_schema=False)
    migrate(old, "0001")
    assert "comparisons" not in inspect(old).get_table_names()
    with unit_of_work(old) as session:  # the 0001 tables, written with the 0001 columns only
        run_id = session.execute(insert(PipelineRunRow).values(  # only the columns 0001 has
            pipeline="default", spec={"stages": ["classify.spam"]}).returning(PipelineRunRow.id)).scalar_one()
        [doc_id] = repo.register_documents(session, [repo.DocumentRecord("h1", "a.txt", "Win a prize now")])
        repo.save_results(session, [repo.ResultRecord(
            result_key="k1", document_id=doc_id, stage="classify.spam", field="spam", stage_version="1",
            model_id="m", prompt_version="", output=Classification(label="spam", score=0.9),
            usage=Usage(latency_ms=1.5), run_id=run_id)])
    old.dispose()

    engine = create_db_engine(url)  # migrates to head
    tables = set(inspect(engine).get_table_names())
    assert {"comparisons", "comparison_systems", "documents", "stage_results", "labels"} <= tables
    with unit_of_work(engine) as session:
        document = session.scalars(select(DocumentRow)).one()
        result = session.scalars(select(StageResultRow)).one()
        assert (document.text, document.source) == ("Win a prize now", "a.txt")
        assert result.output == {"label": "spam", "score": 0.9, "scores": {}} and result.labels[0].label == "spam"
        assert repo.resolve_comparison_id(session, "last") is None


def test_a_comparison_round_trips_as_the_same_json(db_url: str) -> None:
    engine = create_db_engine(db_url)
    with pytest.raises(ComparisonNotFoundError, match="no comparison stored yet"):
        load_comparison(engine, "last")
    report = ComparisonReport(task="classify", gold="g.tsv", docs=3, cost_model=CostModel(price_in=0.15), systems=[
        SystemReport(name="classify.spam", kind="specialist", metrics={
            "accuracy": 1.0, "macro_f1": 1.0, "per_label": {"spam": {"precision": 1.0, "recall": 1.0, "f1": 1.0,
                                                                    "support": 2}}},
            docs=3, docs_per_s=900.0, cost_per_1k_docs=1e-6),
        SystemReport(name="classify.llm[embedded]", kind="llm", metrics={"accuracy": 0.5, "macro_f1": 0.4},
                     docs=3, llm_calls=3, prompt_tokens=300, completion_tokens=12, note="1 failed")])
    stored = save_comparison(engine, report, flow_run_id="abc")
    assert stored.comparison_id is not None and stored.created_at
    again = load_comparison(engine, "last")
    assert again.model_dump(mode="json") == stored.model_dump(mode="json")
    assert load_comparison(engine, str(stored.comparison_id)) == again
    assert again.systems[0].metrics["per_label"]["spam"]["support"] == 2
    with unit_of_work(engine) as session:
        rows = session.scalars(select(ComparisonSystemRow).order_by(ComparisonSystemRow.position)).all()
        assert [(r.name, r.kind, r.quality, r.llm_calls) for r in rows] == [
            ("classify.spam", "specialist", 1.0, 0), ("classify.llm[embedded]", "llm", 0.4, 3)]
    with pytest.raises(ComparisonNotFoundError, match="no comparison with id 99"):
        load_comparison(engine, 99)
