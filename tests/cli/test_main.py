"""The `tandem` CLI end to end on a Prefect test harness, with a fake LLM and the real spaCy model."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tandem.cli import app
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import DocumentRow, EntityRow, RunDocumentRow, StageResultRow

runner = CliRunner()
FAKE_LLM = "fake:A short summary."


@pytest.fixture()
def llm_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Count every LLM call made by the cleanup and summarize stages (cleanup asks only about doubtful words)."""
    import tandem.stages.llm.cleanup as cleanup
    import tandem.stages.llm.summarize as summarize

    calls: list[str] = []
    original = cleanup.call_llm

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[1].name)
        return original(*args, **kwargs)

    monkeypatch.setattr(cleanup, "call_llm", counting)
    monkeypatch.setattr(summarize, "call_llm", counting)
    yield calls


def mixed_folder(root: Path) -> Path:
    docs = root / "docs"
    docs.mkdir()
    # long enough (over 30 words) for summarize to ask the LLM; cleanup leaves clean text alone
    (docs / "a.txt").write_text("Angela Merkel visited Microsoft in Seattle on Monday to discuss climate policy "
                                "with the company's leaders and local officials. The talks covered data centres, "
                                "energy prices and the training of young engineers in both countries.")
    (docs / "b.jsonl").write_text(json.dumps({"id": "j1", "text": "Apple opened a new store in Berlin."}) + "\n"
                                  + json.dumps({"id": "j2", "text": "The United Nations met in Geneva."}) + "\n")
    (docs / "c.csv").write_text('id,text\nc1,"Toyota recalled 10,000 cars in Japan."\n')
    return docs


def test_run_mixed_folder_then_results_json(tmp_path: Path, prefect_harness: None, llm_calls: list[str]) -> None:
    docs = mixed_folder(tmp_path)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = runner.invoke(app, ["run", str(docs), "--db", url, "--llm", FAKE_LLM, "--format", "none"])
    assert result.exit_code == 0, (result.exit_code, repr(result.exception))
    assert llm_calls, "the LLM stages ran"
    engine = create_db_engine(url)
    with unit_of_work(engine) as session:
        assert session.query(DocumentRow).count() == 4
        counts = {stage: session.query(StageResultRow).filter_by(stage=stage, status="ok").count()
                  for stage in ("cleanup", "summarize", "ner.spacy")}
        assert counts == {"cleanup": 4, "summarize": 4, "ner.spacy": 4}
        assert session.query(EntityRow).filter_by(text="Berlin").count() == 1
        rows_before = session.query(StageResultRow).count()

    shown = runner.invoke(app, ["results", "--run", "last", "--format", "json", "--db", url])
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)
    assert len(report["documents"]) == 4 and all(d["status"] == "ok" for d in report["documents"])
    merkel = next(d for d in report["documents"] if d["source"].endswith("a.txt"))
    assert merkel["summary"] and any(e["label"] == "GPE" and e["text"] == "Seattle" for e in merkel["entities"])
    assert set(report["totals"]) == {"cleanup", "summarize", "ner.spacy"}

    # the same inputs again: no LLM call, no new row, every result reused and still listed
    llm_calls.clear()
    again = runner.invoke(app, ["run", str(docs), "--db", url, "--llm", FAKE_LLM, "--format", "none"])
    assert again.exit_code == 0, again.output
    assert llm_calls == []
    with unit_of_work(engine) as session:
        assert session.query(StageResultRow).count() == rows_before
        assert session.query(DocumentRow).count() == 4
    report2 = json.loads(runner.invoke(app, ["results", "--format", "json", "--db", url]).stdout)
    assert report2["run"]["id"] == report["run"]["id"] + 1
    assert len(report2["documents"]) == 4
    assert all(out["reused"] for d in report2["documents"] for out in d["outputs"].values())


