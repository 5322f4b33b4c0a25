"""ROUGE-1, ROUGE-2 and ROUGE-Lsum F-measures (the ``rouge-score`` package, Porter stemming).

ROUGE-Lsum computes the union LCS over *sentences*, which ``rouge-score`` reads as lines. A
text that has no newline is split into sentences first (:func:`sentence_lines`, the legal
sentence splitter), so a one-paragraph reference and a one-sentence-per-line prediction are
compared sentence by sentence, the way ``rougeLsum`` is meant to be used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

ROUGE_KEYS: tuple[str, ...] = ("rouge1", "rouge2", "rougeLsum")


@lru_cache(maxsize=1)
def _scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(ROUGE_KEYS), use_stemmer=True)


def sentence_lines(text: str) -> str:
    """``text`` with one sentence per line (kept as is when it already has several lines)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1:
        return "\n".join(lines)
    from tandem.specialists.legal.segment import split_sentences

    return "\n".join(split_sentences(text))


def rouge_scores(prediction: str, reference: str) -> dict[str, float]:
    """F-measures ``{"rouge1", "rouge2", "rougeLsum"}`` of one prediction against one reference."""
    scores = _scorer().score(sentence_lines(reference), sentence_lines(prediction))
    return {key: float(scores[key].fmeasure) for key in ROUGE_KEYS}


def average(scores: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Mean of each key over per-document scores (0.0 for each key when there are none)."""
    rows = list(scores)
    if not rows:
        return {key: 0.0 for key in ROUGE_KEYS}
    keys = list(rows[0])
    return {key: sum(float(row[key]) for row in rows) / len(rows) for key in keys}


def rouge_corpus(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean ROUGE F-measures over aligned ``predictions`` and ``references``."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    return average(rouge_scores(p, r) for p, r in zip(predictions, references, strict=True))
