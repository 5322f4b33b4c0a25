"""Running stages against the store without Prefect: reuse, recompute on change, no duplicates."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tandem.flows.execution import plan_keys, run_stage_batch
from tandem.stages import registry
from tandem.stages.base import BatchResult, Stage
from tandem.stages.contracts import DocState, Entities, Entity, StageOutput, TextLike
from tandem.stages.pipeline_spec import Pipeline
from tandem.storage import repository as repo
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import StageResultRow
from tests.stages.llm.fakes import ScriptedChatModel


class CountingNer(Stage[Entities]):
    """A tiny stand-in specialist: every capitalised word is an entity."""

    name = "ner.count"
    version = "1"
    output_type: type[StageOutput] = Entities
    input_type: type[StageOutput] = TextLike
    default_output = "entities"
    runs = 0

    def model_id(self) -> str:
        return "caps"

    def run(self, batch: list[DocState]) -> BatchResult[Entities]:  # type: ignore[override]
        CountingNer.runs += len(batch)
        result: BatchResult[Entities] = BatchResult()
        for state in batch:
            text = state.text_of(self.input_field)
            if "CRASH" in text:
                result.add_failure(state.key, self.failure("model_error", "cannot parse"))
                continue
            ents, pos = [], 0
            for word in text.split():
                start = text.index(word, pos)
                pos = start + len(word)
                if word[0].isupper():
                    ents.append(Entity(start=start, end=pos, label="X", text=word))
            result.add_success(state.key, Entities(entities=ents, source_field=self.input_field))
        return result


@pytest.fixture()
def fake_stages() -> Iterator[ScriptedChatModel]:
    fake = ScriptedChatModel(respond=lambda text: text)
    CountingNer.runs = 0
    registry.register("ner.count", CountingNer)
    yield fake
    registry._user.clear()


def build(fake: ScriptedChatModel, prompt_suffix: str = "", first: str = "cleanup") -> Pipeline:
    # a changed option (here one that cannot change these short texts' output) changes the config → the key
    options: dict[str, object] = {"min_noise": 0.5} if prompt_suffix else {}
    if first == "summarize":  # asks the LLM about every document, however short
        options = {"passthrough_words": 0}
    steps: list[str | dict[str, Any]] = [{"stage": first, "options": options}, "ner.count"]
    if first == "summarize":
        steps = [{"stage": first, "options": options, "input": "text"}, {"stage": "ner.count", "input": "summary"}]
    pipeline = Pipeline.build(steps, name="t", llm="fake:x")
    pipeline.stages[0]._model = fake
    return pipeline


def register(engine, texts: list[str]) -> list[int]:  # type: ignore[no-untyped-def]
    with unit_of_work(engine) as session:
        return repo.register_documents(session, [repo.DocumentRecord(f"h{i}-{t}"[:64], f"{i}.txt", t)
                                                 for i, t in enumerate(texts)])


def run_all(engine, pipeline: Pipeline, ids: list[int]) -> list:  # type: ignore[no-untyped-def]
    return [run_stage_batch(engine, pipeline, i, ids, None) for i in range(len(pipeline.stages))]


def test_second_run_reuses_everything(tmp_path: Path, fake_stages: ScriptedChatModel) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    ids = register(engine, ["Alice met Bob in Paris.", "Nothing here at all."])
    first = run_all(engine, build(fake_stages), ids)
    assert [s.processed for s in first] == [2, 2]
    calls = len(fake_stages.calls)  # cleanup asks the LLM only about words in doubt: none in clean text
    second = run_all(engine, build(fake_stages), ids)
    assert [s.reused for s in second] == [2, 2] and [s.processed for s in second] == [0, 0]
    assert len(fake_stages.calls) == calls and CountingNer.runs == 2
    with unit_of_work(engine) as session:
        assert repo.count_rows(session, StageResultRow) == 4


def test_changing_an_upstream_stage_recomputes_downstream(tmp_path: Path, fake_stages: ScriptedChatModel) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    ids = register(engine, ["Alice met Bob in Paris."])
    run_all(engine, build(fake_stages), ids)
    changed = build(fake_stages, prompt_suffix="v2")
    stats = run_all(engine, changed, ids)
    assert [s.processed for s in stats] == [1, 1]
    keys_a = plan_keys(build(fake_stages), ["h0-Alice met Bob in Paris."])
    keys_b = plan_keys(changed, ["h0-Alice met Bob in Paris."])
    assert keys_a != keys_b and set(keys_a["h0-Alice met Bob in Paris."]) == {"clean", "entities"}


def test_failures_are_recomputed_and_upstream_failures_skip(tmp_path: Path, fake_stages: ScriptedChatModel) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    calls = {"n": 0}

    def flaky(text: str) -> str:
        calls["n"] += 1
        if "Bob" in text and calls["n"] <= 2:
            raise ConnectionRefusedError("server down")
        return text

    fake_stages.respond = flaky
    ids = register(engine, ["Alice met Bob.", "Carol CRASH here."])
    first = run_all(engine, build(fake_stages, first="summarize"), ids)
    assert (first[0].failed, first[0].processed) == (1, 1)
    assert first[0].failures[0].kind == "llm_unreachable"
    assert (first[1].skipped, first[1].failed) == (1, 1)  # Bob's doc skipped, CRASH failed
    second = run_all(engine, build(fake_stages, first="summarize"), ids)
    assert (second[0].processed, second[0].reused) == (1, 1)
    assert (second[1].processed, second[1].failed) == (1, 1)
    with unit_of_work(engine) as session:
        assert repo.count_rows(session, StageResultRow) == 4  # one row per document and stage


def test_a_stage_that_raises_fails_each_document(tmp_path: Path, fake_stages: ScriptedChatModel) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    ids = register(engine, ["Alice."])
    pipeline = build(fake_stages)

    def explode(batch):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug")

    pipeline.stages[1].run = explode  # type: ignore[method-assign]
    stats = run_all(engine, pipeline, ids)
    assert stats[1].failed == 1 and "RuntimeError: bug" in stats[1].failures[0].message


@pytest.mark.parametrize("fingerprint", [
    {"stage": "ner.spacy", "version": "2", "model": "en_core_web_sm", "prompt": "", "config": {"b": [1, 2], "a": None}},
    {"stage": "x", "version": "1", "model": "m", "prompt": "p1", "config": {}, "attempts": 3, "zeta": {"k": "ü"}},
    {"a": 1, "e": 2},
])
def test_key_maker_gives_result_keys_byte_for_byte(fingerprint: dict[str, Any]) -> None:
    """Stored results are found by their keys: the fast key maker must never change one."""
    from tandem.flows.execution import KeyMaker, result_key

    make = KeyMaker(fingerprint)
    for content_hash, inputs in [("abc", {}), ("0" * 64, {"text": "0" * 64}), ("h", {"z": "1", "clean": "k"})]:
        assert make(content_hash, inputs) == result_key(content_hash, fingerprint, inputs)


def test_built_in_pipelines_keep_their_result_keys() -> None:
    from tandem.flows.execution import result_key, stage_fingerprint
    from tandem.stages.pipeline_spec import BUILTIN_PIPELINES

    for name in BUILTIN_PIPELINES:
        pipeline = Pipeline.load(name)
        plans = plan_keys(pipeline, ["d" * 64])
        keys = {"text": "d" * 64}
        for stage in pipeline.stages:
            keys[stage.writes[0]] = result_key("d" * 64, stage_fingerprint(stage),
                                               {field: keys[field] for field in stage.reads})
        assert plans["d" * 64] == {k: v for k, v in keys.items() if k != "text"}, name
