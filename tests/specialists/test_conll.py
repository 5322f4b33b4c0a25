"""CoNLL reader, tag conversion and label maps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tandem.specialists.conll import (
    Sentence,
    group_documents,
    labels_of,
    parse_conll,
    read_conll,
    spans_to_tags,
    tags_to_spans,
    to_iob2,
    write_conll,
)
from tandem.specialists.label_maps import (
    ONTONOTES_TO_CONLL,
    looks_like_conll,
    map_label,
    resolve_label_map,
)

IOB2_TEXT = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP B-NP B-LOC
1996-08-22 CD I-NP O
"""


def test_reads_iob2_with_docstart(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(IOB2_TEXT)
    sentences = read_conll(path)
    assert [s.tokens for s in sentences] == [
        ("EU", "rejects", "German", "call", "."), ("Peter", "Blackburn"), ("BRUSSELS", "1996-08-22")]
    assert sentences[0].tags == ("B-ORG", "O", "B-MISC", "O", "O")
    assert [s.doc for s in sentences] == [0, 0, 1]
    assert sentences[0].spans == [(0, 1, "ORG"), (2, 3, "MISC")]
    assert sentences[1].spans == [(0, 2, "PER")]
    assert [len(d) for d in group_documents(sentences)] == [2, 1]
    assert labels_of(sentences) == ["LOC", "MISC", "ORG", "PER"]


CONLL2003_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def hub_parquet(path: Path, rows: dict[str, list[object]], tag_names: list[str] | None = CONLL2003_TAGS) -> Path:
    """A token-classification dataset as the Hugging Face hub stores it (conll2003: tag ids, names in metadata)."""
    import datasets

    tag = datasets.ClassLabel(names=tag_names) if tag_names else datasets.Value("int64")
    features = datasets.Features({"tokens": datasets.Sequence(datasets.Value("string")),
                                  "ner_tags": datasets.Sequence(tag)})
    datasets.Dataset.from_dict(rows, features=features).to_parquet(str(path))
    return path


def test_reads_a_hugging_face_parquet_file_with_tag_names_from_its_metadata(tmp_path: Path) -> None:
    path = hub_parquet(tmp_path / "test-00000-of-00001.parquet", {
        "tokens": [["EU", "rejects", "German", "call"], ["Peter", "Blackburn"], ["-DOCSTART-"], ["BRUSSELS"]],
        "ner_tags": [[3, 0, 7, 0], [1, 2], [0], [5]]})
    sentences = read_conll(path)
    assert [s.tokens for s in sentences] == [("EU", "rejects", "German", "call"), ("Peter", "Blackburn"),
                                             ("BRUSSELS",)]
    assert sentences[0].tags == ("B-ORG", "O", "B-MISC", "O") and sentences[1].spans == [(0, 2, "PER")]
    assert [s.doc for s in sentences] == [0, 0, 1]
    nameless = hub_parquet(tmp_path / "ids.parquet", {"tokens": [["EU"]], "ner_tags": [[3]]}, tag_names=None)
    with pytest.raises(ValueError, match="row 1's tags are not names"):
        read_conll(nameless)
    uneven = hub_parquet(tmp_path / "uneven.parquet", {"tokens": [["EU", "x"]], "ner_tags": [[3]]})
    with pytest.raises(ValueError, match="row 1 has 2 tokens but 1 tags"):
        read_conll(uneven)


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text(IOB2_TEXT)
    sentences = read_conll(source)
    copy = write_conll(sentences[1:], tmp_path / "b.txt")
    again = read_conll(copy)
    assert [(s.tokens, s.tags) for s in again] == [(s.tokens, s.tags) for s in sentences[1:]]
    assert [s.doc for s in again] == [0, 1]  # document boundaries kept (renumbered from 0)


def test_iob1_is_converted_to_iob2() -> None:
    # IOB1: I- starts an entity unless it continues one of the same label; B- only between neighbours
    tags = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG", "I-LOC"]
    assert to_iob2(tags) == ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "B-ORG", "B-LOC"]
    assert tags_to_spans(tags) == [(0, 2, "PER"), (3, 4, "LOC"), (4, 5, "LOC"), (5, 6, "ORG"), (6, 7, "LOC")]


