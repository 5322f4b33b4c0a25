"""What every task adapter of ``tandem compare`` provides: a gold set that names its systems and scores them.

A :class:`GoldSet` holds the gold documents' texts (the raw ``text`` every system reads) and what the
task needs to score an output per document. Its three duties:

* :meth:`GoldSet.specialist` / :meth:`GoldSet.llm` turn a ``--specialist NAME`` or ``--llm SPEC`` into a
  :class:`SystemSpec`: the registry name and options of the very stage the pipeline would run
  (``classify.spam``, ``ner.spacy:conll``, ``classify.llm`` with the gold label set, ...);
* :meth:`GoldSet.relabel` renames a system's output labels to the gold's (a label map, as ``tandem eval``);
* :meth:`GoldSet.score` scores outputs aligned with :attr:`GoldSet.texts` with ``tandem eval``'s metrics
  and keys; a :class:`StageFailure` counts as a wrong (classify) or empty (ner, summarize) prediction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from tandem.specialists.comparison.measure import SystemKind
from tandem.specialists.comparison.report import Task
from tandem.stages.contracts import StageFailure, StageOutput

#: what the cascade and the flow call to score a system's outputs (aligned with the gold texts)
Scorer = Callable[[Sequence[StageOutput | StageFailure]], dict[str, Any]]


class SystemSpec(BaseModel):
    """One system to compare: the stage to build (registry name + options) and how to show it.

    JSON-safe, so it can travel as a Prefect flow/task parameter (an ``--llm`` spec holds a model name and
    maybe a URL, never a key: keys come from the environment).
    """

    name: str = Field(description="shown in tables, charts and JSON (e.g. classify.spam, classify.llm[embedded])")
    kind: SystemKind
    stage: str = Field(description="registry name, e.g. classify.spam, ner.spacy, classify.llm")
    options: dict[str, Any] = Field(default_factory=dict, description="stage options (input is always text)")
    #: model label → gold label; applied to the outputs before scoring (see GoldSet.relabel)
    label_map: dict[str, str] | None = None
    #: where the label map came from, in words (shown in notes)
    label_map_name: str | None = None


class GoldOptions(BaseModel):
    """How to read a gold file (the options of ``tandem eval`` for the same task)."""

    text_col: str = Field(default="text", description="classify: the column holding the text")
    label_col: str = Field(default="label", description="classify: the column holding the gold label")
    source_field: str | None = Field(default=None, description="summarize: the document field (default: text, else source)")
    summary_field: str = Field(default="summary", description="summarize: the gold summary field")
    label_map: str | None = Field(default=None, description="specialists' label → gold label: built-in name, JSON file "
                                                    "or 'A=B,C=D'")
    max_words: int | None = Field(default=None, ge=1, description="summarize: word budget of extractive summarizers")


class GoldSet(ABC):
    """Gold documents of one task; subclasses hold what their metrics need, aligned with :attr:`texts`."""

    task: ClassVar[Task]

    def __init__(self, path: str | Path, texts: Sequence[str], options: GoldOptions | None = None,
                 skipped: int = 0) -> None:
        self.path = str(path)
        self.texts = list(texts)
        self.options = options or GoldOptions()
        #: gold rows that could not be used (no text or no label)
        self.skipped = skipped

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def name(self) -> str:
        return Path(self.path).name

    @abstractmethod
    def score(self, outputs: Sequence[StageOutput | StageFailure]) -> dict[str, Any]:
        """``tandem eval``'s metrics for ``outputs`` (one per gold text, in order)."""

    @abstractmethod
    def specialist(self, name: str, models_dir: str | None = None) -> SystemSpec:
        """The specialist system called ``name`` on the command line (ValueError when it cannot be one)."""

    @abstractmethod
    def llm(self, spec: str | None) -> SystemSpec:
        """The task's LLM stage on backend ``spec``, constrained to the gold labels where it applies."""

    def relabel(self, output: StageOutput | StageFailure, mapping: Mapping[str, str]) -> StageOutput | StageFailure:
        """``output`` with its labels renamed by ``mapping`` (default: unchanged)."""
        return output

    def check(self, outputs: Sequence[StageOutput | StageFailure]) -> None:
        if len(outputs) != len(self.texts):
            raise ValueError(f"{len(outputs)} outputs for {len(self.texts)} gold documents")


def llm_name(stage: str, spec: str | None) -> str:
    """``classify.llm[embedded]``: the stage and the backend spec as given (default ``embedded``)."""
    return f"{stage}[{spec or 'embedded'}]"


def check_llm_spec(spec: str | None) -> None:
    """A ValueError for a malformed ``--llm`` spec, or one that carries a credential in its URL (API keys
    come from the environment, e.g. ``OPENAI_API_KEY``, never from a flow parameter)."""
    from tandem.stages.llm.backends import parse_llm_spec

    parse_llm_spec(spec)


def stage_options(stage: str, **wanted: Any) -> dict[str, Any]:
    """The ``wanted`` run-wide settings (None values dropped) that the stage registered as ``stage`` declares,
    as :meth:`Pipeline.build <tandem.stages.pipeline_spec.Pipeline.build>` passes them."""
    from tandem.stages.registry import resolve

    cls, _implied = resolve(stage)
    return cls.shared_settings(wanted)


def resolve_specialist(name: str, family: str, output_type: type[StageOutput]) -> str:
    """The registry name of specialist ``name`` as results show it: itself when registered (``ner.spacy``,
    ``classify.spam``), else ``<family>.<name>`` / ``<family>:<name>`` for a trained artifact
    (``spam`` → ``classify.spam``, ``conll`` → ``ner.spacy:conll``).

    Raises ValueError when it names an LLM stage or a stage that writes something other than
    ``output_type``; :class:`~tandem.stages.registry.UnknownStageError` when nothing matches.
    """
    from tandem.stages.llm.base import LlmStage
    from tandem.stages.registry import UnknownStageError, create, resolve

    candidates = [name] + [f"{family}{sep}{name}" for sep in (".", ":") if not name.startswith(family)]
    for candidate in candidates:
        try:
            cls, _implied = resolve(candidate)
        except UnknownStageError:
            continue
        if issubclass(cls, LlmStage):
            raise ValueError(f"{name!r} is an LLM stage; name it with --llm SPEC instead of --specialist")
        if not issubclass(cls.output_type, output_type):
            raise ValueError(f"{name!r} writes {cls.output_type.__name__}, not {output_type.__name__}")
        return create(candidate).stage_id  # the name results use: classify.spam, ner.spacy:conll
    raise UnknownStageError(name)
