"""The ``tandem-pipeline`` Prefect flow: read → register → one task per batch per stage → summary.

Works on Prefect's ephemeral local API (no server to start) and on a Prefect server alike.
Parameters are plain names and numbers (no live clients), so runs are reproducible from the UI.
"""

from __future__ import annotations

import math
import os
import time
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.tasks import exponential_backoff

from tandem.flows.execution import RunRef, get_pipeline, plan_keys, run_stage_batch
from tandem.flows.ingest import DEFAULT_MAX_DOC_MB, INGEST_STAGE, ingest_result_key, iter_inputs
from tandem.flows.progress import report_progress
from tandem.flows.reports import DocumentFailure, RunSummary, StageStats
from tandem.flows.runs import repair_stale_runs
from tandem.flows.warmup import warm_up_dask_workers
from tandem.flows.writer import background_writes
from tandem.stages.batching import batched
from tandem.stages.pipeline_spec import Pipeline
from tandem.stages.secrets import install_log_redaction
from tandem.storage import repository as repo
from tandem.storage.db import describe_db, engine_for, resolve_db_url, unit_of_work

T = TypeVar("T")

#: input documents read, registered and linked to the run per transaction (memory stays flat)
REGISTER_CHUNK = 1000
#: documents whose outcome is settled per transaction when a run finishes
FINISH_CHUNK = 2000
_TASK_OPTIONS: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False}


@task(name="register-documents", retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=1),
      **_TASK_OPTIONS)
def register_documents(ref: RunRef, paths: list[str], max_doc_mb: float, flow_run_id: str | None = None
                       ) -> tuple[int, list[int]]:
    """Read inputs as a stream, store documents (deduplicated by content hash) and read failures in chunks
    of :data:`REGISTER_CHUNK`, each in one transaction with bulk inserts; open a run. Returns the run id and
    the ids of the documents to process (never their texts)."""
    pipeline = ref.built()
    engine = engine_for(ref.db_url)
    with unit_of_work(engine) as session:
        run_id = repo.create_run(session, pipeline.name, pipeline.spec.model_dump(mode="json"), ref.llm, flow_run_id)
    good: dict[int, None] = {}
    position = records = 0
    try:
        for chunk in batched(iter_inputs(paths, max_doc_mb), REGISTER_CHUNK):
            with unit_of_work(engine) as session:
                ids = repo.register_documents(session, [item.record for item in chunk])
                position += repo.attach_documents(session, run_id, ids, first_position=position)
                records += repo.attach_records(session, run_id, [
                    (doc_id, item.record.source, item.record.external_id) for item, doc_id in zip(chunk, ids)],
                    first_position=records)
                failures = [
                    repo.ResultRecord(result_key=ingest_result_key(item.record.content_hash), document_id=doc_id,
                                      stage=INGEST_STAGE, field="text", stage_version="1", model_id="",
                                      prompt_version="", failure=item.failure, run_id=run_id)
                    for item, doc_id in zip(chunk, ids) if item.failure is not None
                ]
                repo.save_results(session, failures)
            good.update((doc_id, None) for item, doc_id in zip(chunk, ids) if item.failure is None)
    except Exception as exc:
        # the chunks stored so far stay (a retry finds them); this run is closed as failed, not left running
        with unit_of_work(engine) as session:
            repo.finish_run(session, run_id, "failed", {"error": f"registering the inputs: {type(exc).__name__}"})
        raise
    return run_id, list(good)


@task(name="run-stage-batch", retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=2),
      task_run_name="{stage_name} [{batch_label}]", **_TASK_OPTIONS)
def stage_batch_task(ref: RunRef, stage_index: int, stage_name: str, batch_label: str,
                     document_ids: list[int]) -> StageStats:
    """One stage over one batch of documents (never one task per document)."""
    install_log_redaction()  # on a Dask worker too (idempotent, cheap)
    return run_stage_batch(engine_for(ref.db_url), ref.built(), stage_index, document_ids, ref.run_id)


@task(name="finish-run", **_TASK_OPTIONS)
def finish_run(ref: RunRef, stage_stats: list[StageStats], timings: dict[str, float] | None = None) -> RunSummary:
    """Give each document of the run its status and result keys (in chunks); close the run with its
    statistics."""
    started = time.perf_counter()
    pipeline, run_id = ref.built(), ref.run_id
    assert run_id is not None, "finish_run needs the run's id"
    engine = engine_for(ref.db_url)
    with unit_of_work(engine) as session:
        doc_ids = repo.run_document_ids(session, run_id)
    failed = 0
    for chunk in batched(doc_ids, FINISH_CHUNK):
        with unit_of_work(engine) as session:
            documents = repo.document_keys(session, chunk)
            plans = plan_keys(pipeline, [content_hash for content_hash, _ in documents.values()])
            all_keys = {key for plan in plans.values() for key in plan.values()}
            ingest_keys = {ingest_result_key(content_hash) for content_hash, _ in documents.values()}
            stored = repo.result_statuses(session, all_keys | ingest_keys)
            outcomes = {doc_id: _outcome(*documents[doc_id], plans, stored) for doc_id in chunk}
            repo.set_document_outcomes(session, run_id, outcomes)
            failed += sum(outcome.status == "failed" for outcome in outcomes.values())
    summary = RunSummary(run_id=run_id, pipeline=pipeline.name, documents=len(doc_ids),
                         succeeded=len(doc_ids) - failed, failed=failed, stages=StageStats.merged(stage_stats),
                         database=describe_db(ref.db_url), timings=dict(timings or {}))
    summary.timings["finish_s"] = round(time.perf_counter() - started, 3)
    with unit_of_work(engine) as session:
        repo.finish_run(session, run_id, "completed" if failed == 0 else "completed_with_failures",
                        summary.stored_stats())
    return summary


