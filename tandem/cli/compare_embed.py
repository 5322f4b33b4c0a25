"""``tandem compare embed --gold PAIRS``: the stock ``embed`` (MiniLM), any trained ``embed.<name>`` and
``embed.llm`` (the embedded GGUF) on scored sentence pairs (see
:mod:`tandem.specialists.comparison.embed_pairs`). Registered in :mod:`tandem.cli.main`. Stored in SQL like the
other comparisons (``tandem results --comparison last``); ``--json`` gives one JSON object on stdout."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tandem.cli.common import fail, open_results_db
from tandem.cli.compare import (
    EXIT_FAILED,
    ChartOption,
    CpuHourOption,
    DbOption,
    JsonOption,
    ModelsDirOption,
    show_comparison,
)
from tandem.cli.console import err

if TYPE_CHECKING:
    from tandem.specialists.comparison.embed_pairs import Embedder


def embed_systems(specialists: list[str], no_llm: bool, models_dir: str | None) -> dict[str, Embedder]:
    """The systems to measure, by name: each ``--specialist`` (``embed`` or ``embed.<trained>``, checked now: an
    unknown or tampered artifact exits 2), then ``embed.llm`` unless ``no_llm``."""
    from tandem.cli.search import embedder_stage
    from tandem.specialists.embedding_llm import LlmEmbedStage

    systems: dict[str, Embedder] = {name: embedder_stage(name, models_dir, "--specialist") for name in specialists}
    if not no_llm:
        systems["embed.llm"] = LlmEmbedStage()
    return systems


def compare_embed_command(
    gold: Annotated[Path, typer.Option("--gold", help="Scored pairs: the STS Benchmark format, or a TSV/CSV with "
                                       "text_a, text_b, score.", show_default=False)],
    specialist: Annotated[list[str] | None, typer.Option(
        "--specialist", help="An encoder to compare (repeatable): embed (the stock MiniLM, the default) or "
                             "embed.NAME (trained with tandem train embed).", show_default=False)] = None,
    as_json: JsonOption = False,
    chart: ChartOption = None,
    limit: Annotated[int | None, typer.Option("--limit", min=3, help="Only the first N pairs (every system).",
                                              show_default=False)] = None,
    llm_limit: Annotated[int | None, typer.Option("--llm-limit", min=3, help="Only the first N pairs for embed.llm "
                                                  "(the LLM is slow on a CPU).", show_default=False)] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Leave embed.llm out.")] = False,
    cpu_hour: CpuHourOption = 0.05,
    models_dir: ModelsDirOption = None,
    db: DbOption = None,
) -> None:
    """Spearman and Pearson of cosine vs the human score, sentences/s, p50/p95 ms, tokens and cost per 1,000
    sentences of each encoder (the stock embed, MiniLM int8, by default; trained ones with --specialist) and
    embed.llm (the embedded SmolLM2 GGUF, mean-pooled). Stored as a comparison (tandem results --comparison last).

    Example: tandem compare embed --gold sts-dev.csv --specialist embed --specialist embed.sts --chart embed.png
    """
    from tandem.flows.compare_store import save_comparison
    from tandem.specialists.comparison.chart import write_chart
    from tandem.specialists.comparison.cost import CostModel
    from tandem.specialists.comparison.embed_pairs import PairsError, compare_embedders
    from tandem.storage.db import create_db_engine, describe_db

    if not gold.is_file():
        fail(f"--gold {gold}: no such file")
    if chart is not None and chart.suffix.lower() != ".png":
        fail(f"--chart must name a .png file, not {chart}")
    systems = embed_systems(list(specialist or ["embed"]), no_llm, models_dir)
    limits: dict[str, int | None] = {name: limit for name in systems}
    if "embed.llm" in systems and llm_limit:
        limits["embed.llm"] = min(x for x in (limit, llm_limit) if x)
    url = open_results_db(db)
    err.print(f"measuring {', '.join(systems)} on {gold} …", highlight=False)
    try:
        report = compare_embedders(gold, systems, limits, CostModel(cpu_hour=cpu_hour))
    except PairsError as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - a model that cannot load
        fail(f"{type(exc).__name__}: {exc}", EXIT_FAILED)
    if chart is not None:
        report.chart = str(write_chart(report, chart.resolve()))
    engine = create_db_engine(url)
    try:
        report = save_comparison(engine, report)
    finally:
        engine.dispose()
    show_comparison(report, as_json)
    err.print(f"Stored as comparison [bold]{report.comparison_id}[/] in {describe_db(url)} (see it again with "
              f"[cyan]tandem results --comparison {report.comparison_id}"
              f"{'' if db is None else ' --db ' + url}[/])", highlight=False)
