"""Training files that mix sources: which rows to trust for which labels, and how much.

A ``source`` column says where each row comes from (tweets, review sentences, ...). When sources
have different label sets (review sentences are positive or negative, tweets also neutral), a row of a
*partial* source (one lacking some of the labels that another source has) says "this label rather than
the others *of my source*", not "rather than any label": trained on as is, such rows teach the model
that neutral texts hardly exist. The trainer therefore

* holds out and cross-validates only rows of *complete* sources (those with every label), since that
  is the kind of text the model will be asked about;
* chooses the weight of the partial sources' rows by cross-validation on the complete sources' rows
  (:data:`PARTIAL_WEIGHTS`; weight 0 sets them aside);
* when the encoder is fine-tuned, scores a partial row only among its own source's labels.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: the weights tried for the rows of partial sources (0 sets them aside)
PARTIAL_WEIGHTS = (0.0, 0.25, 1.0)


@dataclass
class SourcePlan:
    """Per source: its labels and row count; which sources are partial; the weight chosen for them."""

    labels: dict[str, list[str]]
    rows: dict[str, int]
    partial: list[str]
    partial_weight: float = 1.0
    scores: dict[str, float] = field(default_factory=dict)

    def row_weights(self, sources: Sequence[str]) -> list[float]:
        return [self.partial_weight if s in self.partial else 1.0 for s in sources]

    def allowed_labels(self, sources: Sequence[str]) -> list[frozenset[str] | None]:
        """Per row, the labels it is scored among when fine-tuning (None: all of them)."""
        return [frozenset(self.labels[s]) if s in self.partial else None for s in sources]

    def describe(self) -> str:
        parts = [f"{name} ({self.rows[name]} rows: {', '.join(labels)})" for name, labels in self.labels.items()]
        text = "sources: " + "; ".join(parts)
        if not self.partial:
            return text
        everything = sorted({label for labels in self.labels.values() for label in labels})
        missing = {name: sorted(set(everything) - set(self.labels[name])) for name in self.partial}
        lacks = "; ".join(f"{name} lacks {', '.join(labels)}" for name, labels in missing.items())
        if not self.scores:
            return f"{text}. {lacks}: their weight is chosen by cross-validation on the other sources"
        tried = ", ".join(f"{w:g}: {score:.4f}" for w, score in sorted(
            (float(key), value) for key, value in self.scores.items()))
        verdict = ("set aside" if self.partial_weight == 0 else f"kept at weight {self.partial_weight:g}")
        return (f"{text}. {lacks}: {', '.join(self.partial)} {verdict} "
                f"(cross-validated macro recall on the other sources by weight: {tried})")

    def as_params(self) -> dict[str, Any]:
        return {"labels": self.labels, "rows": self.rows, "partial": self.partial,
                "partial_weight": self.partial_weight, "weight_selection_macro_recall": self.scores}


def plan_sources(labels: Sequence[str], sources: Sequence[str] | None) -> SourcePlan | None:
    """The sources and their label sets, or None without a source column or with a single source."""
    if sources is None:
        return None
    by_source: dict[str, set[str]] = {}
    for label, source in zip(labels, sources, strict=True):
        by_source.setdefault(source, set()).add(label)
    if len(by_source) < 2:
        return None
    everything = set(labels)
    complete = [name for name, found in by_source.items() if found == everything]
    partial = sorted(name for name, found in by_source.items() if found != everything) if complete else []
    counts = Counter(sources)
    return SourcePlan(labels={name: sorted(found) for name, found in sorted(by_source.items())},
                      rows={name: counts[name] for name in sorted(by_source)}, partial=partial)


def choose_partial_weight(plan: SourcePlan, features: Any, labels: Sequence[str], sources: Sequence[str],
                          C: float, seed: int = 0) -> None:
    """Set ``plan.partial_weight`` by 3-fold cross-validation over the complete sources' rows: each fold
    is trained on the other folds plus every partial row at the candidate weight, and scored by macro
    recall on its complete rows only. Ties go to the smaller weight."""
    from tandem.specialists.metrics.classification import macro_recall
    from tandem.specialists.training.classify_head import cv_folds, fit_head, predict_labels

    label_arr = np.asarray(labels)
    is_partial = np.asarray([s in plan.partial for s in sources])
    complete_idx = np.flatnonzero(~is_partial)
    partial_idx = np.flatnonzero(is_partial)
    folds = cv_folds(list(label_arr[complete_idx]), seed)
    scores: dict[str, float] = {}
    for weight in PARTIAL_WEIGHTS:
        values = []
        for train_pos, test_pos in folds:
            train_idx = complete_idx[train_pos]
            test_idx = complete_idx[test_pos]
            if weight > 0:
                train_idx = np.concatenate([train_idx, partial_idx])
            row_weights = [weight if is_partial[i] else 1.0 for i in train_idx]
            names, coef, intercept = fit_head(features[train_idx], label_arr[train_idx], C, seed=seed,
                                              row_weights=row_weights)
            predicted = predict_labels(names, coef, intercept, features[test_idx])
            values.append(macro_recall(list(label_arr[test_idx]), predicted))
        scores[f"{weight:g}"] = round(float(np.mean(values)), 5)
    plan.scores = scores
    plan.partial_weight = max(PARTIAL_WEIGHTS, key=lambda w: (scores[f"{w:g}"], -w))
