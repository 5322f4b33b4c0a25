"""The JSON answers of the structured stages.

Loose models check only the shape of an answer (the parsers validate against them); the strict models built
by the ``*_answer_model`` functions add what a grammar can enforce (label enums, list lengths) and are the
schemas handed to the backend for constrained decoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model


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


def _one_of(labels: Sequence[str]) -> Any:
    """The field of a label that must be one of ``labels`` (an enum in the JSON schema)."""
    label_type: Any = Literal[tuple(labels)]
    return (label_type, Field(description="one of: " + ", ".join(labels)))


def label_answer_model(labels: Sequence[str]) -> type[BaseModel]:
    """``{"label": one of labels}``."""
    return create_model("TextLabel", __doc__="The one label that fits the text best.", label=_one_of(labels))


def entities_answer_model(labels: Sequence[str]) -> type[BaseModel]:
    """``{"entities": [{"text": str, "label": one of labels}]}``."""
    mention = create_model("NamedEntity", __doc__="One entity, copied exactly as written in the text.",
                           text=(str, Field(description="the entity exactly as written in the text")),
                           label=_one_of(labels))
    return create_model("NamedEntities", __doc__="The named entities found in the text.",
                        entities=(list[mention], Field(description="every entity in the text")))  # type: ignore[valid-type]


def keypoints_answer_model(max_points: int) -> type[BaseModel]:
    """``{"summary": str, "key_points": [str, ... at most max_points]}``."""
    return create_model("SummaryWithKeyPoints", __doc__="A short summary of the text and its key points.",
                        summary=(str, Field(description="one or two sentences")),
                        key_points=(list[str], Field(max_length=max_points, description="short phrases")))
