"""Evaluate a summarizer stage against gold summaries (ROUGE), next to the lead baseline.

The gold file is JSON lines, one ``{"text": ..., "summary": ...}`` object per line (the document field is
``text``, else ``source``, the shared BillSum rows' name; both field names configurable). A JSON array of such
objects, or one JSON object keyed by id whose values are such objects (the ``legal_plain_english/all_v1.json``
shape), is read as well, and so is a ``.csv`` / ``.tsv`` file with a header row (BillSum as a table: columns
``text``, ``summary``, ``title``) and a ``.parquet`` file (BillSum as the Hugging Face hub stores it).

The lead baseline (:func:`tandem.specialists.legal_summarizer.lead_summary`) always gets the *same* word
budget as the summarizer, so the comparison is fair.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tandem.specialists.datafiles import csv_records, is_parquet_file, parquet_records
from tandem.specialists.evaluation.reports import SummarizeReport

DEFAULT_SPECIALIST = "summarize.legal"
DEFAULT_BATCH_SIZE = 32
#: where the document is looked for when no field is named: ``text`` (BillSum as published), else ``source``
SOURCE_FIELDS = ("text", "source")


def _rows_from_json(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and data and all(isinstance(v, dict) for v in data.values()):
        return list(data.values())
    return None


def read_gold(path: Path, source_field: str | None = None, summary_field: str = "summary") -> list[tuple[str, str]]:
    """``(source, summary)`` pairs from ``path``; a clear ValueError for anything unusable. The document is in
    ``source_field``, or (None) in the first of :data:`SOURCE_FIELDS` each record has."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"gold file not found: {path}")
    parquet = is_parquet_file(path)
    text = "" if parquet else path.read_text(encoding="utf-8", errors="replace")
    if not parquet and not text.strip():
        raise ValueError(f"gold file is empty: {path}")
    rows: list[Any] | None = None
    stripped = text.lstrip()
    if parquet:
        rows = parquet_records(path)
    elif path.suffix.lower() in (".csv", ".tsv"):
        rows = csv_records(path, text.lstrip("\ufeff"))
    elif stripped[:1] in "[{":
        try:
            rows = _rows_from_json(json.loads(text))
        except json.JSONDecodeError:
            rows = None  # JSON lines
    numbered: list[tuple[int, Any]]
    if rows is not None:
        numbered = list(enumerate(rows, start=1))
        where = "record"
    else:
        numbered = []
        where = "line"
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                numbered.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {number} is not valid JSON ({exc.msg})") from exc
    if not numbered:
        raise ValueError(f"gold file has no records: {path}")
    pairs: list[tuple[str, str]] = []
    for number, row in numbered:
        if not isinstance(row, dict):
            raise ValueError(f"{path}: {where} {number} is a JSON {type(row).__name__}, not an object")
        field = source_field or next((f for f in SOURCE_FIELDS if f in row), None)
        missing = [f for f in ((field,) if field else SOURCE_FIELDS) + (summary_field,) if f not in row]
        if missing:
            present = ", ".join(repr(k) for k in row) or "none"
            raise ValueError(
                f"{path}: {where} {number} has no field {' or '.join(repr(m) for m in missing)}; "
                f"fields present: {present} (use --source-field / --summary-field)"
            )
        assert field is not None
        source, summary = row[field], row[summary_field]
        if not isinstance(source, str) or not isinstance(summary, str):
            raise ValueError(f"{path}: {where} {number}: {field!r} and {summary_field!r} must be strings")
        pairs.append((source, summary))
    return pairs


def _build_stage(specialist: str, max_words: int) -> Any:
    from tandem.stages.registry import create

    try:
        return create(specialist, input="text", output="summary_under_test", max_words=max_words)
    except TypeError:
        # a summarizer without a word budget (an LLM stage): run it as configured
        return create(specialist, input="text", output="summary_under_test")


