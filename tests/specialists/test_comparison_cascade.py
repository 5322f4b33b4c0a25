"""Threshold selection on synthetic scores with known answers, and the cascade as one more compared system."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from tandem.specialists.comparison.cascade import (
    candidate_thresholds,
    cascade_system,
    choose_label_threshold,
    pipeline_snippet,
    select_threshold,
)
from tandem.specialists.comparison.cost import CostModel
from tandem.specialists.comparison.measure import SystemRun
from tandem.specialists.metrics.classification import classification_report
from tandem.stages.contracts import (
    Classification,
    Entities,
    Entity,
    RoutedClassification,
    StageFailure,
    StageOutput,
    Usage,
)

# ten documents; the specialist is wrong exactly on its three least confident ones
GOLD = ["spam", "ham", "ham", "spam", "ham", "spam", "ham", "ham", "spam", "ham"]
CONF = [0.55, 0.6, 0.7, 0.9, 0.92, 0.95, 0.97, 0.98, 0.99, 0.999]
OWN = ["ham", "spam", "spam", "spam", "ham", "spam", "ham", "ham", "spam", "ham"]
RIGHT_LLM = list(GOLD)
WRONG_LLM = ["ham" if g == "spam" else "spam" for g in GOLD]


def test_candidates_are_zero_and_the_distinct_confidences() -> None:
    assert candidate_thresholds([0.5, 0.2, 0.5, None]) == [0.0, 0.2, 0.5]


def test_the_threshold_that_fixes_every_mistake_within_the_share() -> None:
    choice = choose_label_threshold(GOLD, CONF, OWN, RIGHT_LLM, max_llm_share=0.3)
    # below 0.9 the three mistakes (0.55, 0.6, 0.7) go to the LLM, which gets them right
    assert (choice.threshold, choice.routed, choice.llm_share) == (0.9, 3, 0.3)
    assert choice.quality == 1.0 and choice.specialist_quality < 0.7 and choice.llm_helps


def test_the_share_bound_holds() -> None:
    choice = choose_label_threshold(GOLD, CONF, OWN, RIGHT_LLM, max_llm_share=0.2)
    assert (choice.threshold, choice.routed) == (0.7, 2)  # the two least confident: all the bound allows
    assert choice.specialist_quality < choice.quality < 1.0
    nothing = choose_label_threshold(GOLD, CONF, OWN, RIGHT_LLM, max_llm_share=0.0)
    assert (nothing.threshold, nothing.routed) == (0.0, 0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        choose_label_threshold(GOLD, CONF, OWN, RIGHT_LLM, max_llm_share=1.5)


def test_an_llm_that_never_helps_gets_nothing() -> None:
    for llm in (WRONG_LLM, OWN, [None] * len(GOLD)):  # worse, the same (a tie), or always failing
        choice = choose_label_threshold(GOLD, CONF, OWN, llm, max_llm_share=1.0)
        assert (choice.threshold, choice.routed, choice.llm_helps) == (0.0, 0, False)
        assert choice.quality == choice.specialist_quality


def test_ties_go_to_fewer_llm_documents() -> None:
    # routing 0.55 alone fixes the one mistake; routing more changes nothing: the smallest threshold wins
    own = list(GOLD)
    own[0] = "ham"
    choice = select_threshold(CONF, lambda t: 1.0 if t > 0.55 else 0.5, max_llm_share=1.0)
    assert (choice.threshold, choice.routed) == (0.6, 1)
    assert choose_label_threshold(GOLD, CONF, own, RIGHT_LLM, 1.0).routed == 1


# -- the cascade as a system -------------------------------------------------------------------------------
def classification(label: str, confidence: float) -> Classification:
    other = "ham" if label == "spam" else "spam"
    return Classification(label=label, score=confidence, scores={label: confidence, other: 1 - confidence})


def runs(llm_labels: Sequence[str | None]) -> tuple[SystemRun, SystemRun]:
    own: list[StageOutput | StageFailure] = [classification(label, c) for label, c in zip(OWN, CONF)]
    answers: list[StageOutput | StageFailure] = [
        classification(label, 1.0) if label else StageFailure(stage="classify.llm", kind="llm_error", message="x")
        for label in llm_labels]
    call = Usage(prompt_tokens=100, completion_tokens=5, llm_calls=1)
    specialist = SystemRun(name="classify.spam", kind="specialist", model_id="tfidf", outputs=own,
                           latencies_ms=[1.0] * 10, wall_s=0.01, cpu_s=0.02, load_s=0.5,
                           usages=[Usage(latency_ms=1.0)] * 10)
    llm = SystemRun(name="classify.llm[embedded]", kind="llm", model_id="smollm2", outputs=answers,
                    latencies_ms=[100.0] * 10, usage=Usage(prompt_tokens=1000, completion_tokens=50, llm_calls=10),
                    wall_s=1.0, cpu_s=2.0, load_s=0.2, usages=[call] * 10)
    return specialist, llm


def score(outputs: list[StageOutput | StageFailure]) -> dict[str, Any]:
    predicted = [o.label if isinstance(o, Classification) else "FAILED" for o in outputs]
    return classification_report(GOLD, predicted)


def test_cascade_system_combines_outputs_latency_usage_and_cost() -> None:
    specialist, llm = runs(RIGHT_LLM)
    report = cascade_system("classify", specialist, llm, score, CostModel(price_in=1.0), target_llm_share=0.3)
    assert report.kind == "cascade" and report.name == "cascade(classify.spam -> classify.llm[embedded])"
    assert report.metrics["macro_f1"] == 1.0 and report.docs == 10 and report.failures == 0
    assert (report.llm_calls, report.prompt_tokens, report.completion_tokens) == (3, 300, 15)
    assert report.p50_ms == 1.0 and report.p95_ms == pytest.approx(101.0)  # three documents took 1 + 100 ms
    assert report.cpu_seconds == pytest.approx(0.02 + 2.0 * 0.3)
    assert report.docs_per_s == pytest.approx(10 / (0.01 + 0.3), abs=1e-3)
    assert report.cost_per_1k_docs == pytest.approx(CostModel(price_in=1.0).cost_per_1k_docs(10, 300, 15, 0.62))
    assert report.note is not None and "threshold 0.9: 3 of 10 documents (30.0%) go to the LLM" in report.note
    assert ("{stage: cascade, options: {specialist: classify.spam, llm: classify.llm, threshold: 0.9, "
            "llm_options: {labels: [ham, spam]}}}") in report.note
    assert report.model_dump(mode="json")["kind"] == "cascade"


def test_cascade_system_says_when_the_llm_never_helps() -> None:
    specialist, llm = runs(WRONG_LLM)
    report = cascade_system("classify", specialist, llm, score, CostModel(), target_llm_share=0.5)
    assert report.note is not None and "threshold 0: 0 of 10 documents (0.0%)" in report.note
    assert "the LLM never improved on the specialist on this data" in report.note
    assert "sends nothing to it" in report.note
    assert report.llm_calls == 0 and report.metrics["macro_f1"] == score(specialist.outputs)["macro_f1"]
    assert report.cpu_seconds == pytest.approx(0.02) and report.p95_ms == 1.0


def test_a_failed_llm_answer_keeps_the_specialist_label() -> None:
    specialist, llm = runs([None, None, *RIGHT_LLM[2:]])
    report = cascade_system("classify", specialist, llm, score, CostModel(), target_llm_share=0.3)
    # reaching the third mistake means sending the two below it, whose failed answers keep the specialist's
    assert report.failures == 0 and report.llm_calls == 3
    assert score(specialist.outputs)["macro_f1"] < report.metrics["macro_f1"] < 1.0


def test_outputs_are_what_the_stage_would_store() -> None:
    specialist, llm = runs(RIGHT_LLM)
    seen: list[list[StageOutput | StageFailure]] = []

    def spy(outputs: list[StageOutput | StageFailure]) -> dict[str, Any]:
        seen.append(outputs)
        return score(outputs)

    cascade_system("classify", specialist, llm, spy, CostModel(), target_llm_share=0.3)
    final = [o for o in seen[-1] if isinstance(o, RoutedClassification)]
    assert len(final) == 10 and [o.route for o in final] == ["llm"] * 3 + ["specialist"] * 7
    assert final[0].specialist_confidence == 0.55


def test_refusals() -> None:
    specialist, llm = runs(RIGHT_LLM)
    with pytest.raises(ValueError, match="classify or ner"):
        cascade_system("summarize", specialist, llm, score, CostModel(), 0.1)
    llm.outputs = llm.outputs[:5]
    with pytest.raises(ValueError, match="same gold documents"):
        cascade_system("classify", specialist, llm, score, CostModel(), 0.1)
    unscored = Entities(entities=[Entity(start=0, end=1, label="X", text="x")])
    ner = SystemRun(name="ner.spacy", kind="specialist", model_id="sm", outputs=[unscored], latencies_ms=[1.0])
    with pytest.raises(ValueError, match="entity_scores: true"):
        cascade_system("ner", ner, ner, lambda o: {"f1": 0.0}, CostModel(), 0.1)


def test_ner_cascade_routes_by_the_lowest_entity_score() -> None:
    gold = [{("Alice", "PER")}, {("Bob", "PER")}]

    def ents(*found: tuple[str, str, float | None]) -> Entities:
        return Entities(entities=[Entity(start=0, end=len(t), label=label, text=t, score=s) for t, label, s in found])

    specialist = SystemRun(name="ner.spacy:conll", kind="specialist", model_id="conll", latencies_ms=[1.0, 1.0],
                           outputs=[ents(("Alice", "ORG", 0.4)), ents(("Bob", "PER", 0.99))])
    llm = SystemRun(name="ner.llm[embedded]", kind="llm", model_id="smollm2", latencies_ms=[50.0, 50.0],
                    outputs=[ents(("Alice", "PER", None)), ents(("Bob", "ORG", None))])

    def f1(outputs: list[StageOutput | StageFailure]) -> dict[str, Any]:
        hits = sum(isinstance(o, Entities) and {(e.text, e.label) for e in o.entities} == g
                   for o, g in zip(outputs, gold))
        return {"f1": hits / len(gold)}

    report = cascade_system("ner", specialist, llm, f1, CostModel(), target_llm_share=0.5)
    assert report.metrics["f1"] == 1.0 and report.note is not None
    assert "1 of 2 documents" in report.note
    assert ("{stage: cascade, options: {specialist: ner.spacy:conll, llm: ner.llm, threshold: 0.99, "
            "specialist_options: {entity_scores: true}, llm_options: {labels: [ORG, PER]}}}") in report.note


def test_pipeline_snippet_names() -> None:
    assert pipeline_snippet("classify", "spam", "openai:m@http://h/v1", 0.8) == (
        "{stage: cascade, options: {specialist: classify.spam, llm: classify.llm, threshold: 0.8, "
        "llm_backend: 'openai:m@http://h/v1'}}")
    assert "llm_backend: 'ollama:x'" in pipeline_snippet("classify", "classify.spam", "classify.llm[ollama:x]", 0.5)
    assert "specialist: ner.spacy:conll, llm: ner.llm" in pipeline_snippet("ner", "conll", "ner.llm[embedded]", 0.5)
