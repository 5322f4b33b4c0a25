"""Hostile text through classify.<artifact> (a tiny TF-IDF classifier trained here): see :mod:`tests.stages.hostile`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import example, given

from tandem.specialists.classifier import ClassifierStage
from tandem.stages.contracts import Classification, DocState
from tests.stages.hostile import (
    HUGE,
    HUGE_EMOJI,
    HUGE_LETTER,
    HUGE_LIMIT_S,
    HUGE_PROSE,
    SMALL,
    SMALL_LIMIT_S,
    Batch,
    batches,
    created,
    hostile_text,
    huge_runs,
    run_checked,
    state_of,
)

ROWS = [("spam", "WIN a FREE prize now, call {n}"), ("spam", "URGENT! You have won {n} pounds, reply WIN"),
        ("ham", "see you at {n} for dinner"), ("ham", "ok i will call you later, love {n}"),
        ("news", "The minister said on day {n} that the state budget grew"),
        ("news", "Parliament passed {n} new laws on Monday")]


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> ClassifierStage:
    """A tiny three-label TF-IDF classifier (softmax head), trained once for the module."""
    from tandem.specialists.training.classify import train_classifier

    root = tmp_path_factory.mktemp("hostile-clf")
    data = root / "tiny.tsv"
    lines = ["label\ttext"] + [f"{label}\t{text.format(n=n)}" for n in range(8) for label, text in ROWS]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    train_classifier(data, "tiny", models_dir=root / "models", features="tfidf", C=30.0)
    return created(ClassifierStage, "classify.tiny", models_dir=str(root / "models"))


def classification_check(labels: Sequence[str]) -> Callable[[str, Classification], None]:
    def check(text: str, output: Classification) -> None:
        assert output.label in labels and set(output.scores) == set(labels)
        assert abs(sum(output.scores.values()) - 1.0) < 1e-4
        assert all(0.0 <= p <= 1.0 for p in output.scores.values())
        assert output.score == output.scores[output.label] == max(output.scores.values())

    return check


@SMALL
@given(batch=batches(hostile_text, missing_field=True))
@example(batch=Batch([state_of("WIN \ud800 prize"), state_of("\\ud800 WIN \\u0000 \\ud83d\\ude00 \\u002c")]))
def test_classify_hostile_text(classifier: ClassifierStage, batch: list[DocState]) -> None:
    assert classifier.classifier is not None
    labels = classifier.classifier.labels
    assert labels == ["ham", "news", "spam"]
    run_checked(classifier, batch, SMALL_LIMIT_S * 4, classification_check(labels))


@HUGE
@given(text=huge_runs)
@example(text=HUGE_PROSE)
@example(text=HUGE_LETTER)
@example(text=HUGE_EMOJI)
def test_classify_huge_text(classifier: ClassifierStage, text: str) -> None:
    assert classifier.classifier is not None
    labels = classifier.classifier.labels
    elapsed = run_checked(classifier, [state_of(str(text))], HUGE_LIMIT_S, classification_check(labels))
    assert elapsed < HUGE_LIMIT_S
