"""``tandem compare`` end to end on the Prefect test harness: tiny specialists, fake LLMs (one slow test with
the embedded model), the stored comparison shown again by ``tandem results --comparison``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tandem.cli import app
from tandem.storage.db import create_db_engine
from tests.cli.command_apps import flat
from tests.specialists.test_classifier import tiny_rows, write_rows

runner = CliRunner()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FAKE_SPAM = 'fake:{"label": "spam"}'
SYSTEM_KEYS = ("name", "kind", "docs_per_s", "p50_ms", "p95_ms", "llm_calls", "prompt_tokens", "completion_tokens",
               "cost_per_1k_docs")
CLASSIFY_KEYS = ("accuracy", "macro_f1", "macro_recall", "macro_precision", "per_label")


@pytest.fixture()
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich wraps tables at the console width (the pipe width under CliRunner, unless COLUMNS is set): make
    stdout's console 200 columns wide whatever the environment says."""
    from tandem.cli.console import out

    monkeypatch.setattr(out, "_width", 200)


def sms_gold(tmp_path: Path, n: int = 10) -> Path:
    return write_rows(tmp_path / "gold.tsv", tiny_rows(n, seed=7))


def test_module_import_is_light() -> None:
    code = ("import sys, tandem.cli.compare; print(sorted(m for m in ('torch', 'transformers', 'sklearn', "
            "'matplotlib', 'prefect', 'spacy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


def test_help_lists_every_option() -> None:
    result = runner.invoke(app, ["compare", "classify", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ("--gold", "--specialist", "--llm", "--json", "--chart", "--limit", "--price-in", "--price-out",
                   "--cpu-hour", "--batch-size", "--models-dir", "--db", "--cascade", "--target-llm-share"):
        assert option in result.output, option
    for task, option in (("ner", "--label-map"), ("summarize", "--max-words")):
        result = runner.invoke(app, ["compare", task, "--help"], terminal_width=200)
        assert result.exit_code == 0 and option in result.output
    result = runner.invoke(app, ["results", "--help"], terminal_width=200)
    assert "--comparison" in result.output


def test_usage_errors_exit_2(tmp_path: Path, tiny_models: Path) -> None:
    gold = sms_gold(tmp_path)
    db = f"sqlite:///{tmp_path / 'x.db'}"
    models = ["--models-dir", str(tiny_models), "--db", db]
    cases = [
        (["compare", "classify", "--gold", str(tmp_path / "missing.tsv"), "--llm", FAKE_SPAM], "not found"),
        (["compare", "classify", "--gold", str(gold)], "no system to compare"),
        (["compare", "classify", "--gold", str(gold), "--specialist", "nope", *models],
         "no trained artifact named 'nope'"),
        (["compare", "classify", "--gold", str(gold), "--specialist", "classify.llm"], "is an LLM stage"),
        (["compare", "classify", "--gold", str(gold), "--llm", "bogus:x"], "unknown backend 'bogus'"),
        (["compare", "classify", "--gold", str(gold), "--llm", "openai:m@http://me:sk-123@host/v1"], "credential"),
        (["compare", "classify", "--gold", str(gold), "--llm", FAKE_SPAM, "--chart", "out.jpg"], "must name a .png"),
        (["compare", "classify", "--gold", str(gold), "--llm", FAKE_SPAM, "--cascade"], "--cascade needs"),
        (["compare", "ner", "--gold", str(gold), "--llm", "fake:{}"], "not an IOB tag"),
        (["results", "--comparison", "last", "--db", db], "read commands create nothing"),  # x.db does not exist
        (["results", "--comparison", "first", "--db", db], "must be a comparison id or 'last'"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in flat(result.output), (args, result.output)
    create_db_engine(db).dispose()
    empty = runner.invoke(app, ["results", "--comparison", "last", "--db", db])
    assert empty.exit_code == 2 and "no comparison stored yet" in flat(empty.output)


def test_classify_json_chart_stored_and_shown_again(tmp_path: Path, tiny_models: Path, prefect_harness: None,
                                                    wide_console: None) -> None:
    gold, chart, db = sms_gold(tmp_path), tmp_path / "out.png", f"sqlite:///{tmp_path / 'c.db'}"
    result = runner.invoke(app, ["compare", "classify", "--gold", str(gold), "--specialist", "tiny", "--llm", FAKE_SPAM,
                                 "--models-dir", str(tiny_models), "--db", db, "--json", "--chart", str(chart),
                                 "--price-in", "0.15", "--price-out", "0.6", "--batch-size", "4"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["task"] == "classify" and report["docs"] == 10 and report["comparison_id"] == 1
    assert report["cost_model"] == {"price_in": 0.15, "price_out": 0.6, "cpu_hour": 0.05}
    specialist, llm = report["systems"]
    assert (specialist["name"], specialist["kind"]) == ("classify.tiny", "specialist")
    assert (llm["name"], llm["kind"]) == ('classify.llm[fake:{"label": "spam"}]', "llm")
    for system in (specialist, llm):
        for key in SYSTEM_KEYS + CLASSIFY_KEYS:
            assert key in system, key
        assert set(system["per_label"]) == {"ham", "spam"}
        assert set(system["per_label"]["spam"]) == {"precision", "recall", "f1", "support"}
    assert llm["llm_calls"] == 10 and llm["accuracy"] == 0.5 and specialist["llm_calls"] == 0
    assert chart.read_bytes().startswith(PNG_MAGIC) and report["chart"] == str(chart)
    assert "Stored as comparison 1" in flat(result.stderr)

    again = runner.invoke(app, ["results", "--comparison", "last", "--db", db, "--format", "json"])
    assert again.exit_code == 0 and json.loads(again.stdout) == report
    table = runner.invoke(app, ["results", "--comparison", "1", "--db", db])
    assert table.exit_code == 0
    assert "Comparison 1: classify on gold.tsv" in table.stdout and "classify.tiny" in table.stdout
    assert 'classify.llm[fake:{"label": "spam"}]' in table.stdout and "macro F1" in table.stdout

    from prefect.artifacts import Artifact

    artifact = Artifact.get("tandem-compare-1")
    assert artifact is not None and "| classify.tiny | specialist |" in str(artifact.data)


def test_classify_cascade_is_one_more_system(tmp_path: Path, tiny_models: Path, prefect_harness: None) -> None:
    result = runner.invoke(app, ["compare", "classify", "--gold", str(sms_gold(tmp_path, 12)), "--specialist",
                                 "classify.tiny", "--llm", FAKE_SPAM, "--models-dir", str(tiny_models), "--db",
                                 f"sqlite:///{tmp_path / 'c.db'}", "--json", "--cascade", "--target-llm-share", "0.25"])
    assert result.exit_code == 0, result.output
    systems = json.loads(result.stdout)["systems"]
    assert [s["kind"] for s in systems] == ["specialist", "llm", "cascade"]
    cascade = systems[2]
    assert cascade["llm_calls"] <= 3 and cascade["note"] and "macro_f1" in cascade


def test_ner_stock_model_and_llm_table(tmp_path: Path, prefect_harness: None, wide_console: None) -> None:
    gold = tmp_path / "gold.conll"
    gold.write_text("-DOCSTART- O\n\nJohn B-PER\nMiller I-PER\nvisited O\nParis B-LOC\n. O\n\n"
                    "Angela B-PER\nMerkel I-PER\nmet O\nJohn B-PER\nMiller I-PER\nin O\nBerlin B-LOC\n. O\n")
    answer = json.dumps({"entities": [{"text": "John Miller", "label": "PER"}]})
    result = runner.invoke(app, ["compare", "ner", "--gold", str(gold), "--specialist", "ner.spacy",
                                 "--llm", f"fake:{answer}", "--db", f"sqlite:///{tmp_path / 'n.db'}"])
    assert result.exit_code == 0, result.output
    assert "entity F1" in result.stdout and "ner.spacy" in result.stdout and "label map ontonotes-to-conll" in result.stdout
    again = runner.invoke(app, ["results", "--comparison", "last", "--db", f"sqlite:///{tmp_path / 'n.db'}",
                                "--format", "json"])
    stock, llm = json.loads(again.stdout)["systems"]
    for system in (stock, llm):
        for key in SYSTEM_KEYS + ("precision", "recall", "f1", "per_label"):
            assert key in system, key
    assert llm["precision"] == 1.0 and llm["recall"] == 0.4  # John Miller twice of five: Merkel and the places missed
    assert stock["f1"] > 0.5


def test_summarize_lead_and_llm(tmp_path: Path, prefect_harness: None) -> None:
    gold = tmp_path / "bills.jsonl"
    rows = [{"source": f"The Act number {i} funds schools. " + "It also says other things of little note. " * 8,
             "summary": f"The Act number {i} funds schools."} for i in range(3)]
    gold.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = runner.invoke(app, ["compare", "summarize", "--gold", str(gold), "--specialist", "summarize.lead",
                                 "--llm", "fake:The Act funds schools.", "--max-words", "8", "--json",
                                 "--db", f"sqlite:///{tmp_path / 's.db'}"])
    assert result.exit_code == 0, result.output
    lead, llm = json.loads(result.stdout)["systems"]
    for system in (lead, llm):
        for key in SYSTEM_KEYS + ("rouge1", "rouge2", "rougeLsum"):
            assert key in system, key
    assert lead["name"] == "summarize.lead" and lead["summary_words"] <= 8 and lead["rougeLsum"] > 0.8
    assert llm["name"] == "summarize[fake:The Act funds schools.]" and llm["llm_calls"] == 3


@pytest.mark.slow
def test_embedded_llm_against_a_tiny_specialist(tmp_path: Path, tiny_models: Path, prefect_harness: None,
                                                wide_console: None) -> None:
    rows = [("spam", "WINNER! You have won a £1000 prize. Call 09061701461 now to claim."),
            ("ham", "Are we still meeting for lunch at noon?"),
            ("spam", "FREE entry to win a new phone, text WIN to 80086 now"),
            ("ham", "Sorry, I'll call you later, I'm in a meeting."),
            ("spam", "URGENT: your account has a cash reward waiting, reply CLAIM to 85233"),
            ("ham", "Can you pick up some milk on the way home?")]
    gold, chart, db = write_rows(tmp_path / "sms.tsv", rows), tmp_path / "out.png", f"sqlite:///{tmp_path / 'e.db'}"
    result = runner.invoke(app, ["compare", "classify", "--gold", str(gold), "--specialist", "tiny", "--llm",
                                 "embedded", "--models-dir", str(tiny_models), "--db", db, "--json", "--chart",
                                 str(chart)])
    assert result.exit_code == 0, result.output
    specialist, llm = json.loads(result.stdout)["systems"]
    for system in (specialist, llm):
        for key in SYSTEM_KEYS + CLASSIFY_KEYS:
            assert key in system, key
    assert llm["name"] == "classify.llm[embedded]" and llm["llm_calls"] >= 6 and llm["prompt_tokens"] > 0
    assert llm["completion_tokens"] > 0 and llm["cost_per_1k_docs"] > 0 and llm["p50_ms"] > specialist["p50_ms"]
    assert chart.read_bytes().startswith(PNG_MAGIC)
    shown = runner.invoke(app, ["results", "--comparison", "last", "--db", db])
    assert shown.exit_code == 0 and "classify.llm[embedded]" in shown.stdout and "classify.tiny" in shown.stdout
