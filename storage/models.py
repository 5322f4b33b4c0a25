"""SQLAlchemy 2.0 ORM for documents, runs and stage results.

One row per ``(document, stage result key)``: a rerun upserts, never duplicates. Typed child rows
(entities, labels, summaries) hang off a stage result and are replaced with it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON on SQLite, JSONB on PostgreSQL
JsonType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DocumentRow(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha256 hex of the text, or ``raw:`` + sha256 hex of the bytes of an input that could not be read (68)
    content_hash: Mapped[str] = mapped_column(String(80), unique=True)
    source: Mapped[str] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str | None] = mapped_column(Text)
    char_count: Mapped[int] = mapped_column(Integer, default=0)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JsonType, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PipelineRunRow(Base):
    __tablename__ = "pipeline_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    pipeline: Mapped[str] = mapped_column(String(255))
    spec: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    llm: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32), default="running")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stats: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    #: the machine and process running it, and when it last stored a batch: a ``running`` run whose process
    #: is gone (or silent for long) is stale, shown and repaired as ``crashed``
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RunDocumentRow(Base):
    """Which documents a run covered (including those whose results were reused)."""

    __tablename__ = "run_documents"
    __table_args__ = (UniqueConstraint("run_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("pipeline_runs.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | ok | failed
    #: output field -> result key of this document's results in this run ("ingest" for read failures)
    result_keys: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)


class RunRecordRow(Base):
    """Every input record a run read (its own id, source and line), pointing to its document: records with
    identical texts share one document and its results, yet each stays addressable."""

    __tablename__ = "run_records"
    __table_args__ = (UniqueConstraint("run_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("pipeline_runs.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: ``file`` or ``file:line``
    source: Mapped[str] = mapped_column(Text)
    #: the record's own id (``id`` field or column), when it has one
    external_id: Mapped[str | None] = mapped_column(String(255), index=True)


class StageResultRow(Base):
    __tablename__ = "stage_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_key: Mapped[str] = mapped_column(String(64), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("pipeline_runs.id", ondelete="SET NULL"), index=True)
    stage: Mapped[str] = mapped_column(String(255), index=True)
    field: Mapped[str] = mapped_column(String(255))
    stage_version: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str] = mapped_column(String(512))
    prompt_version: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16))  # "ok" | "failed"
    output_type: Mapped[str | None] = mapped_column(String(64))
    output: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    error_kind: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    raw_answer: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    llm_calls: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    entities: Mapped[list[EntityRow]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    labels: Mapped[list[LabelRow]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    summaries: Mapped[list[SummaryRow]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class _ResultChild:
    """The columns every typed child of a stage result starts with: its id, its result, its document."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-3)
    result_id: Mapped[int] = mapped_column(ForeignKey("stage_results.id", ondelete="CASCADE"), index=True,
                                           sort_order=-2)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True,
                                             sort_order=-1)


class EntityRow(_ResultChild, Base):
    __tablename__ = "entities"

    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)


class LabelRow(_ResultChild, Base):
    __tablename__ = "labels"

    task: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255))
    score: Mapped[float] = mapped_column(Float)
    scores: Mapped[dict[str, float]] = mapped_column(JsonType, default=dict)


class SummaryRow(_ResultChild, Base):
    __tablename__ = "summaries"

    method: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer, default=0)


class EmbeddingRow(Base):
    """One stored vector (an ``Embedding`` output) per stage result: float32 bytes (``dim`` * 4), normalised, with
    the model that made it (searches never mix models or dimensions). A plain bytes column and an exact scan:
    the same on SQLite and PostgreSQL (see :mod:`tandem.storage.vectors`)."""

    __tablename__ = "embeddings"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("stage_results.id", ondelete="CASCADE"), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    model: Mapped[str] = mapped_column(String(512), index=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class DuplicateRow(Base):
    """A document of a run marked as a near-duplicate of another of the same run (``tandem dedup --mark``): the
    group's first document (by the run's record order), the cosine between the two, and what found it."""

    __tablename__ = "duplicates"
    __table_args__ = (UniqueConstraint("run_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("pipeline_runs.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    duplicate_of: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    model: Mapped[str] = mapped_column(String(512))


class TrainingLabelRow(Base):
    """A label a specialist can learn from, with where it came from (the flywheel, :mod:`tandem.storage.labels`):
    a cascade's LLM answer (``llm:<model>@<prompt version>``), a gold file (``gold:<file>``) or a person
    (``human:<who>``). One row per ``(task, text, source)``: the same source labelling the same text again
    replaces its answer. ``text`` is kept (a gold file's text has no document); ``document_id`` when it came
    from a run."""

    __tablename__ = "training_labels"
    __table_args__ = (UniqueConstraint("task", "text_key", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(128), index=True)
    text_key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(512))
    #: 3 human, 2 gold, 1 llm: the higher wins for a text
    rank: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float | None] = mapped_column(Float)
    specialist_label: Mapped[str | None] = mapped_column(String(255))
    specialist_confidence: Mapped[float | None] = mapped_column(Float)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ComparisonRow(Base):
    """One ``tandem compare`` run: a task, a gold file and the cost model its systems were priced with."""

    __tablename__ = "comparisons"

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(32), index=True)
    gold: Mapped[str] = mapped_column(Text)
    docs: Mapped[int] = mapped_column(Integer, default=0)
    cost_model: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    chart: Mapped[str | None] = mapped_column(Text)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    systems: Mapped[list[ComparisonSystemRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ComparisonSystemRow.position")


class ComparisonSystemRow(Base):
    """One system of a comparison: its headline figures as columns, its whole JSON (``--json``) in ``report``."""

    __tablename__ = "comparison_systems"

    id: Mapped[int] = mapped_column(primary_key=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("comparisons.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(16))  # specialist | llm | cascade
    model_id: Mapped[str] = mapped_column(String(512), default="")
    #: the task's primary metric (classify macro_f1, ner f1, summarize rougeLsum)
    quality: Mapped[float | None] = mapped_column(Float)
    docs_per_s: Mapped[float] = mapped_column(Float, default=0.0)
    p50_ms: Mapped[float] = mapped_column(Float, default=0.0)
    p95_ms: Mapped[float] = mapped_column(Float, default=0.0)
    llm_calls: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_per_1k_docs: Mapped[float] = mapped_column(Float, default=0.0)
    report: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
