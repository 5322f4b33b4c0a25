"""``tandem train classify`` and ``tandem eval classify``.

:func:`register` adds the ``classify`` command to the ``train`` and ``eval`` sub-apps. torch,
transformers and scikit-learn are imported only inside the commands, so building the CLI stays
cheap. Human output (progress, tables) goes to stderr; ``--json`` prints exactly one JSON object
on stdout.
"""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli_common import MODELS_DIR_HELP, err, fail, per_label_table, print_card_or_folder, print_json


def register(train_app: typer.Typer, eval_app: typer.Typer) -> None:
    """Add ``classify`` to ``train_app`` and ``eval_app``."""
    train_app.command("classify")(train_classify_command)
    eval_app.command("classify")(eval_classify_command)


def train_classify_command(
    data: Path = typer.Option(..., "--data", help="CSV or TSV file with a header (text and label columns)."),
    name: str = typer.Option(..., "--name", help="Artifact name, later used as classify.NAME."),
    text_col: str = typer.Option("text", "--text-col", help="Column holding the text."),
    label_col: str = typer.Option("label", "--label-col", help="Column holding the label."),
    finetune: bool = typer.Option(False, "--finetune",
                                  help="Fine-tune the whole MiniLM encoder first (slower; ~90 MB artifact)."),
    epochs: int = typer.Option(3, "--epochs", min=1, help="Fine-tuning epochs (with --finetune)."),
    finetune_budget: float = typer.Option(420.0, "--finetune-budget", min=10.0,
                                          help="Fine-tuning time budget in seconds: the schedule is cut to fit."),
    features: str = typer.Option("auto", "--features",
                                 help="Head features: auto (cross-validated), hybrid, embedding or tfidf."),
    lexicon: str | None = typer.Option(None, "--lexicon",
                                       help="Add lexicon scores as features: vader (sentiment; negation, "
                                            "emphasis, emoticons)."),
    heldout: float = typer.Option(0.15, "--heldout", min=0.0, max=0.9,
                                  help="Stratified share held out for the model card's metrics."),
    seed: int = typer.Option(0, "--seed", help="Random seed (split, cross-validation, fine-tuning)."),
    models_dir: Path | None = typer.Option(None, "--models-dir", help=MODELS_DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the model card as one JSON object."),
) -> None:
    """Train a text classifier (MiniLM embeddings + TF-IDF, linear head) and save it as a named artifact."""
    from specialists.training.classify import train_classifier

    error: str | None = None
    with err.status("[bold]train classify[/] starting…") as status:
        def progress(message: str) -> None:
            status.update(f"[bold]train classify[/] {message}")
            if not as_json:
                err.print(f"  {message}", highlight=False)

        try:
            card = train_classifier(data, name, models_dir=models_dir, text_col=text_col, label_col=label_col,
                                    finetune=finetune, heldout=heldout, seed=seed, progress=progress,
                                    features=features, epochs=epochs, finetune_seconds=finetune_budget,
                                    lexicon=lexicon)
        except (ValueError, OSError) as exc:
            error = str(exc)
    if error is not None:
        fail(error)
    folder = print_card_or_folder(card, models_dir, as_json)
    if folder is None:
        return
    metrics = card.metrics
    if metrics:
        err.print(f"held-out ({card.n_heldout} rows): accuracy {metrics['accuracy']:.3f}  "
                  f"macro F1 [bold]{metrics['macro_f1']:.3f}[/]  macro recall {metrics['macro_recall']:.3f}  "
                  f"{metrics['docs_per_s']} docs/s", highlight=False)
        err.print(per_label_table(metrics["per_label"]))
    err.print(f"saved [bold]{name}[/] to {folder} ({card.n_train} training rows, head "
              f"{card.params.get('features')}{'+' + lexicon if lexicon else ''}/C={card.params.get('C')}); use it as classify.{name}",
              highlight=False)


def eval_classify_command(
    gold: Path = typer.Option(..., "--gold", help="CSV or TSV gold file with a header."),
    specialist: str | None = typer.Option(None, "--specialist", help="Trained classifier: NAME or classify.NAME."),
    label_map: str | None = typer.Option(None, "--label-map",
                                         help="Model label → gold label: a JSON file or 'a=b,c=d'."),
    text_col: str = typer.Option("text", "--text-col", help="Column holding the text."),
    label_col: str = typer.Option("label", "--label-col", help="Column holding the gold label."),
    models_dir: Path | None = typer.Option(None, "--models-dir", help=MODELS_DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as one JSON object."),
) -> None:
    """Score a trained classifier on labelled data (accuracy, macro F1/recall, per label) and time it."""
    from specialists.artifacts import UnknownArtifactError
    from specialists.evaluation.classify import evaluate_classifier

    error: str | None = None
    try:
        mapping = parse_label_map(label_map)
        with err.status("evaluating…"):
            result = evaluate_classifier(gold, specialist, models_dir=models_dir, text_col=text_col,
                                         label_col=label_col, label_map=mapping)
    except (ValueError, OSError, UnknownArtifactError) as exc:
        error = str(exc)
    if error is not None:
        fail(error)
    if as_json:
        print_json(result)
        return
    err.print(f"{result['specialist']} ({result['model_id']}) on {result['gold']}", highlight=False)
    if result["label_map"]:
        err.print(f"label map: {result['label_map']}", highlight=False)
    err.print(f"accuracy {result['accuracy']:.3f}  macro F1 [bold]{result['macro_f1']:.3f}[/]  "
              f"macro recall {result['macro_recall']:.3f}  {result['docs']} docs, "
              f"{result['docs_per_s']:,.1f} docs/s", highlight=False)
    if result["labels_only_predicted"]:
        err.print(f"[yellow]labels predicted but absent from the gold data:[/] "
                  f"{', '.join(result['labels_only_predicted'])} (use --label-map)", highlight=False)
    err.print(per_label_table(result["per_label"]))


def parse_label_map(spec: str | None) -> dict[str, str] | None:
    """A JSON file (object of strings) or inline ``a=b,c=d``; None stays None."""
    if spec is None or not spec.strip():
        return None
    from specialists.label_maps import resolve_label_map

    return resolve_label_map(spec)
