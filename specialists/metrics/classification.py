"""Classification metrics as pure functions over two equal-length label sequences.

Conventions (the same as scikit-learn's with ``zero_division=0``):

* per label: precision = TP / predicted, recall = TP / support, F1 = 2PR / (P + R); 0.0 when a
  denominator is zero;
* ``labels`` defaults to the sorted union of gold and predicted labels, so a label that is only
  ever predicted counts in the macro averages with recall 0 (support 0);
* macro = the unweighted mean over ``labels``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any


def _check(gold: Sequence[str], predicted: Sequence[str]) -> None:
    if len(gold) != len(predicted):
        raise ValueError(f"gold and predicted differ in length: {len(gold)} vs {len(predicted)}")
    if not gold:
        raise ValueError("no examples to score")


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    _check(gold, predicted)
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def label_set(gold: Sequence[str], predicted: Sequence[str]) -> list[str]:
    return sorted(set(gold) | set(predicted))


def per_label(gold: Sequence[str], predicted: Sequence[str],
              labels: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """``label -> {precision, recall, f1, support}`` (support = gold count, as a number)."""
    _check(gold, predicted)
    true_pos: Counter[str] = Counter(g for g, p in zip(gold, predicted, strict=True) if g == p)
    support = Counter(gold)
    guessed = Counter(predicted)
    result: dict[str, dict[str, float]] = {}
    for label in labels if labels is not None else label_set(gold, predicted):
        precision = _ratio(true_pos[label], guessed[label])
        recall = _ratio(true_pos[label], support[label])
        result[label] = {"precision": precision, "recall": recall,
                         "f1": _ratio(2 * precision * recall, precision + recall), "support": support[label]}
    return result


def macro_f1(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None) -> float:
    scores = per_label(gold, predicted, labels)
    return _ratio(sum(s["f1"] for s in scores.values()), len(scores))


def macro_recall(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None) -> float:
    scores = per_label(gold, predicted, labels)
    return _ratio(sum(s["recall"] for s in scores.values()), len(scores))


def macro_precision(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None) -> float:
    scores = per_label(gold, predicted, labels)
    return _ratio(sum(s["precision"] for s in scores.values()), len(scores))


def confusion(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, dict[str, int]]:
    """``gold label -> {predicted label: count}``."""
    _check(gold, predicted)
    table: dict[str, dict[str, int]] = {}
    for g, p in zip(gold, predicted, strict=True):
        row = table.setdefault(g, {})
        row[p] = row.get(p, 0) + 1
    return table


def classification_report(gold: Sequence[str], predicted: Sequence[str],
                          labels: Sequence[str] | None = None, digits: int = 4) -> dict[str, Any]:
    """``accuracy``, ``macro_f1``, ``macro_recall``, ``macro_precision`` and ``per_label``, rounded."""
    scores = per_label(gold, predicted, labels)
    n = len(scores)
    return {
        "accuracy": round(accuracy(gold, predicted), digits),
        "macro_f1": round(_ratio(sum(s["f1"] for s in scores.values()), n), digits),
        "macro_recall": round(_ratio(sum(s["recall"] for s in scores.values()), n), digits),
        "macro_precision": round(_ratio(sum(s["precision"] for s in scores.values()), n), digits),
        "per_label": {label: {k: (round(v, digits) if k != "support" else int(v)) for k, v in s.items()}
                      for label, s in scores.items()},
    }
