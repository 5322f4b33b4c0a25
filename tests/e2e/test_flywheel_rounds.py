"""The flywheel end to end on the shared SMS data, with a simulated strong teacher (an OpenAI-compatible test server
answering from the gold labels, wrong on 10 % of texts: :mod:`tests.e2e.teacher_server`).

Round 0 trains ``spam@1`` from 80 labelled messages; then three rounds of: a cascade run (``threshold: null``, the
flywheel's) over 300 new unlabeled messages → the LLM answers it paid for stored as labels → ``tandem distill
classify --from-labels`` trains the next version → the gate on 400 gold messages → promotion. The LLM's share
of the cascade falls from round 1 to round 3, gold macro F1 never drops beyond the gate's tolerance, every
promotion is recorded, and every stored result names the version that made it."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tandem.cli import app
from tandem.specialists.flywheel_report import version_of
from tandem.specialists.registry import read_entry
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import StageResultRow, TrainingLabelRow
from tests.conftest import shared_datasets_dir
from tests.e2e.teacher_server import SimulatedTeacher, serve

pytestmark = [pytest.mark.slow, pytest.mark.datasets]

SMS = shared_datasets_dir() / "sms_spam" / "train.tsv"
runner = CliRunner()


def read_sms() -> list[tuple[str, str]]:
    with SMS.open(encoding="utf-8", newline="") as stream:
        return [(row["text"], row["label"]) for row in csv.DictReader(stream, dialect="excel-tab")
                if row.get("text", "").strip()]


def bucket(text: str) -> int:
    return int(hashlib.sha256(f"flywheel\t{text}".encode()).hexdigest()[:8], 16) % 1000


def write_tsv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, dialect="excel-tab")
        writer.writerow(["text", "label"])
        writer.writerows((" ".join(t.split()), label) for t, label in rows)
    return path


def test_three_rounds_with_a_simulated_teacher(tmp_path: Path, prefect_harness: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    if not SMS.is_file():
        pytest.skip(f"{SMS} not found (the shared datasets are not here)")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-simulated")
    rows = sorted(dict(read_sms()).items(), key=lambda item: bucket(item[0]))
    gold, seed, pool = rows[:400], rows[400:480], rows[480:1380]
    gold_file = write_tsv(tmp_path / "gold.tsv", gold)
    seed_file = write_tsv(tmp_path / "seed.tsv", seed)
    models, url = tmp_path / "models", f"sqlite:///{tmp_path / 'flywheel.db'}"
    teacher = SimulatedTeacher(dict(rows), ["spam", "ham"], error_rate=0.1)
    retrain = ["distill", "classify", "--from-labels", "--name", "spam", "--data", str(seed_file), "--gold",
               str(gold_file), "--models-dir", str(models), "--db", url, "--json"]

    first = runner.invoke(app, retrain)
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["gate"]["promoted"] and read_entry(models, "spam").promoted == 1

    shares, used, f1 = [], [], [json.loads(first.stdout)["gate"]["challenger_f1"]]
    with serve(teacher) as base_url:
        for number in (1, 2, 3):
            docs = tmp_path / f"batch{number}.jsonl"
            batch = pool[(number - 1) * 300:number * 300]
            docs.write_text("".join(json.dumps({"id": f"r{number}-{i}", "text": t}) + "\n"
                                    for i, (t, _label) in enumerate(batch)), encoding="utf-8")
            spec = tmp_path / "cascade.yaml"
            spec.write_text("stages:\n  - stage: cascade\n    input: text\n    output: spam\n    options:\n"
                            "      specialist: classify.spam\n      llm: classify.llm\n      threshold: null\n"
                            "      llm_options: {labels: [spam, ham], max_attempts: 1}\n")
            ran = runner.invoke(app, ["run", str(docs), "--pipeline", str(spec), "--db", url, "--models-dir",
                                      str(models), "--llm", f"openai:teacher@{base_url}", "--format", "json"])
            assert ran.exit_code == 0, ran.stderr
            promoted = read_entry(models, "spam").promoted
            report = json.loads(ran.stdout)
            outputs = [d["outputs"]["spam"] for d in report["documents"]]
            assert {version_of(o["model_id"], "spam") for o in outputs} == {promoted}  # who made each result
            shares.append(sum(o["route"] == "llm" for o in outputs) / len(outputs))
            used.append(promoted)
            trained = runner.invoke(app, retrain)
            assert trained.exit_code in (0, 1), trained.stderr
            gate = json.loads(trained.stdout)["gate"]
            entry = read_entry(models, "spam")
            assert entry.events[-1].action == ("promote" if gate["promoted"] else "refuse")
            assert entry.promoted == (number + 1 if gate["promoted"] else promoted)
            if gate["promoted"]:  # never worse than the champion beyond the gold set's noise
                assert gate["delta_high"] >= 0
                f1.append(gate["challenger_f1"])

    assert shares[2] < shares[0], shares
    assert all(later >= earlier - 0.05 for earlier, later in zip(f1, f1[1:], strict=False)), f1
    with unit_of_work(create_db_engine(url)) as session:
        labels = session.scalars(select(TrainingLabelRow)).all()
        cascade = session.scalars(select(StageResultRow).where(StageResultRow.stage == "cascade")).all()
    assert labels and all(row.source == "llm:teacher@classify_llm" or row.source.startswith("llm:") for row in labels)
    assert len(labels) == sum(round(s * 300) for s in shares)  # one label per answer the cascade paid for
    assert {version_of(row.model_id, "spam") for row in cascade} >= {1, 2}
    flywheel = runner.invoke(app, ["flywheel", "report", "--task", "spam", "--db", url, "--models-dir", str(models),
                                   "--json"])
    assert flywheel.exit_code == 0, flywheel.stderr
    report = json.loads(flywheel.stdout)
    assert [r["version"] for r in report["rounds"]] == [1, 2, 3, 4]
    assert [(r["version"], r["llm_share"]) for r in report["runs"]] == list(zip(used, [round(s, 4) for s in shares],
                                                                               strict=True))
    assert all(r["cost_per_1k_docs"] > 0 for r in report["runs"])
