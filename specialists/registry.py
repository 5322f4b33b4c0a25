"""The model registry: numbered versions of a trained artifact, and which one a pipeline gets.

A name (``spam``) has versions ``spam@1``, ``spam@2``, … (each an artifact folder of the models folder, with its
card and file hashes); ``<models>/.registry/<name>.json`` says which version is *promoted*, and keeps every
version's gold figures and every promotion, refusal and rollback. A pipeline that names ``classify.spam`` gets
the promoted version (:func:`resolve_folder`, used by :func:`tandem.specialists.artifacts.load_card`);
``classify.spam@1`` names a version outright. A name trained before the registry (a plain ``spam`` folder)
becomes version 1 the first time a version is added, without moving a file.

Result keys contain the model id, which differs between versions: a promotion recomputes exactly the documents
the new version has not labelled, and a rollback reuses the old version's stored results.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock
from pydantic import BaseModel, Field

REGISTRY_DIR = ".registry"
#: the reason of the event that makes a folder trained before the registry its version 1 (and promoted)
ADOPTED = "trained before the registry"
_VERSIONED = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]{0,63})@(?P<version>[0-9]{1,6})$")


class RegistryError(ValueError):
    """A version or name the registry does not hold, or a step it cannot take (exit 2 in the CLI)."""


class ModelVersion(BaseModel):
    version: int
    folder: str
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    #: the gold set's figures for this version (macro F1 and friends), when it was measured
    gold: dict[str, Any] = Field(default_factory=dict)
    #: what it was trained on: labels by source kind, the user's file, rows
    trained_on: dict[str, Any] = Field(default_factory=dict)
    #: the cascade threshold chosen for this version (the same quality of kept answers as its champion's)
    cascade_threshold: float | None = None
    #: the share of the gold documents this version sends to the LLM at that threshold
    llm_share: float | None = None


class RegistryEvent(BaseModel):
    at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    action: str  # register | promote | refuse | rollback
    version: int
    previous: int | None = None
    reason: str = ""


class ModelEntry(BaseModel):
    name: str
    promoted: int | None = None
    versions: list[ModelVersion] = Field(default_factory=list)
    events: list[RegistryEvent] = Field(default_factory=list)

    def version(self, number: int) -> ModelVersion:
        for version in self.versions:
            if version.version == number:
                return version
        raise RegistryError(f"{self.name} has no version {number} (versions: "
                            f"{', '.join(str(v.version) for v in self.versions) or 'none'})")


def split_version(name: str) -> tuple[str, int | None]:
    """``spam@2`` → ``("spam", 2)``; ``spam`` → ``("spam", None)``."""
    match = _VERSIONED.fullmatch(name)
    return (match["name"], int(match["version"])) if match else (name, None)


def _path(root: Path, name: str) -> Path:
    return root / REGISTRY_DIR / f"{name}.json"


def read_entry(root: Path, name: str) -> ModelEntry | None:
    path = _path(root, name)
    return ModelEntry.model_validate_json(path.read_text()) if path.is_file() else None


def _write(root: Path, entry: ModelEntry) -> None:
    path = _path(root, entry.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{entry.name}.")
    with os.fdopen(handle, "w") as stream:
        stream.write(entry.model_dump_json(indent=2) + "\n")
    os.replace(tmp, path)


def _locked(root: Path, name: str) -> FileLock:
    (root / REGISTRY_DIR).mkdir(parents=True, exist_ok=True)
    return FileLock(str(_path(root, name)) + ".lock", timeout=60)


def resolve_folder(root: Path, name: str) -> str:
    """The folder a name loads: ``name@N`` itself, the promoted version of a registered name, else ``name``."""
    base, version = split_version(name)
    entry = read_entry(root, base)
    if entry is None:
        return name
    if version is not None:
        held = [v.folder for v in entry.versions if v.version == version]
        return held[0] if held else name
    return name if entry.promoted is None else entry.version(entry.promoted).folder


def next_version(root: Path, name: str) -> tuple[str, int]:
    """The folder name and number of ``name``'s next version (``spam@3``): one more than any it has."""
    entry = read_entry(root, name)
    used = [v.version for v in entry.versions] if entry else []
    if entry is None and (root / name / "model_card.json").is_file():
        used = [1]  # the plain folder will become version 1
    number = max(used, default=0) + 1
    return f"{name}@{number}", number


