"""Structured-output LLM stages: ``classify.llm``, ``ner.llm`` and ``summarize.keypoints``.

Each stage asks the model for a small JSON object and never stores one that fails its contract.
In the spirit of spacy-llm, every task is two pure functions, tested on their own:

* a prompt builder (``classify_messages``, ``ner_messages``, ``keypoints_messages``): text → messages;
* a parser (``parse_classification``, ``parse_entities``, ``parse_keypoints``): the model's answer (JSON
  text, or the arguments of a tool call) → the stage's output, or :class:`InvalidAnswer` saying why not.
  Parsers check the *content*, not only the shape: a label outside ``labels``, an entity that does not
  occur in the text, an empty or invented summary are all invalid.

How the answer is constrained depends on the backend (option ``decoding``, default ``auto``):

* ``json_schema`` (auto for ``embedded``): llama.cpp grammar from the answer's JSON schema
  (:meth:`EmbeddedChatModel.bind_json_schema`); the answer is always well-formed JSON of that shape;
* ``function_calling`` (auto for ``openai:``): ``with_structured_output(..., method="function_calling",
  include_raw=True)``; servers such as llama.cpp's constrain the tool-call arguments with a grammar;
* ``parser`` (auto otherwise): plain chat, parsed with langchain-core's ``PydanticOutputParser``.

Whatever the decoding, an answer that fails the parser is retried (the model sees its previous answer
and the reason it was rejected) up to ``max_attempts`` calls in all; then the document fails with
``kind="invalid_answer"`` and the last raw answer kept. Token usage is the sum over all attempts.
Transient connection errors are retried separately (bounded, with backoff) and, when they persist,
become ``llm_unreachable`` failures (see :class:`~stages.llm.base.LlmStage`).
"""

from __future__ import annotations

import json
import re
import time
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal, TypeVar

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import PydanticOutputParser
from pydantic import BaseModel, Field, ValidationError, create_model, field_validator
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from stages.base import BatchResult
from stages.contracts import (
    Classification,
    DocState,
    Entities,
    Entity,
    StageFailure,
    StageOutput,
    Summary,
    TextLike,
    Usage,
)
from stages.llm.backends import backend_retries, concurrency_slot, is_transient
from stages.llm.base import LlmOptions, LlmStage
from stages.llm.calls import max_tokens_kwargs
from stages.llm.chunking import chunk_text, condense
from stages.llm.embedded import message_usage
from stages.llm.guard import words
from stages.llm.prompts import CLASSIFY_LLM, KEYPOINTS, NER_LLM, RETRY_FEEDBACK, VersionedPrompt
from stages.options import StageOptions

Out = TypeVar("Out", bound=StageOutput)
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)

DECODINGS = ("auto", "json_schema", "function_calling", "parser")

#: answers that only repeat a placeholder of the prompt or the schema
_PLACEHOLDERS = {"", "...", "…", "string", "str", "text", "summary", "key point", "label", "none", "n/a", "null"}


class InvalidAnswer(ValueError):
    """The model's answer does not satisfy the stage's contract (the message says why)."""


# -- answer shapes ------------------------------------------------------------------------------------
# Loose models check only the shape of an answer (used to parse it); the strict models built by the
# ``*_answer_model`` functions add what a grammar can enforce (label enums, list lengths) and are the
# schemas handed to the backend for constrained decoding.

class LabelAnswer(BaseModel):
    label: str


class EntityMention(BaseModel):
    text: str
    label: str


class EntitiesAnswer(BaseModel):
    entities: list[EntityMention]


class KeyPointsAnswer(BaseModel):
    summary: str
    key_points: list[str]


def label_answer_model(labels: Sequence[str]) -> type[BaseModel]:
    """``{"label": one of labels}``."""
    label_type: Any = Literal[tuple(labels)]
    return create_model("TextLabel", __doc__="The one label that fits the text best.",
                        label=(label_type, Field(description="one of: " + ", ".join(labels))))


