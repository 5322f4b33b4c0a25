"""One table of a comparison, three renderings: Rich (the CLI), markdown (the Prefect artifact), chart labels.

Columns: system, kind, the task's quality metric, documents per second, p50/p95 latency per document, LLM
calls, tokens (prompt + completion) and the estimated cost per 1,000 documents; failed documents and label
maps are in the notes under the table.
"""

from __future__ import annotations

from tandem.specialists.comparison.report import PRIMARY_METRIC, ComparisonReport, SystemReport

#: how each primary metric is called in headers and on the chart's axis
METRIC_LABELS: dict[str, str] = {"macro_f1": "macro F1", "f1": "entity F1", "rougeLsum": "ROUGE-Lsum F",
                                 "spearman": "Spearman"}

HEADERS = ("system", "kind", "quality", "docs/s", "p50/p95 ms", "LLM calls", "tokens", "USD/1k docs")


#: what a "document" of a task's systems is, and what the report's ``docs`` counts (gold items), when not documents
UNITS: dict[str, tuple[str, str, str]] = {"embed": ("sentences", "sent", "pairs")}


def units(task: str) -> tuple[str, str, str]:
    """``(item, short item, gold items)``: ``("documents", "docs", "documents")``; embed: sentences and pairs."""
    return UNITS.get(task, ("documents", "docs", "documents"))


def metric_label(task: str) -> str:
    metric = PRIMARY_METRIC[task]
    return METRIC_LABELS.get(metric, metric)


def usd(value: float) -> str:
    """A price readable at any scale: ``$0``, ``$1.25``, ``$0.000011``, ``$3.2e-08``."""
    if value == 0:
        return "$0"
    if value >= 0.01:
        return f"${value:,.2f}"
    if value >= 1e-6:
        return "$" + f"{value:.6f}".rstrip("0")
    return f"${value:.1e}"


def rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}" if value >= 1 else f"{value:.3g}"


def headers(report: ComparisonReport) -> list[str]:
    short = units(report.task)[1]
    return [metric_label(report.task) if h == "quality" else h.replace("docs", short) for h in HEADERS]


def row(report: ComparisonReport, system: SystemReport) -> list[str]:
    quality = system.quality(report.task)
    tokens = system.prompt_tokens + system.completion_tokens
    return [system.name, system.kind, "-" if quality is None else f"{quality:.3f}", rate(system.docs_per_s),
            f"{system.p50_ms:,.1f} / {system.p95_ms:,.1f}", f"{system.llm_calls:,}", f"{tokens:,}",
            usd(system.cost_per_1k_docs)]


def title(report: ComparisonReport) -> str:
    from pathlib import Path

    number = f"Comparison {report.comparison_id}: " if report.comparison_id is not None else ""
    return f"{number}{report.task} on {Path(report.gold).name} ({report.docs} {units(report.task)[2]})"


def cost_line(report: ComparisonReport) -> str:
    cost = report.cost_model
    return (f"cost per 1k {units(report.task)[1]} = tokens × (USD {cost.price_in:g} in / {cost.price_out:g} out per million) "
            f"+ CPU seconds × USD {cost.cpu_hour:g} per CPU-hour")


def notes(report: ComparisonReport) -> list[str]:
    return [f"{system.name}: {system.note}" for system in report.systems if system.note]


def markdown(report: ComparisonReport) -> str:
    """The comparison as a markdown document (the ``tandem-compare-<id>`` Prefect artifact)."""
    head = headers(report)
    lines = [f"# {title(report)}", "", f"Gold file: `{report.gold}`", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for system in report.systems:
        cells = [cell.replace("|", "/") for cell in row(report, system)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"*{cost_line(report)}*"]
    extra = notes(report)
    if extra:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in extra]
    if report.chart:
        lines += ["", f"Chart: `{report.chart}`"]
    return "\n".join(lines)