def register(root: Path, name: str, folder: str, number: int, **details: Any) -> ModelEntry:
    """Add version ``number`` (in ``folder``) to ``name``; a plain ``name`` folder trained before becomes version 1
    and the promoted one (it is what pipelines were using)."""
    with _locked(root, name):
        entry = read_entry(root, name) or ModelEntry(name=name)
        if not entry.versions and (root / name / "model_card.json").is_file():
            entry.versions.append(ModelVersion(version=1, folder=name))
            entry.promoted = 1
            entry.events.append(RegistryEvent(action="register", version=1, reason=ADOPTED))
        entry.versions = [v for v in entry.versions if v.version != number]
        entry.versions.append(ModelVersion(version=number, folder=folder, **details))
        entry.versions.sort(key=lambda v: v.version)
        entry.events.append(RegistryEvent(action="register", version=number))
        _write(root, entry)
        return entry


def update_version(root: Path, name: str, number: int, **details: Any) -> ModelEntry:
    with _locked(root, name):
        entry = _existing(root, name)
        version = entry.version(number)
        for key, value in details.items():
            setattr(version, key, value)
        _write(root, entry)
        return entry


def _existing(root: Path, name: str) -> ModelEntry:
    entry = read_entry(root, name)
    if entry is None:
        raise RegistryError(f"no registered model {name!r} in {root} (versions are added by "
                            "tandem distill ... --from-labels)")
    return entry


def promote(root: Path, name: str, number: int, reason: str = "") -> ModelEntry:
    """Make version ``number`` the one pipelines get."""
    with _locked(root, name):
        entry = _existing(root, name)
        entry.version(number)
        entry.events.append(RegistryEvent(action="promote", version=number, previous=entry.promoted, reason=reason))
        entry.promoted = number
        _write(root, entry)
        return entry


def record_refusal(root: Path, name: str, number: int, reason: str) -> ModelEntry:
    with _locked(root, name):
        entry = _existing(root, name)
        entry.events.append(RegistryEvent(action="refuse", version=number, previous=entry.promoted, reason=reason))
        _write(root, entry)
        return entry


def promotion_stack(entry: ModelEntry) -> list[int]:
    """The versions promoted in turn, a rollback taking the last one off: the last is the promoted version."""
    stack: list[int] = []
    for event in entry.events:
        if event.action == "promote" or (event.action == "register" and event.reason == ADOPTED):
            stack.append(event.version)
        elif event.action == "rollback" and stack:
            stack.pop()
    return stack


def rollback(root: Path, name: str) -> ModelEntry:
    """Return ``name`` to the version promoted before the current one."""
    with _locked(root, name):
        entry = _existing(root, name)
        stack = promotion_stack(entry)
        if len(stack) < 2:
            raise RegistryError(f"{name}@{entry.promoted} has no earlier promoted version to roll back to")
        entry.events.append(RegistryEvent(action="rollback", version=stack[-2], previous=entry.promoted))
        entry.promoted = stack[-2]
        _write(root, entry)
        return entry


def registry_stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when any promotion, refusal or rollback is written under ``root`` (names, mtimes, sizes)."""
    folder = root / REGISTRY_DIR
    if not folder.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.glob("*.json")))


def list_entries(root: Path) -> list[ModelEntry]:
    folder = root / REGISTRY_DIR
    if not folder.is_dir():
        return []
    return [ModelEntry.model_validate(json.loads(path.read_text())) for path in sorted(folder.glob("*.json"))]
