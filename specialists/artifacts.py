"""Trained artifacts: where they live and their model cards.

An artifact is a folder ``<models_dir>/<name>/`` holding weights in a non-executable format
(safetensors, JSON, spaCy's own format) and ``model_card.json``. ``models_dir`` is ``--models-dir``,
else ``TANDEM_MODELS_DIR``, else ``./models``.

Names: :func:`artifact_name` reads the artifact out of a specialist name (``classify.spam`` →
``spam``), :func:`check_name` vets it. Folders are written beside their final place and swapped in
(:func:`staged_folder`, :func:`replace_folder`), so a crash never leaves half an artifact.

Safety at load (:func:`load_card`): the name must be a plain name (never a path); the artifact folder must
not be a symlink out of the models folder, nor hold one that leads out of the artifact; and the card's
``files`` (the sha256 of every file, recorded by :func:`save_card`) must match the folder: a file changed
or missing since training is refused (:class:`TamperedArtifactError`). Cards written before
``files`` existed load without that check.

What the hashes protect: an artifact corrupted, partly copied or mixed up with another since training. What
they do not: anyone who can write the folder can rewrite the card too. For tamper evidence, pin the card's
digest where that writer cannot reach (the pipeline's repository, a deployment's settings):
``tandem run --expect-sha256 NAME=<sha256 of model_card.json>`` refuses the run (exit 2, before any
document) when the card differs (:func:`check_pinned_digest`); the card lists the sha256 of every file, so
one digest covers every byte the loader reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from tandem.settings import settings
from tandem.specialists.registry import resolve_folder

CARD_FILE = "model_card.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}(@[0-9]{1,6})?$")


class UnknownArtifactError(LookupError):
    pass


class UnsafeArtifactError(ValueError):
    """An artifact that reaches outside its folder through a symbolic link."""


class TamperedArtifactError(ValueError):
    """An artifact whose files no longer match the sha256 sums its model card recorded at training."""


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
    #: which model :attr:`metrics` describe and on which rows, in words (e.g. the saved model on rows it never
    #: saw, or the model trained before a refit on every row); None on cards written before it existed
    metrics_of: str | None = None
    #: set for a student trained on a teacher's labels (``tandem distill``); None for ``tandem train``
    distillation: Distillation | None = None
    #: sha256 of every file of the artifact but the card (path relative to the folder, with ``/``), written by
    #: :func:`save_card` and checked by :func:`load_card`; None on cards written before it existed (not checked)
    files: dict[str, str] | None = None
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


def models_dir(override: str | Path | None = None) -> Path:
    return Path(override or settings().models_dir)


def check_name(name: str) -> str:
    """``name`` when it is a plain artifact name; a ValueError for anything that could be read as a path
    (separators, ``..``, an absolute path, a NUL byte or a newline)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"invalid artifact name {name!r}: an artifact name is not a path; use up to 64 letters, "
                         "digits, '.', '_' or '-', starting with a letter or digit (and @N for a version)")
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


def _entries(folder: Path) -> list[Path]:
    """Every file, folder and link under ``folder``, relative to it; symbolic links are not followed."""
    found: list[Path] = []
    for parent, dirs, files in os.walk(folder, followlinks=False):
        base = Path(parent).relative_to(folder)
        found.extend(base / entry for entry in sorted(dirs + files))
    return found


def data_sha256(path: str | Path) -> str:
    """The sha256 of a data file, or of a data folder: each file's relative path and sha256, in path order."""
    path = Path(path)
    if not path.is_dir():
        return file_sha256(path)
    digest = hashlib.sha256()
    for relative, sha256 in _file_sums(path).items():
        digest.update(f"{relative}\0{sha256}\n".encode())
    return digest.hexdigest()


def _file_sums(folder: Path, keep: Callable[[Path], bool] = lambda _relative: True) -> dict[str, str]:
    """``relative path → sha256`` of the files under ``folder`` (links not followed) that ``keep``, in path order."""
    return {rel.as_posix(): file_sha256(folder / rel) for rel in _entries(folder)
            if keep(rel) and (folder / rel).is_file()}


def _recorded(relative: Path) -> bool:
    """Whether the card records this file: all but the card itself and hidden leftovers (``.spacy.old``,
    temporary folders of :func:`staged_folder`), which no loader reads."""
    return relative != Path(CARD_FILE) and not any(part.startswith(".") for part in relative.parts)


def artifact_files(folder: Path) -> dict[str, str]:
    """``relative path → sha256`` of the files of ``folder`` a card records (see :attr:`ModelCard.files`)."""
    return _file_sums(folder, _recorded)


def save_card(card: ModelCard, folder: Path) -> Path:
    """Write ``card`` into ``folder`` once the artifact's files are all there: their sha256 sums are recorded
    in ``card.files`` (set on ``card`` itself, so the caller's card is the one saved)."""
    folder.mkdir(parents=True, exist_ok=True)
    card.files = artifact_files(folder)
    path = folder / CARD_FILE
    path.write_text(json.dumps(card.model_dump(mode="json"), indent=2) + "\n")
    return path


