"""The ``tandem-distill`` Prefect flow: read → label (one task per batch) → filter → synthesize → train → evaluate.

Every step is a task, visible in the Prefect UI; the parameter is one JSON-safe :class:`DistillRequest` (names,
paths, numbers and an ``--llm`` spec that carries no key: keys come from the environment). Models are resolved
inside the tasks (:func:`~tandem.specialists.distill.labelling.teacher_stage`), never passed as task arguments.
Tasks do not cache: a distillation always asks the teacher again. See :mod:`tandem.specialists.distill`.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, Field

from tandem.flows.ingest import SUPPORTED_SUFFIXES, TABLE_SUFFIXES, read_inputs
from tandem.flows.progress import report_progress
from tandem.specialists.artifacts import Distillation, ModelCard, artifact_dir
from tandem.specialists.comparison.cost import CostModel
from tandem.specialists.comparison.report import SystemReport
from tandem.specialists.distill.dataset import check_learnable, label_counts, write_dataset
from tandem.specialists.distill.labelling import (
    DistillTask,
    Example,
    Filtered,
    TeacherAnswers,
    TeacherConfig,
    filter_answers,
    label_texts,
    teacher_stage,
)
from tandem.specialists.distill.report import DistillReport, markdown
from tandem.specialists.distill.student import (
    StudentConfig,
    mark_distilled,
    student_stage_name,
    train_student,
)
from tandem.specialists.distill.synthesis import Synthesized, TeacherWriter, keep_intended, synthesize

#: what ``--unlabeled`` reads: ``tandem run``'s inputs plus TSV tables with a ``text`` column
UNLABELED_SUFFIXES = SUPPORTED_SUFFIXES + TABLE_SUFFIXES


class DistillRequest(BaseModel):
    """Everything one distillation needs (the flow's one parameter)."""

    task: DistillTask
    unlabeled: list[str] = Field(min_length=1)
    name: str
    teacher: TeacherConfig
    min_agreement: float = Field(default=0.6, gt=0.0, le=1.0)
    synthesize: int = Field(default=0, ge=0, description="new examples per label written by the teacher (classify)")
    task_description: str | None = None
    gold: str | None = None
    limit: int | None = Field(default=None, ge=1)
    models_dir: str | None = None
    batch_size: int = Field(default=8, ge=1)
    student: StudentConfig = Field(default_factory=lambda: StudentConfig())
    cost: CostModel = Field(default_factory=lambda: CostModel())


class ReadTexts(BaseModel):
    texts: list[str]
    unreadable: int = 0
    duplicates: int = 0


class Synthesis(BaseModel):
    examples: list[Example] = Field(default_factory=list)
    written: int = 0
    llm_calls: int = 0


@task(name="read", cache_policy=NO_CACHE)
def read_texts(paths: list[str], limit: int | None) -> ReadTexts:
    """The unlabeled texts (``tandem run``'s readers), exact duplicates once, the first ``limit``."""
    items = read_inputs(paths, suffixes=UNLABELED_SUFFIXES)
    texts = [item.record.text for item in items if item.failure is None and item.record.text]
    distinct = list(dict.fromkeys(texts))
    return ReadTexts(texts=distinct[:limit], unreadable=len(items) - len(texts), duplicates=len(texts) - len(distinct))


@task(name="label", task_run_name="label [{batch_label}]", cache_policy=NO_CACHE)
def label_batch(teacher: TeacherConfig, texts: list[str], batch_label: str) -> list[TeacherAnswers]:
    """The teacher's ``samples`` answers for one batch of texts (never one task per text)."""
    return label_texts(teacher_stage(teacher), texts, teacher.samples)


@task(name="filter", cache_policy=NO_CACHE)
def filter_task(answers: list[TeacherAnswers], min_agreement: float) -> Filtered:
    """Self-consistency: keep the texts whose answers agree enough (see :mod:`tandem.specialists.distill.labelling`)."""
    return filter_answers(answers, min_agreement)


@task(name="synthesize", cache_policy=NO_CACHE)
def synthesize_task(teacher: TeacherConfig, per_label: int, description: str | None, existing: list[str],
                    min_agreement: float) -> Synthesis:
    """New texts per label from the teacher, deduplicated, kept when the teacher labels them as intended."""
    stage = teacher_stage(teacher)
    writer = TeacherWriter(stage, teacher.labels, description, teacher.temperature)
    written: Synthesized = synthesize(writer, teacher.labels, per_label, existing=existing)
    candidates = [text for texts in written.candidates.values() for text in texts]
    answers = label_texts(stage, candidates, teacher.samples) if candidates else []
    agreed = filter_answers(answers, min_agreement)
    examples = keep_intended(written.candidates, agreed.examples)
    return Synthesis(examples=examples, written=written.written,
                     llm_calls=writer.usage.llm_calls + agreed.usage.llm_calls)


@task(name="train", cache_policy=NO_CACHE)
def train_task(request: DistillRequest, examples: list[Example], record: Distillation) -> ModelCard:
    """Write the examples as ``tandem train`` data, train the student, mark its card as distilled."""
    logger = get_run_logger()
    with tempfile.TemporaryDirectory(prefix="tandem-distill-") as tmp:
        data, entities_dropped = write_dataset(request.task, examples, Path(tmp))
        card = train_student(request.task, data, request.name, request.models_dir, request.student,
                             progress=lambda message: logger.info("train: %s", message))
        return mark_distilled(card, request.models_dir, data,
                              record.model_copy(update={"entities_dropped": entities_dropped}))


@task(name="evaluate", cache_policy=NO_CACHE)
def evaluate_task(request: DistillRequest) -> tuple[SystemReport, SystemReport]:
    """Teacher (one greedy answer per text, as a pipeline runs it) and student on the gold file."""
    from tandem.specialists.distill.evaluate import evaluate

    assert request.gold is not None
    return evaluate(request.task, request.gold, request.teacher, teacher_stage(request.teacher, greedy=True),
                    student_stage_name(request.task, request.name), request.models_dir, request.cost,
                    batch_size=request.batch_size, progress=report_progress)


def _artifact_key(name: str) -> str:
    return "tandem-distill-" + (re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "student")


@flow(name="tandem-distill", log_prints=True)
def tandem_distill(request: DistillRequest) -> DistillReport:
    """Distill the teacher LLM into a specialist student (see :mod:`tandem.specialists.distill`).

    Raises :class:`~tandem.specialists.distill.dataset.NothingToLearnError` when the kept labels cannot train a
    student (fewer than two labels for classify, no entity for ner), before any training.
    """
    logger = get_run_logger()
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    read = read_texts(request.unlabeled, request.limit)
    logger.info("%d texts to label (%d unreadable, %d duplicates)", len(read.texts), read.unreadable, read.duplicates)
    answers: list[TeacherAnswers] = []
    size = request.batch_size
    batches = [read.texts[i:i + size] for i in range(0, len(read.texts), size)]
    report_progress("label", 0, len(read.texts))
    for number, batch in enumerate(batches, start=1):
        answers += label_batch(request.teacher, batch, f"batch {number}/{len(batches)}")
        report_progress("label", len(answers), len(read.texts))
    seconds["label"] = round(time.perf_counter() - started, 2)
    filtered = filter_task(answers, request.min_agreement)
    logger.info("kept %d, dropped %d, invalid %d", filtered.kept, filtered.dropped, filtered.invalid)

    synthesis = Synthesis()
    if request.synthesize and request.task == "classify":
        report_progress("synthesize", 0, 1)
        mark = time.perf_counter()
        synthesis = synthesize_task(request.teacher, request.synthesize, request.task_description, read.texts,
                                    request.min_agreement)
        seconds["synthesize"] = round(time.perf_counter() - mark, 2)
        report_progress("synthesize", 1, 1)
    examples = filtered.examples + synthesis.examples
    check_learnable(request.task, examples)

    teacher_model = teacher_stage(request.teacher)
    record = Distillation(
        teacher=teacher_model.backend.display, teacher_model_id=teacher_model.model_id(),
        samples=request.teacher.samples, min_agreement=request.min_agreement,
        temperature=request.teacher.sampling_temperature, unlabeled=request.unlabeled, labelled=len(read.texts),
        kept=filtered.kept, dropped=filtered.dropped, invalid=filtered.invalid,
        invalid_answers=filtered.invalid_answers, failure_kinds=filtered.failure_kinds,
        synthesized=synthesis.written, synthetic_kept=len(synthesis.examples))
    report_progress("train", 0, 1)
    mark = time.perf_counter()
    card = train_task(request, examples, record)
    seconds["train"] = round(time.perf_counter() - mark, 2)
    report_progress("train", 1, 1)

    report = DistillReport(
        task=request.task, name=request.name, kept=filtered.kept, dropped=filtered.dropped, invalid=filtered.invalid,
        artifact=str(artifact_dir(request.name, request.models_dir).resolve()),
        student_stage=student_stage_name(request.task, request.name), teacher_llm=record.teacher,
        samples=record.samples, min_agreement=record.min_agreement, temperature=record.temperature,
        labelled=record.labelled, unreadable=read.unreadable, duplicates=read.duplicates,
        invalid_answers=record.invalid_answers, failure_kinds=record.failure_kinds, synthesized=record.synthesized,
        synthetic_kept=record.synthetic_kept, label_counts=label_counts(request.task, examples),
        heldout=_heldout(card), teacher_llm_calls=filtered.usage.llm_calls + synthesis.llm_calls, gold=request.gold)
    if request.gold:
        mark = time.perf_counter()
        teacher_report, student_report = evaluate_task(request)
        seconds["evaluate"] = round(time.perf_counter() - mark, 2)
        from tandem.specialists.distill.evaluate import speedup

        report.teacher, report.student = teacher_report, student_report
        report.speedup = speedup(teacher_report, student_report)
    seconds["total"] = round(time.perf_counter() - started, 2)
    report.seconds = seconds
    create_markdown_artifact(key=_artifact_key(request.name), markdown=markdown(report),
                             description=f"tandem distill {request.task}: {report.student_stage}")
    return report


def _heldout(card: ModelCard) -> dict[str, Any]:
    keys = ("accuracy", "macro_f1", "f1", "precision", "recall", "heldout_docs", "heldout_documents")
    return {key: card.metrics[key] for key in keys if key in card.metrics}
