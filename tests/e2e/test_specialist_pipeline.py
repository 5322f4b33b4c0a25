"""Three trained/real specialists in one YAML pipeline through ``tandem run``, stored as typed rows.

A classifier and a NER model are trained here on tiny data (the real training code, the real
MiniLM for nothing but the summarizer); ``summarize.legal`` uses the real MiniLM encoder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tandem.cli import app
from tandem.specialists.training.classify import train_classifier
from tandem.specialists.training.ner import train_ner
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.models import EntityRow, LabelRow, SummaryRow
from tests.cli.test_ner import tiny_conll
from tests.specialists.test_classifier import tiny_rows, write_rows

pytestmark = pytest.mark.slow

BILL = """SECTION 1. SHORT TITLE.

This Act may be cited as the ``Rural Broadband Access Act of 2026''.

SEC. 2. GRANTS FOR RURAL BROADBAND.

(a) In General.--The Secretary of Agriculture shall award grants to eligible cooperatives to build
broadband networks in rural counties without high-speed internet service. Anna Schmidt flew to Paris
to study rural networks. (b) Priority.--In awarding grants, the Secretary shall give priority to
counties with the lowest rates of household broadband adoption.

SEC. 3. AUTHORIZATION OF APPROPRIATIONS.

There are authorized to be appropriated $500,000,000 for each of fiscal years 2027 through 2031 to
carry out this Act. WIN a FREE prize now, call 555.
"""


def test_classifier_ner_and_legal_summarizer_in_one_yaml_pipeline(tmp_path: Path, prefect_harness: None) -> None:
    models = tmp_path / "models"
    train_classifier(write_rows(tmp_path / "spam.tsv", tiny_rows()), "tinyspam", models_dir=models, features="tfidf")
    # 12 epochs: with fewer, this tiny blank model sometimes learns nothing (training order varies with
    # the hash seed and BLAS threads)
    train_ner(tiny_conll(tmp_path / "ner.txt"), "tinyner", models_dir=models, base="blank", epochs=12, members=1)

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bill.txt").write_text(BILL)
    (docs / "sms.txt").write_text("URGENT! You have won £900, reply WIN. John Miller flew to New York.")
    spec = tmp_path / "specialists.yaml"
    spec.write_text("name: specialists\nstages:\n"
                    "  - stage: classify.tinyspam\n    input: text\n"
                    "  - stage: ner.spacy:tinyner\n    input: text\n"
                    "  - stage: summarize.legal\n    input: text\n    options:\n      max_words: 40\n")
    url = f"sqlite:///{tmp_path / 'specialists.db'}"
    runner = CliRunner()
    args = ["run", str(docs), "--pipeline", str(spec), "--db", url, "--models-dir", str(models), "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {d["outputs"]["tinyspam"]["label"] for d in report["documents"]} <= {"spam", "ham"}

    engine = create_db_engine(url)
    with unit_of_work(engine) as session:
        labels = session.scalars(select(LabelRow)).all()
        entities = session.scalars(select(EntityRow)).all()
        summaries = session.scalars(select(SummaryRow)).all()
        assert len(labels) == 2 and len(summaries) == 2
        assert all(row.label in ("spam", "ham") and 0.0 <= row.score <= 1.0 for row in labels)
        assert all(set(row.scores) == {"spam", "ham"} for row in labels)
        assert {row.label for row in entities} <= {"PER", "LOC"} and entities
        assert all(isinstance(row.start, int) and row.text for row in entities)
        bill_summary = next(row for row in summaries if "Broadband" in row.text)
        assert bill_summary.method == "extractive" and len(bill_summary.text.split()) <= 40
        assert "SHORT TITLE" not in bill_summary.text  # boilerplate is dropped
        n_rows = (len(labels), len(entities), len(summaries))

    # a rerun of the same inputs reuses every result: no new typed row
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    with unit_of_work(engine) as session:
        assert (len(session.scalars(select(LabelRow)).all()), len(session.scalars(select(EntityRow)).all()),
                len(session.scalars(select(SummaryRow)).all())) == n_rows
