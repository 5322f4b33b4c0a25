"""``tandem models list|show|promote|rollback`` (the model registry, :mod:`tandem.specialists.registry`) and the
flywheel's retrain step (``tandem distill classify --from-labels``: :mod:`tandem.specialists.flywheel`).
Registered in :mod:`tandem.cli.main`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tandem.cli.common import ModelsDirOption, fail, print_json
from tandem.cli.console import err, out

models_app = typer.Typer(no_args_is_help=True, help="Versions of each specialist (spam@1, spam@2, …): which one "
                                                    "pipelines get, promote, roll back.")
NameArgument = Annotated[str, typer.Argument(help="The specialist's name (spam for classify.spam).",
                                             show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def _root(models_dir: Path | None) -> Path:
    from tandem.specialists.artifacts import models_dir as resolve

    return resolve(models_dir)


def _show_entry(entry: Any, as_json: bool) -> None:
    if as_json:
        print_json(entry)
        return
    table = Table(title=escape(f"{entry.name}: promoted version {entry.promoted}"), title_justify="left")
    for column in ("version", "folder", "gold macro F1", "trained on", "cascade threshold", "created"):
        table.add_column(column)
    for v in entry.versions:
        mark = " ★" if v.version == entry.promoted else ""
        table.add_row(f"{v.version}{mark}", v.folder, str(v.gold.get("macro_f1", "–")),
                      str(v.trained_on.get("rows", "–")), str(v.cascade_threshold or "–"), v.created_at)
    out.print(table)
    for event in entry.events[-8:]:
        out.print(escape(f"{event.at} {event.action} {entry.name}@{event.version}"
                         f"{f' (was {event.previous})' if event.previous else ''} {event.reason}"), highlight=False)


@models_app.command("list")
def list_command(models_dir: ModelsDirOption = None, as_json: JsonOption = False) -> None:
    """Every registered specialist, its versions and the promoted one."""
    from tandem.specialists.registry import list_entries

    entries = list_entries(_root(models_dir))
    if as_json:
        print_json({"models": [e.model_dump(mode="json") for e in entries]})
        return
    table = Table(title="Registered models")
    for column in ("name", "promoted", "versions", "last event"):
        table.add_column(column)
    for e in entries:
        last = e.events[-1] if e.events else None
        table.add_row(e.name, str(e.promoted), ", ".join(str(v.version) for v in e.versions),
                      f"{last.action} @{last.version} {last.at}" if last else "–")
    out.print(table)


@models_app.command("show")
def show_command(name: NameArgument, models_dir: ModelsDirOption = None, as_json: JsonOption = False) -> None:
    """One specialist's versions (gold figures, training data, cascade threshold) and its history."""
    from tandem.specialists.registry import RegistryError, read_entry

    entry = read_entry(_root(models_dir), name)
    if entry is None:
        fail(str(RegistryError(f"no registered model {name!r}")))
    _show_entry(entry, as_json)


@models_app.command("promote")
def promote_command(name: NameArgument,
                    version: Annotated[int, typer.Argument(help="The version pipelines should get.",
                                                           show_default=False)],
                    models_dir: ModelsDirOption = None, as_json: JsonOption = False) -> None:
    """Make VERSION the one pipelines naming NAME get (by hand; the flywheel promotes through its gate)."""
    from tandem.specialists.registry import RegistryError, promote

    try:
        entry = promote(_root(models_dir), name, version, reason="by hand (tandem models promote)")
    except RegistryError as exc:
        fail(str(exc))
    err.print(f"{name}@{version} promoted", highlight=False)
    _show_entry(entry, as_json)


@models_app.command("rollback")
def rollback_command(name: NameArgument, models_dir: ModelsDirOption = None, as_json: JsonOption = False) -> None:
    """Return NAME to the version promoted before the current one (its stored results are reused on a rerun)."""
    from tandem.specialists.registry import RegistryError, rollback

    try:
        entry = rollback(_root(models_dir), name)
    except RegistryError as exc:
        fail(str(exc))
    err.print(f"{name} rolled back to version {entry.promoted}", highlight=False)
    _show_entry(entry, as_json)


