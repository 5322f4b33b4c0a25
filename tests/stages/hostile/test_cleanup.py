"""Hostile text through cleanup (the OCR corrector; no LLM, or a fake one): see :mod:`tests.stages.hostile`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tandem.stages.contracts import CleanText, DocState, FailureKind
from tandem.stages.llm.cleanup import CleanupStage
from tandem.stages.llm.textfix import deterministic_cleanup
from tests.stages.hostile import (
    HUGE,
    HUGE_BANG_WORD,
    HUGE_LETTER,
    HUGE_LIMIT_S,
    HUGE_PARENS,
    OCR_PROSE,
    SMALL,
    SMALL_LIMIT_S,
    WORDS,
    Batch,
    Text,
    batches,
    created,
    expected_outcome,
    has_surrogate,
    hostile_text,
    huge_runs,
    run_checked,
    state_of,
    storable,
)


@pytest.fixture(scope="module")
def cleanup() -> CleanupStage:
    """The corrector alone on every text (declared OCR output): no LLM question (``llm_calls=0``), so no model is
    ever loaded."""
    return created(CleanupStage, "cleanup", llm="fake:1", llm_calls=0, corrector="always")


@pytest.fixture(scope="module")
def cleanup_asking() -> CleanupStage:
    """Deterministic fixes first, every document corrected, every decision in doubt asked to a fake LLM that
    always answers "2" (the first correction offered)."""
    return created(CleanupStage, "cleanup", llm="fake:2", llm_calls=2, deterministic=True, min_noise=0.0,
                   long_min_noise=0.0, doubt_margin=1000.0, corrector="always")


def cleanup_expected(deterministic: bool) -> Callable[[str | None], FailureKind | None]:
    def expected(text: str | None) -> FailureKind | None:
        if text is not None and has_surrogate(text):
            return "encoding"
        if text is not None and deterministic and not deterministic_cleanup(text).strip():
            return "empty"
        return expected_outcome(text)

    return expected


def cleanup_check(stage: CleanupStage) -> Callable[[str, CleanText], None]:
    deterministic = stage.options.deterministic

    def check(text: str, output: CleanText) -> None:
        assert isinstance(output.text, str) and storable(output.text)
        if output.kept_input:
            assert output.text == (deterministic_cleanup(text) if deterministic else text)
        for ratio in (output.kept_ratio, output.added_ratio):
            assert ratio is None or 0.0 <= ratio <= 1.0

    return check


cleanup_text = st.one_of(hostile_text, st.lists(st.sampled_from(WORDS), min_size=1, max_size=40).map(" ".join))


@SMALL
@given(batch=batches(cleanup_text))
@example(batch=Batch([state_of("qzx" * 10_000), state_of("a" + "!" * 20_000 + "a"), state_of("Tho \ud800 tliat")]))
def test_cleanup_hostile_text(cleanup: CleanupStage, batch: list[DocState]) -> None:
    run_checked(cleanup, batch, SMALL_LIMIT_S * 4, cleanup_check(cleanup), cleanup_expected(False))
    assert all(usage.llm_calls == 0 for usage in cleanup.run(batch).usage.values())


@settings(SMALL, max_examples=100)
@given(batch=batches(cleanup_text))
@example(batch=Batch([state_of("Tho Congress finds tliat the Secretary undei standing wifonf \x00\x07 " * 3)]))
def test_cleanup_with_fake_llm_hostile_text(cleanup_asking: CleanupStage, batch: list[DocState]) -> None:
    run_checked(cleanup_asking, batch, SMALL_LIMIT_S * 4, cleanup_check(cleanup_asking), cleanup_expected(True))


@HUGE
@given(text=huge_runs)
@example(text=HUGE_LETTER)
@example(text=HUGE_BANG_WORD)
@example(text=HUGE_PARENS)
@example(text=Text("qzx" * 70_000))
@example(text=OCR_PROSE)
def test_cleanup_huge_text(cleanup: CleanupStage, text: str) -> None:
    elapsed = run_checked(cleanup, [state_of(str(text))], HUGE_LIMIT_S, cleanup_check(cleanup), cleanup_expected(False))
    assert elapsed < HUGE_LIMIT_S
