from tandem.flows.deployments import build_deployment, deployment_parameters


def test_deployment_has_cron_schedule_and_plain_parameters() -> None:
    params = deployment_parameters(["/data/inbox"], pipeline="default", db_url="sqlite:///t.db")
    deployment = build_deployment("nightly", params, cron="0 2 * * *")
    assert deployment.name == "nightly"
    assert deployment.parameters == {"paths": ["/data/inbox"], "pipeline": "default",
                                     "max_doc_mb": 5.0, "db_url": "sqlite:///t.db"}  # each stage's batch size
    sized = deployment_parameters(["/in"], batch_size=64, stage_batch_size={"ner.spacy": 500})
    assert sized["batch_size"] == 64 and sized["stage_batch_size"] == {"ner.spacy": 500}
    assert deployment.schedules and deployment.schedules[0].schedule.cron == "0 2 * * *"
