"""The ``cascade`` stage: a tiny trained classifier answers everything, a fake LLM only the unsure documents."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tandem.flows.execution import run_stage_batch, stage_fingerprint
from tandem.specialists.training.classify import train_classifier
from tandem.stages import registry
from tandem.stages.base import BatchResult, Stage
from tandem.stages.cascade import CascadeStage, combine, specialist_confidence
from tandem.stages.contracts import (
    Classification,
    DocState,
    Document,
    Entities,
    Entity,
    RoutedClassification,
    RoutedEntities,
    StageFailure,
)
from tandem.stages.pipeline_spec import Pipeline, PipelineError
from tandem.storage import repository as repo
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import LabelRow, StageResultRow
from tests.specialists.test_classifier import tiny_rows, write_rows

SPAM_ANSWER = 'fake:{"label": "spam"}'
TEXTS = ["URGENT! You have won £500, reply WIN", "ok i will call you later, love", "can you call me later",
         "WIN a FREE prize now, call 555", "see you at 6 for dinner", "free entry, text me later"]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cascade")
    train_classifier(write_rows(root / "tiny.tsv", tiny_rows()), "tiny", models_dir=root / "models", features="tfidf")
    return root / "models"


def states(texts: Sequence[str] = TEXTS) -> list[DocState]:
    return [DocState(document=Document.from_text(text, source=f"{i}.txt")) for i, text in enumerate(texts)]


def cascade(models: Path, threshold: float, **options: Any) -> CascadeStage:
    stage = registry.create("cascade", specialist="classify.tiny", llm="classify.llm", threshold=threshold,
                            llm_options={"labels": ["spam", "ham"], **options.pop("llm_options", {})},
                            llm_backend=options.pop("llm_backend", SPAM_ANSWER), models_dir=str(models), **options)
    assert isinstance(stage, CascadeStage)
    return stage


def confidences(models: Path, batch: list[DocState]) -> dict[str, float]:
    specialist = registry.create("classify.tiny", input="text", models_dir=str(models))
    result = specialist.run(batch)
    return {key: output.score for key, output in result.successes.items()}


def spy_llm(stage: CascadeStage) -> list[str]:
    """Record the keys of the documents the LLM stage is asked about, one list entry per document."""
    asked: list[str] = []
    inner = stage.llm.run

    def run(batch: Sequence[DocState]) -> BatchResult[Any]:
        asked.extend(state.key for state in batch)
        return inner(batch)

    stage.llm.run = run  # type: ignore[method-assign]
    return asked


def test_only_documents_below_the_threshold_go_to_the_llm(models: Path) -> None:
    batch = states()
    scores = confidences(models, batch)
    ordered = sorted(scores.values())
    threshold = (ordered[1] + ordered[2]) / 2  # the two least confident documents go to the LLM
    stage = cascade(models, threshold)
    asked = spy_llm(stage)
    result = stage.run(batch)
    low = {key for key, score in scores.items() if score < threshold}
    assert len(low) == 2 and set(asked) == low and len(asked) == 2  # one batched call, routed documents only
    for state in batch:
        output = result.successes[state.key]
        assert isinstance(output, RoutedClassification)
        assert output.specialist_confidence == pytest.approx(scores[state.key])
        usage = result.usage[state.key]
        if state.key in low:
            assert (output.route, output.label, output.score) == ("llm", "spam", 1.0) and usage.llm_calls == 1
        else:
            assert output.route == "specialist" and usage.llm_calls == 0 and output.llm_error is None


def test_threshold_zero_never_calls_the_llm(models: Path) -> None:
    stage = cascade(models, 0.0)
    asked = spy_llm(stage)
    result = stage.run(states())
    assert asked == [] and {o.route for o in result.successes.values()} == {"specialist"}  # type: ignore[attr-defined]


def test_a_failing_llm_keeps_the_specialist_answer_and_says_why(models: Path) -> None:
    stage = cascade(models, 1.0, llm_backend="fake:not json at all", llm_options={"max_attempts": 1})
    batch = states(TEXTS[:2])
    specialist = registry.create("classify.tiny", input="text", models_dir=str(models)).run(batch)
    result = stage.run(batch)
    for state in batch:
        output = result.successes[state.key]
        assert isinstance(output, RoutedClassification) and output.route == "specialist"
        assert output.label == specialist.successes[state.key].label  # type: ignore[attr-defined]
        assert output.llm_error and output.llm_error.startswith("invalid_answer")
        assert result.usage[state.key].llm_calls == 1


def test_a_specialist_failure_is_the_document_failure(models: Path) -> None:
    batch = states(["   ", TEXTS[0]])
    result = cascade(models, 1.0).run(batch)
    failure = result.failures[batch[0].key]
    assert failure.stage == "cascade" and failure.kind == "empty" and "classify.tiny" in failure.message
    assert batch[1].key in result.successes


def test_contract_options_and_result_key(models: Path) -> None:
    stage = cascade(models, 0.5)
    assert stage.reads == {"text": stage.specialist.input_type} and stage.writes == ("label", RoutedClassification)
    assert stage.specialist.input_field == stage.llm.input_field == "text"
    base = stage_fingerprint(stage)
    assert "classify:tiny" in base["model"] and "fake:" in base["model"]
    assert base["config"]["threshold"] == 0.5 and base["config"]["inner"]["llm"]["config"]["labels"] == ["spam", "ham"]
    assert "llm_backend" not in base["config"] and "models_dir" not in base["config"]
    changed = [cascade(models, 0.6), cascade(models, 0.5, llm_options={"labels": ["ham", "spam", "other"]}),
               cascade(models, 0.5, llm_backend='fake:{"label": "ham"}'),
               cascade(models, 0.5, llm_options={"descriptions": {"spam": "junk"}})]
    assert all(stage_fingerprint(other) != base for other in changed)
    # options that cannot change an output stay out of the key, the inner stages' own rules included
    same = cascade(models, 0.5, specialist_options={"batch_size": 7})
    assert stage_fingerprint(same) == base


def test_pipeline_spec_gets_run_wide_settings_and_validates(models: Path) -> None:
    class Reader(Stage[Classification]):
        name = "reads.label"
        version = "1"
        output_type = Classification
        input_type = Classification
        default_input = "label"
        default_output = "echo"

        def model_id(self) -> str:
            return "echo"

        def run(self, batch: Sequence[DocState]) -> BatchResult[Classification]:
            return BatchResult()

    registry.register("reads.label", Reader)
    try:
        step = {"stage": "cascade", "options": {"specialist": "classify.tiny", "llm": "classify.llm",
                                                "threshold": 0.7, "llm_options": {"labels": ["spam", "ham"]}}}
        pipeline = Pipeline.build([step, "reads.label"], llm=SPAM_ANSWER, models_dir=str(models))
    finally:
        registry.unregister("reads.label")
    stage = pipeline.stages[0]
    assert isinstance(stage, CascadeStage)
    assert stage.options.llm_backend == SPAM_ANSWER and stage.llm.options.llm == SPAM_ANSWER  # type: ignore[attr-defined]
    assert stage.specialist.options.models_dir == str(models)  # type: ignore[attr-defined]
    with pytest.raises(PipelineError, match="pair classify"):
        Pipeline.build([{"stage": "cascade", "options": {"specialist": "classify.tiny", "llm": "ner.llm"}}])
    with pytest.raises(PipelineError, match="llm_options.*labels"):
        Pipeline.build([{"stage": "cascade", "options": {"specialist": "classify.tiny", "llm": "classify.llm"}}])
    with pytest.raises(PipelineError, match="unknown stage 'classify.nope.x'|unknown stage"):
        Pipeline.build([{"stage": "cascade", "options": {"specialist": "nope.x", "llm": "classify.llm"}}])


def test_stored_like_a_classification(models: Path, tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'cascade.db'}")
    with unit_of_work(engine) as session:
        ids = repo.register_documents(session, [repo.DocumentRecord(f"h{i}", f"{i}.txt", t)
                                                for i, t in enumerate(TEXTS[:3])])
    pipeline = Pipeline.build([{"stage": "cascade", "options": {
        "specialist": "classify.tiny", "llm": "classify.llm", "threshold": 1.0, "llm_options": {"labels": ["spam", "ham"]}}}],
        llm=SPAM_ANSWER, models_dir=str(models))
    stats = run_stage_batch(engine, pipeline, 0, ids, None)
    assert stats.processed == 3 and stats.usage.llm_calls == 3
    with unit_of_work(engine) as session:
        rows = session.query(StageResultRow).all()
        labels = session.query(LabelRow).all()
        assert len(rows) == 3 and len(labels) == 3 and {label.label for label in labels} == {"spam"}
        assert all(row.output_type == "RoutedClassification" and (row.output or {})["route"] == "llm" for row in rows)
        restored = repo.output_of(rows[0])
        assert isinstance(restored, RoutedClassification) and restored.route == "llm"
    again = run_stage_batch(engine, pipeline, 0, ids, None)
    assert again.reused == 3 and again.usage.llm_calls == 0


# -- NER: confidence from entity scores ------------------------------------------------------------------
def test_entity_confidence_is_the_lowest_entity_score() -> None:
    def ents(*scores: float | None) -> Entities:
        return Entities(entities=[Entity(start=i, end=i + 1, label="X", text="x", score=s)
                                  for i, s in enumerate(scores)])

    assert specialist_confidence(ents(0.9, 0.4, 0.99)) == 0.4
    assert specialist_confidence(ents()) == 1.0  # nothing found: nothing to doubt
    assert specialist_confidence(ents(0.9, None)) == 0.0  # no score: unknown, so the LLM is asked
    llm = Entities(entities=[Entity(start=0, end=1, label="Y", text="x")])
    output, routed = combine(ents(0.9, 0.4), llm, 0.5)
    assert routed and isinstance(output, RoutedEntities) and output.route == "llm"
    assert [e.label for e in output.entities] == ["Y"] and output.specialist_confidence == 0.4
    failed = StageFailure(stage="ner.llm", kind="llm_error", message="down")
    kept, _ = combine(ents(0.9, 0.4), failed, 0.5)
    assert isinstance(kept, RoutedEntities) and kept.route == "specialist" and kept.llm_error == "llm_error: down"
    # scores are stored only when there are some: an Entity without one dumps as before
    assert "score" not in Entity(start=0, end=1, label="X", text="x").model_dump(mode="json")


class ScoredNer(Stage[Entities]):
    """Stand-in for ner.spacy with entity_scores: capitalised words, scored by a number in the text."""

    name = "ner.scored"
    version = "1"
    output_type = Entities
    default_output = "entities"

    def model_id(self) -> str:
        return "scored"

    def run(self, batch: Sequence[DocState]) -> BatchResult[Entities]:
        result: BatchResult[Entities] = BatchResult()
        for state in batch:
            text = state.text_of(self.input_field)
            score = float(text.split()[-1])
            ents = [Entity(start=text.index(w), end=text.index(w) + len(w), label="X", text=w, score=score)
                    for w in text.split() if w[0].isupper()]
            result.add_success(state.key, Entities(entities=ents, source_field=self.input_field))
        return result


@pytest.fixture()
def scored_ner() -> Iterator[None]:
    registry.register("ner.scored", ScoredNer)
    yield
    registry.unregister("ner.scored")


def test_ner_cascade_routes_documents_with_an_unsure_entity(scored_ner: None) -> None:
    answer = 'fake:{"entities": [{"text": "Alice", "label": "PERSON"}]}'
    stage = registry.create("cascade", specialist="ner.scored", llm="ner.llm", threshold=0.5, llm_backend=answer,
                            llm_options={"labels": ["PERSON"]})
    assert stage.writes == ("entities", RoutedEntities)
    batch = states(["Alice met Bob 0.3", "Alice met Bob 0.9", "nobody here 0.1"])
    result = stage.run(batch)
    unsure, sure, empty = (result.successes[s.key] for s in batch)
    assert isinstance(unsure, RoutedEntities) and unsure.route == "llm"
    assert [(e.text, e.label) for e in unsure.entities] == [("Alice", "PERSON")]
    assert isinstance(sure, RoutedEntities) and sure.route == "specialist" and len(sure.entities) == 2
    assert isinstance(empty, RoutedEntities) and empty.route == "specialist" and empty.specialist_confidence == 1.0


@pytest.mark.slow
def test_ner_spacy_entity_scores_keep_entities_and_key() -> None:
    plain = registry.create("ner.spacy", input="text")
    scored = registry.create("ner.spacy", input="text", entity_scores=True)
    assert plain.config() == {"consistency": True, "consistency_by_line": True}
    assert scored.config() == {"beam_width": 16, "consistency": True, "consistency_by_line": True, "entity_scores": True}
    batch = states(["John Miller flew to New York on Monday.", "nothing to see"])
    a, b = plain.run(batch), scored.run(batch)
    for state in batch:
        ents_a = a.successes[state.key].entities  # type: ignore[attr-defined]
        ents_b = b.successes[state.key].entities  # type: ignore[attr-defined]
        assert [(e.start, e.end, e.label) for e in ents_a] == [(e.start, e.end, e.label) for e in ents_b]
        assert all(e.score is None for e in ents_a) and all(0.0 <= e.score <= 1.0 for e in ents_b)
    assert a.successes[batch[0].key].entities  # type: ignore[attr-defined]
    # the cascade turns the scores on for ner.spacy by itself
    stage = registry.create("cascade", specialist="ner.spacy", llm="ner.llm", llm_backend="fake:{}")
    assert stage.specialist.options.entity_scores is True  # type: ignore[attr-defined]
