"""``tandem distill classify`` with real teachers: the embedded SmolLM2, and the same GGUF behind a real
OpenAI-compatible ``llama_cpp.server`` (the fixture of :mod:`tests.e2e.test_openai_server`). Tiny on purpose:
20 SMS texts, one answer each, a TF-IDF student."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tandem.cli.distill import distill_command
from tandem.specialists.distill import labelling
from tests.e2e.test_openai_server import LlamaServer, server  # noqa: F401 - the module-scoped server fixture

pytestmark = [pytest.mark.slow, pytest.mark.datasets]


def distill_app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command("distill")(distill_command)
    return app


def sms_files(datasets_dir: Path, tmp_path: Path, n: int = 20, n_gold: int = 10) -> tuple[Path, Path]:
    """``n`` SMS texts without their labels (spam and ham alternating) and ``n_gold`` other labelled ones."""
    with open(datasets_dir / "sms_spam" / "train.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))[300:]
    spam = [r for r in rows if r["label"] == "spam"]
    ham = [r for r in rows if r["label"] == "ham"]
    chosen = [row for pair in zip(spam[:n // 2], ham[:n // 2]) for row in pair]
    unlabeled = tmp_path / "sms.jsonl"
    unlabeled.write_text("".join(json.dumps({"text": r["text"]}) + "\n" for r in chosen))
    gold_rows = spam[n // 2:n // 2 + n_gold // 2] + ham[n // 2:n // 2 + n_gold // 2]
    gold = tmp_path / "gold.tsv"
    with open(gold, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["text", "label"])
        writer.writerows([r["text"], r["label"]] for r in gold_rows)
    return unlabeled, gold


def distill(tmp_path: Path, unlabeled: Path, *options: str) -> dict[str, Any]:
    labelling._teachers.clear()
    result = CliRunner().invoke(distill_app(), [
        "distill", "classify", "--unlabeled", str(unlabeled), "--labels", "spam,ham", "--samples", "1",
        "--features", "tfidf", "--json", "--models-dir", str(tmp_path / "models"), *options])
    assert result.exit_code == 0, (result.output, repr(result.exception))
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_distill_sms_with_the_embedded_teacher(datasets_dir: Path, tmp_path: Path, prefect_harness: None) -> None:
    unlabeled, gold = sms_files(datasets_dir, tmp_path)
    report = distill(tmp_path, unlabeled, "--name", "sms_student", "--gold", str(gold))
    assert report["labelled"] == 20 and report["kept"] + report["dropped"] + report["invalid"] == 20
    assert set(report["label_counts"]) == {"spam", "ham"}
    for role in ("teacher", "student"):
        assert {"macro_f1", "accuracy", "per_label", "docs_per_s", "p50_ms", "cost_per_1k_docs"} <= set(report[role])
    assert report["teacher"]["llm_calls"] >= 10 and report["teacher"]["prompt_tokens"] > 0
    assert report["speedup"] is not None and report["speedup"] > 1
    card = json.loads((Path(report["artifact"]) / "model_card.json").read_text())
    assert card["distillation"]["teacher"].startswith("embedded:") and card["distillation"]["kept"] == report["kept"]


def test_distill_sms_with_an_openai_compatible_teacher(server: LlamaServer, datasets_dir: Path,  # noqa: F811
                                                       tmp_path: Path, prefect_harness: None) -> None:
    server.ensure_running()
    unlabeled, _gold = sms_files(datasets_dir, tmp_path, n=12)
    report = distill(tmp_path, unlabeled, "--name", "served_student", "--teacher", server.spec)
    assert report["labelled"] == 12 and report["teacher_llm"] == server.spec
    assert report["teacher_llm_calls"] >= 12 and set(report["label_counts"]) == {"spam", "ham"}
    card = json.loads((Path(report["artifact"]) / "model_card.json").read_text())
    assert card["distillation"]["teacher"] == server.spec and card["distillation"]["teacher_model_id"] == "openai:smollm2"
    assert "api_key" not in json.dumps(card).lower()
