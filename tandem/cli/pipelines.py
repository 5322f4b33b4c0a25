"""``tandem pipelines``: list built-in pipelines and stages, validate a pipeline, or describe one stage."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from tandem.cli.common import MODELS_DIR_HELP, fail
from tandem.cli.console import out


def pipelines_command(
    check: Annotated[str | None, typer.Option(help="Validate this pipeline name or spec file and show its stages.")]
    = None,
    stage: Annotated[str | None, typer.Option(help="Show one stage's reads, writes, options and defaults "
                                              "(e.g. summarize, ner.spacy.v1, classify.spam).")] = None,
    models_dir: Annotated[str | None, typer.Option(help=MODELS_DIR_HELP, show_default=False)] = None,
) -> None:
    """List built-in pipelines and stages, validate one pipeline without running it, or describe a stage."""
    from tandem.stages.pipeline_spec import BUILTIN_PIPELINES, Pipeline, PipelineError
    from tandem.stages.registry import known_stage_names

    if stage:
        describe_stage(stage)
        return
    if check:
        try:
            built = Pipeline.load(check, models_dir=models_dir)
        except PipelineError as exc:
            fail(str(exc))
        table = Table(title=f"pipeline {built.name}: valid")
        for column in ("stage", "reads", "writes"):
            table.add_column(column)
        for row in built.describe():
            table.add_row(row["stage"], row["reads"], row["writes"])
        out.print(table)
        return
    for name, steps in BUILTIN_PIPELINES.items():
        out.print(f"[bold]{name}[/]: {' → '.join(Pipeline.step_label(step) for step in steps)}", highlight=False)
    out.print("\n[bold]stages[/]: " + ", ".join(known_stage_names()), highlight=False)
    out.print("\nDetails of one stage: [bold]tandem pipelines --stage NAME[/]")


def describe_stage(name: str) -> None:
    """Print what ``name`` reads and writes (its defaults) and every option with type, default and meaning."""
    from tandem.stages import registry
    from tandem.stages.options import describe_options

    try:
        stage_class, implied = registry.resolve(name)
    except registry.UnknownStageError as exc:
        fail(str(exc))
    module_doc = sys.modules[stage_class.__module__].__doc__
    doc = (stage_class.__doc__ or module_doc or "").strip().splitlines()
    out.print(f"[bold]{name}[/] → {stage_class.__module__}:{stage_class.__qualname__} "
              f"(stage {stage_class.name}, version {stage_class.version})", highlight=False)
    if doc:
        out.print(doc[0], highlight=False)
    reads = f"{stage_class.default_input} ({stage_class.input_type.__name__})"
    writes = f"{stage_class.default_output} ({stage_class.output_type.__name__})"
    try:  # cheap: construction loads no model; a required option without a default keeps the class defaults
        built = stage_class(**implied)
        reads = ", ".join(f"{field} ({typ.__name__})" for field, typ in built.reads.items())
        writes = f"{built.writes[0]} ({built.writes[1].__name__})"
    except ValueError:
        pass
    out.print(f"reads  [bold]{reads}[/] by default; change with 'input:'", highlight=False)
    out.print(f"writes [bold]{writes}[/] by default; change with 'output:'", highlight=False)
    out.print(f"batch  [bold]{stage_class.preferred_batch}[/] documents per task by default; change with "
              f"'tandem run --batch-size {name}=N'", highlight=False)
    if implied:
        out.print("implied by the name: " + ", ".join(f"{k}={v}" for k, v in implied.items()), highlight=False)
    table = Table(title="options")
    for column in ("option", "type", "default", "in result key"):
        table.add_column(column, no_wrap=True)
    table.add_column("description", overflow="fold")
    for option in describe_options(stage_class.Options):
        default = "(required)" if option.required else repr(option.default)
        table.add_row(option.name, option.type, default, "yes" if option.in_result_key else "no",
                      option.description)
    out.print(table)
