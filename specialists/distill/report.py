"""What ``tandem distill`` reports (``--json``: :class:`DistillReport`), and its markdown for Prefect."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from tandem.specialists.comparison.report import PRIMARY_METRIC, SystemReport
from tandem.specialists.distill.labelling import DistillTask


class DistillReport(BaseModel):
    """One distillation. ``teacher`` / ``student`` (with ``--gold``) have the keys of a ``tandem compare``
    system; ``speedup`` is the student's documents per second over the teacher's."""

    task: DistillTask
    name: str
    teacher: SystemReport | None = None
    student: SystemReport | None = None
    kept: int = 0
    dropped: int = 0
    invalid: int = 0
    speedup: float | None = None
    artifact: str = ""
    #: the student as pipelines name it (classify.NAME, ner.spacy:NAME)
    student_stage: str = ""
    teacher_llm: str = ""
    samples: int = 1
    min_agreement: float = 1.0
    temperature: float | None = None
    #: texts read (distinct, after --limit) and labelled; inputs that could not be read; exact duplicates
    labelled: int = 0
    unreadable: int = 0
    duplicates: int = 0
    invalid_answers: int = 0
    failure_kinds: dict[str, int] = Field(default_factory=dict)
    synthesized: int = 0
    synthetic_kept: int = 0
    #: the training data: examples per label (classify) or entities per type (ner)
    label_counts: dict[str, int] = Field(default_factory=dict)
    #: the student's held-out scores from its model card (on the teacher's labels, not on gold)
    heldout: dict[str, Any] = Field(default_factory=dict)
    teacher_llm_calls: int = 0
    seconds: dict[str, float] = Field(default_factory=dict)
    gold: str | None = None


def _quality(task: DistillTask, system: SystemReport | None) -> str:
    value = system.quality(task) if system else None
    return f"{value:.3f}" if value is not None else "–"


def markdown(report: DistillReport) -> str:
    """The Prefect artifact: counts, then teacher and student side by side when there was gold data."""
    metric = PRIMARY_METRIC[report.task]
    lines = [f"# Distilled `{report.student_stage}` from `{report.teacher_llm}`", "",
             f"{report.labelled} texts labelled ({report.samples} answer(s) each, agreement ≥ {report.min_agreement}): "
             f"**{report.kept} kept**, {report.dropped} dropped (disagreement), {report.invalid} invalid; "
             f"{report.synthetic_kept} of {report.synthesized} synthetic examples kept. Artifact: `{report.artifact}`.",
             "", "| label | examples |", "|---|---|"]
    lines += [f"| {label} | {count} |" for label, count in report.label_counts.items()]
    if report.teacher and report.student:
        lines += ["", f"Gold: `{report.gold}`", "", f"| system | {metric} | docs/s | p50 ms | p95 ms | cost / 1k docs |",
                  "|---|---|---|---|---|---|"]
        for role, system in (("teacher", report.teacher), ("student", report.student)):
            lines.append(f"| {role}: {system.name} | {_quality(report.task, system)} | {system.docs_per_s:,.1f} | "
                         f"{system.p50_ms:.1f} | {system.p95_ms:.1f} | {system.cost_per_1k_docs:.4f} |")
        if report.speedup is not None:
            lines += ["", f"The student is **{report.speedup:,.1f}×** faster than the teacher."]
    return "\n".join(lines)
