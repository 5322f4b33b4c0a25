"""``tandem serve`` (scheduled local deployment) and ``tandem trigger`` (run a deployment), registered
in :mod:`flows.cli`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli_common import DB_HELP, MODELS_DIR_HELP, err, fail


def serve_command(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to process on each run.", show_default=False)],
    cron: Annotated[str | None, typer.Option(help="Cron schedule, e.g. '0 2 * * *' (nightly at 02:00).")] = None,
    name: Annotated[str, typer.Option(help="Deployment name.")] = "tandem-batch",
    pipeline: Annotated[str, typer.Option("--pipeline", "-p", help="Pipeline name or spec file.")] = "default",
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP, show_default=False)] = None,
    llm: Annotated[str | None, typer.Option(help="LLM backend spec.", show_default=False)] = None,
    batch_size: Annotated[int, typer.Option(min=1)] = 8,
    models_dir: Annotated[str | None, typer.Option(help=MODELS_DIR_HELP, show_default=False)] = None,
) -> None:
    """Serve the pipeline as a Prefect deployment with an optional cron schedule (needs PREFECT_API_URL)."""
    import os

    from flows.deployments import deployment_parameters, serve_pipeline
    from stages.pipeline_spec import Pipeline, PipelineError

    try:
        Pipeline.load(pipeline, llm=llm, models_dir=models_dir)
    except PipelineError as exc:
        fail(str(exc))
    if not os.environ.get("PREFECT_API_URL"):
        err.print("[yellow]PREFECT_API_URL is not set: schedules need a running Prefect server "
                  "(`prefect server start`, or docker/compose.yaml).[/]")
    params = deployment_parameters([str(p.resolve()) for p in paths], pipeline, db, llm, batch_size, models_dir)
    err.print(f"Serving deployment [bold]tandem-pipeline/{name}[/]" + (f" on cron '{cron}'" if cron else ""))
    serve_pipeline(name, params, cron)


def trigger_command(
    deployment: Annotated[str, typer.Option(help="Deployment name.")] = "tandem-batch",
    wait: Annotated[bool, typer.Option(help="Wait for the run to finish.")] = False,
) -> None:
    """Start a run of a served or deployed pipeline (run_deployment)."""
    from flows.triggers import trigger_deployment

    run = trigger_deployment(deployment=deployment, timeout=None if wait else 0)
    err.print(f"flow run [bold]{run.name}[/] ({run.id}): {run.state.name if run.state else 'scheduled'}")
