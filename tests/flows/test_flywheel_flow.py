"""The flywheel's Prefect flow: one round run as ``tandem-retrain`` publishes a markdown artifact the Prefect UI
renders (what was gathered, challenger against champion, promoted or not, the LLM share), and its nightly
deployment carries plain parameters."""

from __future__ import annotations

from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from tandem.flows.deployments import build_retrain_deployment
from tandem.flows.flywheel import tandem_retrain
from tandem.specialists.registry import read_entry
from tandem.storage.db import create_db_engine, unit_of_work
from tandem.storage.labels import LabelRecord, save_labels
from tests.specialists.test_classifier import tiny_rows, write_rows


def test_a_round_publishes_a_markdown_artifact(tmp_path: Path, prefect_harness: None) -> None:
    url, models = f"sqlite:///{tmp_path / 'f.db'}", tmp_path / "models"
    with unit_of_work(create_db_engine(url)) as session:
        save_labels(session, [LabelRecord("spam", text, label, "gold:seed.tsv") for label, text in tiny_rows(40)])
    gold = write_rows(tmp_path / "gold.tsv", tiny_rows(30, seed=4))
    result = tandem_retrain(task_name="spam", gold=str(gold), db_url=url, models_dir=str(models), features="tfidf")
    assert result["gate"]["promoted"] and read_entry(models, "spam").promoted == 1  # type: ignore[union-attr]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[
            "tandem-flywheel-spam"])))
    assert artifacts and artifacts[0].type == "markdown"
    text = str(artifacts[0].data)
    assert text.startswith("# Flywheel round: spam@1") and "**Promoted**" in text and "| challenger | spam@1 |" in text
    assert "Labels gathered since the last round: gold " in text and "LLM share of the cascade" in text


def test_the_nightly_retrain_deployment_has_a_cron_and_plain_parameters() -> None:
    params = {"task_name": "spam", "gold": "/data/gold.tsv", "db_url": "postgresql+psycopg://t:***@db/t"}
    deployment = build_retrain_deployment("tandem-retrain", params, cron="0 3 * * *")
    assert deployment.parameters == params and deployment.schedules[0].schedule.cron == "0 3 * * *"
