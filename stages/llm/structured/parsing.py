"""Response parsing of the structured stages: pure functions from the model's answer to the stage's output.

An answer is JSON text or the arguments of a tool call. :func:`load_answer` checks its shape against a loose
answer model (:mod:`.schemas`); the task parsers (:func:`parse_classification`, :func:`parse_entities`,
:func:`parse_keypoints`) then check the *content*: a label outside ``labels``, an entity that does not occur in
the text, an empty, placeholder or ungrounded summary are all :class:`InvalidAnswer`, whose message says why
(the model is shown it before it tries again).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from langchain_core.utils.json import parse_json_markdown
from pydantic import BaseModel, ValidationError

from tandem.stages.contracts import Classification, Entities, Entity, Summary
from tandem.stages.llm.chunking import words
from tandem.stages.llm.structured.schemas import EntitiesAnswer, KeyPointsAnswer, LabelAnswer

M = TypeVar("M", bound=BaseModel)

#: answers that only repeat a placeholder of the prompt or the schema
_PLACEHOLDERS = {"", "...", "…", "string", "str", "text", "summary", "key point", "label", "none", "n/a", "null"}


class InvalidAnswer(ValueError):
    """The model's answer does not satisfy the stage's contract (the message says why)."""


def _single_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict; a key given twice is refused: which value wins differs between
    parsers, so such an answer could be read one way here and another way by whoever checks it."""
    value: dict[str, Any] = {}
    for key, item in pairs:
        if key in value:
            raise InvalidAnswer(f"the answer gives {key!r} twice")
        value[key] = item
    return value


def _strict_json(text: str) -> Any:
    return json.loads(text, strict=False, object_pairs_hook=_single_keys)


#: the inside of the first *closed* ``` fence (langchain's fence pattern runs to the end of the answer)
_CLOSED_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def json_object(answer: str) -> dict[str, Any]:
    """The JSON object in an answer's text, or InvalidAnswer.

    langchain-core's ``parse_json_markdown`` (what ``JsonOutputParser`` and ``PydanticOutputParser`` parse
    with) reads the bare answer or a ```json fence that runs to the end of it. What it does not do is added:

    * strict parsing: its default parser, ``parse_partial_json``, closes a truncated object, so an answer cut
      off by the token limit would pass; ``json.loads`` is given as the parser instead;
    * a fence followed by more text ("```json {...} ``` Hope that helps {...}"): its fence pattern is greedy
      to the end of the answer, so the inside of the first closed fence is tried next;
    * an unfenced object inside prose ("Sure! Here it is: {...} Hope that helps."): the outermost ``{...}``
      is tried last.

    The first of these readings that is a JSON object wins. An object that gives a key twice is refused, and so
    is JSON that ``json.loads`` will not build (nested too deeply, an integer of thousands of digits).
    """
    text = answer.strip()
    if not text:
        raise InvalidAnswer("the answer is empty, expected a JSON object")
    candidates = [text]
    fenced = _CLOSED_FENCE.search(text)
    if fenced:
        candidates.append(fenced.group(1))
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start:end + 1])
    not_objects: list[str] = []
    unreadable = ""
    for candidate in candidates:
        try:
            value = parse_json_markdown(candidate, parser=_strict_json)
        except InvalidAnswer:
            raise
        except json.JSONDecodeError:
            continue
        except RecursionError:
            unreadable = unreadable or "the answer's JSON is nested too deeply to read"
            continue
        except ValueError as exc:  # e.g. an integer longer than Python converts
            unreadable = unreadable or f"the answer's JSON cannot be read: {str(exc).split(':')[0]}"
            continue
        if isinstance(value, dict):
            return value
        not_objects.append(type(value).__name__)
    if not_objects:
        raise InvalidAnswer(f"the answer is JSON but not an object: {not_objects[0]}")
    raise InvalidAnswer(unreadable or "the answer is not a complete JSON object")


def load_answer(answer: str | Mapping[str, Any], model: type[M]) -> M:
    """Check the shape of an answer, JSON text (see :func:`json_object`) or tool-call arguments."""
    value = dict(answer) if isinstance(answer, Mapping) else json_object(answer)
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise InvalidAnswer(_short_validation_error(exc)) from None


def _short_validation_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"]) or "answer"
        parts.append(f"{where}: {error['msg'].lower()}")
    return "; ".join(parts)


def is_placeholder(value: str) -> bool:
    stripped = value.strip()
    if len(stripped) >= 2 and stripped[0] == "<" and stripped[-1] == ">":  # "<first key fact>"
        return True
    return stripped.strip(".\"'").strip().lower() in _PLACEHOLDERS


# -- classify.llm ---------------------------------------------------------------------------------------
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


# -- ner.llm --------------------------------------------------------------------------------------------
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
        if not surface or is_placeholder(surface):
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


# -- summarize.keypoints --------------------------------------------------------------------------------
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
    if is_placeholder(summary):
        raise InvalidAnswer("'summary' is empty or a placeholder")
    points: list[str] = []
    for point in parsed.key_points:
        cleaned = " ".join(_BULLET.sub("", point).split())
        if cleaned and not is_placeholder(cleaned) and cleaned.lower() not in (p.lower() for p in points):
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