def entities_answer_model(labels: Sequence[str]) -> type[BaseModel]:
    """``{"entities": [{"text": str, "label": one of labels}]}``."""
    label_type: Any = Literal[tuple(labels)]
    mention = create_model("NamedEntity", __doc__="One entity, copied exactly as written in the text.",
                           text=(str, Field(description="the entity exactly as written in the text")),
                           label=(label_type, Field(description="one of: " + ", ".join(labels))))
    return create_model("NamedEntities", __doc__="The named entities found in the text.",
                        entities=(list[mention], Field(description="every entity in the text")))  # type: ignore[valid-type]


def keypoints_answer_model(max_points: int) -> type[BaseModel]:
    """``{"summary": str, "key_points": [str, ... at most max_points]}``."""
    return create_model("SummaryWithKeyPoints", __doc__="A short summary of the text and its key points.",
                        summary=(str, Field(description="one or two sentences")),
                        key_points=(list[str], Field(max_length=max_points, description="short phrases")))


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def _json_candidates(answer: str) -> list[str]:
    """The answer itself, the inside of a ```json fence, and the outermost {...} (a chatty preface)."""
    text = answer.strip()
    candidates = [text]
    fenced = _FENCE.search(text)
    if fenced:
        candidates.append(fenced.group(1).strip())
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start:end + 1])
    return list(dict.fromkeys(candidates))


def load_answer(answer: str | Mapping[str, Any], model: type[M]) -> M:
    """Check the shape of an answer: JSON text (parsed by ``PydanticOutputParser``) or tool-call arguments.

    The JSON must be complete: langchain's parser would quietly close a truncated object (an answer cut
    off by the token limit), so the text is first checked with a strict ``json.loads``.
    """
    if isinstance(answer, Mapping):
        try:
            return model.model_validate(dict(answer))
        except ValidationError as exc:
            raise InvalidAnswer(_short_validation_error(exc)) from None
    if not answer.strip():
        raise InvalidAnswer("the answer is empty, expected a JSON object")
    for candidate in _json_candidates(answer):
        try:
            value = json.loads(candidate, strict=False)
        except json.JSONDecodeError:
            continue
        if not isinstance(value, dict):
            raise InvalidAnswer(f"the answer is JSON but not an object: {type(value).__name__}")
        try:
            return PydanticOutputParser(pydantic_object=model).parse(candidate)
        except OutputParserException as exc:
            cause = exc.__cause__
            raise InvalidAnswer(_short_validation_error(cause) if isinstance(cause, ValidationError)
                                else f"the answer does not fit the expected object: {exc}") from None
    raise InvalidAnswer("the answer is not a complete JSON object")


def _short_validation_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"]) or "answer"
        parts.append(f"{where}: {error['msg'].lower()}")
    return "; ".join(parts)


def _is_placeholder(value: str) -> bool:
    stripped = value.strip()
    if len(stripped) >= 2 and stripped[0] == "<" and stripped[-1] == ">":  # "<first key fact>"
        return True
    return stripped.strip(".\"'").strip().lower() in _PLACEHOLDERS


def _describe_labels(labels: Sequence[str], descriptions: Mapping[str, str]) -> str:
    return "\n".join(f"- {label}" + (f": {descriptions[label]}" if label in descriptions else "")
                     for label in labels)


def _check_labels(labels: Sequence[str], option: str = "labels") -> list[str]:
    if isinstance(labels, str) or not labels:
        raise ValueError(f"option {option!r} must be a non-empty list of labels, e.g. [spam, ham]")
    cleaned = [str(label).strip() for label in labels]
    if any(not label for label in cleaned) or len({c.lower() for c in cleaned}) != len(cleaned):
        raise ValueError(f"option {option!r} must hold distinct, non-empty labels, not {list(labels)}")
    return cleaned


