"""``tandem compare summarize``: JSON lines (or a JSON array / object of records) with a document and its
gold summary, as ``tandem eval summarize`` reads them.

The document field is ``text``, else ``source`` (the BillSum rows' name), unless ``source_field`` names it.
Systems: an extractive specialist (``summarize.legal``, ``summarize.lead`` or any registered stage that
writes a :class:`Summary`), given the same word budget as in ``tandem eval summarize`` (``max_words``, default
the legal summarizer's) when it declares one, and the LLM ``summarize`` stage. Metrics: mean ROUGE-1/2/Lsum
F (``rouge1``, ``rouge2``, ``rougeLsum``), plus ``summary_words`` (mean words per summary).
"""

from __future__ import annotations

from collections.abc import Sequence
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
from tandem.stages.contracts import StageFailure, StageOutput, Summary


class SummarizeGold(GoldSet):
    task: ClassVar[Task] = "summarize"

    def __init__(self, path: str | Path, texts: Sequence[str], summaries: Sequence[str],
                 options: GoldOptions | None = None) -> None:
        super().__init__(path, texts, options)
        if len(summaries) != len(texts):
            raise ValueError(f"{len(summaries)} summaries for {len(texts)} texts")
        self.summaries = list(summaries)

    @classmethod
    def read(cls, path: str | Path, options: GoldOptions | None = None, limit: int | None = None) -> SummarizeGold:
        from tandem.specialists.evaluation.summarize import read_gold

        options = options or GoldOptions()
        pairs = read_gold(Path(path), options.source_field, options.summary_field)[:limit]
        return cls(path, [text for text, _ in pairs], [summary for _, summary in pairs], options)

    @property
    def max_words(self) -> int:
        from tandem.specialists.legal.options import DEFAULT_MAX_WORDS

        return self.options.max_words or DEFAULT_MAX_WORDS

    def predicted(self, outputs: Sequence[StageOutput | StageFailure]) -> list[str]:
        self.check(outputs)
        return [o.text if isinstance(o, Summary) else "" for o in outputs]

    def score(self, outputs: Sequence[StageOutput | StageFailure]) -> dict[str, Any]:
        from tandem.specialists.metrics.rouge import rouge_corpus

        predicted = self.predicted(outputs)
        scores: dict[str, Any] = {key: round(value, 4) for key, value in rouge_corpus(predicted, self.summaries).items()}
        scores["summary_words"] = round(sum(len(p.split()) for p in predicted) / max(len(predicted), 1), 1)
        return scores

    def specialist(self, name: str, models_dir: str | None = None) -> SystemSpec:
        stage = resolve_specialist(name, "summarize", Summary)
        return SystemSpec(name=stage, kind="specialist", stage=stage,
                          options=stage_options(stage, models_dir=models_dir, max_words=self.max_words))

    def llm(self, spec: str | None) -> SystemSpec:
        check_llm_spec(spec)
        return SystemSpec(name=llm_name("summarize", spec), kind="llm", stage="summarize", options={"llm": spec})
