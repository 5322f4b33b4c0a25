"""``tandem flywheel report``: per round, what the flywheel gathered, trained and saved.

A *round* is a version of the task's specialist (:mod:`tandem.specialists.registry`): the labels it was trained on
(by source kind), its gold macro F1, whether the gate promoted it, its cascade threshold. Each cascade *run* that
used a version adds what it cost: documents, the LLM's share of them, LLM tokens, and the cost per 1,000 documents
(:class:`~tandem.specialists.comparison.cost.CostModel`: CPU time of the stage at ``cpu_hour`` plus tokens at the
API prices; the embedded LLM's tokens cost 0).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from tandem.specialists.comparison.cost import CostModel
from tandem.specialists.registry import read_entry
from tandem.storage.db import unit_of_work
from tandem.storage.models import StageResultRow


def version_of(model_id: str, task: str) -> int:
    """The version of ``task``'s classifier in a cascade's model id (``classify:spam@2|…``; no ``@``: 1)."""
    match = re.search(rf"classify:{re.escape(task)}(?:@(\d+))?\|", model_id)
    return int(match.group(1)) if match and match.group(1) else 1


def cascade_runs(engine: Engine, task: str, cost: CostModel) -> list[dict[str, Any]]:
    """Per run that computed cascade results of ``task``: the version used, documents, LLM share, tokens, cost."""
    runs: dict[int, dict[str, Any]] = {}
    with unit_of_work(engine) as session:
        query = select(StageResultRow.run_id, StageResultRow.model_id, StageResultRow.output,
                       StageResultRow.prompt_tokens, StageResultRow.completion_tokens, StageResultRow.latency_ms
                       ).where(StageResultRow.stage == "cascade", StageResultRow.status == "ok")
        for run_id, model_id, output, prompt, completion, latency in session.execute(query).tuples():
            if not output or output.get("task") != task or run_id is None:
                continue
            run = runs.setdefault(run_id, {"run": run_id, "version": version_of(model_id, task), "docs": 0,
                                           "llm_docs": 0, "prompt_tokens": 0, "completion_tokens": 0,
                                           "stage_seconds": 0.0})
            run["docs"] += 1
            run["llm_docs"] += int(output.get("route") == "llm")
            run["prompt_tokens"] += prompt
            run["completion_tokens"] += completion
            run["stage_seconds"] += latency / 1000.0
    for run in runs.values():
        run["llm_share"] = round(run["llm_docs"] / run["docs"], 4) if run["docs"] else 0.0
        run["cost_per_1k_docs"] = cost.cost_per_1k_docs(run["docs"], run["prompt_tokens"], run["completion_tokens"],
                                                        run["stage_seconds"])
        run["stage_seconds"] = round(run["stage_seconds"], 3)
    return [runs[k] for k in sorted(runs)]


def flywheel_report(engine: Engine, task: str, models_root: Path, cost: CostModel | None = None) -> dict[str, Any]:
    """The rounds (versions) of ``task`` and the cascade runs that used them (see the module docstring)."""
    entry = read_entry(models_root, task)
    runs = cascade_runs(engine, task, cost or CostModel())
    rounds = []
    for version in entry.versions if entry else []:
        mine = [r for r in runs if r["version"] == version.version]
        docs = sum(r["docs"] for r in mine)
        rounds.append({
            "version": version.version, "created_at": version.created_at,
            "labels_used": version.trained_on.get("labels", {}), "trained_rows": version.trained_on.get("rows"),
            "gold_macro_f1": version.gold.get("macro_f1"), "cascade_threshold": version.cascade_threshold,
            "promoted": any(e.action == "promote" and e.version == version.version for e in entry.events)
            if entry else False,
            "runs": [r["run"] for r in mine], "docs": docs,
            "llm_share": round(sum(r["llm_docs"] for r in mine) / docs, 4) if docs else None,
            "cost_per_1k_docs": round(sum(r["cost_per_1k_docs"] * r["docs"] for r in mine) / docs, 8)
            if docs else None})
    return {"task": task, "promoted": entry.promoted if entry else None, "rounds": rounds, "runs": runs}
