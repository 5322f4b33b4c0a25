"""The entry-point registry: lazy, versioned names, artifact families, plugins registered the same way."""

import subprocess
import sys

import pytest

from tandem.stages import registry
from tandem.stages.base import Stage


def test_builtin_stages_come_from_entry_points_with_frozen_versioned_names() -> None:
    points = registry._entry_points()
    for versioned in ("cleanup.v3", "summarize.v1", "ner.spacy.v1", "classify.v1", "summarize.legal.v5",
                      "summarize.lead.v1", "classify.llm.v1", "ner.llm.v1", "summarize.keypoints.v1"):
        assert versioned in points, f"{versioned} is not declared in pyproject.toml"
        cls = registry.stage_class(versioned)
        assert issubclass(cls, Stage) and cls is registry.stage_class(versioned.rsplit(".v", 1)[0])
        assert cls.version == versioned.rsplit(".v", 1)[1], f"{versioned}: class version {cls.version}"


def test_reading_the_registry_imports_no_stage_module() -> None:
    code = ("import sys; from stages import registry; names = registry.registered_names(); "
            "assert names['ner.spacy'] == 'ner.spacy.v1', names; "
            "assert 'tandem.specialists.spacy_ner' not in sys.modules and 'tandem.stages.llm.cleanup' not in sys.modules; "
            "registry.stage_class('ner.spacy'); assert 'tandem.specialists.spacy_ner' in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_unversioned_name_means_the_highest_version() -> None:
    class V2(registry.stage_class("summarize.lead")):  # type: ignore[misc,valid-type]
        version = "2"

    registry.register("summarize.lead.v2", V2)
    try:
        assert registry.stage_class("summarize.lead") is V2
        assert registry.stage_class("summarize.lead.v1") is not V2
    finally:
        registry.unregister("summarize.lead.v2")


def test_artifact_families_take_the_artifact_from_the_name() -> None:
    cls, implied = registry.resolve("classify.spam")
    assert cls.takes_artifact and implied == {"artifact": "spam"}
    assert registry.resolve("ner.spacy:conll")[1] == {"artifact": "conll"}
    assert registry.resolve("ner.spacy.v1:conll")[1] == {"artifact": "conll"}
    assert registry.resolve("classify.llm")[1] == {}  # an exact name wins over an artifact
    with pytest.raises(registry.UnknownStageError, match="unknown stage 'summarize.bogus'"):
        registry.resolve("summarize.bogus")  # summarize takes no artifact


def test_known_names_list_aliases_versions_and_artifact_patterns() -> None:
    known = registry.known_stage_names()
    assert {"cleanup", "cleanup.v3", "ner.spacy", "classify.<artifact>", "ner.spacy:<artifact>"} <= set(known)
