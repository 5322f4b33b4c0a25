"""``tandem eval cleanup`` (registered in :mod:`flows.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from flows.cli_common import err, fail, print_json


def eval_cleanup_command(
    gold: Annotated[Path, typer.Option(help="JSONL with 'noisy' and 'clean' fields.", show_default=False)],
    llm: Annotated[str | None, typer.Option(help="LLM backend spec (default: embedded).", show_default=False)]
    = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N documents.", show_default=False)] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Deterministic fixes and speller only.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Character/word error rates of the input and of the cleanup output against the clean text."""
    from rich.progress import Progress

    from specialists.evaluation.cleanup import evaluate_cleanup

    options: dict[str, Any] = {"max_llm_words": 0} if no_llm else {}
    try:
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("cleanup", total=None)
            report = evaluate_cleanup(gold, llm=llm, limit=limit,
                                      progress=lambda done, total: bar.update(task, completed=done, total=total),
                                      **options)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        print_json(report)
        return
    err.print(f"[bold]cleanup on {report.docs} documents[/] ({report.llm})")
    err.print(f"CER {report.cer_before:.2%} → {report.cer_after:.2%}   "
              f"WER {report.wer_before:.2%} → {report.wer_after:.2%}")
    err.print(f"documents better: {report.docs_better}, worse by > 1 CER point: {report.docs_worse}, "
              f"{report.docs_per_s:.2f} docs/s")
