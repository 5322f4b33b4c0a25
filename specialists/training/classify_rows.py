"""Steps 1 and 2 of classifier training (see :mod:`tandem.specialists.training.classify`): the labelled file
read, its sources planned (:mod:`~tandem.specialists.training.classify_sources`) and a stratified share of the
complete sources' rows held out for the model card."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tandem.specialists.classifier import normalize_text
from tandem.specialists.training.classify_data import read_labelled, stratified_split
from tandem.specialists.training.classify_head import MIN_ROWS_FOR_SELECTION
from tandem.specialists.training.classify_sources import SourcePlan, plan_sources


@dataclass
class TrainingRows:
    """The file's rows, normalized, in a training and a held-out part. The training part has the complete
    sources' rows first (``n_complete`` of them), then the partial sources' rows (never held out)."""

    path: Path
    counts: Counter[str]
    plan: SourcePlan | None
    train_texts: list[str]
    train_labels: list[str]
    train_sources: list[str]
    n_complete: int
    held_texts: list[str]
    held_labels: list[str]
    held_sources: list[str]
    #: enough complete rows (and of each label) to cross-validate the head's options
    can_select: bool


def read_training_rows(path: Path, text_col: str, label_col: str, source_col: str | None, heldout: float,
                       seed: int, say: Callable[[str], None]) -> TrainingRows:
    """Read ``path``, plan its sources and hold out a stratified share (``heldout``) of the complete sources'
    rows; ``say`` tells what was read. Raises ValueError for unreadable data or fewer than two labels."""
    dataset = read_labelled(path, text_col, label_col, source_col=source_col,
                            require_source=source_col not in (None, "source"))
    counts = Counter(dataset.labels)
    if len(counts) < 2:
        raise ValueError(f"need at least 2 different labels to train a classifier; {path} has "
                         f"{len(counts)}: {', '.join(repr(k) for k in counts)}")
    say(f"read {len(dataset.texts)} rows from {path} ({', '.join(f'{k}: {v}' for k, v in sorted(counts.items()))})"
        + (f"; skipped {dataset.skipped} rows without text or label" if dataset.skipped else ""))
    sources = dataset.sources or ["data"] * len(dataset.texts)
    plan = plan_sources(dataset.labels, dataset.sources)
    if plan is not None:
        say(plan.describe())
    partial = set(plan.partial) if plan is not None else set()
    complete_rows = [i for i, s in enumerate(sources) if s not in partial]
    train_pos, held_pos = stratified_split([dataset.labels[i] for i in complete_rows], heldout, seed)
    train_idx = [complete_rows[i] for i in train_pos] + [i for i, s in enumerate(sources) if s in partial]
    held_idx = [complete_rows[i] for i in held_pos]
    texts = [normalize_text(t) for t in dataset.texts]
    train_labels = [dataset.labels[i] for i in train_idx]
    n_complete = len(train_pos)  # the complete sources' rows come first in train_idx
    return TrainingRows(
        path=path, counts=counts, plan=plan, train_texts=[texts[i] for i in train_idx], train_labels=train_labels,
        train_sources=[sources[i] for i in train_idx], n_complete=n_complete,
        held_texts=[texts[i] for i in held_idx], held_labels=[dataset.labels[i] for i in held_idx],
        held_sources=[sources[i] for i in held_idx],
        can_select=n_complete >= MIN_ROWS_FOR_SELECTION and min(Counter(train_labels[:n_complete]).values()) >= 3)
