"""Running one stage over one batch against the results store (no Prefect here; the flow wraps it).

Result keys: ``sha256(content hash, stage, stage version, model id, prompt version, config, keys of
the fields read)``. A stored ``ok`` result with the same key is reused; a failure is recomputed and
replaced; nothing is ever stored twice for one key.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine

from tandem.flows.reports import DocumentFailure, StageStats
from tandem.flows.writer import writer_for
from tandem.stages.base import READS_SCANS, BatchResult, Stage
from tandem.stages.contracts import DocState, Document, StageOutput, Usage
from tandem.stages.pipeline_spec import Pipeline
from tandem.storage import repository as repo
from tandem.storage.db import unit_of_work


class RunRef(BaseModel):
    """What every task of a run needs to find its pipeline and its database, passed whole (one parameter, not
    four loose strings): the pipeline source, the LLM and models folder it is built with, the database URL
    (its password hidden as ``***``) and, once registered, the run id."""

    model_config = ConfigDict(frozen=True)

    pipeline: str
    db_url: str
    llm: str | None = None
    models_dir: str | None = None
    run_id: int | None = None

    def built(self) -> Pipeline:
        """The pipeline, built once per process (:func:`get_pipeline`)."""
        return get_pipeline(self.pipeline, self.llm, self.models_dir)

    def with_run(self, run_id: int) -> RunRef:
        return self.model_copy(update={"run_id": run_id})


_pipelines: dict[tuple[str, str | None, str | None], tuple[Any, Pipeline]] = {}
_pipelines_lock = threading.Lock()


def get_pipeline(source: str, llm: str | None, models_dir: str | None) -> Pipeline:
    """Build (once per process) the pipeline named ``source``; stages keep their loaded models. Built again when the
    model registry changed since (a promotion or a rollback: the stages must load the version now promoted)."""
    from tandem.specialists.artifacts import models_dir as resolve_models_dir
    from tandem.specialists.registry import registry_stamp

    key = (source, llm, models_dir)
    stamp = registry_stamp(resolve_models_dir(models_dir))
    with _pipelines_lock:
        held = _pipelines.get(key)
        if held is None or held[0] != stamp:
            _pipelines[key] = (stamp, Pipeline.load(source, llm=llm, models_dir=models_dir))
        return _pipelines[key][1]


def stage_fingerprint(stage: Stage[Any]) -> dict[str, Any]:
    return {"stage": stage.stage_id, "version": stage.version, "model": stage.model_id(),
            "prompt": stage.prompt_version, "config": stage.config()}


def result_key(content_hash: str, fingerprint: dict[str, Any], input_keys: dict[str, str]) -> str:
    payload = json.dumps({"doc": content_hash, **fingerprint, "inputs": dict(sorted(input_keys.items()))},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class KeyMaker:
    """:func:`result_key` for one stage's fingerprint, many documents: the JSON around the document's hash and
    input keys is serialised once (the same text, so the same keys, as :func:`result_key`)."""

    def __init__(self, fingerprint: dict[str, Any]) -> None:
        if {"doc", "inputs"} & fingerprint.keys():
            raise ValueError("a stage fingerprint cannot name 'doc' or 'inputs'")
        names = sorted(fingerprint)

        def part(keys: list[str]) -> str:
            return json.dumps({k: fingerprint[k] for k in keys}, sort_keys=True, default=str)[1:-1]

        before, middle, after = ([k for k in names if k < "doc"], [k for k in names if "doc" < k < "inputs"],
                                 [k for k in names if k > "inputs"])
        self._head = "{" + (part(before) + ", " if before else "") + '"doc": '
        self._middle = (", " + part(middle) if middle else "") + ', "inputs": '
        self._tail = (", " + part(after) if after else "") + "}"

    def __call__(self, content_hash: str, input_keys: dict[str, str]) -> str:
        payload = (self._head + json.dumps(content_hash) + self._middle
                   + json.dumps(dict(sorted(input_keys.items()))) + self._tail)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def plan_keys(pipeline: Pipeline, content_hashes: Sequence[str], upto: int | None = None) -> dict[str, dict[str, str]]:
    """For each document: output field -> result key, for every stage of the pipeline (or its first
    ``upto + 1`` stages: a stage's key depends only on the stages before it)."""
    stages = pipeline.stages if upto is None else pipeline.stages[:upto + 1]
    makers = [KeyMaker(stage_fingerprint(stage)) for stage in stages]
    plans: dict[str, dict[str, str]] = {}
    for content_hash in content_hashes:
        keys = {"text": content_hash}
        for stage, make_key in zip(stages, makers):
            keys[stage.writes[0]] = make_key(content_hash, {name: keys[name] for name in stage.reads})
        del keys["text"]
        plans[content_hash] = keys
    return plans


_load_lock = threading.Lock()
SCAN_MESSAGE = ("a scan without a text layer: its pages need OCR; run it through the 'scanned' pipeline "
                "(ocr.tesseract → cleanup → summarize → ner.spacy) or put ocr.tesseract first in yours")


def _unread_scan(document: Document) -> bool:
    """A document read from a scan or an image whose text is still blank (its pages await OCR)."""
    return bool((document.metadata or {}).get("needs_ocr")) and not document.text.strip()


def load_stage(stage: Stage[Any]) -> None:
    """Load a stage's models (once; concurrent batch tasks of one process wait for the first)."""
    with _load_lock:
        stage.load()


def preload_stages(pipeline: Pipeline) -> None:
    """Load every stage's models now (e.g. while something else starts); a stage that fails to load is
    left to the flow, which records the failure for its documents as usual."""
    for stage in pipeline.stages:
        try:
            load_stage(stage)
        except Exception:  # noqa: BLE001, S112 - reported by the flow's own load, per document
            continue


def run_stage_batch(engine: Engine, pipeline: Pipeline, stage_index: int, document_ids: Sequence[int],
                    run_id: int | None) -> StageStats:
    """Run stage ``stage_index`` on the documents not already done; store results in one transaction."""
    stage = pipeline.stages[stage_index]
    out_field = stage.writes[0]
    stats = StageStats(stage=stage.stage_id, documents=len(document_ids))
    writer = writer_for(run_id)
    if writer is not None and any(name != "text" for name in stage.reads):
        writer.wait()  # the upstream results this batch reads may still be on their way to the database
    with unit_of_work(engine) as session:
        documents = repo.documents_by_id(session, document_ids)
        plans = plan_keys(pipeline, [documents[i].content_hash for i in document_ids], upto=stage_index)
        upstream_keys = {plans[documents[i].content_hash][name] for i in document_ids
                         for name in stage.reads if name != "text"}
        own_keys = {plans[documents[i].content_hash][out_field] for i in document_ids}
        stored = repo.results_by_key(session, upstream_keys | own_keys)

    todo: list[tuple[int, DocState]] = []
    for doc_id in document_ids:
        row = documents[doc_id]
        keys = plans[row.content_hash]
        existing = stored.get(keys[out_field])
        if existing is not None and existing.status == "ok":
            stats.reused += 1
            continue
        fields: dict[str, StageOutput] = {}
        for name in stage.reads:
            if name == "text":
                continue
            upstream = stored.get(keys[name])
            output = repo.output_of(upstream) if upstream is not None else None
            if output is None:
                break
            fields[name] = output
        else:
            document = Document(content_hash=row.content_hash, source=row.source, text=row.text or "",
                                external_id=row.external_id, metadata=row.meta or {})
            todo.append((doc_id, DocState(document=document, fields=fields)))
            continue
        stats.skipped += 1
    if not todo:  # everything reused or skipped: nothing to compute, nothing to store
        return stats
    fingerprint = stage_fingerprint(stage)
    # a stage reading ``text`` is not run on a scan whose pages await OCR: it is recorded with a pointer to OCR
    reads_raw_text = "text" in stage.reads and READS_SCANS not in stage.capabilities
    scans = {doc_id for doc_id, state in todo if reads_raw_text and _unread_scan(state.document)}
    todo = [(doc_id, state) for doc_id, state in todo if doc_id not in scans]
    records = [repo.ResultRecord(
        result_key=plans[documents[doc_id].content_hash][out_field], document_id=doc_id, stage=stage.stage_id,
        field=out_field, stage_version=stage.version, model_id=fingerprint["model"],
        prompt_version=stage.prompt_version, failure=stage.failure("empty", SCAN_MESSAGE), run_id=run_id)
        for doc_id in sorted(scans)]
    stats.failed += len(records)
    stats.failures.extend(DocumentFailure(document=documents[doc_id].source, kind="empty", message=SCAN_MESSAGE)
                          for doc_id in sorted(scans))
    if todo:
        records += _run_stage(stage, todo, plans, fingerprint, run_id, stats)
    replaces = {k for k in own_keys if k in stored}

    def store() -> None:
        with unit_of_work(engine) as session:
            # only keys found stored (failures being replaced) can need a DELETE first; a key a concurrent run
            # stored meanwhile is skipped (same key: the same result)
            repo.save_results(session, records, replaces=replaces)
            if run_id is not None:
                repo.touch_run(session, run_id)

    if writer is None:
        store()
    else:  # stored while the next batch runs (see tandem.flows.writer)
        writer.submit(store)
    return stats


def _run_stage(stage: Stage[Any], todo: list[tuple[int, DocState]], plans: dict[str, dict[str, str]],
               fingerprint: dict[str, Any], run_id: int | None, stats: StageStats) -> list[repo.ResultRecord]:
    """Load and run ``stage`` on the documents of ``todo``: one result record each (a failure when the stage
    raised or forgot one), counted in ``stats``."""
    out_field = stage.writes[0]
    loading = time.perf_counter()
    load_stage(stage)
    stats.load_ms = (time.perf_counter() - loading) * 1000.0
    start = time.perf_counter()
    states = [state for _doc_id, state in todo]
    try:
        result = stage.run(states)
    except Exception as exc:  # noqa: BLE001 - a stage bug must still leave a record per document
        result = BatchResult()
        for state in states:
            result.add_failure(state.key, stage.failure("model_error", f"{type(exc).__name__}: {exc}"))
    elapsed_ms = (time.perf_counter() - start) * 1000.0
    per_doc_ms = elapsed_ms / len(states)
    records: list[repo.ResultRecord] = []
    for doc_id, state in todo:
        usage = result.usage.get(state.key) or Usage()
        if not usage.latency_ms:
            usage = usage.model_copy(update={"latency_ms": per_doc_ms})
        output = result.successes.get(state.key)
        failure = result.failures.get(state.key)
        if output is None and failure is None:
            failure = stage.failure("model_error", "the stage returned no result for this document")
        records.append(repo.ResultRecord(
            result_key=plans[state.key][out_field], document_id=doc_id, stage=stage.stage_id, field=out_field,
            stage_version=stage.version, model_id=fingerprint["model"], prompt_version=stage.prompt_version,
            output=output if failure is None else None, failure=failure, usage=usage, run_id=run_id))
        stats.usage = stats.usage + usage
        if failure is not None:
            stats.failed += 1
            stats.failures.append(DocumentFailure(document=state.document.source, kind=failure.kind,
                                                  message=failure.message))
        else:
            stats.processed += 1
    stats.latency_ms = elapsed_ms
    return records
