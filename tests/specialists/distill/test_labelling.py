"""The self-consistency filter: pure functions with known answers, and the teacher's answers per sample."""

from __future__ import annotations

from typing import Any

import pytest

from tandem.specialists.distill.labelling import (
    TeacherAnswers,
    TeacherConfig,
    agree,
    answer_key,
    filter_answers,
    label_texts,
    teacher_stage,
)
from tandem.stages.contracts import Classification, Entities, Entity, StageFailure
from tests.stages.llm.fakes import ScriptedChatModel


def label(name: str) -> Classification:
    return Classification(label=name, score=1.0)


def failure() -> StageFailure:
    return StageFailure(stage="classify.llm", kind="invalid_answer", message="no valid answer")


def ents(*spans: tuple[int, int, str]) -> Entities:
    return Entities(entities=[Entity(start=s, end=e, label=lab, text="x" * (e - s)) for s, e, lab in spans])


@pytest.mark.parametrize(("keys", "min_agreement", "expected"), [
    (["spam"], 0.6, ("kept", "spam", 1.0)),
    ([None], 0.6, ("invalid", None, 0.0)),
    (["spam", "spam", "ham"], 0.6, ("kept", "spam", 0.6667)),
    (["spam", "ham", None], 0.6, ("dropped", "spam", 0.3333)),  # a tie goes to the first seen
    (["ham", "spam", "spam", None, None], 0.4, ("kept", "spam", 0.4)),  # invalid answers count against
    (["ham", "spam", "spam", None, None], 0.5, ("dropped", "spam", 0.4)),
    (["spam", "spam"], 1.0, ("kept", "spam", 1.0)),
    (["spam", "ham"], 0.5, ("kept", "spam", 0.5)),
    ([None, None, None], 0.1, ("invalid", None, 0.0)),
])
def test_agree_known_answers(keys: list[str | None], min_agreement: float, expected: tuple[Any, ...]) -> None:
    assert agree(keys, min_agreement) == expected


def test_answer_keys_compare_labels_and_entity_sets() -> None:
    assert answer_key(label("spam")) == "spam" and answer_key(failure()) is None
    one = ents((0, 5, "PER"), (10, 15, "LOC"))
    same_other_order = ents((10, 15, "LOC"), (0, 5, "PER"))
    assert answer_key(one) == answer_key(same_other_order)
    assert answer_key(one) != answer_key(ents((0, 5, "PER"), (10, 15, "ORG")))
    assert answer_key(ents()) == frozenset()  # "no entity" is an answer that can agree


def test_filter_counts_kept_dropped_invalid() -> None:
    labelled = [
        TeacherAnswers(text="a", answers=[label("spam"), label("spam"), label("ham")]),
        TeacherAnswers(text="b", answers=[label("spam"), label("ham"), failure()]),
        TeacherAnswers(text="c", answers=[failure(), failure(), failure()]),
        TeacherAnswers(text="d", answers=[ents((0, 1, "PER")), ents((0, 1, "PER")), ents()]),
    ]
    out = filter_answers(labelled, 0.6)
    assert (out.kept, out.dropped, out.invalid, out.invalid_answers) == (2, 1, 1, 4)
    assert out.failure_kinds == {"invalid_answer": 4}
    assert [(e.text, e.label, e.agreement) for e in out.examples] == [("a", "spam", 0.6667), ("d", None, 0.6667)]
    assert [(x.start, x.end, x.label) for x in out.examples[1].entities] == [(0, 1, "PER")]


def test_samples_are_answered_at_the_temperature_and_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(['{"label": "spam"}', '{"label": "ham"}', "not json", '{"label": "spam"}'] * 4)
    seen: list[float | None] = []

    class Recorder(ScriptedChatModel):
        def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
            seen.append(kwargs.get("temperature"))
            return super()._generate(messages, stop, run_manager, **kwargs)

    config = TeacherConfig(task="classify", llm="fake:x", labels=["spam", "ham"], samples=3, max_attempts=1)
    assert config.sampling_temperature == 0.7
    stage = teacher_stage(config)
    stage._model = Recorder(respond=lambda _text: next(answers))
    labelled = label_texts(stage, ["win money now", "see you at six"], samples=3)
    assert [len(item.answers) for item in labelled] == [3, 3] and set(seen) == {0.7}
    assert all(item.usage.llm_calls == 3 for item in labelled)
    out = filter_answers(labelled, 0.6)
    assert out.kept + out.dropped + out.invalid == 2 and out.invalid_answers == 1
    greedy = teacher_stage(config, greedy=True)
    assert "temperature" not in greedy.config() and stage.config()["temperature"] == 0.7