def feedback_messages(raw_answer: str, error: str) -> list[BaseMessage]:
    """What the model sees before trying again: its previous answer and why it was rejected."""
    return [AIMessage(content=raw_answer or "(empty answer)"),
            *RETRY_FEEDBACK.template.format_messages(error=error)]


# -- classify.llm ---------------------------------------------------------------------------------------
def classify_messages(text: str, labels: Sequence[str], descriptions: Mapping[str, str] | None = None,
                      feedback: Sequence[BaseMessage] = ()) -> list[BaseMessage]:
    return CLASSIFY_LLM.template.format_messages(
        text=text, labels=", ".join(labels), label_help=_describe_labels(labels, descriptions or {}),
        feedback=list(feedback))


def parse_classification(answer: str | Mapping[str, Any], labels: Sequence[str]) -> Classification:
    """A label from ``labels`` (matched ignoring case and surrounding spaces/quotes), or InvalidAnswer."""
    parsed = load_answer(answer, LabelAnswer)
    given = parsed.label.strip().strip("\"'").strip()
    by_folded = {label.casefold(): label for label in labels}
    label = by_folded.get(given.casefold())
    if label is None:
        raise InvalidAnswer(f"label {given!r} is not one of: {', '.join(labels)}")
    # a zero-shot label carries no calibrated probability: the chosen label gets 1.0
    return Classification(label=label, score=1.0, scores={label: 1.0})


# -- ner.llm ----------------------------------------------------------------------------------------------
NER_LABEL_HELP = {
    "PERSON": "names of people",
    "ORG": "companies, agencies, institutions, teams",
    "GPE": "countries, cities, states",
    "LOC": "other places: regions, mountains, rivers",
    "DATE": "dates and periods",
    "MONEY": "amounts of money",
}


def ner_messages(text: str, labels: Sequence[str], descriptions: Mapping[str, str] | None = None,
                 feedback: Sequence[BaseMessage] = ()) -> list[BaseMessage]:
    return NER_LLM.template.format_messages(
        text=text, labels=", ".join(labels),
        label_help=_describe_labels(labels, {**NER_LABEL_HELP, **(descriptions or {})}), feedback=list(feedback))


def _occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    """Spans of ``needle`` in ``text`` on word boundaries: exact case first, else ignoring case."""
    pattern = r"(?<!\w)" + re.escape(needle) + r"(?!\w)"
    spans = [(m.start(), m.end()) for m in re.finditer(pattern, text)]
    if not spans:
        spans = [(m.start(), m.end()) for m in re.finditer(pattern, text, flags=re.IGNORECASE)]
    return spans


def parse_entities(answer: str | Mapping[str, Any], text: str, labels: Sequence[str], *,
                   source_field: str = "clean", max_entity_words: int = 8) -> Entities:
    """Entities located in ``text`` (every occurrence of each mention), or InvalidAnswer.

    Mentions whose text does not occur in ``text``, whose label is not in ``labels`` or that are longer
    than ``max_entity_words`` words are dropped; an answer whose mentions are *all* dropped is invalid
    (an empty list is a valid answer: no entities). Overlapping spans keep the longer, then the earlier.
    """
    if isinstance(answer, str) and answer.strip().startswith("["):
        answer = '{"entities": ' + answer.strip() + "}"  # a bare list of mentions
    parsed = load_answer(answer, EntitiesAnswer)
    by_folded = {label.casefold(): label for label in labels}
    candidates: list[Entity] = []
    problems: list[str] = []
    for mention in parsed.entities:
        surface = mention.text.strip()
        label = by_folded.get(mention.label.strip().casefold())
        if label is None:
            problems.append(f"label {mention.label!r} of {surface!r} is not one of: {', '.join(labels)}")
            continue
        if not surface or _is_placeholder(surface):
            problems.append(f"entity text {mention.text!r} is empty or a placeholder")
            continue
        if len(words(surface)) > max_entity_words:
            problems.append(f"{surface[:60]!r} is not a name (more than {max_entity_words} words)")
            continue
        spans = _occurrences(text, surface)
        if not spans:
            problems.append(f"{surface!r} does not occur in the text")
            continue
        candidates.extend(Entity(start=s, end=e, label=label, text=text[s:e]) for s, e in spans)
    if parsed.entities and not candidates:
        raise InvalidAnswer("; ".join(problems[:3]))
    return Entities(entities=resolve_overlaps(candidates), source_field=source_field)


