"""Versioned langchain-core prompts. Bump ``version`` whenever the wording changes: it is part of
every stored result's key, so changed prompts recompute exactly the results they affect."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder


@dataclass(frozen=True)
class VersionedPrompt:
    name: str
    version: str
    template: ChatPromptTemplate

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"


def text_prompt(name: str, version: str, system: str, *, feedback: bool = False) -> VersionedPrompt:
    """A system instruction followed by the user's ``{text}``; with ``feedback``, an optional placeholder
    after it for the retry messages of the structured stages."""
    messages: list[tuple[str, str] | MessagesPlaceholder] = [("system", system), ("human", "{text}")]
    if feedback:
        messages.append(MessagesPlaceholder("feedback", optional=True))
    return VersionedPrompt(name, version, ChatPromptTemplate.from_messages(messages))


CLEANUP_CHOICE = text_prompt(
    "cleanup-choice", "1",
    "You correct OCR errors in old printed text. The user shows a passage with one word in [[double brackets]] "
    "and numbered options for it. Reply with the number of the right option only.")

SUMMARIZE = text_prompt(
    "summarize", "1",
    "You write short, factual summaries. Summarize the user's text in at most {max_sentences} sentences. "
    "Use only facts from the text. Reply with the summary only.")

SUMMARIZE_REDUCE = text_prompt(
    "summarize-reduce", "1",
    "You combine partial summaries of one long document into one short summary of at most {max_sentences} "
    "sentences. Use only facts from the partial summaries. Reply with the summary only.")

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


# -- structured-output stages (stages/llm/structured/) --------------------------------------------
# Each template ends with an optional ``feedback`` placeholder: after an invalid answer the stage
# shows the model its previous answer and what was wrong with it (RETRY_FEEDBACK), then asks again.

CLASSIFY_LLM = text_prompt(
    "classify-llm", "1",
    "You are a text classifier. Read the user's text and choose the one label that fits it best. "
    "Labels:\n{label_help}\nAnswer with a JSON object with the field \"label\": one of {labels}.", feedback=True)

NER_LLM = text_prompt(
    "ner-llm", "1",
    "You find named entities in the user's text. Entity types:\n{label_help}\nAnswer with a JSON object with the "
    "field \"entities\": a list of objects, each with \"text\" (the entity copied exactly as it is written in the "
    "text: a name of one to a few words, never a sentence) and \"label\" (one of {labels}). The list is empty "
    "when the text names no entity.", feedback=True)

KEYPOINTS = text_prompt(
    "keypoints", "1",
    "Summarize the user's text in one or two sentences, then list its key facts as short phrases (at most "
    "{max_points}). Use only facts from the text. Answer with a JSON object with the fields \"summary\" (a string) "
    "and \"key_points\" (a list of strings).", feedback=True)

RETRY_FEEDBACK = VersionedPrompt("retry-feedback", "1", ChatPromptTemplate.from_messages([
    ("human", "Your answer was rejected: {error}. Try again with the JSON object described at the start, "
              "based on my text."),
]))
