"""The ``tandem`` command line (Typer + Rich).

Exit codes: 0 every document succeeded, 3 some documents failed (they are recorded), 2 usage or
configuration error (nothing was processed).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tandem.cli.classify import eval_classify_command, train_classify_command
from tandem.cli.cleanup import eval_cleanup_command, train_cleanup_command
from tandem.cli.common import (
    DB_HELP,
    EXIT_PARTIAL,
    MODELS_DIR_HELP,
    BatchSizeOption,
    fail,
    open_results_db,
    parse_batch_sizes,
    print_json,
    progress_bars,
)
from tandem.cli.compare import (
    compare_classify_command,
    compare_ner_command,
    compare_summarize_command,
    results_comparison,
)
from tandem.cli.compare_embed import compare_embed_command
from tandem.cli.console import err, out
from tandem.cli.deploy import serve_command, trigger_command
from tandem.cli.distill import distill_command
from tandem.cli.labels import labels_app
from tandem.cli.models import flywheel_app, models_app
from tandem.cli.ner import eval_ner_command, train_ner_command
from tandem.cli.pipelines import pipelines_command
from tandem.cli.runs import runs_command
from tandem.cli.search import dedup_command, search_command
from tandem.cli.server import server_app
from tandem.cli.summarize import eval_summarize_command
from tandem.cli.train_embed import train_embed_command

if TYPE_CHECKING:
    from tandem.flows.reports import RunSummary
    from tandem.stages.pipeline_spec import Pipeline

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

app = typer.Typer(
    name="tandem", no_args_is_help=True, rich_markup_mode="rich",
    help="Run LLM-then-specialist pipelines on Prefect and store every result in SQL.",
)
train_app = typer.Typer(no_args_is_help=True, help="Train specialists (classifiers, NER, cleanup, embedders) into the models folder.")
eval_app = typer.Typer(no_args_is_help=True, help="Measure a specialist or the LLM cleanup on gold data.")
compare_app = typer.Typer(no_args_is_help=True, help="LLM or specialist? Run both on your gold data: quality, "
                                                     "speed, latency, tokens and cost side by side.")

DbOption = Annotated[str | None, typer.Option("--db", help=DB_HELP, show_default=False)]


@app.callback()
def _before_every_command() -> None:
    """Before any command: redact the environment's secrets from every log record of this process (whichever
    logger or handler, Prefect's included, however late it is configured); use the Prefect server 'tandem
    server start' left running, when PREFECT_API_URL is not set (Prefect reads its settings on first import,
    which comes later)."""
    from tandem.flows.server import use_running_server
    from tandem.stages.secrets import install_log_redaction

    install_log_redaction()
    use_running_server()


def run(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.txt, .md, .jsonl, .csv, .pdf, .docx, .html, .htm, .png, "
                                                ".jpg, .jpeg, .tif, .tiff).",
                                                show_default=False)],
    pipeline: Annotated[str, typer.Option("--pipeline", "-p", help="Built-in pipeline name or a YAML/TOML spec file.")]
    = "default",
    db: DbOption = None,
    llm: Annotated[str | None, typer.Option(
        help="LLM backend: embedded | openai:<model>@<base_url> | ollama:<model>[@<url>] (default: $TANDEM_LLM or embedded).",
        show_default=False)] = None,
    batch_size: BatchSizeOption = None,
    models_dir: Annotated[str | None, typer.Option(help=MODELS_DIR_HELP, show_default=False)] = None,
    max_doc_mb: Annotated[float, typer.Option(help="Larger documents are recorded as failed (too_large).")] = 5.0,
    output_format: Annotated[str, typer.Option("--format", help="Result display: table | json | none.")] = "table",
    runner: Annotated[str, typer.Option(
        "--runner", help="local: batches one after the other in this process; dask: batches spread over a "
        "Dask cluster (a local one of --workers processes, or --dask-address).")] = "local",
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Worker processes of the local Dask cluster (default: the CPU count).",
        show_default=False)] = None,
    dask_address: Annotated[str | None, typer.Option(
        "--dask-address", help="Scheduler of an existing Dask cluster, e.g. tcp://10.0.0.5:8786.",
        show_default=False)] = None,
    expect_sha256: Annotated[list[str] | None, typer.Option(
        "--expect-sha256", help="NAME=SHA256: refuse to run unless trained artifact NAME's model_card.json has "
        "this sha256 (tamper evidence; the card lists every file's hash). Repeatable.", show_default=False)] = None,
) -> None:
    """Run a pipeline over documents and store the results. Exit code 3 when some documents failed."""
    from tandem.flows.server import launched_api, without_flow_heartbeats

    # without a Prefect server its temporary one starts now, beside this command's own start (stopped at once
    # when a check below exits 2)
    with launched_api() as api:
        if output_format not in ("table", "json", "none"):
            fail(f"--format must be table, json or none, not {output_format!r}")
        every_stage, per_stage = parse_batch_sizes(batch_size)
        built, files = _built_and_checked(paths, pipeline, llm, models_dir, every_stage, per_stage,
                                          expect_sha256 or [])
        url = open_results_db(db)  # before Prefect starts: a wrong --db fails in a second, without its password
        err.print(f"[bold]Tandem[/] pipeline [cyan]{built.name}[/]: "
                  + " → ".join(s.stage_id for s in built.stages) + f"  ({len(files)} files)")
        from tandem.flows.execution import preload_stages
        from tandem.flows.pipeline import pipeline_flow
        from tandem.stages.secrets import install_log_redaction

        try:
            pipeline_fn = pipeline_flow(runner, workers, dask_address)
        except ValueError as exc:
            fail(str(exc))
        install_log_redaction()  # Prefect's handlers exist now: no secret reaches a log or the API
        if api is not None and runner == "local":
            preload_stages(built)  # while the temporary API starts on the other core
    if api is not None:
        api.use()  # waits for the temporary API (or stops it unused when a Prefect profile names a server)
    with progress_bars(), without_flow_heartbeats():
        summary = pipeline_fn(paths=[str(f) for f in files], pipeline=pipeline, db_url=url, llm=llm,
                              batch_size=every_stage, models_dir=models_dir, max_doc_mb=max_doc_mb,
                              stage_batch_size=per_stage or None, parallel=runner != "local")

    if output_format != "none":
        _show_results(url, summary.run_id, output_format)
    _say_where(summary, url, db is not None)
    if summary.failed:
        raise typer.Exit(EXIT_PARTIAL)


def _built_and_checked(paths: list[Path], pipeline: str, llm: str | None, models_dir: str | None,
                       every_stage: int | None, per_stage: dict[str, int], pins: list[str]) -> tuple[Pipeline, list[Path]]:
    """The pipeline the flow will use (same process) and the input files, or exit 2 with the reason: a bad
    spec or option, an LLM spec, an unsafe, tampered or unpinned artifact, a missing path, no input file."""
    from tandem.flows.ingest import InputError, expand_paths
    from tandem.flows.pipeline import get_pipeline, stage_batch_sizes
    from tandem.stages.llm.backends import LLMConfigError, parse_llm_spec
    from tandem.stages.pipeline_spec import PipelineError

    try:
        parse_llm_spec(llm)
        built = get_pipeline(pipeline, llm, models_dir)
        stage_batch_sizes(built, every_stage, per_stage)
        for stage in built.stages:
            stage.check_artifacts()  # a tampered or unsafe artifact: exit 2 before any document
        check_pins(pins, models_dir)
        files = expand_paths(paths)
    except (PipelineError, LLMConfigError, InputError, ValueError) as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - e.g. an unknown artifact name
        fail(f"{type(exc).__name__}: {exc}")
    if not files:
        fail(f"no input files (.txt, .md, .jsonl, .csv, .pdf, .docx, .html, .htm, .png, .jpg, .jpeg, .tif, .tiff) "
             f"found in {', '.join(map(str, paths))}")
    return built, files


def _say_where(summary: RunSummary, url: str, db_given: bool) -> None:
    """The closing lines of ``tandem run``: the counts, where the results are and how to see them again."""
    from tandem.storage.db import describe_db

    err.print(f"\nRun [bold]{summary.run_id}[/]: {summary.succeeded} succeeded, "
              f"[{'red' if summary.failed else 'green'}]{summary.failed} failed[/] of {summary.documents} "
              f"documents.\nResults: [bold]{describe_db(url)}[/]  (see them again with "
              f"[cyan]tandem results --run {summary.run_id}{' --db ' + url if db_given else ''}[/])")


def check_pins(pins: list[str], models_dir: str | None) -> None:
    """``--expect-sha256``: every pinned artifact's card has the pinned digest (raises otherwise)."""
    from tandem.specialists.artifacts import check_pinned_digest, parse_pins

    for name, digest in parse_pins(pins).items():
        check_pinned_digest(name, digest, models_dir)


