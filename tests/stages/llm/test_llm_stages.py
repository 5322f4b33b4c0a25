"""Prompt building and answer handling of the LLM stages, with a scripted fake chat model."""

import pytest

from tandem.stages.contracts import CleanText, DocState, Document, Summary
from tandem.stages.llm.cleanup import CleanupStage, parse_choice
from tandem.stages.llm.prompts import CLEANUP_CHOICE, SUMMARIZE
from tandem.stages.llm.summarize import SummarizeStage, max_llm_calls, reduce_calls
from tests.stages.llm.fakes import ScriptedChatModel


def state(text: str, **fields: object) -> DocState:
    return DocState(document=Document.from_text(text, "t.txt"), fields=fields)  # type: ignore[arg-type]


def ocr_state(text: str) -> DocState:
    """A document declared as OCR output (metadata ocr: true), as a JSONL field ``ocr`` declares it."""
    return DocState(document=Document.from_text(text, "scan.txt", metadata={"ocr": True}))


def with_model(stage, respond):  # type: ignore[no-untyped-def]
    fake = ScriptedChatModel(respond=respond)
    stage._model = fake
    return stage, fake


def test_cleanup_prompt_carries_text_and_instructions() -> None:
    messages = CLEANUP_CHOICE.template.format_messages(text="Tbe [[cat]]. 1: cat 2: eat")
    assert messages[0].type == "system" and "Reply with the number of the right option only" in messages[0].content
    assert messages[1].content == "Tbe [[cat]]. 1: cat 2: eat"
    assert CLEANUP_CHOICE.id == "cleanup-choice@1"


NOISY = "Portions of Crown lnnd will be ofleied at auction by tbe Colonial Treasury on Wednesday next."


def test_cleanup_fixes_ocr_words_without_the_llm_when_none_is_in_doubt() -> None:
    stage, fake = with_model(CleanupStage(llm="fake:x", min_noise=0.0, doubt_margin=0.0), lambda text: "1")
    result = stage.run([ocr_state(NOISY)])
    (key, clean), = result.successes.items()
    assert clean.text == "Portions of Crown land will be offered at auction by the Colonial Treasury on Wednesday next."
    assert not clean.kept_input and not fake.calls and result.usage[key].llm_calls == 0


def test_cleanup_asks_the_llm_only_to_choose_among_the_options() -> None:
    questions: list[str] = []
    stage, fake = with_model(CleanupStage(llm="fake:x", min_noise=0.0, doubt_margin=1000.0, llm_calls=2),
                             lambda text: questions.append(text) or "1")  # option 1: keep the word
    result = stage.run([ocr_state(NOISY)])
    clean = next(iter(result.successes.values()))
    assert len(fake.calls) == 2 and all("[[" in q and "Options:" in q and "\n1. " in q for q in questions)
    assert clean.text.startswith("Portions of Crown lnnd will be ofleied")  # the two asked words were kept
    assert next(iter(result.usage.values())).llm_calls == 2


def test_an_llm_answer_outside_the_options_changes_nothing() -> None:
    stage, _ = with_model(CleanupStage(llm="fake:x", min_noise=0.0, doubt_margin=1000.0),
                          lambda text: "Here is the corrected text: The land was offered. 99")
    plain, _ = with_model(CleanupStage(llm="fake:x", min_noise=0.0, doubt_margin=1000.0, llm_calls=0), str)
    asked = next(iter(stage.run([ocr_state(NOISY)]).successes.values()))
    alone = next(iter(plain.run([ocr_state(NOISY)]).successes.values()))
    assert asked.text == alone.text and len(asked.text.split()) == len(NOISY.split())
    assert parse_choice("2. offered", 3) == 1 and parse_choice("none", 3) is None and parse_choice("7", 3) is None


def test_cleanup_leaves_clean_text_byte_for_byte_and_says_why() -> None:
    text = "Then shewed he me the connexion of the publick affairs  to-day,\nand Mephibosheth spake unto Jehoshaphat. "
    stage, fake = with_model(CleanupStage(llm="fake:x"), lambda text: "2")
    clean = next(iter(stage.run([ocr_state(text)]).successes.values()))
    assert clean.text == text and clean.kept_input and "left as it is" in (clean.reason or "") and not fake.calls


def test_cleanup_deterministic_option_normalises_first() -> None:
    stage, _ = with_model(CleanupStage(llm="fake:x", deterministic=True, llm_calls=0), str)
    clean = next(iter(stage.run([ocr_state("An infor-\nmation   sheet “quoted”.")]).successes.values()))
    assert clean.text == 'An information sheet "quoted".'


def test_cleanup_uses_a_confusion_file_by_model_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tandem.stages.ocr.confusion import ConfusionModel

    path = ConfusionModel.fit([("tbe qat", "the cat")] * 5).save(tmp_path / "confusion.json")
    stage = CleanupStage(llm="fake:x", model_path=str(path), llm_calls=0)
    assert stage.corrector.model.words["tbe"] == {"the": 5}
    assert stage.config()["model_path"] == str(path)  # trained names: tests/stages/llm/test_cleanup_artifacts.py


def test_cleanup_empty_and_llm_error_become_failures() -> None:
    def boom(text: str) -> str:
        raise ConnectionRefusedError("connection refused")

    stage, _ = with_model(CleanupStage(llm="fake:x", min_noise=0.0, doubt_margin=1000.0), boom)
    result = stage.run([ocr_state("   \n "), ocr_state(NOISY)])
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
