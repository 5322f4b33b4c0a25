"""``tandem search`` (documents nearest a query, by meaning) and ``tandem dedup`` (near-duplicate groups) over the
vectors stored by the ``embed`` stage (e.g. ``tandem run DOCS --pipeline embedded_search``). Both open the
database read-only. Registered in :mod:`tandem.cli.main`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tandem.cli.common import DB_HELP, fail, open_results_db, print_json
from tandem.cli.console import out

if TYPE_CHECKING:
    from tandem.storage.vectors import SearchHit

EXIT_NOT_FOUND = 1


def _run_ref(run: str | None) -> str | None:
    if run is not None and run != "last" and not run.isdigit():
        fail(f"--run must be a run id or 'last', not {run!r}")
    return run


def _records(hit: SearchHit) -> str:
    return ", ".join(str(r["id"] or r["source"]) for r in hit.records) or f"document {hit.document_id}"


def search_command(
    query: Annotated[str, typer.Argument(help="The text to search for, by meaning.")],
    k: Annotated[int, typer.Option("--k", min=1, help="How many results.")] = 10,
    run: Annotated[str | None, typer.Option("--run", help="Only the documents of this run (id or 'last').")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only documents read from this path (prefix).")]
    = None,
    output_format: Annotated[str, typer.Option("--format", help="table | json")] = "table",
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP, show_default=False)] = None,
) -> None:
    """The stored documents nearest QUERY: record ids, sources, cosine scores and text. Exact search over the vectors
    the 'embed' stage stored (tandem run DOCS --pipeline embedded_search); only vectors of the query's model."""
    from tandem.specialists.search import VectorModelError, search
    from tandem.storage.db import open_db_readonly

    if output_format not in ("table", "json"):
        fail(f"--format must be table or json, not {output_format!r}")
    if not query.strip():
        fail("the query is empty")
    engine = open_db_readonly(open_results_db(db, read_only=True))
    try:
        report = search(engine, query, k=k, run=_run_ref(run), source=source)
    except (VectorModelError, LookupError) as exc:
        fail(str(exc), EXIT_NOT_FOUND)
    if output_format == "json":
        print_json(report.as_dict())
        return
    table = Table(title=f"Nearest to {query!r} ({report.model})", show_lines=True, expand=out.writes_to_terminal)
    for column, style in (("score", "green"), ("record", "dim"), ("source", "cyan"), ("text", "")):
        table.add_column(column, style=style, overflow="fold")
    for hit in report.hits:
        table.add_row(f"{hit.score:.3f}", _records(hit), _short(hit.source), hit.text[:300])
    out.print(table)


def _short(source: str) -> str:
    return Path(source).name if ":" not in source else source


def dedup_command(
    threshold: Annotated[float, typer.Option("--threshold", min=-1.0, max=1.0,
                                             help="Cosine at or above which two documents are duplicates.")] = 0.95,
    run: Annotated[str | None, typer.Option("--run", help="Only the documents of this run (id or 'last').")] = None,
    output_format: Annotated[str, typer.Option("--format", help="table | json")] = "table",
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP, show_default=False)] = None,
) -> None:
    """Groups of near-duplicate documents (cosine of their stored vectors >= --threshold), with their record ids."""
    from tandem.specialists.search import VectorModelError, dedup
    from tandem.storage.db import open_db_readonly

    if output_format not in ("table", "json"):
        fail(f"--format must be table or json, not {output_format!r}")
    engine = open_db_readonly(open_results_db(db, read_only=True))
    try:
        report = dedup(engine, threshold=threshold, run=_run_ref(run))
    except (VectorModelError, LookupError) as exc:
        fail(str(exc), EXIT_NOT_FOUND)
    if output_format == "json":
        print_json(report.as_dict())
        return
    table = Table(title=f"{len(report.groups)} near-duplicate group(s) among {report.vectors} vectors "
                        f"(cosine >= {threshold})", show_lines=True, expand=out.writes_to_terminal)
    for column in ("group", "records", "sources", "text"):
        table.add_column(column, overflow="fold")
    for number, group in enumerate(report.groups, 1):
        table.add_row(str(number), "\n".join(_records(hit) for hit in group),
                      "\n".join(_short(hit.source) for hit in group), "\n".join(hit.text[:80] for hit in group))
    out.print(table)
