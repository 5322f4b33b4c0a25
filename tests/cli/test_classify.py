"""``tandem train classify`` / ``tandem eval classify`` on a tiny Typer app."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from click.testing import Result
from typer.testing import CliRunner

from tandem.cli.classify import eval_classify_command, parse_label_map, train_classify_command
from tests.cli.command_apps import flat, make_app


def classify_app() -> typer.Typer:
    return make_app(train={"classify": train_classify_command}, evaluate={"classify": eval_classify_command})

SPAM = ["WIN a FREE prize now, call {n}", "Claim your cash reward, txt {n} to 8{n}",
        "URGENT! You have won £{n}, reply WIN"]
HAM = ["see you at {n} for dinner", "ok i will call you later, love", "are we still meeting at {n}?"]


def tiny_csv(path: Path, n: int = 40, labels: tuple[str, str] = ("spam", "ham")) -> Path:
    rng = random.Random(0)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "message", "category"])
        for i in range(n):
            if i % 2:
                writer.writerow([i, rng.choice(SPAM).format(n=rng.randint(100, 999)), labels[0]])
            else:
                writer.writerow([i, rng.choice(HAM).format(n=rng.randint(1, 12)), labels[1]])
    return path


def test_module_import_is_light() -> None:
    code = ("import sys, tandem.cli.classify; "
            "print(sorted(m for m in ('torch', 'transformers', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


def test_help_lists_options() -> None:
    runner = CliRunner()
    app = classify_app()
    result = runner.invoke(app, ["train", "classify", "--help"])
    assert result.exit_code == 0
    for option in ("--data", "--name", "--text-col", "--label-col", "--finetune", "--models-dir"):
        assert option in result.output
    result = runner.invoke(app, ["eval", "classify", "--help"])
    assert result.exit_code == 0
    for option in ("--gold", "--specialist", "--label-map", "--text-col", "--label-col", "--json"):
        assert option in result.output


def test_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    app = classify_app()
    models = str(tmp_path / "models")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = runner.invoke(app, ["train", "classify", "--data", str(empty), "--name", "x", "--models-dir", models])
    assert result.exit_code == 2
    assert "is empty" in flat(result.output)
    data = tiny_csv(tmp_path / "d.csv")
    result = runner.invoke(app, ["train", "classify", "--data", str(data), "--name", "x", "--models-dir", models])
    assert result.exit_code == 2  # default columns text/label do not exist here
    assert "no text column 'text'" in flat(result.output) and "'message'" in flat(result.output)
    result = runner.invoke(app, ["train", "classify", "--data", str(data), "--name", "x", "--text-col", "message",
                                 "--label-col", "kind", "--models-dir", models])
    assert result.exit_code == 2
    assert "no label column 'kind'" in flat(result.output) and "'category'" in flat(result.output)
    result = runner.invoke(app, ["train", "classify", "--data", str(tmp_path / "nope.csv"), "--name", "x"])
    assert result.exit_code == 2 and "not found" in flat(result.output)
    result = runner.invoke(app, ["eval", "classify", "--gold", str(data), "--text-col", "message",
                                 "--label-col", "category"])
    assert result.exit_code == 2 and "--specialist" in flat(result.output)
    result = runner.invoke(app, ["eval", "classify", "--gold", str(data), "--specialist", "classify.nope",
                                 "--text-col", "message", "--label-col", "category", "--models-dir", models,
                                 "--json"])
    assert result.exit_code == 2
    assert "no trained artifact named 'nope'" in flat(result.output)
    assert result.stdout == ""
    result = runner.invoke(app, ["eval", "classify", "--gold", str(data), "--specialist", "x",
                                 "--label-map", "bogus"])
    assert result.exit_code == 2 and "label map" in flat(result.output)


def test_label_map_parsing(tmp_path: Path) -> None:
    assert parse_label_map(None) is None
    assert parse_label_map("spam=junk, ham=ok") == {"spam": "junk", "ham": "ok"}
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"spam": "junk"}))
    assert parse_label_map(str(path)) == {"spam": "junk"}
    with pytest.raises(ValueError):
        parse_label_map("spam")


def train_tiny(tmp_path: Path, *options: str) -> tuple[CliRunner, typer.Typer, str, Result]:
    """``train classify --name tiny`` on a generated CSV through the CLI: runner, app, models folder, result."""
    runner, app, models = CliRunner(), classify_app(), str(tmp_path / "models")
    data = tiny_csv(tmp_path / "train.csv")
    result = runner.invoke(app, ["train", "classify", "--data", str(data), "--name", "tiny", "--text-col",
                                 "message", "--label-col", "category", "--models-dir", models, *options])
    return runner, app, models, result


def test_train_then_eval(tmp_path: Path) -> None:
    runner, app, models, result = train_tiny(tmp_path, "--features", "tfidf", "--json")
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)  # exactly one JSON object on stdout
    assert card["name"] == "tiny" and card["kind"] == "classify" and card["labels"] == ["ham", "spam"]
    assert Path(card["artifact"], "head.safetensors").is_file()

    # gold data with other label names, mapped inline
    gold = tiny_csv(tmp_path / "gold.csv", n=20, labels=("junk", "ok"))
    args = ["eval", "classify", "--gold", str(gold), "--specialist", "classify.tiny", "--text-col", "message",
            "--label-col", "category", "--models-dir", models]
    result = runner.invoke(app, [*args, "--label-map", "spam=junk,ham=ok", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {"accuracy", "macro_f1", "macro_recall", "per_label", "docs_per_s", "docs", "specialist",
            "model_id"} <= set(payload)
    assert payload["docs"] == 20 and payload["specialist"] == "classify.tiny"
    assert payload["accuracy"] >= 0.9 and set(payload["per_label"]) == {"junk", "ok"}
    assert set(payload["per_label"]["junk"]) == {"precision", "recall", "f1", "support"}

    # human output: a table on stderr, nothing on stdout; unmapped labels are pointed out
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "macro F1" in result.stderr and "use --label-map" in flat(result.stderr)


@pytest.mark.slow
def test_train_default_features_with_minilm(tmp_path: Path) -> None:
    _runner, _app, _models, result = train_tiny(tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "held-out" in result.stderr and "classify.tiny" in flat(result.stderr)
    config = json.loads((tmp_path / "models" / "tiny" / "classifier.json").read_text())
    assert config["embedding_weight"] > 0 and config["encoder"] == "stock"


@pytest.mark.slow
def test_no_ensemble_keeps_one_fine_tuned_model(tmp_path: Path) -> None:
    _runner, _app, models, result = train_tiny(tmp_path, "--finetune", "--epochs", "1", "--features", "embedding",
                                               "--lexicon", "none", "--no-ensemble", "--json")
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    assert card["params"]["ensemble_models"] == 1 and card["params"]["refit_on_all_rows"] == "encoder and head"
    assert not (Path(models) / "tiny" / "member.1").exists()


def test_mixed_sources_are_reported_and_a_named_source_column_is_required(tmp_path: Path) -> None:
    from tests.specialists.test_classify_sources import mixed_rows, write_mixed

    runner = CliRunner()
    app = classify_app()
    data = write_mixed(tmp_path / "mixed.tsv", mixed_rows())
    result = runner.invoke(app, ["train", "classify", "--data", str(data), "--name", "mood", "--features", "tfidf",
                                 "--lexicon", "none", "--no-finetune", "--models-dir", str(tmp_path / "models")])
    assert result.exit_code == 0, result.output
    assert "reviews lacks neutral" in flat(result.stderr)
    card = json.loads((tmp_path / "models" / "mood" / "model_card.json").read_text())
    assert card["params"]["sources"]["partial"] == ["reviews"] and card["params"]["finetune"] is False
    result = runner.invoke(app, ["train", "classify", "--data", str(data), "--name", "mood2", "--source-col",
                                 "origin", "--models-dir", str(tmp_path / "models")])
    assert result.exit_code == 2
    assert "no source column 'origin'" in flat(result.output)
