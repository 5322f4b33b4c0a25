"""A scriptable fake chat model for unit tests of prompts and parsing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


class ScriptedChatModel(BaseChatModel):
    """Answers with ``respond(last user message)``; records every call's messages."""

    respond: Callable[[str], str]
    calls: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self.calls.append(list(messages))
        answer = self.respond(str(messages[-1].content))
        message = AIMessage(content=answer, usage_metadata={"input_tokens": 10, "output_tokens": 5,
                                                            "total_tokens": 15})
        return ChatResult(generations=[ChatGeneration(message=message)])
