"""``tandem eval cleanup`` and ``tandem train cleanup`` (registered in :mod:`tandem.cli.main`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tandem.cli.common import CardJsonOption, ModelsDirOption, fail, print_json
from tandem.cli.console import err


def eval_cleanup_command(
    gold: Annotated[Path, typer.Option(help="JSONL with 'noisy' and 'clean' fields, or the ICDAR-2017 "
                                        "competition's page files (one, or a folder of them).", show_default=False)],
    llm: Annotated[str | None, typer.Option(help="LLM backend spec (default: embedded).", show_default=False)]
    = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N documents.", show_default=False)] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="The OCR corrector alone (no LLM questions).")] = False,
    cv: Annotated[int, typer.Option("--cv", min=0, help="Cross-validate by document over N folds: each fold is "
                                    "cleaned with a confusion model learned from the other folds (0: the stage "
                                    "as configured).")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the fold assignment.")] = 0,
    model: Annotated[str | None, typer.Option("--model", help="Trained confusion model, by name (checked against "
                                              "its card); not with --cv.", show_default=False)] = None,
    model_path: Annotated[Path | None, typer.Option("--model-path", help="A confusion.json file, trusted as it is "
                                                    "(no card, no checks); not with --cv.", show_default=False)] = None,
    models_dir: ModelsDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Character/word error rates of the input and of the cleanup output against the clean text."""
    from rich.progress import Progress

    from tandem.specialists.evaluation.cleanup import evaluate_cleanup

    if cv and (model or model_path):
        fail("--model/--model-path and --cv exclude each other: with --cv each fold learns its own model")
    options: dict[str, Any] = {"llm_calls": 0} if no_llm else {}
    if model:
        options.update(model=model, models_dir=str(models_dir) if models_dir else None)
    if model_path:
        options.update(model_path=str(model_path))
    try:
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("cleanup", total=None)
            report = evaluate_cleanup(gold, llm=llm, limit=limit, cv=cv, seed=seed,
                                      progress=lambda done, total: bar.update(task, completed=done, total=total),
                                      **options)
    except (ValueError, OSError) as exc:
        fail(str(exc))
    if as_json:
        print_json(report)
        return
    how = f"{report.cv}-fold cross-validation by document" if report.cv else "no training"
    err.print(f"[bold]cleanup on {report.docs} documents[/] ({how}; LLM: {report.llm}, {report.llm_calls} calls)")
    ratio = f" (×{report.cer_after / report.cer_before:.3f})" if report.cer_before else ""
    err.print(f"CER {report.cer_before:.2%} → {report.cer_after:.2%}{ratio}   "
              f"WER {report.wer_before:.2%} → {report.wer_after:.2%}")
    err.print(f"documents better: {report.docs_better}, worse by > 1 CER point: {report.docs_worse}, "
              f"largest increase {report.max_cer_increase:.2%}, unchanged {report.unchanged:.1%}, "
              f"{report.docs_per_s:.2f} docs/s")


def train_cleanup_command(
    data: Annotated[Path, typer.Option("--data", help="JSONL with 'noisy' and 'clean' fields (aligned line by "
                                       "line where both have the same number of lines), or a folder of ICDAR-2017 "
                                       "page files.")],
    name: Annotated[str, typer.Option("--name", help="Artifact name, later the cleanup option model: NAME.")],
    models_dir: ModelsDirOption = None,
    as_json: CardJsonOption = False,
) -> None:
    """Learn an OCR confusion model (character and word confusions, domain lexicon) from noisy/clean pairs."""
    from tandem.specialists.artifacts import (
        ModelCard,
        artifact_dir,
        check_name,
        data_sha256,
        save_card,
        staged_folder,
    )
    from tandem.specialists.evaluation.cleanup import read_cleanup_gold
    from tandem.stages.llm.cleanup import MODEL_FILE
    from tandem.stages.ocr.confusion import ConfusionModel

    try:
        check_name(name)
        pairs = read_cleanup_gold(data)
    except ValueError as exc:
        fail(str(exc))
    model = ConfusionModel.fit(pairs)
    card = ModelCard(name=name, kind="cleanup", base_model="tandem-ocr-confusion/1", data_path=str(data),
                     data_sha256=data_sha256(data), labels=[], n_train=len(pairs),
                     params={k: v for k, v in model.stats.items()},
                     metrics={"confusions": sum(len(v) for v in model.edits.values()),
                              "word_confusions": len(model.words), "vocabulary": len(model.vocab)})
    final = artifact_dir(name, models_dir)
    with staged_folder(final) as tmp:
        model.save(tmp / MODEL_FILE)
        save_card(card, tmp)
    if as_json:
        print_json({"artifact": str(final), **card.model_dump(mode="json")})
        return
    err.print(f"saved [bold]{name}[/] to {final} ({len(pairs)} documents, {card.metrics['confusions']} "
              f"character confusions); use it with the cleanup option model: {name}", highlight=False)
