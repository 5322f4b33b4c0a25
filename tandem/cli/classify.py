"""``tandem train classify`` and ``tandem eval classify`` (registered in :mod:`tandem.cli.main`).

torch, transformers and scikit-learn are imported only inside the commands, so building the CLI
stays cheap. Human output (progress, tables) goes to stderr; ``--json`` prints exactly one JSON
object on stdout.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

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

if TYPE_CHECKING:
    from tandem.specialists.artifacts import ModelCard


def train_classify_command(
    data: Annotated[Path, typer.Option("--data", help="CSV or TSV file with a header, or a Parquet file (text and "
                                                      "label columns).")],
    name: Annotated[str, typer.Option("--name", help="Artifact name, later used as classify.NAME.")],
    text_col: Annotated[str, typer.Option("--text-col", help="Column holding the text.")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="Column holding the label.")] = "label",
    finetune: Annotated[bool | None, typer.Option(
        "--finetune/--no-finetune", show_default=False,
        help="Fine-tune the whole MiniLM encoder first (slower; ~90 MB artifact). Default: only when the frozen "
             "encoder's best head scores below 0.9 macro recall in cross-validation (and at most 20,000 rows).")] = None,
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Fine-tuning epochs (when fine-tuning).")] = 3,
    finetune_budget: Annotated[float, typer.Option(
        "--finetune-budget", min=10.0,
        help="Fine-tuning time budget in seconds: the schedule is cut to fit.")] = 900.0,
    features: Annotated[str, typer.Option(
        "--features", help="Head features: auto (cross-validated), hybrid, embedding or tfidf.")] = "auto",
    lexicon: Annotated[str, typer.Option(
        "--lexicon", help="Lexicon scores as extra features: auto (with and without each lexicon, "
                          "cross-validated), none, or vader (sentiment; negation, emphasis, emoticons).")] = "auto",
    source_col: Annotated[str, typer.Option(
        "--source-col", help="Column naming each row's source (used when present). Sources lacking some "
                             "labels are weighed or set aside by cross-validation.")] = "source",
    heldout: Annotated[float, typer.Option(
        "--heldout", min=0.0, max=0.9, help="Stratified share held out for the model card's metrics.")] = 0.15,
    refit: Annotated[bool, typer.Option(
        "--refit/--no-refit", help="After scoring the held-out part, learn again from every row (the saved model "
        "then uses all the data; the card's metrics come from the model before).")] = True,
    ensemble: Annotated[bool, typer.Option(
        "--ensemble/--no-ensemble", help="When the refit fine-tunes the encoder again, keep the model scored on the "
        "held-out part too and average the two (better on unseen data, half the speed).")] = True,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (split, cross-validation, fine-tuning).")] = 0,
    models_dir: ModelsDirOption = None,
    as_json: CardJsonOption = False,
) -> None:
    """Train a text classifier (MiniLM embeddings + TF-IDF, linear head) and save it as a named artifact.

    A name the model registry holds (``tandem models list``) gets its next version (``NAME@N``), registered but
    not promoted: pipelines keep the promoted one until ``tandem models promote NAME@N``."""
    from tandem.specialists.artifacts import models_dir as resolve_models_dir
    from tandem.specialists.registry import next_version, read_entry, register
    from tandem.specialists.training.classify import train_classifier

    root = resolve_models_dir(models_dir)
    registered = read_entry(root, name) is not None
    folder, number = next_version(root, name) if registered else (name, 0)

    def train(bar: Progress) -> ModelCard:
        task = bar.add_task("starting…", total=None)

        def progress(message: str) -> None:
            bar.update(task, description=message[:70])
            if not as_json:
                bar.console.print(f"  {message}", highlight=False)

        def on_step(step: int, steps: int) -> None:
            bar.update(task, completed=step, total=steps)

        return train_classifier(data, folder, models_dir=models_dir, text_col=text_col, label_col=label_col,
                                finetune="auto" if finetune is None else finetune, heldout=heldout, seed=seed,
                                progress=progress, features=features, epochs=epochs,
                                finetune_seconds=finetune_budget, lexicon=lexicon, source_col=source_col,
                                refit=refit, ensemble=ensemble, on_step=on_step)

    card = run_training(Progress(SpinnerColumn(), TextColumn("[bold]train classify[/] {task.description}"),
                                 BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                                 transient=True), train)
    if registered:
        register(root, name, folder, number, trained_on={"rows": card.n_train, "data_file": str(data)})
        if not as_json:
            err.print(f"{name} is a registered model: this is version {number}, not promoted "
                      f"(pipelines keep the promoted one; tandem models promote {folder})", highlight=False)
    report_trained(
        card, models_dir, as_json,
        heldout=lambda m: (f"held-out ({card.n_heldout} rows): accuracy {m['accuracy']:.3f}  "
                           f"macro F1 [bold]{m['macro_f1']:.3f}[/]  macro recall {m['macro_recall']:.3f}  "
                           f"{m['docs_per_s']} docs/s"),
        trained_on=(f"{card.n_train} training rows, head {card.params.get('features')}"
                    f"{'+' + card.params['lexicon'] if card.params.get('lexicon') else ''}/C={card.params.get('C')}"
                    f"{', fine-tuned encoder' if card.params.get('finetune') else ''}"),
        use_as=f"classify.{folder}")


def eval_classify_command(
    gold: Annotated[Path, typer.Option("--gold", help="CSV or TSV gold file with a header, or a Parquet file.")],
    specialist: Annotated[str | None, typer.Option(
        "--specialist", help="Trained classifier: NAME or classify.NAME.")] = None,
    label_map: Annotated[str | None, typer.Option(
        "--label-map", help="Model label → gold label: a JSON file or 'a=b,c=d'.")] = None,
    text_col: Annotated[str, typer.Option("--text-col", help="Column holding the text.")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="Column holding the gold label.")] = "label",
    models_dir: ModelsDirOption = None,
    as_json: ScoresJsonOption = False,
) -> None:
    """Score a trained classifier on labelled data (accuracy, macro F1/recall, per label) and time it."""
    from tandem.specialists.evaluation.classify import evaluate_classifier

    result = run_evaluation(lambda _status: evaluate_classifier(
        gold, specialist, models_dir=models_dir, text_col=text_col, label_col=label_col,
        label_map=parse_label_map(label_map)))
    if as_json:
        print_json(result)
        return
    only_predicted = ", ".join(result.labels_only_predicted)
    print_eval_report(
        result,
        scores=(f"accuracy {result.accuracy:.3f}  macro F1 [bold]{result.macro_f1:.3f}[/]  "
                f"macro recall {result.macro_recall:.3f}  {result.docs} docs, {result.docs_per_s:,.1f} docs/s"),
        note=(f"[yellow]labels predicted but absent from the gold data:[/] {only_predicted} (use --label-map)"
              if result.labels_only_predicted else None))


def parse_label_map(spec: str | None) -> dict[str, str] | None:
    """A JSON file (object of strings) or inline ``a=b,c=d``; None stays None."""
    if spec is None or not spec.strip():
        return None
    from tandem.specialists.label_maps import resolve_label_map

    return resolve_label_map(spec)
