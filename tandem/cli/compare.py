"""``tandem compare classify|ner|summarize`` (registered in :mod:`tandem.cli.main`): LLM or specialist, measured.

Every named system runs over the same gold documents through the pipeline's own stage code, is scored with
``tandem eval``'s metrics, timed and priced (see docs/compare.md). The work runs as the ``tandem-compare``
Prefect flow (ephemeral API unless PREFECT_API_URL is set); the comparison is stored in SQL and shown again
by ``tandem results --comparison last``. Progress goes to stderr; ``--json`` prints one JSON object on stdout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tandem.cli.common import DB_HELP, MODELS_DIR_HELP, fail, open_results_db, print_json, progress_bars
from tandem.cli.console import err, out
from tandem.specialists.comparison.gold import GoldOptions
from tandem.specialists.comparison.report import ComparisonReport

EXIT_FAILED = 1

GoldOption = Annotated[Path, typer.Option("--gold", help="The gold file (see the command's description).",
                                          show_default=False)]
SpecialistOption = Annotated[list[str] | None, typer.Option(
    "--specialist", help="A specialist to compare (repeatable).", show_default=False)]
LlmOption = Annotated[list[str] | None, typer.Option(
    "--llm", help="An LLM backend to compare (repeatable): embedded | openai:<model>@<base_url> | "
                  "ollama:<model>\\[@<url>]. API keys come from the environment (OPENAI_API_KEY), never the spec.",
    show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the comparison as one JSON object on stdout.")]
ChartOption = Annotated[Path | None, typer.Option(
    "--chart", help="Write a PNG: quality against documents per second, one labelled point per system.",
    show_default=False)]
LimitOption = Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N gold documents.",
                                                 show_default=False)]
PriceInOption = Annotated[float, typer.Option(
    "--price-in", min=0.0, help="USD per million prompt tokens (an API's price; 0 for a local model).")]
PriceOutOption = Annotated[float, typer.Option(
    "--price-out", min=0.0, help="USD per million completion tokens (an API's price; 0 for a local model).")]
CpuHourOption = Annotated[float, typer.Option(
    "--cpu-hour", min=0.0, help="USD per CPU-hour of local compute (specialists, the embedded LLM).")]
BatchOption = Annotated[int, typer.Option("--batch-size", min=1, help="Documents per stage call.")]
ModelsDirOption = Annotated[str | None, typer.Option("--models-dir", help=MODELS_DIR_HELP, show_default=False)]
DbOption = Annotated[str | None, typer.Option("--db", help=DB_HELP, show_default=False)]


def compare_table(report: ComparisonReport) -> Table:
    from tandem.specialists.comparison.render import headers, row, title

    table = Table(title=escape(title(report)), title_justify="left")
    name_width = min(40, max((len(system.name) for system in report.systems), default=6))
    for index, header in enumerate(headers(report)):
        table.add_column(header, justify="left" if index < 2 else "right", min_width=name_width if index == 0 else None,
                         style="cyan" if index == 0 else "bold" if index == 2 else "", overflow="fold")
    for system in report.systems:
        table.add_row(*(escape(cell) for cell in row(report, system)))
    return table


def show_comparison(report: ComparisonReport, as_json: bool) -> None:
    """The comparison on stdout: one JSON object, or the table with its notes and cost model."""
    from tandem.specialists.comparison.render import cost_line, notes

    if as_json:
        print_json(report)
        return
    out.print(compare_table(report))
    for line in notes(report) + [cost_line(report)]:
        out.print(escape(line), style="dim", highlight=False)
    if report.chart:
        out.print(f"chart: {escape(report.chart)}", highlight=False)


def _check_cascade(cascade: bool, specialists: list[str], llms: list[str]) -> None:
    if not cascade:
        return
    if not specialists or not llms:
        fail("--cascade needs a --specialist and an --llm (the first of each is cascaded)")
    from importlib import import_module
    from importlib.util import find_spec

    if find_spec("tandem.specialists.comparison.cascade") is None:
        fail("--cascade is not available yet: specialists/comparison/cascade.py (cascade_system) is missing")
    if not hasattr(import_module("tandem.specialists.comparison.cascade"), "cascade_system"):
        fail("--cascade is not available yet: tandem.specialists.comparison.cascade has no cascade_system")


def run_compare(task: str, gold: Path, specialists: list[str] | None, llms: list[str] | None,
                gold_options: GoldOptions, *, as_json: bool, chart: Path | None, limit: int | None, price_in: float,
                price_out: float, cpu_hour: float, batch_size: int, models_dir: str | None, db: str | None,
                cascade: bool = False, target_llm_share: float = 0.1) -> None:
    """Check everything that can be checked without running a model (exit 2), run the flow, show the result."""
    from tandem.flows.server import launched_api

    # without a Prefect server its temporary one starts now, beside the checks (stopped at once if one fails)
    with launched_api() as api:
        from tandem.specialists.comparison.cost import CostModel
        from tandem.specialists.comparison.tasks import read_gold, system_specs
        from tandem.storage.db import describe_db

        specialist_names, llm_specs = list(specialists or []), list(llms or [])
        if chart is not None and chart.suffix.lower() != ".png":
            fail(f"--chart must name a .png file, not {chart}")
        try:
            gold_set = read_gold(task, gold, gold_options, limit)
            specs = system_specs(gold_set, specialist_names, llm_specs, models_dir)
        except (ValueError, LookupError) as exc:
            fail(str(exc))
        _check_cascade(cascade, specialist_names, llm_specs)
        url = open_results_db(db)
        err.print(f"[bold]Tandem[/] compare [cyan]{task}[/] on {escape(str(gold))} ({len(gold_set)} documents): "
                  + escape(", ".join(s.name for s in specs)), highlight=False)

        from tandem.flows.compare import tandem_compare

    if api is not None:
        api.use()
    with progress_bars(transient=as_json) as progress:
        try:
            report = tandem_compare(
                task=task, gold=str(gold.resolve()), specialists=specialist_names, llms=llm_specs, limit=limit,
                batch_size=batch_size, models_dir=models_dir,
                cost=CostModel(price_in=price_in, price_out=price_out, cpu_hour=cpu_hour),
                gold_options=gold_options, db_url=url, chart=str(chart.resolve()) if chart else None, cascade=cascade,
                target_llm_share=target_llm_share)
        except Exception as exc:  # noqa: BLE001 - a model that cannot load, a database that cannot be reached
            progress.stop()
            fail(f"{type(exc).__name__}: {exc}", EXIT_FAILED)
    show_comparison(report, as_json)
    err.print(f"Stored as comparison [bold]{report.comparison_id}[/] in {describe_db(url)} (see it again with "
              f"[cyan]tandem results --comparison {report.comparison_id}"
              f"{'' if db is None else ' --db ' + url}[/])", highlight=False)


def compare_classify_command(
    gold: GoldOption, specialist: SpecialistOption = None, llm: LlmOption = None,
    text_col: Annotated[str, typer.Option("--text-col", help="Column holding the text.")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="Column holding the gold label.")] = "label",
    label_map: Annotated[str | None, typer.Option(
        "--label-map", help="Specialist label → gold label: a JSON file or 'a=b,c=d'.", show_default=False)] = None,
    cascade: Annotated[bool, typer.Option(
        "--cascade", help="Also report the first specialist with the first LLM behind it for its least confident "
                          "documents, the threshold chosen on the gold data.")] = False,
    target_llm_share: Annotated[float, typer.Option(
        "--target-llm-share", min=0.0, max=1.0,
        help="With --cascade: the largest share of documents the cascade may send to the LLM.")] = 0.1,
    as_json: JsonOption = False, chart: ChartOption = None, limit: LimitOption = None, price_in: PriceInOption = 0.0,
    price_out: PriceOutOption = 0.0, cpu_hour: CpuHourOption = 0.05, batch_size: BatchOption = 32,
    models_dir: ModelsDirOption = None, db: DbOption = None,
) -> None:
    """Compare classifiers on a labelled CSV/TSV or Parquet file (what 'tandem eval classify' reads).

    [bold]--specialist[/] spam (or classify.spam): a trained classifier; [bold]--llm[/] SPEC: classify.llm choosing among the gold file's labels. Quality: accuracy, macro F1/recall/precision, per label.

    Example: tandem compare classify --gold sms.tsv --specialist spam --llm embedded --limit 200 --chart spam.png
    """
    run_compare("classify", gold, specialist, llm, GoldOptions(text_col=text_col, label_col=label_col,
                                                               label_map=label_map),
                as_json=as_json, chart=chart, limit=limit, price_in=price_in, price_out=price_out,
                cpu_hour=cpu_hour, batch_size=batch_size, models_dir=models_dir, db=db, cascade=cascade,
                target_llm_share=target_llm_share)


def compare_ner_command(
    gold: GoldOption, specialist: SpecialistOption = None, llm: LlmOption = None,
    label_map: Annotated[str | None, typer.Option(
        "--label-map", help="Specialist label → gold label: built-in (ontonotes-to-conll), JSON file or 'A=B,C=D' "
                            "(default for the stock ner.spacy on CoNLL labels: ontonotes-to-conll).",
        show_default=False)] = None,
    as_json: JsonOption = False, chart: ChartOption = None, limit: LimitOption = None, price_in: PriceInOption = 0.0,
    price_out: PriceOutOption = 0.0, cpu_hour: CpuHourOption = 0.05, batch_size: BatchOption = 32,
    models_dir: ModelsDirOption = None, db: DbOption = None,
) -> None:
    """Compare entity recognizers on a CoNLL file, one document per sentence (tokens joined by spaces).

    [bold]--specialist[/] conll (ner.spacy:conll): a trained spaCy model; ner.spacy: the stock model through a label map; [bold]--llm[/] SPEC: ner.llm asked for the gold entity types. Quality: exact-span entity precision, recall, F1, per label.

    Example: tandem compare ner --gold dev.txt --specialist conll --specialist ner.spacy --llm embedded --limit 100
    """
    run_compare("ner", gold, specialist, llm, GoldOptions(label_map=label_map), as_json=as_json, chart=chart,
                limit=limit, price_in=price_in, price_out=price_out, cpu_hour=cpu_hour, batch_size=batch_size,
                models_dir=models_dir, db=db)


def compare_summarize_command(
    gold: GoldOption, specialist: SpecialistOption = None, llm: LlmOption = None,
    source_field: Annotated[str | None, typer.Option(
        "--source-field", help="Field holding the document (default: text, else source).", show_default=False)]
    = None,
    summary_field: Annotated[str, typer.Option("--summary-field", help="Field holding the gold summary.")] = "summary",
    max_words: Annotated[int | None, typer.Option(
        "--max-words", min=1, help="Word budget of extractive specialists (default: the legal summarizer's, 150).",
        show_default=False)] = None,
    as_json: JsonOption = False, chart: ChartOption = None, limit: LimitOption = None, price_in: PriceInOption = 0.0,
    price_out: PriceOutOption = 0.0, cpu_hour: CpuHourOption = 0.05, batch_size: BatchOption = 32,
    models_dir: ModelsDirOption = None, db: DbOption = None,
) -> None:
    """Compare summarizers on JSON lines with a document and a gold summary per line.

    [bold]--specialist[/] summarize.legal (or summarize.lead): extractive, at the same word budget as 'tandem eval summarize'; [bold]--llm[/] SPEC: the LLM summarize stage. Quality: ROUGE-1/2/Lsum F.

    Example: tandem compare summarize --gold bills.jsonl --specialist summarize.legal --llm embedded --limit 5
    """
    run_compare("summarize", gold, specialist, llm,
                GoldOptions(source_field=source_field, summary_field=summary_field, max_words=max_words),
                as_json=as_json, chart=chart, limit=limit, price_in=price_in, price_out=price_out,
                cpu_hour=cpu_hour, batch_size=batch_size, models_dir=models_dir, db=db)


def results_comparison(db_url: str, ref: str, output_format: str) -> None:
    """``tandem results --comparison last|ID``: a stored comparison again (table, or the --json object)."""
    from tandem.flows.compare_store import ComparisonNotFoundError, load_comparison
    from tandem.storage.db import open_db_readonly

    if ref != "last" and not ref.isdigit():
        fail(f"--comparison must be a comparison id or 'last', not {ref!r}")
    try:
        report = load_comparison(open_db_readonly(db_url), ref)
    except ComparisonNotFoundError as exc:
        fail(str(exc))
    show_comparison(report, output_format == "json")
