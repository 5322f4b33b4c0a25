"""Hostile text through ner.spacy, with and without entity scores: see :mod:`tests.stages.hostile`."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings

from tandem.specialists.spacy_ner import SpacyNerStage
from tandem.stages.contracts import DocState, Entities
from tests.stages.hostile import (
    HUGE,
    HUGE_EMOJI,
    HUGE_LETTER,
    HUGE_LIMIT_S,
    HUGE_PARENS,
    HUGE_PROSE,
    SMALL,
    SMALL_LIMIT_S,
    Batch,
    batches,
    created,
    huge_runs,
    run_checked,
    state_of,
)


@pytest.fixture(scope="module")
def ner() -> SpacyNerStage:
    return created(SpacyNerStage, "ner.spacy")


@pytest.fixture(scope="module")
def ner_scored() -> SpacyNerStage:
    return created(SpacyNerStage, "ner.spacy", entity_scores=True)


def check_entities(text: str, output: Entities) -> None:
    assert output.source_field == "clean"
    last_end = 0
    for entity in output.entities:
        assert 0 <= entity.start < entity.end <= len(text), entity
        assert text[entity.start:entity.end] == entity.text, entity
        assert entity.label and entity.start >= last_end, "entities are in order and do not overlap"
        last_end = entity.end


@pytest.mark.slow
@SMALL
@given(batch=batches(missing_field=True))
@example(batch=Batch([state_of("John \ud800 Smith flew to Paris."), state_of("Angela Merkel met Barack Obama in Berlin.")]))
@example(batch=Batch([state_of("(" * 20_000), state_of("Paris" + "!" * 5_000), state_of("'s" * 3_000)]))
@example(batch=Batch([state_of("Paris\u2028London\u2029Berlin\x00Rome"), state_of(" \n\t\u3000\u2029")]))
def test_ner_spacy_hostile_text(ner: SpacyNerStage, batch: list[DocState]) -> None:
    run_checked(ner, batch, SMALL_LIMIT_S * 4, check_entities)


@pytest.mark.slow
@settings(SMALL, max_examples=40)
@given(batch=batches())
@example(batch=Batch([state_of("Angela Merkel met Barack Obama in Berlin on " + "(" * 500 + " Monday.")]))
def test_ner_spacy_entity_scores_hostile_text(ner: SpacyNerStage, ner_scored: SpacyNerStage,
                                              batch: list[DocState]) -> None:
    """With ``entity_scores`` the same entities come out, each with a score in [0, 1]."""
    def check(text: str, output: Entities) -> None:
        check_entities(text, output)
        assert all(entity.score is not None and 0.0 <= entity.score <= 1.0 for entity in output.entities)

    run_checked(ner_scored, batch, SMALL_LIMIT_S * 4, check)
    plain, scored = ner.run(batch), ner_scored.run(batch)
    assert set(plain.successes) == set(scored.successes)
    for key, output in plain.successes.items():
        assert [e.model_copy(update={"score": None}) for e in scored.successes[key].entities] == output.entities


@pytest.mark.slow
@HUGE
@given(text=huge_runs)
@example(text=HUGE_PROSE)
@example(text=HUGE_LETTER)
@example(text=HUGE_PARENS)
@example(text=HUGE_EMOJI)
def test_ner_spacy_huge_text(ner: SpacyNerStage, text: str) -> None:
    elapsed = run_checked(ner, [state_of(str(text))], HUGE_LIMIT_S, check_entities)
    assert elapsed < HUGE_LIMIT_S
