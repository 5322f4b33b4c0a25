"""Versioned langchain-core prompts. Bump ``version`` whenever the wording changes: it is part of
every stored result's key, so changed prompts recompute exactly the results they affect."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.prompts import ChatPromptTemplate


@dataclass(frozen=True)
class VersionedPrompt:
    name: str
    version: str
    template: ChatPromptTemplate

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"


CLEANUP = VersionedPrompt("cleanup", "1", ChatPromptTemplate.from_messages([
    ("system", "You are a careful copy editor. Correct spelling mistakes, OCR errors and broken "
               "punctuation in the user's text. Keep every sentence, the same words and the same "
               "order. Do not summarize, explain or add anything. Reply with the corrected text only."),
    ("human", "{text}"),
]))

SUMMARIZE = VersionedPrompt("summarize", "1", ChatPromptTemplate.from_messages([
    ("system", "You write short, factual summaries. Summarize the user's text in at most {max_sentences} "
               "sentences. Use only facts from the text. Reply with the summary only."),
    ("human", "{text}"),
]))

SUMMARIZE_REDUCE = VersionedPrompt("summarize-reduce", "1", ChatPromptTemplate.from_messages([
    ("system", "You combine partial summaries of one long document into one short summary of at most "
               "{max_sentences} sentences. Use only facts from the partial summaries. Reply with the "
               "summary only."),
    ("human", "{text}"),
]))

_PREFACES = (
    "here is the corrected text:", "here's the corrected text:", "corrected text:", "here is the summary:",
    "here's the summary:", "summary:", "here is a summary:", "here's a summary:", "the corrected text is:",
)


def strip_preface(answer: str) -> str:
    """Remove a chatty preface line ("Here is the corrected text:") and wrapping quotes."""
    text = answer.strip()
    lowered = text.lower()
    for preface in _PREFACES:
        if lowered.startswith(preface):
            text = text[len(preface):].strip()
            break
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        text = text[1:-1].strip()
    return text
