"""``cascade``: a specialist answers every document; the LLM answers those the specialist is unsure of.

::

    - stage: cascade
      options:
        specialist: classify.spam          # any classify.* / ner.* stage
        llm: classify.llm                  # the LLM stage asked when the specialist is unsure
        threshold: 0.8                     # specialist confidence below this → the LLM (null: the flywheel's)
        llm_options: {labels: [spam, ham]}

The inner stages are built by name through :func:`tandem.stages.registry.create` (their modules are imported
only then) and run as they would alone: the specialist on the whole batch in one call, the LLM stage
in one call on just the routed documents. Pick the threshold on gold data with ``tandem compare
classify ... --cascade --target-llm-share S`` (:func:`tandem.specialists.comparison.cascade.cascade_system`).

Confidence (:func:`specialist_confidence`): a :class:`Classification`'s ``score`` (the winning
probability); for :class:`Entities`, the lowest entity ``score`` (``ner.spacy`` gets
``entity_scores: true`` unless ``specialist_options`` says otherwise), an entity without a score
counting as 0; a document without entities has confidence 1.0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import Field

from tandem.stages import registry
from tandem.stages.base import BatchResult, Stage
from tandem.stages.contracts import (
    Classification,
    DocState,
    Entities,
    Route,
    RoutedClassification,
    RoutedEntities,
    StageFailure,
    StageOutput,
    TextLike,
    Usage,
)
from tandem.stages.options import NOT_IN_KEY, PathOption, StageOptions

#: the threshold when none is given and the flywheel chose none
DEFAULT_THRESHOLD = 0.8

#: the output families a cascade can route, each with the type it writes and its default output field
ROUTED: dict[type[StageOutput], tuple[type[RoutedClassification] | type[RoutedEntities], str]] = {
    Classification: (RoutedClassification, "label"),
    Entities: (RoutedEntities, "entities"),
}


class CascadeOptions(StageOptions):
    specialist: str = Field(description="the specialist stage that answers every document (classify.spam, "
                            "ner.spacy:conll)")
    llm: str = Field(description="the LLM stage that answers documents the specialist is unsure of "
                     "(classify.llm, ner.llm)")
    threshold: float | None = Field(0.8, ge=0.0, le=1.0, description="documents whose specialist confidence is below "
                             "this go to the LLM (0: never; null: the threshold the flywheel chose for the "
                             "specialist's promoted version, else 0.8)")
    specialist_options: dict[str, Any] = Field(default_factory=dict, description="options of the specialist "
                                               "stage (their result-key share is the stage's own)",
                                               json_schema_extra=NOT_IN_KEY)
    llm_options: dict[str, Any] = Field(default_factory=dict, description="options of the LLM stage, e.g. the "
                                        "labels of classify.llm (their result-key share is the stage's own)",
                                        json_schema_extra=NOT_IN_KEY)
    llm_backend: str | None = Field(None, description="chat model of the LLM stage (tandem run --llm); keyed "
                                    "through its model id", json_schema_extra=NOT_IN_KEY)
    models_dir: PathOption | None = Field(None, description="folder of trained models for the specialist "
                                          "(default: TANDEM_MODELS_DIR or ./models)", json_schema_extra=NOT_IN_KEY)


def _routed_family(output_type: type[StageOutput]) -> type[StageOutput] | None:
    return next((family for family in ROUTED if issubclass(output_type, family)), None)


def specialist_confidence(output: StageOutput) -> float:
    """How sure the specialist is of ``output``, in [0, 1] (see the module docstring)."""
    if isinstance(output, Classification):
        return output.score
    if isinstance(output, Entities):
        if not output.entities:
            return 1.0
        return min(entity.score if entity.score is not None else 0.0 for entity in output.entities)
    raise TypeError(f"a cascade routes Classification or Entities outputs, not {type(output).__name__}")


def routed_output(output: StageOutput, route: Route, confidence: float, llm_error: str | None = None) -> StageOutput:
    """``output`` (the specialist's or the LLM's answer) as the cascade stores it."""
    family = _routed_family(type(output))
    if family is None:
        raise TypeError(f"a cascade routes Classification or Entities outputs, not {type(output).__name__}")
    routed_type = ROUTED[family][0]
    fields = output.model_dump(include=set(family.model_fields))
    return routed_type(**fields, route=route, specialist_confidence=min(1.0, max(0.0, confidence)),
                       llm_error=llm_error)


def combine(specialist: StageOutput | StageFailure, llm: StageOutput | StageFailure | None,
            threshold: float) -> tuple[StageOutput | StageFailure, bool]:
    """One document's cascade outcome and whether it was routed to the LLM (pure; the stage and the threshold
    selection of ``tandem compare`` both use it). ``llm`` is the LLM's outcome when it was asked."""
    if isinstance(specialist, StageFailure):
        return specialist, False
    confidence = specialist_confidence(specialist)
    if confidence >= threshold:
        return routed_output(specialist, "specialist", confidence), False
    if llm is None:
        return routed_output(specialist, "specialist", confidence, llm_error="the LLM gave no answer"), True
    if isinstance(llm, StageFailure):
        return routed_output(specialist, "specialist", confidence, llm_error=f"{llm.kind}: {llm.message}"), True
    return routed_output(llm, "llm", confidence), True


