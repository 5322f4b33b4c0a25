"""Typed results of the pipeline flow and of ``tandem results`` (pydantic v2).

``model_dump(mode="json")`` of each model gives exactly the JSON the CLI and the Prefect artifact
have always shown: same keys, same order.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from tandem.stages.contracts import Usage


class DocumentFailure(BaseModel):
    """One document a stage (or the reader) could not process."""

    document: str
    kind: str
    message: str


class StageStats(BaseModel):
    """What one stage did over one batch, or over a whole run once batches are merged."""

    stage: str
    documents: int = 0
    processed: int = 0
    reused: int = 0
    failed: int = 0
    skipped: int = 0  # an input field failed upstream
    latency_ms: float = 0.0
    #: time spent loading the stage's models (the first batch that needs them), apart from ``latency_ms``
    load_ms: float = 0.0
    usage: Usage = Field(default_factory=Usage)
    failures: list[DocumentFailure] = Field(default_factory=list)

    def merge(self, other: StageStats) -> None:
        self.documents += other.documents
        self.processed += other.processed
        self.reused += other.reused
        self.failed += other.failed
        self.skipped += other.skipped
        self.latency_ms += other.latency_ms
        self.load_ms += other.load_ms
        self.usage = self.usage + other.usage
        self.failures.extend(other.failures)

    @classmethod
    def merged(cls, batches: list[StageStats]) -> dict[str, StageStats]:
        """Per stage (in order of first appearance): the sum of its batches, latency rounded to 0.1 ms."""
        merged: dict[str, StageStats] = {}
        for stats in batches:
            merged.setdefault(stats.stage, cls(stage=stats.stage)).merge(stats)
        return {name: s.model_copy(update={"latency_ms": round(s.latency_ms, 1), "load_ms": round(s.load_ms, 1)})
                for name, s in merged.items()}


class RunSummary(BaseModel):
    """What ``tandem-pipeline`` returns: run id, counts and per-stage statistics."""

    run_id: int
    pipeline: str
    documents: int
    succeeded: int
    failed: int
    stages: dict[str, StageStats]
    database: str
    ingest_failures: list[DocumentFailure] = Field(default_factory=list)
    #: seconds spent registering the documents, running the stages and settling the outcomes
    timings: dict[str, float] = Field(default_factory=dict)

    def stored_stats(self) -> dict[str, Any]:
        """The run's statistics as kept in ``pipeline_runs.stats`` (no location, no read failures)."""
        return self.model_dump(mode="json", exclude={"database", "ingest_failures"})


# -- tandem results ----------------------------------------------------------------------------------
class RunInfo(BaseModel):
    id: int
    pipeline: str
    llm: str | None
    status: str
    started_at: str
    finished_at: str | None


class ResultFailure(BaseModel):
    """A failed or missing result of one document; ``raw_answer`` is shown only when there is one."""

    stage: str
    kind: str | None
    message: str | None
    raw_answer: str | None = None

    @model_serializer(mode="wrap")
    def _without_empty_raw_answer(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not self.raw_answer:
            data.pop("raw_answer", None)
        return data


class EntityMention(BaseModel):
    text: str
    label: str
    start: int
    end: int
    #: the page of a paged document (PDF, scan), from 1
    page: int | None = None


class LabelScore(BaseModel):
    label: str
    score: float


class DuplicateOf(BaseModel):
    """The earlier record of the same run this one near-duplicates (``tandem dedup --run N --mark``)."""

    id: int
    external_id: str | None
    source: str
    score: float


class ResultRow(BaseModel):
    """One input record of a run: status, every stored output (contract fields plus provenance), failures,
    and the summary, entities and labels picked out of the outputs. ``id`` is the document's: records with
    identical texts share it (and its results), each under its own ``external_id`` and ``source``."""

    id: int
    #: the record's own id (``id`` field or column of a .jsonl/.csv input), when it has one
    external_id: str | None
    #: ``file`` or ``file:line``
    source: str
    content_hash: str
    status: str
    #: output field -> the contract's fields plus stage, type, model_id, tokens, latency_ms, reused
    outputs: dict[str, dict[str, Any]] = Field(default_factory=dict)
    failures: list[ResultFailure] = Field(default_factory=list)
    summary: str | None = None
    entities: list[EntityMention] = Field(default_factory=list)
    labels: dict[str, LabelScore] = Field(default_factory=dict)
    #: set when ``tandem dedup --mark`` found this record a near-duplicate of an earlier one of the run
    duplicate_of: DuplicateOf | None = None


class StageTotals(BaseModel):
    """Per stage totals over a run's results (reused ones included)."""

    results: int = 0
    ok: int = 0
    failed: int = 0
    reused: int = 0
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    model_id: str


class RunReport(BaseModel):
    """What ``tandem results`` shows: the run, its documents and per-stage totals."""

    run: RunInfo
    documents: list[ResultRow]
    totals: dict[str, StageTotals]
