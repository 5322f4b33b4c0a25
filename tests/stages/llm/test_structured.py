"""Structured-output LLM stages: pure prompt builders, pure parsers, and the retry loop with fake models."""

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
    InvalidAnswer,
    KeyPointsStage,
    LlmClassifyStage,
    LlmNerStage,
    StructuredLlmStage,
    classify_messages,
    entities_answer_model,
    keypoints_messages,
    label_answer_model,
    ner_messages,
    parse_classification,
    parse_entities,
    parse_keypoints,
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


# -- prompts (pure) ------------------------------------------------------------------------------------
def test_classify_prompt_lists_labels_and_carries_text() -> None:
    system, human = classify_messages("Buy now!", LABELS, {"spam": "unwanted advertising"})
    assert system.type == "system" and human.type == "human" and human.content == "Buy now!"
    assert "one of spam, ham" in str(system.content) and "- spam: unwanted advertising" in str(system.content)
    assert '"label"' in str(system.content)


def test_prompts_append_feedback_after_the_text() -> None:
    feedback = [AIMessage(content="{}"), AIMessage(content="again")]
    messages = ner_messages("Ann lives in Oslo.", ["PERSON", "GPE"], feedback=feedback)
    assert [m.type for m in messages] == ["system", "human", "ai", "ai"]
    assert "- PERSON: names of people" in str(messages[0].content) and "one of PERSON, GPE" in str(messages[0].content)
    keypoints = keypoints_messages("Some text.", 4)
    assert "at most 4" in str(keypoints[0].content) and keypoints[1].content == "Some text."


def test_answer_schemas_constrain_labels_for_grammars() -> None:
    schema = label_answer_model(LABELS).model_json_schema()
    assert schema["properties"]["label"]["enum"] == LABELS and schema["required"] == ["label"]
    ner = entities_answer_model(["PERSON", "ORG"]).model_json_schema()
    item = next(iter(ner["$defs"].values()))
    assert item["properties"]["label"]["enum"] == ["PERSON", "ORG"]


# -- parsers (pure) -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", [
    '{"label": "spam"}', '{"label": " SPAM "}', '```json\n{"label": "spam"}\n```',
    'Sure! Here it is: {"label": "spam"} Hope that helps.', {"label": "spam"},
])
def test_parse_classification_accepts_valid_labels(answer: Any) -> None:
    assert parse_classification(answer, LABELS) == Classification(label="spam", score=1.0, scores={"spam": 1.0})


@pytest.mark.parametrize("answer, reason", [
    ("spam", "not a complete JSON object"), ('{"label": "spam"', "not a complete JSON object"), ("", "empty"), ('{"label": "eggs"}', "'eggs' is not one of: spam, ham"),
    ('{"category": "spam"}', "label: field required"), ({"label": 3}, "label"), ("[1, 2]", "JSON but not an object"),
])
def test_parse_classification_rejects_invalid_answers(answer: Any, reason: str) -> None:
    with pytest.raises(InvalidAnswer, match=None) as info:
        parse_classification(answer, LABELS)
    assert reason in str(info.value)


def test_parse_entities_locates_every_occurrence_on_word_boundaries() -> None:
    answer = {"entities": [{"text": "Merkel", "label": "PERSON"}, {"text": "seattle", "label": "GPE"},
                           {"text": "Angela Merkel", "label": "PERSON"}]}
    entities = parse_entities(answer, MERKEL, ["PERSON", "GPE"], source_field="text")
    found = [(e.text, e.label, e.start, e.end) for e in entities.entities]
    seattle, merkel = MERKEL.index("Seattle"), MERKEL.rindex("Merkel")
    assert found == [("Angela Merkel", "PERSON", 0, 13), ("Seattle", "GPE", seattle, seattle + 7),
                     ("Merkel", "PERSON", merkel, merkel + 6)]
    assert all(MERKEL[e.start:e.end] == e.text for e in entities.entities) and entities.source_field == "text"
    # "Ann" must not match inside "Annual"
    with pytest.raises(InvalidAnswer, match="does not occur"):
        parse_entities('{"entities": [{"text": "Ann", "label": "PERSON"}]}', "Annual report.", ["PERSON"])


def test_parse_entities_drops_bad_mentions_but_rejects_an_answer_with_nothing_valid() -> None:
    mixed = {"entities": [{"text": "Seattle", "label": "GPE"}, {"text": "Paris", "label": "GPE"},
                          {"text": "Merkel", "label": "FOOD"}, {"text": MERKEL, "label": "PERSON"}]}
    entities = parse_entities(mixed, MERKEL, ["PERSON", "GPE"], max_entity_words=6)
    assert [e.text for e in entities.entities] == ["Seattle"]
    cases: list[tuple[Any, str]] = [({"entities": [{"text": "Paris", "label": "GPE"}]}, "'Paris' does not occur"),
                        ({"entities": [{"text": "Merkel", "label": "FOOD"}]}, "'FOOD' of 'Merkel' is not one of"),
                        ({"entities": [{"text": "...", "label": "GPE"}]}, "placeholder"),
                        ({"entities": [{"text": MERKEL, "label": "GPE"}]}, "is not a name"),
                        ({"entities": [{"label": "GPE"}]}, "text: field required"),
                        ({"people": []}, "entities: field required"),
                        ("no entities here", "not a complete JSON object")]
    for bad, reason in cases:
        with pytest.raises(InvalidAnswer) as info:
            parse_entities(bad, MERKEL, ["PERSON", "GPE"], max_entity_words=6)
        assert reason in str(info.value), (bad, str(info.value))
    assert parse_entities('{"entities": []}', MERKEL, ["PERSON"]).entities == []
    assert [e.text for e in parse_entities('[{"text": "Seattle", "label": "GPE"}]', MERKEL, ["GPE"]).entities] \
        == ["Seattle"]


def test_parse_keypoints_builds_summary_text_and_checks_content() -> None:
    text = "The council approved twelve miles of bike lanes downtown. Construction starts in April."
    answer = {"summary": "The council approved new bike lanes.",
              "key_points": ["- twelve miles of bike lanes", "1. construction starts in April", "Twelve miles of bike lanes"]}
    summary = parse_keypoints(answer, text)
    assert summary == Summary(text="The council approved new bike lanes.\n- twelve miles of bike lanes\n"
                                   "- construction starts in April", method="llm", chunks=1, llm_calls=0)
    cases: list[tuple[Any, str]] = [({"summary": "", "key_points": ["bike lanes"]}, "'summary' is empty"),
                        ({"summary": "Bike lanes approved.", "key_points": ["...", "<second key fact>"]},
                         "at least one non-empty key point"),
                        ({"summary": "Bike lanes approved."}, "key_points: field required"),
                        ({"key_points": ["bike lanes"]}, "summary: field required"),
                        ({"summary": "Bike lanes.", "key_points": ["a1", "a2", "a3"]}, "at most 2"),
                        ({"summary": "Dolphins enjoy swimming with friendly penguins.", "key_points": ["whales sing"]},
                         "occur in the text")]
    for bad, reason in cases:
        with pytest.raises(InvalidAnswer) as info:
            parse_keypoints(bad, text, max_points=2)
        assert reason in str(info.value), (bad, str(info.value))


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
