"""Structured-output LLM stages, the pure parts: prompt builders and answer parsers (no model)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage

from tandem.stages.contracts import Classification, Summary
from tandem.stages.llm.structured import (
    InvalidAnswer,
    classify_messages,
    entities_answer_model,
    keypoints_messages,
    label_answer_model,
    ner_messages,
    parse_classification,
    parse_entities,
    parse_keypoints,
)
from tests.stages.llm.test_structured import LABELS, MERKEL


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
