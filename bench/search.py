"""Embeddings and vector search: the ``embed`` stage's throughput, exact search and near-duplicate detection.

    python bench/search.py [--vectors 100000] [--texts 4000] [--queries 50] [--quick]

1. ``embed`` (MiniLM int8) over N generated SMS-sized messages (``bench/corpus.py``), one stage call as the flow
   makes: sentences per second.
2. M random normalised 384-d vectors stored through the ``embeddings`` table of a fresh SQLite file (documents and
   stage results too), one of them planted near each query; ``search`` (exact; the query's own embedding is
   excluded) timed per query: p50/p95 ms (``first_search_ms``: the first, which reads the vectors into the
   process's cached matrix). ``planted_first``: how many queries found their planted neighbour
   first (should be all).
3. The same queries through the sqlite-vec index (storage/vector_index.py): ``index_build_s`` (the first sync, which
   copies every vector into the index file), then p50/p95 ms per query (the sync check included) and
   ``index_planted_first``. ``exact_cold_ms``: one exact query in a process that has not read the vectors yet (what
   each ``tandem search`` command pays), beside ``index_cold_ms`` (the index, already built, from a new
   connection): the index pays from the size where the first is the larger.
4. Near-duplicate groups over the M vectors (load + blocked products + union-find), with one planted duplicate
   pair: seconds, and whether the pair was found.
Peak memory (max RSS of this process) is reported. One JSON line at the end.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import emit, sms_messages  # noqa: E402 - the bench folder is not a package

DIM = 384
MODEL = "bench-random"


def embed_throughput(texts: int) -> float:
    from tandem.specialists.embedding import EmbedStage
    from tandem.stages.contracts import DocState, Document

    stage = EmbedStage()
    stage.load()
    stage.run([DocState(document=Document.from_text("warm up", source="w"))])
    batch = [DocState(document=Document.from_text(text, source=key)) for key, _label, text in sms_messages(texts)]
    start = time.perf_counter()
    result = stage.run(batch)
    took = time.perf_counter() - start
    assert len(result.successes) == len(batch), result.failures
    return len(batch) / took


def store_vectors(url: str, matrix: np.ndarray) -> list[int]:
    """Documents, stage results and embeddings rows for ``matrix`` (bulk inserts); the document ids, in order."""
    from sqlalchemy import insert, select

    from tandem.storage.db import create_db_engine, unit_of_work
    from tandem.storage.models import DocumentRow, EmbeddingRow, StageResultRow, utcnow

    engine = create_db_engine(url)
    now = utcnow()
    with unit_of_work(engine) as session:
        for start in range(0, matrix.shape[0], 10_000):
            part = range(start, min(matrix.shape[0], start + 10_000))
            session.execute(insert(DocumentRow), [{"content_hash": f"{i:064d}", "source": f"v{i}", "text": f"vector {i}",
                                                   "char_count": 9, "meta": {}, "created_at": now} for i in part])
        docs = dict(session.execute(select(DocumentRow.source, DocumentRow.id)).tuples().all())
        ids = [docs[f"v{i}"] for i in range(matrix.shape[0])]
        for start in range(0, matrix.shape[0], 10_000):
            part = range(start, min(matrix.shape[0], start + 10_000))
            session.execute(insert(StageResultRow), [{
                "result_key": f"r{i:063d}", "document_id": ids[i], "stage": "embed", "field": "embedding",
                "stage_version": "1", "model_id": MODEL, "prompt_version": "", "status": "ok",
                "output_type": "Embedding", "output": {"model": MODEL, "dim": DIM}, "created_at": now} for i in part])
            results = dict(session.execute(select(StageResultRow.result_key, StageResultRow.id).where(
                StageResultRow.result_key.in_([f"r{i:063d}" for i in part]))).tuples().all())
            session.execute(insert(EmbeddingRow), [{
                "result_id": results[f"r{i:063d}"], "document_id": ids[i], "model": MODEL, "dim": DIM,
                "vector": matrix[i].tobytes()} for i in part])
    engine.dispose()
    return ids


def unit_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    matrix = rng.standard_normal((n, DIM)).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def search_and_dedup(vectors: int, queries: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tandem-bench-search-") as folder:
        return search_and_dedup_in(f"sqlite:///{folder}/v.db", vectors, queries)


def search_and_dedup_in(url: str, vectors: int, queries: int) -> dict[str, Any]:
    from tandem.storage.db import open_db_readonly, unit_of_work
    from tandem.storage.vectors import duplicate_groups, load_matrix, top_k

    rng = np.random.default_rng(0)
    matrix = unit_rows(rng, vectors)
    matrix[-1] = matrix[0]  # a planted duplicate pair: rows 0 and vectors - 1
    stored = time.perf_counter()
    ids = store_vectors(url, matrix)
    store_s = time.perf_counter() - stored
    engine = open_db_readonly(url)
    planted = rng.choice(vectors - 1, size=queries, replace=False)
    latencies, first = [], 0
    for row in planted:
        query = matrix[row] + 0.02 * unit_rows(rng, 1)[0]
        query /= np.linalg.norm(query)
        start = time.perf_counter()
        with unit_of_work(engine) as session:
            hits = top_k(session, query, MODEL, k=10)
        latencies.append((time.perf_counter() - start) * 1000.0)
        first += hits[0][0] == ids[row]
    result_index = through_the_index(engine, matrix, planted, ids, rng)
    start = time.perf_counter()
    with unit_of_work(engine) as session:
        docs, loaded = load_matrix(session, MODEL, DIM)
    groups = duplicate_groups(loaded, 0.95)
    dedup_s = time.perf_counter() - start
    found = [[int(docs[i]) for i in group] for group in groups]
    return {"vectors": vectors, "queries": queries, "store_s": round(store_s, 2),
            "search_p50_ms": round(float(np.percentile(latencies, 50)), 2),
            "search_p95_ms": round(float(np.percentile(latencies, 95)), 2), "planted_first": int(first),
            "first_search_ms": round(latencies[0], 2),
            "dedup_s": round(dedup_s, 2), "dedup_groups": len(groups),
            "planted_pair_found": sorted([ids[0], ids[-1]]) in [sorted(g) for g in found], **result_index}


def through_the_index(engine: Any, matrix: np.ndarray, planted: np.ndarray, ids: list[int],
                      rng: np.random.Generator) -> dict[str, Any]:
    """Step 3 of the module docstring."""
    from tandem.specialists.search import indexed_top_k
    from tandem.storage import vectors
    from tandem.storage.db import unit_of_work

    def query_of(row: int) -> np.ndarray:
        query = matrix[row] + 0.02 * unit_rows(rng, 1)[0]
        return query / np.linalg.norm(query)

    vectors._MATRICES.clear()  # as in a new process
    start = time.perf_counter()
    with unit_of_work(engine) as session:
        vectors.top_k(session, query_of(int(planted[0])), MODEL, k=10)
    exact_cold_ms = (time.perf_counter() - start) * 1000.0
    start = time.perf_counter()
    with unit_of_work(engine) as session:
        hits = indexed_top_k(engine, session, query_of(int(planted[0])), MODEL, 10, "always")
    build_s = time.perf_counter() - start
    assert hits is not None, "the index could not be used (see the log)"
    latencies, first = [], 0
    for row in planted:
        query = query_of(int(row))
        start = time.perf_counter()
        with unit_of_work(engine) as session:
            hits = indexed_top_k(engine, session, query, MODEL, 10, "always")
        latencies.append((time.perf_counter() - start) * 1000.0)
        first += bool(hits) and hits[0][0] == ids[row]
    return {"exact_cold_ms": round(exact_cold_ms, 1), "index_build_s": round(build_s, 2),
            "index_cold_ms": round(latencies[0], 1),
            "index_p50_ms": round(float(np.percentile(latencies, 50)), 2),
            "index_p95_ms": round(float(np.percentile(latencies, 95)), 2), "index_planted_first": int(first)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--texts", type=int, default=4000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="5,000 vectors, 300 texts, 20 queries")
    args = parser.parse_args()
    if args.quick:
        args.vectors, args.texts, args.queries = 5000, 300, 20
    sentences_s = embed_throughput(args.texts)
    print(f"embed: {sentences_s:.0f} SMS/s over {args.texts} messages", file=sys.stderr)
    result = search_and_dedup(args.vectors, args.queries)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"search over {args.vectors} vectors: exact p95 {result['search_p95_ms']} ms (cold "
          f"{result['exact_cold_ms']} ms), sqlite-vec p95 {result['index_p95_ms']} ms (built in "
          f"{result['index_build_s']} s); dedup {result['dedup_s']} s; peak RSS {peak_mb:.0f} MB", file=sys.stderr)
    emit({"benchmark": "search", "embed_sentences_s": round(sentences_s, 1), "texts": args.texts,
          "peak_rss_mb": round(peak_mb), **result})


if __name__ == "__main__":
    main()
