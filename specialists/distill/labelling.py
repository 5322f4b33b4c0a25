"""The teacher's labels and the self-consistency filter.

The teacher is the structured LLM stage of the task (``classify.llm`` with ``labels``, ``ner.llm`` with the
entity types as ``labels``) built through :func:`tandem.stages.registry.create` on any ``--llm`` spec: the very code a
pipeline runs. :func:`label_texts` asks it about every text ``samples`` times (one ``Stage.run`` per sample
over the whole batch); with ``samples > 1`` the stage samples at a non-zero ``temperature`` (default
:data:`DEFAULT_TEMPERATURE`), so the answers can differ.

**The agreement rule** (:func:`agree`, pure). Each answer becomes a key (:func:`answer_key`): the label for
classify; for ner the *set* of ``(start, end, label)`` entities (order-free; the empty set is an answer too:
"no entity here"). An invalid answer (a :class:`StageFailure`: no valid answer within the stage's
``max_attempts``, or an LLM error) has no key. The winning key is the most frequent valid one (ties: the
first seen); its share is its count over *all* ``samples`` answers, invalid ones included, so they count
against agreement. A text is

* ``kept`` when that share is at least ``min_agreement``,
* ``dropped`` when it has valid answers that agree less than that,
* ``invalid`` when none of its answers is valid.

With one sample, a valid answer is kept (share 1.0) and an invalid one is counted as invalid.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from tandem.stages.contracts import (
    Classification,
    DocState,
    Document,
    Entities,
    Entity,
    StageFailure,
    StageOutput,
    Usage,
)
from tandem.stages.llm.structured import StructuredLlmStage

DistillTask = Literal["classify", "ner"]
Status = Literal["kept", "dropped", "invalid"]

#: the sampling temperature when ``samples > 1`` and none is given
DEFAULT_TEMPERATURE = 0.7
#: the entity types ``tandem distill ner`` asks for by default (CoNLL-2003's)
DEFAULT_NER_LABELS = ["PER", "ORG", "LOC", "MISC"]
#: hints shown to the teacher for the CoNLL types (``ner.llm`` knows the OntoNotes ones)
NER_DESCRIPTIONS = {"PER": "names of people", "ORG": "companies, agencies, institutions, teams, parties",
                    "LOC": "countries, cities, regions and other places",
                    "MISC": "nationalities, languages, events, products and other names"}
TEACHER_STAGES: dict[str, str] = {"classify": "classify.llm", "ner": "ner.llm"}


class TeacherConfig(BaseModel):
    """Which teacher answers, and how: JSON-safe (a Prefect parameter; an ``--llm`` spec carries no key)."""

    task: DistillTask
    llm: str | None = Field(default=None, description="the --llm spec (None: $TANDEM_LLM or embedded)")
    labels: list[str] = Field(min_length=1, description="classify: the label set; ner: the entity types")
    samples: int = Field(default=1, ge=1, description="answers per text")
    temperature: float | None = Field(default=None, ge=0.0, le=2.0,
                                      description=f"sampling temperature (None: {DEFAULT_TEMPERATURE} when "
                                                  "samples > 1, else the backend's own, greedy)")
    max_attempts: int = Field(default=3, ge=1, description="calls per answer until it passes the stage's parser")

    @property
    def sampling_temperature(self) -> float | None:
        if self.temperature is not None:
            return self.temperature
        return DEFAULT_TEMPERATURE if self.samples > 1 else None

    @property
    def stage_name(self) -> str:
        return TEACHER_STAGES[self.task]

    def stage_options(self, *, greedy: bool = False) -> dict[str, Any]:
        """Options of the teacher stage; ``greedy``: the stage as a pipeline would run it (one answer,
        the backend's own temperature), used to measure the teacher on gold data."""
        options: dict[str, Any] = {"labels": list(self.labels), "llm": self.llm, "max_attempts": self.max_attempts,
                                   "input": "text"}
        if self.task == "ner":
            options["descriptions"] = {k: v for k, v in NER_DESCRIPTIONS.items() if k in self.labels}
        if not greedy and self.sampling_temperature is not None:
            options["temperature"] = self.sampling_temperature
        return options


_teachers: dict[tuple[str, bool], StructuredLlmStage[Any]] = {}
_teachers_lock = threading.Lock()


def teacher_stage(config: TeacherConfig, *, greedy: bool = False) -> StructuredLlmStage[Any]:
    """The teacher stage for ``config``, built once per process (its chat model loads on first use).
    Tests replace its model with a scripted one: ``teacher_stage(config)._model = fake``."""
    from tandem.stages.registry import create

    key = (config.model_dump_json(), greedy)
    with _teachers_lock:
        if key not in _teachers:
            stage = create(config.stage_name, **config.stage_options(greedy=greedy))
            if not isinstance(stage, StructuredLlmStage):
                raise TypeError(f"{config.stage_name} is not a structured LLM stage")
            _teachers[key] = stage
        return _teachers[key]


class TeacherAnswers(BaseModel):
    """The teacher's ``samples`` answers about one text (each an output or the failure that replaced it)."""

    text: str
    answers: list[Classification | Entities | StageFailure]
    usage: Usage = Field(default_factory=Usage)


class Example(BaseModel):
    """One training example: a text with its agreed label (classify) or entities (ner)."""

    text: str
    label: str | None = None
    entities: list[Entity] = Field(default_factory=list)
    agreement: float = 1.0
    synthetic: bool = False


class Filtered(BaseModel):
    """What survives the agreement filter, and what did not."""

    examples: list[Example] = Field(default_factory=list)
    kept: int = 0
    dropped: int = 0
    invalid: int = 0
    #: answers (of all samples) that were failures, and their kinds
    invalid_answers: int = 0
    failure_kinds: dict[str, int] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)


