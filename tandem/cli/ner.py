"""``tandem train ner`` and ``tandem eval ner`` (registered in :mod:`tandem.cli.main`).

spaCy is imported only inside the commands, so building the CLI stays cheap. Human output
(progress, tables) goes to stderr; ``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from tandem.cli.common import (
    CardJsonOption,
    ModelsDirOption,
    ScoresJsonOption,
    print_eval_report,
    print_json,
    report_trained,
    run_evaluation,
    run_training,
)
from tandem.cli.console import err
from tandem.specialists.spacy_ner import STOCK_MODEL

if TYPE_CHECKING:
    from tandem.specialists.artifacts import ModelCard



def train_ner_command(
    data: Annotated[Path, typer.Option("--data", help="CoNLL-style training file (tag in the last "
                                       "column), or a Hugging Face Parquet file (tokens, ner_tags).")],
    name: Annotated[str, typer.Option("--name", help="Artifact name, later used as ner.spacy:NAME.")],
    base: Annotated[str, typer.Option("--base", help=f"Start from '{STOCK_MODEL}' weights or 'blank'.")]
    = STOCK_MODEL,
    dev: Annotated[Path | None, typer.Option(
        "--dev", help="CoNLL dev file: half of its documents choose the best epoch and model (early stopping), "
                      "the other half is scored for the model card. Never used as training data.")] = None,
    epochs: Annotated[int | None, typer.Option(
        "--epochs", min=1, show_default=False,
        help="Epochs per averaged member (default 5; with --dev the most per member, default 10).")] = None,
    patience: Annotated[int, typer.Option(
        "--patience", min=1, help="With --dev: stop a member after this many epochs without a gain.")] = 2,
    members: Annotated[int, typer.Option(
        "--members", min=1, help="Models trained from the same start with different seeds, then averaged.")] = 3,
    heldout: Annotated[float | None, typer.Option(
        "--heldout", min=0.0, max=0.9, show_default=False,
        help="Share of training documents held out for the model card's metrics (default 0.1; 0 with --dev).")]
    = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (split, shuffling, initialisation).")] = 0,
    vectors: Annotated[str, typer.Option(
        "--vectors", help="Static word vectors as one more input: 'glove' (GloVe 6B 50d, saved in the artifact) "
                          "or 'none'.")] = "glove",
    models_dir: ModelsDirOption = None,
    as_json: CardJsonOption = False,
) -> None:
    """Fine-tune a spaCy NER model on CoNLL data and save it as a named artifact."""
    from tandem.specialists.training.ner import train_ner

    def train(bar: Progress) -> ModelCard:
        task = bar.add_task("loading", total=None)

        def on_epoch(epoch: int, total: int, info: dict[str, Any]) -> None:
            dev_f1 = f", dev F1 {info['dev_f1']:.3f}" if "dev_f1" in info else ""
            bar.update(task, completed=epoch, total=total,
                       description=f"member {info['member']}: loss {info['loss']:.0f}{dev_f1} "
                                   f"({info['seconds']:.0f} s/epoch)")

        return train_ner(data, name, models_dir=models_dir, base=base, epochs=epochs, seed=seed,
                         heldout=heldout, members=members, progress=on_epoch, dev=dev, patience=patience,
                         vectors=vectors)

    card = run_training(Progress(TextColumn("[bold]train ner[/] {task.description}"), BarColumn(),
                                 TextColumn("{task.completed}/{task.total} epochs"), TimeElapsedColumn(),
                                 console=err, transient=as_json), train)
    report_trained(
        card, models_dir, as_json,
        heldout=lambda m: (f"held-out ({card.n_heldout} sentences, {m.get('heldout_documents', '?')} documents"
                           f"{' of ' + m['heldout_from'] if 'heldout_from' in m else ''}): "
                           f"P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}  "
                           f"{m['tokens_per_s']:,.0f} tokens/s"),
        trained_on=f"{card.n_train} training sentences", use_as=f"ner.spacy:{name}")


def eval_ner_command(
    gold: Annotated[Path, typer.Option("--gold", help="CoNLL-style gold file, or a Hugging Face "
                                        "Parquet file (tokens, ner_tags).")],
    specialist: Annotated[str | None, typer.Option(
        "--specialist", help="ner.spacy (stock), ner.spacy:NAME or NAME (trained).")] = None,
    label_map: Annotated[str | None, typer.Option(
        "--label-map", help="Built-in map (ontonotes-to-conll), JSON file or 'A=B,C=D'.")] = None,
    models_dir: ModelsDirOption = None,
    consistency: Annotated[bool, typer.Option(
        "--consistency/--no-consistency",
        help="Harmonize each gold document's entities as the ner.spacy stage does: one label per name, "
             "unlabelled mentions of labelled names added.")] = True,
    as_json: ScoresJsonOption = False,
) -> None:
    """Score a NER specialist on CoNLL gold data (entity-level, exact match) and time it."""
    from tandem.specialists.evaluation.ner import evaluate_ner

    result = run_evaluation(lambda status: evaluate_ner(
        gold, specialist, models_dir=models_dir, label_map=label_map, consistency=consistency,
        progress=lambda message: status.update(message)))
    if as_json:
        print_json(result)
        return
    print_eval_report(
        result,
        scores=(f"P {result.precision:.3f}  R {result.recall:.3f}  F1 [bold]{result.f1:.3f}[/]  "
                f"{result.docs} docs, {result.tokens} tokens, {result.tokens_per_s:,.0f} tokens/s "
                f"({result.docs_per_s:,.0f} docs/s; pipes: {', '.join(result.pipes)})"))
