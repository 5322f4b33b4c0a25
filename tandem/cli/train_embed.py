"""``tandem train embed`` (registered in :mod:`tandem.cli.main`): fine-tune the bundled MiniLM on scored sentence
pairs into an ``embed.<name>`` artifact (:mod:`tandem.specialists.training.embed`). Progress on stderr; ``--json``
prints the model card as one JSON object on stdout."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from tandem.cli.common import CardJsonOption, ModelsDirOption, fail, report_trained, run_training
from tandem.cli.console import err

if TYPE_CHECKING:
    from tandem.specialists.artifacts import ModelCard


def train_embed_command(
    pairs: Annotated[Path, typer.Option("--pairs", help="Scored training pairs: the STS Benchmark format, or a "
                                        "TSV/CSV with text_a, text_b, score.", show_default=False)],
    name: Annotated[str, typer.Option("--name", help="Artifact name, later used as embed.NAME.",
                                      show_default=False)],
    dev: Annotated[Path | None, typer.Option(
        "--dev", help="Scored dev pairs: half of them (a fixed split by a hash of each pair) choose the best "
                      "checkpoint (early stopping), the other half is scored once for the model card. Never used "
                      "as training data. Without it, a tenth of --pairs is held out and split the same way.",
        show_default=False)] = None,
    epochs: Annotated[float, typer.Option("--epochs", min=0.1, help="Most epochs (early stopping may end "
                                          "sooner).")] = 4.0,
    batch_size: Annotated[int, typer.Option("--batch-size", min=2, help="Pairs per training step.")] = 16,
    learning_rate: Annotated[float, typer.Option("--learning-rate", min=0.0, help="AdamW peak learning rate.")]
    = 2e-5,
    patience: Annotated[int, typer.Option("--patience", min=1, help="Stop after this many evaluations (every half "
                                          "epoch) without a better early-stopping Spearman.")] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (shuffling, initialisation).")] = 13,
    models_dir: ModelsDirOption = None,
    as_json: CardJsonOption = False,
) -> None:
    """Fine-tune the bundled MiniLM on scored sentence pairs and save it as a named artifact for the embed stage.

    sentence-transformers, CoSENT loss, early stopping on half of --dev (when given)."""
    from tandem.specialists.training.embed import EmbedTrainingConfig, train_embedder

    for label, path in (("--pairs", pairs), ("--dev", dev)):
        if path is not None and not path.is_file():
            fail(f"{label} {path}: no such file")
    config = EmbedTrainingConfig(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                                 patience=patience, seed=seed)

    def train(bar: Progress) -> ModelCard:
        task = bar.add_task("loading MiniLM", total=None)

        def on_step(step: int, total: int, info: dict[str, float]) -> None:
            early = f", early-stopping Spearman {info['early_spearman']:.4f}" if "early_spearman" in info else ""
            bar.update(task, completed=step, total=total, description=f"fine-tuning{early}")

        return train_embedder(pairs, name, dev_path=dev, models_dir=models_dir, config=config,
                              on_step=on_step).card

    card = run_training(Progress(TextColumn("[bold]train embed[/] {task.description}"), BarColumn(),
                                 TextColumn("{task.completed}/{task.total} steps"), TimeElapsedColumn(),
                                 TimeRemainingColumn(), console=err, transient=as_json), train)

    def heldout(metrics: dict[str, object]) -> str:
        report = metrics["report"]
        assert isinstance(report, dict)
        mine, stock = report["trained_int8"], report["stock_int8"]
        return (f"report half ({report['pairs']} pairs): Spearman {mine['spearman']:.4f} (stock MiniLM "
                f"{stock['spearman']:.4f}), Pearson {mine['pearson']:.4f} (stock {stock['pearson']:.4f})")

    report_trained(card, models_dir, as_json, heldout=heldout, trained_on=f"{card.n_train} training pairs",
                   use_as=f"embed.{name}")
