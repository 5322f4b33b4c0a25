"""Prompt building of the structured stages: pure functions from text (and options) to chat messages.

Each builder fills a versioned template of :mod:`tandem.stages.llm.prompts`; ``feedback`` (after an invalid
answer: the model's previous answer and why it was rejected, :func:`feedback_messages`) follows the text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from langchain_core.messages import AIMessage, BaseMessage

from tandem.stages.llm.prompts import CLASSIFY_LLM, KEYPOINTS, NER_LLM, RETRY_FEEDBACK

NER_LABEL_HELP = {
    "PERSON": "names of people",
    "ORG": "companies, agencies, institutions, teams",
    "GPE": "countries, cities, states",
    "LOC": "other places: regions, mountains, rivers",
    "DATE": "dates and periods",
    "MONEY": "amounts of money",
}


def describe_labels(labels: Sequence[str], descriptions: Mapping[str, str]) -> str:
    """One ``- label: hint`` line per label (the hint only where ``descriptions`` has one)."""
    return "\n".join(f"- {label}" + (f": {descriptions[label]}" if label in descriptions else "")
                     for label in labels)


def feedback_messages(raw_answer: str, error: str) -> list[BaseMessage]:
    """What the model sees before trying again: its previous answer and why it was rejected."""
    return [AIMessage(content=raw_answer or "(empty answer)"),
            *RETRY_FEEDBACK.template.format_messages(error=error)]


def classify_messages(text: str, labels: Sequence[str], descriptions: Mapping[str, str] | None = None,
                      feedback: Sequence[BaseMessage] = ()) -> list[BaseMessage]:
    return CLASSIFY_LLM.template.format_messages(
        text=text, labels=", ".join(labels), label_help=describe_labels(labels, descriptions or {}),
        feedback=list(feedback))


def ner_messages(text: str, labels: Sequence[str], descriptions: Mapping[str, str] | None = None,
                 feedback: Sequence[BaseMessage] = ()) -> list[BaseMessage]:
    return NER_LLM.template.format_messages(
        text=text, labels=", ".join(labels),
        label_help=describe_labels(labels, {**NER_LABEL_HELP, **(descriptions or {})}), feedback=list(feedback))


def keypoints_messages(text: str, max_points: int, feedback: Sequence[BaseMessage] = ()) -> list[BaseMessage]:
    return KEYPOINTS.template.format_messages(text=text, max_points=max_points, feedback=list(feedback))
