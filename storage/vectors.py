"""Stored vectors: the ``embeddings`` rows of :class:`~tandem.stages.contracts.Embedding` results, exact search and
near-duplicate groups.

A vector is stored once per stage result, as float32 bytes with its model id and dimension (a plain bytes column:
the same on SQLite and PostgreSQL, no extension needed). Search is exact: brute-force cosine (a dot product, the
vectors being normalised) over the vectors of the query's model, read in chunks of :data:`CHUNK_ROWS` rows, so
memory stays bounded. Vectors of another model or dimension are never compared (:class:`VectorModelError`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tandem.storage.models import DocumentRow, DuplicateRow, EmbeddingRow, RunDocumentRow, RunRecordRow

#: vectors read from the database per step of a scan
CHUNK_ROWS = 20_000
#: rows of a dedup block (block x all products at a time)
DEDUP_BLOCK = 2048


class VectorModelError(ValueError):
    """The database holds no vectors of the query's model and dimension (they are never mixed)."""


def to_bytes(vector: Sequence[float] | np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes, dim: int) -> np.ndarray:
    array = np.frombuffer(data, dtype=np.float32)
    if array.shape[0] != dim:
        raise ValueError(f"a stored vector has {array.shape[0]} values, not its declared {dim}")
    return array


def stored_models(session: Session) -> dict[tuple[str, int], int]:
    """``(model, dim)`` → how many vectors the database holds."""
    query = select(EmbeddingRow.model, EmbeddingRow.dim, func.count()).group_by(EmbeddingRow.model, EmbeddingRow.dim)
    return {(model, dim): count for model, dim, count in session.execute(query).tuples()}


def documents_in_scope(session: Session, run_id: int | None, source: str | None) -> set[int] | None:
    """Document ids a search is limited to (``run_id``'s documents, or those read from ``source``), or None."""
    scope: set[int] | None = None
    if run_id is not None:
        scope = set(session.scalars(select(RunDocumentRow.document_id).where(RunDocumentRow.run_id == run_id)))
    if source is not None:
        pattern = source.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found = set(session.scalars(select(DocumentRow.id).where(DocumentRow.source.like(pattern, escape="\\"))))
        found |= set(session.scalars(select(RunRecordRow.document_id)
                                     .where(RunRecordRow.source.like(pattern, escape="\\"))))
        scope = found if scope is None else scope & found
    return scope


