"""Thin typed queries over the ORM: documents and stage results. Runs are in :mod:`tandem.storage.runs`,
comparisons in :mod:`tandem.storage.comparisons` (their names are importable from here too). Every function
takes a session; callers own the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from tandem.stages.contracts import (
    OUTPUT_TYPES,
    Classification,
    Embedding,
    Entities,
    RoutedClassification,
    StageFailure,
    StageOutput,
    Summary,
    Usage,
)
from tandem.storage.bulk import in_chunks, insert_many, pairs, storable
from tandem.storage.comparisons import (
    ComparisonSystemRecord,
    create_comparison,
    get_comparison,
    resolve_comparison_id,
)
from tandem.storage.labels import LabelRecord, save_labels
from tandem.storage.models import (
    DocumentRow,
    EmbeddingRow,
    EntityRow,
    LabelRow,
    RunDocumentRow,
    StageResultRow,
    SummaryRow,
    utcnow,
)
from tandem.storage.runs import (
    DocumentOutcome,
    RunListing,
    attach_documents,
    attach_records,
    create_run,
    finish_run,
    get_run,
    list_runs,
    mark_crashed,
    resolve_run_id,
    run_document_ids,
    run_links,
    run_records,
    set_document_outcomes,
    stale_runs,
    touch_run,
)
from tandem.storage.vectors import to_bytes

__all__ = [
    "ComparisonSystemRecord",
    "DocumentOutcome",
    "DocumentRecord",
    "ResultRecord",
    "RunListing",
    "attach_documents",
    "attach_records",
    "count_rows",
    "create_comparison",
    "create_run",
    "document_keys",
    "documents_by_id",
    "failed_results_of_run",
    "finish_run",
    "get_comparison",
    "get_run",
    "list_runs",
    "mark_crashed",
    "output_of",
    "register_documents",
    "resolve_comparison_id",
    "resolve_run_id",
    "result_statuses",
    "results_by_key",
    "results_for_documents",
    "run_document_ids",
    "run_links",
    "run_records",
    "save_results",
    "set_document_outcomes",
    "stale_runs",
    "touch_run",
]


@dataclass(frozen=True)
class DocumentRecord:
    """A document as read from its source; ``text`` is None when it could not be decoded."""

    content_hash: str
    source: str
    text: str | None
    external_id: str | None = None
    metadata: dict[str, Any] = dc_field(default_factory=dict)


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


def register_documents(session: Session, records: Sequence[DocumentRecord]) -> list[int]:
    """Insert documents not seen before (by content hash) in one bulk INSERT; return their ids in input order."""
    hashes = list(dict.fromkeys(r.content_hash for r in records))
    existing = pairs(session, DocumentRow.content_hash, DocumentRow.id, hashes)
    new: dict[str, DocumentRecord] = {}
    for record in records:
        if record.content_hash not in existing:
            new.setdefault(record.content_hash, record)
    if new:
        now = utcnow()
        rows = [{"content_hash": r.content_hash, "source": r.source, "external_id": r.external_id, "text": r.text,
                 "char_count": len(r.text or ""), "metadata": r.metadata, "created_at": now} for r in new.values()]
        insert_many(session, DocumentRow, storable(session, rows), skip_conflicts_on="content_hash")  # a concurrent run may win
        existing.update(pairs(session, DocumentRow.content_hash, DocumentRow.id, list(new)))
    return [existing[r.content_hash] for r in records]


def document_keys(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, bool]]:
    """Document id → (content hash, whether it has text), without loading the texts."""
    found: dict[int, tuple[str, bool]] = {}
    for chunk in in_chunks(ids):
        query = select(DocumentRow.id, DocumentRow.content_hash, DocumentRow.text.is_not(None)).where(
            DocumentRow.id.in_(chunk))
        found.update({doc_id: (content_hash, bool(has_text))
                      for doc_id, content_hash, has_text in session.execute(query).tuples()})
    return found


def documents_by_id(session: Session, ids: Iterable[int]) -> dict[int, DocumentRow]:
    found: dict[int, DocumentRow] = {}
    for chunk in in_chunks(ids):  # a run's documents can be far more than one query's parameters
        found.update({row.id: row for row in session.scalars(select(DocumentRow).where(DocumentRow.id.in_(chunk)))})
    return found


def count_rows(session: Session, model: type[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def result_statuses(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """Result key → status (``ok``/``failed``) of the stored results among ``keys``, without their outputs."""
    return pairs(session, StageResultRow.result_key, StageResultRow.status, keys)


def failed_results_of_run(session: Session, run_id: int, stage: str) -> list[tuple[DocumentRow, StageResultRow]]:
    """The failed results of ``stage`` (e.g. read failures) for the documents of a run."""
    query = (select(DocumentRow, StageResultRow)
             .join(RunDocumentRow, RunDocumentRow.document_id == DocumentRow.id)
             .join(StageResultRow, StageResultRow.document_id == DocumentRow.id)
             .where(RunDocumentRow.run_id == run_id, StageResultRow.stage == stage,
                    StageResultRow.status == "failed"))
    return [(document, result) for document, result in session.execute(query).tuples()]


def results_by_key(session: Session, keys: Iterable[str]) -> dict[str, StageResultRow]:
    found: dict[str, StageResultRow] = {}
    for chunk in in_chunks(keys):
        for row in session.scalars(select(StageResultRow).where(StageResultRow.result_key.in_(chunk))):
            found[row.result_key] = row
    return found


def save_results(session: Session, records: Sequence[ResultRecord], replaces: Iterable[str] | None = None) -> None:
    """Upsert by result key: an earlier row with the same key (e.g. a failure) is replaced. Bulk statements:
    one DELETE per 500 keys (the database cascades to the typed rows), one INSERT for the results, one
    SELECT for their ids and one INSERT per typed table (entities, labels, summaries, embeddings: the vector as float32 bytes). ``replaces``: the
    keys that may already be stored, when the caller knows (default: all of them)."""
    unique = list({record.result_key: record for record in records}.values())  # one row per key, the last wins
    if not unique:
        return
    keys = [r.result_key for r in unique]
    known = None if replaces is None else set(replaces)
    stale = keys if known is None else [k for k in keys if k in known]
    for chunk in in_chunks(stale):
        session.execute(delete(StageResultRow).where(StageResultRow.result_key.in_(chunk)),
                        execution_options={"synchronize_session": False})
    now = utcnow()
    rows = [{
        "result_key": r.result_key, "document_id": r.document_id, "run_id": r.run_id, "stage": r.stage,
        "field": r.field, "stage_version": r.stage_version, "model_id": r.model_id,
        "prompt_version": r.prompt_version, "status": "ok" if r.failure is None else "failed",
        "output_type": type(r.output).__name__ if r.output is not None else None,
        "output": r.output.model_dump(mode="json") if r.output is not None else None,
        "error_kind": r.failure.kind if r.failure else None, "error": r.failure.message if r.failure else None,
        "raw_answer": r.failure.raw_answer if r.failure else None, "latency_ms": r.usage.latency_ms,
        "prompt_tokens": r.usage.prompt_tokens, "completion_tokens": r.usage.completion_tokens,
        "llm_calls": r.usage.llm_calls, "created_at": now,
    } for r in unique]
    rows = storable(session, rows)
    # Core executemany (not ORM bulk, not RETURNING, which SQLite runs row by row): the fast path on both databases.
    # A key a concurrent run stored meanwhile is skipped (same key, same result): its typed rows are that run's.
    insert_many(session, StageResultRow, rows, skip_conflicts_on="result_key")
    ids = _own_ids(session, keys, now)
    children: dict[type[Any], list[dict[str, Any]]] = {EntityRow: [], LabelRow: [], SummaryRow: [], EmbeddingRow: []}
    paid_for: list[tuple[int, RoutedClassification]] = []  # the LLM answers a cascade paid for: training labels
    for record in unique:
        result_id = ids.get(record.result_key)
        if result_id is None:
            continue
        output, base = record.output, {"result_id": result_id, "document_id": record.document_id}
        if isinstance(output, Entities):
            children[EntityRow] += [{**base, "start": e.start, "end": e.end, "label": e.label, "text": e.text}
                                    for e in output.entities]
        elif isinstance(output, Classification):
            children[LabelRow].append({**base, "task": record.stage, "label": output.label, "score": output.score,
                                       "scores": output.scores})
            if isinstance(output, RoutedClassification) and output.answered_by and output.task:
                paid_for.append((record.document_id, output))
        elif isinstance(output, Summary):
            children[SummaryRow].append({**base, "method": output.method, "text": output.text,
                                         "word_count": len(output.text.split())})
        elif isinstance(output, Embedding) and output.vector:
            children[EmbeddingRow].append({**base, "model": output.model, "dim": output.dim,
                                           "vector": to_bytes(output.vector)})
    for model, child_rows in children.items():
        if child_rows:
            insert_many(session, model, child_rows)
    if paid_for:
        _save_paid_labels(session, paid_for)


def _save_paid_labels(session: Session, paid_for: list[tuple[int, RoutedClassification]]) -> None:
    """The cascade's LLM answers as training labels (``llm:<model>@<prompt>``), keyed by their document's text."""
    docs = documents_by_id(session, {doc for doc, _output in paid_for})
    save_labels(session, [
        LabelRecord(task=str(output.task), text=docs[doc].text or "", label=output.label,
                    source=str(output.answered_by), confidence=output.score, specialist_label=output.specialist_label,
                    specialist_confidence=output.specialist_confidence, document_id=doc,
                    key=docs[doc].content_hash)
        for doc, output in paid_for if doc in docs and docs[doc].text])


def _own_ids(session: Session, keys: Sequence[str], created_at: datetime) -> dict[str, int]:
    """Result key → id of the rows among ``keys`` this transaction inserted (stamped ``created_at``)."""
    found: dict[str, int] = {}
    for chunk in in_chunks(keys):
        query = select(StageResultRow.result_key, StageResultRow.id, StageResultRow.created_at).where(
            StageResultRow.result_key.in_(chunk))
        for key, result_id, stamp in session.execute(query).tuples():
            if (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)) == created_at:  # SQLite: naive UTC
                found[key] = result_id
    return found


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
