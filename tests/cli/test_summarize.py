"""``tandem eval summarize`` on a tiny Typer app, and ``evaluate_summarizer`` directly."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tandem.cli.summarize import eval_summarize_command
from tandem.specialists.evaluation.summarize import evaluate_summarizer, read_gold
from tests.cli.command_apps import make_app

DOC = (
    '<SECTION-HEADER> SHORT TITLE. This Act may be cited as the "Rural Broadband Access Act of 2021". '
    "<SECTION-HEADER> GRANT PROGRAM. The Secretary shall establish a grant program to fund the deployment "
    "of broadband service in rural areas that lack such service. A grant under this section may not exceed "
    "50 percent of the cost of the project."
)
GOLD = ("Rural Broadband Access Act of 2021 - Directs the Secretary of Agriculture to establish a grant "
        "program for broadband service in rural areas.")


def _app() -> typer.Typer:
    return make_app(evaluate={"summarize": eval_summarize_command})


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture()
def gold(tmp_path: Path) -> Path:
    return _write(tmp_path / "gold.jsonl", [{"source": DOC, "summary": GOLD}, {"source": DOC, "summary": GOLD}])


def test_json_output_with_the_lead_stage(gold: Path) -> None:
    result = CliRunner().invoke(_app(), ["eval", "summarize", "--gold", str(gold), "--specialist",
                                         "summarize.lead", "--max-words", "20", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["specialist"] == "summarize.lead"
    assert report["max_words"] == 20 and report["docs"] == 2
    assert report["rougeLsum"] == pytest.approx(report["lead_rougeLsum"])
    for key in ("rouge1", "rouge2", "rougeLsum", "lead_rouge1", "lead_rouge2", "lead_rougeLsum", "docs_per_s"):
        assert report[key] > 0


def test_table_output_goes_to_stderr(gold: Path) -> None:
    result = CliRunner().invoke(_app(), ["eval", "summarize", "--gold", str(gold), "--specialist",
                                         "summarize.lead"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "rougeLsum" in result.stderr


@pytest.mark.parametrize(("content", "message"), [
    (None, "gold file not found"),
    ("", "gold file is empty"),
    ('{"text": "a", "reference": "b"}\n', "fields present: 'text', 'reference'"),
    ("not json\n", "line 1 is not valid JSON"),
])
def test_bad_gold_files_exit_2(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "gold.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(_app(), ["eval", "summarize", "--gold", str(path), "--json"])
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert result.stdout == ""


def test_unknown_specialist_exits_2(gold: Path) -> None:
    result = CliRunner().invoke(_app(), ["eval", "summarize", "--gold", str(gold), "--specialist", "nope"])
    assert result.exit_code == 2
    assert "unknown stage 'nope'" in result.stderr


def test_read_gold_shapes_and_errors(tmp_path: Path) -> None:
    keyed = tmp_path / "keyed.json"
    keyed.write_text(json.dumps({"u1": {"original_text": "a b", "reference_summary": "a"}}), encoding="utf-8")
    assert read_gold(keyed, "original_text", "reference_summary") == [("a b", "a")]
    array = tmp_path / "array.json"
    array.write_text(json.dumps([{"source": "x", "summary": "y"}]), encoding="utf-8")
    assert read_gold(array) == [("x", "y")]
    with pytest.raises(ValueError, match="has no field 'summary'; fields present: 'source'"):
        read_gold(_write(tmp_path / "bad.jsonl", [{"source": "x"}]))
    with pytest.raises(ValueError, match="must be strings"):
        read_gold(_write(tmp_path / "num.jsonl", [{"source": 1, "summary": "y"}]))  # type: ignore[dict-item]
    # BillSum as published names the bill "text" (with a "title"); the shared rows name it "source"
    published = _write(tmp_path / "published.jsonl", [{"text": "SEC. 1. x", "summary": "y", "title": "t"}])
    assert read_gold(published) == [("SEC. 1. x", "y")]
    with pytest.raises(ValueError, match="has no field 'text' or 'source'; fields present: 'bill', 'summary'"):
        read_gold(_write(tmp_path / "neither.jsonl", [{"bill": "x", "summary": "y"}]))



def test_read_gold_from_a_csv_or_tsv_table(tmp_path: Path) -> None:
    # BillSum as a table: a bill's text longer than the csv module's default field limit, quoted line breaks
    bill = "SECTION 1. SHORT TITLE.\n\n    This Act may be cited as the ``Long Act''.\n" + "x " * 80_000
    table = tmp_path / "bills.csv"
    with table.open("w", encoding="utf-8-sig", newline="") as stream:  # a spreadsheet's byte-order mark
        writer = csv.writer(stream)
        writer.writerows([["text", "summary", "title"], [bill, "Long Act - Does x.", "t"], ["SEC. 1. y", "Y", "u"]])
    assert read_gold(table) == [(bill, "Long Act - Does x."), ("SEC. 1. y", "Y")]
    tab = tmp_path / "bills.tsv"
    tab.write_text("source\tsummary\nSEC. 1. z\tZ\n", encoding="utf-8")
    assert read_gold(tab) == [("SEC. 1. z", "Z")]
    with pytest.raises(ValueError, match="has no field 'summary'; fields present: 'text', 'abstract'"):
        read_gold(_write_text(tmp_path / "other.csv", "text,abstract\na,b\n"))


def test_read_gold_from_a_parquet_file(tmp_path: Path) -> None:
    """BillSum as the Hugging Face hub stores it: a Parquet file with columns text, summary, title."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = tmp_path / "test-00000-of-00001.parquet"
    pq.write_table(pa.table({"text": ["SEC. 1. x", "SEC. 1. y"], "summary": ["X", "Y"], "title": ["t", "u"]}), table)
    assert read_gold(table) == [("SEC. 1. x", "X"), ("SEC. 1. y", "Y")]
    done = CliRunner().invoke(_app(), ["eval", "summarize", "--gold", str(table), "--specialist", "summarize.lead",
                                       "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["docs"] == 2
    with pytest.raises(ValueError, match="cannot read .*broken.parquet as Parquet"):
        read_gold(_write_text(tmp_path / "broken.parquet", "text,summary\na,b\n"))


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_evaluate_same_budget_for_lead(gold: Path) -> None:
    report = evaluate_summarizer(gold, "summarize.lead", max_words=15)
    assert report.lead_words == report.summary_words == 15
    with pytest.raises(ValueError, match="max_words must be positive"):
        evaluate_summarizer(gold, "summarize.lead", max_words=0)


@pytest.mark.slow
def test_legal_summarizer_end_to_end(gold: Path) -> None:
    result = CliRunner().invoke(_app(), ["eval", "summarize", "--gold", str(gold), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["specialist"] == "summarize.legal"
    assert report["failures"] == 0
    assert report["rougeLsum"] > 0.3
