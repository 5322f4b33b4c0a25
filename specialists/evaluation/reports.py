"""Typed results of ``tandem eval classify|ner|summarize|cleanup`` (pydantic v2).

``model_dump(mode="json")`` gives the JSON object the ``--json`` option prints: the same keys, in
the same order, as the evaluation functions have always returned.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class LabelScores(BaseModel):
    """Precision, recall and F1 of one label; ``support`` is its number of gold items."""

    precision: float
    recall: float
    f1: float
    support: int


class ClassifyReport(BaseModel):
    """A trained classifier scored on labelled gold data."""

    specialist: str
    model_id: str
    gold: str
    docs: int
    skipped_rows: int
    accuracy: float
    macro_f1: float
    macro_recall: float
    macro_precision: float
    per_label: dict[str, LabelScores]
    #: batched prediction throughput (featurization and encoder included, loading excluded)
    docs_per_s: float | None
    predict_seconds: float
    load_seconds: float
    #: labels the model predicted that the gold data never uses (a hint to pass a label map)
    labels_only_predicted: list[str]
    #: gold label -> {predicted label: count}
    confusion: dict[str, dict[str, int]]
    label_map: dict[str, str] | None


class NerReport(BaseModel):
    """A NER pipeline scored on CoNLL gold data (entity level, exact match, micro-averaged)."""

    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int
    per_label: dict[str, LabelScores]
    docs: int
    tokens: int
    seconds: float
    docs_per_s: float
    tokens_per_s: float
    specialist: str
    model_id: str
    #: the label map's name or spec (None without one)
    label_map: str | None
    gold: str
    gold_labels: list[str]
    #: the pipeline components that ran
    pipes: list[str]
    #: whether each gold document's entities were harmonized (one label per name; see ner_consistency)
    consistency: bool


class SummarizeReport(BaseModel):
    """ROUGE F of a summarizer and of the lead baseline at the same word budget."""

    specialist: str
    max_words: int
    docs: int
    rouge1: float
    rouge2: float
    rougeLsum: float  # noqa: N815 - the ROUGE metric's own name
    lead_rouge1: float
    lead_rouge2: float
    lead_rougeLsum: float  # noqa: N815
    ratio_rougeLsum: float | None  # noqa: N815
    #: summarizer inference only, model load excluded
    docs_per_s: float | None
    load_s: float
    failures: int
    #: document id -> why it failed (the first five)
    failure_examples: dict[str, str]
    summary_words: float
    lead_words: float
    reference_words: float


class CleanupReport(BaseModel):
    """Character and word error rates before and after the cleanup stage (micro-averaged)."""

    cer_before: float
    cer_after: float
    wer_before: float
    wer_after: float
    docs: int
    docs_worse: int
    docs_better: int
    failures: int
    docs_per_s: float
    max_cer_increase: float
    llm: str
    options: dict[str, Any]
    #: share of documents whose output equals their input exactly
    unchanged: float = 0.0
    #: folds of the cross-validation by document (0: the stage as configured, no training)
    cv: int = 0
    llm_calls: int = 0
