"""What a run produced, per document, as a typed :class:`~tandem.flows.reports.RunReport` (for ``tandem
results`` and the Python API)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from tandem.flows.reports import (
    DuplicateOf,
    EntityMention,
    LabelScore,
    ResultFailure,
    ResultRow,
    RunInfo,
    RunReport,
    StageTotals,
)
from tandem.stages.contracts import OUTPUT_TYPES, Classification, Entities, StageOutput, Summary
from tandem.storage import repository as repo
from tandem.storage.db import unit_of_work
from tandem.storage.models import DocumentRow, PipelineRunRow, RunDocumentRow, StageResultRow
from tandem.storage.vectors import duplicate_marks


class RunNotFoundError(LookupError):
    pass


def run_report(engine: Engine, run: str | int | None = "last") -> RunReport:
    """Documents of a run (including reused results) with status, outputs, failures and totals."""
    with unit_of_work(engine) as session:
        run_id = repo.resolve_run_id(session, run)
        if run_id is None:
            raise RunNotFoundError("no pipeline run in this database yet" if run in (None, "last")
                                   else f"no run with id {run}")
        run_row = repo.get_run(session, run_id)
        links = repo.run_links(session, run_id)
        documents = repo.documents_by_id(session, [link.document_id for link in links])
        rows = repo.results_by_key(session, {key for link in links for key in (link.result_keys or {}).values()})
        totals: dict[str, StageTotals] = {}
        by_document = {link.document_id: _result_row(link, documents[link.document_id], rows, run_id, totals)
                       for link in links}
        records = repo.run_records(session, run_id)
        marks = duplicate_marks(session, run_id)
        if not records:  # a run stored before records were kept: one row per document
            rows_out = list(by_document.values())
            firsts = {row.id: (row.external_id, row.source) for row in rows_out}
            return RunReport(run=_run_info(run_row), documents=_with_marks(rows_out, marks, firsts), totals=totals)
        # one row per input record, under its own id and source; identical texts share their results
        out_rows = [by_document[record.document_id].model_copy(update={
            "external_id": record.external_id, "source": record.source}) for record in records]
        firsts = {}
        for record in records:
            firsts.setdefault(record.document_id, (record.external_id, record.source))
        return RunReport(run=_run_info(run_row), documents=_with_marks(out_rows, marks, firsts), totals=totals)


def _with_marks(rows: list[ResultRow], marks: dict[int, tuple[int, float]],
                firsts: dict[int, tuple[str | None, str]]) -> list[ResultRow]:
    """``rows`` with ``duplicate_of`` set from the run's duplicate marks (pointing at the first record of the
    document each duplicates)."""
    for row in rows:
        if row.id in marks and marks[row.id][0] in firsts:
            first, score = marks[row.id]
            external_id, source = firsts[first]
            row.duplicate_of = DuplicateOf(id=first, external_id=external_id, source=source, score=score)
    return rows


def _run_info(run_row: PipelineRunRow) -> RunInfo:
    return RunInfo(id=run_row.id, pipeline=run_row.pipeline, llm=run_row.llm, status=run_row.status,
                   started_at=run_row.started_at.isoformat(),
                   finished_at=run_row.finished_at.isoformat() if run_row.finished_at else None)


def _result_row(link: RunDocumentRow, doc: DocumentRow, rows: dict[str, StageResultRow], run_id: int,
                totals: dict[str, StageTotals]) -> ResultRow:
    """One document's outputs and failures; adds its results to ``totals``."""
    entry = ResultRow(id=doc.id, external_id=doc.external_id, source=doc.source, content_hash=doc.content_hash,
                      status=link.status)
    for field, key in (link.result_keys or {}).items():
        row = rows.get(key)
        if row is None:
            entry.failures.append(ResultFailure(stage=field, kind="missing", message="no result stored"))
            continue
        _add_totals(totals, row, reused=row.run_id != run_id)
        if row.status != "ok":
            entry.failures.append(ResultFailure(stage=row.stage, kind=row.error_kind, message=row.error,
                                                raw_answer=row.raw_answer))
            continue
        entry.outputs[field] = {"stage": row.stage, "type": row.output_type, **(row.output or {}),
                                "model_id": row.model_id, "prompt_tokens": row.prompt_tokens,
                                "completion_tokens": row.completion_tokens,
                                "latency_ms": round(row.latency_ms, 1), "reused": row.run_id != run_id}
    entry.summary = _first_of_type(entry.outputs, Summary, "text")
    entry.entities = [
        EntityMention(text=e["text"], label=e["label"], start=e["start"], end=e["end"], page=e.get("page"))
        for out in entry.outputs.values() if _is_a(out, Entities) for e in out["entities"]]
    entry.labels = {f: LabelScore(label=o["label"], score=o["score"])
                    for f, o in entry.outputs.items() if _is_a(o, Classification)}
    return entry


def _add_totals(totals: dict[str, StageTotals], row: StageResultRow, reused: bool) -> None:
    t = totals.setdefault(row.stage, StageTotals(model_id=row.model_id))
    t.results += 1
    if row.status == "ok":
        t.ok += 1
    else:
        t.failed += 1
    t.reused += int(reused)
    t.llm_calls += row.llm_calls
    t.prompt_tokens += row.prompt_tokens
    t.completion_tokens += row.completion_tokens
    t.latency_ms = round(t.latency_ms + row.latency_ms, 1)


def _is_a(output: dict[str, Any], parent: type[StageOutput]) -> bool:
    """Whether a stored output's type is ``parent`` or a subclass (``RoutedClassification`` is a Classification)."""
    stored = OUTPUT_TYPES.get(str(output.get("type")))
    return stored is not None and issubclass(stored, parent)


def _first_of_type(outputs: dict[str, dict[str, Any]], parent: type[StageOutput], key: str) -> Any:
    for out in outputs.values():
        if _is_a(out, parent):
            return out.get(key)
    return None