def iter_vectors(session: Session, model: str, dim: int, scope: set[int] | None = None,
                 chunk_rows: int = CHUNK_ROWS) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(document ids, (n, dim) float32 matrix)`` chunks of the stored vectors of ``model``/``dim`` (one per
    document: the latest), limited to ``scope``."""
    last_id = 0
    seen: set[int] = set()
    while True:
        query = (select(EmbeddingRow.id, EmbeddingRow.document_id, EmbeddingRow.vector)
                 .where(EmbeddingRow.model == model, EmbeddingRow.dim == dim, EmbeddingRow.id > last_id)
                 .order_by(EmbeddingRow.id).limit(chunk_rows))
        rows = session.execute(query).tuples().all()
        if not rows:
            return
        last_id = rows[-1][0]
        keep = [(doc, vec) for _id, doc, vec in rows if (scope is None or doc in scope) and doc not in seen]
        seen.update(doc for doc, _vec in keep)
        if keep:
            docs = np.fromiter((doc for doc, _vec in keep), dtype=np.int64, count=len(keep))
            matrix = np.frombuffer(b"".join(bytes(vec) for _doc, vec in keep), dtype=np.float32).reshape(len(keep), dim)
            yield docs, matrix


def check_model(session: Session, model: str, dim: int | None = None) -> None:
    """Raise :class:`VectorModelError` when no vector of ``model`` (of dimension ``dim``, when given) is stored,
    naming those that are."""
    held = stored_models(session)
    if any(m == model and dim in (None, d) for m, d in held):
        return
    listing = ", ".join(f"{m} (dim {d}, {n} vectors)" for (m, d), n in sorted(held.items())) or "none"
    raise VectorModelError(f"the database holds no vectors of model {model!r}{'' if dim is None else f' (dim {dim})'}; "
                           f"vectors are never compared across models. It holds: {listing}. Run a pipeline with that "
                           "embed stage first (tandem run DOCS --pipeline embedded_search).")


def top_k(session: Session, query: np.ndarray, model: str, k: int = 10,
          scope: set[int] | None = None) -> list[tuple[int, float]]:
    """The ``k`` documents whose vector of ``model`` is nearest ``query`` (cosine), best first: exact, over the
    matrix :func:`cached_matrix` keeps."""
    query = np.asarray(query, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(query))
    query = query / norm if norm > 0 else query  # a cosine, whatever the query's length (stored rows are unit)
    docs, matrix = cached_matrix(session, model, int(query.shape[0]))
    if scope is not None:
        keep = np.isin(docs, np.fromiter(scope, dtype=np.int64, count=len(scope)))
        docs, matrix = docs[keep], matrix[keep]
    if docs.shape[0] == 0:
        return []
    scores = matrix @ query
    take = min(k, scores.shape[0])
    idx = np.argpartition(-scores, take - 1)[:take]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return [(int(docs[i]), float(scores[i])) for i in idx]


#: (database URL, model, dim) -> ((count, max id), document ids, matrix): the last matrices loaded in this process
_MATRICES: dict[tuple[str, str, int], tuple[tuple[int, int], np.ndarray, np.ndarray]] = {}
MAX_CACHED = 2


def cached_matrix(session: Session, model: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """The stored vectors of ``model``/``dim`` as one matrix, read once per process and read again only when the
    ``embeddings`` table changed (its row count or highest id differ); :class:`VectorModelError` when there are
    none. Memory: 4 x dim bytes per vector (1.5 KB for MiniLM: 150 MB for 100,000)."""
    # the whole table's count and highest id: cheap (the primary key), where a count of one model's rows is a scan
    count, last = session.execute(select(func.count(EmbeddingRow.id), func.max(EmbeddingRow.id))).one()
    key, stamp = (str(session.get_bind().engine.url), model, dim), (int(count), int(last or 0))
    held = _MATRICES.get(key)
    if held is not None and held[0] == stamp:
        if held[1].shape[0] == 0:
            check_model(session, model, dim)
        return held[1], held[2]
    docs, matrix = load_matrix(session, model, dim)
    if docs.shape[0] == 0:
        check_model(session, model, dim)
    while len(_MATRICES) >= MAX_CACHED:
        _MATRICES.pop(next(iter(_MATRICES)))
    _MATRICES[key] = (stamp, docs, matrix)
    return docs, matrix


@dataclass
class SearchHit:
    """One search result: the document, its score, and the records of runs that read it (record ids)."""

    document_id: int
    score: float
    source: str
    text: str
    records: list[dict[str, Any]] = field(default_factory=list)


def describe_hits(session: Session, hits: Sequence[tuple[int, float]], run_id: int | None = None) -> list[SearchHit]:
    """:class:`SearchHit` of each ``(document id, score)``: its source, text and record ids (those of ``run_id``
    when given, else those of the latest run that read the document; records with identical texts share one
    document)."""
    ids = [doc for doc, _score in hits]
    documents = {row.id: row for row in session.scalars(select(DocumentRow).where(DocumentRow.id.in_(ids)))}
    query = select(RunRecordRow).where(RunRecordRow.document_id.in_(ids)).order_by(RunRecordRow.id)
    if run_id is not None:
        query = query.where(RunRecordRow.run_id == run_id)
    records: dict[int, list[dict[str, Any]]] = {}
    for row in session.scalars(query):
        mine = records.setdefault(row.document_id, [])
        if mine and mine[0]["run_id"] != row.run_id:  # without a run: the records of the latest run that read it
            if mine[0]["run_id"] > row.run_id:
                continue
            mine.clear()
        mine.append({"record_id": row.id, "run_id": row.run_id, "id": row.external_id, "source": row.source})
    return [SearchHit(document_id=doc, score=round(score, 6), source=documents[doc].source,
                      text=documents[doc].text or "", records=records.get(doc, []))
            for doc, score in hits if doc in documents]


def load_matrix(session: Session, model: str, dim: int, scope: set[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All stored vectors of ``model``/``dim`` (in ``scope``): document ids and one ``(n, dim)`` matrix."""
    docs, parts = [], []
    for chunk_docs, matrix in iter_vectors(session, model, dim, scope):
        docs.append(chunk_docs)
        parts.append(matrix)
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32)
    return np.concatenate(docs), np.concatenate(parts)


def duplicate_groups(matrix: np.ndarray, threshold: float = 0.95, block: int = DEDUP_BLOCK) -> list[list[int]]:
    """Groups (row indexes, each sorted; groups by first index) of rows whose cosine with another of the group is at
    least ``threshold``: blocked products of the normalised rows, groups joined by union-find."""
    n = matrix.shape[0]
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for start in range(0, n, block):
        rows_block = matrix[start:start + block]
        for column in range(start, n, block * 4):  # a block x 4 blocks product at a time: bounded memory
            rows, cols = np.nonzero(rows_block @ matrix[column:column + block * 4].T >= threshold)
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
                i, j = start + r, column + c
                if j > i:
                    a, b = find(i), find(j)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: g[0])


def first_record_order(session: Session, run_id: int) -> dict[int, int]:
    """document id → the position of its first record in ``run_id`` (a run stored before records: its document
    id), the order in which a duplicate group's first document is chosen."""
    query = (select(RunRecordRow.document_id, func.min(RunRecordRow.id))
             .where(RunRecordRow.run_id == run_id).group_by(RunRecordRow.document_id))
    order = dict(session.execute(query).tuples().all())
    return order or {doc: doc for doc in session.scalars(select(RunDocumentRow.document_id)
                                                         .where(RunDocumentRow.run_id == run_id))}


def replace_duplicate_marks(session: Session, run_id: int, marks: Sequence[tuple[int, int, float]], threshold: float,
                            model: str) -> None:
    """Store ``(document, duplicate of, cosine)`` marks for ``run_id``, replacing the run's earlier marks."""
    session.execute(delete(DuplicateRow).where(DuplicateRow.run_id == run_id))
    session.add_all(DuplicateRow(run_id=run_id, document_id=doc, duplicate_of=first, score=round(score, 6),
                                 threshold=threshold, model=model) for doc, first, score in marks)
    session.flush()


def duplicate_marks(session: Session, run_id: int) -> dict[int, tuple[int, float]]:
    """document id → (the document it duplicates, cosine) for the marks of ``run_id``."""
    query = select(DuplicateRow.document_id, DuplicateRow.duplicate_of, DuplicateRow.score).where(
        DuplicateRow.run_id == run_id)
    return {doc: (first, score) for doc, first, score in session.execute(query).tuples()}
