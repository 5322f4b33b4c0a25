"""The structured stages' ``temperature`` option: bound per call, in the result key only when set."""

from __future__ import annotations

from typing import Any

from tandem.stages import registry
from tandem.stages.contracts import DocState, Document
from tandem.stages.llm.backends import BackendSpec
from tandem.stages.llm.calls import max_tokens_kwargs
from tests.stages.llm.fakes import ScriptedChatModel


class KwargsRecorder(ScriptedChatModel):
    """A scripted model that also records the keywords each call was bound with."""

    seen: list[dict[str, Any]] = []

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
        self.seen.append(dict(kwargs))
        return super()._generate(messages, stop, run_manager, **kwargs)


def test_temperature_none_keeps_todays_result_key() -> None:
    plain = registry.create("classify.llm", llm="fake:x", labels=["spam", "ham"])
    unset = registry.create("classify.llm", llm="fake:x", labels=["spam", "ham"], temperature=None)
    hot = registry.create("classify.llm", llm="fake:x", labels=["spam", "ham"], temperature=0.7)
    assert "temperature" not in plain.config() and plain.config() == unset.config()
    assert hot.config() == {**plain.config(), "temperature": 0.7}
    assert set(plain.config()) == {"chunk_tokens", "decoding", "descriptions", "labels", "max_attempts",
                                   "max_tokens"}


def test_temperature_is_bound_to_each_call() -> None:
    model = KwargsRecorder(respond=lambda _text: '{"label": "spam"}')
    model.seen = []
    stage: Any = registry.create("classify.llm", llm="fake:x", labels=["spam", "ham"], input="text",
                                 temperature=0.9, decoding="parser")
    stage._model = model
    result = stage.run([DocState(document=Document.from_text("win a prize", "t"))])
    assert [c.label for c in result.successes.values()] == ["spam"]
    assert model.seen and all(kw.get("temperature") == 0.9 for kw in model.seen)


def test_max_tokens_kwargs_per_backend() -> None:
    model = ScriptedChatModel(respond=lambda t: t)
    assert max_tokens_kwargs(model, 10) == {"max_tokens": 10}
    assert max_tokens_kwargs(model, 10, temperature=0.5) == {"max_tokens": 10, "temperature": 0.5}
    served = BackendSpec("openai", "m", "http://127.0.0.1:1/v1")
    assert max_tokens_kwargs(model, 10, served, 0.5) == {"max_tokens": 10, "extra_body": {"max_tokens": 10},
                                                         "temperature": 0.5}