def resolve_overlaps(candidates: Sequence[Entity]) -> list[Entity]:
    """Non-overlapping entities in text order: of overlapping spans the longer wins, then the earlier."""
    kept: list[Entity] = []
    for entity in sorted(candidates, key=lambda e: (-(e.end - e.start), e.start)):
        if not any(entity.start < other.end and other.start < entity.end for other in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: (e.start, e.end))


# -- summarize.keypoints ------------------------------------------------------------------------------------
def keypoints_messages(text: str, max_points: int, feedback: Sequence[BaseMessage] = ()) -> list[BaseMessage]:
    return KEYPOINTS.template.format_messages(text=text, max_points=max_points, feedback=list(feedback))


_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")


def grounding(candidate: str, source: str) -> float:
    """Share of the candidate's content words (4+ letters) that occur in the source; 1.0 when it has none."""
    content = [w.lower() for w in words(candidate) if len(w) >= 4]
    if not content:
        return 1.0
    vocabulary = {w.lower() for w in words(source)}
    return sum(w in vocabulary for w in content) / len(content)


def parse_keypoints(answer: str | Mapping[str, Any], source_text: str, *, max_points: int = 5,
                    min_grounding: float = 0.3) -> Summary:
    """``summary`` + bullet key points as one :class:`Summary` (method ``llm``), or InvalidAnswer.

    Valid means: a non-empty, non-placeholder summary; 1..``max_points`` distinct non-empty key points
    (bullet marks are stripped); and at least ``min_grounding`` of the content words found in the source.
    """
    parsed = load_answer(answer, KeyPointsAnswer)
    summary = " ".join(parsed.summary.split())
    if _is_placeholder(summary):
        raise InvalidAnswer("'summary' is empty or a placeholder")
    points: list[str] = []
    for point in parsed.key_points:
        cleaned = " ".join(_BULLET.sub("", point).split())
        if cleaned and not _is_placeholder(cleaned) and cleaned.lower() not in (p.lower() for p in points):
            points.append(cleaned)
    if not points:
        raise InvalidAnswer("'key_points' must hold at least one non-empty key point")
    if len(points) > max_points:
        raise InvalidAnswer(f"'key_points' holds {len(points)} points, at most {max_points} are allowed")
    share = grounding(" ".join([summary, *points]), source_text)
    if share < min_grounding:
        raise InvalidAnswer(f"only {share:.0%} of the summary's words occur in the text: use facts from the text")
    text = summary + "\n" + "\n".join(f"- {point}" for point in points)
    return Summary(text=text, method="llm", chunks=1, llm_calls=0)


# -- calling the model ------------------------------------------------------------------------------------
def invoke_with_retries(runnable: Any, messages: list[BaseMessage], llm_spec: str | None) -> Any:
    """``runnable.invoke(messages)`` with the backend's bounded retries on transient errors only."""
    attempts = backend_retries(llm_spec) + 1
    for attempt in Retrying(stop=stop_after_attempt(attempts), wait=wait_exponential(multiplier=0.5, max=8),
                            retry=retry_if_exception(is_transient), reraise=True):
        with attempt, concurrency_slot(llm_spec):
            return runnable.invoke(messages)
    raise AssertionError("unreachable")  # pragma: no cover - Retrying either returns or raises


def _answer_of(output: Any) -> tuple[str | dict[str, Any], str, BaseMessage]:
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


