"""Synthetic examples: the teacher writes new texts per label, we keep the distinct ones it labels back.

``tandem distill classify --synthesize N`` asks the teacher for ``N`` new texts per label from the label
names and ``--task-description`` (:data:`SYNTHESIZE`, one call per text, each with its own style hint and
a sampling temperature so the answers differ). A candidate is

* cleaned (:func:`clean_example`: a chatty preface, wrapping quotes, a ``Text:`` tag go; only the first
  paragraph stays) or rejected as unusable (empty, a bare label name);
* deduplicated (:func:`dedupe`): exact *and* normalised text (:func:`normalise`: case, accents, punctuation
  and spacing ignored), against the unlabeled texts and everything written before;
* then labelled by the teacher like any unlabeled text (same samples, same agreement filter) and kept only
  when the agreed label is the one it was written for (:func:`keep_intended`).

At most ``max_calls_per_example × N`` calls are made per label, so a teacher that repeats itself ends.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel, Field

from tandem.specialists.distill.labelling import Example
from tandem.stages.contracts import Usage
from tandem.stages.llm.prompts import VersionedPrompt, strip_preface
from tandem.stages.llm.structured import StructuredLlmStage

#: the temperature synthetic examples are written at when the teacher has none of its own
SYNTHESIS_TEMPERATURE = 0.9
STYLES = ("short", "casual", "formal", "detailed", "with a number or a name in it", "phrased as a question",
          "urgent", "friendly")

SYNTHESIZE = VersionedPrompt("distill-synthesize", "1", ChatPromptTemplate.from_messages([
    ("system", "You write realistic example texts for training a text classifier. {task}The labels are: "
               "{labels}. Reply with the example text only: no label, no explanation, no quotes."),
    ("human", "Write one new, realistic, {style} text whose correct label is \"{label}\". (Example {number}.)"),
]))

#: (label, number of this attempt for the label) → the teacher's raw answer
Writer = Callable[[str, int], str]

_TAG = re.compile(r"^\s*(?:example|text|message|sms|email)\s*\d*\s*[:.\-–]\s*", re.IGNORECASE)


class Synthesized(BaseModel):
    """The distinct candidates per label, and how many answers were duplicates or unusable."""

    candidates: dict[str, list[str]] = Field(default_factory=dict)
    calls: int = 0
    duplicates: int = 0
    unusable: int = 0

    @property
    def written(self) -> int:
        return sum(len(texts) for texts in self.candidates.values())


def normalise(text: str) -> str:
    """The form duplicates are found by: NFKD without accents, case-folded, punctuation dropped,
    whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split())


def clean_example(raw: str, labels: Iterable[str] = ()) -> str | None:
    """The example text in a raw answer, or None when there is none (empty, or just a label name)."""
    text = strip_preface(raw)
    text = _TAG.sub("", text, count=1).strip()
    text = re.split(r"\n\s*\n", text, maxsplit=1)[0].strip()
    text = strip_preface(text)
    if len(re.findall(r"\w", text)) < 3:
        return None
    if normalise(text) in {normalise(label) for label in labels}:
        return None
    return text


def dedupe(candidates: Iterable[str], seen: set[str]) -> tuple[list[str], int]:
    """``(new texts, duplicates)``: the candidates whose normalised form is not in ``seen`` (which grows)."""
    fresh: list[str] = []
    duplicates = 0
    for text in candidates:
        key = normalise(text)
        if not key or key in seen:
            duplicates += 1
            continue
        seen.add(key)
        fresh.append(text)
    return fresh, duplicates


def synthesize(write: Writer, labels: Sequence[str], per_label: int, *, existing: Iterable[str] = (),
               max_calls_per_example: int = 3) -> Synthesized:
    """Up to ``per_label`` distinct new texts per label from ``write`` (see the module docstring)."""
    seen = {normalise(text) for text in existing}
    out = Synthesized()
    for label in labels:
        texts: list[str] = []
        attempt = 0
        while len(texts) < per_label and attempt < per_label * max_calls_per_example:
            raw = write(label, attempt)
            attempt += 1
            cleaned = clean_example(raw, labels)
            if cleaned is None:
                out.unusable += 1
                continue
            fresh, duplicates = dedupe([cleaned], seen)
            texts += fresh
            out.duplicates += duplicates
        out.calls += attempt
        out.candidates[label] = texts
    return out


def keep_intended(candidates: Mapping[str, Sequence[str]], agreed: Sequence[Example]) -> list[Example]:
    """The teacher-agreed examples whose label is the one their text was written for (marked synthetic)."""
    intended = {text: label for label, texts in candidates.items() for text in texts}
    return [example.model_copy(update={"synthetic": True}) for example in agreed
            if example.label is not None and intended.get(example.text) == example.label]


def prompt_variables(label: str, number: int, labels: Sequence[str], description: str | None) -> dict[str, str]:
    """The variables of :data:`SYNTHESIZE` for the ``number``-th attempt at ``label``."""
    task = f"The task: {description.strip()} " if description and description.strip() else ""
    return {"task": task, "labels": ", ".join(labels), "label": label, "number": str(number + 1),
            "style": STYLES[number % len(STYLES)]}


class TeacherWriter:
    """A :data:`Writer` backed by the teacher's chat model (one :func:`~tandem.stages.llm.calls.call_llm` per text);
    ``usage`` sums what the calls cost."""

    def __init__(self, stage: StructuredLlmStage[Any], labels: Sequence[str], description: str | None,
                 temperature: float | None = None, max_tokens: int = 96) -> None:
        self.stage = stage
        self.labels = list(labels)
        self.description = description
        self.temperature = SYNTHESIS_TEMPERATURE if temperature is None else temperature
        self.max_tokens = max_tokens
        self.usage = Usage()

    def __call__(self, label: str, number: int) -> str:
        from tandem.stages.llm.calls import call_llm

        answer = call_llm(self.stage.model, SYNTHESIZE, prompt_variables(label, number, self.labels, self.description),
                          backend=self.stage.backend, max_tokens=self.max_tokens, temperature=self.temperature)
        self.usage = self.usage + answer.usage
        return answer.text