class CascadeStage(Stage[StageOutput], name="cascade", version="1", reads={"text": TextLike}, writes="label",
                   options=CascadeOptions, batch=64):
    """``cascade``: the specialist answers every document, the LLM those below ``threshold`` confidence.

    Reads what the specialist reads (default ``text``; ``input:`` sets it for both inner stages). Writes
    the specialist's output type with the route: :class:`RoutedClassification` (default field ``label``)
    or :class:`RoutedEntities` (default field ``entities``), with ``route`` (``specialist`` or ``llm``) and
    ``specialist_confidence``. The specialist runs on the whole batch in one call; the LLM stage in one
    call on the routed documents only, so a confident document costs no LLM call.

    * A document the specialist fails is the cascade's failure (the LLM is not asked).
    * A routed document the LLM fails keeps the specialist's answer, with ``route="specialist"`` and the
      LLM's failure in ``llm_error``: the user still gets a label, and can see the LLM was tried.
    * ``tandem run --llm`` reaches the LLM stage through ``llm_backend``, ``--models-dir`` the specialist.
    * The result key combines both inner stages' names, versions, model ids, prompt versions and
      result-key options, and the threshold.
    """

    options: CascadeOptions
    shared_options: ClassVar[Mapping[str, str]] = {"llm": "llm_backend"}

    def __init__(self, input: str | None = None, output: str | None = None, **options: Any) -> None:
        super().__init__(input=input, output=None, **options)
        opts = self.options
        self.specialist = self._inner(opts.specialist, opts.specialist_options, "specialist_options",
                                      {"models_dir": opts.models_dir, "entity_scores": True})
        self.llm = self._inner(opts.llm, opts.llm_options, "llm_options", {"llm": opts.llm_backend})
        family = _routed_family(self.specialist.output_type)
        if family is None:
            raise ValueError(f"cascade: specialist {opts.specialist!r} writes {self.specialist.output_type.__name__}; "
                             "a cascade routes stages that write Classification or Entities")
        if not issubclass(self.llm.output_type, family):
            raise ValueError(f"cascade: specialist {opts.specialist!r} writes {family.__name__} but llm "
                             f"{opts.llm!r} writes {self.llm.output_type.__name__}; pair classify.* with "
                             "classify.llm, ner.* with ner.llm")
        self.routed_type, default_field = ROUTED[family]
        self.output_field = output or default_field
        self.threshold = opts.threshold if opts.threshold is not None else self._registry_threshold()

    def _registry_threshold(self) -> float:
        """``threshold: null``: the threshold the flywheel chose for the specialist's promoted version
        (:mod:`tandem.specialists.flywheel`), else 0.8."""
        from tandem.specialists.artifacts import models_dir
        from tandem.specialists.registry import read_entry, split_version

        artifact = getattr(self.specialist, "artifact", None)
        if not artifact:
            return DEFAULT_THRESHOLD
        name, version = split_version(str(artifact))
        entry = read_entry(models_dir(self.options.models_dir), name)
        number = version or (entry.promoted if entry else None)
        if entry is None or number is None:
            return DEFAULT_THRESHOLD
        chosen = entry.version(number).cascade_threshold
        return DEFAULT_THRESHOLD if chosen is None else chosen

    def _inner(self, name: str, options: Mapping[str, Any], option_name: str,
               shared: Mapping[str, Any]) -> Stage[Any]:
        """Build inner stage ``name`` reading the cascade's input; ``shared`` values fill options the stage
        declares and ``options`` leaves unset."""
        try:
            cls, _implied = registry.resolve(name)
        except registry.UnknownStageError as exc:
            raise ValueError(f"cascade: {exc}") from None
        if cls is type(self):
            raise ValueError("cascade: a cascade cannot be the specialist or the LLM of a cascade")
        extra = {key: value for key, value in shared.items()
                 if value is not None and key in cls.Options.model_fields and key not in options}
        try:
            return registry.create(name, input=self.input_field, **{**extra, **options})
        except ValueError as exc:  # StageOptionsError included: name the cascade option to fix
            raise ValueError(f"cascade {option_name}: {exc}") from None

    # -- contract -------------------------------------------------------------------------------
    @property
    def reads(self) -> Mapping[str, type[StageOutput]]:
        return {**self.llm.reads, **self.specialist.reads}

    @property
    def writes(self) -> tuple[str, type[StageOutput]]:
        return (self.output_field, self.routed_type)

    def model_id(self) -> str:
        return f"{self.specialist.model_id()}|{self.llm.model_id()}"

    @property
    def prompt_version(self) -> str:
        return f"{self.specialist.prompt_version}|{self.llm.prompt_version}"

    def config(self) -> dict[str, Any]:
        """The threshold, and each inner stage's name, version and result-key options."""
        return {**self.options.key_config(), "threshold": self.threshold,
                "inner": {role: {"stage": stage.stage_id, "version": stage.version, "config": stage.config()}
                          for role, stage in (("specialist", self.specialist), ("llm", self.llm))}}

    def _load(self) -> None:
        self.specialist.load()
        self.llm.load()

    def run(self, batch: Sequence[DocState]) -> BatchResult[StageOutput]:
        self.load()
        result: BatchResult[StageOutput] = BatchResult()
        first = self.specialist.run(batch)
        threshold = self.threshold
        routed = [state for state in batch if state.key in first.successes
                  and specialist_confidence(first.successes[state.key]) < threshold]
        second = self.llm.run(routed) if routed else BatchResult()
        for state in batch:
            key = state.key
            specialist = first.successes.get(key) or first.failures.get(key)
            usage = first.usage.get(key) or Usage()
            if specialist is None:
                result.add_failure(key, self.failure("model_error", "the specialist returned no result"), usage)
                continue
            if isinstance(specialist, StageFailure):
                message = f"specialist {specialist.stage}: {specialist.message}"
                result.add_failure(key, self.failure(specialist.kind, message, specialist.raw_answer), usage)
                continue
            was_routed = specialist_confidence(specialist) < threshold
            llm = (second.successes.get(key) or second.failures.get(key)) if was_routed else None
            if was_routed:
                usage = usage + (second.usage.get(key) or Usage())
            outcome, _ = combine(specialist, llm, threshold)
            if isinstance(outcome, StageFailure):  # pragma: no cover - combine only fails failed specialists
                result.add_failure(key, outcome, usage)
            else:
                result.add_success(key, self._with_provenance(outcome, specialist), usage)
        return result

    def _with_provenance(self, outcome: StageOutput, specialist: StageOutput) -> StageOutput:
        """A routed classification names its task (the specialist's artifact), the specialist's own label and,
        when the LLM answered, the LLM (``llm:<model id>@<prompt version>``): the flywheel's training label."""
        if not isinstance(outcome, RoutedClassification) or not isinstance(specialist, Classification):
            return outcome
        answered_by = f"llm:{self.llm.model_id()}@{self.llm.prompt_version}" if outcome.route == "llm" else None
        return outcome.model_copy(update={"task": getattr(self.specialist, "artifact", None),
                                          "specialist_label": specialist.label, "answered_by": answered_by})
