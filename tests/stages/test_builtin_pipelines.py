"""Every built-in pipeline builds, and runs on a short document (fake LLM answers, real spaCy)."""

from __future__ import annotations

from typing import Any

import pytest

from tandem.stages.contracts import DocState, Document
from tandem.stages.pipeline_spec import BUILTIN_PIPELINES, Pipeline

pytestmark = pytest.mark.slow  # loads the real spaCy model

TEXT = ("Angela Merkel visited Microsoft in Seattle on Monday to discuss climate policy with the company's "
        "leaders, local officials and several researchers from the University of Washington.")


def run_pipeline_in_process(pipeline: Pipeline, text: str) -> DocState:
    """Run each stage on one document, passing successful outputs on, as the flow does."""
    state = DocState(document=Document.from_text(text, source="short.txt"))
    for stage in pipeline.stages:
        stage.load()
        result = stage.run([state])
        assert not result.failures, f"{stage.stage_id}: {result.failures}"
        state.fields[stage.writes[0]] = result.successes[state.key]
    return state


@pytest.mark.parametrize("name", sorted(BUILTIN_PIPELINES))
def test_every_builtin_pipeline_runs(name: str) -> None:
    pipeline = Pipeline.load(name, llm=f"fake:{TEXT}")
    state = run_pipeline_in_process(pipeline, TEXT)
    for stage in pipeline.stages:
        field, out_type = stage.writes
        assert isinstance(state.fields[field], out_type)


def test_ner_pipeline_reads_the_raw_text() -> None:
    pipeline = Pipeline.load("ner")
    assert [(s.stage_id, s.input_field) for s in pipeline.stages] == [("ner.spacy", "text")]
    state = run_pipeline_in_process(pipeline, TEXT)
    entities: Any = state.fields["entities"]
    assert any(e.text == "Angela Merkel" for e in entities.entities)
