"""Classification metrics over two equal-length label sequences: scikit-learn's, as plain Python values.

Conventions (scikit-learn's with ``zero_division=0``):

* per label: precision = TP / predicted, recall = TP / support, F1 = 2PR / (P + R); 0.0 when a
  denominator is zero;
* ``labels`` defaults to the sorted union of gold and predicted labels, so a label that is only
  ever predicted counts in the macro averages with recall 0 (support 0);
* macro = the unweighted mean over ``labels`` (0.0 over no labels).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support


def _check(gold: Sequence[str], predicted: Sequence[str]) -> None:
    if len(gold) != len(predicted):
        raise ValueError(f"gold and predicted differ in length: {len(gold)} vs {len(predicted)}")
    if not len(gold):
        raise ValueError("no examples to score")


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    _check(gold, predicted)
    return float(accuracy_score(np.asarray(gold), np.asarray(predicted)))


def label_set(gold: Sequence[str], predicted: Sequence[str]) -> list[str]:
    return sorted(set(gold) | set(predicted))


def _scores(gold: Sequence[str], predicted: Sequence[str],
            labels: Sequence[str] | None) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``labels`` and, for each, precision, recall, F1 and support (scikit-learn's, ``zero_division=0``)."""
    _check(gold, predicted)
    names = list(dict.fromkeys(labels)) if labels is not None else label_set(gold, predicted)
    if not names:
        empty = np.zeros(0)
        return names, empty, empty, empty, empty
    # arrays, not lists: scikit-learn converts a list again in each of its checks (3x slower on 5000 labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        np.asarray(gold), np.asarray(predicted), labels=names, average=None, zero_division=0)
    return names, precision, recall, f1, support


def per_label(gold: Sequence[str], predicted: Sequence[str],
              labels: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """``label -> {precision, recall, f1, support}`` (support = gold count, as a number)."""
    names, precision, recall, f1, support = _scores(gold, predicted, labels)
    return {name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for name, p, r, f, s in zip(names, precision, recall, f1, support, strict=True)}


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else 0.0


def macro_f1(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None) -> float:
    return _mean(_scores(gold, predicted, labels)[3])


def macro_recall(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None) -> float:
    return _mean(_scores(gold, predicted, labels)[2])


def macro_precision(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None) -> float:
    return _mean(_scores(gold, predicted, labels)[1])


def confusion(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, dict[str, int]]:
    """``gold label -> {predicted label: count}`` (only the pairs that occur; labels in sorted order)."""
    _check(gold, predicted)
    names = label_set(gold, predicted)
    with warnings.catch_warnings():  # one label in all: scikit-learn warns although `labels` says it is all
        warnings.filterwarnings("ignore", message="A single label was found", category=UserWarning)
        matrix = confusion_matrix(np.asarray(gold), np.asarray(predicted), labels=names)
    table: dict[str, dict[str, int]] = {}
    for i, row in enumerate(matrix):
        cells = {names[j]: int(count) for j, count in enumerate(row) if count}
        if cells:
            table[names[i]] = cells
    return table


def classification_report(gold: Sequence[str], predicted: Sequence[str],
                          labels: Sequence[str] | None = None, digits: int = 4) -> dict[str, Any]:
    """``accuracy``, ``macro_f1``, ``macro_recall``, ``macro_precision`` and ``per_label``, rounded."""
    names, precision, recall, f1, support = _scores(gold, predicted, labels)
    return {
        "accuracy": round(accuracy(gold, predicted), digits),
        "macro_f1": round(_mean(f1), digits),
        "macro_recall": round(_mean(recall), digits),
        "macro_precision": round(_mean(precision), digits),
        "per_label": {name: {"precision": round(float(p), digits), "recall": round(float(r), digits),
                             "f1": round(float(f), digits), "support": int(s)}
                      for name, p, r, f, s in zip(names, precision, recall, f1, support, strict=True)},
    }
