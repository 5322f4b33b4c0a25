"""Prompt building and answer handling of the LLM stages, with a scripted fake chat model."""

import pytest

from stages.contracts import CleanText, DocState, Document, Summary
from stages.llm.cleanup import CleanupStage
from stages.llm.prompts import CLEANUP, SUMMARIZE
from stages.llm.summarize import SummarizeStage, max_llm_calls, reduce_calls
from tests.stages.llm.fakes import ScriptedChatModel


def state(text: str, **fields: object) -> DocState:
    return DocState(document=Document.from_text(text, "t.txt"), fields=fields)  # type: ignore[arg-type]


def with_model(stage, respond):  # type: ignore[no-untyped-def]
    fake = ScriptedChatModel(respond=respond)
    stage._model = fake
    return stage, fake


def test_cleanup_prompt_carries_text_and_instructions() -> None:
    messages = CLEANUP.template.format_messages(text="Tbe cat.")
    assert messages[0].type == "system" and "Reply with the corrected text only" in messages[0].content
    assert messages[1].content == "Tbe cat."
    assert CLEANUP.id == "cleanup@1"


def test_cleanup_accepts_a_faithful_fix_and_records_usage() -> None:
    stage, fake = with_model(CleanupStage(llm="fake:x"), lambda text: text.replace("Tbe", "The"))
    result = stage.run([state("Tbe board met in Chicago on Monday to review the annual report in detail.")])
    (key, clean), = result.successes.items()
    assert clean.text.startswith("The board met") and not clean.kept_input and clean.reason is None
    assert result.usage[key].llm_calls == 1 and result.usage[key].prompt_tokens == 10
    assert len(fake.calls) == 1


def test_cleanup_keeps_input_when_llm_drops_content() -> None:
    source = "The board met in Chicago on Monday to review the annual report and approve a dividend."
    stage, _ = with_model(CleanupStage(llm="fake:x", verify=False), lambda text: "Board met.")
    clean = next(iter(stage.run([state(source)]).successes.values()))
    assert clean.kept_input and clean.text == source
    assert "drops" in (clean.reason or "") and "kept the input" in (clean.reason or "")


def test_cleanup_keeps_input_when_llm_invents_content() -> None:
    source = "The board met in Chicago on Monday."
    stage, _ = with_model(CleanupStage(llm="fake:x", verify=False),
                          lambda text: text + " It was a sunny day and everyone enjoyed cake and coffee afterwards.")
    clean = next(iter(stage.run([state(source)]).successes.values()))
    assert clean.kept_input and "adds" in (clean.reason or "")


def test_verified_cleanup_keeps_only_dictionary_fixes() -> None:
    source = "The bnard met in Chicago on Monday to review the annual report."
    rewrite = "The board met in Chicago on Tuesday to review the report. Everyone was happy."
    stage, _ = with_model(CleanupStage(llm="fake:x", spelling=False), lambda text: rewrite)
    clean = next(iter(stage.run([state(source)]).successes.values()))
    assert clean.text == "The board met in Chicago on Monday to review the annual report."
    assert not clean.kept_input


def test_speller_fixes_clear_non_words_before_the_llm() -> None:
    seen: list[str] = []
    stage, _ = with_model(CleanupStage(llm="fake:x"), lambda text: seen.append(text) or text)
    stage.run([state("Portions of crown lnnd will be ofleied at auction.")])
    assert seen == ["Portions of crown land will be offered at auction."]


def test_cleanup_applies_deterministic_fixes_before_llm() -> None:
    seen: list[str] = []
    stage, _ = with_model(CleanupStage(llm="fake:x"), lambda text: seen.append(text) or text)
    stage.run([state("An infor-\nmation   sheet “quoted”.")])
    assert seen == ['An information sheet "quoted".']


def test_cleanup_long_text_skips_llm_and_says_why() -> None:
    stage, fake = with_model(CleanupStage(llm="fake:x", max_llm_words=10), lambda text: text)
    clean = next(iter(stage.run([state(" ".join(["word"] * 50))]).successes.values()))
    assert clean.kept_input and "deterministic fixes only" in (clean.reason or "") and not fake.calls


def test_cleanup_empty_and_llm_error_become_failures() -> None:
    def boom(text: str) -> str:
        raise ConnectionRefusedError("connection refused")

    stage, _ = with_model(CleanupStage(llm="fake:x"), boom)
    result = stage.run([state("   \n "), state("Some real text here.")])
    kinds = sorted(f.kind for f in result.failures.values())
    assert kinds == ["empty", "llm_unreachable"]
    assert not result.successes


def test_summarize_prompt_and_single_call() -> None:
    messages = SUMMARIZE.template.format_messages(text="Body", max_sentences=3)
    assert "at most 3 sentences" in messages[0].content
    text = "The council approved twelve miles of bike lanes downtown on Tuesday after a long debate. " * 3
    stage, fake = with_model(SummarizeStage(llm="fake:x"), lambda t: "Here is the summary: Bike lanes approved.")
    summary = next(iter(stage.run([state(text, clean=CleanText(text=text))]).successes.values()))
    assert summary == Summary(text="Bike lanes approved.", method="llm", chunks=1, llm_calls=1)
    assert len(fake.calls) == 1


def test_short_text_is_its_own_summary() -> None:
    stage, fake = with_model(SummarizeStage(llm="fake:x"), lambda t: "x")
    summary = next(iter(stage.run([state("Hi", clean=CleanText(text="Meeting moved to Thursday."))]).successes.values()))
    assert summary.method == "passthrough" and summary.text == "Meeting moved to Thursday." and not fake.calls


def test_long_text_map_reduce_respects_the_call_bound() -> None:
    long_text = " ".join(f"Sentence number {i} talks about budget item {i % 97}." for i in range(40_000))
    stage = SummarizeStage(llm="fake:x", chunk_tokens=500, max_map_calls=8, reduce_fan_in=3)
    stage, fake = with_model(stage, lambda t: "A partial summary.")
    summary = next(iter(stage.run([state(long_text, clean=CleanText(text=long_text))]).successes.values()))
    assert summary.method == "map_reduce"
    assert len(fake.calls) == summary.llm_calls <= max_llm_calls(8, 3)
    for call in fake.calls:
        assert len(str(call[-1].content)) <= 500 * 3


def test_empty_summary_is_a_failure_with_raw_answer() -> None:
    text = "The council approved twelve miles of bike lanes downtown on Tuesday after a long debate. " * 3
    stage, _ = with_model(SummarizeStage(llm="fake:x"), lambda t: '""')
    failure = next(iter(stage.run([state(text, clean=CleanText(text=text))]).failures.values()))
    assert failure.kind == "invalid_answer" and failure.raw_answer == '""'


@pytest.mark.parametrize(("partials", "fan_in", "expected"), [(1, 4, 0), (4, 4, 1), (5, 4, 2), (16, 6, 4)])
def test_reduce_call_counts(partials: int, fan_in: int, expected: int) -> None:
    assert reduce_calls(partials, fan_in) == expected
