"""``tandem compare embed``: which embedder, measured on your scored sentence pairs.

Gold: the STS Benchmark format (tab-separated, no header: genre, file, year, id, score, sentence 1, sentence 2;
lines with extra tab fields: columns 5-7 are taken) or a TSV/CSV with a header ``text_a, text_b, score``. Each
system (an ``embed``-family stage) embeds every sentence once; the cosine of a pair's two vectors is compared
with the human score (Spearman and Pearson, scipy.stats). Speed: sentences/s over the whole run and p50/p95
milliseconds per sentence (each sentence timed in a batch of one, after a warm-up); tokens read; cost per 1,000
sentences with the same cost model as the other comparisons (CPU time at ``cpu_hour``). The result is a
:class:`~tandem.specialists.comparison.report.ComparisonReport` of task ``embed`` (quality: Spearman), stored, drawn
and shown like the other comparisons.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from scipy import stats

from tandem.specialists.comparison.cost import CostModel
from tandem.specialists.comparison.measure import SystemKind
from tandem.specialists.comparison.report import ComparisonReport, SystemReport

#: sentences timed one by one for the latency percentiles
LATENCY_SAMPLE = 50


class PairsError(ValueError):
    """The gold file cannot be read as scored pairs."""


@dataclass(frozen=True)
class ScoredPair:
    text_a: str
    text_b: str
    score: float


class Embedder(Protocol):
    def model_id(self) -> str: ...
    def load(self) -> None: ...
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...
    def count_tokens(self, texts: Sequence[str]) -> int: ...


def _sts_rows(lines: list[str]) -> list[ScoredPair]:
    pairs = []
    for number, line in enumerate(lines, 1):
        fields = line.rstrip("\n").split("\t")
        if len(fields) < 7:
            raise PairsError(f"line {number}: {len(fields)} tab-separated fields, the STS format has 7")
        try:
            pairs.append(ScoredPair(fields[5], fields[6], float(fields[4])))
        except ValueError as exc:
            raise PairsError(f"line {number}: the score {fields[4]!r} is not a number") from exc
    return pairs


def read_pairs(path: Path) -> list[ScoredPair]:
    """Scored pairs from ``path`` (STS format, or a TSV/CSV with ``text_a``, ``text_b``, ``score``)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise PairsError(f"{path}: no pairs")
    header = lines[0].lower()
    if "text_a" in header and "text_b" in header and "score" in header:
        dialect = "excel-tab" if "\t" in lines[0] else "excel"
        try:
            rows = list(csv.DictReader(lines, dialect=dialect))
            pairs = [ScoredPair(row["text_a"], row["text_b"], float(row["score"])) for row in rows]
        except (KeyError, ValueError, TypeError) as exc:
            raise PairsError(f"{path}: a row without text_a, text_b or a numeric score ({exc})") from exc
    else:
        pairs = _sts_rows(lines)
    if len(pairs) < 3:
        raise PairsError(f"{path}: {len(pairs)} pairs; correlations need at least 3")
    return pairs


def measure(name: str, system: Embedder, pairs: Sequence[ScoredPair], cost: CostModel) -> SystemReport:
    """Embed every sentence of ``pairs`` with ``system`` and score it (see the module docstring). A "document" of
    the report is a sentence: ``docs_per_s`` is sentences/s, ``cost_per_1k_docs`` the cost of 1,000 sentences."""
    started = time.perf_counter()
    system.load()
    load_s = time.perf_counter() - started
    sentences = list(dict.fromkeys(s for pair in pairs for s in (pair.text_a, pair.text_b)))
    system.encode(sentences[:2])  # warm-up
    latencies = []
    for sentence in sentences[:LATENCY_SAMPLE]:
        start = time.perf_counter()
        system.encode([sentence])
        latencies.append((time.perf_counter() - start) * 1000.0)
    wall, cpu = time.perf_counter(), time.process_time()
    matrix = system.encode(sentences)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    index = {sentence: i for i, sentence in enumerate(sentences)}
    cosines = [float(matrix[index[p.text_a]] @ matrix[index[p.text_b]]) for p in pairs]
    gold = [p.score for p in pairs]
    tokens = system.count_tokens(sentences)
    kind: SystemKind = "llm" if name.startswith("embed.llm") else "specialist"
    speed = round(len(sentences) / wall, 1) if wall > 0 else 0.0
    cost_1k = cost.cost_per_1k_docs(len(sentences), 0, 0, cpu)
    return SystemReport(
        name=name, kind=kind, model_id=system.model_id(), docs=len(sentences), prompt_tokens=tokens,
        metrics={"spearman": round(float(stats.spearmanr(cosines, gold).statistic), 4),
                 "pearson": round(float(stats.pearsonr(cosines, gold).statistic), 4),
                 "pairs": len(pairs), "sentences": len(sentences), "tokens": tokens,
                 # the same figures as docs_per_s and cost_per_1k_docs, under the names of this task
                 "sentences_per_s": speed, "cost_per_1k_sentences": cost_1k},
        docs_per_s=speed,
        p50_ms=round(float(np.percentile(latencies, 50)), 2), p95_ms=round(float(np.percentile(latencies, 95)), 2),
        cpu_seconds=round(cpu, 3), load_seconds=round(load_s, 3),
        cost_per_1k_docs=cost_1k,
        note=None if len(pairs) == 0 else f"{len(pairs)} pairs, {len(sentences)} sentences, {tokens:,} tokens read")


def compare_embedders(gold: Path, systems: dict[str, Embedder], limits: dict[str, int | None] | None = None,
                      cost: CostModel | None = None) -> ComparisonReport:
    """Measure each named system on the pairs of ``gold`` (``limits``: the first N pairs for a system); the report
    is task ``embed``, ``docs`` the number of pairs read, quality the Spearman correlation."""
    pairs = read_pairs(gold)
    cost = cost or CostModel()
    limits = limits or {}
    reports = [measure(name, system, pairs[:limits.get(name) or len(pairs)], cost)
               for name, system in systems.items()]
    return ComparisonReport(task="embed", gold=str(gold), docs=len(pairs), cost_model=cost, systems=reports)
