"""``tandem-retrain``: one flywheel round as a Prefect flow (retrain on the stored labels, gate, promote or
refuse), publishing a markdown artifact (``tandem-flywheel-<task>``) the Prefect UI shows: labels gathered since
the last round, challenger against champion, promoted or not, the LLM's share before and after.

Served nightly by ``tandem serve --retrain TASK --gold FILE --cron '0 3 * * *'`` or the ``tandem-retrain-nightly``
entry of ``docker/prefect.yaml``. Parameters are names and paths only (the database URL with its password
hidden, as every flow gets it).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from tandem.specialists.flywheel import RoundReport


def round_markdown(report: RoundReport, since_last: dict[str, int], share_before: float | None) -> str:
    """The artifact: what the round gathered, how the challenger did against the champion, what happened."""
    gate = report.gate
    gathered = ", ".join(f"{kind} {n}" for kind, n in since_last.items()) or "none"
    lines = [f"# Flywheel round: {report.task}@{report.version}", "",
             f"**{'Promoted' if gate.promoted else 'Refused'}** — {gate.reason}", "",
             f"Labels gathered since the last round: {gathered}; trained on {report.trained_rows} texts.", "",
             "| | version | gold macro F1 |", "|---|---|---|",
             f"| champion | {gate.champion or '–'} | {gate.champion_f1 if gate.champion_f1 is not None else '–'} |",
             f"| challenger | {gate.challenger} | {gate.challenger_f1} |"]
    if gate.anchor:
        lines.append(f"| best so far | {gate.anchor['name']} | {gate.anchor['f1']} |")
    before = "–" if share_before is None else f"{share_before:.1%}"
    after = f"{report.llm_share:.1%}"
    lines += ["", f"LLM share of the cascade on the gold documents: before {before}, after {after} "
                  f"(threshold {report.cascade_threshold})."]
    return "\n".join(lines) + "\n"


@task(name="retrain-and-gate", cache_policy=NO_CACHE)
def retrain_task(db_url: str, task_name: str, gold: str, models_dir: str | None, data: str | None,
                 features: str) -> tuple[RoundReport, dict[str, int], float | None]:
    from tandem.specialists.artifacts import models_dir as resolve_models_dir
    from tandem.specialists.flywheel import retrain
    from tandem.specialists.registry import read_entry
    from tandem.storage.db import create_db_engine, unit_of_work
    from tandem.storage.labels import label_counts

    engine = create_db_engine(db_url)
    root = resolve_models_dir(models_dir)
    entry = read_entry(root, task_name)
    last = max((v.created_at for v in entry.versions), default=None) if entry else None
    before = None
    if entry and entry.promoted is not None:
        before = entry.version(entry.promoted).llm_share
    with unit_of_work(engine) as session:
        since = label_counts(session, task_name, datetime.fromisoformat(last) if last else None)
    report = retrain(engine, task_name, Path(gold), Path(models_dir) if models_dir else None,
                     Path(data) if data else None, features=features)
    return report, since, before


@flow(name="tandem-retrain", log_prints=False)
def tandem_retrain(task_name: str, gold: str, db_url: str | None = None, models_dir: str | None = None,
                   data: str | None = None, features: str = "auto") -> dict[str, Any]:
    """Retrain ``task_name`` on its stored labels, gate it on ``gold``, publish the round as a markdown artifact."""
    from tandem.storage.db import resolve_db_url

    logger = get_run_logger()
    report, since, before = retrain_task(resolve_db_url(db_url), task_name, gold, models_dir, data, features)
    create_markdown_artifact(key=f"tandem-flywheel-{task_name.lower().replace('_', '-').replace('.', '-')}",
                             markdown=round_markdown(report, since, before),
                             description=f"Flywheel round {task_name}@{report.version}")
    logger.info("%s@%s %s", task_name, report.version, "promoted" if report.gate.promoted else "refused")
    return report.as_dict()
