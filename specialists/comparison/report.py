"""Typed results of ``tandem compare``: one :class:`SystemReport` per system, in one :class:`ComparisonReport`.

A system's JSON holds ``name``, ``kind``, the metrics of ``tandem eval`` for the task *at the top level*
(classify: ``accuracy``, ``macro_f1``, ``macro_recall``, ``per_label``; ner: ``f1``, ``precision``,
``recall``; summarize: ``rougeLsum``, ``rouge1``, ``rouge2``; embed: ``spearman``, ``pearson``, ``pairs``,
``sentences``, ``tokens``, a "document" being a sentence), then ``docs_per_s``, ``p50_ms``,
``p95_ms``, ``llm_calls``, ``prompt_tokens``, ``completion_tokens`` and ``cost_per_1k_docs``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from tandem.specialists.comparison.cost import CostModel
from tandem.specialists.comparison.measure import SystemKind, SystemRun

Task = Literal["classify", "ner", "summarize", "embed"]

#: the quality metric each task's chart and ranking use
PRIMARY_METRIC: dict[str, str] = {"classify": "macro_f1", "ner": "f1", "summarize": "rougeLsum", "embed": "spearman"}


class SystemReport(BaseModel):
    name: str
    kind: SystemKind
    model_id: str = ""
    #: the task's ``tandem eval`` metrics; serialised at the top level of the system's JSON
    metrics: dict[str, Any] = Field(default_factory=dict)
    docs: int = 0
    failures: int = 0
    docs_per_s: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cpu_seconds: float = 0.0
    load_seconds: float = 0.0
    cost_per_1k_docs: float = 0.0
    #: e.g. the cascade's chosen threshold and LLM share, in words
    note: str | None = None

    @model_serializer(mode="wrap")
    def _metrics_at_top_level(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        metrics = data.pop("metrics", {}) or {}
        head = {"name": data.pop("name"), "kind": data.pop("kind")}
        return {**head, **metrics, **data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SystemReport:
        """Rebuild from the flattened JSON (as stored): unknown top-level keys are the metrics."""
        known = set(cls.model_fields) - {"metrics"}
        return cls(**{k: v for k, v in data.items() if k in known},
                   metrics={k: v for k, v in data.items() if k not in known})

    def quality(self, task: str) -> float | None:
        value = self.metrics.get(PRIMARY_METRIC[task])
        return float(value) if isinstance(value, int | float) else None


def system_report(run: SystemRun, metrics: dict[str, Any], cost: CostModel, note: str | None = None) -> SystemReport:
    """Combine a run's timings and usage with its task metrics and the cost model."""
    return SystemReport(
        name=run.name, kind=run.kind, model_id=run.model_id, metrics=metrics, docs=run.docs, failures=run.failures,
        docs_per_s=run.docs_per_s, p50_ms=run.percentile_ms(50), p95_ms=run.percentile_ms(95),
        llm_calls=run.usage.llm_calls, prompt_tokens=run.usage.prompt_tokens,
        completion_tokens=run.usage.completion_tokens, cpu_seconds=round(run.cpu_s, 3),
        load_seconds=round(run.load_s, 3),
        cost_per_1k_docs=cost.cost_per_1k_docs(run.docs, run.usage.prompt_tokens, run.usage.completion_tokens,
                                               run.cpu_s),
        note=note)


class ComparisonReport(BaseModel):
    task: Task
    gold: str
    docs: int
    cost_model: CostModel = Field(default_factory=lambda: CostModel())
    systems: list[SystemReport] = Field(default_factory=list)
    comparison_id: int | None = None
    created_at: str | None = None
    chart: str | None = None
