"""Teacher labels as training files: character spans → IOB2 on spaCy tokens, the TSV, the learnable check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tandem.specialists.conll import read_conll
from tandem.specialists.distill.dataset import (
    NothingToLearnError,
    check_learnable,
    iob_tags,
    write_conll,
    write_tsv,
)
from tandem.specialists.distill.labelling import Example
from tandem.specialists.training.classify_data import read_labelled
from tandem.stages.contracts import Entity


def entity(text: str, mention: str, label: str) -> Entity:
    start = text.index(mention)
    return Entity(start=start, end=start + len(mention), label=label, text=mention)


def test_iob_tags_from_character_spans() -> None:
    tokens = [(0, 6, "Angela"), (7, 13, "Merkel"), (14, 21, "visited"), (22, 29, "Seattle"), (29, 30, ".")]
    text = "Angela Merkel visited Seattle."
    tags, dropped = iob_tags(tokens, [entity(text, "Seattle", "LOC"), entity(text, "Angela Merkel", "PER")])
    assert tags == ["B-PER", "I-PER", "O", "B-LOC", "O"] and dropped == 0
    # a span inside a token tags the token; spans are placed in text order, a later one that overlaps a
    # tagged token is dropped
    tags, dropped = iob_tags(tokens, [Entity(start=23, end=25, label="LOC", text="ea"),
                                      Entity(start=0, end=13, label="PER", text="Angela Merkel"),
                                      Entity(start=7, end=21, label="X", text="Merkel visited")])
    assert tags == ["B-PER", "I-PER", "O", "B-LOC", "O"] and dropped == 1


def test_write_conll_reads_back(tmp_path: Path) -> None:
    text = "Angela Merkel visited  Seattle."
    examples = [Example(text=text, entities=[entity(text, "Angela Merkel", "PER"), entity(text, "Seattle", "LOC")]),
                Example(text="Nothing to see here.")]
    path, dropped = write_conll(examples, tmp_path / "d.conll")
    sentences = read_conll(path)
    assert dropped == 0 and len(sentences) == 2
    assert sentences[0].tokens == ("Angela", "Merkel", "visited", "Seattle", ".")
    assert sentences[0].spans == [(0, 2, "PER"), (3, 4, "LOC")] and sentences[1].spans == []


def test_write_tsv_reads_back(tmp_path: Path) -> None:
    examples = [Example(text='He said "hi"\tthen\nleft', label="ham"), Example(text="WIN", label="spam")]
    data = read_labelled(write_tsv(examples, tmp_path / "d.tsv"))
    assert data.texts == ['He said "hi" then left', "WIN"] and data.labels == ["ham", "spam"]


def test_fewer_than_two_labels_or_no_entity_is_nothing_to_learn() -> None:
    with pytest.raises(NothingToLearnError, match="fewer than two labels.*'spam' \\(2\\)"):
        check_learnable("classify", [Example(text="a", label="spam"), Example(text="b", label="spam")])
    with pytest.raises(NothingToLearnError, match="no entity"):
        check_learnable("ner", [Example(text="a")])
    check_learnable("classify", [Example(text="a", label="spam"), Example(text="b", label="ham")])
    check_learnable("ner", [Example(text="Bob", entities=[Entity(start=0, end=3, label="PER", text="Bob")])])
