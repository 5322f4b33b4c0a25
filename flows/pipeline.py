"""The ``tandem-pipeline`` Prefect flow: read → register → one task per batch per stage → summary.

Works on Prefect's ephemeral local API (no server to start) and on a Prefect server alike.
Parameters are plain names and numbers (no live clients), so runs are reproducible from the UI.
"""

from __future__ import annotations

import threading

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.context import get_run_context
from prefect.tasks import exponential_backoff

from flows.execution import plan_keys, run_stage_batch
from flows.ingest import DEFAULT_MAX_DOC_MB, INGEST_STAGE, IngestItem, ingest_result_key, read_inputs
from flows.progress import report_progress
from flows.reports import DocumentFailure, RunSummary, StageStats
from stages.pipeline_spec import Pipeline
from storage import repository as repo
from storage.db import describe_db, engine_for, resolve_db_url, unit_of_work
from storage.models import DocumentRow, StageResultRow

_pipelines: dict[tuple[str, str | None, str | None], Pipeline] = {}
_pipelines_lock = threading.Lock()


def get_pipeline(source: str, llm: str | None, models_dir: str | None) -> Pipeline:
    """Build (once per process) the pipeline named ``source``; stages keep their loaded models."""
    key = (source, llm, models_dir)
    with _pipelines_lock:
        if key not in _pipelines:
            _pipelines[key] = Pipeline.load(source, llm=llm, models_dir=models_dir)
        return _pipelines[key]


@task(name="register-documents", retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=1))
def register_documents(paths: list[str], db_url: str, pipeline_source: str, llm: str | None,
                       models_dir: str | None, max_doc_mb: float) -> tuple[int, list[int]]:
    """Read inputs, store documents (deduplicated by content hash) and read failures; open a run."""
    pipeline = get_pipeline(pipeline_source, llm, models_dir)
    items: list[IngestItem] = read_inputs(paths, max_doc_mb)
    engine = engine_for(db_url)
    try:
        flow_run_id = str(get_run_context().flow_run.id)  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - outside a flow run
        flow_run_id = None
    with unit_of_work(engine) as session:
        run_id = repo.create_run(session, pipeline.name, pipeline.spec.model_dump(mode="json"), llm, flow_run_id)
        ids = repo.register_documents(session, [item.record for item in items])
        repo.attach_documents(session, run_id, ids)
        failures = [
            repo.ResultRecord(result_key=ingest_result_key(item.record.content_hash), document_id=doc_id,
                              stage=INGEST_STAGE, field="text", stage_version="1", model_id="", prompt_version="",
                              failure=item.failure, run_id=run_id)
            for item, doc_id in zip(items, ids) if item.failure is not None
        ]
        repo.save_results(session, failures)
    good = [doc_id for item, doc_id in zip(items, ids) if item.failure is None]
    return run_id, list(dict.fromkeys(good))


@task(name="run-stage-batch", retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=2),
      task_run_name="{stage_name} [{batch_label}]")
def stage_batch_task(db_url: str, pipeline_source: str, llm: str | None, models_dir: str | None,
                     stage_index: int, stage_name: str, batch_label: str, document_ids: list[int],
                     run_id: int) -> StageStats:
    """One stage over one batch of documents (never one task per document)."""
    pipeline = get_pipeline(pipeline_source, llm, models_dir)
    return run_stage_batch(engine_for(db_url), pipeline, stage_index, document_ids, run_id)


