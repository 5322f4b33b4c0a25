import pytest
from pydantic import ValidationError

from tandem.stages.contracts import (
    OUTPUT_TYPES,
    Classification,
    CleanText,
    DocState,
    Document,
    Entities,
    Entity,
    RawText,
    Summary,
    Usage,
)


def test_document_hash_is_sha256_of_utf8_text() -> None:
    doc = Document.from_text("héllo", source="a.txt")
    assert doc.content_hash == Document.hash_bytes("héllo".encode())
    assert len(doc.content_hash) == 64


def test_docstate_exposes_raw_text_and_stage_fields() -> None:
    state = DocState(document=Document.from_text("raw", "a"), fields={"clean": CleanText(text="clean")})
    assert state.get("text") == RawText(text="raw")
    assert state.text_of("clean") == "clean"
    state2 = DocState(document=Document.from_text("raw", "a"), fields={"entities": Entities()})
    with pytest.raises(TypeError, match="not text"):
        state2.text_of("entities")


def test_outputs_round_trip_through_json() -> None:
    outputs = [CleanText(text="x", kept_input=True, reason="r"), Summary(text="s", method="map_reduce", chunks=3),
               Entities(entities=[Entity(start=0, end=3, label="ORG", text="IBM")]),
               Classification(label="spam", score=0.9, scores={"spam": 0.9, "ham": 0.1})]
    for output in outputs:
        restored = OUTPUT_TYPES[type(output).__name__].model_validate(output.model_dump(mode="json"))
        assert restored == output


def test_contracts_reject_bad_values() -> None:
    with pytest.raises(ValidationError):
        Classification(label="x", score=1.5)
    with pytest.raises(ValidationError):
        Entity(start=-1, end=2, label="X", text="x")
    with pytest.raises(ValidationError):
        CleanText(text="x", unexpected=1)  # type: ignore[call-arg]


def test_usage_adds_up() -> None:
    total = Usage(prompt_tokens=1, completion_tokens=2, llm_calls=1, latency_ms=3) + Usage(prompt_tokens=4, llm_calls=1)
    assert (total.prompt_tokens, total.completion_tokens, total.llm_calls, total.latency_ms) == (5, 2, 2, 3)
