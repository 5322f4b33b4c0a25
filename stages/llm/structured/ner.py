"""``ner.llm``: the model lists entity texts and labels; the parser finds them in the text for offsets."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from tandem.stages.contracts import Entities, Entity, StageFailure, TextLike, Usage
from tandem.stages.llm.chunking import chunk_text
from tandem.stages.llm.prompts import NER_LLM, VersionedPrompt
from tandem.stages.llm.structured.messages import ner_messages
from tandem.stages.llm.structured.parsing import parse_entities, resolve_overlaps
from tandem.stages.llm.structured.schemas import entities_answer_model
from tandem.stages.llm.structured.stage import LabelOptions, StructuredLlmStage


class NerLlmOptions(LabelOptions):
    labels: list[str] = Field(default_factory=lambda: ["PERSON", "ORG", "GPE", "DATE"],
                              description="entity types to extract (distinct, non-empty)")
    max_entity_words: int = Field(8, ge=1, description="longer \"entities\" are dropped")
    max_chunks: int = Field(16, ge=1, description="texts needing more chunks fail with too_large")


class LlmNerStage(StructuredLlmStage[Entities], name="ner.llm", version="1", reads={"clean": TextLike},
                  writes="llm_entities", options=NerLlmOptions):
    """``ner.llm``: the model lists entity texts and labels; we find them in the text for offsets.

    Options: ``labels`` (default PERSON, ORG, GPE, DATE), ``descriptions``, ``max_entity_words`` (longer
    "entities" are dropped), ``max_chunks`` (texts needing more chunks fail with ``too_large``),
    ``max_attempts``, ``decoding``, ``max_tokens``, ``chunk_tokens``. Each chunk is asked separately;
    mentions are located in the whole text. Writes :class:`Entities`.
    """

    answer_tokens: ClassVar[int] = 256
    prompt: ClassVar[VersionedPrompt] = NER_LLM
    options: NerLlmOptions

    def answer_schema(self) -> type[BaseModel]:
        return entities_answer_model(self.options.labels)

    def answer_for(self, text: str) -> tuple[Entities | StageFailure, Usage]:
        opts = self.options
        chunks = chunk_text(text, opts.chunk_tokens)
        if len(chunks) > opts.max_chunks:
            return self.failure("too_large", f"the text needs {len(chunks)} chunks of {opts.chunk_tokens} tokens; "
                                f"max_chunks={opts.max_chunks}"), Usage()
        usage = Usage()
        found: list[Entity] = []
        for chunk in chunks:
            # mentions are asked per chunk and located in the whole text (offsets refer to the input field)
            outcome, call_usage = self.attempts(
                lambda fb, chunk=chunk: ner_messages(chunk, opts.labels, opts.descriptions, fb),  # type: ignore[misc]
                lambda answer: parse_entities(answer, text, opts.labels, source_field=self.input_field,
                                              max_entity_words=opts.max_entity_words))
            usage = usage + call_usage
            if isinstance(outcome, StageFailure):
                return outcome, usage
            found.extend(outcome.entities)
        return Entities(entities=resolve_overlaps(found), source_field=self.input_field), usage