def results(
    run_ref: Annotated[str, typer.Option("--run", help="Run id, or 'last'.")] = "last",
    db: DbOption = None,
    output_format: Annotated[str, typer.Option("--format", help="table | json")] = "table",
    comparison: Annotated[str | None, typer.Option(
        "--comparison", help="Show a stored 'tandem compare' instead: its id, or 'last'.", show_default=False)] = None,
) -> None:
    """Show what a run produced per input record: status, summary, entities, labels, failures."""
    if output_format not in ("table", "json"):
        fail(f"--format must be table or json, not {output_format!r}")
    if comparison is not None:
        if comparison != "last" and not comparison.isdigit():  # a usage error before the database is opened
            fail(f"--comparison must be a comparison id or 'last', not {comparison!r}")
        results_comparison(open_results_db(db, read_only=True), comparison, output_format)
        return
    if run_ref != "last" and not run_ref.isdigit():
        fail(f"--run must be a run id or 'last', not {run_ref!r}")
    _show_results(open_results_db(db, read_only=True), run_ref, output_format)


def _show_results(url: str, run_ref: str | int, output_format: str) -> None:
    from tandem.flows.run_report import RunNotFoundError, run_report
    from tandem.storage.db import open_db_readonly

    try:
        report = run_report(open_db_readonly(url), run_ref)
    except RunNotFoundError as exc:
        fail(str(exc))
    if output_format == "json":
        print_json(report)
        return
    run_info = report.run
    # the terminal's full width; in a pipe or a log the width the values need (each row whole on its lines)
    table = Table(title=f"Run {run_info.id} — {run_info.pipeline} ({run_info.status})", show_lines=True,
                  expand=out.writes_to_terminal)
    for column, style in (("id", "dim"), ("source", "cyan"), ("status", ""), ("summary", ""),
                          ("entities / labels", "magenta"), ("failures", "red")):
        table.add_column(column, style=style, overflow="fold")
    for doc in report.documents:
        ents = ", ".join(f"{e.text} ({e.label})" for e in doc.entities[:12])
        if len(doc.entities) > 12:
            ents += f", … {len(doc.entities) - 12} more"
        labels = "; ".join(f"{f}: {v.label} ({v.score:.2f})" for f, v in doc.labels.items())
        failures = "\n".join(f"{f.stage}: {f.kind}: {f.message}" for f in doc.failures)
        status = "[green]ok[/]" if doc.status == "ok" else f"[red]{doc.status}[/]"
        if doc.duplicate_of is not None:
            status += f"\n[yellow]duplicate of {doc.duplicate_of.external_id or doc.duplicate_of.id}[/]"
        summary = (doc.summary or "")[:400]
        table.add_row(doc.external_id or str(doc.id), Path(doc.source).name if ":" not in doc.source else doc.source,
                      status, summary, "\n".join(x for x in (ents, labels) if x), failures)
    out.print(table)
    totals = Table(title="Per stage totals", expand=False)
    for column in ("stage", "ok", "failed", "reused", "LLM calls", "prompt tok", "completion tok", "latency s",
                   "model"):
        totals.add_column(column)
    for stage, t in report.totals.items():
        totals.add_row(stage, str(t.ok), str(t.failed), str(t.reused), str(t.llm_calls),
                       str(t.prompt_tokens), str(t.completion_tokens), f"{t.latency_ms / 1000:.2f}",
                       t.model_id)
    out.print(totals)