class StructuredOptions(LlmOptions):
    max_attempts: int = Field(3, ge=1, description="LLM calls per document until the answer passes the parser")
    decoding: str = Field("auto", description=f"how the answer is constrained: {', '.join(DECODINGS)}")
    max_tokens: int | None = Field(None, ge=1, description="answer length cap in tokens (default: the stage's own)")
    chunk_tokens: int = Field(1500, ge=64, description="longer texts are condensed (or, for ner.llm, chunked)")

    @field_validator("decoding")
    @classmethod
    def _known_decoding(cls, value: str) -> str:
        if value not in DECODINGS:
            raise ValueError(f"decoding must be one of {', '.join(DECODINGS)}, not {value!r}")
        return value


class LabelOptions(StructuredOptions):
    labels: list[str] = Field(description="the label set the answer must use (distinct, non-empty)")
    descriptions: dict[str, str] = Field(default_factory=dict, description="label -> hint shown to the model")

    @field_validator("labels", mode="before")
    @classmethod
    def _distinct_labels(cls, value: Any) -> list[str]:
        return _check_labels(value)


class ClassifyLlmOptions(LabelOptions):
    pass


class NerLlmOptions(LabelOptions):
    labels: list[str] = Field(default_factory=lambda: ["PERSON", "ORG", "GPE", "DATE"],
                              description="entity types to extract (distinct, non-empty)")
    max_entity_words: int = Field(8, ge=1, description="longer \"entities\" are dropped")
    max_chunks: int = Field(16, ge=1, description="texts needing more chunks fail with too_large")


class KeyPointsOptions(StructuredOptions):
    max_points: int = Field(5, ge=1, description="at most this many key points")
    min_grounding: float = Field(0.3, ge=0.0, le=1.0,
                                 description="share of the answer's content words that must occur in the text")


