"""Teacher and student on gold data, side by side, as ``tandem compare`` systems.

Both run through :func:`specialists.comparison.measure.run_system` (the pipeline's own stage code, in
batches, timed) and become :class:`~specialists.comparison.report.SystemReport` objects with ``tandem eval``'s
metric keys at the top level. The teacher is measured as a pipeline would run it: one greedy answer per text
(``classify.llm`` / ``ner.llm`` without the sampling temperature), whatever ``samples`` labelling used.

Gold files (read by :func:`read_gold`):

* classify: the labelled CSV/TSV of ``tandem eval classify`` (``text`` and ``label`` columns); scored with
  :func:`~specialists.metrics.classification.classification_report`, a failed document counting as a wrong label;
* ner: CoNLL, each sentence's text being its tokens joined by single spaces; entities are compared as exact
  character spans with their label (:func:`~specialists.metrics.ner.entity_scores`), a failed document
  predicting none.

(This is a small adapter over the metrics; ``tandem compare``'s per-task gold readers can take its place.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specialists.comparison.cost import CostModel
from specialists.comparison.measure import run_system
from specialists.comparison.report import SystemReport, system_report
from specialists.distill.labelling import DistillTask
from stages.base import Stage
from stages.contracts import Classification, Entities, StageFailure, StageOutput

#: what a failed document "predicts" in classify scoring: matches no gold label
FAILED = "\x00failed"

Scorer = Callable[[Sequence[StageOutput | StageFailure]], dict[str, Any]]


@dataclass
class Gold:
    """Gold texts and the scorer of outputs aligned with them."""

    path: str
    texts: list[str]
    score: Scorer


def classify_gold(path: Path, limit: int | None = None) -> Gold:
    from specialists.metrics.classification import classification_report
    from specialists.training.classify_data import read_labelled

    data = read_labelled(path)
    texts, labels = data.texts[:limit], data.labels[:limit]

    def score(outputs: Sequence[StageOutput | StageFailure]) -> dict[str, Any]:
        predicted = [o.label if isinstance(o, Classification) else FAILED for o in outputs]
        label_set = sorted(set(labels) | {p for p in predicted if p != FAILED})
        return classification_report(labels, predicted, labels=label_set)

    return Gold(str(path), texts, score)


def conll_text(tokens: Sequence[str]) -> tuple[str, list[int]]:
    """The sentence's text (tokens joined by spaces) and each token's start character."""
    starts, position = [], 0
    for token in tokens:
        starts.append(position)
        position += len(token) + 1
    return " ".join(tokens), starts


def ner_gold(path: Path, limit: int | None = None) -> Gold:
    from specialists.conll import read_conll
    from specialists.metrics.ner import entity_scores

    sentences = [s for s in read_conll(path) if s.tokens][:limit]
    texts: list[str] = []
    gold_spans: list[list[tuple[int, int, str]]] = []
    for sentence in sentences:
        text, starts = conll_text(sentence.tokens)
        texts.append(text)
        gold_spans.append([(starts[a], starts[b - 1] + len(sentence.tokens[b - 1]), label)
                           for a, b, label in sentence.spans])

    def score(outputs: Sequence[StageOutput | StageFailure]) -> dict[str, Any]:
        predicted = [[(e.start, e.end, e.label) for e in o.entities] if isinstance(o, Entities) else []
                     for o in outputs]
        scores = entity_scores(gold_spans, predicted)
        return {key: scores[key] for key in ("f1", "precision", "recall", "per_label")}

    return Gold(str(path), texts, score)


def read_gold(task: DistillTask, path: str | Path, limit: int | None = None) -> Gold:
    """The gold file of ``task`` (see the module docstring); ValueError when it holds no example."""
    gold = (classify_gold if task == "classify" else ner_gold)(Path(path), limit)
    if not gold.texts:
        raise ValueError(f"gold file {path} has no examples")
    return gold


def measure(name: str, kind: Any, stage: Stage[Any], gold: Gold, cost: CostModel,
            progress: Callable[[int, int], None] | None = None, batch_size: int = 32) -> SystemReport:
    """One system over the gold texts: timed, scored, priced."""
    run = run_system(name, kind, stage, gold.texts, batch_size=batch_size, progress=progress)
    return system_report(run, gold.score(run.outputs), cost)


def speedup(teacher: SystemReport, student: SystemReport) -> float | None:
    """Student documents per second over the teacher's (None when the teacher's speed is unknown)."""
    if teacher.docs_per_s <= 0:
        return None
    return round(student.docs_per_s / teacher.docs_per_s, 2)
