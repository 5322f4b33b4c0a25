"""Nothing let in through an artifact: no pickle, no path for a name, no symlink out, no file changed since training."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest

from tandem.specialists.artifacts import (
    CARD_FILE,
    ModelCard,
    TamperedArtifactError,
    UnsafeArtifactError,
    artifact_dir,
    load_card,
    save_card,
)
from tandem.specialists.classifier import load_classifier
from tandem.specialists.classifier_artifact import CONFIG_FILE, HEAD_FILE, VOCAB_FILE
from tandem.specialists.spacy_ner import spacy_model_location
from tandem.specialists.training.classify import train_classifier
from tandem.stages import registry
from tests.specialists.test_classifier import tiny_rows, write_rows

#: suffixes of formats whose loading can run code (pickle and the torch/joblib formats built on it)
PICKLE_SUFFIXES = {".pkl", ".pickle", ".bin", ".pt", ".pth", ".joblib", ".ckpt", ".npy", ".npz"}


def looks_like_pickle(data: bytes) -> bool:
    """A pickle stream (protocol 2-5: ``\\x80 <protocol>`` ... ``.``) or a zip archive (torch.save, joblib)."""
    return ((data[:1] == b"\x80" and len(data) > 2 and 2 <= data[1] <= 5 and data.rstrip().endswith(b"."))
            or data[:4] == b"PK\x03\x04")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny TF-IDF classifier ``spam`` (no MiniLM: trains in a second), trained once; tests copy it."""
    root = tmp_path_factory.mktemp("safety")
    train_classifier(write_rows(root / "tiny.tsv", tiny_rows()), "spam", models_dir=root / "models",
                     features="tfidf", C=10.0)
    return root / "models" / "spam"


@pytest.fixture()
def models(trained: Path, tmp_path: Path) -> Path:
    """A models folder of this test's own holding a copy of ``spam``, free to tamper with."""
    shutil.copytree(trained, tmp_path / "models" / "spam")
    return tmp_path / "models"


def test_trained_artifact_has_no_pickle_and_its_card_records_every_file(trained: Path) -> None:
    assert looks_like_pickle(pickle.dumps({"a": [1, 2]})) and not looks_like_pickle(b"\x80")  # the detector works
    files = [p for p in trained.rglob("*") if p.is_file()]
    assert files and not [p for p in files if p.suffix.lower() in PICKLE_SUFFIXES]
    assert not [p for p in files if looks_like_pickle(p.read_bytes())]
    card = json.loads((trained / CARD_FILE).read_text())
    assert sorted(card["files"]) == sorted(p.relative_to(trained).as_posix() for p in files if p.name != CARD_FILE)
    assert sorted(card["files"]) == [CONFIG_FILE, HEAD_FILE, VOCAB_FILE]
    assert all(len(digest) == 64 for digest in card["files"].values())


def test_the_returned_card_is_the_saved_one(tmp_path: Path) -> None:
    card = train_classifier(write_rows(tmp_path / "d.tsv", tiny_rows(20)), "x", models_dir=tmp_path / "models",
                            features="tfidf", heldout=0.0)
    assert card.files is not None and set(card.files) == {CONFIG_FILE, HEAD_FILE, VOCAB_FILE}
    assert load_card("x", tmp_path / "models")[0] == card


@pytest.mark.parametrize("name", ["../x", "a/b", "/etc", "..", ".", "a\\b", "..\\x", "a\x00b", "spam\n",
                                  "../../etc/passwd", "~root", ""])
def test_a_name_that_is_a_path_is_refused_at_load(models: Path, name: str) -> None:
    with pytest.raises(ValueError, match="invalid artifact name.*not a path"):
        load_card(name, models)
    with pytest.raises(ValueError, match="invalid artifact name"):
        artifact_dir(name, models)
    with pytest.raises(ValueError, match="invalid artifact name"):
        load_classifier(name, models)
    if name:  # no artifact at all is spaCy's stock model
        with pytest.raises(ValueError, match="invalid artifact name"):
            spacy_model_location(name, models)


@pytest.mark.parametrize("spec", ["classify.../spam", "classify:/etc", "ner.spacy:../models/spam"])
def test_a_path_name_is_refused_by_the_stage_too(models: Path, spec: str) -> None:
    stage = registry.create(spec, models_dir=models)  # construction reads nothing
    with pytest.raises(ValueError, match="invalid artifact name"):
        stage.load()