def retrain_from_labels(task: str, name: str, gold: Path | None, data: Path | None, db: str | None,
                        models_dir: Path | None, features: str, seed: int, as_json: bool) -> None:
    """``tandem distill classify --from-labels``: one flywheel round (exit 0 promoted, 1 refused, 2 usage)."""
    from tandem.cli.common import open_results_db
    from tandem.specialists.artifacts import check_name
    from tandem.specialists.flywheel import retrain
    from tandem.storage.db import create_db_engine

    if task != "classify":
        fail("--from-labels trains classifiers (tandem distill classify --from-labels); ner labels are not "
             "gathered by the flywheel yet")
    if gold is None or not gold.is_file():
        fail("--from-labels needs --gold FILE (text, label): the champion and the challenger are gated on it")
    if data is not None and not data.is_file():
        fail(f"--data {data}: no such file")
    try:
        check_name(name)
    except ValueError as exc:
        fail(str(exc))
    engine = create_db_engine(open_results_db(db))
    try:
        with err.status(f"retraining {name} on its stored labels…"):
            report = retrain(engine, name, gold, models_dir, data, features=features, seed=seed)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        print_json(report.as_dict())
    else:
        g = report.gate
        err.print(f"{name}@{report.version} trained on {report.trained_rows} texts (labels: "
                  + ", ".join(f"{k} {v}" for k, v in report.labels_by_source.items()) + ")", highlight=False)
        err.print(("[green]" if g.promoted else "[red]") + escape(g.reason) + "[/]", highlight=False)
        err.print(f"cascade threshold for {name}@{report.version}: {report.cascade_threshold}", highlight=False)
    if not report.gate.promoted:
        raise typer.Exit(1)


flywheel_app = typer.Typer(no_args_is_help=True, help="The flywheel's rounds: labels gathered, gold score, LLM "
                                                      "share and cost per version.")


@flywheel_app.command("report")
def flywheel_report_command(
    task: Annotated[str, typer.Option("--task", help="The specialist's name (spam).", show_default=False)],
    db: Annotated[str | None, typer.Option("--db", help="The results database.", show_default=False)] = None,
    models_dir: ModelsDirOption = None,
    cpu_hour: Annotated[float, typer.Option("--cpu-hour", min=0.0, help="USD per CPU-hour.")] = 0.05,
    as_json: JsonOption = False,
) -> None:
    """Per round (a version of TASK): labels used, gold macro F1, LLM share of the cascade, cost per 1,000 docs."""
    from tandem.cli.common import open_results_db
    from tandem.specialists.comparison.cost import CostModel
    from tandem.specialists.flywheel_report import flywheel_report
    from tandem.storage.db import open_db_readonly

    engine = open_db_readonly(open_results_db(db, read_only=True))
    report = flywheel_report(engine, task, _root(models_dir), CostModel(cpu_hour=cpu_hour))
    if as_json:
        print_json(report)
        return
    table = Table(title=escape(f"Flywheel of {task} (promoted: {report['promoted']})"), title_justify="left")
    for column in ("version", "labels used", "gold macro F1", "promoted", "runs", "docs", "LLM share",
                   "USD / 1k docs"):
        table.add_column(column)
    for r in report["rounds"]:
        table.add_row(str(r["version"]), ", ".join(f"{k} {v}" for k, v in r["labels_used"].items()) or "–",
                      str(r["gold_macro_f1"] or "–"), "yes" if r["promoted"] else "no",
                      ", ".join(map(str, r["runs"])) or "–", str(r["docs"]),
                      "–" if r["llm_share"] is None else f"{r['llm_share']:.1%}",
                      "–" if r["cost_per_1k_docs"] is None else f"{r['cost_per_1k_docs']:.6f}")
    out.print(table)