def _summarize_all(stage: Any, pairs: Sequence[tuple[str, str]], gold: Path, batch_size: int,
                   on_progress: Callable[[int, int], None] | None) -> tuple[list[str], dict[str, str], float]:
    """The loaded ``stage``'s summary of each source, in order ("" where it failed), the failures (document id →
    message) and the seconds spent in the stage, run in batches of ``batch_size``."""
    from tandem.stages.contracts import DocState, Document

    states = [DocState(document=Document.from_text(src, source=str(gold), external_id=str(i)))
              for i, (src, _) in enumerate(pairs)]
    predictions: list[str] = []
    failures: dict[str, str] = {}
    run_s = 0.0
    for start in range(0, len(states), batch_size):
        chunk: Sequence[DocState] = states[start:start + batch_size]
        t0 = time.perf_counter()
        result = stage.run(chunk)
        run_s += time.perf_counter() - t0
        for state in chunk:
            out = result.successes.get(state.key)
            if out is None:
                failure = result.failures.get(state.key)
                failures[state.document.external_id or state.key] = failure.message if failure else "no output"
                predictions.append("")
            else:
                predictions.append(getattr(out, "text", ""))
        if on_progress:
            on_progress(min(start + batch_size, len(states)), len(states))
    return predictions, failures, run_s


def evaluate_summarizer(
    gold: Path,
    specialist: str | None = None,
    source_field: str | None = None,
    summary_field: str = "summary",
    max_words: int | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> SummarizeReport:
    """ROUGE-1/2/Lsum F of ``specialist`` (default ``summarize.legal``) and of the lead baseline.

    ``max_words`` defaults to the summarizer's default budget; the lead baseline uses the same.
    Returns a :class:`SummarizeReport`: ``rouge1``, ``rouge2``, ``rougeLsum``, ``lead_rouge1``,
    ``lead_rouge2``, ``lead_rougeLsum``, ``ratio_rougeLsum`` (summarizer / lead), ``docs``, ``docs_per_s``
    (summarizer inference only, model load excluded), ``load_s``, ``failures``, mean word counts,
    ``specialist`` and ``max_words``.
    """
    from tandem.specialists.legal_summarizer import DEFAULT_MAX_WORDS, lead_summary, word_count
    from tandem.specialists.metrics.rouge import average, rouge_scores

    name = specialist or DEFAULT_SPECIALIST
    budget = DEFAULT_MAX_WORDS if max_words is None else int(max_words)
    if budget <= 0:
        raise ValueError(f"max_words must be positive, got {budget}")
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    pairs = read_gold(Path(gold), source_field, summary_field)
    if limit is not None:
        pairs = pairs[:limit]

    stage = _build_stage(name, budget)
    started = time.perf_counter()
    stage.load()
    load_s = time.perf_counter() - started

    predictions, failures, run_s = _summarize_all(stage, pairs, gold, batch_size, on_progress)

    references = [summary for _, summary in pairs]
    leads = [lead_summary(src, budget) for src, _ in pairs]
    ours = average(rouge_scores(p, r) for p, r in zip(predictions, references, strict=True))
    lead = average(rouge_scores(p, r) for p, r in zip(leads, references, strict=True))
    n = len(pairs)
    return SummarizeReport(
        specialist=name,
        max_words=budget,
        docs=n,
        rouge1=ours["rouge1"],
        rouge2=ours["rouge2"],
        rougeLsum=ours["rougeLsum"],
        lead_rouge1=lead["rouge1"],
        lead_rouge2=lead["rouge2"],
        lead_rougeLsum=lead["rougeLsum"],
        ratio_rougeLsum=ours["rougeLsum"] / lead["rougeLsum"] if lead["rougeLsum"] > 0 else None,
        docs_per_s=n / run_s if run_s > 0 else None,
        load_s=load_s,
        failures=len(failures),
        failure_examples=dict(list(failures.items())[:5]),
        summary_words=sum(word_count(p) for p in predictions) / max(n, 1),
        lead_words=sum(word_count(p) for p in leads) / max(n, 1),
        reference_words=sum(word_count(r) for r in references) / max(n, 1),
    )