class StructuredLlmStage(LlmStage[Out]):
    """An LLM stage whose answer is a JSON object validated by a pure parser (see the module docstring)."""

    default_input: ClassVar[str] = "clean"
    input_type: ClassVar[type[StageOutput]] = TextLike
    answer_tokens: ClassVar[int] = 256
    prompt: ClassVar[VersionedPrompt]
    Options: ClassVar[type[StageOptions]] = StructuredOptions
    options: StructuredOptions

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=output, **options)
        self.max_attempts = self.options.max_attempts
        self.decoding = self.options.decoding
        self.max_tokens = self.options.max_tokens or self.answer_tokens
        self.chunk_tokens = self.options.chunk_tokens

    @property
    def prompt_version(self) -> str:
        return f"{self.prompt.id}+{RETRY_FEEDBACK.id}"

    @abstractmethod
    def answer_schema(self) -> type[BaseModel]:
        """The strict answer model handed to the backend for constrained decoding."""

    def decoding_for(self, model: BaseChatModel) -> str:
        if self.decoding != "auto":
            return self.decoding
        if callable(getattr(model, "bind_json_schema", None)):
            return "json_schema"
        if type(model).__name__ == "ChatOpenAI":
            return "function_calling"
        return "parser"

    def ask(self, messages: list[BaseMessage]) -> tuple[str | dict[str, Any], str, Usage]:
        """One answer (plus transient-error retries): (answer for the parser, raw text, usage)."""
        model = self.model
        limit = max_tokens_kwargs(model, self.max_tokens)
        mode = self.decoding_for(model)
        runnable: Any
        if mode == "json_schema":
            bind_schema = getattr(model, "bind_json_schema", None)
            if not callable(bind_schema):
                raise TypeError(f"decoding 'json_schema' needs a model with bind_json_schema, not "
                                f"{type(model).__name__}")
            runnable = bind_schema(self.answer_schema().model_json_schema())
            runnable = runnable.bind(**limit) if limit else runnable
        elif mode == "function_calling":
            extra = limit if type(model).__name__ == "ChatOpenAI" else {}
            runnable = model.with_structured_output(self.answer_schema(), method="function_calling",
                                                    include_raw=True, **extra)
        else:
            runnable = model.bind(**limit) if limit else model
        start = time.perf_counter()
        output = invoke_with_retries(runnable, messages, self.llm_spec)
        answer, raw, message = _answer_of(output)
        prompt_tokens, completion_tokens = message_usage(message)
        return answer, raw, Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, llm_calls=1,
                                  latency_ms=(time.perf_counter() - start) * 1000.0)

    def attempts(self, build: Callable[[Sequence[BaseMessage]], list[BaseMessage]],
                 check: Callable[[str | dict[str, Any]], R]) -> tuple[R | StageFailure, Usage]:
        """Ask up to ``max_attempts`` times until ``check`` accepts the answer; else an invalid_answer failure."""
        usage = Usage()
        feedback: list[BaseMessage] = []
        raw, error = "", ""
        for _ in range(self.max_attempts):
            answer, raw, call_usage = self.ask(build(feedback))
            usage = usage + call_usage
            try:
                return check(answer), usage
            except InvalidAnswer as exc:
                error = str(exc)
                feedback = feedback_messages(raw, error)
        return self.failure("invalid_answer", f"no valid answer in {self.max_attempts} attempt"
                            f"{'s' if self.max_attempts > 1 else ''}; last one: {error}", raw_answer=raw), usage

    def fit(self, text: str) -> str:
        """The text condensed (extractively) to one chunk that fits the prompt."""
        chunks = chunk_text(text, self.chunk_tokens)
        return condense(chunks, 1, self.chunk_tokens)[0] if len(chunks) > 1 else text

    def run(self, batch: Sequence[DocState]) -> BatchResult[Out]:
        return self.run_each(batch, self.one)

    def one(self, state: DocState) -> tuple[Out | StageFailure, Usage]:
        text = state.text_of(self.input_field)
        if not text.strip():
            return self.failure("empty", f"no text in {self.input_field!r}"), Usage()
        return self.answer_for(text)

    @abstractmethod
    def answer_for(self, text: str) -> tuple[Out | StageFailure, Usage]: ...


class LlmClassifyStage(StructuredLlmStage[Classification]):
    """``classify.llm``: zero-shot labelling; the answer must be one of ``labels``.

    Options: ``labels`` (required), ``descriptions`` (label → hint shown to the model), ``max_attempts``,
    ``decoding``, ``max_tokens``, ``chunk_tokens`` (longer texts are condensed extractively first).
    Writes :class:`Classification` (``score`` is 1.0: a zero-shot label has no calibrated probability).
    """

    name: ClassVar[str] = "classify.llm"
    version: ClassVar[str] = "1"
    output_type: ClassVar[type[StageOutput]] = Classification
    default_output: ClassVar[str] = "llm_label"
    answer_tokens: ClassVar[int] = 48
    prompt: ClassVar[VersionedPrompt] = CLASSIFY_LLM
    Options: ClassVar[type[StageOptions]] = ClassifyLlmOptions
    options: ClassifyLlmOptions

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=output, **options)
        self.labels = list(self.options.labels)
        self.descriptions = dict(self.options.descriptions)

    def answer_schema(self) -> type[BaseModel]:
        return label_answer_model(self.labels)

    def answer_for(self, text: str) -> tuple[Classification | StageFailure, Usage]:
        fitted = self.fit(text)
        return self.attempts(lambda fb: classify_messages(fitted, self.labels, self.descriptions, fb),
                             lambda answer: parse_classification(answer, self.labels))


