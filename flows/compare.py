"""The ``tandem-compare`` Prefect flow: read the gold file → one task per system → (cascade) → chart → SQL.

Systems run one after the other, never side by side, so their timings do not disturb each other. Every
parameter is a plain value (names, numbers, a cost model): an ``--llm`` spec may carry a URL but never a
key (keys come from the environment). The flow publishes a ``tandem-compare-<id>`` markdown artifact with
the same table as the CLI, stores the comparison in SQL and returns the :class:`ComparisonReport`.
"""

from __future__ import annotations

import threading
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context

from tandem.flows.progress import report_progress
from tandem.specialists.comparison.cost import CostModel
from tandem.specialists.comparison.gold import GoldOptions, GoldSet, SystemSpec
from tandem.specialists.comparison.measure import SystemRun
from tandem.specialists.comparison.report import ComparisonReport, SystemReport
from tandem.storage.db import engine_for, resolve_db_url

DEFAULT_BATCH_SIZE = 32
DEFAULT_TARGET_LLM_SHARE = 0.1

_gold_cache: dict[tuple[str, str, str, int | None, float], GoldSet] = {}
_gold_lock = threading.Lock()


def load_gold(task_name: str, gold: str, options: GoldOptions, limit: int | None) -> GoldSet:
    """The gold set, read once per process (and again when the file changes)."""
    from tandem.specialists.comparison.tasks import read_gold

    path = Path(gold)
    key = (task_name, str(path.resolve()), options.model_dump_json(), limit,
           path.stat().st_mtime if path.is_file() else 0.0)
    with _gold_lock:
        if key not in _gold_cache:
            _gold_cache[key] = read_gold(task_name, gold, options, limit)
        return _gold_cache[key]


@task(name="compare-system", task_run_name="{system_name}", cache_policy=NO_CACHE, persist_result=False)
def system_task(task_name: str, gold: str, gold_options: GoldOptions, limit: int | None, system_name: str,
                spec: SystemSpec, batch_size: int, cost: CostModel) -> tuple[SystemRun, SystemReport]:
    """Run one system over the gold documents (timed), then score and price it."""
    from tandem.specialists.comparison.tasks import measure, report_system

    gold_set = load_gold(task_name, gold, gold_options, limit)
    report_progress(system_name, 0, len(gold_set))
    run = measure(gold_set, spec, batch_size=batch_size,
                  progress=lambda done, total: report_progress(system_name, done, total))
    return run, report_system(gold_set, spec, run, cost)


@task(name="compare-cascade", cache_policy=NO_CACHE, persist_result=False)
def cascade_task(task_name: str, gold: str, gold_options: GoldOptions, limit: int | None, specialist: SystemRun,
                 llm: SystemRun, cost: CostModel, target_llm_share: float) -> SystemReport:
    """The specialist with the LLM behind it for its least confident documents (simulated on the runs)."""
    from tandem.specialists.comparison.cascade import cascade_system  # type: ignore[import-not-found,unused-ignore]

    gold_set = load_gold(task_name, gold, gold_options, limit)
    report: SystemReport = cascade_system(task_name, specialist, llm, gold_set.score, cost, target_llm_share)
    return report


@task(name="compare-chart", cache_policy=NO_CACHE, persist_result=False)
def chart_task(report: ComparisonReport, path: str) -> str:
    from tandem.specialists.comparison.chart import write_chart

    return str(write_chart(report, path))


@task(name="store-comparison", cache_policy=NO_CACHE, persist_result=False)
def store_task(db_url: str, report: ComparisonReport, flow_run_id: str | None) -> ComparisonReport:
    """Store the comparison; the report comes back with its id and creation time."""
    from tandem.flows.compare_store import save_comparison

    return save_comparison(engine_for(db_url), report, flow_run_id)


def _flow_run_id() -> str | None:
    try:
        return str(get_run_context().flow_run.id)  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - outside a flow run
        return None


@flow(name="tandem-compare", log_prints=True)
def tandem_compare(task: str, gold: str, specialists: list[str] | None = None, llms: list[str] | None = None,
                   limit: int | None = None, batch_size: int = DEFAULT_BATCH_SIZE, models_dir: str | None = None,
                   cost: CostModel | None = None, gold_options: GoldOptions | None = None,
                   db_url: str | None = None, chart: str | None = None, cascade: bool = False,
                   target_llm_share: float = DEFAULT_TARGET_LLM_SHARE) -> ComparisonReport:
    """Compare specialists and LLMs on ``task`` (classify, ner, summarize) over the gold file ``gold``.

    ``cascade`` (classify) adds the first specialist with the first LLM behind it, its threshold chosen on
    the gold data for at most ``target_llm_share`` of the documents sent to the LLM.
    """
    from tandem.specialists.comparison.render import markdown
    from tandem.specialists.comparison.tasks import comparison_report, system_specs

    logger = get_run_logger()
    cost = cost or CostModel()
    options = gold_options or GoldOptions()
    url = resolve_db_url(db_url)
    gold_set = load_gold(task, gold, options, limit)
    specs = system_specs(gold_set, specialists or [], llms or [], models_dir)
    logger.info("comparing %s on %s (%d documents)", ", ".join(s.name for s in specs), gold, len(gold_set))
    runs: list[SystemRun] = []
    reports: list[SystemReport] = []
    for spec in specs:
        run, system = system_task(task, gold, options, limit, spec.name, spec, batch_size, cost)
        runs.append(run)
        reports.append(system)
    if cascade:
        first_specialist = next((r for r in runs if r.kind == "specialist"), None)
        first_llm = next((r for r in runs if r.kind == "llm"), None)
        if first_specialist is None or first_llm is None:
            raise ValueError("--cascade needs a --specialist and an --llm")
        reports.append(cascade_task(task, gold, options, limit, first_specialist, first_llm, cost,
                                    target_llm_share))
    report = comparison_report(gold_set, reports, cost)
    if chart:
        report.chart = chart_task(report, chart)
    report = store_task(url, report, _flow_run_id())
    create_markdown_artifact(key=f"tandem-compare-{report.comparison_id}", markdown=markdown(report),
                             description=f"Tandem comparison {report.comparison_id}: {task} on {Path(gold).name}")
    logger.info("comparison %s stored", report.comparison_id)
    return report
