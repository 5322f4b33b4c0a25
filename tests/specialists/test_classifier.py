"""The classify.<name> specialist: reading data, training, the artifact, loading, the stage."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import numpy as np
import pytest

from tandem.specialists.artifacts import UnknownArtifactError
from tandem.specialists.classifier import ClassifierStage, load_classifier, probabilities, split_name
from tandem.specialists.training.classify import train_classifier
from tandem.specialists.training.classify_data import read_labelled, stratified_split
from tandem.stages import registry
from tandem.stages.contracts import Classification, CleanText, DocState, Document

SPAM = ["WIN a FREE prize now, call {n}", "Claim your cash reward, txt {n} to 8{n}",
        "URGENT! You have won £{n}, reply WIN", "Free entry: text STOP to {n} for ringtones"]
HAM = ["see you at {n} for dinner", "ok i will call you later, love", "are we still meeting at {n}?",
       "can you pick up milk on the way home"]


def tiny_rows(n: int = 40, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        if i % 2:
            rows.append(("spam", rng.choice(SPAM).format(n=rng.randint(100, 999))))
        else:
            rows.append(("ham", rng.choice(HAM).format(n=rng.randint(1, 12))))
    return rows


def write_rows(path: Path, rows: list[tuple[str, str]], header: tuple[str, str] = ("label", "text"),
               delimiter: str = "\t") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def tfidf_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny TF-IDF-only classifier (no MiniLM: fast) trained once for the module."""
    root = tmp_path_factory.mktemp("clf")
    data = write_rows(root / "tiny.tsv", tiny_rows())
    train_classifier(data, "tiny", models_dir=root / "models", features="tfidf")
    return root / "models"


# -- reading ----------------------------------------------------------------------------------------
def test_read_tsv_csv_and_sniffed(tmp_path: Path) -> None:
    rows = [("ham", 'he said "hi", then left'), ("spam", "WIN\tnow")]
    tsv = read_labelled(write_rows(tmp_path / "a.tsv", rows))
    assert tsv.texts == ['he said "hi", then left', "WIN\tnow"] and tsv.labels == ["ham", "spam"]
    csv_data = read_labelled(write_rows(tmp_path / "a.csv", rows, delimiter=","))
    assert csv_data.texts == tsv.texts
    sniffed = read_labelled(write_rows(tmp_path / "a.txt", rows, delimiter="\t"))
    assert sniffed.texts == tsv.texts and sniffed.columns == ["label", "text"]
    custom = read_labelled(write_rows(tmp_path / "b.csv", rows, header=("y", "body"), delimiter=","),
                           text_col="body", label_col="y")
    assert custom.labels == ["ham", "spam"]


def test_read_a_parquet_file_with_integer_labels(tmp_path: Path) -> None:
    """A Hugging Face dataset as the hub stores it: Parquet, the label a class id named in the file's metadata (-1:
    no label, as in a test split kept secret); a plain integer column is read as its digits."""
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    hub = tmp_path / "train-00000-of-00001.parquet"
    features = datasets.Features({"sms": datasets.Value("string"), "label": datasets.ClassLabel(names=["ham", "spam"])})
    datasets.Dataset.from_dict({"sms": ["WIN now", "see you", None, "secret"], "label": [1, 0, 0, -1]},
                               features=features).to_parquet(str(hub))
    data = read_labelled(hub, text_col="sms")
    assert data.texts == ["WIN now", "see you"] and data.labels == ["spam", "ham"] and data.skipped == 2
    assert data.columns == ["sms", "label"]
    table = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"text": ["WIN now", "see you"], "label": [1, 0]}), table)
    assert read_labelled(table).labels == ["1", "0"]
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"text": pa.array([], pa.string()), "label": pa.array([], pa.int64())}), empty)
    with pytest.raises(ValueError, match="is empty"):
        read_labelled(empty)
    broken = tmp_path / "broken.parquet"
    broken.write_text("label,text\nham,hi\n")
    with pytest.raises(ValueError, match="cannot read .*broken.parquet as Parquet"):
        read_labelled(broken)


