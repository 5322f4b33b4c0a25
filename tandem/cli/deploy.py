"""``tandem serve`` (scheduled local deployment) and ``tandem trigger`` (run a deployment), registered
in :mod:`tandem.cli.main`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tandem.cli.common import (
    DB_HELP,
    MODELS_DIR_HELP,
    BatchSizeOption,
    fail,
    open_results_db,
    parse_batch_sizes,
)
from tandem.cli.console import err


def serve_command(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders to process on each run.",
                                                       show_default=False)] = None,
    cron: Annotated[str | None, typer.Option(help="Cron schedule, e.g. '0 2 * * *' (nightly at 02:00).")] = None,
    name: Annotated[str, typer.Option(help="Deployment name.")] = "tandem-batch",
    pipeline: Annotated[str, typer.Option("--pipeline", "-p", help="Pipeline name or spec file.")] = "default",
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP, show_default=False)] = None,
    llm: Annotated[str | None, typer.Option(help="LLM backend spec.", show_default=False)] = None,
    batch_size: BatchSizeOption = None,
    models_dir: Annotated[str | None, typer.Option(help=MODELS_DIR_HELP, show_default=False)] = None,
    retrain: Annotated[str | None, typer.Option("--retrain", help="Serve the flywheel instead: retrain this "
                                                "specialist (spam) on its stored labels, gate it on --gold, promote "
                                                "it if it is not worse; a markdown artifact per round.",
                                                show_default=False)] = None,
    gold: Annotated[Path | None, typer.Option("--gold", help="With --retrain: the gold file (text, label).",
                                              show_default=False)] = None,
    data: Annotated[Path | None, typer.Option("--data", help="With --retrain: your own training file.",
                                              show_default=False)] = None,
) -> None:
    """Serve the pipeline as a Prefect deployment with an optional cron schedule (needs PREFECT_API_URL).

    With --retrain, serve the flywheel's nightly retrain instead."""
    import os

    if retrain is not None:
        _serve_retrain(retrain, gold, data, cron, name, db, models_dir)
        return
    if not paths:
        fail("tandem serve needs PATHS to process (or --retrain TASK --gold FILE)")
    from tandem.flows.deployments import deployment_parameters, serve_pipeline
    from tandem.flows.pipeline import stage_batch_sizes
    from tandem.stages.pipeline_spec import Pipeline, PipelineError

    every_stage, per_stage = parse_batch_sizes(batch_size)
    try:
        stage_batch_sizes(Pipeline.load(pipeline, llm=llm, models_dir=models_dir), every_stage, per_stage)
    except (PipelineError, ValueError) as exc:
        fail(str(exc))
    if not os.environ.get("PREFECT_API_URL"):
        err.print("[yellow]PREFECT_API_URL is not set: schedules need a running Prefect server "
                  "(`prefect server start`, or docker/compose.yaml).[/]")
    # the deployment's parameters show in the UI: the database password stays in this serving process
    db_url = open_results_db(db) if db is not None else None
    params = deployment_parameters([str(p.resolve()) for p in paths], pipeline, db_url, llm, every_stage, models_dir,
                                   stage_batch_size=per_stage or None)
    err.print(f"Serving deployment [bold]tandem-pipeline/{name}[/]" + (f" on cron '{cron}'" if cron else ""))
    serve_pipeline(name, params, cron)


def trigger_command(
    deployment: Annotated[str, typer.Option(help="Deployment name.")] = "tandem-batch",
    wait: Annotated[bool, typer.Option(help="Wait for the run to finish.")] = False,
) -> None:
    """Start a run of a served or deployed pipeline (run_deployment)."""
    from tandem.flows.triggers import trigger_deployment

    run = trigger_deployment(deployment=deployment, timeout=None if wait else 0)
    err.print(f"flow run [bold]{run.name}[/] ({run.id}): {run.state.name if run.state else 'scheduled'}")


def _serve_retrain(task: str, gold: Path | None, data: Path | None, cron: str | None, name: str, db: str | None,
                   models_dir: str | None) -> None:
    from tandem.flows.deployments import serve_retrain

    if gold is None or not gold.is_file():
        fail("--retrain needs --gold FILE (text, label): every challenger is gated on it")
    db_url = open_results_db(db)  # the password stays in this serving process
    params = {"task_name": task, "gold": str(gold.resolve()), "db_url": db_url, "models_dir": models_dir,
              "data": str(data.resolve()) if data else None}
    deployment = "tandem-retrain" if name == "tandem-batch" else name
    err.print(f"Serving deployment [bold]tandem-retrain/{deployment}[/]" + (f" on cron '{cron}'" if cron else ""))
    serve_retrain(deployment, {k: v for k, v in params.items() if v is not None}, cron)
