"""Thin typed queries over the ORM. Every function takes a session; callers own the transaction."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

import psutil
from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from tandem.stages.contracts import (
    OUTPUT_TYPES,
    Classification,
    Entities,
    StageFailure,
    StageOutput,
    Summary,
    Usage,
)
from tandem.storage.models import (
    ComparisonRow,
    ComparisonSystemRow,
    DocumentRow,
    EntityRow,
    LabelRow,
    PipelineRunRow,
    RunDocumentRow,
    RunRecordRow,
    StageResultRow,
    SummaryRow,
    utcnow,
)

#: ids or keys per ``IN (...)`` query (well under SQLite's and PostgreSQL's parameter limits)
_IN_CHUNK = 500
T = TypeVar("T")


def _in_chunks(values: Iterable[T]) -> Iterator[list[T]]:
    """``values`` in lists of :data:`_IN_CHUNK`, one ``IN (...)`` query each."""
    items = list(values)
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start:start + _IN_CHUNK]


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
    """Insert documents not seen before (by content hash) in one bulk INSERT; return their ids in input order."""
    hashes = list(dict.fromkeys(r.content_hash for r in records))
    existing = _pairs(session, DocumentRow.content_hash, DocumentRow.id, hashes)
    new: dict[str, DocumentRecord] = {}
    for record in records:
        if record.content_hash not in existing:
            new.setdefault(record.content_hash, record)
    if new:
        now = utcnow()
        rows = [{"content_hash": r.content_hash, "source": r.source, "external_id": r.external_id, "text": r.text,
                 "char_count": len(r.text or ""), "metadata": r.metadata, "created_at": now} for r in new.values()]
        _insert_many(session, DocumentRow, _storable(session, rows), skip_conflicts_on="content_hash")  # a concurrent run may win
        existing.update(_pairs(session, DocumentRow.content_hash, DocumentRow.id, list(new)))
    return [existing[r.content_hash] for r in records]


def _insert_many(session: Session, model: type[Any], rows: list[dict[str, Any]],
                 skip_conflicts_on: str | None = None) -> None:
    """A Core ``executemany`` INSERT into ``model``'s table (rows keyed by column name). ``skip_conflicts_on``:
    a unique column; a row whose value is already stored (by a concurrent run) is skipped, not an error."""
    table = cast(Table, model.__table__)
    dialect = session.get_bind().dialect.name
    if skip_conflicts_on and dialect in ("sqlite", "postgresql"):
        dialect_insert = sqlite_insert if dialect == "sqlite" else pg_insert
        session.execute(dialect_insert(table).on_conflict_do_nothing(index_elements=[skip_conflicts_on]), rows)
        return
    session.execute(insert(table), rows)


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {k: _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _storable(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """PostgreSQL refuses NUL characters in text and JSONB: there they are stored as U+FFFD (SQLite keeps them)."""
    if session.get_bind().dialect.name != "postgresql":
        return rows
    return [_without_nul(row) if "\\x00" in repr(row) else row for row in rows]


def _pairs(session: Session, key_column: Any, value_column: Any, keys: Iterable[Any]) -> dict[Any, Any]:
    """``key → value`` of the rows whose unique ``key_column`` is among ``keys`` (in chunks)."""
    found: dict[Any, Any] = {}
    for chunk in _in_chunks(keys):
        query = select(key_column, value_column).where(key_column.in_(chunk))
        found.update({key: value for key, value in session.execute(query).tuples()})
    return found


def document_keys(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, bool]]:
    """Document id → (content hash, whether it has text), without loading the texts."""
    found: dict[int, tuple[str, bool]] = {}
    for chunk in _in_chunks(ids):
        query = select(DocumentRow.id, DocumentRow.content_hash, DocumentRow.text.is_not(None)).where(
            DocumentRow.id.in_(chunk))
        found.update({doc_id: (content_hash, bool(has_text))
                      for doc_id, content_hash, has_text in session.execute(query).tuples()})
    return found


def documents_by_id(session: Session, ids: Iterable[int]) -> dict[int, DocumentRow]:
    found: dict[int, DocumentRow] = {}
    for chunk in _in_chunks(ids):  # a run's documents can be far more than one query's parameters
        found.update({row.id: row for row in session.scalars(select(DocumentRow).where(DocumentRow.id.in_(chunk)))})
    return found


def count_rows(session: Session, model: type[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


# -- runs ------------------------------------------------------------------------------------------
def create_run(session: Session, pipeline: str, spec: dict[str, Any], llm: str | None,
               flow_run_id: str | None = None) -> int:
    """Open a ``running`` run owned by this process (host and pid, for :func:`stale_runs`)."""
    run = PipelineRunRow(pipeline=pipeline, spec=spec, llm=llm, flow_run_id=flow_run_id, host=socket.gethostname(),
                         pid=os.getpid(), heartbeat_at=utcnow())
    session.add(run)
    session.flush()
    return run.id


def touch_run(session: Session, run_id: int) -> None:
    """The run is alive: it has just stored a batch."""
    session.execute(update(PipelineRunRow).where(PipelineRunRow.id == run_id).values(heartbeat_at=utcnow()))


def attach_records(session: Session, run_id: int, records: Sequence[tuple[int, str, str | None]],
                   first_position: int = 0) -> int:
    """Store the input records ``(document id, source, own id)`` a run read (a source already stored for the
    run, e.g. by a retried task, is skipped); returns how many were stored."""
    wanted = {source: (doc_id, source, external_id) for doc_id, source, external_id in records}
    already: set[str] = set()
    for chunk in _in_chunks(wanted):
        already.update(session.scalars(select(RunRecordRow.source).where(
            RunRecordRow.run_id == run_id, RunRecordRow.source.in_(chunk))))
    rows = [{"run_id": run_id, "document_id": doc_id, "position": first_position + offset, "source": source,
             "external_id": (external_id or None) and external_id[:255]}
            for offset, (doc_id, source, external_id) in enumerate(r for r in wanted.values() if r[1] not in already)]
    if rows:
        _insert_many(session, RunRecordRow, rows)
    return len(rows)


def run_records(session: Session, run_id: int) -> list[RunRecordRow]:
    """The input records of a run, in input order (empty for runs stored before records were kept)."""
    return list(session.scalars(
        select(RunRecordRow).where(RunRecordRow.run_id == run_id).order_by(RunRecordRow.position)))


@dataclass(frozen=True)
class RunListing:
    """A run as ``tandem runs`` shows it: the row and its documents' counts by status."""

    run: PipelineRunRow
    records: int
    documents: int
    ok: int
    failed: int
    pending: int


