"""Entity-level NER scores: exact span and label match, micro-averaged and per label.

A prediction counts as a true positive only when its start, end and label all equal a gold
entity's (the CoNLL ``conlleval`` convention). Inputs are per-sentence (or per-document) lists of
``(start, end, label)``; only their positions in the outer sequences must line up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Span = tuple[int, int, str]


@dataclass(frozen=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        """Number of gold entities."""
        return self.tp + self.fn

    def as_dict(self) -> dict[str, Any]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1, "support": self.support}


def count_matches(gold: Sequence[Iterable[Span]], predicted: Sequence[Iterable[Span]]) -> dict[str, Counts]:
    """Per-label counts of true positives, false positives and false negatives."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold items but {len(predicted)} predicted items")
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for gold_spans, pred_spans in zip(gold, predicted, strict=True):
        g = Counter(gold_spans)
        p = Counter(pred_spans)
        both = g & p
        for (_, _, label), n in both.items():
            tp[label] += n
        for (_, _, label), n in (p - both).items():
            fp[label] += n
        for (_, _, label), n in (g - both).items():
            fn[label] += n
    labels = sorted(set(tp) | set(fp) | set(fn))
    return {label: Counts(tp[label], fp[label], fn[label]) for label in labels}


def micro(counts: dict[str, Counts]) -> Counts:
    return Counts(sum(c.tp for c in counts.values()), sum(c.fp for c in counts.values()),
                  sum(c.fn for c in counts.values()))


def entity_scores(gold: Sequence[Iterable[Span]], predicted: Sequence[Iterable[Span]]) -> dict[str, Any]:
    """``{"precision", "recall", "f1", "tp", "fp", "fn", "per_label": {label: {...}}}``.

    >>> s = entity_scores([[(0, 2, "PER"), (3, 4, "LOC")]], [[(0, 2, "PER"), (3, 4, "ORG")]])
    >>> round(s["f1"], 2), s["per_label"]["LOC"]["recall"], s["per_label"]["ORG"]["support"]
    (0.5, 0.0, 0)
    """
    counts = count_matches(gold, predicted)
    total = micro(counts)
    return {
        "precision": total.precision,
        "recall": total.recall,
        "f1": total.f1,
        "tp": total.tp,
        "fp": total.fp,
        "fn": total.fn,
        "per_label": {label: c.as_dict() for label, c in counts.items()},
    }
