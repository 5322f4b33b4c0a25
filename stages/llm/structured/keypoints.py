"""``summarize.keypoints``: a short summary plus bullet key points, from one JSON answer."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from tandem.stages.contracts import StageFailure, Summary, TextLike, Usage
from tandem.stages.llm.chunking import chunk_text
from tandem.stages.llm.prompts import KEYPOINTS, VersionedPrompt
from tandem.stages.llm.structured.messages import keypoints_messages
from tandem.stages.llm.structured.parsing import parse_keypoints
from tandem.stages.llm.structured.schemas import keypoints_answer_model
from tandem.stages.llm.structured.stage import StructuredLlmStage, StructuredOptions


class KeyPointsOptions(StructuredOptions):
    max_points: int = Field(5, ge=1, description="at most this many key points")
    min_grounding: float = Field(0.3, ge=0.0, le=1.0,
                                 description="share of the answer's content words that must occur in the text")


class KeyPointsStage(StructuredLlmStage[Summary], name="summarize.keypoints", version="1", reads={"clean": TextLike},
                     writes="keypoints", options=KeyPointsOptions):
    """``summarize.keypoints``: a short summary plus bullet key points, from one JSON answer.

    The model answers ``{"summary": str, "key_points": [str]}``; the stored :class:`Summary` (method
    ``llm``) is the summary followed by one ``- point`` line per key point. Options: ``max_points``
    (default 5), ``min_grounding`` (share of content words that must occur in the text, default 0.3),
    ``max_attempts``, ``decoding``, ``max_tokens``, ``chunk_tokens`` (longer texts are condensed first).
    """

    answer_tokens: ClassVar[int] = 256
    prompt: ClassVar[VersionedPrompt] = KEYPOINTS
    options: KeyPointsOptions

    def answer_schema(self) -> type[BaseModel]:
        return keypoints_answer_model(self.options.max_points)

    def answer_for(self, text: str) -> tuple[Summary | StageFailure, Usage]:
        opts = self.options
        chunks = len(chunk_text(text, opts.chunk_tokens))
        fitted = self.fit(text)
        outcome, usage = self.attempts(
            lambda fb: keypoints_messages(fitted, opts.max_points, fb),
            lambda answer: parse_keypoints(answer, text, max_points=opts.max_points,
                                           min_grounding=opts.min_grounding))
        if isinstance(outcome, Summary):
            outcome = outcome.model_copy(update={"llm_calls": usage.llm_calls, "chunks": chunks})
        return outcome, usage
