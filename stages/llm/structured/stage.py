"""The base of the structured stages: their shared options and the ask → parse → retry loop."""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from pydantic import BaseModel, Field, field_validator

from tandem.stages.base import BatchResult
from tandem.stages.contracts import DocState, StageFailure, StageOutput, TextLike, Usage
from tandem.stages.llm.backends import backend_of
from tandem.stages.llm.base import LlmOptions, LlmStage
from tandem.stages.llm.calls import call_usage, invoke_with_retries, max_tokens_kwargs
from tandem.stages.llm.chunking import chunk_text, condense
from tandem.stages.llm.prompts import RETRY_FEEDBACK, VersionedPrompt
from tandem.stages.llm.structured.decoding import DECODINGS, answer_of, auto_decoding, constrained
from tandem.stages.llm.structured.messages import feedback_messages
from tandem.stages.llm.structured.parsing import InvalidAnswer
from tandem.stages.options import KEY_UNLESS_NONE, StageOptions

Out = TypeVar("Out", bound=StageOutput)
R = TypeVar("R")


class StructuredOptions(LlmOptions):
    max_attempts: int = Field(3, ge=1, description="LLM calls per document until the answer passes the parser")
    decoding: str = Field("auto", description=f"how the answer is constrained: {', '.join(DECODINGS)}")
    max_tokens: int | None = Field(None, ge=1, description="answer length cap in tokens (default: the stage's own)")
    chunk_tokens: int = Field(1500, ge=16, description="longer texts are condensed (or, for ner.llm, chunked)")
    temperature: float | None = Field(None, ge=0.0, le=2.0, description="sampling temperature (default: the "
                                      "backend's own, greedy for ours); in the result key only when set",
                                      json_schema_extra=KEY_UNLESS_NONE)

    @field_validator("decoding")
    @classmethod
    def _known_decoding(cls, value: str) -> str:
        if value not in DECODINGS:
            raise ValueError(f"decoding must be one of {', '.join(DECODINGS)}, not {value!r}")
        return value


def check_labels(labels: Sequence[str], option: str = "labels") -> list[str]:
    """``labels`` stripped, or ValueError unless they are a non-empty list of distinct, non-empty labels."""
    if isinstance(labels, str) or not labels:
        raise ValueError(f"option {option!r} must be a non-empty list of labels, e.g. [spam, ham]")
    cleaned = [str(label).strip() for label in labels]
    if any(not label for label in cleaned) or len({c.lower() for c in cleaned}) != len(cleaned):
        raise ValueError(f"option {option!r} must hold distinct, non-empty labels, not {list(labels)}")
    return cleaned


class LabelOptions(StructuredOptions):
    labels: list[str] = Field(description="the label set the answer must use (distinct, non-empty)")
    descriptions: dict[str, str] = Field(default_factory=dict, description="label -> hint shown to the model")

    @field_validator("labels", mode="before")
    @classmethod
    def _distinct_labels(cls, value: Any) -> list[str]:
        return check_labels(value)


class StructuredLlmStage(LlmStage[Out]):
    """An LLM stage whose answer is a JSON object validated by a pure parser (see :mod:`tandem.stages.llm.structured`).

    A task subclass names its ``prompt``, its strict :meth:`answer_schema` and, in :meth:`answer_for`, how
    one text becomes messages (:mod:`.messages`) and how an answer becomes its output (:mod:`.parsing`).
    """

    default_input: ClassVar[str] = "clean"
    input_type: ClassVar[type[StageOutput]] = TextLike
    answer_tokens: ClassVar[int] = 256
    prompt: ClassVar[VersionedPrompt]
    Options: ClassVar[type[StageOptions]] = StructuredOptions
    options: StructuredOptions

    @property
    def max_tokens(self) -> int:
        """The answer length cap: option ``max_tokens``, else the task's own ``answer_tokens``."""
        return self.options.max_tokens or self.answer_tokens

    @property
    def prompt_version(self) -> str:
        return f"{self.prompt.id}+{RETRY_FEEDBACK.id}"

    @abstractmethod
    def answer_schema(self) -> type[BaseModel]:
        """The strict answer model handed to the backend for constrained decoding."""

    @abstractmethod
    def answer_for(self, text: str) -> tuple[Out | StageFailure, Usage]:
        """One document's outcome from its (non-empty) input text."""

    def decoding_for(self, model: BaseChatModel | None = None) -> str:
        """The ``decoding`` option, or what ``auto`` means: for the stage's own model (no argument) the parsed
        ``llm`` spec decides; for another model instance, the backend its class belongs to."""
        if self.options.decoding != "auto":
            return self.options.decoding
        if model is None:
            return auto_decoding(self.backend.kind, self.model)
        backend = backend_of(model)
        return auto_decoding(backend.kind if backend else None, model)

    def ask(self, messages: list[BaseMessage]) -> tuple[str | dict[str, Any], str, Usage]:
        """One answer (plus transient-error retries): (answer for the parser, raw text, usage)."""
        model = self.model
        limit = max_tokens_kwargs(model, self.max_tokens, self.backend, self.options.temperature)
        runnable = constrained(model, self.decoding_for(), self.answer_schema(), limit, self.backend)
        start = time.perf_counter()
        answer, raw, message = answer_of(invoke_with_retries(runnable, messages, self.backend))
        return answer, raw, call_usage(message, start)

    def attempts(self, build: Callable[[Sequence[BaseMessage]], list[BaseMessage]],
                 check: Callable[[str | dict[str, Any]], R]) -> tuple[R | StageFailure, Usage]:
        """Ask up to ``max_attempts`` times until ``check`` accepts the answer; else an invalid_answer failure."""
        usage = Usage()
        feedback: list[BaseMessage] = []
        raw, error = "", ""
        attempts = self.options.max_attempts
        for _ in range(attempts):
            answer, raw, one_call = self.ask(build(feedback))
            usage = usage + one_call
            try:
                return check(answer), usage
            except InvalidAnswer as exc:
                error = str(exc)
                feedback = feedback_messages(raw, error)
        return self.failure("invalid_answer", f"no valid answer in {attempts} attempt{'s' if attempts > 1 else ''}; "
                            f"last one: {error}", raw_answer=raw), usage

    def fit(self, text: str) -> str:
        """The text condensed (extractively) to one chunk that fits the prompt."""
        chunks = chunk_text(text, self.options.chunk_tokens)
        return condense(chunks, 1, self.options.chunk_tokens)[0] if len(chunks) > 1 else text

    def run(self, batch: Sequence[DocState]) -> BatchResult[Out]:
        return self.run_each(batch, self.one)

    def one(self, state: DocState) -> tuple[Out | StageFailure, Usage]:
        text = state.text_of(self.input_field)
        if not text.strip():
            return self.failure("empty", f"no text in {self.input_field!r}"), Usage()
        return self.answer_for(text)

