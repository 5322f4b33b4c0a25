"""Typed contracts shared by every stage.

A pipeline passes a :class:`DocState` along a chain of stages. The raw document provides the
field ``text`` (:class:`RawText`); each stage reads named fields and writes exactly one.
Every output is a pydantic model so it can be validated, stored as JSON and reloaded.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class StageOutput(BaseModel):
    """Base class of everything a stage can write."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TextLike(StageOutput):
    """Any output that carries a plain text a later stage can read."""

    text: str


class RawText(TextLike):
    """The document's text as read from its source (the field ``text``)."""


class PageText(BaseModel):
    """Where one page sits in a document's text (``text[start:end]``; pages are separated by a form feed)."""

    model_config = ConfigDict(frozen=True)

    page: int = Field(ge=1)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    ocr: bool = Field(False, description="OCR output: read by OCR (no text layer), or a text layer that is a scan's "
                      "OCR (a searchable scan), rather than a born-digital text layer")
    confidence: float | None = Field(None, ge=0.0, le=1.0, description="OCR's mean word confidence on the page")


class OcrText(RawText):
    """A document's text with every page readable: the text layer where there is one, OCR elsewhere
    (``ocr.tesseract``). Pages are separated by a form feed (``\\f``), as in the raw text."""

    pages: list[PageText] = Field(default_factory=list)
    engine: str = ""


class CleanText(TextLike):
    """Text after cleanup. ``kept_input`` is true when the text came back exactly as it went in: the document
    was left alone (estimated OCR noise under the floor) or no correction won; ``reason`` says which.
    ``path`` says which cleanup the text got (None in results stored before it existed)."""

    kept_input: bool = False
    reason: str | None = None
    path: Literal["ocr", "born_digital", "mixed"] | None = Field(
        default=None, description="'ocr': the OCR corrector (the text was read or declared as OCR output); "
        "'born_digital': only fixes that never change a word (line endings, Unicode NFC, control characters, "
        "trailing spaces); 'mixed': the corrector on the pages OCR read, safe fixes elsewhere")
    kept_ratio: float | None = Field(default=None, description="share of input words found in the output")
    added_ratio: float | None = Field(default=None, description="share of output words not in the input")
    chunks: int = 1


class Summary(TextLike):
    """An abstractive (LLM) or extractive summary."""

    method: Literal["llm", "map_reduce", "extractive", "passthrough"] = "llm"
    chunks: int = 1
    llm_calls: int = 0


class Entity(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0, description="character offset in the text the stage read")
    end: int = Field(ge=0)
    label: str
    text: str
    #: left out of the stored JSON when None, so outputs without scores are stored exactly as before
    score: float | None = Field(default=None, ge=0.0, le=1.0, exclude_if=lambda value: value is None,
                                description="the model's confidence in this entity, when it gives one "
                                "(ner.spacy with entity_scores: the beam-search probability)")
    #: the page (from 1) of a paged document (PDF, scan): pages are separated by form feeds in the text read
    page: int | None = Field(default=None, ge=1, exclude_if=lambda value: value is None)


class Entities(StageOutput):
    entities: list[Entity] = Field(default_factory=list)
    source_field: str = "clean"


class Classification(StageOutput):
    label: str
    score: float = Field(ge=0.0, le=1.0)
    scores: dict[str, float] = Field(default_factory=dict)


#: which side of a confidence cascade (stage ``cascade``) produced an output
Route = Literal["specialist", "llm"]


class RoutedClassification(Classification):
    """A cascade's label: ``route`` names who answered, ``specialist_confidence`` is the specialist's score.

    ``llm_error`` is set when the document was sent to the LLM and the LLM failed: the specialist's answer
    is kept (``route="specialist"``). Stored like any :class:`Classification` (a ``labels`` row).
    """

    route: Route
    specialist_confidence: float = Field(ge=0.0, le=1.0)
    llm_error: str | None = None
    #: the flywheel's provenance: the specialist's artifact (its task), its own label, and who answered when the
    #: LLM did (``llm:<model id>@<prompt version>``); a routed LLM answer is stored as a training label
    task: str | None = None
    specialist_label: str | None = None
    answered_by: str | None = None


class RoutedEntities(Entities):
    """A cascade's entities; ``route``, ``specialist_confidence`` and ``llm_error`` as in
    :class:`RoutedClassification`. Stored like any :class:`Entities` (``entities`` rows)."""

    route: Route
    specialist_confidence: float = Field(ge=0.0, le=1.0)
    llm_error: str | None = None


class Embedding(StageOutput):
    """A text's vector: ``model`` (the encoder's id, e.g. ``sentence-transformers/all-MiniLM-L6-v2+int8``),
    ``dim`` and the L2-normalised float32 ``vector``. The vector is not part of the JSON dump (the generic
    ``output`` column keeps model and dimension only): it is stored compactly, as float32 bytes, in the
    ``embeddings`` table (:mod:`tandem.storage.vectors`); an output reloaded from JSON has an empty vector."""

    model: str
    dim: int = Field(ge=1)
    vector: tuple[float, ...] = Field(default=(), exclude=True, repr=False)
    source_field: str = "text"


FailureKind = Literal[
    "empty", "binary", "encoding", "too_large", "unreadable",
    "llm_error", "llm_unreachable", "invalid_answer", "model_error", "upstream_failed",
]


class StageFailure(BaseModel):
    """Why one document failed one stage. Never raised: returned in place of an output."""

    model_config = ConfigDict(frozen=True)

    stage: str
    kind: FailureKind
    message: str
    raw_answer: str | None = None

    @field_validator("message", "raw_answer")
    @classmethod
    def _no_secrets(cls, value: str | None) -> str | None:
        """An LLM server's error may quote the key it refused: secrets never reach a stored failure."""
        from tandem.stages.secrets import redact_secrets

        return redact_secrets(value) if value else value


class Usage(BaseModel):
    """Accounting for one document in one stage (LLM token counts are zero for stages without an LLM)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_calls: int = 0
    latency_ms: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            llm_calls=self.llm_calls + other.llm_calls,
            latency_ms=self.latency_ms + other.latency_ms,
        )


class Document(BaseModel):
    """A registered input document. ``content_hash`` is the sha256 of its raw bytes."""

    model_config = ConfigDict(frozen=True)

    content_hash: str
    source: str
    text: str
    external_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @staticmethod
    def hash_bytes(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    @classmethod
    def from_text(cls, text: str, source: str, external_id: str | None = None,
                  metadata: dict[str, Any] | None = None) -> Document:
        return cls(content_hash=cls.hash_bytes(text.encode("utf-8")), source=source, text=text,
                   external_id=external_id, metadata=metadata or {})


class DocState(BaseModel):
    """A document plus the outputs of the stages before the current one."""

    document: Document
    fields: dict[str, StageOutput] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.document.content_hash

    def get(self, name: str) -> StageOutput:
        if name == "text":
            return RawText(text=self.document.text)
        return self.fields[name]

    def text_of(self, name: str) -> str:
        value = self.get(name)
        if not isinstance(value, TextLike):
            raise TypeError(f"field {name!r} is {type(value).__name__}, not text")
        return value.text


#: Output types by their class name, so stored JSON can be turned back into models.
OUTPUT_TYPES: dict[str, type[StageOutput]] = {
    cls.__name__: cls for cls in (RawText, OcrText, CleanText, Summary, Entities, Classification, RoutedEntities,
                                  RoutedClassification, Embedding)
}