def test_read_skips_rows_without_text_or_label(tmp_path: Path) -> None:
    path = tmp_path / "gaps.tsv"
    path.write_text("label\ttext\nham\thello\n\t no label\nspam\t\nspam\tfree\n\n")
    data = read_labelled(path)
    assert data.texts == ["hello", "free"] and data.skipped == 2


def test_read_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not found"):
        read_labelled(tmp_path / "missing.tsv")
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(ValueError, match="is empty"):
        read_labelled(empty)
    header_only = tmp_path / "header.tsv"
    header_only.write_text("label\ttext\n")
    with pytest.raises(ValueError, match="no usable rows"):
        read_labelled(header_only)
    data = write_rows(tmp_path / "d.tsv", tiny_rows(4))
    with pytest.raises(ValueError, match=r"no label column 'category'.*'label', 'text'"):
        read_labelled(data, label_col="category")
    with pytest.raises(ValueError, match=r"no text column 'body'"):
        read_labelled(data, text_col="body")


def test_single_label_is_refused(tmp_path: Path) -> None:
    data = write_rows(tmp_path / "one.tsv", [("ham", f"hello {i}") for i in range(10)])
    with pytest.raises(ValueError, match="at least 2 different labels"):
        train_classifier(data, "one", models_dir=tmp_path / "models", features="tfidf")
    assert not (tmp_path / "models" / "one").exists()


def test_bad_name_is_refused(tmp_path: Path) -> None:
    data = write_rows(tmp_path / "d.tsv", tiny_rows(10))
    with pytest.raises(ValueError, match="invalid artifact name"):
        train_classifier(data, "../evil", models_dir=tmp_path, features="tfidf")


def test_stratified_split() -> None:
    labels = ["a"] * 20 + ["b"] * 7 + ["c"]
    train, held = stratified_split(labels, 0.15, seed=1)
    assert sorted(train + held) == list(range(len(labels)))
    assert [labels[i] for i in held].count("a") == 3
    assert [labels[i] for i in held].count("b") == 1
    assert "c" not in [labels[i] for i in held]  # a label's last row is never held out
    assert stratified_split(labels, 0.15, seed=1) == (train, held)
    assert stratified_split(labels, 0.0)[1] == []


# -- the model --------------------------------------------------------------------------------------
def test_probabilities_match_sklearn() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5))
    for n_labels in (2, 3):
        y = rng.integers(0, n_labels, size=60)
        model = LogisticRegression().fit(x, y)
        ours = probabilities(x @ model.coef_.T + model.intercept_, n_labels)
        assert np.allclose(ours, model.predict_proba(x), atol=1e-6)


def test_artifact_is_pickle_free_and_roundtrips(tfidf_models: Path, tmp_path: Path) -> None:
    folder = tfidf_models / "tiny"
    assert sorted(p.name for p in folder.iterdir()) == [
        "classifier.json", "head.safetensors", "model_card.json", "vocab.json"]
    card = json.loads((folder / "model_card.json").read_text())
    assert card["kind"] == "classify" and card["labels"] == ["ham", "spam"]
    assert card["n_heldout"] == 6 and card["metrics"]["accuracy"] >= 0.8
    assert card["params"]["features"] == "tfidf"
    # the stored vocabulary + idf reproduce scikit-learn's fitted vectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer

    from tandem.specialists.training.classify_head import DEFAULT_BLOCKS, fit_featurizer

    texts = [t for _, t in tiny_rows()]
    featurizer, _, _ = fit_featurizer(texts, list(DEFAULT_BLOCKS), 0.0, None)
    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), min_df=2, sublinear_tf=True).fit(texts)
    ours = featurizer.vectorizers[0].transform(["free prize", "see you"]).toarray()
    assert np.allclose(ours, reference.transform(["free prize", "see you"]).toarray(), atol=1e-6)


