"""The task adapters of ``tandem compare`` behind one API: read a gold file, name systems, run, score.

Plain Python, no Prefect (the ``tandem-compare`` flow in :mod:`tandem.flows.compare` calls these per system)::

    gold = read_gold("classify", "sms.tsv", limit=200)
    systems = [gold.specialist("spam", models_dir="models"), gold.llm("embedded")]
    gold, runs = run_systems(gold, systems)            # SystemRun per system, outputs aligned with gold.texts
    gold, runs = gold_and_runs("classify", "sms.tsv", ["spam"], ["embedded"], limit=200)   # the same, in one call
    gold.score(runs[0].outputs)                          # {"accuracy": ..., "macro_f1": ..., "per_label": ...}
    report = compare(gold, systems, cost=CostModel())    # ComparisonReport (what --json prints)

A cascade is simulated from a specialist's and an LLM's :class:`SystemRun` and ``gold.score`` (see
``specialists/comparison/cascade.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tandem.specialists.comparison.classify_gold import ClassifyGold
from tandem.specialists.comparison.cost import CostModel
from tandem.specialists.comparison.gold import GoldOptions, GoldSet, SystemSpec
from tandem.specialists.comparison.measure import SystemRun, run_system
from tandem.specialists.comparison.ner_gold import NerGold
from tandem.specialists.comparison.report import ComparisonReport, SystemReport, Task, system_report
from tandem.specialists.comparison.summarize_gold import SummarizeGold
from tandem.stages.base import Stage

TASKS: dict[str, type[ClassifyGold] | type[NerGold] | type[SummarizeGold]] = {
    "classify": ClassifyGold, "ner": NerGold, "summarize": SummarizeGold}

Progress = Callable[[int, int], None]


def read_gold(task: str, path: str | Path, options: GoldOptions | None = None, limit: int | None = None) -> GoldSet:
    """The gold set of ``task`` (classify, ner, summarize) from ``path``, at most ``limit`` documents.
    Raises ValueError with a readable message for an unknown task or an unusable file."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be positive, got {limit}")
    return TASKS[task].read(path, options, limit)


def system_specs(gold: GoldSet, specialists: Sequence[str] = (), llms: Sequence[str | None] = (),
                 models_dir: str | None = None) -> list[SystemSpec]:
    """One :class:`SystemSpec` per ``--specialist`` then per ``--llm``, checked without loading a model
    (unknown artifacts and stages, bad LLM specs and repeated systems raise ValueError/LookupError)."""
    systems = [gold.specialist(name, models_dir) for name in specialists] + [gold.llm(spec) for spec in llms]
    if not systems:
        raise ValueError("no system to compare: name at least one --specialist or --llm")
    seen: set[str] = set()
    for spec in systems:
        if spec.name in seen:
            raise ValueError(f"system {spec.name!r} is named twice")
        seen.add(spec.name)
        build_stage(spec).model_id()  # an unknown artifact fails here, before anything runs
    return systems


def build_stage(spec: SystemSpec) -> Stage[Any]:
    """The stage of ``spec``, reading the raw ``text`` as the gold documents give it. Cheap: loads nothing."""
    from tandem.stages.registry import create

    return create(spec.stage, input="text", **spec.options)


def measure(gold: GoldSet, spec: SystemSpec, *, batch_size: int = 32, progress: Progress | None = None) -> SystemRun:
    """Run ``spec``'s stage over the gold texts (:func:`run_system`), its labels mapped to the gold's."""
    run = run_system(spec.name, spec.kind, build_stage(spec), gold.texts, batch_size=batch_size, progress=progress)
    if spec.label_map:
        mapping = spec.label_map
        run.outputs = [gold.relabel(output, mapping) for output in run.outputs]
    return run


def run_systems(gold: GoldSet, systems: Sequence[SystemSpec], *, batch_size: int = 32,
                progress: Callable[[str, int, int], None] | None = None) -> tuple[GoldSet, list[SystemRun]]:
    """Run every system over the gold texts, one after the other (so timings do not overlap)."""
    runs = []
    for spec in systems:
        def on_progress(done: int, total: int, name: str = spec.name) -> None:
            if progress is not None:
                progress(name, done, total)

        runs.append(measure(gold, spec, batch_size=batch_size, progress=on_progress))
    return gold, runs


def gold_and_runs(task: str, gold: str | Path, specialists: Sequence[str] = (), llms: Sequence[str | None] = (), *,
                  models_dir: str | None = None, limit: int | None = None, options: GoldOptions | None = None,
                  batch_size: int = 32, progress: Callable[[str, int, int], None] | None = None,
                  ) -> tuple[GoldSet, list[SystemRun]]:
    """Read the gold file, name the systems and run them: the gold set (``gold.score``) and one
    :class:`SystemRun` per ``--specialist`` then per ``--llm``, outputs aligned with ``gold.texts``."""
    gold_set = read_gold(task, gold, options, limit)
    return run_systems(gold_set, system_specs(gold_set, specialists, llms, models_dir), batch_size=batch_size,
                       progress=progress)


def system_note(spec: SystemSpec, run: SystemRun) -> str | None:
    parts = []
    if spec.label_map_name:
        parts.append(f"label map {spec.label_map_name}")
    if run.failures:
        parts.append(f"{run.failures} of {run.docs} documents failed (scored as wrong/empty)")
    return "; ".join(parts) or None


def report_system(gold: GoldSet, spec: SystemSpec, run: SystemRun, cost: CostModel) -> SystemReport:
    """Scores, timings, usage and cost of one run, as ``--json`` shows them."""
    return system_report(run, gold.score(run.outputs), cost, note=system_note(spec, run))


def comparison_report(gold: GoldSet, systems: Sequence[SystemReport], cost: CostModel) -> ComparisonReport:
    task: Task = gold.task
    return ComparisonReport(task=task, gold=gold.path, docs=len(gold), cost_model=cost, systems=list(systems))


def compare(gold: GoldSet, systems: Sequence[SystemSpec], *, cost: CostModel | None = None, batch_size: int = 32,
            progress: Callable[[str, int, int], None] | None = None) -> ComparisonReport:
    """Run and score every system in this process (no Prefect, nothing stored)."""
    cost = cost or CostModel()
    _gold, runs = run_systems(gold, systems, batch_size=batch_size, progress=progress)
    return comparison_report(gold, [report_system(gold, spec, run, cost) for spec, run in zip(systems, runs)], cost)
