"""The student: trained by ``tandem train``'s own code on the teacher's kept labels, saved as a normal artifact.

classify: :func:`~tandem.specialists.training.classify.train_classifier` (used as ``classify.<name>``); ner:
:func:`~tandem.specialists.training.ner.train_ner` (used as ``ner.spacy:<name>``). The training file is copied into
the artifact (``distilled.tsv`` / ``distilled.conll``, the card's ``data_path``), and the card gets its
:class:`~tandem.specialists.artifacts.Distillation` record: the teacher, how it was asked and what survived.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from tandem.specialists.artifacts import Distillation, ModelCard, artifact_dir, save_card
from tandem.specialists.distill.labelling import DistillTask


class StudentConfig(BaseModel):
    """How the student is trained (``tandem train``'s settings that matter for a distilled student)."""

    features: str = Field(default="auto", description="classify: head features (auto, tfidf, embedding, hybrid)")
    epochs: int = Field(default=5, ge=1, description="ner: epochs per member")
    members: int = Field(default=3, ge=1, description="ner: weight-averaged members")
    heldout: float | None = Field(default=None, ge=0.0, lt=1.0,
                                  description="share held out for the card's metrics (None: the trainer's default)")
    seed: int = 0


def student_stage_name(task: DistillTask, name: str) -> str:
    """How pipelines name the student: ``classify.<name>`` or ``ner.spacy:<name>``."""
    return f"classify.{name}" if task == "classify" else f"ner.spacy:{name}"


def train_student(task: DistillTask, data: Path, name: str, models_dir: str | Path | None, config: StudentConfig,
                  progress: Callable[[str], None] | None = None) -> ModelCard:
    """Train the student ``name`` on ``data`` (a TSV for classify, CoNLL for ner) with the training code of
    ``tandem train``; returns its card."""
    say = progress or (lambda _message: None)
    if task == "classify":
        from tandem.specialists.training.classify import train_classifier

        # no automatic fine-tuning: a student must stay cheap to train on labels an LLM wrote
        return train_classifier(data, name, models_dir=models_dir, features=config.features, seed=config.seed,
                                progress=say, heldout=0.15 if config.heldout is None else config.heldout,
                                finetune="no")
    from tandem.specialists.training.ner import train_ner

    def on_epoch(epoch: int, total: int, info: dict[str, Any]) -> None:
        say(f"epoch {epoch}/{total}: loss {info.get('loss', 0.0):.1f}")

    return train_ner(data, name, models_dir=models_dir, epochs=config.epochs, members=config.members,
                     seed=config.seed, progress=on_epoch, heldout=0.1 if config.heldout is None else config.heldout)


def mark_distilled(card: ModelCard, models_dir: str | Path | None, data: Path, record: Distillation) -> ModelCard:
    """Copy the training file into the artifact and save the card with its distillation ``record``."""
    folder = artifact_dir(card.name, models_dir)
    kept_copy = folder / data.name
    shutil.copyfile(data, kept_copy)
    kept_copy.chmod(0o644)
    card = card.model_copy(update={"distillation": record, "data_path": str(kept_copy.resolve())})
    save_card(card, folder)
    return card
