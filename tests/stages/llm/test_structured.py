"""Structured-output LLM stages: the retry loop with fake models, decoding strategies, registry and result keys
(the pure prompt builders and parsers: ``test_structured_prompts.py``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from tandem.flows.execution import result_key, stage_fingerprint
from tandem.stages import registry
from tandem.stages.contracts import (
    Classification,
    CleanText,
    DocState,
    Document,
    Entities,
    StageFailure,
    Summary,
)
from tandem.stages.llm.structured import (
    KeyPointsStage,
    LlmClassifyStage,
    LlmNerStage,
    StructuredLlmStage,
)
from tandem.stages.pipeline_spec import Pipeline, PipelineError

LABELS = ["spam", "ham"]
SPAM = "WINNER! You have won a free cruise. Call now to claim your prize."
MERKEL = "Angela Merkel met Microsoft leaders in Seattle. Merkel later flew home."


class SequenceChatModel(BaseChatModel):
    """Answers with the next scripted string (the last one repeats); records messages and call kwargs."""

    answers: list[str]
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    kwargs: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "sequence-fake"

    def next_answer(self) -> str:
        return self.answers[min(len(self.calls) - 1, len(self.answers) - 1)]

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self.calls.append(list(messages))
        self.kwargs.append(kwargs)
        message = AIMessage(content=self.next_answer(),
                            usage_metadata={"input_tokens": 10, "output_tokens": 5, "total_tokens": 15})
        return ChatResult(generations=[ChatGeneration(message=message)])


class GrammarChatModel(SequenceChatModel):
    """Like the embedded model: offers ``bind_json_schema`` (records the schemas it was given)."""

    schemas: list[dict[str, Any]] = Field(default_factory=list)

    def bind_json_schema(self, schema: dict[str, Any]) -> Any:
        self.schemas.append(schema)
        return self.bind(response_format={"type": "json_object", "schema": schema})


class ToolCallingChatModel(SequenceChatModel):
    """Answers with a tool call whose arguments are the scripted JSON (function-calling decoding)."""

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any) -> Any:
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], tool_choice=tool_choice, **kwargs)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self.calls.append(list(messages))
        self.kwargs.append(kwargs)
        name = kwargs["tools"][0]["function"]["name"]
        raw = self.next_answer()
        try:
            args = json.loads(raw)
            message = AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": "call_1"}],
                                usage_metadata={"input_tokens": 7, "output_tokens": 3, "total_tokens": 10})
        except json.JSONDecodeError:
            message = AIMessage(content="", invalid_tool_calls=[{"name": name, "args": raw, "id": "call_1",
                                                                 "error": "bad json"}])
        return ChatResult(generations=[ChatGeneration(message=message)])


def state(text: str, clean: str | None = None) -> DocState:
    fields = {"clean": CleanText(text=clean if clean is not None else text)}
    return DocState(document=Document.from_text(text, "t.txt"), fields=fields)  # type: ignore[arg-type]


def scripted(stage: StructuredLlmStage[Any], answers: list[str],
             model: type[SequenceChatModel] = SequenceChatModel) -> SequenceChatModel:
    fake = model(answers=answers)
    stage._model = fake
    return fake


def only(result: Any) -> tuple[Any, Any]:
    """(the one outcome, its usage) of a one-document batch."""
    (key, outcome), = {**result.successes, **result.failures}.items()
    return outcome, result.usage[key]


# -- stages with fake models: retries, failures, usage ---------------------------------------------------
@pytest.mark.parametrize("bad", ["not json at all", '{"label": "eggs"}', '{"category": "spam"}'])
def test_classify_retries_then_fails_with_the_raw_answer(bad: str) -> None:
    stage = LlmClassifyStage(llm="fake:x", labels=LABELS)
    fake = scripted(stage, [bad])
    outcome, usage = only(stage.run([state(SPAM)]))
    assert isinstance(outcome, StageFailure) and outcome.kind == "invalid_answer"
    assert outcome.raw_answer == bad and "3 attempts" in outcome.message
    assert len(fake.calls) == 3 and (usage.llm_calls, usage.prompt_tokens, usage.completion_tokens) == (3, 30, 15)
    # each retry shows the model its previous answer and why it was rejected
    retry = fake.calls[1]
    assert [m.type for m in retry] == ["system", "human", "ai", "human"]
    assert retry[2].content == bad and "rejected" in str(retry[3].content)


def test_valid_answer_after_one_bad_one_succeeds() -> None:
    stage = LlmClassifyStage(llm="fake:x", labels=LABELS)
    fake = scripted(stage, ['{"label": "eggs"}', '{"label": "Spam"}'])
    outcome, usage = only(stage.run([state(SPAM)]))
    assert outcome == Classification(label="spam", score=1.0, scores={"spam": 1.0})
    assert usage.llm_calls == 2 and usage.prompt_tokens == 20 and len(fake.calls) == 2
    assert "'eggs' is not one of" in str(fake.calls[1][-1].content)


def test_max_attempts_bounds_the_calls() -> None:
    stage = LlmClassifyStage(llm="fake:x", labels=LABELS, max_attempts=1)
    fake = scripted(stage, ["nope"])
    outcome, usage = only(stage.run([state(SPAM)]))
    assert isinstance(outcome, StageFailure) and "1 attempt;" in outcome.message and len(fake.calls) == 1
    with pytest.raises(ValueError):
        LlmClassifyStage(llm="fake:x", labels=LABELS, max_attempts=0)


def test_ner_stage_fails_on_invented_entities_and_succeeds_after_a_bad_answer() -> None:
    stage = LlmNerStage(llm="fake:x", labels=["PERSON", "GPE"])
    fake = scripted(stage, ['{"entities": [{"text": "Berlin", "label": "GPE"}]}'])
    outcome, usage = only(stage.run([state(MERKEL)]))
    assert isinstance(outcome, StageFailure) and outcome.kind == "invalid_answer"
    assert "'Berlin' does not occur in the text" in outcome.message and "Berlin" in (outcome.raw_answer or "")
    assert usage.llm_calls == 3 == len(fake.calls)

    stage = LlmNerStage(llm="fake:x", labels=["PERSON", "GPE"], input="clean")
    scripted(stage, ['{"entities": [{"text": "Berlin", "label": "GPE"}]}',
                     '{"entities": [{"text": "Seattle", "label": "GPE"}, {"text": "Angela Merkel", "label": "PERSON"}]}'])
    outcome, usage = only(stage.run([state("ignored raw text", clean=MERKEL)]))
    assert isinstance(outcome, Entities) and outcome.source_field == "clean"
    assert [(e.text, e.start) for e in outcome.entities] == [("Angela Merkel", 0), ("Seattle", MERKEL.index("Seattle"))]
    assert usage.llm_calls == 2


def test_ner_stage_asks_per_chunk_and_keeps_offsets_in_the_whole_text() -> None:
    text = "Alice Smith founded Acme in Oslo. " * 3 + "Later Bob Jones joined Acme in Bergen."
    stage = LlmNerStage(llm="fake:x", labels=["PERSON", "ORG", "GPE"], chunk_tokens=20)

    def respond(chunk: str) -> str:
        names = [n for n in ("Alice Smith", "Bob Jones", "Acme", "Oslo", "Bergen") if n in chunk]
        label = {"Acme": "ORG", "Oslo": "GPE", "Bergen": "GPE"}
        return json.dumps({"entities": [{"text": n, "label": label.get(n, "PERSON")} for n in names]})

    class ChunkFake(SequenceChatModel):
        def next_answer(self) -> str:
            return respond(str(self.calls[-1][1].content))

    fake = scripted(stage, [""], ChunkFake)
    outcome, usage = only(stage.run([state(text)]))
    assert isinstance(outcome, Entities) and len(fake.calls) > 1 and usage.llm_calls == len(fake.calls)
    assert all(text[e.start:e.end] == e.text for e in outcome.entities)
    assert sum(e.text == "Acme" for e in outcome.entities) == 4 and {"Bob Jones", "Bergen"} <= {
        e.text for e in outcome.entities}
    tiny = LlmNerStage(llm="fake:x", chunk_tokens=20, max_chunks=1)
    scripted(tiny, ['{"entities": []}'])
    failure, _ = only(tiny.run([state(text)]))
    assert isinstance(failure, StageFailure) and failure.kind == "too_large"


def test_keypoints_stage_writes_an_llm_summary_or_an_invalid_answer_failure() -> None:
    text = "The Boston City Council voted to add twelve miles of bike lanes downtown. Work starts in April."
    stage = KeyPointsStage(llm="fake:x", max_points=3)
    fake = scripted(stage, ['{"summary": "Boston adds bike lanes."}',
                            '{"summary": "Boston adds bike lanes.", "key_points": ["twelve miles", "starts in April"]}'])
    outcome, usage = only(stage.run([state(text)]))
    assert isinstance(outcome, Summary) and outcome.method == "llm" and outcome.llm_calls == 2 == usage.llm_calls
    assert outcome.text == "Boston adds bike lanes.\n- twelve miles\n- starts in April"
    assert "key_points: field required" in str(fake.calls[1][-1].content)
    assert stage.writes == ("keypoints", Summary) and stage.prompt_version == "keypoints@1+retry-feedback@1"

    scripted(stage, ['{"key_points": ["bike lanes"]}'])
    failure, _ = only(stage.run([state(text)]))
    assert isinstance(failure, StageFailure) and failure.kind == "invalid_answer"
    assert failure.raw_answer == '{"key_points": ["bike lanes"]}' and "summary" in failure.message


def test_nothing_that_fails_the_contract_is_returned_as_a_success() -> None:
    """Many malformed, invented or off-list answers: every success still satisfies the contract."""
    text = "Angela Merkel met Microsoft leaders in Seattle on Monday to discuss climate policy."
    answers = [
        "", "null", "[]", "{", '{"label": null}', '{"label": "SPAM!"}', '{"label": ["spam"]}', '{"label": "ham"}',
        '{"entities": [{"text": "Berlin", "label": "GPE"}]}', '{"entities": [{"text": "Merkel", "label": "ORG"}]}',
        '{"entities": [{"text": "Merkel", "label": "CHEF"}]}', '{"entities": "Merkel"}',
        '{"summary": "string", "key_points": ["string"]}', '{"summary": "Merkel met Microsoft.", "key_points": []}',
        '{"summary": "Merkel met Microsoft leaders in Seattle.", "key_points": ["climate policy"]}',
        '{"summary": "Penguins dance.", "key_points": ["glaciers sing loudly"]}',
    ]
    for answer in answers:
        for stage in (LlmClassifyStage(llm="fake:x", labels=LABELS, max_attempts=1),
                      LlmNerStage(llm="fake:x", labels=["PERSON", "ORG"], max_attempts=1),
                      KeyPointsStage(llm="fake:x", max_attempts=1)):
            scripted(stage, [answer])
            outcome, _ = only(stage.run([state(text)]))
            if isinstance(outcome, StageFailure):
                assert outcome.kind == "invalid_answer" and outcome.raw_answer == answer
            elif isinstance(outcome, Classification):
                assert outcome.label in LABELS and answer == '{"label": "ham"}'
            elif isinstance(outcome, Entities):
                assert all(text[e.start:e.end] == e.text and e.label in ("PERSON", "ORG") for e in outcome.entities)
                assert outcome.entities or answer.startswith("[")
            else:
                assert isinstance(outcome, Summary) and outcome.text.startswith("Merkel met Microsoft leaders")


def test_empty_input_and_llm_errors_are_per_document_failures() -> None:
    stage = LlmClassifyStage(llm="fake:x", labels=LABELS)

    class Flaky(SequenceChatModel):
        def next_answer(self) -> str:
            if "explode" in str(self.calls[-1][1].content):
                raise ConnectionRefusedError("connection refused")
            return '{"label": "ham"}'

    scripted(stage, [""], Flaky)
    result = stage.run([state("  "), state("please explode"), state("See you at lunch.")])
    kinds = sorted(f.kind for f in result.failures.values())
    assert kinds == ["empty", "llm_unreachable"] and [c.label for c in result.successes.values()] == ["ham"]


# -- decoding strategies -------------------------------------------------------------------------------------
def test_grammar_decoding_hands_the_strict_schema_to_the_model() -> None:
    stage = LlmNerStage(llm="fake:x", labels=["PERSON", "GPE"], max_tokens=99)
    fake = scripted(stage, ['{"entities": [{"text": "Seattle", "label": "GPE"}]}'], GrammarChatModel)
    assert stage.decoding_for(fake) == "json_schema"
    outcome, _ = only(stage.run([state(MERKEL)]))
    assert isinstance(outcome, Entities) and [e.text for e in outcome.entities] == ["Seattle"]
    assert isinstance(fake, GrammarChatModel)
    (schema,) = fake.schemas
    assert json.dumps(schema).count('"enum": ["PERSON", "GPE"]') == 1
    assert fake.kwargs[0]["response_format"]["schema"] == schema and fake.kwargs[0]["max_tokens"] == 99


def test_function_calling_decoding_validates_tool_arguments() -> None:
    stage = LlmClassifyStage(llm="fake:x", labels=LABELS, decoding="function_calling")
    fake = scripted(stage, ["{not json", '{"label": "eggs"}', '{"label": "ham"}'], ToolCallingChatModel)
    outcome, usage = only(stage.run([state("Lunch at noon?")]))
    assert outcome == Classification(label="ham", score=1.0, scores={"ham": 1.0})
    assert len(fake.calls) == 3 and usage.llm_calls == 3 and usage.prompt_tokens == 14  # 0 + 7 + 7
    tool = fake.kwargs[0]["tools"][0]["function"]
    assert tool["parameters"]["properties"]["label"]["enum"] == LABELS
    assert fake.calls[1][2].content == "{not json" and fake.calls[2][2].content == '{"label": "eggs"}'

    stage = LlmClassifyStage(llm="fake:x", labels=LABELS, decoding="function_calling", max_attempts=2)
    scripted(stage, ['{"label": "eggs"}'], ToolCallingChatModel)
    failure, _ = only(stage.run([state("Lunch at noon?")]))
    assert isinstance(failure, StageFailure) and failure.raw_answer == '{"label": "eggs"}'


def test_auto_decoding_picks_the_backend_strategy() -> None:
    from langchain_openai import ChatOpenAI

    from tandem.stages.llm.embedded import EmbeddedChatModel

    stage = LlmClassifyStage(llm="fake:x", labels=LABELS)
    assert stage.decoding_for(EmbeddedChatModel(model_path="/nonexistent.gguf")) == "json_schema"
    openai_model = ChatOpenAI(model="m", base_url="http://127.0.0.1:9/v1", api_key="none")  # type: ignore[arg-type]
    assert stage.decoding_for(openai_model) == "function_calling"
    assert stage.decoding_for(SequenceChatModel(answers=[""])) == "parser"
    with pytest.raises(ValueError, match="decoding must be one of"):
        LlmClassifyStage(llm="fake:x", labels=LABELS, decoding="magic")


# -- registry, pipelines, result keys ---------------------------------------------------------------------------
def test_registry_names_build_the_structured_stages_with_contracts() -> None:
    classify = registry.create("classify.llm", labels=LABELS, llm="fake:x")
    assert isinstance(classify, LlmClassifyStage)
    assert classify.reads == {"clean": classify.input_type} and classify.writes == ("llm_label", Classification)
    assert classify.model_id() == "fake:x" and classify.prompt_version == "classify-llm@1+retry-feedback@1"
    assert registry.create("ner.llm", llm="fake:x").writes == ("llm_entities", Entities)
    assert isinstance(registry.create("summarize.keypoints", llm="fake:x"), KeyPointsStage)
    pipeline = Pipeline.build(["cleanup", {"stage": "classify.llm", "options": {"labels": LABELS}},
                               "ner.llm", "summarize.keypoints"], llm="fake:x")
    assert [s.stage_id for s in pipeline.stages] == ["cleanup", "classify.llm", "ner.llm", "summarize.keypoints"]
    with pytest.raises(PipelineError, match="classify.llm"):
        Pipeline.build(["cleanup", "classify.llm"], llm="fake:x")  # labels are required
    with pytest.raises(ValueError, match="distinct"):
        LlmClassifyStage(llm="fake:x", labels=["spam", "Spam"])


def test_labels_and_attempts_are_part_of_the_result_key() -> None:
    def key(stage: StructuredLlmStage[Any]) -> str:
        return result_key("abc", stage_fingerprint(stage), {"clean": "k"})

    base = key(LlmClassifyStage(llm="fake:x", labels=LABELS))
    assert base == key(LlmClassifyStage(llm="fake:x", labels=list(LABELS)))
    assert base != key(LlmClassifyStage(llm="fake:x", labels=["ham", "spam", "other"]))
    assert base != key(LlmClassifyStage(llm="fake:x", labels=LABELS, max_attempts=2))
