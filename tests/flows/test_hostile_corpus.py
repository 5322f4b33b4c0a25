"""A corpus of 90 good files and 10 hostile ones (10 %) through the whole ``ner`` pipeline flow, in-process:
every good record is stored ``ok``, every hostile one ``failed`` with a reason; none is lost or stored twice."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from tandem.flows.pipeline import tandem_pipeline
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import RunDocumentRow, RunRecordRow, StageResultRow

MAX_DOC_MB = 0.01  # 10 kB: the good records are far under it, the huge ones over it


def sentence(number: int) -> str:
    return f"Report {number}: Anna Schmidt of Siemens flew from Berlin to Paris on Monday to meet the mayor."


def write_good(folder: Path, n_files: int = 90) -> dict[str, str]:
    """``n_files`` small files, a third each .txt (one record), .jsonl and .csv (two records); returns the
    records' sources (``name`` or ``name:line``) and texts."""
    records: dict[str, str] = {}
    for i in range(n_files):
        texts = [sentence(2 * i), sentence(2 * i + 1)]
        if i % 3 == 0:
            (folder / f"good{i:03d}.txt").write_text(texts[0], encoding="utf-8")
            records[f"good{i:03d}.txt"] = texts[0]
        elif i % 3 == 1:
            lines = [json.dumps({"id": f"j{i}-{k}", "text": text, "lang": "en"}) for k, text in enumerate(texts)]
            (folder / f"good{i:03d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
            records.update({f"good{i:03d}.jsonl:{k + 1}": text for k, text in enumerate(texts)})
        else:
            rows = "".join(f'c{i}-{k},"{text}",CA\n' for k, text in enumerate(texts))
            (folder / f"good{i:03d}.csv").write_text("id,text,court\n" + rows, encoding="utf-8")
            records.update({f"good{i:03d}.csv:{k + 2}": text for k, text in enumerate(texts)})
    return records


def write_hostile(folder: Path) -> dict[str, str]:
    """Ten hostile files, one record each; returns their sources and the failure kind expected."""
    files: dict[str, tuple[bytes, str]] = {
        "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 40, "binary"),
        "empty.txt": (b"", "empty"),
        "nul-late.txt": (b"plain words " * 750 + b"\x00 and more", "binary"),  # past the 8 kB binary sniff
        "latin1.txt": ("R\u00e9sum\u00e9 of Fran\u00e7ois, n\u00e9e \u00e0 Montr\u00e9al".encode("latin-1"), "encoding"),
        "utf16.txt": ("Anna flew to Paris.".encode("utf-16"), "encoding"),
        "huge.txt": (b"The committee met again to discuss the budget.\n" * 300, "too_large"),
        "broken-quote.csv": (b'id,text\nq1,"this quote is never closed ' + b"and the field goes on " * 7000,
                             "too_large"),
        "deep.jsonl": (b'{"text": "deep", "meta": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", "unreadable"),
        "huge-line.jsonl": (json.dumps({"text": "word " * 4000}).encode() + b"\n", "too_large"),
        "surrogate.jsonl": (b'{"text": "a lone \\ud800 surrogate"}\n', "encoding"),
    }
    sources = {}
    for name, (data, kind) in files.items():
        (folder / name).write_bytes(data)
        sources[name + (":2" if name.endswith(".csv") else ":1" if name.endswith(".jsonl") else "")] = kind
    return sources


def test_a_hostile_corpus_is_fully_accounted_for(tmp_path: Path, prefect_harness: None) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good, hostile = write_good(corpus), write_hostile(corpus)
    assert len(list(corpus.iterdir())) == 100 and len(hostile) == 10
    url = f"sqlite:///{tmp_path / 'r.db'}"

    summary = tandem_pipeline(paths=[str(corpus)], pipeline="ner", db_url=url, max_doc_mb=MAX_DOC_MB)

    inputs = len(good) + len(hostile)
    with unit_of_work(create_db_engine(url)) as session:
        status = {Path(source).name: link_status for source, link_status in session.execute(
            select(RunRecordRow.source, RunDocumentRow.status)
            .join(RunDocumentRow, (RunDocumentRow.document_id == RunRecordRow.document_id)
                  & (RunDocumentRow.run_id == RunRecordRow.run_id))
            .where(RunRecordRow.run_id == summary.run_id))}
        reasons = {Path(source).name: (row.error_kind, row.error) for source, row in session.execute(
            select(RunRecordRow.source, StageResultRow)
            .join(StageResultRow, StageResultRow.document_id == RunRecordRow.document_id)
            .where(RunRecordRow.run_id == summary.run_id, StageResultRow.stage == "ingest"))}
        ner_ok = session.scalar(select(func.count()).select_from(StageResultRow)
                                .where(StageResultRow.stage == "ner.spacy", StageResultRow.status == "ok"))
        duplicated = session.scalar(select(func.count()).select_from(
            select(StageResultRow.document_id, StageResultRow.stage)
            .group_by(StageResultRow.document_id, StageResultRow.stage)
            .having(func.count() > 1).subquery()))

    processed = sum(value == "ok" for value in status.values())
    failed_with_reason = sum(value == "failed" and bool((reasons.get(name) or (None, ""))[1])
                             for name, value in status.items())
    lost = len((set(good) | set(hostile)) - set(status))
    print(f"hostile corpus: {inputs} input records in 100 files ({len(good)} good, {len(hostile)} hostile): "
          f"{processed} documents processed, {failed_with_reason} failed with a reason, {lost} lost, "
          f"{duplicated} duplicated")

    assert {name: status.get(name) for name in good} == dict.fromkeys(good, "ok")
    assert {name: status.get(name) for name in hostile} == dict.fromkeys(hostile, "failed")
    assert {name: reasons[name][0] for name in hostile} == hostile
    assert all((reasons[name][1] or "").strip() for name in hostile)
    assert not set(reasons) & set(good)  # no good record has a read failure
    assert set(status) == set(good) | set(hostile)  # nothing else was read from the corpus
    assert (processed, failed_with_reason, lost, duplicated) == (len(good), len(hostile), 0, 0)
    assert processed + failed_with_reason == inputs and ner_ok == len(good)
    assert (summary.documents, summary.succeeded, summary.failed) == (inputs, len(good), len(hostile))
