"""Artifact helpers: name parsing, the staged folder swap, the classifier's files, data-file reading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tandem.specialists.artifacts import artifact_name, replace_folder, staged_folder
from tandem.specialists.classifier_artifact import (
    CONFIG_FILE,
    FORMAT_VERSION,
    read_classifier_files,
    write_classifier_files,
)
from tandem.specialists.datafiles import read_text_file
from tandem.specialists.legal.options import DEFAULTS, LegalOptions
from tandem.specialists.legal.summarizer import SummarizerConfig


def test_artifact_name_strips_the_family_prefix() -> None:
    assert artifact_name("classify.spam", "classify") == "spam"
    assert artifact_name("classify:spam", "classify") == "spam"
    assert artifact_name("spam", "classify") == "spam"
    assert artifact_name("ner.spacy:conll", "ner.spacy") == "conll"
    assert artifact_name("classify.", "classify") == "classify."


def test_staged_folder_replaces_the_old_folder(tmp_path: Path) -> None:
    final = tmp_path / "models" / "spam"
    with staged_folder(final) as tmp:
        (tmp / "a.txt").write_text("one")
    assert (final / "a.txt").read_text() == "one"
    with staged_folder(final) as tmp:
        (tmp / "b.txt").write_text("two")
    assert sorted(p.name for p in final.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in final.parent.iterdir()) == ["spam"]
    assert final.stat().st_mode & 0o777 == 0o755
    assert (final / "b.txt").stat().st_mode & 0o777 == 0o644


def test_staged_folder_keeps_the_old_folder_on_error(tmp_path: Path) -> None:
    final = tmp_path / "spam"
    final.mkdir()
    (final / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_folder(final) as tmp:
            (tmp / "new.txt").write_text("new")
            raise RuntimeError("training failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spam"]
    assert (final / "old.txt").read_text() == "old"


def test_replace_folder_into_a_new_place(tmp_path: Path) -> None:
    tmp = tmp_path / ".x.tmp"
    tmp.mkdir()
    replace_folder(tmp, tmp_path / "x")
    assert (tmp_path / "x").is_dir() and not tmp.exists()


def test_classifier_files_round_trip(tmp_path: Path) -> None:
    coef = np.arange(6, dtype=np.float32).reshape(1, 6)
    write_classifier_files(tmp_path, labels=["ham", "spam"], blocks=[{"analyzer": "word"}],
                           vocabularies=[["a", "b", "c", "d"]], idfs=[np.ones(4, dtype=np.float32)],
                           embedding_weight=0.0, coef=coef, intercept=np.zeros(1, dtype=np.float32),
                           fine_tuned=False, lexicon="vader", lexicon_weight=3.0)
    files = read_classifier_files(tmp_path)
    assert files.config["format"] == FORMAT_VERSION and files.config["binary"] is True
    assert files.labels == ["ham", "spam"] and files.vocabularies == [["a", "b", "c", "d"]]
    assert not files.fine_tuned and files.normalize
    assert files.lexicon == "vader" and files.lexicon_weight == 3.0
    assert np.array_equal(files.coef, coef) and np.array_equal(files.idfs[0], np.ones(4))


def test_classifier_files_refuse_another_format(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_text('{"format": 99}')
    with pytest.raises(ValueError, match="format 99"):
        read_classifier_files(tmp_path)
    with pytest.raises(ValueError, match="incomplete"):
        read_classifier_files(tmp_path / "missing")


def test_read_text_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="^data file not found"):
        read_text_file(tmp_path / "nope.csv", "data file")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ValueError, match="is not UTF-8 text"):
        read_text_file(bad, "CoNLL file")
    bom = tmp_path / "bom.csv"
    bom.write_text("\ufefftext,label\n", encoding="utf-8")
    assert read_text_file(bom, "data file", encoding="utf-8-sig") == "text,label\n"


def test_summarizer_defaults_are_the_options_defaults() -> None:
    config = SummarizerConfig()
    for name in LegalOptions.model_fields:
        if name != "quantize":
            assert getattr(config, name) == getattr(DEFAULTS, name), name
    assert SummarizerConfig.from_options(LegalOptions.model_validate({"max_words": 80})).max_words == 80