class LlmNerStage(StructuredLlmStage[Entities]):
    """``ner.llm``: the model lists entity texts and labels; we find them in the text for offsets.

    Options: ``labels`` (default PERSON, ORG, GPE, DATE), ``descriptions``, ``max_entity_words`` (longer
    "entities" are dropped), ``max_chunks`` (texts needing more chunks fail with ``too_large``),
    ``max_attempts``, ``decoding``, ``max_tokens``, ``chunk_tokens``. Each chunk is asked separately;
    mentions are located in the whole text. Writes :class:`Entities`.
    """

    name: ClassVar[str] = "ner.llm"
    version: ClassVar[str] = "1"
    output_type: ClassVar[type[StageOutput]] = Entities
    default_output: ClassVar[str] = "llm_entities"
    answer_tokens: ClassVar[int] = 256
    prompt: ClassVar[VersionedPrompt] = NER_LLM
    Options: ClassVar[type[StageOptions]] = NerLlmOptions
    options: NerLlmOptions

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=output, **options)
        self.labels = list(self.options.labels)
        self.descriptions = dict(self.options.descriptions)
        self.max_entity_words = self.options.max_entity_words
        self.max_chunks = self.options.max_chunks

    def answer_schema(self) -> type[BaseModel]:
        return entities_answer_model(self.labels)

    def answer_for(self, text: str) -> tuple[Entities | StageFailure, Usage]:
        chunks = chunk_text(text, self.chunk_tokens)
        if len(chunks) > self.max_chunks:
            return self.failure("too_large", f"the text needs {len(chunks)} chunks of {self.chunk_tokens} tokens; "
                                f"max_chunks={self.max_chunks}"), Usage()
        usage = Usage()
        found: list[Entity] = []
        for chunk in chunks:
            # mentions are asked per chunk and located in the whole text (offsets refer to the input field)
            outcome, call_usage = self.attempts(
                lambda fb, chunk=chunk: ner_messages(chunk, self.labels, self.descriptions, fb),  # type: ignore[misc]
                lambda answer: parse_entities(answer, text, self.labels, source_field=self.input_field,
                                              max_entity_words=self.max_entity_words))
            usage = usage + call_usage
            if isinstance(outcome, StageFailure):
                return outcome, usage
            found.extend(outcome.entities)
        return Entities(entities=resolve_overlaps(found), source_field=self.input_field), usage


class KeyPointsStage(StructuredLlmStage[Summary]):
    """``summarize.keypoints``: a short summary plus bullet key points, from one JSON answer.

    The model answers ``{"summary": str, "key_points": [str]}``; the stored :class:`Summary` (method
    ``llm``) is the summary followed by one ``- point`` line per key point. Options: ``max_points``
    (default 5), ``min_grounding`` (share of content words that must occur in the text, default 0.3),
    ``max_attempts``, ``decoding``, ``max_tokens``, ``chunk_tokens`` (longer texts are condensed first).
    """

    name: ClassVar[str] = "summarize.keypoints"
    version: ClassVar[str] = "1"
    output_type: ClassVar[type[StageOutput]] = Summary
    default_output: ClassVar[str] = "keypoints"
    answer_tokens: ClassVar[int] = 256
    prompt: ClassVar[VersionedPrompt] = KEYPOINTS
    Options: ClassVar[type[StageOptions]] = KeyPointsOptions
    options: KeyPointsOptions

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=output, **options)
        self.max_points = self.options.max_points
        self.min_grounding = self.options.min_grounding

    def answer_schema(self) -> type[BaseModel]:
        return keypoints_answer_model(self.max_points)

    def answer_for(self, text: str) -> tuple[Summary | StageFailure, Usage]:
        chunks = len(chunk_text(text, self.chunk_tokens))
        fitted = self.fit(text)
        outcome, usage = self.attempts(
            lambda fb: keypoints_messages(fitted, self.max_points, fb),
            lambda answer: parse_keypoints(answer, text, max_points=self.max_points,
                                           min_grounding=self.min_grounding))
        if isinstance(outcome, Summary):
            outcome = outcome.model_copy(update={"llm_calls": usage.llm_calls, "chunks": chunks})
        return outcome, usage
