"""``tandem eval summarize`` (registered in :mod:`tandem.cli.main`): ROUGE of a summarizer against gold
summaries, next to the lead baseline.

Heavy imports (torch, transformers, rouge-score) happen inside the command, never at import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tandem.cli.common import fail, print_json
from tandem.cli.console import err
from tandem.specialists.evaluation.reports import SummarizeReport


def _table(report: SummarizeReport) -> Table:
    table = Table(title=f"{report.specialist} vs lead, {report.docs} docs, {report.max_words} words")
    table.add_column("metric")
    table.add_column(report.specialist, justify="right")
    table.add_column("lead", justify="right")
    table.add_column("ratio", justify="right")
    for key, ours, lead in (("rouge1", report.rouge1, report.lead_rouge1),
                            ("rouge2", report.rouge2, report.lead_rouge2),
                            ("rougeLsum", report.rougeLsum, report.lead_rougeLsum)):
        ratio = f"{ours / lead:.3f}" if lead else "-"
        table.add_row(key, f"{ours:.4f}", f"{lead:.4f}", ratio)
    table.add_row("words", f"{report.summary_words:.0f}", f"{report.lead_words:.0f}",
                  f"ref {report.reference_words:.0f}")
    return table


def eval_summarize_command(
    gold: Annotated[Path, typer.Option("--gold", help="JSON lines with a source text and a gold summary per line (or a JSON array, a CSV/TSV table with a header row, or a Parquet file such as a Hugging Face dataset's).")],
    specialist: Annotated[str, typer.Option("--specialist", help="Registry name of the summarizer.")] = (
        "summarize.legal"),
    source_field: Annotated[str | None, typer.Option(
        "--source-field", help="Field holding the document (default: text, else source).", show_default=False)] = None,
    summary_field: Annotated[str, typer.Option("--summary-field", help="Field holding the gold summary.")] = (
        "summary"),
    max_words: Annotated[int | None, typer.Option(
        "--max-words", min=1,
        help="Word budget of the summarizer and of the lead baseline (default: the summarizer's).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N documents.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """ROUGE-1/2/Lsum F of a summarizer and of the lead baseline at the same word budget."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tandem.specialists.evaluation.summarize import evaluate_summarizer, read_gold
    from tandem.stages.registry import UnknownStageError

    try:
        read_gold(gold, source_field, summary_field)  # fail fast, before loading a model
    except ValueError as exc:
        fail(str(exc))
    progress = Progress(TextColumn("[bold]summarizing"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, transient=True)
    task = progress.add_task("summarize", total=None)

    def on_progress(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    try:
        with progress:
            report = evaluate_summarizer(gold, specialist, source_field=source_field,
                                         summary_field=summary_field, max_words=max_words,
                                         limit=limit, on_progress=on_progress)
    except UnknownStageError as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        print_json(report)
        return
    err.print(_table(report))
    speed = report.docs_per_s
    err.print(f"{report.docs} docs, {speed:.2f} docs/s (model load {report.load_s:.1f} s), "
              f"{report.failures} failures" if speed else f"{report.docs} docs")
