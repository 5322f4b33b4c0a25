"""Build and validate a chain of stages, from Python or from a YAML/TOML spec file.

Validation happens before any document is read: each stage's inputs must be the raw document's
``text`` or written by an earlier stage, with a compatible type; output fields must be unique.

A spec file::

    name: legal-review
    stages:
      - cleanup
      - summarize
      - stage: ner.spacy
        input: clean          # which field to read (default depends on the stage)
      - stage: classify.spam
        input: text
        output: spam          # field to write (default depends on the stage)
        options: {batch_size: 64}
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tandem.stages import registry
from tandem.stages.base import Stage
from tandem.stages.contracts import RawText, StageOutput
from tandem.stages.options import StageOptionsError


class PipelineError(ValueError):
    """A pipeline that cannot run; raised before any document is processed."""


class StepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: str
    input: str | None = None
    output: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class PipelineSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "custom"
    stages: list[StepSpec | str]

    def steps(self) -> list[StepSpec]:
        return [StepSpec(stage=s) if isinstance(s, str) else s for s in self.stages]


BUILTIN_PIPELINES: dict[str, list[str | dict[str, Any]]] = {
    "default": ["cleanup", "summarize", "ner.spacy"],
    "ner": [{"stage": "ner.spacy", "input": "text"}],
    "clean": ["cleanup"],
    "scanned": ["ocr.tesseract", {"stage": "cleanup", "input": "ocr"}, "summarize", "ner.spacy"],
    "embedded_search": [{"stage": "embed", "input": "text"}],
}


class Pipeline:
    """A validated chain of stages."""

    def __init__(self, name: str, stages: Sequence[Stage[Any]], spec: PipelineSpec) -> None:
        self.name = name
        self.stages = list(stages)
        self.spec = spec

    @classmethod
    def build(cls, steps: Sequence[str | StepSpec | dict[str, Any]], name: str = "custom",
              **stage_options: Any) -> Pipeline:
        """Create and validate; ``stage_options`` (e.g. ``llm="embedded"``) go to stages that accept them."""
        try:
            spec = PipelineSpec(name=name, stages=[StepSpec(**s) if isinstance(s, dict) else s for s in steps])
        except ValidationError as exc:
            raise PipelineError(f"invalid pipeline {name!r}: {exc}") from exc
        if not spec.stages:
            raise PipelineError(f"pipeline {name!r} has no stages")
        stages: list[Stage[Any]] = []
        for step in spec.steps():
            try:
                stage_class, implied = registry.resolve(step.stage)
            except registry.UnknownStageError as exc:
                raise PipelineError(str(exc)) from None
            shared = stage_class.shared_settings(stage_options)
            try:
                stage = stage_class(input=step.input, output=step.output, **{**implied, **shared, **step.options})
            except StageOptionsError as exc:
                raise PipelineError(str(exc)) from None
            except (TypeError, ValueError) as exc:
                raise PipelineError(f"stage {step.stage!r}: bad options {step.options}: {exc}") from None
            stages.append(stage)
        pipeline = cls(name, stages, spec)
        pipeline.validate()
        return pipeline

    @classmethod
    def load(cls, name_or_path: str, **stage_options: Any) -> Pipeline:
        """A built-in pipeline name (``default``) or a ``.yaml``/``.yml``/``.toml`` spec file."""
        if name_or_path in BUILTIN_PIPELINES:
            return cls.build(BUILTIN_PIPELINES[name_or_path], name=name_or_path, **stage_options)
        path = Path(name_or_path)
        if not path.is_file():
            raise PipelineError(
                f"no pipeline named {name_or_path!r}: not a built-in ({', '.join(BUILTIN_PIPELINES)}) "
                "and not a spec file")
        try:
            raw = (tomllib.loads(path.read_text()) if path.suffix == ".toml"
                   else yaml.safe_load(path.read_text()))
        except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
            raise PipelineError(f"cannot parse pipeline file {path}: {exc}") from None
        if isinstance(raw, list):
            raw = {"stages": raw}
        if not isinstance(raw, dict) or "stages" not in raw:
            raise PipelineError(f"pipeline file {path} must hold a mapping with a 'stages' list")
        return cls.build(raw["stages"], name=str(raw.get("name", path.stem)), **stage_options)

    def validate(self) -> None:
        available: dict[str, tuple[type[StageOutput], str]] = {"text": (RawText, "the document")}
        for stage in self.stages:
            for field_name, wanted in stage.reads.items():
                if field_name not in available:
                    raise PipelineError(
                        f"stage {stage.stage_id!r} reads {field_name!r} ({wanted.__name__}), which no earlier "
                        f"stage writes; available: {_describe(available)}")
                have, origin = available[field_name]
                if not issubclass(have, wanted):
                    raise PipelineError(
                        f"stage {stage.stage_id!r} reads {field_name!r} as {wanted.__name__}, but {origin} "
                        f"writes it as {have.__name__}; available: {_describe(available)}")
            out_field, out_type = stage.writes
            if out_field in available:
                raise PipelineError(
                    f"stage {stage.stage_id!r} writes {out_field!r}, which {available[out_field][1]} already "
                    "provides; give it another field with 'output:'")
            available[out_field] = (out_type, f"'{stage.stage_id}'")

    @staticmethod
    def step_label(step: str | StepSpec | dict[str, Any]) -> str:
        """``ner.spacy`` or ``ner.spacy(input=text)``: one step of a spec, as listings show it."""
        if isinstance(step, str):
            return step
        spec = step if isinstance(step, StepSpec) else StepSpec(**step)
        settings = {"input": spec.input, "output": spec.output, **spec.options}
        shown = ", ".join(f"{key}={value}" for key, value in settings.items() if value is not None)
        return f"{spec.stage}({shown})" if shown else spec.stage

    def describe(self) -> list[dict[str, str]]:
        return [{"stage": s.stage_id, "reads": ", ".join(s.reads), "writes": s.writes[0]} for s in self.stages]


def _describe(available: dict[str, tuple[type[StageOutput], str]]) -> str:
    parts = []
    for name, (typ, origin) in available.items():
        parts.append(f"{name} ({typ.__name__}) from {origin}")
    return ", ".join(parts)
