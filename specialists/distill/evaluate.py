"""Teacher and student on gold data, side by side, as ``tandem compare`` systems.

The gold file is read by ``tandem compare``'s task adapters (:func:`tandem.specialists.comparison.tasks.read_gold`:
classify, the labelled CSV/TSV of ``tandem eval classify``; ner, CoNLL with each sentence's tokens joined by
spaces) and both systems are scored by them with ``tandem eval``'s metric keys. Both run through
:func:`~tandem.specialists.comparison.measure.run_system` (the pipeline's own stage code, in batches, timed) and become
:class:`~tandem.specialists.comparison.report.SystemReport` objects: the same keys as a ``tandem compare`` system.

The teacher is measured as a pipeline would run it: one greedy answer per text (``classify.llm`` /
``ner.llm`` with the distillation's labels, without the sampling temperature), whatever ``samples`` the
labelling used. The student is the artifact just trained (``classify.NAME`` / ``ner.spacy:NAME``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tandem.specialists.comparison.cost import CostModel
from tandem.specialists.comparison.gold import SystemSpec, llm_name
from tandem.specialists.comparison.measure import run_system
from tandem.specialists.comparison.report import SystemReport
from tandem.specialists.comparison.tasks import measure, read_gold, report_system
from tandem.specialists.distill.labelling import DistillTask, TeacherConfig
from tandem.stages.base import Stage

Progress = Callable[[str, int, int], None]


def evaluate(task: DistillTask, gold_path: str | Path, teacher: TeacherConfig, teacher_stage: Stage[Any],
             student: str, models_dir: str | None, cost: CostModel, *, batch_size: int = 8,
             progress: Progress | None = None) -> tuple[SystemReport, SystemReport]:
    """``(teacher, student)`` reports on the gold file; ``teacher_stage`` is the greedy teacher, ``student``
    the student's registry name."""
    def report(step: str) -> Callable[[int, int], None]:
        return lambda done, total: progress(step, done, total) if progress is not None else None

    gold = read_gold(task, gold_path)
    teacher_spec = SystemSpec(name=llm_name(teacher.stage_name, teacher.llm), kind="llm", stage=teacher.stage_name,
                              options={k: v for k, v in teacher.stage_options(greedy=True).items() if k != "input"})
    teacher_run = run_system(teacher_spec.name, "llm", teacher_stage, gold.texts, batch_size=batch_size,
                             progress=report("evaluate teacher"))
    student_spec = gold.specialist(student, models_dir)
    student_run = measure(gold, student_spec, progress=report("evaluate student"))
    return report_system(gold, teacher_spec, teacher_run, cost), report_system(gold, student_spec, student_run, cost)


def speedup(teacher: SystemReport, student: SystemReport) -> float | None:
    """Student documents per second over the teacher's (None when the teacher's speed is unknown)."""
    if teacher.docs_per_s <= 0:
        return None
    return round(student.docs_per_s / teacher.docs_per_s, 2)