def list_runs(session: Session, limit: int = 20) -> list[RunListing]:
    """The newest ``limit`` runs, newest first, with their counts."""
    runs = list(session.scalars(select(PipelineRunRow).order_by(PipelineRunRow.id.desc()).limit(limit)))
    ids = [run.id for run in runs]
    counts: dict[int, dict[str, int]] = {run_id: {} for run_id in ids}
    query = (select(RunDocumentRow.run_id, RunDocumentRow.status, func.count())
             .where(RunDocumentRow.run_id.in_(ids)).group_by(RunDocumentRow.run_id, RunDocumentRow.status))
    for run_id, status, number in session.execute(query).tuples():
        counts[run_id][status] = int(number)
    per_run = select(RunRecordRow.run_id, func.count()).where(RunRecordRow.run_id.in_(ids)).group_by(RunRecordRow.run_id)
    records = {run_id: number for run_id, number in session.execute(per_run).tuples()}
    return [RunListing(run=run, records=int(records.get(run.id, 0)), documents=sum(counts[run.id].values()),
                       ok=counts[run.id].get("ok", 0), failed=counts[run.id].get("failed", 0),
                       pending=counts[run.id].get("pending", 0)) for run in runs]


def _process_alive(pid: int) -> bool:
    """Whether process ``pid`` on this machine still runs (a zombie, exited but not yet reaped, does not)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:  # psutil.ZombieProcess included
        return False
    except psutil.AccessDenied:  # someone else's process: alive
        return True


def stale_runs(session: Session, silent_for: timedelta = timedelta(hours=6),
               now: datetime | None = None) -> list[PipelineRunRow]:
    """``running`` runs that cannot be running: their process on this machine is gone, or (another machine,
    or no owner recorded) they have stored nothing for ``silent_for``."""
    now = now or utcnow()
    here = socket.gethostname()
    stale = []
    for run in session.scalars(select(PipelineRunRow).where(PipelineRunRow.status == "running")):
        if run.host == here and run.pid is not None:
            if run.pid != os.getpid() and not _process_alive(run.pid):
                stale.append(run)
            continue
        last = run.heartbeat_at or run.started_at
        if last.tzinfo is None:  # SQLite hands back naive datetimes
            last = last.replace(tzinfo=now.tzinfo)
        if now - last > silent_for:
            stale.append(run)
    return stale


def mark_crashed(session: Session, runs: Sequence[PipelineRunRow], reason: str) -> None:
    """Close stale runs as ``crashed``; their unfinished documents stay ``pending`` (a rerun picks them up)."""
    for run in runs:
        run.status = "crashed"
        run.finished_at = utcnow()
        run.stats = {**(run.stats or {}), "crashed": reason}
    session.flush()


def attach_documents(session: Session, run_id: int, document_ids: Sequence[int], first_position: int = 0) -> int:
    """Link documents to a run (those already linked are skipped), numbered from ``first_position``;
    returns how many were linked (a chunked caller adds it to its next ``first_position``)."""
    wanted = list(dict.fromkeys(document_ids))
    already: set[int] = set()
    for chunk in _in_chunks(wanted):
        already.update(session.scalars(select(RunDocumentRow.document_id).where(
            RunDocumentRow.run_id == run_id, RunDocumentRow.document_id.in_(chunk))))
    rows = [{"run_id": run_id, "document_id": doc_id, "position": first_position + offset, "status": "pending",
             "result_keys": {}}
            for offset, doc_id in enumerate(d for d in wanted if d not in already)]
    if rows:
        _insert_many(session, RunDocumentRow, rows)
    return len(rows)


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
    """Give documents of the run (by document id) their final status and result keys (one UPDATE statement
    executed for many rows)."""
    if not outcomes:
        return
    table: Table = RunDocumentRow.__table__  # type: ignore[assignment]
    statement = (update(table)
                 .where(table.c.run_id == bindparam("run"), table.c.document_id == bindparam("doc"))
                 .values(status=bindparam("new_status"),
                         result_keys=bindparam("new_keys", type_=table.c.result_keys.type)))
    session.flush()
    session.connection().execute(statement, [
        {"run": run_id, "doc": doc_id, "new_status": outcome.status, "new_keys": dict(outcome.result_keys)}
        for doc_id, outcome in outcomes.items()])


def result_statuses(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """Result key → status (``ok``/``failed``) of the stored results among ``keys``, without their outputs."""
    return _pairs(session, StageResultRow.result_key, StageResultRow.status, keys)


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
    found: dict[str, StageResultRow] = {}
    for chunk in _in_chunks(keys):
        for row in session.scalars(select(StageResultRow).where(StageResultRow.result_key.in_(chunk))):
            found[row.result_key] = row
    return found


def save_results(session: Session, records: Sequence[ResultRecord], replaces: Iterable[str] | None = None) -> None:
    """Upsert by result key: an earlier row with the same key (e.g. a failure) is replaced. Bulk statements:
    one DELETE per 500 keys (the database cascades to the typed rows), one INSERT for the results, one
    SELECT for their ids and one INSERT per typed table (entities, labels, summaries). ``replaces``: the
    keys that may already be stored, when the caller knows (default: all of them)."""
    unique = list({record.result_key: record for record in records}.values())  # one row per key, the last wins
    if not unique:
        return
    keys = [r.result_key for r in unique]
    known = None if replaces is None else set(replaces)
    stale = keys if known is None else [k for k in keys if k in known]
    for chunk in _in_chunks(stale):
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
    rows = _storable(session, rows)
    # Core executemany (not ORM bulk, not RETURNING, which SQLite runs row by row): the fast path on both databases.
    # A key a concurrent run stored meanwhile is skipped (same key, same result): its typed rows are that run's.
    _insert_many(session, StageResultRow, rows, skip_conflicts_on="result_key")
    ids = _own_ids(session, keys, now)
    children: dict[type[Any], list[dict[str, Any]]] = {EntityRow: [], LabelRow: [], SummaryRow: []}
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
        elif isinstance(output, Summary):
            children[SummaryRow].append({**base, "method": output.method, "text": output.text,
                                         "word_count": len(output.text.split())})
    for model, child_rows in children.items():
        if child_rows:
            _insert_many(session, model, child_rows)


def _own_ids(session: Session, keys: Sequence[str], created_at: datetime) -> dict[str, int]:
    """Result key → id of the rows among ``keys`` this transaction inserted (stamped ``created_at``)."""
    found: dict[str, int] = {}
    for chunk in _in_chunks(keys):
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
