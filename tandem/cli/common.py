"""Small helpers shared by the CLI modules: the consoles (from :mod:`tandem.cli.console`), exit codes, option
help, JSON and report output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.status import Status
from rich.table import Table

from tandem.cli.console import err
from tandem.specialists.evaluation.reports import ClassifyReport, LabelScores, NerReport

if TYPE_CHECKING:
    from tandem.specialists.artifacts import ModelCard

D = TypeVar("D")
R = TypeVar("R")

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_PARTIAL = 3


BatchSizeOption = Annotated[list[str] | None, typer.Option(
    "--batch-size", metavar="N|STAGE=N",
    help="Documents per task: N for every stage, or STAGE=N for one stage (repeatable). Default: each "
         "stage's preferred size (LLM stages 8, specialists 1000; see 'tandem pipelines --stage').",
    show_default=False)]


def parse_batch_sizes(values: list[str] | None) -> tuple[int | None, dict[str, int]]:
    """``--batch-size`` values → (size for every stage or None, stage → size); exits 2 on a bad value."""
    every: int | None = None
    per_stage: dict[str, int] = {}
    for value in values or []:
        stage, _, number = value.rpartition("=")
        if not number.strip().isdigit() or int(number) < 1 or (not stage and "=" in value):
            fail(f"--batch-size takes N or STAGE=N with N a positive whole number, not {value!r}")
        if stage:
            per_stage[stage.strip()] = int(number)
        else:
            every = int(number)
    return every, per_stage


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print a clear error to stderr and exit (2 = usage or configuration error)."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)  # one line, as written
    raise typer.Exit(code)


def open_results_db(db: str | None, *, read_only: bool = False) -> str:
    """The results database of ``--db`` (or ``$TANDEM_DB_URL``, or the default), checked: it opens and its schema
    is brought up to date, or with ``read_only`` (the read commands) it exists, opens read-only and its schema
    is current, and nothing is created or migrated (:func:`tandem.storage.db.open_db_readonly`). Returns its URL with the password hidden (``***``; the password stays in this
    process's environment), the only form passed on to flows, parameters, logs and messages. A database that
    cannot be opened exits 2 with one line that names it (never its password)."""
    from tandem.storage.db import (
        create_db_engine,
        describe_db,
        hide_password,
        open_db_readonly,
        redact,
        resolve_db_url,
    )

    url = resolve_db_url(db)
    try:
        public = hide_password(url)
        (open_db_readonly if read_only else create_db_engine)(public).dispose()
    except Exception as exc:  # noqa: BLE001 - any driver error: one clear line, exit 2
        reason = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, url)
        try:
            where = describe_db(url)
        except Exception:  # noqa: BLE001 - not even a URL
            where = "the --db value"
        fail(f"cannot open the results database {where}: {reason}")
    return public


def print_json(payload: BaseModel | Mapping[str, Any]) -> None:
    """One JSON object on stdout, nothing else (a model as its ``model_dump(mode="json")``)."""
    data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


@contextmanager
def progress_bars(*, transient: bool = False) -> Iterator[Progress]:
    """One Rich progress bar per name (a stage, a system, a step) on stderr, fed by the flow's
    :func:`~tandem.flows.progress.report_progress` calls while the block runs."""
    from tandem.flows.progress import PROGRESS

    with Progress(TextColumn("[bold blue]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=transient) as progress:
        bars: dict[str, Any] = {}

        def on_progress(name: str, done: int, total: int) -> None:
            if name not in bars:
                bars[name] = progress.add_task(escape(name), total=total)
            progress.update(bars[name], completed=done, total=total)

        token = PROGRESS.set(on_progress)
        try:
            yield progress
        finally:
            PROGRESS.reset(token)


def per_label_table(per_label: Mapping[str, LabelScores | Mapping[str, Any]]) -> Table:
    """A Rich table of per-label precision, recall, F1 and support, labels sorted."""
    table = Table("label", "precision", "recall", "F1", "support")
    for label, raw in sorted(per_label.items()):
        row = LabelScores.model_validate(raw)
        table.add_row(label, f"{row.precision:.3f}", f"{row.recall:.3f}", f"{row.f1:.3f}", str(row.support))
    return table


def run_training(display: AbstractContextManager[D], train: Callable[[D], ModelCard]) -> ModelCard:
    """Train inside ``display`` (a status line or a progress bar, given to ``train``). A ValueError or
    OSError exits 2 with its message, printed once the display is closed."""
    error = ""
    with display as handle:
        try:
            return train(handle)
        except (ValueError, OSError) as exc:
            error = str(exc)
    fail(error)


def run_evaluation(evaluate: Callable[[Status], R]) -> R:
    """Run ``evaluate`` under an "evaluating…" status line (given to it). A ValueError, OSError or
    unknown artifact exits 2 with its message."""
    from tandem.specialists.artifacts import UnknownArtifactError

    try:
        with err.status("evaluating…") as status:
            return evaluate(status)
    except (ValueError, OSError, UnknownArtifactError) as exc:
        fail(str(exc))


def report_trained(card: ModelCard, models_dir: Path | None, as_json: bool,
                   heldout: Callable[[dict[str, Any]], str], trained_on: str, use_as: str) -> None:
    """After training: with ``as_json`` the model card (plus its folder) on stdout; otherwise the
    held-out scores (``heldout`` formats the card's metrics) with a per-label table, then where the
    artifact went and how to use it, on stderr."""
    from tandem.specialists.artifacts import artifact_dir, card_digest

    folder = artifact_dir(card.name, models_dir)
    if as_json:
        print_json({"artifact": str(folder), **card.model_dump(mode="json")})
        return
    if card.metrics:
        err.print(heldout(card.metrics), highlight=False)
        if card.metrics_of:
            err.print(f"  ({card.metrics_of})", highlight=False)
        if "per_label" in card.metrics:
            err.print(per_label_table(card.metrics["per_label"]))
    err.print(f"saved [bold]{card.name}[/] to {folder} ({trained_on}); use it as {use_as}", highlight=False)
    err.print(f"to pin it (tamper evidence): tandem run ... --expect-sha256 {card.name}="
              f"{card_digest(card.name, models_dir)}", highlight=False)


def print_eval_report(report: ClassifyReport | NerReport, scores: str, note: str | None = None) -> None:
    """An evaluation's human report on stderr: what ran on which gold file (and label map), the
    ``scores`` line, an optional ``note``, then the per-label table."""
    err.print(f"{report.specialist} ({report.model_id}) on {report.gold}", highlight=False)
    if report.label_map:
        err.print(f"label map: {report.label_map}", highlight=False)
    err.print(scores, highlight=False)
    if note:
        err.print(note, highlight=False)
    err.print(per_label_table(report.per_label))


MODELS_DIR_HELP = "Folder of trained artifacts (default: $TANDEM_MODELS_DIR or ./models)."
DB_HELP = "SQLAlchemy URL of the results database (default: $TANDEM_DB_URL or sqlite:///tandem.db)."

#: options shared by the train and eval commands
ModelsDirOption = Annotated[Path | None, typer.Option("--models-dir", help=MODELS_DIR_HELP)]
CardJsonOption = Annotated[bool, typer.Option("--json", help="Print the model card as one JSON object.")]
ScoresJsonOption = Annotated[bool, typer.Option("--json", help="Print the scores as one JSON object.")]
