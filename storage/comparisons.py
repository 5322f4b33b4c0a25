"""Stored comparisons (``tandem compare``): one row per comparison, one per system. Every function takes a
session; callers own the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tandem.storage.models import (
    ComparisonRow,
    ComparisonSystemRow,
)


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
