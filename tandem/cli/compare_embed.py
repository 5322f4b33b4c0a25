"""``tandem compare embed --gold PAIRS``: the stock ``embed`` (MiniLM) against ``embed.llm`` (the embedded GGUF) on
scored sentence pairs (see :mod:`tandem.specialists.comparison.embed_pairs`). Registered in
:mod:`tandem.cli.main`. Printed, not stored: ``--json`` gives one JSON object on stdout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tandem.cli.common import fail, print_json
from tandem.cli.console import err, out

EXIT_FAILED = 1


def compare_embed_command(
    gold: Annotated[Path, typer.Option("--gold", help="Scored pairs: the STS Benchmark format, or a TSV/CSV with "
                                       "text_a, text_b, score.", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as one JSON object on stdout.")]
    = False,
    chart: Annotated[Path | None, typer.Option("--chart", help="Write a PNG: Spearman against sentences per "
                                               "second, one point per system.", show_default=False)] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=3, help="Only the first N pairs (every system).",
                                              show_default=False)] = None,
    llm_limit: Annotated[int | None, typer.Option("--llm-limit", min=3, help="Only the first N pairs for embed.llm "
                                                  "(the LLM is slow on a CPU).", show_default=False)] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Leave embed.llm out.")] = False,
    cpu_hour: Annotated[float, typer.Option("--cpu-hour", min=0.0, help="USD per CPU-hour of local compute.")]
    = 0.05,
) -> None:
    """Spearman and Pearson of cosine vs the human score, sentences/s, p50/p95 ms, tokens and cost per 1,000
    sentences of the stock embed (MiniLM, int8) and embed.llm (the embedded SmolLM2 GGUF, mean-pooled)."""
    from tandem.specialists.comparison.cost import CostModel
    from tandem.specialists.comparison.embed_pairs import (
        Embedder,
        PairsError,
        compare_embedders,
        write_chart,
    )
    from tandem.specialists.embedding import EmbedStage
    from tandem.specialists.embedding_llm import LlmEmbedStage

    if not gold.is_file():
        fail(f"--gold {gold}: no such file")
    systems: dict[str, Embedder] = {"embed": EmbedStage()}
    limits: dict[str, int | None] = {"embed": limit}
    if not no_llm:
        systems["embed.llm"] = LlmEmbedStage()
        limits["embed.llm"] = min(x for x in (limit, llm_limit) if x) if (limit or llm_limit) else None
    err.print(f"measuring {', '.join(systems)} on {gold} …")
    try:
        report = compare_embedders(gold, systems, limits, CostModel(cpu_hour=cpu_hour))
    except PairsError as exc:
        fail(str(exc))
    if chart is not None:
        write_chart(report, chart)
    if as_json:
        print_json(report.as_dict())
        return
    table = Table(title=f"Embedders on {gold.name} ({report.pairs} pairs)", title_justify="left")
    columns = ("system", "pairs", "Spearman", "Pearson", "sent/s", "p50 ms", "p95 ms", "tokens", "$/1k sent",
               "model")
    for column in columns:
        table.add_column(column)
    for s in report.systems:
        table.add_row(s.name, str(s.pairs), f"{s.spearman:.3f}", f"{s.pearson:.3f}", f"{s.sentences_per_s:.1f}",
                      f"{s.p50_ms:.1f}", f"{s.p95_ms:.1f}", str(s.tokens), f"{s.cost_per_1k_sentences:.6f}", s.model)
    out.print(table)
