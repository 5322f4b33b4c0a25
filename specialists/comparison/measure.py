"""Run one system (a stage) over gold texts exactly as the pipeline would: batches through ``Stage.run``.

Per document it keeps the output (or the :class:`StageFailure`) and the latency the stage reported
(batched specialists report their batch time shared evenly); in total, LLM usage, wall time, the
process's CPU time (all threads) and the load time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from tandem.stages.base import Stage
from tandem.stages.contracts import DocState, Document, StageFailure, StageOutput, Usage

SystemKind = Literal["llm", "specialist", "cascade"]


@dataclass
class SystemRun:
    """What one system did over the gold texts (``outputs`` and ``latencies_ms`` in input order)."""

    name: str
    kind: SystemKind
    model_id: str
    outputs: list[StageOutput | StageFailure]
    latencies_ms: list[float]
    usage: Usage = field(default_factory=Usage)
    wall_s: float = 0.0
    cpu_s: float = 0.0
    load_s: float = 0.0
    #: per-document usage in input order (LLM calls and tokens: a cascade counts only its routed documents)
    usages: list[Usage] = field(default_factory=list)

    @property
    def docs(self) -> int:
        return len(self.outputs)

    @property
    def failures(self) -> int:
        return sum(isinstance(o, StageFailure) for o in self.outputs)

    @property
    def docs_per_s(self) -> float:
        return round(self.docs / self.wall_s, 3) if self.wall_s > 0 else 0.0

    def percentile_ms(self, q: float) -> float:
        return round(float(np.percentile(self.latencies_ms, q)), 3) if self.latencies_ms else 0.0


def gold_states(texts: Sequence[str], source: str = "gold") -> list[DocState]:
    """One :class:`DocState` per text (``text`` is the document's raw text)."""
    return [DocState(document=Document.from_text(text, source=f"{source}:{i}")) for i, text in enumerate(texts)]


def run_system(name: str, kind: SystemKind, stage: Stage[Any], texts: Sequence[str], *, batch_size: int = 32,
               progress: Callable[[int, int], None] | None = None) -> SystemRun:
    """Load ``stage`` (timed apart) and run it over ``texts`` in batches of ``batch_size``.

    The stage must read the raw ``text`` field (build it with ``input="text"``). A document the stage
    fails stays in ``outputs`` as its :class:`StageFailure`; nothing raises for one bad document.
    """
    started = time.perf_counter()
    stage.load()
    load_s = time.perf_counter() - started
    states = gold_states(texts)
    outputs: list[StageOutput | StageFailure] = []
    latencies: list[float] = []
    usage = Usage()
    usages: list[Usage] = []
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    for start in range(0, len(states), max(1, batch_size)):
        batch = states[start:start + batch_size]
        batch_start = time.perf_counter()
        result = stage.run(batch)
        batch_ms = (time.perf_counter() - batch_start) * 1000.0
        # a stage that reports no latency (e.g. ner.spacy) gets its batch's time shared evenly
        silent = not any(u.latency_ms for u in result.usage.values())
        for state in batch:
            outcome = result.successes.get(state.key) or result.failures.get(state.key)
            if outcome is None:
                outcome = StageFailure(stage=stage.stage_id, kind="model_error", message="the stage returned nothing")
            doc_usage = result.usage.get(state.key, Usage())
            if silent:
                doc_usage = doc_usage.model_copy(update={"latency_ms": batch_ms / len(batch)})
            outputs.append(outcome)
            latencies.append(doc_usage.latency_ms)
            usages.append(doc_usage)
            usage = usage + doc_usage.model_copy(update={"latency_ms": 0.0})
        if progress is not None:
            progress(len(outputs), len(states))
    wall_s = time.perf_counter() - wall_start
    cpu_s = time.process_time() - cpu_start
    return SystemRun(name=name, kind=kind, model_id=stage.model_id(), outputs=outputs, latencies_ms=latencies,
                     usage=usage, wall_s=wall_s, cpu_s=cpu_s, load_s=load_s, usages=usages)