def test_load_and_predict(tfidf_models: Path) -> None:
    clf = load_classifier("tiny", tfidf_models)
    assert clf.labels == ["ham", "spam"]
    out = clf.predict(["WIN a FREE prize now, call 555", "are we still meeting at 7?"])
    assert [o.label for o in out] == ["spam", "ham"]
    assert all(isinstance(o, Classification) for o in out)
    assert out[0].score == max(out[0].scores.values())
    assert sum(out[0].scores.values()) == pytest.approx(1.0, abs=1e-5)
    assert clf.predict([]) == []
    assert load_classifier("classify.tiny", tfidf_models).labels == clf.labels


def test_unknown_artifact(tfidf_models: Path) -> None:
    with pytest.raises(UnknownArtifactError, match=r"no trained artifact named 'nope'.*available: tiny"):
        load_classifier("nope", tfidf_models)


def test_stage_through_registry(tfidf_models: Path) -> None:
    stage = registry.create("classify.tiny", models_dir=tfidf_models)
    assert isinstance(stage, ClassifierStage)
    assert stage.stage_id == "classify.tiny"
    assert stage.reads == {"clean": CleanText.__mro__[1]}  # TextLike
    assert stage.writes == ("tiny", Classification)
    card = json.loads((tfidf_models / "tiny" / "model_card.json").read_text())
    assert card["data_sha256"][:16] in stage.model_id() and "MiniLM" in stage.model_id()
    assert stage.config() == {}

    def doc(text: str) -> DocState:
        return DocState(document=Document.from_text(text, source="t"), fields={"clean": CleanText(text=text)})

    batch = [doc("URGENT! You have won £500, reply WIN"), doc("   "), doc("ok i will call you later, love")]
    result = stage.run(batch)
    assert set(result.successes) == {batch[0].key, batch[2].key}
    assert result.successes[batch[0].key].label == "spam"
    assert result.successes[batch[2].key].label == "ham"
    assert result.failures[batch[1].key].kind == "empty"
    assert result.failures[batch[1].key].stage == "classify.tiny"
    # a field that is not there is a per-document failure, not an exception
    raw_only = DocState(document=Document.from_text("hello", source="t"))
    assert stage.run([raw_only]).failures[raw_only.key].kind == "upstream_failed"


def test_stage_in_pipeline_gets_models_dir(tfidf_models: Path) -> None:
    from tandem.stages.pipeline_spec import Pipeline

    pipeline = Pipeline.build([{"stage": "classify.tiny", "input": "text", "output": "spam"}],
                              models_dir=str(tfidf_models))
    stage = pipeline.stages[0]
    assert isinstance(stage, ClassifierStage) and stage.options.models_dir == str(tfidf_models)
    assert stage.writes[0] == "spam"
    assert split_name("classify:tiny") == split_name("classify.tiny") == "tiny"


def test_unknown_artifact_stage_is_cheap_then_fails_clearly(tmp_path: Path) -> None:
    stage = registry.create("classify.nothing", models_dir=tmp_path)  # nothing loaded yet
    with pytest.raises(UnknownArtifactError, match="no trained artifact named 'nothing'"):
        stage.load()


def test_retrain_replaces_artifact(tmp_path: Path) -> None:
    data = write_rows(tmp_path / "d.tsv", tiny_rows(30))
    models = tmp_path / "models"
    first = train_classifier(data, "x", models_dir=models, features="tfidf", heldout=0.0)
    assert first.n_heldout == 0 and first.metrics == {}
    second = train_classifier(data, "x", models_dir=models, features="tfidf", seed=1)
    assert second.n_heldout > 0
    assert sorted(p.name for p in models.iterdir()) == ["x"]  # no temporary folders left


