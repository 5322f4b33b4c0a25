"""Common ground of the LLM stages: backend resolution, model id, lazy loading, per-document safety."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from langchain_core.language_models import BaseChatModel
from pydantic import Field

from tandem.stages.base import BatchResult, Stage
from tandem.stages.contracts import DocState, StageFailure, StageOutput, Usage
from tandem.stages.llm.backends import make_chat_model, parse_llm_spec
from tandem.stages.llm.calls import classify_llm_error
from tandem.stages.options import NOT_IN_KEY, StageOptions

Out = TypeVar("Out", bound=StageOutput)


class LlmOptions(StageOptions):
    """Options every LLM stage has."""

    llm: str | None = Field(None, description="chat model: embedded (default), openai:<model>@<base_url>, "
                            "ollama:<model> (keyed through the model id)", json_schema_extra=NOT_IN_KEY)


class LlmStage(Stage[Out]):
    """A stage that calls a chat model; the ``llm`` option is a backend spec (see :mod:`tandem.stages.llm.backends`)."""

    Options: ClassVar[type[StageOptions]] = LlmOptions
    options: LlmOptions

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=output, **options)
        self.backend = parse_llm_spec(self.options.llm)  # validates the spec without loading anything
        self._model: BaseChatModel | None = None

    def model_id(self) -> str:
        return self.backend.model_id

    @property
    def model(self) -> BaseChatModel:
        if self._model is None:
            self._model = make_chat_model(self.options.llm)
        return self._model

    def _load(self) -> None:
        client = getattr(self.model, "client", None)
        if callable(client):  # embedded: read the GGUF now, not inside the first document
            client()

    def run_each(self, batch: Sequence[DocState],
                 work: Callable[[DocState], tuple[Out | StageFailure, Usage]]) -> BatchResult[Out]:
        """Apply ``work`` per document; an exception becomes that document's failure, never the batch's."""
        result: BatchResult[Out] = BatchResult()
        for state in batch:
            start = time.perf_counter()
            try:
                outcome, usage = work(state)
            except Exception as exc:  # noqa: BLE001 - one bad document must not stop the batch
                kind, message = classify_llm_error(exc)
                elapsed = Usage(latency_ms=(time.perf_counter() - start) * 1000.0)
                result.add_failure(state.key, self.failure(kind, message), elapsed)
                continue
            usage = usage.model_copy(update={"latency_ms": (time.perf_counter() - start) * 1000.0})
            if isinstance(outcome, StageFailure):
                result.add_failure(state.key, outcome, usage)
            else:
                result.add_success(state.key, outcome, usage)
        return result
