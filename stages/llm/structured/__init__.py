"""Structured-output LLM stages: ``classify.llm``, ``ner.llm`` and ``summarize.keypoints``.

Each stage asks the model for a small JSON object and never stores one that fails its contract.
In the spirit of spacy-llm, every task is two pure functions, tested on their own:

* a prompt builder (:mod:`.messages`: ``classify_messages``, ``ner_messages``, ``keypoints_messages``):
  text → messages;
* a parser (:mod:`.parsing`: ``parse_classification``, ``parse_entities``, ``parse_keypoints``): the model's
  answer (JSON text, or the arguments of a tool call) → the stage's output, or :class:`InvalidAnswer` saying
  why not. Parsers check the *content*, not only the shape: a label outside ``labels``, an entity that does
  not occur in the text, an empty or invented summary are all invalid.

The modules: :mod:`.schemas` (answer shapes, strict schemas for constrained decoding), :mod:`.messages`,
:mod:`.parsing`, :mod:`.decoding` (how the answer is constrained per backend: option ``decoding``, default
``auto``), :mod:`.stage` (options and the base stage with the retry loop) and one module per task
(:mod:`.classify`, :mod:`.ner`, :mod:`.keypoints`).

Whatever the decoding, an answer that fails the parser is retried (the model sees its previous answer
and the reason it was rejected) up to ``max_attempts`` calls in all; then the document fails with
``kind="invalid_answer"`` and the last raw answer kept. Token usage is the sum over all attempts.
Transient connection errors are retried separately (bounded, with backoff:
:func:`tandem.stages.llm.calls.invoke_with_retries`) and, when they persist, become ``llm_unreachable`` failures
(see :class:`~tandem.stages.llm.base.LlmStage`).
"""

from tandem.stages.llm.structured.classify import ClassifyLlmOptions, LlmClassifyStage
from tandem.stages.llm.structured.decoding import AUTO_DECODING, DECODINGS
from tandem.stages.llm.structured.keypoints import KeyPointsOptions, KeyPointsStage
from tandem.stages.llm.structured.messages import (
    classify_messages,
    feedback_messages,
    keypoints_messages,
    ner_messages,
)
from tandem.stages.llm.structured.ner import LlmNerStage, NerLlmOptions
from tandem.stages.llm.structured.parsing import (
    InvalidAnswer,
    grounding,
    load_answer,
    parse_classification,
    parse_entities,
    parse_keypoints,
    resolve_overlaps,
)
from tandem.stages.llm.structured.schemas import (
    entities_answer_model,
    keypoints_answer_model,
    label_answer_model,
)
from tandem.stages.llm.structured.stage import LabelOptions, StructuredLlmStage, StructuredOptions

__all__ = [
    "AUTO_DECODING", "DECODINGS", "ClassifyLlmOptions", "InvalidAnswer", "KeyPointsOptions", "KeyPointsStage",
    "LabelOptions", "LlmClassifyStage", "LlmNerStage", "NerLlmOptions", "StructuredLlmStage", "StructuredOptions",
    "classify_messages", "entities_answer_model", "feedback_messages", "grounding", "keypoints_answer_model",
    "keypoints_messages", "label_answer_model", "load_answer", "ner_messages", "parse_classification",
    "parse_entities", "parse_keypoints", "resolve_overlaps",
]
