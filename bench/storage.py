"""Bulk result writes: rows per second into the results store, SQLite and (when configured) PostgreSQL.

    python bench/storage.py [--rows 20000] [--batch 1000] [--pg URL] [--quick]

Registers N documents, then stores one classification and one NER result per document (two entities
each) through :func:`tandem.storage.repository.save_results`, one transaction per batch, as the flow does; then
the same keys again (an upsert replacing every row; its results name another model). Prints result rows
per second for each database and phase, and one JSON line (``sqlite_rows_s``: the first write on SQLite;
``ratio``: PostgreSQL over SQLite when PostgreSQL was measured; ``sqlite_stored``, ``sqlite_replaced`` and
``sqlite_entities``: the result rows left after the upsert, those holding the upsert's results, and their
entity rows, each of which should be the N rows written). PostgreSQL: ``--pg`` or ``$TANDEM_BENCH_PG_URL``
(a throw-away database: the tables are created there).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import emit, sms_messages  # noqa: E402 - the bench folder is not a package

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


PHASES = {"first": "bench", "upsert": "bench-upsert"}  # each phase's model id: the upsert's rows can be told apart


def measure(url: str, rows: int, batch: int) -> dict[str, float]:
    """Result rows per second for a first write and for an upsert of the same keys, and what the upsert left:
    ``stored`` result rows, ``replaced`` (those holding the upsert's results) and their ``entities``."""
    from tandem.stages.batching import batched
    from tandem.stages.contracts import Classification, Entities, Entity
    from tandem.storage import repository as repo
    from tandem.storage.db import create_db_engine, unit_of_work

    engine = create_db_engine(url)
    prefix = f"bench-{url[:8]}-"
    records = [repo.DocumentRecord(content_hash=f"{prefix}{doc_id}", source="bench", text=text)
               for doc_id, _label, text in sms_messages(rows // 2)]
    with unit_of_work(engine) as session:
        ids = repo.register_documents(session, records)

    def results(doc_ids: list[int], model_id: str) -> list[repo.ResultRecord]:
        out: list[repo.ResultRecord] = []
        for doc_id in doc_ids:
            out.append(repo.ResultRecord(
                result_key=f"c{doc_id}", document_id=doc_id, stage="classify.spam", field="spam", stage_version="1",
                model_id=model_id, prompt_version="",
                output=Classification(label="ham", score=0.9, scores={"ham": 0.9, "spam": 0.1})))
            out.append(repo.ResultRecord(
                result_key=f"n{doc_id}", document_id=doc_id, stage="ner.spacy", field="entities", stage_version="1",
                model_id=model_id, prompt_version="",
                output=Entities(entities=[Entity(start=0, end=4, label="PERSON", text="Anna"),
                                          Entity(start=8, end=14, label="GPE", text="London")])))
        return out

    rates: dict[str, float] = {}
    for phase, model_id in PHASES.items():
        prepared = [results(chunk, model_id) for chunk in batched(ids, batch // 2)]  # what the stages hand over
        start = time.perf_counter()
        for chunk_records in prepared:
            with unit_of_work(engine) as session:
                repo.save_results(session, chunk_records)
        rates[phase] = 2 * len(ids) / (time.perf_counter() - start)
    rates.update(_left(engine, prefix))
    engine.dispose()
    return rates


def _left(engine: Engine, prefix: str) -> dict[str, float]:
    """The result rows of the documents whose hash starts with ``prefix``, those holding the upsert's results,
    and their entity rows."""
    from sqlalchemy import func, select

    from tandem.storage.models import DocumentRow, EntityRow, StageResultRow

    ours = DocumentRow.content_hash.startswith(prefix)
    results = select(func.count()).select_from(StageResultRow).join(DocumentRow).where(ours)
    queries = {"stored": results, "replaced": results.where(StageResultRow.model_id == PHASES["upsert"]),
               "entities": select(func.count()).select_from(EntityRow).join(DocumentRow).where(ours)}
    with engine.connect() as connection:
        return {name: float(connection.execute(query).scalar_one()) for name, query in queries.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20000, help="result rows to write (default 20000)")
    parser.add_argument("--batch", type=int, default=1000, help="rows per transaction (default 1000)")
    parser.add_argument("--pg", default=os.environ.get("TANDEM_BENCH_PG_URL"), help="PostgreSQL URL (optional)")
    parser.add_argument("--quick", action="store_true", help="1,000 rows: a smoke test of the benchmark")
    args = parser.parse_args(argv)
    rows = 1000 if args.quick else args.rows
    found: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="tandem-storage-") as tmp:
        found["sqlite"] = measure(f"sqlite:///{tmp}/bench.db", rows, args.batch)
    if args.pg:
        found["postgresql"] = measure(args.pg, rows, args.batch)
    print(f"{rows} result rows (classification + NER with 2 entities each), {args.batch} per transaction")
    for name, rates in found.items():
        print(f"  {name:<11} first write {rates['first']:9.0f} rows/s   upsert {rates['upsert']:9.0f} rows/s   "
              f"left {rates['stored']:.0f} result rows ({rates['replaced']:.0f} replaced), "
              f"{rates['entities']:.0f} entity rows")
    sqlite = found["sqlite"]
    result: dict[str, object] = {"benchmark": "storage", "rows": rows, "batch": args.batch,
                                 "sqlite_rows_s": round(sqlite["first"]), "sqlite_upsert_rows_s": round(sqlite["upsert"]),
                                 "sqlite_stored": round(sqlite["stored"]), "sqlite_replaced": round(sqlite["replaced"]),
                                 "sqlite_entities": round(sqlite["entities"])}
    if "postgresql" in found:
        result["postgresql_rows_s"] = round(found["postgresql"]["first"])
        result["ratio"] = round(found["postgresql"]["first"] / found["sqlite"]["first"], 3)
    emit(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