@task(name="finish-run")
def finish_run(db_url: str, pipeline_source: str, llm: str | None, models_dir: str | None, run_id: int,
               stage_stats: list[StageStats]) -> RunSummary:
    """Give each document of the run its status and result keys; close the run with its statistics."""
    pipeline = get_pipeline(pipeline_source, llm, models_dir)
    engine = engine_for(db_url)
    with unit_of_work(engine) as session:
        doc_ids = repo.run_document_ids(session, run_id)
        documents = repo.documents_by_id(session, doc_ids)
        plans = plan_keys(pipeline, [doc.content_hash for doc in documents.values()])
        all_keys = {key for plan in plans.values() for key in plan.values()}
        ingest_keys = {ingest_result_key(doc.content_hash) for doc in documents.values()}
        stored = repo.results_by_key(session, all_keys | ingest_keys)
        outcomes = {doc_id: _outcome(documents[doc_id], plans, stored) for doc_id in doc_ids}
        repo.set_document_outcomes(session, run_id, outcomes)
        failed = sum(outcome.status == "failed" for outcome in outcomes.values())
        summary = RunSummary(run_id=run_id, pipeline=pipeline.name, documents=len(doc_ids),
                             succeeded=len(doc_ids) - failed, failed=failed, stages=StageStats.merged(stage_stats),
                             database=describe_db(db_url))
        repo.finish_run(session, run_id, "completed" if failed == 0 else "completed_with_failures",
                        summary.stored_stats())
    return summary


def _outcome(doc: DocumentRow, plans: dict[str, dict[str, str]],
             stored: dict[str, StageResultRow]) -> repo.DocumentOutcome:
    """A document failed when it could not be read, or when any of its planned results is not ``ok``."""
    ingest_key = ingest_result_key(doc.content_hash)
    ingest = stored.get(ingest_key)
    if doc.text is None or (ingest is not None and ingest.status == "failed"):
        return repo.DocumentOutcome("failed", {INGEST_STAGE: ingest_key})
    keys = plans[doc.content_hash]
    ok = all(k in stored and stored[k].status == "ok" for k in keys.values())
    return repo.DocumentOutcome("ok" if ok else "failed", keys)


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


@flow(name="tandem-pipeline", log_prints=True)
def tandem_pipeline(paths: list[str], pipeline: str = "default", db_url: str | None = None,
                    llm: str | None = None, batch_size: int = 8, models_dir: str | None = None,
                    max_doc_mb: float = DEFAULT_MAX_DOC_MB) -> RunSummary:
    """Run ``pipeline`` (a built-in name or a YAML/TOML spec file) over files/folders in ``paths``.

    Results go to ``db_url`` (default ``$TANDEM_DB_URL`` or ``sqlite:///tandem.db``). Returns the
    run summary (run id, counts, per-stage statistics); failures are stored, never raised.
    """
    logger = get_run_logger()
    url = resolve_db_url(db_url)
    built = get_pipeline(pipeline, llm, models_dir)  # validates before any document is read
    run_id, doc_ids = register_documents(paths, url, pipeline, llm, models_dir, max_doc_mb)
    logger.info("run %s: %d documents to process with %s", run_id, len(doc_ids),
                " → ".join(s.stage_id for s in built.stages))
    all_stats: list[StageStats] = []
    size = max(1, batch_size)
    batches = [doc_ids[i:i + size] for i in range(0, len(doc_ids), size)]
    for index, stage in enumerate(built.stages):
        done = 0
        report_progress(stage.stage_id, 0, len(doc_ids))
        for number, batch in enumerate(batches, start=1):
            stats = stage_batch_task(url, pipeline, llm, models_dir, index, stage.stage_id,
                                     f"batch {number}/{len(batches)}", batch, run_id)
            all_stats.append(stats)
            done += len(batch)
            report_progress(stage.stage_id, done, len(doc_ids))
    summary = finish_run(url, pipeline, llm, models_dir, run_id, all_stats)
    with unit_of_work(engine_for(url)) as session:
        summary.ingest_failures = [
            DocumentFailure(document=document.source, kind=result.error_kind or "", message=result.error or "")
            for document, result in repo.failed_results_of_run(session, run_id, INGEST_STAGE)
        ]
    create_markdown_artifact(key=f"tandem-run-{run_id}", markdown=_artifact_markdown(summary),
                             description=f"Tandem run {run_id}: counts, failures, per-stage latency")
    logger.info("run %s finished: %d succeeded, %d failed", run_id, summary.succeeded, summary.failed)
    return summary