def answer_key(answer: StageOutput | StageFailure) -> Hashable | None:
    """What two answers must share to agree: the label; the set of entities; None for a failure."""
    if isinstance(answer, Classification):
        return answer.label
    if isinstance(answer, Entities):
        return frozenset((e.start, e.end, e.label) for e in answer.entities)
    return None


def agree(keys: Sequence[Hashable | None], min_agreement: float) -> tuple[Status, Hashable | None, float]:
    """``(status, winning key, its share of all answers)`` under the rule in the module docstring."""
    valid = [key for key in keys if key is not None]
    if not valid:
        return "invalid", None, 0.0
    winner, count = Counter(valid).most_common(1)[0]  # ties: the first seen (Counter keeps insertion order)
    share = count / len(keys)
    return ("kept" if share >= min_agreement - 1e-9 else "dropped"), winner, round(share, 4)


def label_texts(stage: StructuredLlmStage[Any], texts: Sequence[str], samples: int) -> list[TeacherAnswers]:
    """Every text answered ``samples`` times by ``stage`` (one ``run`` per sample over all ``texts``)."""
    states = [DocState(document=Document.from_text(text, source=f"unlabeled:{i}")) for i, text in enumerate(texts)]
    answers: list[list[Classification | Entities | StageFailure]] = [[] for _ in states]
    usage = [Usage() for _ in states]
    stage.load()
    for _ in range(samples):
        result = stage.run(states)
        for i, state in enumerate(states):
            outcome = result.successes[state.key] if state.key in result.successes else result.failures.get(state.key)
            if not isinstance(outcome, Classification | Entities | StageFailure):
                outcome = StageFailure(stage=stage.stage_id, kind="model_error", message="the teacher returned nothing")
            answers[i].append(outcome)
            usage[i] = usage[i] + result.usage.get(state.key, Usage())
    return [TeacherAnswers(text=text, answers=a, usage=u) for text, a, u in zip(texts, answers, usage)]


def filter_answers(labelled: Sequence[TeacherAnswers], min_agreement: float) -> Filtered:
    """Apply :func:`agree` to each text; the kept ones become :class:`Example` objects."""
    out = Filtered()
    kinds: Counter[str] = Counter()
    for item in labelled:
        failures = [a for a in item.answers if isinstance(a, StageFailure)]
        kinds.update(f.kind for f in failures)
        out.invalid_answers += len(failures)
        out.usage = out.usage + item.usage
        status, winner, share = agree([answer_key(a) for a in item.answers], min_agreement)
        if status == "kept":
            first = next(a for a in item.answers if answer_key(a) == winner)
            out.examples.append(example_of(item.text, first, share))
        setattr(out, status, getattr(out, status) + 1)
    out.failure_kinds = dict(sorted(kinds.items()))
    return out


def example_of(text: str, answer: StageOutput | StageFailure, agreement: float, synthetic: bool = False) -> Example:
    if isinstance(answer, Classification):
        return Example(text=text, label=answer.label, agreement=agreement, synthetic=synthetic)
    if isinstance(answer, Entities):
        return Example(text=text, entities=sorted(answer.entities, key=lambda e: (e.start, e.end)),
                       agreement=agreement, synthetic=synthetic)
    raise ValueError(f"no example from a {type(answer).__name__}")
