"""Stage registry: frozen names mapped to factories, resolved lazily.

Built-in names point at ``module:attribute`` strings kept in this file (never read from config),
so importing the registry imports no model code. Names:

* exact names: ``cleanup``, ``summarize``, ``ner.spacy``, ``summarize.legal``, ...
* ``family.artifact`` or ``family:artifact`` for trained artifacts: ``classify.spam`` is the
  classifier artifact named ``spam``; ``ner.spacy:conll`` the NER model trained as ``conll``.

User code can add stages with :func:`register` (an explicit call, not an import side effect).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from stages.base import Stage

StageFactory = Callable[..., Stage[Any]]

_BUILTIN: dict[str, str] = {
    "cleanup": "stages.llm.cleanup:CleanupStage",
    "summarize": "stages.llm.summarize:SummarizeStage",
    "ner.spacy": "specialists.spacy_ner:SpacyNerStage",
    "summarize.legal": "specialists.legal_summarizer:LegalSummarizerStage",
    "summarize.lead": "specialists.legal_summarizer:LeadSummarizerStage",
    "classify": "specialists.classifier:ClassifierStage",
    "classify.llm": "stages.llm.structured:LlmClassifyStage",
    "ner.llm": "stages.llm.structured:LlmNerStage",
    "summarize.keypoints": "stages.llm.structured:KeyPointsStage",
}

#: families whose suffix names a trained artifact: ``classify.spam``, ``ner.spacy:conll``
_ARTIFACT_FAMILIES = ("classify", "ner.spacy")

_user: dict[str, StageFactory] = {}


class UnknownStageError(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown stage {self.name!r}; known stages: {', '.join(known_stage_names())}"


def register(name: str, factory: StageFactory) -> None:
    """Register a stage factory under ``name`` (overrides a built-in of the same name)."""
    _user[name] = factory


def known_stage_names() -> list[str]:
    names = set(_BUILTIN) | set(_user)
    names |= {f"{family}.<artifact>" for family in ("classify",)}
    names |= {"ner.spacy:<artifact>"}
    return sorted(names)


def _load_builtin(target: str) -> StageFactory:
    module_name, _, attribute = target.partition(":")
    factory: StageFactory = getattr(importlib.import_module(module_name), attribute)
    return factory


def resolve(name: str) -> tuple[StageFactory, dict[str, Any]]:
    """Return the factory for ``name`` and the keyword arguments the name implies."""
    if name in _user:
        return _user[name], {}
    if name in _BUILTIN:
        return _load_builtin(_BUILTIN[name]), {}
    for family in _ARTIFACT_FAMILIES:
        for sep in (":", "."):
            prefix = family + sep
            if name.startswith(prefix) and len(name) > len(prefix):
                return _load_builtin(_BUILTIN[family]), {"artifact": name[len(prefix):]}
    raise UnknownStageError(name)


def create(name: str, **options: Any) -> Stage[Any]:
    """Build a stage by registry name. Cheap: no model is loaded."""
    factory, implied = resolve(name)
    return factory(**{**implied, **options})
