"""Calling a chat model with a versioned prompt: retries on transient errors, concurrency limit,
token and latency accounting, and failure classification."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from stages.contracts import Usage
from stages.llm.backends import backend_retries, concurrency_slot, is_transient, is_unreachable
from stages.llm.embedded import message_usage
from stages.llm.prompts import VersionedPrompt


@dataclass
class LLMAnswer:
    text: str
    usage: Usage


_OLLAMA_OPTIONS = ("mirostat", "mirostat_eta", "mirostat_tau", "num_ctx", "num_gpu", "num_thread", "repeat_last_n",
                   "repeat_penalty", "temperature", "seed", "tfs_z", "top_k", "top_p")


def max_tokens_kwargs(model: BaseChatModel, max_tokens: int) -> dict[str, Any]:
    """The invocation keywords that cap one answer's length for this kind of chat model.

    ``ChatOpenAI`` renames ``max_tokens`` to ``max_completion_tokens``, which llama.cpp's server (and
    other OpenAI-compatible servers) ignore: for hosts other than api.openai.com the classic
    ``max_tokens`` is sent too, so a runaway generation cannot fill the whole context window.
    """
    name = type(model).__name__
    if name == "ChatOllama":
        # Ollama takes the cap inside ``options``, which then replace the model's own: carry them over
        options = {field: getattr(model, field) for field in _OLLAMA_OPTIONS if getattr(model, field, None) is not None}
        return {"options": {**options, "num_predict": max_tokens}}
    if name.startswith("Fake"):
        return {}
    if name == "ChatOpenAI" and "api.openai.com" not in str(getattr(model, "openai_api_base", None) or
                                                         "api.openai.com"):
        return {"max_tokens": max_tokens, "extra_body": {"max_tokens": max_tokens}}
    return {"max_tokens": max_tokens}


def with_max_tokens(model: BaseChatModel, max_tokens: int) -> Any:
    kwargs = max_tokens_kwargs(model, max_tokens)
    return model.bind(**kwargs) if kwargs else model


def call_llm(model: BaseChatModel, prompt: VersionedPrompt, variables: dict[str, Any], *, llm_spec: str | None,
             max_tokens: int = 512, **bind: Any) -> LLMAnswer:
    """Invoke ``prompt | model`` once (plus bounded retries on transient errors)."""
    runnable = with_max_tokens(model, max_tokens)
    if bind:
        runnable = runnable.bind(**bind)
    messages = prompt.template.format_messages(**variables)
    attempts = backend_retries(llm_spec) + 1
    start = time.perf_counter()
    for attempt in Retrying(stop=stop_after_attempt(attempts), wait=wait_exponential(multiplier=0.5, max=8),
                            retry=retry_if_exception(is_transient), reraise=True):
        with attempt, concurrency_slot(llm_spec):
            message = runnable.invoke(messages)
    prompt_tokens, completion_tokens = message_usage(message)
    usage = Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, llm_calls=1,
                  latency_ms=(time.perf_counter() - start) * 1000.0)
    content = message.content if isinstance(message.content, str) else str(message.content)
    return LLMAnswer(content, usage)


def classify_llm_error(exc: BaseException) -> tuple[str, str]:
    """(failure kind, readable message) for an exception raised by a chat model."""
    if is_unreachable(exc):
        return "llm_unreachable", f"LLM server unreachable: {type(exc).__name__}: {exc}"
    return "llm_error", f"LLM call failed: {type(exc).__name__}: {exc}"
