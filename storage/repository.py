"""Thin typed queries over the ORM. Every function takes a session; callers own the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from stages.contracts import (
    OUTPUT_TYPES,
    Classification,
    Entities,
    StageFailure,
    StageOutput,
    Summary,
    Usage,
)
from storage.models import (
    ComparisonRow,
    ComparisonSystemRow,
    DocumentRow,
    EntityRow,
    LabelRow,
    PipelineRunRow,
    RunDocumentRow,
    StageResultRow,
    SummaryRow,
    utcnow,
)


@dataclass(frozen=True)
class DocumentRecord:
    """A document as read from its source; ``text`` is None when it could not be decoded."""

    content_hash: str
    source: str
    text: str | None
    external_id: str | None = None
    metadata: dict[str, Any] = dc_field(default_factory=dict)


@dataclass(frozen=True)
class DocumentOutcome:
    """How one document of a run ended: ``ok`` or ``failed``, and output field -> result key."""

    status: str
    result_keys: dict[str, str]


@dataclass
class ResultRecord:
    result_key: str
    document_id: int
    stage: str
    field: str
    stage_version: str
    model_id: str
    prompt_version: str
    output: StageOutput | None = None
    failure: StageFailure | None = None
    usage: Usage = dc_field(default_factory=Usage)
    run_id: int | None = None


# -- documents -------------------------------------------------------------------------------------
def register_documents(session: Session, records: Sequence[DocumentRecord]) -> list[int]:
    """Insert documents not seen before (by content hash); return their ids in input order."""
    hashes = list(dict.fromkeys(r.content_hash for r in records))
    existing = {
        row.content_hash: row.id
        for row in session.scalars(select(DocumentRow).where(DocumentRow.content_hash.in_(hashes)))
    } if hashes else {}
    for record in records:
        if record.content_hash in existing:
            continue
        row = DocumentRow(content_hash=record.content_hash, source=record.source, external_id=record.external_id,
                          text=record.text, char_count=len(record.text or ""), meta=record.metadata)
        session.add(row)
        session.flush()
        existing[record.content_hash] = row.id
    return [existing[r.content_hash] for r in records]


def documents_by_id(session: Session, ids: Iterable[int]) -> dict[int, DocumentRow]:
    id_list = list(ids)
    if not id_list:
        return {}
    return {row.id: row for row in session.scalars(select(DocumentRow).where(DocumentRow.id.in_(id_list)))}


def count_rows(session: Session, model: type[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


# -- runs ------------------------------------------------------------------------------------------
def create_run(session: Session, pipeline: str, spec: dict[str, Any], llm: str | None,
               flow_run_id: str | None = None) -> int:
    run = PipelineRunRow(pipeline=pipeline, spec=spec, llm=llm, flow_run_id=flow_run_id)
    session.add(run)
    session.flush()
    return run.id


def attach_documents(session: Session, run_id: int, document_ids: Sequence[int]) -> None:
    already = set(session.scalars(select(RunDocumentRow.document_id).where(RunDocumentRow.run_id == run_id)))
    for position, doc_id in enumerate(dict.fromkeys(document_ids)):
        if doc_id not in already:
            session.add(RunDocumentRow(run_id=run_id, document_id=doc_id, position=position))


def finish_run(session: Session, run_id: int, status: str, stats: dict[str, Any]) -> None:
    run = session.get_one(PipelineRunRow, run_id)
    run.status = status
    run.stats = stats
    run.finished_at = utcnow()


def resolve_run_id(session: Session, run: str | int | None) -> int | None:
    """``last``/None → newest run; a number → that run (None if it does not exist)."""
    if run is None or str(run) == "last":
        return session.scalar(select(PipelineRunRow.id).order_by(PipelineRunRow.id.desc()).limit(1))
    return session.scalar(select(PipelineRunRow.id).where(PipelineRunRow.id == int(run)))


def get_run(session: Session, run_id: int) -> PipelineRunRow:
    return session.get_one(PipelineRunRow, run_id)


def run_document_ids(session: Session, run_id: int) -> list[int]:
    return list(session.scalars(
        select(RunDocumentRow.document_id).where(RunDocumentRow.run_id == run_id).order_by(RunDocumentRow.position)))


def run_links(session: Session, run_id: int) -> list[RunDocumentRow]:
    """The documents of a run (status and result keys of each), in input order."""
    return list(session.scalars(
        select(RunDocumentRow).where(RunDocumentRow.run_id == run_id).order_by(RunDocumentRow.position)))


def set_document_outcomes(session: Session, run_id: int, outcomes: Mapping[int, DocumentOutcome]) -> None:
    """Give each document of the run (by document id) its final status and result keys."""
    for link in run_links(session, run_id):
        outcome = outcomes.get(link.document_id)
        if outcome is not None:
            link.status = outcome.status
            link.result_keys = dict(outcome.result_keys)
    session.flush()


def failed_results_of_run(session: Session, run_id: int, stage: str) -> list[tuple[DocumentRow, StageResultRow]]:
    """The failed results of ``stage`` (e.g. read failures) for the documents of a run."""
    query = (select(DocumentRow, StageResultRow)
             .join(RunDocumentRow, RunDocumentRow.document_id == DocumentRow.id)
             .join(StageResultRow, StageResultRow.document_id == DocumentRow.id)
             .where(RunDocumentRow.run_id == run_id, StageResultRow.stage == stage,
                    StageResultRow.status == "failed"))
    return [(document, result) for document, result in session.execute(query).tuples()]


# -- results ---------------------------------------------------------------------------------------
def results_by_key(session: Session, keys: Iterable[str]) -> dict[str, StageResultRow]:
    key_list = list(keys)
    found: dict[str, StageResultRow] = {}
    for start in range(0, len(key_list), 500):
        chunk = key_list[start:start + 500]
        for row in session.scalars(select(StageResultRow).where(StageResultRow.result_key.in_(chunk))):
            found[row.result_key] = row
    return found


def save_results(session: Session, records: Sequence[ResultRecord]) -> None:
    """Upsert by result key: an earlier row with the same key (e.g. a failure) is replaced."""
    if not records:
        return
    keys = [r.result_key for r in records]
    for start in range(0, len(keys), 500):
        session.execute(delete(StageResultRow).where(StageResultRow.result_key.in_(keys[start:start + 500])))
    session.flush()
    for record in records:
        row = StageResultRow(
            result_key=record.result_key, document_id=record.document_id, run_id=record.run_id,
            stage=record.stage, field=record.field, stage_version=record.stage_version,
            model_id=record.model_id, prompt_version=record.prompt_version,
            status="ok" if record.failure is None else "failed",
            output_type=type(record.output).__name__ if record.output is not None else None,
            output=record.output.model_dump(mode="json") if record.output is not None else None,
            error_kind=record.failure.kind if record.failure else None,
            error=record.failure.message if record.failure else None,
            raw_answer=record.failure.raw_answer if record.failure else None,
            latency_ms=record.usage.latency_ms, prompt_tokens=record.usage.prompt_tokens,
            completion_tokens=record.usage.completion_tokens, llm_calls=record.usage.llm_calls,
        )
        _add_typed_children(row, record)
        session.add(row)
    session.flush()


def _add_typed_children(row: StageResultRow, record: ResultRecord) -> None:
    output = record.output
    if isinstance(output, Entities):
        row.entities = [EntityRow(document_id=record.document_id, start=e.start, end=e.end, label=e.label,
                                  text=e.text) for e in output.entities]
    elif isinstance(output, Classification):
        row.labels = [LabelRow(document_id=record.document_id, task=record.stage, label=output.label,
                               score=output.score, scores=output.scores)]
    elif isinstance(output, Summary):
        row.summaries = [SummaryRow(document_id=record.document_id, method=output.method, text=output.text,
                                    word_count=len(output.text.split()))]


def output_of(row: StageResultRow) -> StageOutput | None:
    if row.status != "ok" or row.output is None or row.output_type not in OUTPUT_TYPES:
        return None
    return OUTPUT_TYPES[row.output_type].model_validate(row.output)


def results_for_documents(session: Session, document_ids: Sequence[int]) -> list[StageResultRow]:
    if not document_ids:
        return []
    return list(session.scalars(
        select(StageResultRow).where(StageResultRow.document_id.in_(list(document_ids)))
        .options(selectinload(StageResultRow.entities)).order_by(StageResultRow.id)))


# -- comparisons (tandem compare) ------------------------------------------------------------------
@dataclass(frozen=True)
class ComparisonSystemRecord:
    """One compared system: its headline figures and its whole JSON object (what ``--json`` printed)."""

    name: str
    kind: str
    model_id: str
    quality: float | None
    docs_per_s: float
    p50_ms: float
    p95_ms: float
    llm_calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_per_1k_docs: float
    report: dict[str, Any]


def create_comparison(session: Session, task: str, gold: str, docs: int, cost_model: dict[str, Any],
                      systems: Sequence[ComparisonSystemRecord], chart: str | None = None,
                      flow_run_id: str | None = None) -> ComparisonRow:
    """Store a comparison and its systems (in order); returns the flushed row (id and created_at set)."""
    row = ComparisonRow(task=task, gold=gold, docs=docs, cost_model=cost_model, chart=chart, flow_run_id=flow_run_id)
    row.systems = [ComparisonSystemRow(
        position=position, name=s.name, kind=s.kind, model_id=s.model_id, quality=s.quality,
        docs_per_s=s.docs_per_s, p50_ms=s.p50_ms, p95_ms=s.p95_ms, llm_calls=s.llm_calls,
        prompt_tokens=s.prompt_tokens, completion_tokens=s.completion_tokens,
        cost_per_1k_docs=s.cost_per_1k_docs, report=s.report) for position, s in enumerate(systems)]
    session.add(row)
    session.flush()
    return row


def resolve_comparison_id(session: Session, ref: str | int | None) -> int | None:
    """``last``/None → the newest comparison; a number → that comparison (None if it does not exist)."""
    if ref is None or str(ref) == "last":
        return session.scalar(select(ComparisonRow.id).order_by(ComparisonRow.id.desc()).limit(1))
    return session.scalar(select(ComparisonRow.id).where(ComparisonRow.id == int(ref)))


def get_comparison(session: Session, comparison_id: int) -> ComparisonRow:
    """The comparison with its systems loaded (in their stored order)."""
    return session.scalars(select(ComparisonRow).where(ComparisonRow.id == comparison_id)
                           .options(selectinload(ComparisonRow.systems))).one()