def test_bioes_and_tab_separated() -> None:
    lines = ["New\tB-LOC", "York\tE-LOC", "and\tO", "Paris\tS-LOC", "Paris\tS-LOC", ""]
    (sentence,) = parse_conll(lines)
    assert sentence.tags == ("B-LOC", "I-LOC", "O", "B-LOC", "B-LOC")
    assert sentence.spans == [(0, 2, "LOC"), (3, 4, "LOC"), (4, 5, "LOC")]


def test_spans_to_tags_round_trip() -> None:
    spans = [(0, 2, "PER"), (2, 3, "PER"), (4, 5, "MISC")]
    tags = spans_to_tags(5, spans)
    assert tags == ["B-PER", "I-PER", "B-PER", "O", "B-MISC"]
    assert tags_to_spans(tags) == spans
    with pytest.raises(ValueError):
        spans_to_tags(2, [(1, 3, "PER")])


def test_sentence_without_trailing_blank_line_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "b.txt"
    path.write_bytes(b"Obama B-PER\r\nspoke O\r\n\r\nHi O")
    sentences = read_conll(path)
    assert [s.tokens for s in sentences] == [("Obama", "spoke"), ("Hi",)]
    assert sentences[1].spans == []


@pytest.mark.parametrize("content", ["", "\n\n", "-DOCSTART- -X- -X- O\n\n"])
def test_empty_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.txt"
    path.write_text(content)
    with pytest.raises(ValueError, match="no sentences"):
        read_conll(path)


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not found"):
        read_conll(tmp_path / "missing.txt")
    one_column = tmp_path / "one.txt"
    one_column.write_text("token\n")
    with pytest.raises(ValueError, match="one.txt:1"):
        read_conll(one_column)
    bad_tag = tmp_path / "tag.txt"
    bad_tag.write_text("Paris LOCATION\n")
    with pytest.raises(ValueError, match="not an IOB tag"):
        read_conll(bad_tag)
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00abc O\n")
    with pytest.raises(ValueError, match="UTF-8"):
        read_conll(binary)


def test_sentence_is_hashable_value() -> None:
    assert Sentence(("a",), ("O",)) == Sentence(("a",), ("O",))


# -- label maps ------------------------------------------------------------------------------------

def test_builtin_ontonotes_map() -> None:
    mapping = resolve_label_map("ontonotes-to-conll")
    assert mapping == ONTONOTES_TO_CONLL
    assert mapping is not ONTONOTES_TO_CONLL  # a copy: callers may change it
    assert map_label("GPE", mapping) == "LOC"
    assert map_label("FAC", mapping) == "LOC"
    assert map_label("LAW", mapping) == "MISC"
    assert map_label("DATE", mapping) is None  # dropped
    assert map_label("DATE", None) == "DATE"


def test_inline_and_json_maps(tmp_path: Path) -> None:
    assert resolve_label_map("PERSON=PER, GPE=LOC") == {"PERSON": "PER", "GPE": "LOC"}
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"PERSON": "PER"}))
    assert resolve_label_map(str(path)) == {"PERSON": "PER"}
    assert resolve_label_map(None) is None
    assert resolve_label_map("  ") is None


def test_bad_label_maps(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown label map"):
        resolve_label_map("ontonotes-to-nowhere")
    with pytest.raises(ValueError, match="FROM=TO"):
        resolve_label_map("PERSON=PER,GPE")
    with pytest.raises(ValueError, match="not found"):
        resolve_label_map(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        resolve_label_map(str(bad))


def test_looks_like_conll() -> None:
    assert looks_like_conll(["PER", "LOC"])
    assert not looks_like_conll(["PER", "person"])
    assert not looks_like_conll([])


@pytest.mark.datasets
def test_reads_shared_conll_dev(datasets_dir: Path) -> None:
    sentences = read_conll(datasets_dir / "conll2003" / "dev.txt")
    assert len(sentences) == 3250
    assert len(group_documents(sentences)) == 216
    assert labels_of(sentences) == ["LOC", "MISC", "ORG", "PER"]
    assert sum(len(s.spans) for s in sentences) == 5942  # the published dev entity count
