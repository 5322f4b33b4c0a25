"""Stale runs: a ``running`` run whose process died (SIGKILL, power loss) is closed as ``crashed``, in
Tandem's run table and in Prefect, by the next ``tandem run`` or by ``tandem runs --repair``.

Its documents that were not finished stay ``pending``; their stored results are whole (each batch is one
transaction), so a rerun computes exactly what is missing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import Engine

from tandem.storage import repository as repo
from tandem.storage.db import unit_of_work

log = logging.getLogger(__name__)

CRASHED_REASON = "its process ended without closing it (killed, or the machine stopped)"
#: a run on another machine (or with no owner recorded) that stored nothing for this long is stale
SILENT_FOR = timedelta(hours=6)


def repair_stale_runs(engine: Engine, prefect: bool = True) -> list[int]:
    """Close the stale runs of the database as ``crashed`` (and their Prefect flow runs, when ``prefect``
    and the Prefect API knows them); returns their ids."""
    with unit_of_work(engine) as session:
        stale = repo.stale_runs(session, silent_for=SILENT_FOR)
        repo.mark_crashed(session, stale, CRASHED_REASON)
        repaired = [(run.id, run.flow_run_id) for run in stale]
    if prefect:
        for run_id, flow_run_id in repaired:
            if flow_run_id:
                mark_flow_run_crashed(flow_run_id, f"Tandem run {run_id}: {CRASHED_REASON}")
    return [run_id for run_id, _ in repaired]


def mark_flow_run_crashed(flow_run_id: str, message: str) -> bool:
    """Set a Prefect flow run that is not in a final state to ``Crashed``; False when the API does not know it."""
    from uuid import UUID

    from prefect import get_client
    from prefect.states import Crashed

    try:
        with get_client(sync_client=True) as client:
            flow_run = client.read_flow_run(UUID(flow_run_id))
            if flow_run.state is not None and flow_run.state.is_final():
                return True
            client.set_flow_run_state(UUID(flow_run_id), Crashed(message=message), force=True)
            return True
    except Exception as exc:  # noqa: BLE001 - another Prefect API, or none: Tandem's own table is repaired anyway
        log.info("could not mark Prefect flow run %s crashed: %s", flow_run_id, type(exc).__name__)
        return False