# -- every command, in the order `tandem --help` lists them -----------------------------------------
app.command("run")(run)
app.command("results")(results)
app.command("runs")(runs_command)
app.command("pipelines")(pipelines_command)
app.command("search")(search_command)
app.command("dedup")(dedup_command)
app.command("serve")(serve_command)
app.command("trigger")(trigger_command)
app.command("distill")(distill_command)
app.add_typer(train_app, name="train")
app.add_typer(labels_app, name="labels")
app.add_typer(models_app, name="models")
app.add_typer(flywheel_app, name="flywheel")
app.add_typer(server_app, name="server")
app.add_typer(eval_app, name="eval")
app.add_typer(compare_app, name="compare")
train_app.command("classify")(train_classify_command)
train_app.command("ner")(train_ner_command)
train_app.command("cleanup")(train_cleanup_command)
train_app.command("embed")(train_embed_command)
eval_app.command("classify")(eval_classify_command)
eval_app.command("ner")(eval_ner_command)
eval_app.command("summarize")(eval_summarize_command)
eval_app.command("cleanup")(eval_cleanup_command)
compare_app.command("classify")(compare_classify_command)
compare_app.command("ner")(compare_ner_command)
compare_app.command("summarize")(compare_summarize_command)
compare_app.command("embed")(compare_embed_command)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
