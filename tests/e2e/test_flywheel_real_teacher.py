"""The flywheel with the real embedded SmolLM2 as the teacher: its zero-shot spam labels are poor, so the
challenger trained on them is worse on gold, and the gate refuses it with the figures; nothing in the pipeline
changes (the same version stays promoted, and a rerun of the cascade reuses every stored result)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tandem.cli import app
from tandem.specialists.registry import read_entry
from tests.e2e.test_flywheel_rounds import SMS, bucket, read_sms, write_tsv

pytestmark = [pytest.mark.slow, pytest.mark.datasets]
runner = CliRunner()


def test_the_gate_refuses_what_a_weak_teacher_taught(tmp_path: Path, prefect_harness: None) -> None:
    if not SMS.is_file():
        pytest.skip(f"{SMS} not found (the shared datasets are not here)")
    rows = sorted(dict(read_sms()).items(), key=lambda item: bucket(item[0]))
    gold, seed, pool = rows[:300], rows[400:480], rows[1400:1430]
    gold_file, seed_file = write_tsv(tmp_path / "gold.tsv", gold), write_tsv(tmp_path / "seed.tsv", seed)
    models, url = tmp_path / "models", f"sqlite:///{tmp_path / 'f.db'}"
    base = ["distill", "classify", "--from-labels", "--name", "spam", "--gold", str(gold_file), "--models-dir",
            str(models), "--db", url]
    assert runner.invoke(app, [*base, "--data", str(seed_file)]).exit_code == 0  # spam@1, from 80 gold-labelled

    docs = tmp_path / "pool.jsonl"
    docs.write_text("".join(json.dumps({"id": f"p{i}", "text": t}) + "\n" for i, (t, _l) in enumerate(pool)),
                    encoding="utf-8")
    spec = tmp_path / "cascade.yaml"  # threshold 1.0: every message goes to the teacher
    spec.write_text("stages:\n  - stage: cascade\n    input: text\n    output: spam\n    options:\n"
                    "      specialist: classify.spam\n      llm: classify.llm\n      threshold: 1.0\n"
                    "      llm_options: {labels: [spam, ham], max_attempts: 2}\n")
    args = ["run", str(docs), "--pipeline", str(spec), "--db", url, "--models-dir", str(models), "--llm", "embedded",
            "--format", "json"]
    first = runner.invoke(app, args)
    assert first.exit_code in (0, 3), first.stderr  # an answer the LLM could not give keeps the specialist's

    refused = runner.invoke(app, base)  # the challenger learns from the teacher's labels alone
    assert refused.exit_code == 1, refused.stderr
    message = " ".join(refused.stderr.split())
    assert "refused: worse beyond the gold set's noise" in message and "paired-bootstrap interval" in message
    entry = read_entry(models, "spam")
    assert entry is not None and entry.promoted == 1 and entry.events[-1].action == "refuse"
    assert entry.version(2).gold["macro_f1"] < entry.version(1).gold["macro_f1"]

    again = json.loads(runner.invoke(app, args).stdout)  # nothing changed: every result reused, no LLM call
    totals = again["totals"]["cascade"]
    assert totals["reused"] == totals["results"] == len({t for t, _l in pool}) and "spam@1" in totals["model_id"]
