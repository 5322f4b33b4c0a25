"""``tandem runs``: the runs of a results database with their state and counts; ``--repair`` closes runs whose
process died as ``crashed`` (in Tandem's table and in Prefect). Registered in :mod:`tandem.cli.main`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tandem.cli.common import DB_HELP, fail, open_results_db, print_json
from tandem.cli.console import err, out


def runs_command(
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP, show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs, newest first.")] = 20,
    repair: Annotated[bool, typer.Option(
        "--repair", help="Close runs whose process is gone (killed, machine stopped) as crashed, here and in "
                         "Prefect. 'tandem run' does it too when it starts.")] = False,
    output_format: Annotated[str, typer.Option("--format", help="table | json")] = "table",
) -> None:
    """List runs: id, pipeline, start and end, state, counts of records and documents (ok, failed, pending).

    A run shown 'running (stale)' lost its process: --repair closes it as crashed."""
    from tandem.flows.runs import repair_stale_runs
    from tandem.storage import repository as repo
    from tandem.storage.db import create_db_engine, open_db_readonly, unit_of_work

    if output_format not in ("table", "json"):
        fail(f"--format must be table or json, not {output_format!r}")
    # only --repair writes (and may upgrade the schema); listing opens the database read-only
    engine = create_db_engine(open_results_db(db)) if repair else open_db_readonly(open_results_db(db, read_only=True))
    if repair:
        repaired = repair_stale_runs(engine)
        err.print(f"closed {len(repaired)} stale run(s) as crashed" + (f": {', '.join(map(str, repaired))}"
                                                                       if repaired else ""))
    with unit_of_work(engine) as session:
        listing = repo.list_runs(session, limit)
        stale = {run.id for run in repo.stale_runs(session)}
    rows = [{"id": item.run.id, "pipeline": item.run.pipeline,
             "state": item.run.status + (" (stale)" if item.run.id in stale else ""),
             "started": item.run.started_at.isoformat(timespec="seconds"),
             "finished": item.run.finished_at.isoformat(timespec="seconds") if item.run.finished_at else None,
             "records": item.records, "documents": item.documents, "ok": item.ok, "failed": item.failed,
             "pending": item.pending, "flow_run_id": item.run.flow_run_id} for item in listing]
    if output_format == "json":
        print_json({"runs": rows})
        return
    table = Table(title="Runs (newest first)")
    for column in ("id", "pipeline", "state", "started", "finished", "records", "documents", "ok", "failed",
                   "pending"):
        table.add_column(column)
    for row in rows:
        state = str(row["state"])
        style = "green" if state == "completed" else "red" if ("crashed" in state or "stale" in state
                                                                 or state == "failed") else "yellow"
        table.add_row(str(row["id"]), str(row["pipeline"]), f"[{style}]{state}[/]", str(row["started"]),
                      str(row["finished"] or "—"), *(str(row[k]) for k in ("records", "documents", "ok",
                                                                            "failed", "pending")))
    out.print(table)
    if stale and not repair:
        err.print("[yellow]runs marked (stale) lost their process: 'tandem runs --repair' closes them as crashed[/]")
