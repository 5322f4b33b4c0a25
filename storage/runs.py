"""Pipeline runs: open, link documents and records, settle outcomes, list, find stale ones and close them.
Every function takes a session; callers own the transaction."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psutil
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from tandem.storage.bulk import in_chunks, insert_many
from tandem.storage.models import (
    PipelineRunRow,
    RunDocumentRow,
    RunRecordRow,
    utcnow,
)


@dataclass(frozen=True)
class DocumentOutcome:
    """How one document of a run ended: ``ok`` or ``failed``, and output field -> result key."""

    status: str
    result_keys: dict[str, str]


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
    for chunk in in_chunks(wanted):
        already.update(session.scalars(select(RunRecordRow.source).where(
            RunRecordRow.run_id == run_id, RunRecordRow.source.in_(chunk))))
    rows = [{"run_id": run_id, "document_id": doc_id, "position": first_position + offset, "source": source,
             "external_id": (external_id or None) and external_id[:255]}
            for offset, (doc_id, source, external_id) in enumerate(r for r in wanted.values() if r[1] not in already)]
    if rows:
        insert_many(session, RunRecordRow, rows)
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


def process_alive(pid: int) -> bool:
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
            if run.pid != os.getpid() and not process_alive(run.pid):
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
    for chunk in in_chunks(wanted):
        already.update(session.scalars(select(RunDocumentRow.document_id).where(
            RunDocumentRow.run_id == run_id, RunDocumentRow.document_id.in_(chunk))))
    rows = [{"run_id": run_id, "document_id": doc_id, "position": first_position + offset, "status": "pending",
             "result_keys": {}}
            for offset, doc_id in enumerate(d for d in wanted if d not in already)]
    if rows:
        insert_many(session, RunDocumentRow, rows)
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
