"""A :class:`ComparisonReport` to SQL and back (queries in :mod:`tandem.storage.repository`).

Each system's whole JSON object is stored next to its headline figures, so ``tandem results --comparison``
prints exactly what ``tandem compare --json`` printed.
"""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import Engine

from tandem.specialists.comparison.cost import CostModel
from tandem.specialists.comparison.report import ComparisonReport, SystemReport
from tandem.storage import repository as repo
from tandem.storage.db import unit_of_work
from tandem.storage.models import ComparisonRow


class ComparisonNotFoundError(LookupError):
    pass


def _record(report: ComparisonReport, system: SystemReport) -> repo.ComparisonSystemRecord:
    return repo.ComparisonSystemRecord(
        name=system.name, kind=system.kind, model_id=system.model_id, quality=system.quality(report.task),
        docs_per_s=system.docs_per_s, p50_ms=system.p50_ms, p95_ms=system.p95_ms, llm_calls=system.llm_calls,
        prompt_tokens=system.prompt_tokens, completion_tokens=system.completion_tokens,
        cost_per_1k_docs=system.cost_per_1k_docs, report=system.model_dump(mode="json"))


def _created(row: ComparisonRow) -> str:
    """ISO time in UTC, the same whether the row was just written or read back (SQLite drops the zone)."""
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return created.astimezone(UTC).isoformat(timespec="seconds")


def _report(row: ComparisonRow) -> ComparisonReport:
    return ComparisonReport.model_validate({
        "task": row.task, "gold": row.gold, "docs": row.docs, "cost_model": CostModel.model_validate(row.cost_model),
        "systems": [SystemReport.from_json(system.report) for system in row.systems],
        "comparison_id": row.id, "created_at": _created(row), "chart": row.chart})


def save_comparison(engine: Engine, report: ComparisonReport, flow_run_id: str | None = None) -> ComparisonReport:
    """Store ``report`` (one transaction); return it with ``comparison_id`` and ``created_at`` set."""
    with unit_of_work(engine) as session:
        row = repo.create_comparison(
            session, report.task, report.gold, report.docs, report.cost_model.model_dump(mode="json"),
            [_record(report, system) for system in report.systems], chart=report.chart, flow_run_id=flow_run_id)
        return _report(row)


def load_comparison(engine: Engine, ref: str | int = "last") -> ComparisonReport:
    """The stored comparison ``ref`` (an id or ``last``); ComparisonNotFoundError when there is none."""
    with unit_of_work(engine) as session:
        comparison_id = repo.resolve_comparison_id(session, ref)
        if comparison_id is None:
            raise ComparisonNotFoundError(
                "no comparison stored yet (run 'tandem compare')" if str(ref) == "last"
                else f"no comparison with id {ref}")
        return _report(repo.get_comparison(session, comparison_id))
