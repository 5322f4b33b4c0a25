"""Calling a chat model: one retry loop for every LLM call (transient errors only, bounded, with backoff,
inside the backend's concurrency limit), answer-length caps per backend, token and latency accounting,
and failure classification."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from tandem.stages.contracts import FailureKind, Usage
from tandem.stages.llm.backends import BackendSpec, backend_of, concurrency_slot, is_transient, is_unreachable
from tandem.stages.llm.embedded import message_usage
from tandem.stages.llm.prompts import VersionedPrompt


@dataclass
class LLMAnswer:
    text: str
    usage: Usage


_OLLAMA_OPTIONS = ("mirostat", "mirostat_eta", "mirostat_tau", "num_ctx", "num_gpu", "num_thread", "repeat_last_n",
                   "repeat_penalty", "temperature", "seed", "tfs_z", "top_k", "top_p")


def max_tokens_kwargs(model: BaseChatModel, max_tokens: int, backend: BackendSpec | None = None,
                      temperature: float | None = None) -> dict[str, Any]:
    """The invocation keywords that cap one answer's length for the backend of ``model`` (and, when
    ``temperature`` is not None, sample at that temperature instead of the model's own, 0 for our backends).

    ``backend`` is the parsed spec the model was built from; without it the model's class tells
    (:func:`~tandem.stages.llm.backends.backend_of`). ``ChatOpenAI`` renames ``max_tokens`` to
    ``max_completion_tokens``, which llama.cpp's server (and other OpenAI-compatible servers) ignore: for
    hosts other than api.openai.com the classic ``max_tokens`` is sent too, so a runaway generation cannot
    fill the whole context window.
    """
    backend = backend or backend_of(model)
    sampling = {} if temperature is None else {"temperature": temperature}
    if backend is None:  # a chat model of another class (a test double): the generic keywords
        return {"max_tokens": max_tokens, **sampling}
    if backend.kind == "ollama":
        # Ollama takes the cap inside ``options``, which then replace the model's own: carry them over
        options = {field: getattr(model, field) for field in _OLLAMA_OPTIONS if getattr(model, field, None) is not None}
        return {"options": {**options, **sampling, "num_predict": max_tokens}}
    if backend.kind == "openai" and "api.openai.com" not in (backend.base_url or "api.openai.com"):
        return {"max_tokens": max_tokens, "extra_body": {"max_tokens": max_tokens}, **sampling}
    return {"max_tokens": max_tokens, **sampling}


def invoke_with_retries(runnable: Any, messages: list[BaseMessage], backend: BackendSpec) -> Any:
    """``runnable.invoke(messages)`` holding one of the backend's concurrency slots; transient errors (and only
    those) are retried with exponential backoff, at most ``backend.max_retries`` times, then re-raised."""
    for attempt in Retrying(stop=stop_after_attempt(backend.max_retries + 1),
                            wait=wait_exponential(multiplier=0.5, max=8),
                            retry=retry_if_exception(is_transient), reraise=True):
        with attempt, concurrency_slot(backend):
            return runnable.invoke(messages)
    raise AssertionError("unreachable")  # pragma: no cover - Retrying either returns or raises


def call_usage(message: BaseMessage, start: float) -> Usage:
    """One LLM call's usage: the message's token counts and the time since ``start`` (retries included)."""
    prompt_tokens, completion_tokens = message_usage(message)
    return Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, llm_calls=1,
                 latency_ms=(time.perf_counter() - start) * 1000.0)


def call_llm(model: BaseChatModel, prompt: VersionedPrompt, variables: dict[str, Any], *, backend: BackendSpec,
             max_tokens: int = 512, temperature: float | None = None) -> LLMAnswer:
    """Invoke ``prompt | model`` once (plus bounded retries on transient errors), the answer capped at
    ``max_tokens``, sampled at ``temperature`` (None: the model's own)."""
    limit = max_tokens_kwargs(model, max_tokens, backend, temperature)
    runnable = model.bind(**limit) if limit else model
    start = time.perf_counter()
    message = invoke_with_retries(runnable, prompt.template.format_messages(**variables), backend)
    content = message.content if isinstance(message.content, str) else str(message.content)
    return LLMAnswer(content, call_usage(message, start))


def classify_llm_error(exc: BaseException) -> tuple[FailureKind, str]:
    """(failure kind, readable message) for an exception raised by a chat model."""
    if is_unreachable(exc):
        return "llm_unreachable", f"LLM server unreachable: {type(exc).__name__}: {exc}"
    return "llm_error", f"LLM call failed: {type(exc).__name__}: {exc}"
