"""Trained artifacts: where they live and their model cards.

An artifact is a folder ``<models_dir>/<name>/`` holding weights in a non-executable format
(safetensors, JSON, spaCy's own format) and ``model_card.json``. ``models_dir`` is ``--models-dir``,
else ``TANDEM_MODELS_DIR``, else ``./models``.

Names: :func:`artifact_name` reads the artifact out of a specialist name (``classify.spam`` →
``spam``), :func:`check_name` vets it. Folders are written beside their final place and swapped in
(:func:`staged_folder`, :func:`replace_folder`), so a crash never leaves half an artifact.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

CARD_FILE = "model_card.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class UnknownArtifactError(LookupError):
    pass


class Distillation(BaseModel):
    """How a distilled artifact's training data came about (``tandem distill``): the teacher, how it was asked,
    and what survived. ``teacher`` is the ``--llm`` spec as shown (model and URL, never a key)."""

    teacher: str
    teacher_model_id: str
    samples: int = 1
    min_agreement: float = 1.0
    temperature: float | None = None
    unlabeled: list[str] = Field(default_factory=list)
    #: texts the teacher labelled, and what became of them (kept + dropped + invalid = labelled)
    labelled: int = 0
    kept: int = 0
    dropped: int = 0
    invalid: int = 0
    #: answers that failed (of labelled × samples), by failure kind
    invalid_answers: int = 0
    failure_kinds: dict[str, int] = Field(default_factory=dict)
    #: synthetic texts written by the teacher (distinct), and those it labelled as intended (in the data)
    synthesized: int = 0
    synthetic_kept: int = 0
    #: entities the IOB conversion could not place on tokens (ner)
    entities_dropped: int = 0


class ModelCard(BaseModel):
    name: str
    kind: str  # "classify" | "ner"
    base_model: str
    data_path: str
    data_sha256: str
    labels: list[str]
    metrics: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    n_train: int = 0
    n_heldout: int = 0
    #: set for a student trained on a teacher's labels (``tandem distill``); None for ``tandem train``
    distillation: Distillation | None = None
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


def models_dir(override: str | Path | None = None) -> Path:
    return Path(override or os.environ.get("TANDEM_MODELS_DIR") or "models")


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"invalid artifact name {name!r}: use letters, digits, '.', '_' or '-'")
    return name


def artifact_name(specialist: str, family: str) -> str:
    """The artifact a specialist name points at: ``<family>.<name>``, ``<family>:<name>`` or ``<name>``
    → ``<name>`` (``classify.spam`` → ``spam``). A bare family name with nothing after the separator
    is returned unchanged."""
    for separator in (".", ":"):
        prefix = family + separator
        if specialist.startswith(prefix) and len(specialist) > len(prefix):
            return specialist[len(prefix):]
    return specialist


def artifact_dir(name: str, directory: str | Path | None = None) -> Path:
    return models_dir(directory) / check_name(name)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_card(card: ModelCard, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CARD_FILE
    path.write_text(json.dumps(card.model_dump(mode="json"), indent=2) + "\n")
    return path


def load_card(name: str, directory: str | Path | None = None, kind: str | None = None) -> tuple[ModelCard, Path]:
    """The card and folder of artifact ``name``; a clear error when it does not exist."""
    folder = artifact_dir(name, directory)
    card_path = folder / CARD_FILE
    if not card_path.is_file():
        known = list_artifacts(directory, kind)
        raise UnknownArtifactError(
            f"no trained artifact named {name!r} in {models_dir(directory).resolve()}"
            + (f"; available: {', '.join(known)}" if known else "; train one with 'tandem train'"))
    card = ModelCard.model_validate_json(card_path.read_text())
    if kind is not None and card.kind != kind:
        raise UnknownArtifactError(f"artifact {name!r} is a {card.kind} model, not {kind}")
    return card, folder


def list_artifacts(directory: str | Path | None = None, kind: str | None = None) -> list[str]:
    root = models_dir(directory)
    if not root.is_dir():
        return []
    names = []
    for card_path in sorted(root.glob(f"*/{CARD_FILE}")):
        try:
            card = ModelCard.model_validate_json(card_path.read_text())
        except ValueError:
            continue
        if kind is None or card.kind == kind:
            names.append(card.name)
    return names


def replace_folder(tmp: Path, final: Path) -> None:
    """Move the finished folder ``tmp`` to ``final``, replacing what is there.

    Permissions are opened to ``755``/``644`` first (``mkdtemp`` and safetensors create owner-only
    files; an artifact is meant to be shared). An existing ``final`` is renamed aside, ``tmp`` renamed
    into place, then the old copy removed: ``final`` is never missing while a folder was there.
    """
    for path in [tmp, *tmp.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    if final.exists():
        backup = final.with_name(f".{final.name}.old")
        if backup.exists():
            shutil.rmtree(backup)
        final.rename(backup)
        tmp.rename(final)
        shutil.rmtree(backup, ignore_errors=True)
    else:
        tmp.rename(final)


@contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """A temporary folder beside ``final`` to write into; on success it replaces ``final``
    (:func:`replace_folder`), on any exception it is removed and ``final`` is left as it was."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        yield tmp
        replace_folder(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
