"""The stage contract.

A stage is a named, versioned transformation over a *batch* of documents:

A stage declares itself once, in its class statement; the output type is the generic parameter::

    class SpacyNerStage(Stage[Entities], name="ner.spacy", version="1", reads={"clean": TextLike},
                        writes="entities", options=SpacyNerOptions, batch=1000, artifact=True): ...

* ``name`` / ``version``: the registry name (``"ner.spacy"``) and a version string that is bumped
  whenever behaviour changes; both are part of every stored result's key.
* ``reads``: the fields it needs, each with the pydantic type it accepts (``{"clean": TextLike}``);
  ``"text"`` (:class:`RawText`) always comes from the document itself.
* ``writes``: the one field it produces and its type (``("entities", Entities)``).
* ``Options``: a :class:`~tandem.stages.options.StageOptions` model declaring every option once (type,
  default, bounds, description); ``self.options`` is the validated instance and ``config()``, the
  options' share of the result key, is derived from it.
* ``model_id()`` / ``prompt_version``: which model and prompt produced a result (result key).
* ``load()``: heavy work (model files, weights); called once per process before the first batch.
* ``check_artifacts()``: vets the trained artifact files the stage names (``tandem run`` calls it at build).
* ``capabilities``: what the engine must know about a stage, declared rather than told by its name
  (:data:`READS_SCANS`: the stage reads scanned pages, so the engine does not hold scans back from it).
  Construction must stay cheap so a pipeline can be built and validated without loading anything.
* ``run(batch)``: returns a :class:`BatchResult` whose ``successes`` and ``failures`` are keyed by
  document key; every document of the batch is in exactly one of them. A bad document never raises.
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar, get_args, get_origin

from tandem.stages.contracts import DocState, FailureKind, StageFailure, StageOutput, TextLike, Usage
from tandem.stages.options import StageOptions, parse_options

Out = TypeVar("Out", bound=StageOutput)

#: capability: the stage reads the pages of scans (OCR), which the engine holds back from other raw-text readers
READS_SCANS = "reads_scans"

#: a lone surrogate: a Python string may hold one (``"\\ud800"`` decoded from JSON), UTF-8 cannot
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def encoding_problem(text: str) -> str | None:
    """Why ``text`` is not valid Unicode (it holds a lone surrogate, which no model tokenizer nor database
    takes), or None."""
    found = _LONE_SURROGATE.search(text)
    if found is None:
        return None
    return (f"the text holds a lone surrogate ({found.group()!r} at character {found.start()}), which is not "
            "valid Unicode; fix or remove it")


@dataclass
class BatchResult(Generic[Out]):
    """Per-document outcomes of one stage over one batch: successes and failures kept apart."""

    successes: dict[str, Out] = field(default_factory=dict)
    failures: dict[str, StageFailure] = field(default_factory=dict)
    usage: dict[str, Usage] = field(default_factory=dict)

    def add_success(self, key: str, output: Out, usage: Usage | None = None) -> None:
        self.successes[key] = output
        self.usage[key] = usage or Usage()

    def add_failure(self, key: str, failure: StageFailure, usage: Usage | None = None) -> None:
        self.failures[key] = failure
        self.usage[key] = usage or Usage()

    def merge(self, other: BatchResult[Out]) -> None:
        self.successes.update(other.successes)
        self.failures.update(other.failures)
        self.usage.update(other.usage)


class Stage(ABC, Generic[Out]):
    """Base class of every stage; see the module docstring for the contract."""

    name: ClassVar[str]
    version: ClassVar[str]
    output_type: ClassVar[type[StageOutput]]
    default_input: ClassVar[str] = "clean"
    default_output: ClassVar[str]
    input_type: ClassVar[type[StageOutput]] = TextLike
    #: the declared options; subclasses name their own model (and narrow ``options`` to it)
    Options: ClassVar[type[StageOptions]] = StageOptions
    #: true for families whose registry name carries a trained artifact (``classify.spam``)
    takes_artifact: ClassVar[bool] = False
    #: run-wide settings (``tandem run --llm/--models-dir``) → the option that receives them; by default
    #: a setting reaches the option of the same name when the stage declares one
    shared_options: ClassVar[Mapping[str, str]] = {}
    #: how names show the artifact in listings: ``classify.spam`` (".") or ``ner.spacy:conll`` (":")
    artifact_separator: ClassVar[str] = ":"
    #: documents per task the flow gives this stage unless ``--batch-size`` says otherwise: small for LLM
    #: stages (progress shows, a retry costs little), large for specialists (orchestration costs per task)
    preferred_batch: ClassVar[int] = 8
    #: what the engine must know about the stage (e.g. :data:`READS_SCANS`)
    capabilities: ClassVar[frozenset[str]] = frozenset()
    options: StageOptions

    def __init_subclass__(cls, *, name: str | None = None, version: str | None = None,
                          reads: Mapping[str, type[StageOutput]] | None = None, writes: str | None = None,
                          options: type[StageOptions] | None = None, batch: int | None = None,
                          artifact: bool | None = None, capabilities: Sequence[str] = (), **kwargs: Any) -> None:
        """The stage's declaration, once: ``name``, ``version``, ``reads`` (``{field: accepted type}``),
        ``writes`` (the default output field; its type is the class's generic parameter, ``Stage[Entities]``),
        ``options`` (the :class:`StageOptions` model), ``batch`` (preferred documents per task), ``artifact``
        (the registry name carries a trained artifact) and ``capabilities``. Class attributes set the old
        way (``name: ClassVar[str] = ...``) still work, for plugins written before."""
        super().__init_subclass__(**kwargs)
        output = _declared_output(cls)
        if output is not None:
            cls.output_type = output
        if reads is not None:
            if len(reads) != 1:
                raise TypeError(f"{cls.__name__}: a stage reads one field, declared as {{field: type}}")
            [(cls.default_input, cls.input_type)] = reads.items()
        for attribute, value in (("name", name), ("version", version), ("default_output", writes),
                                 ("Options", options), ("preferred_batch", batch), ("takes_artifact", artifact)):
            if value is not None:
                setattr(cls, attribute, value)
        if capabilities:
            cls.capabilities = cls.capabilities | frozenset(capabilities)

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        self.input_field = input or self.default_input
        self.output_field = output or self.default_output
        self.options = parse_options(self.name, self.Options, options)
        self._loaded = False

    @classmethod
    def shared_settings(cls, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The run-wide ``settings`` (``llm``, ``models_dir``, ...) this stage declares an option for, under
        that option's name (see :attr:`shared_options`); None values are left out."""
        targets = {name: cls.shared_options.get(name, name) for name in settings}
        return {targets[name]: value for name, value in settings.items()
                if value is not None and targets[name] in cls.Options.model_fields}

    # -- contract -------------------------------------------------------------------------------
    @property
    def reads(self) -> Mapping[str, type[StageOutput]]:
        return {self.input_field: self.input_type}

    @property
    def writes(self) -> tuple[str, type[StageOutput]]:
        return (self.output_field, self.output_type)

    @property
    def stage_id(self) -> str:
        """The name used in results; registry names with an artifact keep it (``classify.spam``)."""
        return self.name

    @property
    def prompt_version(self) -> str:
        return ""

    def config(self) -> dict[str, Any]:
        """Options that change outputs (all declared options but those marked ``NOT_IN_KEY``);
        part of the result key."""
        return self.options.key_config()

    @abstractmethod
    def model_id(self) -> str: ...

    def load(self) -> None:
        """Load heavy resources. Idempotent."""
        if not self._loaded:
            self._load()
            self._loaded = True

    def _load(self) -> None:  # pragma: no cover - stages without models
        return None

    def check_artifacts(self) -> None:
        """Check the trained artifacts the stage names (name, links, hashes) before any document is read, raising
        a clear error; stages whose artifacts are checked at load keep the default (nothing)."""
        return None

    @abstractmethod
    def run(self, batch: Sequence[DocState]) -> BatchResult[Out]: ...

    # -- helpers --------------------------------------------------------------------------------
    def failure(self, kind: FailureKind, message: str, raw_answer: str | None = None) -> StageFailure:
        return StageFailure(stage=self.stage_id, kind=kind, message=message, raw_answer=raw_answer)

    def read_input(self, state: DocState, result: BatchResult[Out]) -> str | None:
        """The text of the input field, or None with an ``upstream_failed`` failure recorded in ``result`` (the
        field is missing or not text); blank text is returned as is."""
        try:
            return state.text_of(self.input_field)
        except (KeyError, TypeError) as exc:
            result.add_failure(state.key, self.failure("upstream_failed", f"cannot read {self.input_field!r}: {exc}"))
            return None

    def input_texts(self, batch: Sequence[DocState], result: BatchResult[Out],
                    empty_message: str) -> list[tuple[str, str]]:
        """``(key, text)`` of each document whose input field reads as non-blank text; the others are
        recorded in ``result`` as ``upstream_failed`` (field missing or not text), ``empty`` or ``encoding`` (a
        lone surrogate: see :func:`encoding_problem`)."""
        texts: list[tuple[str, str]] = []
        for state in batch:
            text = self.read_input(state, result)
            if text is None:
                continue
            if not text.strip():
                result.add_failure(state.key, self.failure("empty", empty_message))
                continue
            if problem := encoding_problem(text):
                result.add_failure(state.key, self.failure("encoding", problem))
                continue
            texts.append((state.key, text))
        return texts

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.stage_id!r}, reads={self.input_field!r}, writes={self.output_field!r})"


def _declared_output(cls: type) -> type[StageOutput] | None:
    """The output type a stage class names as its generic parameter (``Stage[Entities]``,
    ``LlmStage[Summary]``), or None when it is still generic (``LlmStage[Out]``)."""
    for base in getattr(cls, "__orig_bases__", ()):
        origin = get_origin(base)
        if isinstance(origin, type) and issubclass(origin, Stage):
            for argument in get_args(base):
                if isinstance(argument, type) and issubclass(argument, StageOutput):
                    return argument
    return None


@contextmanager
def timed() -> Iterator[list[float]]:
    """Measure wall time in milliseconds: ``with timed() as t: ...; t[0]``."""
    box = [0.0]
    start = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = (time.perf_counter() - start) * 1000.0
