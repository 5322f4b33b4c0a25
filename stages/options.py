"""Declared stage options: every stage lists its options once, as a pydantic model.

A stage class names its options model in ``Options``; the model gives each option a type, a default,
bounds and a one-line description (``Field(description=...)``). From it come:

* validation when a pipeline is built: an unknown or ill-typed option raises
  :class:`StageOptionsError` naming the stage, the option and the valid ones;
* ``Stage.config()``, the part of the result key that options contribute: every option but those
  marked ``json_schema_extra=NOT_IN_KEY`` (options that cannot change an output, such as the LLM
  backend, which is already in the model id, or a batch size); an option marked ``KEY_UNLESS_NONE``
  (added later, None meaning the behaviour from before) is left out while it is None, so existing keys hold;
* ``tandem pipelines --stage NAME``, which prints :func:`describe_options`.

Example::

    class LeadOptions(StageOptions):
        max_words: int = Field(150, gt=0, description="summary length budget in words")
"""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticUndefined

#: ``json_schema_extra`` of an option that does not change outputs, so it stays out of the result key
NOT_IN_KEY: dict[str, Any] = {"result_key": False}
#: ``json_schema_extra`` of an option added later with a default of None that means "as before": it is in the
#: result key only when set, so the keys of results stored before the option existed stay the same
KEY_UNLESS_NONE: dict[str, Any] = {"result_key": "unless_none"}

#: a folder or file option: a ``str``, also accepting a ``pathlib.Path``
PathOption = Annotated[str, BeforeValidator(lambda value: os.fspath(value) if isinstance(value, os.PathLike)
                                            else value)]


class StageOptions(BaseModel):
    """Base of every stage's options model: unknown options are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def key_fields(cls) -> list[str]:
        """Options that are part of the result key, sorted."""
        return sorted(name for name, info in cls.model_fields.items()
                      if not (isinstance(info.json_schema_extra, dict)
                              and info.json_schema_extra.get("result_key") is False))

    def key_config(self) -> dict[str, Any]:
        """The options that change outputs, as JSON-ready values sorted by name."""
        dumped = self.model_dump(mode="json", include=set(self.key_fields()))
        return {name: dumped[name] for name in sorted(dumped)
                if not (dumped[name] is None and _extra(type(self), name).get("result_key") == "unless_none")}


def _extra(options_type: type[StageOptions], name: str) -> dict[str, Any]:
    extra = options_type.model_fields[name].json_schema_extra
    return extra if isinstance(extra, dict) else {}


class OptionInfo(BaseModel):
    """One declared option, as ``tandem pipelines --stage`` shows it."""

    name: str
    type: str
    default: Any = None
    required: bool = False
    description: str = ""
    in_result_key: bool = True


class StageOptionsError(ValueError):
    """Unknown or ill-typed stage options; the message lists the valid options."""


def type_name(annotation: Any) -> str:
    """``int``, ``list[str]``, ``str | None`` — a readable name for an option's annotation."""
    if annotation is None or annotation is type(None):
        return "None"
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(arg) for arg in typing.get_args(annotation))
    if origin is typing.Literal:
        return " | ".join(repr(arg) for arg in typing.get_args(annotation))
    if origin is not None:
        args = ", ".join(type_name(arg) for arg in typing.get_args(annotation))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    return getattr(annotation, "__name__", str(annotation).replace("typing.", ""))


def describe_options(options_type: type[StageOptions]) -> list[OptionInfo]:
    """Every option of ``options_type`` with its type, default and description, in declaration order."""
    key_fields = set(options_type.key_fields())
    infos = []
    for name, info in options_type.model_fields.items():
        required = info.is_required()
        default = None if required or info.default is PydanticUndefined else info.default
        if info.default_factory is not None:
            default = info.default_factory()  # type: ignore[call-arg]
        infos.append(OptionInfo(name=name, type=type_name(info.annotation), default=default, required=required,
                                description=info.description or "", in_result_key=name in key_fields))
    return infos


def options_summary(options_type: type[StageOptions]) -> str:
    """``a (int, default 3), b (list[str], required)`` — the valid options in one line."""
    parts = []
    for option in describe_options(options_type):
        default = "required" if option.required else f"default {option.default!r}"
        parts.append(f"{option.name} ({option.type}, {default})")
    return ", ".join(parts) or "none"


def parse_options(stage: str, options_type: type[StageOptions], values: Mapping[str, Any]) -> StageOptions:
    """Validate ``values`` against ``options_type``; errors name the stage, the option and the valid ones."""
    unknown = sorted(set(values) - set(options_type.model_fields))
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise StageOptionsError(f"unknown options for stage {stage!r}: {names}; valid options: "
                                f"{options_summary(options_type)}")
    try:
        return options_type.model_validate(dict(values))
    except ValidationError as exc:
        problems = "; ".join(_problem(error) for error in exc.errors())
        raise StageOptionsError(f"stage {stage!r}: bad option {problems}; valid options: "
                                f"{options_summary(options_type)}") from None


def _problem(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "invalid"))
    message = message.removeprefix("Value error, ")
    if "input" in error and error.get("type") != "missing":
        return f"{where!r} = {error['input']!r}: {message}"
    return f"{where!r}: {message}"
