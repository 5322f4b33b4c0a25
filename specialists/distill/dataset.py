"""The kept examples as the files ``tandem train`` reads, and the check that there is something to learn.

* classify: a TSV with a header ``text<TAB>label`` (:func:`write_tsv`; line breaks and tabs inside a text
  become spaces);
* ner: CoNLL (``token<TAB>tag``, a blank line after each text; :func:`write_conll`). Texts are tokenized with
  spaCy's blank English tokenizer (whitespace tokens skipped) and the teacher's character spans become IOB2
  tags (:func:`iob_tags`): every token that overlaps an entity gets its tag, ``B-`` on the first. An entity
  that covers no token, or only tokens already tagged, is dropped and counted.

:func:`check_learnable` refuses data a student cannot learn from: fewer than two labels (classify), no
entity at all (ner: a recognizer learns ``O`` against at least one entity type).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from tandem.specialists.distill.labelling import DistillTask, Example
from tandem.stages.contracts import Entity

#: a token: (start character, end character, text)
Token = tuple[int, int, str]


class NothingToLearnError(ValueError):
    """The teacher's kept labels cannot train a student (``tandem distill`` exits 2)."""


def label_counts(task: DistillTask, examples: Sequence[Example]) -> dict[str, int]:
    """classify: examples per label; ner: entities per type."""
    if task == "classify":
        counts = Counter(e.label for e in examples if e.label is not None)
    else:
        counts = Counter(ent.label for e in examples for ent in e.entities)
    return dict(sorted(counts.items()))


def check_learnable(task: DistillTask, examples: Sequence[Example]) -> None:
    """Raise :class:`NothingToLearnError` with a readable reason when no student can be trained."""
    counts = label_counts(task, examples)
    if task == "classify" and len(counts) < 2:
        found = ", ".join(f"{label!r} ({n})" for label, n in counts.items()) or "none"
        raise NothingToLearnError(
            f"the teacher gave fewer than two labels to the {len(examples)} kept texts (labels: {found}): a "
            "classifier needs at least two to learn from. Add texts of the other labels, try --synthesize N, "
            "a stronger --teacher, or lower --min-agreement")
    if task == "ner" and not counts:
        raise NothingToLearnError(
            f"the teacher found no entity in the {len(examples)} kept texts: a recognizer needs at least one "
            "entity type to learn from. Add texts that name people, places or organisations, or try a stronger "
            "--teacher")


def one_line(text: str) -> str:
    return " ".join(text.replace("\t", " ").splitlines()).strip()


def write_tsv(examples: Sequence[Example], path: Path) -> Path:
    """``text``/``label`` rows (standard CSV quoting, tab-separated) readable by ``read_labelled``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["text", "label"])
        for example in examples:
            if example.label is not None and one_line(example.text):
                writer.writerow([one_line(example.text), example.label])
    return path


def iob_tags(tokens: Sequence[Token], entities: Sequence[Entity]) -> tuple[list[str], int]:
    """``(IOB2 tag per token, entities dropped)`` for character-offset ``entities`` (pure)."""
    tags = ["O"] * len(tokens)
    dropped = 0
    for entity in sorted(entities, key=lambda e: (e.start, e.end)):
        covered = [i for i, (start, end, _text) in enumerate(tokens) if start < entity.end and end > entity.start]
        if not covered or any(tags[i] != "O" for i in covered):
            dropped += 1
            continue
        tags[covered[0]] = f"B-{entity.label}"
        for i in covered[1:]:
            tags[i] = f"I-{entity.label}"
    return tags, dropped


def tokenize(texts: Sequence[str]) -> list[list[Token]]:
    """spaCy's blank English tokenizer; whitespace tokens are left out."""
    import spacy

    tokenizer = spacy.blank("en").tokenizer
    return [[(t.idx, t.idx + len(t.text), t.text) for t in tokenizer(text) if not t.text.isspace()]
            for text in texts]


def write_conll(examples: Sequence[Example], path: Path) -> tuple[Path, int]:
    """``(path, entities dropped)``: one CoNLL sentence per example (token, tab, IOB2 tag)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dropped = 0
    lines: list[str] = []
    for example, tokens in zip(examples, tokenize([e.text for e in examples])):
        if not tokens:
            continue
        tags, lost = iob_tags(tokens, example.entities)
        dropped += lost
        lines += [f"{text}\t{tag}" for (_s, _e, text), tag in zip(tokens, tags)]
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, dropped


def write_dataset(task: DistillTask, examples: Sequence[Example], folder: Path) -> tuple[Path, int]:
    """The training file for ``task`` in ``folder``: ``(path, entities dropped)`` (0 for classify)."""
    if task == "classify":
        return write_tsv(examples, folder / "distilled.tsv"), 0
    return write_conll(examples, folder / "distilled.conll")
