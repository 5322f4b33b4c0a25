"""``summarize``: an LLM summary; map-reduce for texts longer than one context window.

The number of LLM calls is bounded whatever the length: at most ``max_map_calls`` map calls (longer
texts are first condensed extractively into that many chunks, see
:func:`tandem.stages.llm.chunking.condense`) plus the reduce calls, each combining up to ``reduce_fan_in``
partial summaries: at most :func:`max_llm_calls` calls, 20 with the defaults (16 map + 4 reduce). Texts under ``passthrough_words`` are their own summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from tandem.stages.base import BatchResult
from tandem.stages.contracts import DocState, StageFailure, Summary, TextLike, Usage
from tandem.stages.llm.base import LlmOptions, LlmStage
from tandem.stages.llm.calls import call_llm
from tandem.stages.llm.chunking import chunk_text, condense, words
from tandem.stages.llm.prompts import SUMMARIZE, SUMMARIZE_REDUCE, VersionedPrompt, strip_preface


def reduce_calls(partials: int, fan_in: int) -> int:
    """Reduce calls needed to combine ``partials`` summaries, ``fan_in`` at a time (level by level)."""
    calls = 0
    while partials > 1:
        groups = -(-partials // fan_in)
        calls += groups - (1 if partials % fan_in == 1 else 0)
        partials = groups
    return calls


def max_llm_calls(max_map_calls: int, reduce_fan_in: int) -> int:
    """The documented upper bound on calls for one document, whatever its length."""
    return max(n + reduce_calls(n, reduce_fan_in) for n in range(1, max_map_calls + 1))


class SummarizeOptions(LlmOptions):
    max_sentences: int = Field(3, ge=1, description="sentences the prompt asks for")
    chunk_tokens: int = Field(2800, ge=64, description="tokens per map chunk")
    max_map_calls: int = Field(16, ge=1, description="at most this many map calls; longer texts are condensed first")
    reduce_fan_in: int = Field(6, ge=2, description="partial summaries combined per reduce call")
    max_summary_tokens: int = Field(160, ge=1, description="answer length cap per call, in tokens")
    passthrough_words: int = Field(30, ge=0, description="texts this short are their own summary")


class SummarizeStage(LlmStage[Summary], name="summarize", version="1", reads={"clean": TextLike},
                     writes="summary", options=SummarizeOptions):

    options: SummarizeOptions

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=output, **options)
        opts = self.options
        self.max_sentences = opts.max_sentences
        self.chunk_tokens = opts.chunk_tokens
        self.max_map_calls = opts.max_map_calls
        self.reduce_fan_in = opts.reduce_fan_in
        self.max_summary_tokens = opts.max_summary_tokens
        self.passthrough_words = opts.passthrough_words

    @property
    def prompt_version(self) -> str:
        return f"{SUMMARIZE.id}+{SUMMARIZE_REDUCE.id}"

    def run(self, batch: Sequence[DocState]) -> BatchResult[Summary]:
        return self.run_each(batch, self.summarize_one)

    def _ask(self, prompt: VersionedPrompt, text: str) -> tuple[str, Usage, str]:
        answer = call_llm(self.model, prompt, {"text": text, "max_sentences": self.max_sentences},
                          backend=self.backend, max_tokens=self.max_summary_tokens)
        return strip_preface(answer.text), answer.usage, answer.text

    def summarize_one(self, state: DocState) -> tuple[Summary | StageFailure, Usage]:
        text = state.text_of(self.input_field).strip()
        if not text:
            return self.failure("empty", "no text to summarize"), Usage()
        if len(words(text)) <= self.passthrough_words:
            return Summary(text=text, method="passthrough", chunks=1, llm_calls=0), Usage()
        chunks = chunk_text(text, self.chunk_tokens)
        chunks = condense(chunks, self.max_map_calls, self.chunk_tokens)
        usage = Usage()
        partials: list[str] = []
        for chunk in chunks:
            summary, call_usage, raw = self._ask(SUMMARIZE, chunk)
            usage = usage + call_usage
            if not summary:
                return self.failure("invalid_answer", "the LLM returned an empty summary", raw_answer=raw), usage
            partials.append(summary)
        while len(partials) > 1:
            merged: list[str] = []
            for start in range(0, len(partials), self.reduce_fan_in):
                group = partials[start:start + self.reduce_fan_in]
                if len(group) == 1:
                    merged.append(group[0])
                    continue
                joined = "\n\n".join(f"Part {i + 1}: {p}" for i, p in enumerate(group))
                summary, call_usage, raw = self._ask(SUMMARIZE_REDUCE, joined)
                usage = usage + call_usage
                if not summary:
                    return self.failure("invalid_answer", "the LLM returned an empty summary", raw_answer=raw), usage
                merged.append(summary)
            partials = merged
        method: Literal["llm", "map_reduce"] = "llm" if len(chunks) == 1 else "map_reduce"
        return Summary(text=partials[0], method=method, chunks=len(chunks), llm_calls=usage.llm_calls), usage
