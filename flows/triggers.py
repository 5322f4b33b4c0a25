"""Programmatic triggers: run the pipeline in process, or trigger a deployment on a Prefect server."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tandem.flows.deployments import DEFAULT_DEPLOYMENT
from tandem.flows.reports import RunSummary


def run_pipeline(paths: Sequence[str | Path], pipeline: str = "default", db_url: str | None = None,
                 llm: str | None = None, batch_size: int | None = None, models_dir: str | None = None
                 ) -> RunSummary:
    """Run ``tandem-pipeline`` in this process and return its typed summary (run id, counts, per stage)."""
    from tandem.flows.pipeline import tandem_pipeline

    return tandem_pipeline(paths=[str(p) for p in paths], pipeline=pipeline, db_url=db_url, llm=llm,
                           batch_size=batch_size, models_dir=models_dir)


def trigger_deployment(parameters: dict[str, Any] | None = None, deployment: str = DEFAULT_DEPLOYMENT,
                       timeout: float | None = 0) -> Any:
    """Start a run of a served/deployed pipeline via ``run_deployment`` (returns the flow run).

    ``timeout=0`` returns at once; ``None`` waits for the run to finish.
    """
    from prefect.deployments import run_deployment

    return run_deployment(name=f"tandem-pipeline/{deployment}", parameters=parameters or {}, timeout=timeout)
