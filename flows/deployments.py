"""Scheduled deployments of ``tandem-pipeline``.

Locally, :func:`serve_pipeline` creates a deployment with a cron schedule and serves it from this
process (``tandem serve``); runs appear in the Prefect UI. On a work pool, use ``docker/prefect.yaml``
(``prefect deploy --prefect-file docker/prefect.yaml``).
"""

from __future__ import annotations

from typing import Any

from tandem.flows.ingest import DEFAULT_MAX_DOC_MB

DEFAULT_DEPLOYMENT = "tandem-batch"


def deployment_parameters(paths: list[str], pipeline: str = "default", db_url: str | None = None,
                          llm: str | None = None, batch_size: int | None = None, models_dir: str | None = None,
                          max_doc_mb: float = DEFAULT_MAX_DOC_MB, stage_batch_size: dict[str, int] | None = None
                          ) -> dict[str, Any]:
    """Flow parameters for a deployment; only names and numbers, so they show and edit in the UI."""
    params: dict[str, Any] = {"paths": paths, "pipeline": pipeline, "max_doc_mb": max_doc_mb}
    for key, value in (("db_url", db_url), ("llm", llm), ("models_dir", models_dir), ("batch_size", batch_size),
                       ("stage_batch_size", stage_batch_size)):
        if value is not None:
            params[key] = value
    return params


def build_deployment(name: str, parameters: dict[str, Any], cron: str | None = None,
                     timezone: str | None = None, tags: list[str] | None = None) -> Any:
    """A ``RunnerDeployment`` of the pipeline flow (not yet registered)."""
    from tandem.flows.pipeline import tandem_pipeline

    return tandem_pipeline.to_deployment(name=name, cron=cron, parameters=parameters, tags=tags or ["tandem"],
                                         description="Tandem LLM-then-specialist batch pipeline")


def serve_pipeline(name: str, parameters: dict[str, Any], cron: str | None = None, limit: int | None = None
                   ) -> None:
    """Register the deployment and serve it until interrupted (needs a Prefect server: PREFECT_API_URL)."""
    from prefect import serve

    serve(build_deployment(name, parameters, cron), limit=limit)


def build_retrain_deployment(name: str, parameters: dict[str, Any], cron: str | None = None) -> Any:
    """A ``RunnerDeployment`` of the flywheel's ``tandem-retrain`` flow (:mod:`tandem.flows.flywheel`)."""
    from tandem.flows.flywheel import tandem_retrain

    return tandem_retrain.to_deployment(name=name, cron=cron, parameters=parameters, tags=["tandem", "flywheel"],
                                        description="Tandem flywheel: retrain on stored labels, gate, promote")


def serve_retrain(name: str, parameters: dict[str, Any], cron: str | None = None, limit: int | None = None) -> None:
    """Serve :func:`build_retrain_deployment` until interrupted (needs a Prefect server: PREFECT_API_URL)."""
    from prefect import serve

    serve(build_retrain_deployment(name, parameters, cron), limit=limit)
