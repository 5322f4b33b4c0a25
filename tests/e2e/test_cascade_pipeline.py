"""A real ``tandem run`` with a ``cascade`` step: a tiny trained classifier answers every SMS, the embedded
LLM (SmolLM2 through llama.cpp) only the ones it is least sure of; routes and LLM calls are stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tandem.cli import app
from tandem.specialists.classifier import load_classifier
from tandem.specialists.training.classify import train_classifier
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import LabelRow, StageResultRow
from tests.specialists.test_classifier import tiny_rows, write_rows

pytestmark = pytest.mark.slow

SMS = ["Free entry in 2 a wkly comp to win FA Cup final tkts, text FA to 87121",
       "Ok lar... Joking wif u oni...", "U dun say so early hor... U c already then say...",
       "WINNER!! As a valued network customer you have been selected to receive a prize reward!",
       "Nah I don't think he goes to usf, he lives around here though",
       "Had your mobile 11 months or more? You are entitled to update to the latest colour mobiles for free!",
       "I'm gonna be home soon and i don't want to talk about this stuff anymore tonight",
       "SIX chances to win CASH! From 100 to 20,000 pounds txt CSH11 and send to 87575.",
       "Even my brother is not like to speak with me.", "As per your request, your callertune has been set"]


def test_cascade_sends_only_the_unsure_share_to_the_llm(tmp_path: Path, prefect_harness: None) -> None:
    models = tmp_path / "models"
    train_classifier(write_rows(tmp_path / "spam.tsv", tiny_rows()), "tinyspam", models_dir=models, features="tfidf")
    confidences = sorted(c.score for c in load_classifier("tinyspam", models).predict(SMS))
    assert confidences[0] < confidences[1]
    threshold = round((confidences[0] + confidences[1]) / 2, 6)  # exactly one of ten goes to the LLM: 10 %
    docs = tmp_path / "sms.jsonl"
    docs.write_text("".join(json.dumps({"id": f"sms{i}", "text": text}) + "\n" for i, text in enumerate(SMS)))
    spec = tmp_path / "cascade.yaml"
    spec.write_text("name: cascade\nstages:\n  - stage: cascade\n    output: spam\n    options:\n"
                    f"      specialist: classify.tinyspam\n      llm: classify.llm\n      threshold: {threshold}\n"
                    "      llm_options: {labels: [spam, ham], max_attempts: 2}\n")
    url = f"sqlite:///{tmp_path / 'cascade.db'}"
    args = ["run", str(docs), "--pipeline", str(spec), "--db", url, "--models-dir", str(models), "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {d["labels"]["spam"]["label"] for d in report["documents"]} <= {"spam", "ham"}  # shown as a label

    engine = create_db_engine(url)
    with unit_of_work(engine) as session:
        rows = session.scalars(select(StageResultRow).where(StageResultRow.stage == "cascade")).all()
        labels = session.scalars(select(LabelRow)).all()
        assert len(rows) == len(SMS) and len(labels) == len(SMS)
        assert all(row.status == "ok" and row.output_type == "RoutedClassification" for row in rows)
        asked = [row for row in rows if row.llm_calls > 0]
        assert len(asked) == 1 and sum(row.llm_calls for row in rows) <= 2  # one document, at most 2 attempts
        for row in rows:
            output = row.output or {}
            sent = output["specialist_confidence"] < threshold
            assert (row in asked) == sent
            assert output["route"] == ("llm" if sent and not output.get("llm_error") else "specialist")
        assert asked[0].prompt_tokens > 0 and asked[0].model_id.endswith(".gguf")
