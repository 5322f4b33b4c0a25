"""Semantic search and near-duplicates over the vectors a run stored (stage ``embed``): the Python side of
``tandem search`` and ``tandem dedup``.

``search(engine, "query")`` embeds the query with the ``embed`` stage (the same model and options as the stored
vectors, or :class:`VectorModelError`), scans the stored vectors of that model exactly (or, on SQLite from
:data:`~tandem.storage.vector_index.INDEX_FROM` vectors, asks the sqlite-vec index) and returns the ``k`` best
documents with their score, source, text and record ids. ``dedup(engine)`` groups documents whose vectors have a
cosine of at least ``threshold``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tandem.settings import settings
from tandem.specialists.embedding import EmbedStage
from tandem.storage import repository as repo
from tandem.storage.db import unit_of_work
from tandem.storage.models import EmbeddingRow
from tandem.storage.vector_index import IndexUnavailableError, VectorIndex, index_file, use_index
from tandem.storage.vectors import (
    SearchHit,
    VectorModelError,
    check_model,
    describe_hits,
    documents_in_scope,
    duplicate_groups,
    first_record_order,
    load_matrix,
    replace_duplicate_marks,
    stored_models,
    top_k,
)

logger = logging.getLogger(__name__)

__all__ = ["DuplicateReport", "SearchReport", "VectorModelError", "dedup", "search", "search_vector"]


@dataclass
class SearchReport:
    query: str
    model: str
    k: int
    hits: list[SearchHit]
    embed_ms: float
    search_ms: float
    #: exact (a scan of every vector) or sqlite-vec (the index)
    method: str = "exact"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DuplicateReport:
    model: str
    threshold: float
    vectors: int
    groups: list[list[SearchHit]] = field(default_factory=list)
    seconds: float = 0.0
    #: documents marked as duplicates in the run (``mark``), or None
    marked: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _run_id(engine: Engine, run: str | int | None) -> int | None:
    if run is None:
        return None
    with unit_of_work(engine) as session:
        run_id = repo.resolve_run_id(session, run)
    if run_id is None:
        raise LookupError(f"no run {run!r} in this database")
    return run_id


def indexed_top_k(engine: Engine, session: Session, vector: np.ndarray, model: str, k: int,
                  mode: str) -> list[tuple[int, float]] | None:
    """The ``k`` nearest documents from the sqlite-vec index (:mod:`tandem.storage.vector_index`), or None when
    the exact scan should answer: not SQLite, fewer vectors than the index pays for (``mode`` auto), ``never``, or
    an index that cannot be used here (said in the log)."""
    dim = int(np.asarray(vector).reshape(-1).shape[0])
    path = index_file(engine)
    if path is None or mode == "never":
        return None
    # an index-only count (ix_embeddings_model), where counting one dimension too would read every row
    count = session.scalar(select(func.count()).where(EmbeddingRow.model == model)) or 0
    if not use_index(engine, count, mode):
        return None
    index = VectorIndex(path)
    try:
        total = index.sync(session, model, dim)
        # none of this dimension: the exact scan says so (VectorModelError), never an empty answer
        return index.nearest(vector, model, dim, k, total) if total else None
    except IndexUnavailableError as exc:
        logger.warning("exact search instead of the vector index: %s", exc)
        return None


def search_vector(engine: Engine, vector: np.ndarray, model: str, k: int = 10, run: str | int | None = None,
                  source: str | None = None, index: str | None = None) -> tuple[list[SearchHit], str]:
    """The ``k`` stored documents nearest ``vector`` (of ``model``), best first (``run``/``source`` limit them, and
    are always scanned exactly), and how they were found (``exact`` or ``sqlite-vec``). ``index``: auto | always |
    never (default ``TANDEM_VECTOR_INDEX``)."""
    run_id = _run_id(engine, run)
    mode = index or settings().vector_index
    with unit_of_work(engine) as session:
        scope = documents_in_scope(session, run_id, source)
        hits = indexed_top_k(engine, session, vector, model, k, mode) if scope is None else None
        method = "exact" if hits is None else "sqlite-vec"
        if hits is None:
            hits = top_k(session, vector, model, k, scope)
        return describe_hits(session, hits, run_id), method


def search(engine: Engine, query: str, k: int = 10, run: str | int | None = None, source: str | None = None,
           stage: EmbedStage | None = None, index: str | None = None) -> SearchReport:
    """Search the stored vectors for ``query`` (embedded by ``stage``, default the stock ``embed``; a trained
    encoder is ``EmbedStage(artifact=NAME)``); ``index`` as in :func:`search_vector`."""
    if not query.strip():
        raise ValueError("the query is empty")
    stage = stage or EmbedStage()
    with unit_of_work(engine) as session:  # a database without this model's vectors is told before the model loads
        check_model(session, stage.model_id())
    started = time.perf_counter()
    stage.load()
    vector = stage.encode([query])[0]
    embed_ms = (time.perf_counter() - started) * 1000.0
    started = time.perf_counter()
    hits, method = search_vector(engine, vector, stage.model_id(), k, run, source, index)
    return SearchReport(query=query, model=stage.model_id(), k=k, hits=hits, embed_ms=round(embed_ms, 2),
                        search_ms=round((time.perf_counter() - started) * 1000.0, 2), method=method)


def dedup(engine: Engine, threshold: float = 0.95, run: str | int | None = None,
          model: str | None = None, mark: bool = False) -> DuplicateReport:
    """Groups of near-duplicate documents (cosine ≥ ``threshold``) among the stored vectors of ``model`` (default:
    the stock ``embed``'s). Within a run, each group starts with the document the run read first, and each hit's
    score is its cosine with that document. ``mark`` (needs ``run``): store the groups as the run's duplicate
    marks (every document but the first marked as a duplicate of it; the run's earlier marks replaced), shown
    by ``tandem results``."""
    model = model or EmbedStage().model_id()
    if mark and run is None:
        raise ValueError("marking duplicates needs a run (--run ID or last)")
    run_id = _run_id(engine, run)
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        check_model(session, model)
        dim = next(d for m, d in stored_models(session) if m == model)
        scope = documents_in_scope(session, run_id, None)
        docs, matrix = load_matrix(session, model, dim, scope)
        order = first_record_order(session, run_id) if run_id is not None else {}
        described, marks = [], []
        for group in duplicate_groups(matrix, threshold):
            group = sorted(group, key=lambda i: (order.get(int(docs[i]), int(docs[i])), int(docs[i])))
            first = group[0]
            members = [(int(docs[i]), float(matrix[i] @ matrix[first])) for i in group]
            marks += [(doc, int(docs[first]), score) for doc, score in members[1:]]
            described.append(describe_hits(session, members, run_id))
        if mark and run_id is not None:
            replace_duplicate_marks(session, run_id, marks, threshold, model)
    return DuplicateReport(model=model, threshold=threshold, vectors=int(docs.shape[0]), groups=described,
                           seconds=round(time.perf_counter() - started, 3), marked=len(marks) if mark else None)
