"""``tandem search`` (documents nearest a query, by meaning) and ``tandem dedup`` (near-duplicate groups) over the
vectors stored by the ``embed`` stage (e.g. ``tandem run DOCS --pipeline embedded_search``). Both open the
database read-only. Registered in :mod:`tandem.cli.main`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tandem.cli.common import DB_HELP, MODELS_DIR_HELP, fail, open_results_db, print_json
from tandem.cli.console import err, out

if TYPE_CHECKING:
    from tandem.specialists.embedding import EmbedStage
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
    embedder: Annotated[str, typer.Option("--embedder", help="The encoder that embedded the documents: embed (the "
                                          "stock MiniLM) or embed.NAME (trained with tandem train embed).")]
    = "embed",
    index: Annotated[str | None, typer.Option("--index", help="auto (SQLite: the sqlite-vec index from 20,000 "
                                              "vectors) | always | never (exact scan). Default TANDEM_VECTOR_INDEX "
                                              "or auto.", show_default=False)] = None,
    output_format: Annotated[str, typer.Option("--format", help="table | json")] = "table",
    models_dir: Annotated[str | None, typer.Option("--models-dir", help=MODELS_DIR_HELP, show_default=False)] = None,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP, show_default=False)] = None,
) -> None:
    """The stored documents nearest QUERY, by meaning: record ids, sources, cosine scores and text.

    Over the vectors the embed stage stored (tandem run DOCS --pipeline embedded_search); only vectors of the
    query's model. Exact, or the sqlite-vec index on a large SQLite database."""
    from tandem.specialists.search import VectorModelError, search
    from tandem.storage.db import open_db_readonly

    if output_format not in ("table", "json"):
        fail(f"--format must be table or json, not {output_format!r}")
    if index not in (None, "auto", "always", "never"):
        fail(f"--index must be auto, always or never, not {index!r}")
    if not query.strip():
        fail("the query is empty")
    stage = embedder_stage(embedder, models_dir)
    engine = open_db_readonly(open_results_db(db, read_only=True))
    try:
        report = search(engine, query, k=k, run=_run_ref(run), source=source, stage=stage, index=index)
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


def embedder_stage(name: str, models_dir: str | None, option: str = "--embedder") -> EmbedStage:
    """The ``embed`` stage a search embeds its query with (a trained encoder checked now: exit 2 if unusable)."""
    from tandem.specialists.artifacts import TamperedArtifactError, UnknownArtifactError, UnsafeArtifactError
    from tandem.specialists.embedding import EmbedStage

    if name != "embed" and not name.startswith("embed."):
        fail(f"{option} {name!r}: an encoder is 'embed' (the stock MiniLM) or 'embed.<trained name>'")
    stage = EmbedStage(artifact=None if name == "embed" else name[len("embed."):], models_dir=models_dir)
    try:
        stage.check_artifacts()
    except (UnknownArtifactError, UnsafeArtifactError, TamperedArtifactError, ValueError) as exc:
        fail(f"{option} {name}: {exc}")
    return stage


def _short(source: str) -> str:
    return Path(source).name if ":" not in source else source


def dedup_command(
    threshold: Annotated[float, typer.Option("--threshold", min=-1.0, max=1.0,
                                             help="Cosine at or above which two documents are duplicates.")] = 0.95,
    run: Annotated[str | None, typer.Option("--run", help="Only the documents of this run (id or 'last').")] = None,
    embedder: Annotated[str, typer.Option("--embedder", help="Whose vectors: embed (the stock MiniLM) or "
                                          "embed.NAME (trained with tandem train embed).")] = "embed",
    mark: Annotated[bool, typer.Option("--mark", help="Store the groups in the run (--run, default last): each "
                                       "document but the group's first is marked duplicate_of it, shown by "
                                       "tandem results; the run's earlier marks are replaced.")] = False,
    output_format: Annotated[str, typer.Option("--format", help="table | json")] = "table",
    models_dir: Annotated[str | None, typer.Option("--models-dir", help=MODELS_DIR_HELP, show_default=False)] = None,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP, show_default=False)] = None,
) -> None:
    """Groups of near-duplicate documents (cosine >= --threshold), with their record ids.

    --mark stores the groups in the run (tandem results shows duplicate_of)."""
    from tandem.specialists.search import VectorModelError, dedup
    from tandem.storage.db import open_db_readonly

    if output_format not in ("table", "json"):
        fail(f"--format must be table or json, not {output_format!r}")
    model = embedder_stage(embedder, models_dir).model_id()
    if mark:
        from tandem.storage.db import create_db_engine

        engine = create_db_engine(open_results_db(db))
        run = run or "last"
    else:
        engine = open_db_readonly(open_results_db(db, read_only=True))
    try:
        report = dedup(engine, threshold=threshold, run=_run_ref(run), model=model, mark=mark)
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
    if report.marked is not None:
        err.print(f"marked {report.marked} record(s) as duplicates in run {run} (tandem results --run {run})",
                  highlight=False)
