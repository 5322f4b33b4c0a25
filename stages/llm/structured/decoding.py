"""How a structured stage's answer is constrained, per backend, and read back from the model's output.

* ``json_schema`` (auto for ``embedded``): llama.cpp grammar from the answer's JSON schema
  (:meth:`EmbeddedChatModel.bind_json_schema`); the answer is always well-formed JSON of that shape;
* ``function_calling`` (auto for ``openai``): ``with_structured_output(..., method="function_calling",
  include_raw=True)``; servers such as llama.cpp's constrain the tool-call arguments with a grammar;
* ``parser`` (auto otherwise): plain chat; the answer's text is parsed (:mod:`.parsing`).

``auto`` is decided by the backend's kind (:data:`AUTO_DECODING`); a kind without an entry (the ``fake`` test
backend, whose doubles stand in for any model, or a model of unknown class) is decided by the model's
capability: a ``bind_json_schema`` method means ``json_schema``.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from tandem.stages.llm.backends import BackendSpec

DECODINGS = ("auto", "json_schema", "function_calling", "parser")

#: the decoding ``auto`` means for each backend kind
AUTO_DECODING = {"embedded": "json_schema", "openai": "function_calling", "ollama": "parser"}


def auto_decoding(kind: str | None, model: BaseChatModel) -> str:
    """The decoding ``auto`` means for a backend of ``kind`` (None: unknown) serving ``model``."""
    if kind is not None and kind in AUTO_DECODING:
        return AUTO_DECODING[kind]
    return "json_schema" if callable(getattr(model, "bind_json_schema", None)) else "parser"


def constrained(model: BaseChatModel, decoding: str, schema: type[BaseModel], limit: dict[str, Any],
                backend: BackendSpec) -> Any:
    """The runnable that asks ``model`` for an answer of ``schema`` with ``decoding``, capped by ``limit``
    (the keywords of :func:`~tandem.stages.llm.calls.max_tokens_kwargs`)."""
    if decoding == "json_schema":
        bind_schema = getattr(model, "bind_json_schema", None)
        if not callable(bind_schema):
            raise TypeError(f"decoding 'json_schema' needs a model with bind_json_schema, not {type(model).__name__}")
        runnable = bind_schema(schema.model_json_schema())
        return runnable.bind(**limit) if limit else runnable
    if decoding == "function_calling":
        # langchain-openai passes extra keywords on to the bound model; BaseChatModel refuses them
        extra = limit if backend.kind == "openai" else {}
        return model.with_structured_output(schema, method="function_calling", include_raw=True, **extra)
    return model.bind(**limit) if limit else model


def answer_of(output: Any) -> tuple[str | dict[str, Any], str, BaseMessage]:
    """(answer for the parser, raw answer text to keep, the raw message) of any decoding's output."""
    message = output["raw"] if isinstance(output, dict) else output
    tool_calls = getattr(message, "tool_calls", None) or []
    if tool_calls:
        args = dict(tool_calls[0].get("args") or {})
        return args, json.dumps(args, ensure_ascii=False), message
    invalid = getattr(message, "invalid_tool_calls", None) or []
    if invalid:
        raw = str(invalid[0].get("args") or "")
        return raw, raw, message
    content = message.content if isinstance(message.content, str) else json.dumps(message.content)
    return content, content, message
