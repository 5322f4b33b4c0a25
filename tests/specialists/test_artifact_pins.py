"""A pinned digest (``tandem run --expect-sha256 NAME=SHA256``) catches what the card's own hashes cannot: a
writer who changed a weight and rewrote the card to match."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tandem.cli import app
from tandem.specialists.artifacts import (
    CARD_FILE,
    TamperedArtifactError,
    card_digest,
    check_pinned_digest,
    file_sha256,
    load_card,
    parse_pins,
)
from tandem.specialists.classifier_artifact import HEAD_FILE
from tandem.specialists.training.classify import train_classifier
from tests.specialists.test_classifier import tiny_rows, write_rows

runner = CliRunner()


@pytest.fixture()
def models(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    train_classifier(write_rows(tmp_path / "tiny.tsv", tiny_rows()), "spam", models_dir=folder, features="tfidf",
                     C=10.0)
    return folder


def rewrite_weight_and_card(models: Path) -> None:
    """What a writer with access to the folder can do: change a weight and record its new hash in the card."""
    weights = models / "spam" / HEAD_FILE
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    card = json.loads((models / "spam" / CARD_FILE).read_text())
    card["files"][HEAD_FILE] = file_sha256(weights)
    (models / "spam" / CARD_FILE).write_text(json.dumps(card))


def test_the_digest_is_the_cards_sha256_and_a_matching_pin_passes(models: Path) -> None:
    digest = card_digest("spam", models)
    assert digest == hashlib.sha256((models / "spam" / CARD_FILE).read_bytes()).hexdigest()
    check_pinned_digest("spam", digest, models)


def test_a_consistently_rewritten_artifact_passes_its_card_but_not_the_pin(models: Path) -> None:
    digest = card_digest("spam", models)
    rewrite_weight_and_card(models)
    load_card("spam", models)  # the card's hashes alone cannot tell: the writer updated them
    with pytest.raises(TamperedArtifactError, match="not the pinned"):
        check_pinned_digest("spam", digest, models)


def test_a_card_without_file_hashes_cannot_be_pinned(models: Path) -> None:
    card = json.loads((models / "spam" / CARD_FILE).read_text())
    card["files"] = None
    (models / "spam" / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(TamperedArtifactError, match="lists no file hashes"):
        check_pinned_digest("spam", card_digest("spam", models), models)


@pytest.mark.parametrize("pin", ["spam", "spam=abc", "../x=" + "0" * 64, "spam=" + "g" * 64])
def test_a_malformed_pin_is_a_clear_error(pin: str) -> None:
    with pytest.raises(ValueError):
        parse_pins([pin])


def test_tandem_run_refuses_a_changed_pinned_artifact_before_any_document(models: Path, tmp_path: Path,
                                                                          prefect_harness: None) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"id": "a", "text": "WIN a free prize now"}\n')
    spec = tmp_path / "p.yaml"
    spec.write_text("name: p\nstages:\n  - stage: classify.spam\n    input: text\n")
    digest = card_digest("spam", models)

    def run(db: str) -> tuple[int, str]:
        done = runner.invoke(app, ["run", str(docs), "-p", str(spec), "--models-dir", str(models), "--db",
                                   f"sqlite:///{tmp_path / db}", "--format", "none", "--expect-sha256",
                                   f"spam={digest}"])
        return done.exit_code, done.output

    code, output = run("ok.db")
    assert code == 0, output
    rewrite_weight_and_card(models)
    code, output = run("refused.db")
    assert code == 2 and "not the pinned" in output, output
    assert not (tmp_path / "refused.db").exists()  # refused before the results database was opened
