from pathlib import Path

import pytest

from tandem.stages.contracts import CleanText, Entities, RawText, Summary
from tandem.stages.pipeline_spec import BUILTIN_PIPELINES, Pipeline, PipelineError


def test_default_pipeline_is_cleanup_summarize_ner() -> None:
    pipeline = Pipeline.load("default")
    assert [s.stage_id for s in pipeline.stages] == ["cleanup", "summarize", "ner.spacy"]
    assert [s.writes for s in pipeline.stages] == [("clean", CleanText), ("summary", Summary), ("entities", Entities)]
    assert BUILTIN_PIPELINES["default"] == ["cleanup", "summarize", "ner.spacy"]


def test_building_loads_no_model() -> None:
    pipeline = Pipeline.build(["cleanup", "ner.spacy"])
    assert all(not stage._loaded for stage in pipeline.stages)


def test_missing_field_names_stage_field_and_what_is_available() -> None:
    with pytest.raises(PipelineError) as info:
        Pipeline.build(["summarize", "ner.spacy"])
    message = str(info.value)
    assert "'summarize'" in message and "'clean'" in message
    assert "available: text (RawText) from the document" in message


def test_missing_field_after_earlier_stages_lists_their_outputs() -> None:
    with pytest.raises(PipelineError) as info:
        Pipeline.build(["cleanup", {"stage": "summarize", "input": "clean", "output": "summary"},
                        {"stage": "ner.spacy", "input": "translation"}])
    message = str(info.value)
    assert "'ner.spacy' reads 'translation'" in message
    assert "clean (CleanText) from 'cleanup'" in message and "summary (Summary) from 'summarize'" in message


def test_unknown_stage_is_named_with_known_ones() -> None:
    with pytest.raises(PipelineError, match="unknown stage 'ner.bogus'.*known stages: .*ner.spacy"):
        Pipeline.build(["cleanup", "ner.bogus"])


def test_type_mismatch_is_reported() -> None:
    with pytest.raises(PipelineError, match="reads 'entities' as TextLike"):
        Pipeline.build([{"stage": "ner.spacy", "input": "text"}, {"stage": "summarize", "input": "entities"}])


def test_duplicate_output_field_is_rejected() -> None:
    with pytest.raises(PipelineError, match="writes 'clean', which 'cleanup' already provides"):
        Pipeline.build(["cleanup", {"stage": "summarize", "output": "clean"}])


def test_yaml_spec_file(tmp_path: Path) -> None:
    spec = tmp_path / "legal.yaml"
    spec.write_text("name: legal\nstages:\n  - cleanup\n  - stage: ner.spacy\n    input: text\n    output: raw_entities\n")
    pipeline = Pipeline.load(str(spec))
    assert pipeline.name == "legal"
    assert pipeline.stages[1].reads == {"text": pipeline.stages[1].input_type}
    assert pipeline.stages[1].writes == ("raw_entities", Entities)


def test_toml_spec_file(tmp_path: Path) -> None:
    spec = tmp_path / "p.toml"
    spec.write_text('name = "t"\nstages = ["cleanup", "summarize"]\n')
    assert [s.stage_id for s in Pipeline.load(str(spec)).stages] == ["cleanup", "summarize"]


def test_unknown_pipeline_name_or_bad_file(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="no pipeline named 'nope'"):
        Pipeline.load("nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages: [cleanup\n")
    with pytest.raises(PipelineError, match="cannot parse"):
        Pipeline.load(str(bad))
    empty = tmp_path / "empty.yaml"
    empty.write_text("name: x\n")
    with pytest.raises(PipelineError, match="'stages' list"):
        Pipeline.load(str(empty))


def test_raw_text_is_available_to_first_stage() -> None:
    pipeline = Pipeline.build([{"stage": "ner.spacy", "input": "text"}])
    assert pipeline.stages[0].reads == {"text": pipeline.stages[0].input_type}
    assert issubclass(RawText, pipeline.stages[0].input_type)
