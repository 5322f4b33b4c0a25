"""``tandem compare classify``: the labelled CSV/TSV gold file that ``tandem eval classify`` reads.

Systems: a trained classifier (``--specialist spam`` or ``classify.spam``; any registered stage that writes
a :class:`Classification`) and ``classify.llm`` answering in the gold file's label set. Metrics: those of
``tandem eval classify`` (:func:`~tandem.specialists.metrics.classification.classification_report`): ``accuracy``,
``macro_f1``, ``macro_recall``, ``macro_precision`` and ``per_label``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from tandem.specialists.comparison.gold import (
    GoldOptions,
    GoldSet,
    SystemSpec,
    check_llm_spec,
    llm_name,
    resolve_specialist,
    stage_options,
)
from tandem.specialists.comparison.report import Task
from tandem.stages.contracts import Classification, StageFailure, StageOutput

#: what a failed document "predicts": matches no gold label, and is left out of the label set
FAILED = "\x00failed"


class ClassifyGold(GoldSet):
    task: ClassVar[Task] = "classify"

    def __init__(self, path: str | Path, texts: Sequence[str], labels: Sequence[str],
                 options: GoldOptions | None = None, skipped: int = 0) -> None:
        super().__init__(path, texts, options, skipped)
        if len(labels) != len(texts):
            raise ValueError(f"{len(labels)} labels for {len(texts)} texts")
        self.labels = list(labels)

    @classmethod
    def read(cls, path: str | Path, options: GoldOptions | None = None, limit: int | None = None) -> ClassifyGold:
        from tandem.specialists.training.classify_data import read_labelled

        options = options or GoldOptions()
        data = read_labelled(path, options.text_col, options.label_col)
        texts, labels = data.texts[:limit], data.labels[:limit]
        if not texts:
            raise ValueError(f"{path}: no labelled rows")
        return cls(path, texts, labels, options, data.skipped)

    @property
    def label_set(self) -> list[str]:
        return sorted(set(self.labels))

    def predicted(self, outputs: Sequence[StageOutput | StageFailure]) -> list[str]:
        """One label per document; :data:`FAILED` for a failure (or an output that is no label)."""
        self.check(outputs)
        return [o.label if isinstance(o, Classification) else FAILED for o in outputs]

    def score(self, outputs: Sequence[StageOutput | StageFailure]) -> dict[str, Any]:
        from tandem.specialists.metrics.classification import classification_report

        predicted = self.predicted(outputs)
        labels = sorted(set(self.labels) | {p for p in predicted if p != FAILED})
        return classification_report(self.labels, predicted, labels=labels)

    def specialist(self, name: str, models_dir: str | None = None) -> SystemSpec:
        from tandem.specialists.label_maps import resolve_label_map

        stage = resolve_specialist(name, "classify", Classification)
        mapping = resolve_label_map(self.options.label_map)
        return SystemSpec(name=stage, kind="specialist", stage=stage,
                          options=stage_options(stage, models_dir=models_dir),
                          label_map=mapping, label_map_name=self.options.label_map if mapping else None)

    def llm(self, spec: str | None) -> SystemSpec:
        check_llm_spec(spec)
        if len(self.label_set) < 2:
            raise ValueError(f"{self.path}: an LLM needs at least two labels to choose from; the gold data has "
                             f"{', '.join(self.label_set)}")
        return SystemSpec(name=llm_name("classify.llm", spec), kind="llm", stage="classify.llm",
                          options={"labels": self.label_set, "llm": spec})

    def relabel(self, output: StageOutput | StageFailure, mapping: Mapping[str, str]) -> StageOutput | StageFailure:
        """Rename the label (and the per-label scores); labels missing from the map are kept, as in
        ``tandem eval classify``."""
        if not isinstance(output, Classification):
            return output
        scores: dict[str, float] = {}
        for label, value in output.scores.items():
            scores[mapping.get(label, label)] = scores.get(mapping.get(label, label), 0.0) + value
        return output.model_copy(update={"label": mapping.get(output.label, output.label),
                                         "scores": {k: min(1.0, v) for k, v in scores.items()}})