def _outcome(content_hash: str, has_text: bool, plans: dict[str, dict[str, str]],
             stored: dict[str, str]) -> repo.DocumentOutcome:
    """A document failed when it could not be read, or when any of its planned results is not ``ok``."""
    ingest_key = ingest_result_key(content_hash)
    if not has_text or stored.get(ingest_key) == "failed":
        return repo.DocumentOutcome("failed", {INGEST_STAGE: ingest_key})
    keys = plans[content_hash]
    ok = all(stored.get(k) == "ok" for k in keys.values())
    return repo.DocumentOutcome("ok" if ok else "failed", keys)


def stage_batch_sizes(pipeline: Pipeline, batch_size: int | None = None,
                      per_stage: dict[str, int] | None = None) -> list[int]:
    """Documents per task for each stage: ``per_stage`` (by stage id or registry name) over ``batch_size``
    (every stage) over the stage's :attr:`~tandem.stages.base.Stage.preferred_batch`."""
    named = dict(per_stage or {})
    known = {stage.stage_id for stage in pipeline.stages} | {stage.name for stage in pipeline.stages}
    unknown = sorted(set(named) - known)
    if unknown:
        raise ValueError(f"--batch-size names no stage of this pipeline: {', '.join(unknown)}; "
                         f"its stages: {', '.join(s.stage_id for s in pipeline.stages)}")
    sizes = []
    for stage in pipeline.stages:
        size = named.get(stage.stage_id, named.get(stage.name, batch_size or stage.preferred_batch))
        sizes.append(max(1, int(size)))
    return sizes


