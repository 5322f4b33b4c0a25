"""Hostile text through summarize.legal (MiniLM) and summarize.lead: see :mod:`tests.stages.hostile`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tandem.specialists.legal.segment import word_count
from tandem.specialists.legal.stages import LeadSummarizerStage, LegalSummarizerStage
from tandem.stages.contracts import DocState, Summary
from tests.stages.hostile import (
    HUGE,
    HUGE_BILL,
    HUGE_CAPITALS,
    HUGE_LETTER,
    HUGE_LIMIT_S,
    HUGE_PROSE,
    HUGE_TOC_REDOS,
    SMALL,
    SMALL_LIMIT_S,
    Batch,
    batches,
    created,
    hostile_text,
    huge_runs,
    legalese,
    run_checked,
    state_of,
)


@pytest.fixture(scope="module")
def legal() -> LegalSummarizerStage:
    return created(LegalSummarizerStage, "summarize.legal")


@pytest.fixture(scope="module")
def lead() -> LeadSummarizerStage:
    return created(LeadSummarizerStage, "summarize.lead")


def summary_check(max_words: int) -> Callable[[str, Summary], None]:
    def check(text: str, output: Summary) -> None:
        assert isinstance(output.text, str) and output.method == "extractive" and output.llm_calls == 0
        assert output.chunks >= 1
        assert word_count(output.text) <= max_words, "the summary keeps to its word budget"

    return check


legal_text = st.one_of(hostile_text, legalese, st.lists(legalese, min_size=2, max_size=6).map("\n".join))
legal_examples = [
    Batch([state_of("sec 1.          a. " * 12 + "x")]),  # exponential backtracking in the table-of-contents pattern
    Batch([state_of("SEC. 1. SHORT TITLE.\n This Act may be cited as the \"A\ud800 Act\".\n SEC. 2. GRANTS.\n"
                    " The Secretary shall pay.")]),
    Batch([state_of("<SECTION-HEADER>" * 50), state_of("(" * 5_000 + ")" * 5_000), state_of("``''" * 2_000)]),
]


@pytest.mark.slow
@settings(SMALL, max_examples=50)  # MiniLM: up to a second per batch here
@given(batch=batches(legal_text))
@example(batch=legal_examples[0])
@example(batch=legal_examples[1])
@example(batch=legal_examples[2])
def test_summarize_legal_hostile_text(legal: LegalSummarizerStage, batch: list[DocState]) -> None:
    run_checked(legal, batch, SMALL_LIMIT_S * 4, summary_check(legal.options.max_words))


@pytest.mark.slow
@HUGE
@given(text=huge_runs)
@example(text=HUGE_BILL)
@example(text=HUGE_PROSE)
@example(text=HUGE_LETTER)
@example(text=HUGE_TOC_REDOS)
@example(text=HUGE_CAPITALS)
def test_summarize_legal_huge_text(legal: LegalSummarizerStage, text: str) -> None:
    elapsed = run_checked(legal, [state_of(str(text))], HUGE_LIMIT_S, summary_check(legal.options.max_words))
    assert elapsed < HUGE_LIMIT_S


@SMALL
@given(batch=batches(legal_text))
@example(batch=legal_examples[0])
@example(batch=legal_examples[2])
def test_summarize_lead_hostile_text(lead: LeadSummarizerStage, batch: list[DocState]) -> None:
    run_checked(lead, batch, SMALL_LIMIT_S * 4, summary_check(lead.options.max_words))


@HUGE
@given(text=huge_runs)
@example(text=HUGE_BILL)
@example(text=HUGE_LETTER)
@example(text=HUGE_TOC_REDOS)
def test_summarize_lead_huge_text(lead: LeadSummarizerStage, text: str) -> None:
    elapsed = run_checked(lead, [state_of(str(text))], HUGE_LIMIT_S, summary_check(lead.options.max_words))
    assert elapsed < HUGE_LIMIT_S
