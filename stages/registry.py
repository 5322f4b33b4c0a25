"""Stage registry: names mapped to stage classes through Python entry points, resolved lazily.

Built-in and third-party stages register the same way, in their distribution's metadata::

    [project.entry-points."tandem.stages"]
    "sentiment.vader.v1" = "my_package.vader:VaderStage"

Reading the registry imports no stage module; a stage's module is imported only when its name is
resolved. Names:

* versioned names are frozen (``ner.spacy.v1``, spacy-llm's ``spacy.NER.v3`` style); the name
  without ``.vN`` (``ner.spacy``) means the highest registered version;
* ``family.artifact`` or ``family:artifact`` for stages that load a trained artifact
  (``takes_artifact``): ``classify.spam`` is the classifier artifact ``spam``; ``ner.spacy:conll``
  the NER model trained as ``conll``.

Tests and notebooks can add a stage class with :func:`register` (an explicit call, not an import
side effect); it takes precedence over an entry point of the same name.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from tandem.stages.base import Stage

ENTRY_POINT_GROUP = "tandem.stages"
StageClass = type[Stage[Any]]

_VERSIONED = re.compile(r"^(?P<base>.+)\.v(?P<version>\d+)$")
_user: dict[str, StageClass] = {}


class UnknownStageError(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        known = known_stage_names()
        if not known:
            return (f"unknown stage {self.name!r}: no stage is registered under the entry-point group "
                    f"{ENTRY_POINT_GROUP!r}; is tandem installed (pip install -e .)?")
        return f"unknown stage {self.name!r}; known stages: {', '.join(known)}"


def register(name: str, stage_class: StageClass) -> None:
    """Register ``stage_class`` under ``name`` in this process (overrides an entry point of that name)."""
    _user[name] = stage_class


def unregister(name: str) -> None:
    _user.pop(name, None)


@lru_cache(maxsize=1)
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def refresh() -> None:
    """Forget the cached entry points (after installing a plugin into the running interpreter)."""
    _entry_points.cache_clear()
    _load_entry_point.cache_clear()


def _version(name: str) -> int:
    match = _VERSIONED.match(name)
    return int(match["version"]) if match else -1


def registered_names() -> dict[str, str]:
    """Every name that resolves, mapped to the registered (entry point or :func:`register`) name."""
    registered = [*_entry_points(), *_user]
    names: dict[str, str] = {}
    for name in sorted(registered, key=_version):  # lower versions first: the highest wins the alias
        match = _VERSIONED.match(name)
        if match:
            names[match["base"]] = name
    names.update({name: name for name in registered})
    return names


class PluginImportError(ImportError):
    """A plugin stage that imports one of the names Tandem installed before it became one ``tandem`` package."""


@lru_cache(maxsize=None)
def _load_entry_point(name: str) -> StageClass:
    entry_point = _entry_points()[name]
    try:
        loaded = entry_point.load()
    except ModuleNotFoundError as exc:
        from tandem import FORMER_TOP_LEVEL

        if (exc.name or "").split(".")[0] not in FORMER_TOP_LEVEL:
            raise
        raise PluginImportError(
            f"stage {name!r} ({entry_point.value}) imports {exc.name!r}, a name Tandem no longer installs: "
            f"everything Tandem provides is under 'tandem' now (e.g. 'from tandem.stages.base import Stage' for "
            f"'from stages.base import Stage'); update the plugin's imports") from exc
    if not (isinstance(loaded, type) and issubclass(loaded, Stage)):
        raise TypeError(f"entry point {name!r} of group {ENTRY_POINT_GROUP!r} is {loaded!r}, not a Stage class")
    return loaded


def _load(registered_name: str) -> StageClass:
    if registered_name in _user:
        return _user[registered_name]
    return _load_entry_point(registered_name)


def stage_class(name: str) -> StageClass:
    """The class registered under ``name`` (a versioned or an unversioned name)."""
    names = registered_names()
    if name not in names:
        raise UnknownStageError(name)
    return _load(names[name])


def known_stage_names() -> list[str]:
    """Unversioned names (each the highest version), the versioned ones, and artifact patterns."""
    names = registered_names()
    shown = set(names)
    for name, target in names.items():
        if not _VERSIONED.match(name) and _load(target).takes_artifact:
            shown.add(f"{name}{_load(target).artifact_separator}<artifact>")
    return sorted(shown)


def resolve(name: str) -> tuple[StageClass, dict[str, Any]]:
    """Return the stage class for ``name`` and the keyword arguments the name implies."""
    names = registered_names()
    if name in names:
        return _load(names[name]), {}
    for cut in sorted({m.start() for m in re.finditer(r"[.:]", name)}, reverse=True):
        family, artifact = name[:cut], name[cut + 1:]
        if family in names and artifact:
            cls = _load(names[family])
            if cls.takes_artifact:
                return cls, {"artifact": artifact}
    raise UnknownStageError(name)


def create(name: str, **options: Any) -> Stage[Any]:
    """Build a stage by registry name. Cheap: no model is loaded."""
    cls, implied = resolve(name)
    return cls(**{**implied, **options})