def test_the_copy_loads_and_predicts(models: Path) -> None:
    card, folder = load_card("spam", models, kind="classify")
    assert card.files is not None and folder == models / "spam"
    assert [c.label for c in load_classifier("spam", models).predict(["WIN a FREE prize now, call 555"])] == ["spam"]


def test_an_artifact_folder_symlinked_out_of_the_models_folder_is_refused(models: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "spam"
    shutil.copytree(models / "spam", elsewhere)
    (models / "evil").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(UnsafeArtifactError, match=r"evil is a symbolic link to .*elsewhere.*outside the models folder"):
        load_card("evil", models)
    with pytest.raises(UnsafeArtifactError, match="evil is a symbolic link"):
        load_classifier("evil", models)
    (models / "dangling").symlink_to(tmp_path / "nowhere", target_is_directory=True)
    with pytest.raises(UnsafeArtifactError, match="dangling is a symbolic link"):
        load_card("dangling", models)


def test_a_symlink_inside_the_models_folder_is_fine(models: Path) -> None:
    (models / "alias").symlink_to(models / "spam", target_is_directory=True)
    assert load_card("alias", models)[0].name == "spam"
    linked_root = models.parent / "linked_models"  # the models folder itself may be a link
    linked_root.symlink_to(models, target_is_directory=True)
    assert load_classifier("spam", linked_root).labels == ["ham", "spam"]


def test_a_file_symlinked_out_of_the_artifact_is_refused(models: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside_vocab.json"
    shutil.copyfile(models / "spam" / VOCAB_FILE, outside)  # same bytes: the hash alone would not notice
    (models / "spam" / VOCAB_FILE).unlink()
    (models / "spam" / VOCAB_FILE).symlink_to(outside)
    with pytest.raises(UnsafeArtifactError, match=rf"spam/{VOCAB_FILE} is a symbolic link to .*outside_vocab\.json"):
        load_card("spam", models)
    with pytest.raises(UnsafeArtifactError, match=VOCAB_FILE):
        load_classifier("spam", models)


def test_a_link_to_a_secret_or_a_folder_out_of_the_artifact_is_refused(models: Path, tmp_path: Path) -> None:
    (models / "spam" / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(UnsafeArtifactError, match=r"spam/passwd is a symbolic link to /etc/passwd"):
        load_card("spam", models)
    (models / "spam" / "passwd").unlink()
    (tmp_path / "dir").mkdir()
    (models / "spam" / "sub").symlink_to(tmp_path / "dir", target_is_directory=True)
    with pytest.raises(UnsafeArtifactError, match="spam/sub is a symbolic link"):
        load_card("spam", models)


def test_a_card_symlinked_out_of_the_artifact_is_refused(models: Path, tmp_path: Path) -> None:
    shutil.move(models / "spam" / CARD_FILE, tmp_path / "card.json")
    (models / "spam" / CARD_FILE).symlink_to(tmp_path / "card.json")
    with pytest.raises(UnsafeArtifactError, match=CARD_FILE):
        load_card("spam", models)


def test_a_flipped_byte_is_refused_naming_the_file(models: Path) -> None:
    head = models / "spam" / HEAD_FILE
    data = bytearray(head.read_bytes())
    data[-1] ^= 0x01  # a weight's last byte: still a valid safetensors file
    head.write_bytes(bytes(data))
    message = (rf"^{models}/spam/{HEAD_FILE}: its sha256 differs from the one in model_card\.json; the artifact "
               "was modified after training — retrain it or restore the file$")
    with pytest.raises(TamperedArtifactError, match=message):
        load_card("spam", models)
    with pytest.raises(TamperedArtifactError, match=HEAD_FILE):
        load_classifier("spam", models)
    stage = registry.create("classify.spam", models_dir=models)
    with pytest.raises(TamperedArtifactError, match=HEAD_FILE):
        stage.load()
    assert issubclass(TamperedArtifactError, ValueError)  # the CLI reports ValueErrors as clear errors


def test_an_edited_json_file_is_refused(models: Path) -> None:
    config_path = models / "spam" / CONFIG_FILE
    config = json.loads(config_path.read_text())
    config["labels"] = ["spam", "ham"]  # labels swapped: every prediction inverted
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    with pytest.raises(TamperedArtifactError, match=rf"spam/{CONFIG_FILE}: its sha256 differs"):
        load_classifier("spam", models)


def test_a_missing_file_is_refused(models: Path) -> None:
    (models / "spam" / VOCAB_FILE).unlink()
    with pytest.raises(TamperedArtifactError, match=rf"spam/{VOCAB_FILE}: listed in model_card\.json but missing"):
        load_card("spam", models)


def test_an_added_file_is_never_read(models: Path) -> None:
    """A file dropped in later (a README, a pickle) is left alone: no loader reads it, the listed files still match."""
    (models / "spam" / "model.pkl").write_bytes(b"\x80\x04K\x01.")
    assert load_classifier("spam", models).predict(["hello"])[0].label in ("spam", "ham")


def test_a_card_listing_a_file_outside_is_refused(models: Path, tmp_path: Path) -> None:
    (tmp_path / "models" / "secret.txt").write_text("x")
    card_path = models / "spam" / CARD_FILE
    card = json.loads(card_path.read_text())
    card["files"]["../secret.txt"] = "0" * 64
    card_path.write_text(json.dumps(card))
    with pytest.raises(TamperedArtifactError, match=r"lists '\.\./secret\.txt', a file outside the artifact"):
        load_card("spam", models)


def test_hidden_leftovers_are_not_recorded_nor_refused(models: Path) -> None:
    (models / "spam" / ".spacy.old").mkdir()  # what an interrupted swap may leave behind
    (models / "spam" / ".spacy.old" / "junk").write_text("x")
    assert load_card("spam", models)[0].files is not None


def test_an_old_card_without_files_still_loads(models: Path) -> None:
    card_path = models / "spam" / CARD_FILE
    card = json.loads(card_path.read_text())
    del card["files"]
    card_path.write_text(json.dumps(card))
    loaded, _ = load_card("spam", models)
    assert loaded.files is None
    assert load_classifier("spam", models).labels == ["ham", "spam"]
    (models / "spam" / "notes.txt").write_text("no record, no check")
    assert load_card("spam", models)[0].files is None
    (models / "evil").symlink_to(models.parent / "elsewhere", target_is_directory=True)
    with pytest.raises(UnsafeArtifactError):  # links are refused without a record too
        load_card("evil", models)


def test_spacy_ner_artifact_records_and_checks_its_files(tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    from tandem.specialists.training.ner import _save

    nlp = spacy.blank("en")
    ner = nlp.add_pipe("ner")
    ner.add_label("PER")
    nlp.initialize()
    models = tmp_path / "models"
    folder = models / "people"
    _save(nlp, "people", folder)
    save_card(ModelCard(name="people", kind="ner", base_model="blank", data_path="d", data_sha256="0",
                        labels=["PER"]), folder)
    card, _ = load_card("people", models, kind="ner")
    assert card.files is not None and "spacy/config.cfg" in card.files and "spacy/ner/model" in card.files
    # spaCy's own format: JSON, cfg, msgpack (also its lookups.bin) and numpy arrays read without pickle
    srsly = pytest.importorskip("srsly")
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix.lower() in PICKLE_SUFFIXES - {".bin"}]
    assert not [p for p in files if looks_like_pickle(p.read_bytes())]
    for path in files:
        if path.suffix == ".bin":
            srsly.msgpack_loads(path.read_bytes())
    assert spacy_model_location("people", models) == str(folder / "spacy")
    weights = folder / "spacy" / "ner" / "model"
    weights.write_bytes(weights.read_bytes() + b"\x00")
    with pytest.raises(TamperedArtifactError, match=r"people/spacy/ner/model: its sha256 differs"):
        spacy_model_location("people", models)


def test_hashing_streams_a_large_file(tmp_path: Path) -> None:
    import hashlib

    from tandem.specialists.artifacts import file_sha256

    big = tmp_path / "big.safetensors"
    block = os.urandom(1 << 20)
    with big.open("wb") as handle:
        for _ in range(8):
            handle.write(block)
    assert file_sha256(big) == hashlib.sha256(block * 8).hexdigest()
