"""A ``sqlite-vec`` index of the stored vectors, for SQLite results databases.

The ``embeddings`` table stays the one source of truth; the index is derived from it and kept in a file beside the
database (``results.db`` → ``results.db.vectors``), one ``vec0`` table per model and dimension (cosine distance,
the embedding row id as rowid, the document id as an auxiliary column). :meth:`VectorIndex.sync` brings it up to
date before each query: rows added since the last sync are appended; when rows were deleted or replaced (a rerun
that recomputed a result) that model's table is rebuilt. So the index can be deleted at any time: it is rebuilt
on the next search.

Why a file of its own and another driver: Python's ``sqlite3`` here is built without loadable extensions
(``enable_load_extension`` is missing), so the index is opened with ``sqlean.py``, a build of the ``sqlite3``
module that can load them (DB-API 2, maintained, wheels for Linux, macOS and Windows). Two SQLite libraries must not
open the same database file in one process: POSIX advisory locks belong to the process, so closing one library's
handle drops the other's locks (https://sqlite.org/howtocorrupt.html, section 2.2). The results database is only
ever opened by the standard module, the index file only by ``sqlean``.

When the index is used: see :func:`use_index` (``TANDEM_VECTOR_INDEX``: ``auto`` from :data:`INDEX_FROM` vectors of
the query's model, ``always``, ``never``); a search limited to a run or a source scans exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tandem.storage.models import EmbeddingRow

#: vectors of one model from which ``auto`` searches the index: below it the exact scan's one-off load costs less
#: than an index sync (bench/search.py measures both; docs/search.md has the figures)
INDEX_FROM = 20_000
#: rows appended per INSERT batch while syncing
SYNC_ROWS = 5_000
#: sqlite-vec's largest k
MAX_K = 4096
SUFFIX = ".vectors"


class IndexUnavailableError(RuntimeError):
    """sqlite-vec cannot be used here (not installed, not a SQLite file database, or the index file cannot be
    written); the caller scans exactly."""


def index_file(engine: Engine) -> Path | None:
    """The index file of a SQLite file database (``<database>.vectors``), or None for other databases."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve().with_name(Path(url.database).name + SUFFIX)


def use_index(engine: Engine, vectors: int, mode: str) -> bool:
    """Whether a search over ``vectors`` vectors of one model should use the index (``mode``: auto|always|never);
    only SQLite file databases have one."""
    if mode == "never" or index_file(engine) is None:
        return False
    return mode == "always" or vectors >= INDEX_FROM


def table_name(model: str, dim: int) -> str:
    return "vec_" + hashlib.sha256(f"{model}\x00{dim}".encode()).hexdigest()[:16]


@contextmanager
def _connect(path: Path) -> Iterator[Any]:
    try:
        import sqlean
        import sqlite_vec
    except ModuleNotFoundError as exc:
        raise IndexUnavailableError(f"the vector index needs {exc.name!r} (pip install sqlite-vec sqlean.py)") from exc
    try:
        connection = sqlean.connect(str(path), timeout=60, isolation_level=None)
        try:
            connection.enable_load_extension(True)
            sqlite_vec.load(connection)
            connection.enable_load_extension(False)
            connection.execute("CREATE TABLE IF NOT EXISTS indexed (name TEXT PRIMARY KEY, model TEXT NOT NULL, "
                               "dim INTEGER NOT NULL, last_id INTEGER NOT NULL, rows INTEGER NOT NULL, "
                               "table_rows INTEGER NOT NULL, table_last_id INTEGER NOT NULL)")
            yield connection
        finally:
            connection.close()
    except (sqlean.Error, OSError) as exc:  # opening, syncing or querying: the caller scans exactly instead
        raise IndexUnavailableError(f"cannot use the vector index {path}: {exc}") from exc


class VectorIndex:
    """The sqlite-vec index of one SQLite results database (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def sync(self, session: Session, model: str, dim: int) -> int:
        """Bring the index of ``model``/``dim`` up to date with the ``embeddings`` table read through ``session``;
        returns how many vectors it holds. Cheap when nothing changed: the whole table's row count and highest id
        (read from its primary key) are those of the last sync. One writer at a time (``BEGIN IMMEDIATE``)."""
        name = table_name(model, dim)
        of_model = (EmbeddingRow.model == model, EmbeddingRow.dim == dim)
        table_rows, table_last = session.execute(select(func.count(EmbeddingRow.id), func.max(EmbeddingRow.id))).one()
        stamp = (int(table_rows), int(table_last or 0))
        with _connect(self.path) as index:
            held = index.execute("SELECT rows, table_rows, table_last_id FROM indexed WHERE name = ?",
                                 (name,)).fetchone()
            if held is not None and (held[1], held[2]) == stamp:
                return int(held[0])
            index.execute("BEGIN IMMEDIATE")
            try:
                held = index.execute("SELECT last_id, rows FROM indexed WHERE name = ?", (name,)).fetchone()
                last_id, rows = held if held else (0, 0)
                # the index-only count (ix_embeddings_model): rows of the model up to the last synced id
                still = session.scalar(select(func.count()).where(EmbeddingRow.model == model,
                                                                  EmbeddingRow.id <= last_id))
                if held is None or still != rows:  # rows deleted or replaced since: rebuild this model's table
                    index.execute(f"DROP TABLE IF EXISTS {name}")
                    index.execute(f"CREATE VIRTUAL TABLE {name} USING vec0(embedding float[{dim}] "
                                  "distance_metric=cosine, +document_id integer)")
                    last_id, rows = 0, 0
                while True:
                    batch = session.execute(
                        select(EmbeddingRow.id, EmbeddingRow.document_id, EmbeddingRow.vector)
                        .where(*of_model, EmbeddingRow.id > last_id).order_by(EmbeddingRow.id)
                        .limit(SYNC_ROWS)).tuples().all()
                    if not batch:
                        break
                    index.executemany(f"INSERT INTO {name}(rowid, embedding, document_id) VALUES (?, ?, ?)",
                                      [(row_id, bytes(vector), doc) for row_id, doc, vector in batch])
                    last_id, rows = batch[-1][0], rows + len(batch)
                index.execute("INSERT OR REPLACE INTO indexed VALUES (?, ?, ?, ?, ?, ?, ?)",
                              (name, model, dim, last_id, rows, *stamp))
                index.execute("COMMIT")
            except BaseException:
                index.execute("ROLLBACK")
                raise
            return int(rows)

    def nearest(self, query: np.ndarray, model: str, dim: int, k: int, total: int) -> list[tuple[int, float]]:
        """The ``k`` documents nearest ``query`` as ``(document id, cosine)``, best first; a document with several
        vectors of the model counts once, at its best (more neighbours are fetched until ``k`` distinct ones)."""
        name = table_name(model, dim)
        blob = np.asarray(query, dtype=np.float32).reshape(-1).tobytes()
        want = min(k * 2, MAX_K, max(total, 1))
        with _connect(self.path) as index:
            while True:
                rows = index.execute(f"SELECT document_id, distance FROM {name} WHERE embedding MATCH ? AND k = ? "
                                     "ORDER BY distance", (blob, want)).fetchall()
                best: dict[int, float] = {}
                for document_id, distance in rows:
                    best.setdefault(int(document_id), 1.0 - float(distance))
                if len(best) >= k or want >= min(MAX_K, total):
                    return list(best.items())[:k]
                want = min(want * 2, MAX_K, total)