def test_the_saved_model_learns_from_every_row_after_the_held_out_part_is_scored(tmp_path: Path) -> None:
    rows = [(label, f"{text} word{i}{i}") for i, (label, text) in enumerate(tiny_rows(40))]
    rows += [(label, f"{text} word{i}{i}") for i, (label, text) in enumerate(tiny_rows(40))]  # each word twice
    data = write_rows(tmp_path / "d.tsv", rows)
    models = tmp_path / "models"
    refit = train_classifier(data, "all", models_dir=models, features="tfidf", heldout=0.3)
    kept = train_classifier(data, "part", models_dir=models, features="tfidf", heldout=0.3, refit=False)
    assert refit.params["refit_on_all_rows"] == "head" and kept.params["refit_on_all_rows"] == "not asked for"
    same = ("accuracy", "macro_f1", "macro_recall", "per_label")  # the card's figures: the model before the refit
    assert {k: refit.metrics[k] for k in same} == {k: kept.metrics[k] for k in same}
    vocabulary = {name: len(load_classifier(name, models).coef[0]) for name in ("all", "part")}
    assert vocabulary["all"] > vocabulary["part"]  # words only the held-out rows had are learned too
    # the card says which model its metrics describe: the saved one, or the one before the refit
    assert kept.metrics_of == f"the model trained on {kept.n_train} rows, scored on {kept.n_heldout} held-out rows " \
        "it never saw: the saved model"
    assert refit.metrics_of is not None and "refit on all 80 rows" in refit.metrics_of
    assert "not scored" in refit.metrics_of and "the saved model" not in refit.metrics_of.split(";")[0]


@pytest.mark.datasets
def test_sms_subset_tfidf(datasets_dir: Path, tmp_path: Path) -> None:
    """A quick sanity check on real data: 600 SMS, TF-IDF head only."""
    data = read_labelled(datasets_dir / "sms_spam" / "train.tsv")
    rows = list(zip(data.labels, data.texts, strict=True))[:600]
    path = write_rows(tmp_path / "sms600.tsv", rows)
    card = train_classifier(path, "sms", models_dir=tmp_path / "models", features="tfidf", C=30.0)
    assert card.metrics["per_label"]["spam"]["f1"] >= 0.8


@pytest.mark.slow
def test_hybrid_with_finetuned_minilm(tmp_path: Path) -> None:
    """MiniLM fine-tuned for one short epoch, saved with safetensors, reloaded int8-quantized."""
    data = write_rows(tmp_path / "d.tsv", tiny_rows(24))
    models = tmp_path / "models"
    card = train_classifier(data, "ft", models_dir=models, finetune=True, epochs=1, features="hybrid", C=10.0)
    assert card.base_model.endswith("+finetuned") and card.params["finetune_stats"]["steps"] >= 1
    # fine-tuned again on every row; the model scored on the held-out part stays as a second member
    assert card.params["refit_on_all_rows"].startswith("encoder and head; ensemble")
    assert card.params["finetune_stats"]["refit"]["steps"] >= 1 and card.params["ensemble_models"] == 2
    for encoder in (models / "ft" / "encoder", models / "ft" / "member.1" / "encoder"):
        assert (encoder / "model.safetensors").is_file() and (encoder / "config.json").is_file()
    assert not list((models / "ft").rglob("*.bin")) and not list((models / "ft").rglob("*.pkl"))
    clf = load_classifier("ft", models)
    assert clf.featurizer.embedding_weight > 0 and len(clf.members) == 1
    texts = ["WIN a FREE prize now, call 555", "can you pick up milk on the way home"]
    averaged = (clf.members[0].predict_proba(texts) + probabilities(clf.decision_function(texts), 2)) / 2
    assert np.allclose(clf.predict_proba(texts), averaged)
    out = clf.predict(["WIN a FREE prize now, call 555", "can you pick up milk on the way home"])
    assert [o.label for o in out] == ["spam", "ham"]
