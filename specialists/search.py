"""Semantic search and near-duplicates over the vectors a run stored (stage ``embed``): the Python side of
``tandem search`` and ``tandem dedup``.

``search(engine, "query")`` embeds the query with the ``embed`` stage (the same model and options as the stored
vectors, or :class:`VectorModelError`), scans the stored vectors of that model exactly and returns the ``k`` best
documents with their score, source, text and record ids. ``dedup(engine)`` groups documents whose vectors have a
cosine of at least ``threshold``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Engine

from tandem.specialists.embedding import EmbedStage
from tandem.storage import repository as repo
from tandem.storage.db import unit_of_work
from tandem.storage.vectors import (
    SearchHit,
    VectorModelError,
    check_model,
    describe_hits,
    documents_in_scope,
    duplicate_groups,
    load_matrix,
    stored_models,
    top_k,
)

__all__ = ["DuplicateReport", "SearchReport", "VectorModelError", "dedup", "search", "search_vector"]


@dataclass
class SearchReport:
    query: str
    model: str
    k: int
    hits: list[SearchHit]
    embed_ms: float
    search_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DuplicateReport:
    model: str
    threshold: float
    vectors: int
    groups: list[list[SearchHit]] = field(default_factory=list)
    seconds: float = 0.0

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


def search_vector(engine: Engine, vector: np.ndarray, model: str, k: int = 10, run: str | int | None = None,
                  source: str | None = None) -> list[SearchHit]:
    """The ``k`` stored documents nearest ``vector`` (of ``model``), best first (``run``/``source`` limit them)."""
    run_id = _run_id(engine, run)
    with unit_of_work(engine) as session:
        scope = documents_in_scope(session, run_id, source)
        hits = top_k(session, vector, model, k, scope)
        return describe_hits(session, hits, run_id)


def search(engine: Engine, query: str, k: int = 10, run: str | int | None = None, source: str | None = None,
           stage: EmbedStage | None = None) -> SearchReport:
    """Search the stored vectors for ``query`` (embedded by ``stage``, default the stock ``embed``)."""
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
    hits = search_vector(engine, vector, stage.model_id(), k, run, source)
    return SearchReport(query=query, model=stage.model_id(), k=k, hits=hits, embed_ms=round(embed_ms, 2),
                        search_ms=round((time.perf_counter() - started) * 1000.0, 2))


def dedup(engine: Engine, threshold: float = 0.95, run: str | int | None = None,
          model: str | None = None) -> DuplicateReport:
    """Groups of near-duplicate documents (cosine ≥ ``threshold``) among the stored vectors of ``model`` (default:
    the stock ``embed``'s)."""
    model = model or EmbedStage().model_id()
    run_id = _run_id(engine, run)
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        check_model(session, model)
        dim = next(d for m, d in stored_models(session) if m == model)
        scope = documents_in_scope(session, run_id, None)
        docs, matrix = load_matrix(session, model, dim, scope)
        groups = duplicate_groups(matrix, threshold)
        described = []
        for group in groups:
            members = [(int(docs[i]), 1.0) for i in group]
            described.append(describe_hits(session, members, run_id))
    return DuplicateReport(model=model, threshold=threshold, vectors=int(docs.shape[0]), groups=described,
                           seconds=round(time.perf_counter() - started, 3))
