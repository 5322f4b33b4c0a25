"""``tandem labels export|import``, ``tandem distill classify --from-labels`` and ``tandem models
promote|rollback`` through the command line, with small TF-IDF classifiers (fast): a correction made in the
exported file wins in the next retrain, and a rollback returns the pipeline to the old version's stored results."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tandem.cli import app
from tandem.specialists.classifier import load_classifier
from tandem.specialists.registry import read_entry, register
from tandem.specialists.training.classify import train_classifier
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.labels import LabelRecord, save_labels, training_examples
from tests.specialists.test_classifier import tiny_rows, write_rows

runner = CliRunner()
ODD = "the zebra parade meets at noon by the old mill"


def test_a_correction_made_in_the_exported_file_wins_in_the_next_retrain(tmp_path: Path) -> None:
    url, models = f"sqlite:///{tmp_path / 'l.db'}", tmp_path / "models"
    rows = tiny_rows(60)
    with unit_of_work(create_db_engine(url)) as session:  # what a cascade's LLM answered: one answer is wrong
        save_labels(session, [LabelRecord("spam", text, label, "llm:teacher@v1", 0.9, specialist_label=label)
                              for label, text in rows] +
                    [LabelRecord("spam", ODD, "ham", "llm:teacher@v1", 0.55, specialist_label="spam")])
    exported = tmp_path / "review.csv"
    done = runner.invoke(app, ["labels", "export", "--task", "spam", "--only", "disagreements", "--format", "csv",
                               "--output", str(exported), "--db", url])
    assert done.exit_code == 0, done.stderr
    with exported.open(encoding="utf-8", newline="") as stream:
        review = list(csv.DictReader(stream))
    assert [(r["text"], r["label"], r["specialist_label"], r["llm_label"]) for r in review] == \
        [(ODD, "ham", "spam", "ham")]
    review[0]["correct_label"] = "spam"  # a person fixes it in a spreadsheet
    with exported.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(review[0]))
        writer.writeheader()
        writer.writerows(review)
    imported = runner.invoke(app, ["labels", "import", str(exported), "--task", "spam", "--who", "ana", "--db", url])
    assert imported.exit_code == 0 and "stored 1 label(s) of 'spam' as human:ana" in imported.stderr
    with unit_of_work(create_db_engine(url)) as session:
        assert (ODD, "spam", "human:ana") in training_examples(session, "spam")

    gold = write_rows(tmp_path / "gold.tsv", tiny_rows(40, seed=3))
    trained = runner.invoke(app, ["distill", "classify", "--from-labels", "--name", "spam", "--gold", str(gold),
                                  "--features", "tfidf", "--models-dir", str(models), "--db", url, "--json"])
    assert trained.exit_code == 0, trained.stderr
    report = json.loads(trained.stdout)
    distinct = len({text for _label, text in rows}) + 1
    assert report["labels_by_source"] == {"human": 1, "llm": distinct} and report["trained_rows"] == distinct
    assert load_classifier("spam", models).predict([ODD])[0].label == "spam"  # the person's label, learnt
    flywheel = runner.invoke(app, ["flywheel", "report", "--task", "spam", "--db", url, "--models-dir", str(models),
                                   "--json"])
    assert flywheel.exit_code == 0, flywheel.stderr
    [first_round] = json.loads(flywheel.stdout)["rounds"]
    assert first_round["version"] == 1 and first_round["promoted"] and first_round["labels_used"]["human"] == 1
    shown = runner.invoke(app, ["flywheel", "report", "--task", "spam", "--db", url, "--models-dir", str(models)])
    assert shown.exit_code == 0 and "Flywheel of spam" in shown.stdout
    jsonl = runner.invoke(app, ["labels", "export", "--task", "spam", "--sample", "3", "--format", "jsonl", "--db", url])
    lines = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert len(lines) == 3 and all(isinstance(line["label"], list) and "exported_label" in line for line in lines)


def test_rollback_returns_the_pipeline_to_the_old_versions_stored_results(tmp_path: Path,
                                                                          prefect_harness: None) -> None:
    models, url = tmp_path / "models", f"sqlite:///{tmp_path / 'r.db'}"
    for number, seed in ((1, 0), (2, 5)):
        train_classifier(write_rows(tmp_path / f"d{number}.tsv", tiny_rows(40, seed=seed)), f"spam@{number}",
                         models_dir=models, features="tfidf", lexicon="none")
        register(models, "spam", f"spam@{number}", number)
    runner.invoke(app, ["models", "promote", "spam", "1", "--models-dir", str(models)])
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"id": f"m{i}", "text": text}) + "\n"
                            for i, (_label, text) in enumerate(tiny_rows(12, seed=9))), encoding="utf-8")
    spec = tmp_path / "p.yaml"
    spec.write_text("stages:\n  - stage: classify.spam\n    input: text\n")
    args = ["run", str(docs), "--pipeline", str(spec), "--db", url, "--models-dir", str(models), "--format", "json"]

    def run_totals() -> tuple[int, int, str]:
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.stderr
        totals = json.loads(done.stdout)["totals"]["classify.spam"]
        return totals["ok"] - totals["reused"], totals["reused"], totals["model_id"]

    n = len({text for _label, text in tiny_rows(12, seed=9)})  # identical texts share one result
    computed, reused, first_model = run_totals()
    assert (computed, reused) == (n, 0) and "classify:spam@1|" in first_model
    promoted = runner.invoke(app, ["models", "promote", "spam", "2", "--models-dir", str(models)])
    assert promoted.exit_code == 0, promoted.stderr
    computed, reused, second_model = run_totals()
    assert (computed, reused) == (n, 0) and "classify:spam@2|" in second_model  # a promotion recomputes
    back = runner.invoke(app, ["models", "rollback", "spam", "--models-dir", str(models), "--json"])
    assert back.exit_code == 0 and json.loads(back.stdout)["promoted"] == 1
    assert run_totals() == (0, n, first_model)  # the old version's results, reused: nothing computed
    listed = runner.invoke(app, ["models", "list", "--models-dir", str(models), "--json"])
    assert [(m["name"], m["promoted"]) for m in json.loads(listed.stdout)["models"]] == [("spam", 1)]
    shown = runner.invoke(app, ["models", "show", "spam", "--models-dir", str(models)])
    assert "rollback" in shown.stdout and shown.exit_code == 0
    assert read_entry(models, "spam").promoted == 1  # type: ignore[union-attr]
    nothing = runner.invoke(app, ["models", "rollback", "spam", "--models-dir", str(models)])
    assert nothing.exit_code == 2 and "no earlier promoted version" in nothing.stderr


@pytest.mark.parametrize("args, message", [
    (["distill", "classify", "--from-labels", "--name", "spam"], "--from-labels needs --gold"),
    (["distill", "ner", "--from-labels", "--name", "x", "--gold", "README.md"], "trains classifiers"),
    (["distill", "classify", "--name", "x", "--labels", "a,b"], "--unlabeled"),
    (["models", "show", "nothing-here"], "no registered model"),
])
def test_flywheel_commands_explain_what_is_missing(args: list[str], message: str, tmp_path: Path) -> None:
    done = runner.invoke(app, [*args, "--models-dir", str(tmp_path)] if args[0] == "models" else args)
    assert done.exit_code == 2 and message in done.stderr.replace("\n", " "), done.stderr


def test_serve_retrain_hands_plain_parameters_to_the_deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tandem.flows.deployments

    served: dict[str, object] = {}
    monkeypatch.setattr(tandem.flows.deployments, "serve_retrain",
                        lambda name, params, cron: served.update(name=name, params=params, cron=cron))
    gold = write_rows(tmp_path / "gold.tsv", tiny_rows(10))
    monkeypatch.setenv("TANDEM_DB_PASSWORD", "s3cret")
    done = runner.invoke(app, ["serve", "--retrain", "spam", "--gold", str(gold), "--cron", "0 3 * * *", "--db",
                               "postgresql+psycopg://u:***@127.0.0.1:1/x"])
    assert done.exit_code in (0, 2), done.stderr  # no PostgreSQL here: refused before serving, with one line
    if done.exit_code == 0:
        assert served["cron"] == "0 3 * * *" and "s3cret" not in str(served["params"])
    sqlite = runner.invoke(app, ["serve", "--retrain", "spam", "--gold", str(gold), "--db",
                                 f"sqlite:///{tmp_path / 'x.db'}"])
    assert sqlite.exit_code == 0, sqlite.stderr
    assert served["name"] == "tandem-retrain" and served["params"] == {  # type: ignore[comparison-overlap]
        "task_name": "spam", "gold": str(gold.resolve()), "db_url": f"sqlite:///{tmp_path / 'x.db'}"}
    missing = runner.invoke(app, ["serve", "--retrain", "spam"])
    assert missing.exit_code == 2 and "--gold" in missing.stderr


def test_train_classify_on_a_registered_name_adds_a_version_and_keeps_the_promoted_one(tmp_path: Path) -> None:
    models = tmp_path / "models"
    train_classifier(write_rows(tmp_path / "d1.tsv", tiny_rows(40)), "spam@1", models_dir=models,
                     features="tfidf", lexicon="none")
    register(models, "spam", "spam@1", 1)
    runner.invoke(app, ["models", "promote", "spam", "1", "--models-dir", str(models)])
    before = (models / "spam@1" / "model_card.json").read_bytes()
    done = runner.invoke(app, ["train", "classify", "--data", str(write_rows(tmp_path / "d2.tsv", tiny_rows(40, seed=7))),
                               "--name", "spam", "--features", "tfidf", "--lexicon", "none", "--no-finetune",
                               "--models-dir", str(models)])
    assert done.exit_code == 0, done.stderr
    assert "this is version 2, not promoted" in done.stderr and "classify.spam@2" in done.stderr
    entry = read_entry(models, "spam")
    assert entry is not None and [v.version for v in entry.versions] == [1, 2] and entry.promoted == 1
    assert (models / "spam@2" / "model_card.json").is_file() and not (models / "spam").exists()
    assert (models / "spam@1" / "model_card.json").read_bytes() == before  # the promoted version is untouched
