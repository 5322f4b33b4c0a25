"""Labels with provenance (table ``training_labels``): what the flywheel trains the next specialist on.

Sources and their rank (the higher wins when sources disagree on a text; within a rank, the latest):

* ``human:<who>`` (3): a person's correction (``tandem labels import``);
* ``gold:<file>`` (2): a labelled file (``tandem labels import --gold``);
* ``llm:<model>@<prompt version>`` (1): an LLM's answer a cascade paid for (stored with the run's results).

A text is keyed by the sha256 of its UTF-8 bytes (the document content hash for a document's text). Every function
takes a session; callers own the transaction.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import Session

from tandem.storage.bulk import in_chunks, insert_many, storable
from tandem.storage.models import TrainingLabelRow, utcnow

RANKS = {"human": 3, "gold": 2, "llm": 1}


class LabelSourceError(ValueError):
    """A source that is not ``human:<who>``, ``gold:<file>`` or ``llm:<model>``."""


def rank_of(source: str) -> int:
    kind, _, who = source.partition(":")
    if kind not in RANKS or not who:
        raise LabelSourceError(f"a label source is human:<who>, gold:<file> or llm:<model>, not {source!r}")
    return RANKS[kind]


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class LabelRecord:
    task: str
    text: str
    label: str
    source: str
    confidence: float | None = None
    specialist_label: str | None = None
    specialist_confidence: float | None = None
    document_id: int | None = None
    key: str | None = None  # the text's key when known (a document's content hash), else computed


@dataclass
class ReviewRow:
    """One text of a task with every source's answer side by side (``tandem labels export``)."""

    text_key: str
    text: str
    label: str
    label_source: str
    specialist_label: str | None = None
    specialist_confidence: float | None = None
    llm_label: str | None = None
    llm_confidence: float | None = None
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def disagreement(self) -> bool:
        return self.specialist_label is not None and self.specialist_label != self.label


def save_labels(session: Session, records: Sequence[LabelRecord]) -> int:
    """Upsert ``records`` by ``(task, text, source)``; returns how many were stored."""
    unique = {(r.task, r.key or text_key(r.text), r.source): r for r in records}
    if not unique:
        return 0
    for chunk in in_chunks(list(unique)):
        session.execute(delete(TrainingLabelRow).where(
            tuple_(TrainingLabelRow.task, TrainingLabelRow.text_key, TrainingLabelRow.source).in_(chunk)),
            execution_options={"synchronize_session": False})
    now = utcnow()
    rows = [{"task": task, "text_key": key, "text": r.text, "label": r.label, "source": source,
             "rank": rank_of(source), "confidence": r.confidence, "specialist_label": r.specialist_label,
             "specialist_confidence": r.specialist_confidence, "document_id": r.document_id, "created_at": now}
            for (task, key, source), r in unique.items()]
    # a concurrent run that stored the same text's answer from the same source meanwhile: its row stays
    insert_many(session, TrainingLabelRow, storable(session, rows), skip_conflicts_on=("task", "text_key", "source"))
    return len(rows)


def _rows(session: Session, task: str, since: datetime | None = None) -> list[TrainingLabelRow]:
    query = select(TrainingLabelRow).where(TrainingLabelRow.task == task).order_by(TrainingLabelRow.id)
    if since is not None:
        query = query.where(TrainingLabelRow.created_at > since)
    return list(session.scalars(query))


def review_rows(session: Session, task: str) -> list[ReviewRow]:
    """Every labelled text of ``task``: its winning label (highest rank, then latest) and each source's answer."""
    by_text: dict[str, list[TrainingLabelRow]] = {}
    for row in _rows(session, task):
        by_text.setdefault(row.text_key, []).append(row)
    out = []
    for key, rows in by_text.items():
        best = max(rows, key=lambda r: (r.rank, r.created_at, r.id))
        llm = next((r for r in reversed(rows) if r.rank == RANKS["llm"]), None)
        specialist = next((r for r in reversed(rows) if r.specialist_label is not None), None)
        out.append(ReviewRow(
            text_key=key, text=best.text, label=best.label, label_source=best.source,
            specialist_label=specialist.specialist_label if specialist else None,
            specialist_confidence=specialist.specialist_confidence if specialist else None,
            llm_label=llm.label if llm else None, llm_confidence=llm.confidence if llm else None,
            answers={r.source: r.label for r in rows}))
    return out


def select_for_review(rows: list[ReviewRow], only: str | None = None, sample: int | None = None,
                      low_agreement: float = 0.7, seed: int = 0) -> list[ReviewRow]:
    """What a person should check: ``disagreements`` (the specialist and the winning label differ),
    ``low-agreement`` (the LLM's answer came with a confidence or agreement below ``low_agreement``), then a seeded
    sample of ``sample`` rows."""
    if only == "disagreements":
        rows = [r for r in rows if r.disagreement]
    elif only == "low-agreement":
        rows = [r for r in rows if r.llm_confidence is not None and r.llm_confidence < low_agreement]
    elif only is not None:
        raise ValueError(f"--only must be disagreements or low-agreement, not {only!r}")
    if sample is not None and sample < len(rows):
        rows = sorted(random.Random(seed).sample(rows, sample), key=lambda r: r.text_key)
    return rows


def training_examples(session: Session, task: str) -> list[tuple[str, str, str]]:
    """``(text, label, source)`` per labelled text of ``task``: the winning label (see the module docstring)."""
    return [(r.text, r.label, r.label_source) for r in review_rows(session, task)]


def label_counts(session: Session, task: str, since: datetime | None = None) -> dict[str, int]:
    """Labels of ``task`` stored (after ``since``), by source kind (``human``, ``gold``, ``llm``)."""
    query = select(TrainingLabelRow.source, func.count()).where(TrainingLabelRow.task == task) \
        .group_by(TrainingLabelRow.source)
    if since is not None:
        query = query.where(TrainingLabelRow.created_at > since)
    counts: dict[str, int] = {}
    for source, n in session.execute(query).tuples():
        kind = source.partition(":")[0]
        counts[kind] = counts.get(kind, 0) + int(n)
    return counts
