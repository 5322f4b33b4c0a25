"""Declared stage options: validation, errors that list the valid options, the result-key share."""

from typing import Any

import pytest
from pydantic import Field

from tandem.stages import registry
from tandem.stages.base import BatchResult, Stage
from tandem.stages.contracts import DocState, Summary
from tandem.stages.options import NOT_IN_KEY, StageOptions, StageOptionsError, describe_options, type_name
from tandem.stages.pipeline_spec import Pipeline, PipelineError


class EchoOptions(StageOptions):
    max_words: int = Field(10, ge=1, description="words kept")
    labels: list[str] = Field(default_factory=lambda: ["a"], description="labels")
    batch_size: int = Field(8, ge=1, description="batch", json_schema_extra=NOT_IN_KEY)


class EchoStage(Stage[Summary]):
    name = "echo"
    version = "1"
    output_type = Summary
    default_output = "echo"
    Options = EchoOptions
    options: EchoOptions

    def model_id(self) -> str:
        return "echo"

    def run(self, batch: Any) -> BatchResult[Summary]:
        result: BatchResult[Summary] = BatchResult()
        for state in batch:
            text = " ".join(state.text_of(self.input_field).split()[: self.options.max_words])
            result.add_success(state.key, Summary(text=text, method="extractive"))
        return result


def test_options_are_validated_and_typed() -> None:
    stage = EchoStage(max_words=3)
    assert isinstance(stage.options, EchoOptions) and stage.options.max_words == 3
    assert stage.options.batch_size == 8


def test_config_is_derived_from_the_options_and_skips_those_not_in_the_key() -> None:
    assert EchoStage(max_words=3, batch_size=99).config() == {"labels": ["a"], "max_words": 3}
    assert EchoStage(max_words=3).config() == EchoStage(max_words=3, batch_size=1).config()
    assert EchoStage().config() != EchoStage(max_words=4).config()


def test_unknown_option_names_stage_option_and_valid_ones() -> None:
    with pytest.raises(StageOptionsError) as info:
        EchoStage(colour="red")
    message = str(info.value)
    assert "unknown options for stage 'echo': 'colour'" in message
    assert "valid options: max_words (int, default 10), labels (list[str], default ['a'])" in message


def test_ill_typed_option_is_reported_with_its_value() -> None:
    with pytest.raises(StageOptionsError, match=r"stage 'echo': bad option 'max_words' = 'many'.*valid options"):
        EchoStage(max_words="many")
    with pytest.raises(StageOptionsError, match="'max_words' = 0: Input should be greater than or equal to 1"):
        EchoStage(max_words=0)


def test_pipeline_build_turns_bad_options_into_pipeline_errors() -> None:
    registry.register("echo", EchoStage)
    try:
        with pytest.raises(PipelineError, match="unknown options for stage 'echo': 'colour'; valid options: max_words"):
            Pipeline.build([{"stage": "echo", "input": "text", "options": {"colour": "red"}}])
        with pytest.raises(PipelineError, match="stage 'cleanup': 'chunk_size'; valid options: .*min_noise"):
            Pipeline.build([{"stage": "cleanup", "options": {"chunk_size": 10}}])
        pipeline = Pipeline.build([{"stage": "echo", "input": "text", "options": {"max_words": 2}}])
        result = pipeline.stages[0].run([DocState(document=_doc("one two three"))])
        assert [s.text for s in result.successes.values()] == ["one two"]
    finally:
        registry.unregister("echo")


def test_describe_options_lists_types_defaults_descriptions_and_key_membership() -> None:
    rows = {row.name: row for row in describe_options(EchoOptions)}
    assert rows["max_words"].type == "int" and rows["max_words"].default == 10
    assert rows["max_words"].description == "words kept" and rows["max_words"].in_result_key
    assert rows["labels"].default == ["a"] and not rows["batch_size"].in_result_key
    assert type_name(str | None) == "str | None" and type_name(dict[str, str]) == "dict[str, str]"


@pytest.mark.parametrize("name", ["cleanup", "summarize", "ner.spacy", "summarize.legal", "summarize.lead",
                                  "classify.llm", "ner.llm", "summarize.keypoints", "classify", "cascade"])
def test_every_builtin_stage_declares_described_options(name: str) -> None:
    cls = registry.stage_class(name)
    assert cls.Options is not StageOptions or name == "summarize.lead"
    for row in describe_options(cls.Options):
        assert row.description, f"{name}.{row.name} has no description"


def test_shared_cli_options_reach_only_stages_that_declare_them() -> None:
    pipeline = Pipeline.build(["cleanup", {"stage": "summarize.lead", "input": "clean"}], llm="fake:x",
                              models_dir="/nowhere")
    assert pipeline.stages[0].options.llm == "fake:x"  # type: ignore[attr-defined]
    assert "llm" not in type(pipeline.stages[1].options).model_fields


def _doc(text: str) -> Any:
    from tandem.stages.contracts import Document

    return Document.from_text(text, source="t.txt")


def test_shared_settings_can_be_routed_to_another_option_name() -> None:
    class Routed(EchoStage):
        name = "routed"
        shared_options = {"llm": "batch_size"}  # a stand-in: route --llm's value to another option

    registry.register("routed", Routed)
    try:
        routed = Pipeline.build([{"stage": "routed", "input": "text"}], llm=3)
        assert routed.stages[0].options.batch_size == 3  # type: ignore[attr-defined]
    finally:
        registry.unregister("routed")
