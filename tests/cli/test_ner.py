"""``tandem train ner`` / ``tandem eval ner`` on a tiny Typer app."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tandem.cli.ner import eval_ner_command, train_ner_command
from tests.cli.command_apps import flat, make_app


def ner_app() -> typer.Typer:
    return make_app(train={"ner": train_ner_command}, evaluate={"ner": eval_ner_command})


def tiny_conll(path: Path, n_docs: int = 6, per_doc: int = 5) -> Path:
    rng = random.Random(0)
    people, places = [["Anna", "Schmidt"], ["John", "Miller"], ["Ken"]], [["Paris"], ["New", "York"]]
    lines: list[str] = []
    for _ in range(n_docs):
        lines += ["-DOCSTART- -X- -X- O", ""]
        for _ in range(per_doc):
            person, place = rng.choice(people), rng.choice(places)
            lines += [f"{t}\t{'B' if i == 0 else 'I'}-PER" for i, t in enumerate(person)]
            lines += ["flew\tO", "to\tO"]
            lines += [f"{t}\t{'B' if i == 0 else 'I'}-LOC" for i, t in enumerate(place)]
            lines += [".\tO", ""]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_help_lists_options() -> None:
    runner = CliRunner()
    app = ner_app()
    result = runner.invoke(app, ["train", "ner", "--help"])
    assert result.exit_code == 0
    assert "--data" in result.output and "--base" in result.output and "--models-dir" in result.output
    result = runner.invoke(app, ["eval", "ner", "--help"])
    assert result.exit_code == 0
    assert "--gold" in result.output and "--label-map" in result.output and "--json" in result.output
    assert "--no-consistency" in result.output


def test_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    app = ner_app()
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = runner.invoke(app, ["train", "ner", "--data", str(empty), "--name", "x",
                                 "--models-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "holds no sentences" in flat(result.output)
    gold = tiny_conll(tmp_path / "g.txt")
    result = runner.invoke(app, ["eval", "ner", "--gold", str(gold), "--specialist", "ner.spacy:nope",
                                 "--models-dir", str(tmp_path), "--json"])
    assert result.exit_code == 2
    assert "no trained artifact named 'nope'" in flat(result.output)
    result = runner.invoke(app, ["eval", "ner", "--gold", str(gold), "--label-map", "bogus"])
    assert result.exit_code == 2
    assert "unknown label map" in flat(result.output)


@pytest.mark.slow
def test_train_then_eval_json(tmp_path: Path) -> None:
    runner = CliRunner()
    app = ner_app()
    data = tiny_conll(tmp_path / "train.txt")
    models = tmp_path / "models"
    result = runner.invoke(app, ["train", "ner", "--data", str(data), "--name", "tiny", "--base", "blank",
                                 "--epochs", "2", "--members", "1", "--vectors", "none", "--models-dir", str(models),
                                 "--json"])
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    assert card["name"] == "tiny" and card["kind"] == "ner" and card["labels"] == ["LOC", "PER"]
    assert card["params"]["vectors"] == "none"
    assert (models / "tiny" / "spacy" / "meta.json").is_file()

    result = runner.invoke(app, ["eval", "ner", "--gold", str(data), "--specialist", "tiny",
                                 "--models-dir", str(models), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {"precision", "recall", "f1", "per_label", "docs_per_s", "tokens_per_s", "docs", "tokens",
            "specialist", "model_id", "label_map"} <= set(payload)
    assert payload["specialist"] == "tiny" and payload["docs"] == 30
    assert payload["consistency"] is True  # each gold document harmonized, as the stage does
    result = runner.invoke(app, ["eval", "ner", "--gold", str(data), "--specialist", "tiny",
                                 "--models-dir", str(models), "--no-consistency", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["consistency"] is False

    result = runner.invoke(app, ["eval", "ner", "--gold", str(data), "--specialist", "tiny",
                                 "--models-dir", str(models)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # the human report goes to stderr
    assert "tokens/s" in result.stderr


@pytest.mark.slow
def test_train_with_dev_file_reports_the_unseen_half(tmp_path: Path) -> None:
    runner = CliRunner()
    app = ner_app()
    assert "--dev" in runner.invoke(app, ["train", "ner", "--help"]).output
    data = tiny_conll(tmp_path / "train.txt")
    dev = tiny_conll(tmp_path / "dev.txt", n_docs=4)
    result = runner.invoke(app, ["train", "ner", "--data", str(data), "--dev", str(dev), "--name", "withdev",
                                 "--base", "blank", "--epochs", "3", "--patience", "1", "--members", "2",
                                 "--models-dir", str(tmp_path / "models"), "--json"])
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    assert card["n_train"] == 30 and card["n_heldout"] == 10  # all of train; half of dev's 4 documents
    assert card["metrics"]["heldout_from"].startswith("dev.txt")
    assert card["params"]["dev"] == str(dev) and card["params"]["patience"] == 1


def test_eval_reads_the_gold_as_the_hugging_face_hub_stores_it(tmp_path: Path) -> None:
    """The same gold as CoNLL text and as a hub Parquet file (tag ids named in its metadata, a -DOCSTART- row
    before each document) scores the same."""
    import datasets

    from tandem.specialists.conll import read_conll

    text = tiny_conll(tmp_path / "gold.txt", n_docs=2, per_doc=3)
    names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    rows: dict[str, list[list[object]]] = {"tokens": [], "ner_tags": []}
    doc = -1
    for sentence in read_conll(text):
        if sentence.doc != doc:
            doc = sentence.doc
            rows["tokens"].append(["-DOCSTART-"])
            rows["ner_tags"].append([0])
        rows["tokens"].append(list(sentence.tokens))
        rows["ner_tags"].append([names.index(tag) for tag in sentence.tags])
    features = datasets.Features({"tokens": datasets.Sequence(datasets.Value("string")),
                                  "ner_tags": datasets.Sequence(datasets.ClassLabel(names=names))})
    parquet = tmp_path / "test-00000-of-00001.parquet"
    datasets.Dataset.from_dict(rows, features=features).to_parquet(str(parquet))
    runner, app = CliRunner(), ner_app()
    scores = []
    for gold in (text, parquet):
        result = runner.invoke(app, ["eval", "ner", "--gold", str(gold), "--json"])
        assert result.exit_code == 0, result.output
        scores.append({k: v for k, v in json.loads(result.stdout).items()
                       if k in ("docs", "tokens", "f1", "per_label")})
    assert scores[0] == scores[1] and scores[0]["docs"] == 6