def test_bad_inputs_are_recorded_and_exit_code_is_3(tmp_path: Path, prefect_harness: None) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("Microsoft hired Jane Smith in London.")
    (docs / "empty.txt").write_bytes(b"")
    (docs / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)
    (docs / "latin1.txt").write_bytes("Résumé of François, née à Montréal".encode("latin-1"))
    with open(docs / "huge.txt", "wb") as handle:  # 20 MB
        line = b"The committee met again to discuss the budget and the harbour project in detail.\n"
        for _ in range(20_000_000 // len(line) + 1):
            handle.write(line)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = runner.invoke(app, ["run", str(docs), "--db", url, "--llm", FAKE_LLM, "--format", "none"])
    assert result.exit_code == 3, result.output
    engine = create_db_engine(url)
    with unit_of_work(engine) as session:
        status = {Path(doc.source).name: link.status for link, doc in session.execute(
            select(RunDocumentRow, DocumentRow).join(DocumentRow, DocumentRow.id == RunDocumentRow.document_id))}
        assert status == {"good.txt": "ok", "empty.txt": "failed", "binary.txt": "failed", "latin1.txt": "failed",
                          "huge.txt": "failed"}
        reasons = {row.error_kind: row.error for row in session.query(StageResultRow).filter_by(stage="ingest")}
        assert set(reasons) == {"empty", "binary", "encoding", "too_large"}
        assert "UTF-8" in reasons["encoding"] and "MB" in reasons["too_large"]
    shown = runner.invoke(app, ["results", "--db", url])
    assert shown.exit_code == 0 and "too_large" in shown.stdout


def test_pipeline_errors_exit_2_before_reading_documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tandem.flows.ingest

    def must_not_read(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("documents were read")

    monkeypatch.setattr(tandem.flows.ingest, "read_inputs", must_not_read)
    monkeypatch.setattr(tandem.flows.ingest, "iter_inputs", must_not_read)
    (tmp_path / "a.txt").write_text("text")
    spec = tmp_path / "bad.yaml"
    spec.write_text("stages:\n  - stage: summarize\n    input: clean\n")
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = runner.invoke(app, ["run", str(tmp_path / "a.txt"), "--pipeline", str(spec), "--db", url])
    assert result.exit_code == 2
    assert "reads 'clean'" in result.stderr and "available: text (RawText) from the document" in result.stderr
    unknown = runner.invoke(app, ["run", str(tmp_path / "a.txt"), "--pipeline", "default", "--db", url,
                                  "--llm", "bogus:x"])
    assert unknown.exit_code == 2 and "unknown backend 'bogus'" in unknown.stderr
    spec.write_text("stages: [cleanup, ner.nope]\n")
    result = runner.invoke(app, ["run", str(tmp_path / "a.txt"), "--pipeline", str(spec), "--db", url])
    assert result.exit_code == 2 and "unknown stage 'ner.nope'" in result.stderr
    for bad, message in ((["--batch-size", "zero"], "N or STAGE=N"), (["--batch-size", "ner.spacy=0"], "positive"),
                         (["--batch-size", "summarize=4"], "names no stage of this pipeline: summarize")):
        result = runner.invoke(app, ["run", str(tmp_path / "a.txt"), "--pipeline", "ner", "--db", url, *bad])
        assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "x.db").exists()


def test_batch_sizes_come_from_the_stages_unless_overridden() -> None:
    from tandem.cli.common import parse_batch_sizes
    from tandem.flows.pipeline import stage_batch_sizes
    from tandem.stages.pipeline_spec import Pipeline

    pipeline = Pipeline.load("default", llm="fake:x")
    assert stage_batch_sizes(pipeline) == [8, 8, 1000]  # cleanup, summarize (LLM) · ner.spacy (specialist)
    assert stage_batch_sizes(pipeline, 64) == [64, 64, 64]
    assert stage_batch_sizes(pipeline, 64, {"ner.spacy": 500}) == [64, 64, 500]
    assert parse_batch_sizes(["32", "ner.spacy=500"]) == (32, {"ner.spacy": 500})
    assert parse_batch_sizes(None) == (None, {})


def test_results_without_runs_and_help(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    missing = runner.invoke(app, ["results", "--db", url])  # a read command creates no database
    assert missing.exit_code == 2 and "does not exist" in missing.stderr and not (tmp_path / "x.db").exists()
    create_db_engine(url).dispose()
    result = runner.invoke(app, ["results", "--db", url])
    assert result.exit_code == 2 and "no pipeline run" in result.stderr
    assert "--pipeline" in runner.invoke(app, ["run", "--help"]).stdout
    listing = runner.invoke(app, ["pipelines"])
    assert listing.exit_code == 0 and "default: cleanup → summarize → ner.spacy" in listing.stdout