def _artifact_markdown(summary: RunSummary) -> str:
    lines = [f"# Tandem run {summary.run_id} — pipeline `{summary.pipeline}`", "",
             f"**{summary.documents}** documents: **{summary.succeeded}** succeeded, "
             f"**{summary.failed}** failed. Results in `{summary.database}`.", "",
             "| stage | processed | reused | failed | skipped | latency (s) | ms/doc | LLM calls | prompt tok | completion tok |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, s in summary.stages.items():
        per_doc = s.latency_ms / s.processed if s.processed else 0.0
        u = s.usage
        lines.append(f"| {name} | {s.processed} | {s.reused} | {s.failed} | {s.skipped} | "
                     f"{s.latency_ms / 1000:.2f} | {per_doc:.0f} | {u.llm_calls} | {u.prompt_tokens} | "
                     f"{u.completion_tokens} |")
    failures = summary.ingest_failures + [f for s in summary.stages.values() for f in s.failures]
    if failures:
        lines += ["", "## Failures", "", "| document | kind | reason |", "|---|---|---|"]
        for f in failures[:200]:
            lines.append(f"| {f.document} | {f.kind} | {f.message.replace('|', '/')[:300]} |")
    return "\n".join(lines)


def flow_run_name() -> str:
    """A run's name in the Prefect UI: the pipeline, what it read and when (``ner · docs · 2026-11-26 23:50``)."""
    params = flow_run.parameters or {}
    paths = list(params.get("paths") or [])
    what = Path(paths[0]).name if len(paths) == 1 else f"{len(paths)} inputs"
    return f"{Path(str(params.get('pipeline') or 'default')).name} · {what} · {datetime.now():%Y-%m-%d %H:%M}"


@flow(name="tandem-pipeline", log_prints=True, flow_run_name=flow_run_name)
def tandem_pipeline(paths: list[str], pipeline: str = "default", db_url: str | None = None,
                    llm: str | None = None, batch_size: int | None = None, models_dir: str | None = None,
                    max_doc_mb: float = DEFAULT_MAX_DOC_MB, stage_batch_size: dict[str, int] | None = None,
                    parallel: bool = False) -> RunSummary:
    """Run ``pipeline`` (a built-in name or a YAML/TOML spec file) over files/folders in ``paths``.

    Results go to ``db_url`` (default ``$TANDEM_DB_URL`` or ``sqlite:///tandem.db``). Each stage gets its
    preferred number of documents per task (LLM stages 8, specialists 1,000) unless ``batch_size`` (every
    stage) or ``stage_batch_size`` (stage id → size) says otherwise. The work is pipelined: the documents go
    through all stages one chunk (the largest batch) at a time, so the first results are stored before the
    last documents are read by the first stage. Returns the run summary (run id, counts, per-stage
    statistics, timings); failures are stored, never raised.

    ``parallel``: submit the batches to the flow's task runner (set a distributed one, e.g. Dask, with
    :func:`pipeline_flow`) instead of running them one after the other in this process.
    """
    install_log_redaction()  # also where a deployment (tandem serve) runs this flow in a process of its own
    logger = get_run_logger()
    url = resolve_db_url(db_url)
    built = get_pipeline(pipeline, llm, models_dir)  # validates before any document is read
    crashed = repair_stale_runs(engine_for(url))
    if crashed:
        logger.warning("closed %d stale run(s) as crashed: %s", len(crashed), ", ".join(map(str, crashed)))
    sizes = stage_batch_sizes(built, batch_size, stage_batch_size)
    if parallel:  # the workers load their models while the documents are registered here
        warm_up_dask_workers(pipeline, llm, models_dir)
    started = time.perf_counter()
    ref = RunRef(pipeline=pipeline, db_url=url, llm=llm, models_dir=models_dir)
    run_id, doc_ids = register_documents(ref, paths, max_doc_mb, str(flow_run.id) if flow_run.id else None)
    ref = ref.with_run(run_id)
    registered = time.perf_counter()
    logger.info("run %s: %d documents to process with %s", run_id, len(doc_ids),
                " → ".join(f"{s.stage_id} ({size}/task)" for s, size in zip(built.stages, sizes)))
    all_stats: list[StageStats] = []
    totals = [math.ceil(len(doc_ids) / size) for size in sizes]
    numbers = [0] * len(sizes)
    done = [0] * len(sizes)
    for stage in built.stages:
        report_progress(stage.stage_id, 0, len(doc_ids))
    submitted: list[tuple[int, int, PrefectFuture[StageStats]]] = []
    # in this process, each batch's results are stored while the next batch runs (see tandem.flows.writer)
    with background_writes(run_id) if not parallel else nullcontext():
        for chunk in batched(doc_ids, max(sizes)):
            upstream: list[PrefectFuture[StageStats]] = []
            for index, stage in enumerate(built.stages):
                current: list[PrefectFuture[StageStats]] = []
                for batch in batched(chunk, sizes[index]):
                    numbers[index] += 1
                    args: dict[str, Any] = {
                        "ref": ref, "stage_index": index, "stage_name": stage.stage_id,
                        "batch_label": f"batch {numbers[index]}/{totals[index]}", "document_ids": list(batch)}
                    if not parallel:  # one batch after the other, in this process
                        all_stats.append(stage_batch_task(**args))
                        done[index] += len(batch)
                        report_progress(stage.stage_id, done[index], len(doc_ids))
                        continue
                    # on a distributed runner a stage's batches wait only for the previous stage's on the same chunk
                    future = stage_batch_task.submit(**args, wait_for=upstream)
                    current.append(future)
                    submitted.append((index, len(batch), future))
                upstream = current
    for index, size, future in submitted:
        all_stats.append(future.result())
        done[index] += size
        report_progress(built.stages[index].stage_id, done[index], len(doc_ids))
    process_s = time.perf_counter() - registered
    load_s = sum(stats.load_ms for stats in all_stats) / 1000  # models load in the first batch that needs them
    timings = {"register_s": round(registered - started, 3), "process_s": round(process_s, 3),
               "load_s": round(load_s, 3), "stages_s": round(max(process_s - load_s, 0.0), 3)}
    summary = finish_run(ref, all_stats, timings)
    with unit_of_work(engine_for(url)) as session:
        summary.ingest_failures = [
            DocumentFailure(document=document.source, kind=result.error_kind or "", message=result.error or "")
            for document, result in repo.failed_results_of_run(session, run_id, INGEST_STAGE)
        ]
    create_markdown_artifact(key=f"tandem-run-{run_id}", markdown=_artifact_markdown(summary),
                             description=f"Tandem run {run_id}: counts, failures, per-stage latency")
    logger.info("run %s finished: %d succeeded, %d failed", run_id, summary.succeeded, summary.failed)
    return summary


def pipeline_flow(runner: str = "local", workers: int | None = None, address: str | None = None) -> Any:
    """The pipeline flow for a runner: ``local`` (batches one after the other in this process) or ``dask``
    (a local Dask cluster of ``workers`` single-threaded processes, or the cluster at ``address``); call the
    result like :func:`tandem_pipeline`, with ``parallel=True`` for Dask."""
    if runner == "local":
        return tandem_pipeline
    if runner != "dask":
        raise ValueError(f"unknown runner {runner!r}: choose local or dask")
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        raise ValueError("the dask runner needs prefect-dask: pip install 'tandem[dask]'") from exc
    if address:
        task_runner = DaskTaskRunner(address=address)
    else:
        task_runner = DaskTaskRunner(cluster_kwargs={"n_workers": workers or os.cpu_count() or 1,
                                                     "threads_per_worker": 1, "processes": True,
                                                     "dashboard_address": None})
    return tandem_pipeline.with_options(task_runner=cast(Any, task_runner))
