"""What a run produced, per document, as plain data (for ``tandem results`` and the Python API)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import selectinload

from storage import repository as repo
from storage.db import unit_of_work
from storage.models import RunDocumentRow, StageResultRow


class RunNotFoundError(LookupError):
    pass


def run_report(engine: Engine, run: str | int | None = "last") -> dict[str, Any]:
    """Documents of a run (including reused results) with status, outputs, failures and totals."""
    with unit_of_work(engine) as session:
        run_id = repo.resolve_run_id(session, run)
        if run_id is None:
            raise RunNotFoundError("no pipeline run in this database yet" if run in (None, "last")
                                   else f"no run with id {run}")
        run_row = repo.get_run(session, run_id)
        links = list(session.scalars(select(RunDocumentRow).where(RunDocumentRow.run_id == run_id)
                                     .order_by(RunDocumentRow.position)))
        documents = repo.documents_by_id(session, [link.document_id for link in links])
        keys = {key for link in links for key in (link.result_keys or {}).values()}
        rows = _rows_by_key(session, keys)
        totals: dict[str, dict[str, Any]] = {}
        out_docs = []
        for link in links:
            doc = documents[link.document_id]
            entry: dict[str, Any] = {
                "id": doc.id, "external_id": doc.external_id, "source": doc.source,
                "content_hash": doc.content_hash, "status": link.status, "outputs": {}, "failures": [],
            }
            for field, key in (link.result_keys or {}).items():
                row = rows.get(key)
                if row is None:
                    entry["failures"].append({"stage": field, "kind": "missing", "message": "no result stored"})
                    continue
                _add_totals(totals, row, reused=row.run_id != run_id)
                if row.status != "ok":
                    entry["failures"].append({"stage": row.stage, "kind": row.error_kind, "message": row.error,
                                              **({"raw_answer": row.raw_answer} if row.raw_answer else {})})
                    continue
                entry["outputs"][field] = {"stage": row.stage, "type": row.output_type, **(row.output or {}),
                                           "model_id": row.model_id, "prompt_tokens": row.prompt_tokens,
                                           "completion_tokens": row.completion_tokens,
                                           "latency_ms": round(row.latency_ms, 1), "reused": row.run_id != run_id}
            entry["summary"] = _first_of_type(entry["outputs"], "Summary", "text")
            entry["entities"] = [
                {"text": e["text"], "label": e["label"], "start": e["start"], "end": e["end"]}
                for out in entry["outputs"].values() if out.get("type") == "Entities" for e in out["entities"]]
            entry["labels"] = {f: {"label": o["label"], "score": o["score"]}
                               for f, o in entry["outputs"].items() if o.get("type") == "Classification"}
            out_docs.append(entry)
        return {
            "run": {"id": run_row.id, "pipeline": run_row.pipeline, "llm": run_row.llm, "status": run_row.status,
                    "started_at": run_row.started_at.isoformat(),
                    "finished_at": run_row.finished_at.isoformat() if run_row.finished_at else None},
            "documents": out_docs,
            "totals": totals,
        }


def _rows_by_key(session: Any, keys: set[str]) -> dict[str, StageResultRow]:
    found: dict[str, StageResultRow] = {}
    key_list = sorted(keys)
    for start in range(0, len(key_list), 500):
        chunk = key_list[start:start + 500]
        for row in session.scalars(select(StageResultRow).where(StageResultRow.result_key.in_(chunk))
                                   .options(selectinload(StageResultRow.entities))):
            found[row.result_key] = row
    return found


def _add_totals(totals: dict[str, dict[str, Any]], row: StageResultRow, reused: bool) -> None:
    t = totals.setdefault(row.stage, {"results": 0, "ok": 0, "failed": 0, "reused": 0, "llm_calls": 0,
                                      "prompt_tokens": 0, "completion_tokens": 0, "latency_ms": 0.0,
                                      "model_id": row.model_id})
    t["results"] += 1
    t["ok" if row.status == "ok" else "failed"] += 1
    t["reused"] += int(reused)
    t["llm_calls"] += row.llm_calls
    t["prompt_tokens"] += row.prompt_tokens
    t["completion_tokens"] += row.completion_tokens
    t["latency_ms"] = round(t["latency_ms"] + row.latency_ms, 1)


def _first_of_type(outputs: dict[str, Any], type_name: str, key: str) -> Any:
    for out in outputs.values():
        if out.get("type") == type_name:
            return out.get(key)
    return None
