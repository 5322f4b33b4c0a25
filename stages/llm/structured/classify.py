"""``classify.llm``: zero-shot labelling by an LLM; the answer must be one of ``labels``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from tandem.stages.contracts import Classification, StageFailure, TextLike, Usage
from tandem.stages.llm.prompts import CLASSIFY_LLM, VersionedPrompt
from tandem.stages.llm.structured.messages import classify_messages
from tandem.stages.llm.structured.parsing import parse_classification
from tandem.stages.llm.structured.schemas import label_answer_model
from tandem.stages.llm.structured.stage import LabelOptions, StructuredLlmStage


class ClassifyLlmOptions(LabelOptions):
    pass


class LlmClassifyStage(StructuredLlmStage[Classification], name="classify.llm", version="1", reads={"clean": TextLike},
                       writes="llm_label", options=ClassifyLlmOptions):
    """``classify.llm``: zero-shot labelling; the answer must be one of ``labels``.

    Options: ``labels`` (required), ``descriptions`` (label → hint shown to the model), ``max_attempts``,
    ``decoding``, ``max_tokens``, ``chunk_tokens`` (longer texts are condensed extractively first).
    Writes :class:`Classification` (``score`` is 1.0: a zero-shot label has no calibrated probability).
    """

    answer_tokens: ClassVar[int] = 48
    prompt: ClassVar[VersionedPrompt] = CLASSIFY_LLM
    options: ClassifyLlmOptions

    def answer_schema(self) -> type[BaseModel]:
        return label_answer_model(self.options.labels)

    def answer_for(self, text: str) -> tuple[Classification | StageFailure, Usage]:
        fitted, labels = self.fit(text), self.options.labels
        return self.attempts(lambda fb: classify_messages(fitted, labels, self.options.descriptions, fb),
                             lambda answer: parse_classification(answer, labels))