def check_links(folder: Path, root: Path) -> None:
    """Refuse an artifact ``folder`` that is a symlink out of the models folder ``root``, or that holds a
    symlink leading out of the artifact (:class:`UnsafeArtifactError`, naming the link)."""
    real_root = root.resolve()
    real = folder.resolve()
    if real == real_root or not real.is_relative_to(real_root):
        raise UnsafeArtifactError(f"{folder} is a symbolic link to {real}, outside the models folder {real_root}; "
                                  "an artifact must live in the models folder: copy it there or retrain it")
    for rel in _entries(folder):
        path = folder / rel
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(real):
                raise UnsafeArtifactError(f"{path} is a symbolic link to {target}, outside the artifact folder "
                                          f"{real}; an artifact must hold its own files: copy them in or retrain")


def verify_files(card: ModelCard, folder: Path) -> None:
    """Refuse (:class:`TamperedArtifactError`, naming the file) an artifact whose files differ from the sha256
    sums of ``card.files``: a file changed or missing since training (a file added later is never read by a
    loader: it is left alone). No check when the card predates ``files`` (None)."""
    if card.files is None:
        return
    real = folder.resolve()
    advice = "the artifact was modified after training — retrain it or restore the file"
    for rel in card.files:
        path = folder / rel
        if Path(rel).is_absolute() or not path.resolve().is_relative_to(real):
            raise TamperedArtifactError(f"{folder / CARD_FILE} lists {rel!r}, a file outside the artifact; {advice}")
        if not path.is_file():
            raise TamperedArtifactError(f"{path}: listed in {CARD_FILE} but missing; {advice}")
    for rel, expected in card.files.items():  # the cheap checks first, then the hashes
        if file_sha256(folder / rel) != expected:
            raise TamperedArtifactError(f"{folder / rel}: its sha256 differs from the one in {CARD_FILE}; {advice}")


def card_digest(name: str, directory: str | Path | None = None) -> str:
    """The sha256 of artifact ``name``'s ``model_card.json`` (what ``sha256sum models/NAME/model_card.json``
    prints): the digest a user pins (:func:`check_pinned_digest`)."""
    return file_sha256(artifact_dir(resolve_folder(models_dir(directory), check_name(name)), directory) / CARD_FILE)


def parse_pins(pins: list[str]) -> dict[str, str]:
    """``NAME=SHA256`` strings (``--expect-sha256``) as a mapping; a ValueError naming the bad one."""
    parsed: dict[str, str] = {}
    for pin in pins:
        name, sep, digest = pin.partition("=")
        digest = digest.strip().lower()
        if not sep or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"--expect-sha256 {pin!r}: expected NAME=<64 hex digits> (the sha256 of "
                             "models/NAME/model_card.json, e.g. from 'sha256sum')")
        parsed[check_name(name.strip())] = digest
    return parsed


def check_pinned_digest(name: str, expected: str, directory: str | Path | None = None) -> None:
    """Refuse (:class:`TamperedArtifactError`) artifact ``name`` unless its card's sha256 is ``expected``
    and every file matches the card (so the pin covers the weights too); a card with no ``files`` cannot be
    pinned."""
    card, folder = load_card(name, directory)
    if card.files is None:
        raise TamperedArtifactError(f"artifact {name!r}: its card lists no file hashes (written before they "
                                    "existed), so a pinned digest cannot cover its weights; retrain it")
    actual = file_sha256(folder / CARD_FILE)
    if actual != expected:
        raise TamperedArtifactError(f"artifact {name!r}: {folder / CARD_FILE} has sha256 {actual}, not the "
                                    f"pinned {expected}; the artifact changed since it was pinned")


def load_card(name: str, directory: str | Path | None = None, kind: str | None = None,
              verify: bool = True) -> tuple[ModelCard, Path]:
    """The card and folder of artifact ``name``; a clear error when it does not exist, when ``name`` is not a
    plain name (ValueError), when the artifact reaches outside its folder by a symlink
    (:class:`UnsafeArtifactError`) or when its files differ from those its card recorded
    (:class:`TamperedArtifactError`; ``verify=False`` skips hashing the files: for reading the card alone, e.g.
    a stage's model id, never before loading weights)."""
    folder = artifact_dir(resolve_folder(models_dir(directory), check_name(name)), directory)
    if folder.is_symlink() or folder.exists():
        check_links(folder, models_dir(directory))
    card_path = folder / CARD_FILE
    if not card_path.is_file():
        known = list_artifacts(directory, kind)
        raise UnknownArtifactError(
            f"no trained artifact named {name!r} in {models_dir(directory).resolve()}"
            + (f"; available: {', '.join(known)}" if known else "; train one with 'tandem train'"))
    card = ModelCard.model_validate_json(card_path.read_text())
    if kind is not None and card.kind != kind:
        raise UnknownArtifactError(f"artifact {name!r} is a {card.kind} model, not {kind}")
    if verify:
        verify_files(card, folder)
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
