"""``tandem distill`` end to end with fake teachers: the Prefect flow, the student, the report, exit 2."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tandem.cli.distill import distill_command
from tandem.specialists.distill import labelling
from tests.cli.command_apps import flat
from tests.stages.llm.fakes import ScriptedChatModel

#: the keys of a ``tandem compare`` system (classify)
SYSTEM_KEYS = {"name", "kind", "accuracy", "macro_f1", "macro_recall", "per_label", "docs_per_s", "p50_ms", "p95_ms",
               "llm_calls", "prompt_tokens", "completion_tokens", "cost_per_1k_docs"}

SPAM = ["WIN a free cruise, call now", "You WIN 1000 pounds, text CLAIM", "Winner! Claim your win today",
        "WIN a phone: reply YES", "Free entry to win cash", "Congratulations, you win a prize"]
HAM = ["See you at lunch", "Are you home yet?", "Call me when you are free", "I will be late tonight",
       "Thanks for the lift", "Dinner at six?"]


def distill_app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)  # keep "distill" a sub-command, as in tandem.cli.main
    app.command("distill")(distill_command)
    return app


def scripted_teacher() -> ScriptedChatModel:
    """spam when the text says "win", else ham; "garbled" texts never get a valid answer; "maybe" texts get
    spam, ham, then garbage in turn (so 3 samples agree 1/3); synthetic requests get numbered texts, the
    even-numbered spam ones without "win" (the teacher then calls them ham: rejected)."""
    turns: Counter[str] = Counter()

    def respond(text: str) -> str:
        if "rejected" in text or "garbled" in text:
            return "not JSON at all"
        written = re.search(r'correct label is "(\w+)"\. \(Example (\d+)\.\)', text)
        if written:
            label, number = written.group(1), int(written.group(2))
            if label == "spam":
                return f"WIN bonus number {number}" if number % 2 else f"Claim reward number {number}"
            return f"Lunch on day {number}"
        if "maybe" in text:
            turns[text] += 1
            return ['{"label": "spam"}', '{"label": "ham"}', "garbage"][(turns[text] - 1) % 3]
        return '{"label": "spam"}' if "win" in text.lower() else '{"label": "ham"}'

    return ScriptedChatModel(respond=respond)


@pytest.fixture()
def fresh_teachers() -> Iterator[None]:
    labelling._teachers.clear()
    yield
    labelling._teachers.clear()


def write_inputs(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "unlabeled"
    folder.mkdir()
    (folder / "a.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in SPAM[:3] + HAM[:3]))
    rows = ["label\ttext", *(f"x\t{t}" for t in SPAM[3:] + HAM[3:]), "x\tmaybe this one", "x\tgarbled words",
            "x\tSee you at lunch"]  # the last one: an exact duplicate
    (folder / "b.tsv").write_text("\n".join(rows) + "\n")
    gold = tmp_path / "gold.tsv"
    gold.write_text("text\tlabel\n" + "".join(f"{t} again\tspam\n" for t in SPAM)
                    + "".join(f"{t} again\tham\n" for t in HAM))
    return folder, gold


def test_distill_classify_with_a_fake_teacher(tmp_path: Path, prefect_harness: None, fresh_teachers: None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import tandem.stages.llm.base

    teacher = scripted_teacher()
    monkeypatch.setattr(tandem.stages.llm.base, "make_chat_model", lambda spec=None: teacher)
    folder, gold = write_inputs(tmp_path)
    models = tmp_path / "models"
    result = CliRunner().invoke(distill_app(), [
        "distill", "classify", "--unlabeled", str(folder), "--labels", "spam,ham", "--name", "student",
        "--teacher", "fake:x", "--samples", "3", "--synthesize", "2", "--task-description", "SMS spam filtering",
        "--gold", str(gold), "--json", "--features", "tfidf", "--models-dir", str(models)])
    assert result.exit_code == 0, (result.output, repr(result.exception))
    report: dict[str, Any] = json.loads(result.stdout)

    assert (report["kept"], report["dropped"], report["invalid"]) == (12, 1, 1)
    assert report["labelled"] == 14 and report["duplicates"] == 1 and report["invalid_answers"] == 4
    assert report["synthesized"] == 4 and report["synthetic_kept"] == 3  # "Claim reward number 2" was rejected
    assert report["label_counts"] == {"ham": 8, "spam": 7} and report["temperature"] == 0.7
    for role, kind in (("teacher", "llm"), ("student", "specialist")):
        assert SYSTEM_KEYS <= set(report[role]) and report[role]["kind"] == kind
        assert report[role]["docs_per_s"] > 0
    assert report["teacher"]["macro_f1"] == 1.0 and report["teacher"]["llm_calls"] == 12
    assert report["student"]["name"] == "classify.student" and report["student"]["llm_calls"] == 0
    assert report["speedup"] is not None and report["speedup"] > 0

    artifact = Path(report["artifact"])
    assert artifact == (models / "student").resolve() and (artifact / "distilled.tsv").is_file()
    card = json.loads((artifact / "model_card.json").read_text())
    assert card["labels"] == ["ham", "spam"] and card["data_path"] == str(artifact / "distilled.tsv")
    distilled = card["distillation"]
    assert distilled["teacher"] == "fake:x" and distilled["samples"] == 3 and distilled["min_agreement"] == 0.6
    assert (distilled["labelled"], distilled["kept"], distilled["dropped"], distilled["invalid"]) == (14, 12, 1, 1)
    assert distilled["failure_kinds"] == {"invalid_answer": 4} and distilled["synthetic_kept"] == 3
    assert len((artifact / "distilled.tsv").read_text().splitlines()) == 1 + 15


def test_a_teacher_with_one_label_leaves_nothing_to_learn(tmp_path: Path, prefect_harness: None,
                                                          fresh_teachers: None) -> None:
    folder, _gold = write_inputs(tmp_path)
    result = CliRunner().invoke(distill_app(), [
        "distill", "classify", "--unlabeled", str(folder), "--labels", "spam,ham", "--name", "one",
        "--teacher", 'fake:{"label": "spam"}', "--limit", "5", "--models-dir", str(tmp_path / "models")])
    assert result.exit_code == 2, result.output
    message = flat(result.stderr)
    assert "nothing to learn" in message and "fewer than two labels" in message and "'spam' (5)" in message
    assert not (tmp_path / "models" / "one").exists()


def test_usage_errors_exit_2_before_prefect(tmp_path: Path) -> None:
    runner, app = CliRunner(), distill_app()
    folder, _gold = write_inputs(tmp_path)
    base = ["distill", "classify", "--unlabeled", str(folder), "--name", "x"]
    cases = {
        "needs --labels with at least two labels": base + ["--labels", "spam"],
        "TASK must be classify or ner": ["distill", "summarize", "--unlabeled", str(folder), "--name", "x"],
        "carries a credential": base + ["--labels", "a,b", "--teacher", "openai:m@http://u:secret@host/v1"],
        "no such file or folder": ["distill", "ner", "--unlabeled", str(tmp_path / "nope"), "--name", "x"],
        "for classify only": ["distill", "ner", "--unlabeled", str(folder), "--name", "x", "--synthesize", "2"],
    }
    for expected, args in cases.items():
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and expected in flat(result.stderr), (expected, result.output)


def test_distill_ner_with_a_fake_teacher(tmp_path: Path, prefect_harness: None, fresh_teachers: None,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import tandem.stages.llm.base

    people, places = ["Anna Schmidt", "John Miller", "Ken Lee", "Maria Rossi"], ["Paris", "Berlin", "Oslo"]
    texts = [f"{p} flew to {c} on Monday ." for p in people for c in places]

    def respond(text: str) -> str:
        found = [{"text": p, "label": "PER"} for p in people if p in text]
        found += [{"text": c, "label": "LOC"} for c in places if c in text]
        return json.dumps({"entities": found})

    teacher = ScriptedChatModel(respond=respond)
    monkeypatch.setattr(tandem.stages.llm.base, "make_chat_model", lambda spec=None: teacher)
    unlabeled = tmp_path / "u.jsonl"
    unlabeled.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    gold = tmp_path / "gold.conll"
    gold.write_text("Ken\tB-PER\nLee\tI-PER\nflew\tO\nto\tO\nOslo\tB-LOC\n.\tO\n\n"
                    "Anna\tB-PER\nSchmidt\tI-PER\nflew\tO\nto\tO\nBerlin\tB-LOC\n.\tO\n")
    result = CliRunner().invoke(distill_app(), [
        "distill", "ner", "--unlabeled", str(unlabeled), "--name", "tiny_ner", "--labels", "PER,LOC",
        "--teacher", "fake:x", "--gold", str(gold), "--epochs", "2", "--json", "--models-dir", str(tmp_path / "m")])
    assert result.exit_code == 0, (result.output, repr(result.exception))
    report = json.loads(result.stdout)
    assert (report["kept"], report["dropped"], report["invalid"]) == (12, 0, 0)
    assert report["label_counts"] == {"LOC": 12, "PER": 12}
    assert report["teacher"]["f1"] == 1.0 and {"f1", "precision", "recall"} <= set(report["student"])
    assert report["student"]["name"] == "ner.spacy:tiny_ner" and report["speedup"] > 0
    card = json.loads(Path(report["artifact"], "model_card.json").read_text())
    assert card["kind"] == "ner" and card["distillation"]["kept"] == 12
    assert Path(report["artifact"], "distilled.conll").read_text().startswith("Anna\tB-PER\nSchmidt\tI-PER\n")
